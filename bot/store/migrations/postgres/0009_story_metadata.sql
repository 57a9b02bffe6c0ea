-- 0009 what a story file says of itself for PostgreSQL: see ../0009_story_metadata.sql.
ALTER TABLE stories ADD COLUMN tags TEXT COLLATE "C" NOT NULL DEFAULT '[]';
ALTER TABLE stories ADD COLUMN language TEXT COLLATE "C";
ALTER TABLE stories ADD COLUMN url TEXT COLLATE "C";

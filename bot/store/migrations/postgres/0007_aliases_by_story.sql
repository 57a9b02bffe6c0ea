-- 0007 character lookups per story for PostgreSQL: see ../0007_aliases_by_story.sql.
CREATE INDEX aliases_story_key ON aliases (story_id, alias_key);

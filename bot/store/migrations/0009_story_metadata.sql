-- 0009 what a story file says of itself beyond title, author, fandom and rating (CONTRACT §5
-- `metadata`), from the file or the .toml beside it:
--   tags      a JSON array of text in the file's order (AO3's warnings, relationships, characters
--             and additional tags; FanFiction.Net's genres and characters; EPUB subjects)
--   language  as the file names it ("English", "en")
--   url       where the story was published; `source` stays the bundled file's name, which is how
--             bundled stories are told apart
ALTER TABLE stories ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE stories ADD COLUMN language TEXT;
ALTER TABLE stories ADD COLUMN url TEXT;

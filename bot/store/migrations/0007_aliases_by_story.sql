-- 0007 character lookups per story: /character's name autocomplete walks each visible story's
-- names (characters' UNIQUE (story_id, name_key)) and aliases by prefix; this is the aliases' half.
CREATE INDEX aliases_story_key ON aliases (story_id, alias_key);

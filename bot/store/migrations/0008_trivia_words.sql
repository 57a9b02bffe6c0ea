-- 0008 trivia from indexes: each story's rare words (the "fill in the missing word" answers and
-- their rivals, bot/trivia/text.py rare_words), worked out once from its text the first time a game
-- asks about the story, so question generation never reads a whole story again. Everything else a
-- game needs comes from the existing indexes (paragraphs_fts, paragraphs by seq, quotes by story).
-- content_hash: a bundled story replaced in place keeps its id, so a row whose hash differs from
-- the story's is stale and is worked out again.
CREATE TABLE trivia_words (
    story_id INTEGER PRIMARY KEY REFERENCES stories (id) ON DELETE CASCADE,
    content_hash TEXT NOT NULL,
    words TEXT NOT NULL
);

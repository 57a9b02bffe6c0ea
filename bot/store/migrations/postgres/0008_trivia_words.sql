-- 0008 trivia from indexes, for PostgreSQL: see ../0008_trivia_words.sql.
CREATE TABLE trivia_words (
    story_id BIGINT PRIMARY KEY REFERENCES stories (id) ON DELETE CASCADE,
    content_hash TEXT COLLATE "C" NOT NULL,
    words TEXT COLLATE "C" NOT NULL
);

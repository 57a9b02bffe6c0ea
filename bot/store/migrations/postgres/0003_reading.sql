-- 0003 reading for PostgreSQL: see ../0003_reading.sql.
CREATE TABLE reading_paginations (
    story_id BIGINT NOT NULL,
    chapter_index BIGINT NOT NULL,
    pager_version BIGINT NOT NULL,
    page_count BIGINT NOT NULL CHECK (page_count > 0),
    built_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (story_id, chapter_index),
    FOREIGN KEY (story_id, chapter_index) REFERENCES chapters (story_id, chapter_index) ON DELETE CASCADE
);

CREATE TABLE reading_pages (
    story_id BIGINT NOT NULL,
    chapter_index BIGINT NOT NULL,
    page_number BIGINT NOT NULL CHECK (page_number > 0),
    content TEXT COLLATE "C" NOT NULL,
    first_paragraph BIGINT NOT NULL,
    last_paragraph BIGINT NOT NULL,
    PRIMARY KEY (story_id, chapter_index, page_number),
    FOREIGN KEY (story_id, chapter_index) REFERENCES reading_paginations (story_id, chapter_index)
        ON DELETE CASCADE
);

CREATE TABLE reading_threads (
    thread_id BIGINT PRIMARY KEY,
    guild_id BIGINT,
    story_id BIGINT NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    chapter_index BIGINT NOT NULL,
    page_number BIGINT NOT NULL,
    head_message_id BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX reading_threads_story ON reading_threads (story_id);

CREATE TABLE reading_bookmarks (
    user_id BIGINT NOT NULL,
    story_id BIGINT NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    chapter_index BIGINT NOT NULL,
    page_number BIGINT NOT NULL CHECK (page_number > 0),
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, story_id)
);
CREATE INDEX reading_bookmarks_latest ON reading_bookmarks (user_id, updated_at DESC);
CREATE INDEX reading_bookmarks_story ON reading_bookmarks (story_id);

-- 0003 reading: stored pagination of chapters, the reader threads /read opened, and bookmarks.

-- One row per paginated chapter; pages are valid only for the pager version that cut them.
-- Deleting or replacing a story's chapters (bot/store/loader.py) drops its pages by cascade.
CREATE TABLE reading_paginations (
    story_id INTEGER NOT NULL,
    chapter_index INTEGER NOT NULL,
    pager_version INTEGER NOT NULL,
    page_count INTEGER NOT NULL CHECK (page_count > 0),
    built_at TEXT NOT NULL,
    PRIMARY KEY (story_id, chapter_index),
    FOREIGN KEY (story_id, chapter_index) REFERENCES chapters (story_id, chapter_index) ON DELETE CASCADE
) WITHOUT ROWID;

-- Fetching a page is one primary-key seek. first/last_paragraph are chapter-wide paragraph
-- indexes, so "open the reader at paragraph p" is one index range too.
CREATE TABLE reading_pages (
    story_id INTEGER NOT NULL,
    chapter_index INTEGER NOT NULL,
    page_number INTEGER NOT NULL CHECK (page_number > 0),
    content TEXT NOT NULL,
    first_paragraph INTEGER NOT NULL,
    last_paragraph INTEGER NOT NULL,
    PRIMARY KEY (story_id, chapter_index, page_number),
    FOREIGN KEY (story_id, chapter_index) REFERENCES reading_paginations (story_id, chapter_index)
        ON DELETE CASCADE
) WITHOUT ROWID;

-- Threads opened by /read. head_message_id is the page that carries the buttons: a click on any
-- other message is stale, which (with a compare-and-set update) stops double clicks from
-- posting a page twice, even across restarts.
CREATE TABLE reading_threads (
    thread_id INTEGER PRIMARY KEY,
    guild_id INTEGER,
    story_id INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    chapter_index INTEGER NOT NULL,
    page_number INTEGER NOT NULL,
    head_message_id INTEGER,
    updated_at INTEGER NOT NULL
);
CREATE INDEX reading_threads_story ON reading_threads (story_id);

-- One bookmark per reader and story; updated_at is Unix milliseconds (latest wins in /continue).
CREATE TABLE reading_bookmarks (
    user_id INTEGER NOT NULL,
    story_id INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    chapter_index INTEGER NOT NULL,
    page_number INTEGER NOT NULL CHECK (page_number > 0),
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, story_id)
) WITHOUT ROWID;
CREATE INDEX reading_bookmarks_latest ON reading_bookmarks (user_id, updated_at DESC);
CREATE INDEX reading_bookmarks_story ON reading_bookmarks (story_id);

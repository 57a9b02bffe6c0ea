-- 0001 core: stories and their parsed structure, full-text search over paragraphs and titles.
-- Applied in one transaction together with its schema_migrations record.

CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- guild_id NULL = bundled (visible in every guild); otherwise only in that guild.
-- scope folds the two into one indexable integer (Discord snowflakes are never 0).
-- paragraph_base / quote_base place the story's paragraphs and quotes on one dense line per
-- scope so a random pick is a single index seek (see bot/store/random_pick.py).
CREATE TABLE stories (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER,
    scope INTEGER GENERATED ALWAYS AS (coalesce(guild_id, 0)) VIRTUAL,
    title TEXT NOT NULL,
    title_key TEXT NOT NULL,
    author TEXT NOT NULL DEFAULT 'unknown',
    fandom TEXT,
    rating TEXT,
    source TEXT,
    content_hash TEXT NOT NULL,
    summary TEXT,
    word_count INTEGER NOT NULL DEFAULT 0,
    chapter_count INTEGER NOT NULL DEFAULT 0,
    paragraph_count INTEGER NOT NULL DEFAULT 0,
    quote_count INTEGER NOT NULL DEFAULT 0,
    paragraph_base INTEGER NOT NULL DEFAULT 0,
    quote_base INTEGER NOT NULL DEFAULT 0,
    added_by INTEGER,
    added_at TEXT NOT NULL
);
CREATE UNIQUE INDEX stories_content ON stories (scope, content_hash);
CREATE UNIQUE INDEX stories_bundled_source ON stories (source) WHERE guild_id IS NULL;
CREATE INDEX stories_title ON stories (scope, title_key);
CREATE INDEX stories_paragraph_base ON stories (scope, paragraph_base) WHERE paragraph_count > 0;
CREATE INDEX stories_quote_base ON stories (scope, quote_base) WHERE quote_count > 0;

-- Per scope totals: the length of each dense line above.
CREATE TABLE scope_totals (
    scope INTEGER PRIMARY KEY,
    paragraphs INTEGER NOT NULL DEFAULT 0,
    quotes INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE chapters (
    story_id INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    chapter_index INTEGER NOT NULL,
    number INTEGER,
    title TEXT,
    first_paragraph INTEGER NOT NULL,
    paragraph_count INTEGER NOT NULL,
    word_count INTEGER NOT NULL,
    PRIMARY KEY (story_id, chapter_index)
) WITHOUT ROWID;

CREATE TABLE scenes (
    story_id INTEGER NOT NULL,
    chapter_index INTEGER NOT NULL,
    scene_index INTEGER NOT NULL,
    heading TEXT,
    first_paragraph INTEGER NOT NULL,
    paragraph_count INTEGER NOT NULL,
    PRIMARY KEY (story_id, chapter_index, scene_index),
    FOREIGN KEY (story_id, chapter_index) REFERENCES chapters (story_id, chapter_index) ON DELETE CASCADE
) WITHOUT ROWID;

-- seq is dense per story (0..paragraph_count-1) in reading order; paragraph_index is the
-- index within its scene, as in bot.parsing.model.Quote.paragraph.
CREATE TABLE paragraphs (
    id INTEGER PRIMARY KEY,
    story_id INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    chapter_index INTEGER NOT NULL,
    scene_index INTEGER NOT NULL,
    paragraph_index INTEGER NOT NULL,
    text TEXT NOT NULL,
    UNIQUE (story_id, seq)
);

CREATE TABLE notes (
    story_id INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    chapter_index INTEGER NOT NULL,
    position TEXT NOT NULL CHECK (position IN ('before', 'after')),
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (story_id, seq)
) WITHOUT ROWID;

-- lines = how many quotes are attributed to the character (speech and thought).
CREATE TABLE characters (
    id INTEGER PRIMARY KEY,
    story_id INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    mentions INTEGER NOT NULL DEFAULT 0,
    gender TEXT,
    lines INTEGER NOT NULL DEFAULT 0,
    UNIQUE (story_id, name_key)
);
CREATE INDEX characters_name ON characters (name_key);

-- The key columns come first: SQLite 3.40's integrity_check misreports NOT NULL columns placed
-- before the key of a WITHOUT ROWID table.
CREATE TABLE aliases (
    character_id INTEGER NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
    alias_key TEXT NOT NULL,
    story_id INTEGER NOT NULL,
    alias TEXT NOT NULL,
    PRIMARY KEY (character_id, alias_key)
) WITHOUT ROWID;
CREATE INDEX aliases_key ON aliases (alias_key);

-- seq is dense per story; speaker_seq is dense per character (0..lines-1).
CREATE TABLE quotes (
    id INTEGER PRIMARY KEY,
    story_id INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    paragraph_seq INTEGER NOT NULL,
    chapter_index INTEGER NOT NULL,
    scene_index INTEGER NOT NULL,
    paragraph_index INTEGER NOT NULL,
    text TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('speech', 'thought')),
    character_id INTEGER REFERENCES characters (id) ON DELETE CASCADE,
    speaker_seq INTEGER,
    confidence REAL NOT NULL,
    start_offset INTEGER NOT NULL DEFAULT 0,
    end_offset INTEGER NOT NULL DEFAULT 0,
    rule TEXT,
    UNIQUE (story_id, seq),
    FOREIGN KEY (story_id, paragraph_seq) REFERENCES paragraphs (story_id, seq) ON DELETE CASCADE
);
-- Both indexes also serve the foreign-key checks when paragraphs or characters are deleted.
CREATE INDEX quotes_paragraph ON quotes (story_id, paragraph_seq);
CREATE INDEX quotes_speaker ON quotes (character_id, speaker_seq);

-- Full-text search over paragraph text (external content). New rows are indexed by the loader
-- in one INSERT ... SELECT per story (about five times faster than a per-row trigger; only
-- bot/store/loader.py inserts paragraphs); deletes and updates are kept in sync by triggers.
CREATE VIRTUAL TABLE paragraphs_fts USING fts5 (
    text, content = 'paragraphs', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER paragraphs_fts_delete AFTER DELETE ON paragraphs BEGIN
    INSERT INTO paragraphs_fts (paragraphs_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER paragraphs_fts_update AFTER UPDATE OF text ON paragraphs WHEN old.text IS NOT new.text BEGIN
    INSERT INTO paragraphs_fts (paragraphs_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO paragraphs_fts (rowid, text) VALUES (new.id, new.text);
END;

-- Substring title autocomplete: a trigram index (case-insensitive) over stories.title.
CREATE VIRTUAL TABLE stories_title_fts USING fts5 (
    title, content = 'stories', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER stories_title_fts_insert AFTER INSERT ON stories BEGIN
    INSERT INTO stories_title_fts (rowid, title) VALUES (new.id, new.title);
END;
CREATE TRIGGER stories_title_fts_delete AFTER DELETE ON stories BEGIN
    INSERT INTO stories_title_fts (stories_title_fts, rowid, title) VALUES ('delete', old.id, old.title);
END;
CREATE TRIGGER stories_title_fts_update AFTER UPDATE OF title ON stories WHEN old.title IS NOT new.title BEGIN
    INSERT INTO stories_title_fts (stories_title_fts, rowid, title) VALUES ('delete', old.id, old.title);
    INSERT INTO stories_title_fts (rowid, title) VALUES (new.id, new.title);
END;

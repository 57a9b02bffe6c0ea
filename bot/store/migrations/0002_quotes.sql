-- 0002 quotes, excerpts and search: full-text search over quotations, the per-guild no-repeat
-- cycles behind /quote, and saved /search queries so paging buttons survive restarts.

-- Full-text search over quotation text (the /quote `contains` filter). The loader indexes a
-- story's quotations in one statement after inserting them (a per-row insert trigger cost half of
-- the store's write time); deletes and edits are kept in sync by triggers.
CREATE VIRTUAL TABLE quotes_fts USING fts5 (
    text, content = 'quotes', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO quotes_fts (quotes_fts) VALUES ('rebuild');
CREATE TRIGGER quotes_fts_delete AFTER DELETE ON quotes BEGIN
    INSERT INTO quotes_fts (quotes_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER quotes_fts_update AFTER UPDATE OF text ON quotes BEGIN
    INSERT INTO quotes_fts (quotes_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO quotes_fts (rowid, text) VALUES (new.id, new.text);
END;

-- One no-repeat cycle per (scope, filters): a seeded permutation of positions 0..size-1 walked by
-- `cursor`, so a pick is a few index seeks and the state is a handful of integers.
-- Unfiltered cycles walk the scope's dense quote line (bot/store/random_pick.py) twice: first
-- accepting confident speakers, then the rest (`cut` = how far the first pass got).
-- Filtered cycles walk their own members (confident speakers in positions 0..cut-1).
-- scope: guild id, 0 outside guilds. adult: 1 when M/Explicit stories may be shown.
-- AUTOINCREMENT: ids of dropped cycles are never reused, so an old button cannot pick up others' filters.
CREATE TABLE quote_cycles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scope INTEGER NOT NULL,
    filter_key TEXT NOT NULL,
    story_id INTEGER REFERENCES stories (id) ON DELETE CASCADE,
    character TEXT,
    contains TEXT,
    adult INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    size INTEGER NOT NULL,
    cut INTEGER NOT NULL,
    cursor INTEGER NOT NULL,
    built_at TEXT NOT NULL,
    used_at TEXT NOT NULL,
    UNIQUE (scope, filter_key)
);
CREATE INDEX quote_cycles_story ON quote_cycles (story_id) WHERE story_id IS NOT NULL;
-- Cycles unused for a while are dropped (with their members) when new ones are made.
CREATE INDEX quote_cycles_used ON quote_cycles (used_at);

-- Members of a filtered cycle; a removed story's quotes drop out (the walk skips the gap).
CREATE TABLE quote_cycle_members (
    cycle_id INTEGER NOT NULL REFERENCES quote_cycles (id) ON DELETE CASCADE,
    pos INTEGER NOT NULL,
    quote_id INTEGER NOT NULL REFERENCES quotes (id) ON DELETE CASCADE,
    PRIMARY KEY (cycle_id, pos)
) WITHOUT ROWID;
CREATE INDEX quote_cycle_members_quote ON quote_cycle_members (quote_id);

-- A /search as typed, so its Prev/Next buttons (custom_id carries the id) work after a restart.
CREATE TABLE searches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused (see quote_cycles)
    user_id INTEGER NOT NULL,
    scope INTEGER NOT NULL,
    story_id INTEGER REFERENCES stories (id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    adult INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX searches_created ON searches (created_at);
CREATE INDEX searches_story ON searches (story_id) WHERE story_id IS NOT NULL;

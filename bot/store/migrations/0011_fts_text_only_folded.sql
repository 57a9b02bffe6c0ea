-- 0011 full-text search: user words match a quotation's text only, never its speaker tokens, and
-- PostgreSQL folds accents as FTS5 does. Nothing changes in SQLite's schema: quotes_fts already
-- folds (unicode61 remove_diacritics 2), and the words are kept out of the speaker column by the
-- query (bot/store/fts.py said_query: `text : (...)`, an FTS5 column filter). The PostgreSQL twin
-- does the work for that engine.
SELECT 1;

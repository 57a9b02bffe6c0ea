-- 0011 full-text search for PostgreSQL, as SQLite's FTS5 does it (see ../0011_fts_text_only_folded.sql):
-- 1. Accents fold: the `storybot` text search configuration is 'simple' with the unaccent
--    dictionary in front for words, so "café" is indexed and queried as "cafe" (FTS5's unicode61
--    remove_diacritics 2); ts_headline with it still shows the original text.
-- 2. User words match the text only: a quotation's speaker tokens go into its tsvector in capitals
--    as they are (array_to_tsvector, no parser), and no query word can become such a lexeme (the
--    'simple' dictionary lowercases every word). storybot_tsquery reads said_query's
--    `text : (WORDS) AND speaker : "zq..."` and asks for the speaker's lexeme itself.
-- unaccent is a trusted extension (PostgreSQL 13+): a role with CREATE on the database makes it. A
-- role that may not gets this message; an owner or superuser runs the statement once, and the
-- bot's next start applies the migration.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS unaccent;
EXCEPTION WHEN insufficient_privilege OR undefined_file OR feature_not_supported THEN
    RAISE EXCEPTION 'full-text search needs the unaccent extension, which this role may not create (%): run CREATE EXTENSION unaccent; in this database as its owner or a superuser, then start the bot again',
        SQLERRM USING ERRCODE = 'insufficient_privilege';
END
$$;
-- The dictionary is looked up in the extension's own schema (a host may keep extensions apart).
DO $$
DECLARE
    dictionary text := (
        SELECT format('%I.%I', n.nspname, d.dictname) FROM pg_ts_dict AS d
        JOIN pg_namespace AS n ON n.oid = d.dictnamespace
        JOIN pg_extension AS e ON e.extnamespace = d.dictnamespace AND e.extname = 'unaccent'
        WHERE d.dictname = 'unaccent'
    );
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'storybot' AND cfgnamespace = current_schema()::regnamespace) THEN
        CREATE TEXT SEARCH CONFIGURATION storybot (COPY = simple);
        EXECUTE format('ALTER TEXT SEARCH CONFIGURATION storybot ALTER MAPPING FOR word, hword, hword_part,'
                       ' numword, numhword, hword_numpart WITH %s, simple', dictionary);
    END IF;
END
$$;

-- The words of an FTS5 query of quoted words (0001's storybot_tsquery), folded.
CREATE OR REPLACE FUNCTION storybot_words(text) RETURNS tsquery
    LANGUAGE sql IMMUTABLE AS $$ SELECT websearch_to_tsquery('storybot', replace(replace($1, '""', ' '), '*', ' ')) $$;
CREATE OR REPLACE FUNCTION storybot_tsquery(text) RETURNS tsquery LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN m IS NULL THEN storybot_words($1)
        WHEN m[2] IS NULL THEN storybot_words(m[1])
        ELSE storybot_words(m[1]) && quote_literal(upper(m[2]))::tsquery
    END
    FROM (SELECT regexp_match($1, '^text : \((.*)\)(?: AND speaker : "(zq[0-9a-f]+)")?$') AS m) AS parsed
$$;

DROP VIEW paragraphs_fts;
ALTER TABLE paragraphs DROP COLUMN tsv;
ALTER TABLE paragraphs ADD COLUMN tsv tsvector GENERATED ALWAYS AS (to_tsvector('storybot', text)) STORED;
CREATE INDEX paragraphs_tsv ON paragraphs USING gin (tsv);
CREATE VIEW paragraphs_fts AS SELECT id AS rowid, text, tsv FROM paragraphs;

DROP VIEW quotes_fts;
ALTER TABLE quotes DROP COLUMN tsv;
ALTER TABLE quotes ADD COLUMN tsv tsvector GENERATED ALWAYS AS (
    to_tsvector('storybot', text) || array_to_tsvector(string_to_array(upper(coalesce(speaker, '')), ' '))
) STORED;
CREATE INDEX quotes_tsv ON quotes USING gin (tsv);
CREATE VIEW quotes_fts AS SELECT id AS rowid, text, tsv FROM quotes;
-- Cycles of lines with words were sized and ordered over the unfolded index: they are marked
-- finished (as in 0010), so the next pick starts a new cycle over the folded one.
UPDATE quote_cycles SET cursor = 2 * size WHERE contains IS NOT NULL;

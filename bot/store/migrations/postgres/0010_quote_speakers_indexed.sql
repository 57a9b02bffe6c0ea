-- 0010 the speaker in /quote's full-text index for PostgreSQL: see ../0010_quote_speakers_indexed.sql.
-- The speaker tokens join the text's in the generated tsvector (and so in its GIN index).
ALTER TABLE quotes ADD COLUMN speaker TEXT COLLATE "C";
UPDATE quotes SET speaker = (
    SELECT 'zq' || encode(convert_to(c.name_key, 'UTF8'), 'hex') || coalesce((
        SELECT string_agg(' zq' || encode(convert_to(a.alias_key, 'UTF8'), 'hex'), '') FROM aliases AS a
        WHERE a.character_id = c.id
    ), '')
    FROM characters AS c WHERE c.id = quotes.character_id
) WHERE character_id IS NOT NULL;
DROP VIEW quotes_fts;
ALTER TABLE quotes DROP COLUMN tsv;
ALTER TABLE quotes ADD COLUMN tsv tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', text) || to_tsvector('simple', coalesce(speaker, ''))) STORED;
CREATE INDEX quotes_tsv ON quotes USING gin (tsv);
CREATE VIEW quotes_fts AS SELECT id AS rowid, text, tsv FROM quotes;
UPDATE quote_cycles SET cursor = 2 * size WHERE character IS NOT NULL AND contains IS NOT NULL;

-- 0010 the speaker in /quote's full-text index: "a word said by a character called X" is one
-- full-text query (the word's and the name's doclists intersected) instead of a walk over the
-- word's matches or the name's lines checking the other filter one line at a time.
-- quotes.speaker holds one token per key the line's character answers to (its name_key and each
-- alias_key): 'zq' and the key's UTF-8 bytes in lower-case hex (bot/store/loader.py
-- speaker_tokens), a single word to both engines' tokenizers and exact (no two keys share one).
-- The loader writes it with the line; characters and aliases are written before their story's
-- quotes and never change afterwards, so the column never goes stale. The index reads it from the
-- row (external content), so the triggers delete exactly what was indexed.
ALTER TABLE quotes ADD COLUMN speaker TEXT;
UPDATE quotes SET speaker = (
    SELECT 'zq' || lower(hex(c.name_key)) || coalesce((
        SELECT group_concat(' zq' || lower(hex(a.alias_key)), '') FROM aliases AS a WHERE a.character_id = c.id
    ), '')
    FROM characters AS c WHERE c.id = quotes.character_id
) WHERE character_id IS NOT NULL;
DROP TRIGGER quotes_fts_delete;
DROP TRIGGER quotes_fts_update;
DROP TABLE quotes_fts;
CREATE VIRTUAL TABLE quotes_fts USING fts5 (
    text, speaker, content = 'quotes', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO quotes_fts (quotes_fts) VALUES ('rebuild');
CREATE TRIGGER quotes_fts_delete AFTER DELETE ON quotes BEGIN
    INSERT INTO quotes_fts (quotes_fts, rowid, text, speaker) VALUES ('delete', old.id, old.text, old.speaker);
END;
CREATE TRIGGER quotes_fts_update AFTER UPDATE OF text, speaker ON quotes BEGIN
    INSERT INTO quotes_fts (quotes_fts, rowid, text, speaker) VALUES ('delete', old.id, old.text, old.speaker);
    INSERT INTO quotes_fts (rowid, text, speaker) VALUES (new.id, new.text, new.speaker);
END;
-- Cycles of a character's lines with a word may have been sized by the word's matches alone:
-- they are marked finished, so the next pick starts a new cycle (in the same row) over the new index.
UPDATE quote_cycles SET cursor = 2 * size WHERE character IS NOT NULL AND contains IS NOT NULL;

-- 0013 /quote's `character` filter across stories: the lines of every character answering to a
-- name laid end to end, one dense line per (key, scope, gated), as stories' quote_base / quote_count
-- lay a scope's quotations (see bot/store/random_pick.py). A key is a character's name_key or one of
-- its aliases' alias_key; scope 0 is bundled, else a guild id (staged uploads join at publish);
-- gated is 1 when the story's rating is adult-only (ADULT_RATINGS, decided as RATING_SQL does in
-- bot/store/audience.py: the list below must match it), so an audience outside age-restricted
-- channels draws over the open lines only and every position of its cycle is a line it may see.
-- Each character with lines > 0 covers [base, base + lines) of each of its keys' lines, and
-- name_totals holds each line's length, so a pick draws a position over the bundled line(s) plus
-- the guild's own and finds its (character, speaker_seq) with one seek on name_lines_base: the
-- cost does not grow with how many characters share the name. `changes` counts the line's
-- changes (from 1: a cycle of the old SPEAKERS domain, which laid the characters out by id in
-- memory and kept 0 where the stamp goes, starts afresh over these lines; bot/store/quotes.py):
-- a cycle started over a line starts afresh when it moved. The loader keeps both gap-free
-- in the transaction that adds, replaces or deletes a story (bot/store/loader.py).
-- No unique index on base: shifting a line's bases down (a delete) never collides mid-statement.
CREATE TABLE name_lines (
    character_id INTEGER NOT NULL,
    name_key TEXT NOT NULL,
    scope INTEGER NOT NULL,
    gated INTEGER NOT NULL,
    base INTEGER NOT NULL,
    lines INTEGER NOT NULL,
    story_id INTEGER NOT NULL,
    PRIMARY KEY (character_id, name_key)
) WITHOUT ROWID;
CREATE INDEX name_lines_base ON name_lines (name_key, scope, gated, base, character_id);
CREATE INDEX name_lines_story ON name_lines (story_id);
CREATE TABLE name_totals (
    name_key TEXT NOT NULL,
    scope INTEGER NOT NULL,
    gated INTEGER NOT NULL,
    lines INTEGER NOT NULL DEFAULT 0,
    changes INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (name_key, scope, gated)
) WITHOUT ROWID;
INSERT INTO name_lines (character_id, name_key, scope, gated, base, lines, story_id)
SELECT character_id, name_key, scope, gated,
    sum(lines) OVER (PARTITION BY name_key, scope, gated ORDER BY character_id ROWS UNBOUNDED PRECEDING) - lines,
    lines, story_id
FROM (
    SELECT c.id AS character_id, c.name_key AS name_key, s.scope AS scope,
        CASE WHEN lower(trim(s.rating)) IN ('e', 'explicit', 'm', 'ma', 'nc-17', 'r18') THEN 1 ELSE 0 END AS gated, c.lines AS lines, c.story_id AS story_id
    FROM characters AS c JOIN stories AS s ON s.id = c.story_id WHERE c.lines > 0 AND s.scope >= 0
    UNION
    SELECT c.id, a.alias_key, s.scope, CASE WHEN lower(trim(s.rating)) IN ('e', 'explicit', 'm', 'ma', 'nc-17', 'r18') THEN 1 ELSE 0 END, c.lines, c.story_id
    FROM aliases AS a JOIN characters AS c ON c.id = a.character_id JOIN stories AS s ON s.id = c.story_id
    WHERE c.lines > 0 AND s.scope >= 0
) AS keyed;
INSERT INTO name_totals (name_key, scope, gated, lines, changes)
SELECT name_key, scope, gated, sum(lines), 1 FROM name_lines GROUP BY name_key, scope, gated;

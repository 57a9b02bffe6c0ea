-- 0013 the lines of every character answering to a name, for PostgreSQL: see ../0013_name_lines.sql.
CREATE TABLE name_lines (
    character_id BIGINT NOT NULL,
    name_key TEXT COLLATE "C" NOT NULL,
    scope BIGINT NOT NULL,
    gated BIGINT NOT NULL,
    base BIGINT NOT NULL,
    lines BIGINT NOT NULL,
    story_id BIGINT NOT NULL,
    PRIMARY KEY (character_id, name_key)
);
CREATE INDEX name_lines_base ON name_lines (name_key, scope, gated, base, character_id);
CREATE INDEX name_lines_story ON name_lines (story_id);
CREATE TABLE name_totals (
    name_key TEXT COLLATE "C" NOT NULL,
    scope BIGINT NOT NULL,
    gated BIGINT NOT NULL,
    lines BIGINT NOT NULL DEFAULT 0,
    changes BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (name_key, scope, gated)
);
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

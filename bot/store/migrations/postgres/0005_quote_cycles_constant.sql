-- 0005 /quote cycles of constant size for PostgreSQL: see ../0005_quote_cycles_constant.sql.
DROP TABLE quote_cycle_members;
ALTER TABLE quote_cycles ADD COLUMN domain TEXT COLLATE "C" NOT NULL DEFAULT 'line';
ALTER TABLE quote_cycles ADD COLUMN low BIGINT NOT NULL DEFAULT 0;
ALTER TABLE quote_cycles ADD COLUMN high BIGINT NOT NULL DEFAULT 0;
UPDATE quote_cycles SET domain = 'members', cursor = 2 * size
    WHERE story_id IS NOT NULL OR character IS NOT NULL OR contains IS NOT NULL;

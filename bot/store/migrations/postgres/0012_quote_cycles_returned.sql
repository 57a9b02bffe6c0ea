-- 0012 /quote lines given back to a cycle, for PostgreSQL: see ../0012_quote_cycles_returned.sql.
ALTER TABLE quote_cycles ADD COLUMN returned TEXT COLLATE "C";

-- 0012 /quote: lines given back to a cycle are kept with it. A pick that guessed the reader's
-- spoiler limits (or the story a `story` option names) wrong gives the line it took back to its
-- cycle, behind the cursor: `returned` lists them as JSON [[cursor, quote id or null], ...]
-- (NULL: none), written with the cursor, so the next pick over those filters takes them first
-- even after a restart (bot/store/quotes.py).
ALTER TABLE quote_cycles ADD COLUMN returned TEXT;

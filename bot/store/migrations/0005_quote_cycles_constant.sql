-- 0005 /quote cycles of constant size: a filtered cycle no longer stores its members. Every cycle
-- walks a seeded permutation of positions 0..size-1 in a `domain`, an index whose positions map to
-- lines with one seek (bot/store/quotes.py), twice: first accepting confident speakers, then the
-- rest (`cut` = how far the first pass got). A line that does not match every filter, or that the
-- audience may not see, is passed over, so the domain may hold more lines than the filters match.
--   line      the scope's dense quote line (bundled, then the guild's own)
--   story     one story's quotes by seq
--   speaker   one character's quotes by speaker_seq (low = the character's id)
--   speakers  the speaker lines of every character with the filter's name, end to end
--   matches   the full-text matches with rowid in [low, high], by rank
-- Cycles that walked stored members are marked finished: the next pick over the same filters
-- starts a new cycle in the same row, so its "Another" buttons keep working.
DROP TABLE quote_cycle_members;
ALTER TABLE quote_cycles ADD COLUMN domain TEXT NOT NULL DEFAULT 'line';
ALTER TABLE quote_cycles ADD COLUMN low INTEGER NOT NULL DEFAULT 0;
ALTER TABLE quote_cycles ADD COLUMN high INTEGER NOT NULL DEFAULT 0;
UPDATE quote_cycles SET domain = 'members', cursor = 2 * size
    WHERE story_id IS NOT NULL OR character IS NOT NULL OR contains IS NOT NULL;

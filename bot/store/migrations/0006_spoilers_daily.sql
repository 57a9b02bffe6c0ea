-- 0006 spoiler-safe servers and the quote of the day.

-- A server's limit per story: nothing past chapter_index (0-based position) is shown there.
CREATE TABLE spoiler_limits (
    guild_id INTEGER NOT NULL,
    story_id INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    chapter_index INTEGER NOT NULL CHECK (chapter_index >= 0),
    set_by INTEGER NOT NULL,
    set_at TEXT NOT NULL,
    PRIMARY KEY (guild_id, story_id)
) WITHOUT ROWID;
CREATE INDEX spoiler_limits_story ON spoiler_limits (story_id);

-- Readers who asked to be shown nothing past their bookmarks (/spoilers mine on:true).
CREATE TABLE spoiler_readers (
    user_id INTEGER PRIMARY KEY,
    since TEXT NOT NULL
);

-- One quote-of-the-day schedule per server. minute_of_day is HH*60+MM in `timezone` (IANA);
-- last_posted is the local date (YYYY-MM-DD) of the last post, set in the same statement that
-- claims the day (before posting), so a day is never posted twice. story_id NULL: every story
-- visible there; a removed story stops the schedule. stopped_reason (NULL while running) says why
-- the bot stopped it; the next /daily in that server shows it, then forgets the schedule.
CREATE TABLE daily_schedules (
    guild_id INTEGER PRIMARY KEY,
    channel_id INTEGER NOT NULL,
    minute_of_day INTEGER NOT NULL CHECK (minute_of_day BETWEEN 0 AND 1439),
    timezone TEXT NOT NULL,
    story_id INTEGER,
    set_by INTEGER NOT NULL,
    set_at TEXT NOT NULL,
    last_posted TEXT,
    stopped_reason TEXT
);
CREATE INDEX daily_schedules_active ON daily_schedules (guild_id) WHERE stopped_reason IS NULL;

-- 0006 spoiler-safe servers and the quote of the day, for PostgreSQL: see ../0006_spoilers_daily.sql.
CREATE TABLE spoiler_limits (
    guild_id BIGINT NOT NULL,
    story_id BIGINT NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    chapter_index BIGINT NOT NULL CHECK (chapter_index >= 0),
    set_by BIGINT NOT NULL,
    set_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (guild_id, story_id)
);
CREATE INDEX spoiler_limits_story ON spoiler_limits (story_id);

CREATE TABLE spoiler_readers (
    user_id BIGINT PRIMARY KEY,
    since TEXT COLLATE "C" NOT NULL
);

CREATE TABLE daily_schedules (
    guild_id BIGINT PRIMARY KEY,
    channel_id BIGINT NOT NULL,
    minute_of_day BIGINT NOT NULL CHECK (minute_of_day BETWEEN 0 AND 1439),
    timezone TEXT COLLATE "C" NOT NULL,
    story_id BIGINT,
    set_by BIGINT NOT NULL,
    set_at TEXT COLLATE "C" NOT NULL,
    last_posted TEXT COLLATE "C",
    stopped_reason TEXT COLLATE "C"
);
CREATE INDEX daily_schedules_active ON daily_schedules (guild_id) WHERE stopped_reason IS NULL;

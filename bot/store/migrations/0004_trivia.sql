-- 0004 trivia: games (one running per channel) and every scored answer, for the leaderboards.

-- state: running, then finished / stopped / idle (two unanswered questions) / interrupted (the bot
-- stopped mid-game; closed at the next start-up). message_id is the question message on screen,
-- edited at recovery. story_id NULL = a game over every story visible in the guild.
CREATE TABLE trivia_games (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    message_id INTEGER,
    starter_id INTEGER NOT NULL,
    story_id INTEGER REFERENCES stories (id) ON DELETE SET NULL,
    state TEXT NOT NULL DEFAULT 'running'
        CHECK (state IN ('running', 'finished', 'stopped', 'idle', 'interrupted')),
    questions_planned INTEGER NOT NULL CHECK (questions_planned > 0),
    questions_done INTEGER NOT NULL DEFAULT 0,
    started_at TEXT NOT NULL,
    ended_at TEXT
);
-- The one-game-per-channel rule holds in the database too, whatever the cog's registry says.
CREATE UNIQUE INDEX trivia_games_running_channel ON trivia_games (channel_id) WHERE state = 'running';
CREATE INDEX trivia_games_story ON trivia_games (story_id);

-- One row per player per question answered, written with the question's close in one
-- transaction. guild_id and story_id (the question's own story) are copied here so a
-- leaderboard is one index range, not a join.
CREATE TABLE trivia_answers (
    game_id INTEGER NOT NULL REFERENCES trivia_games (id) ON DELETE CASCADE,
    question_no INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    guild_id INTEGER NOT NULL,
    story_id INTEGER REFERENCES stories (id) ON DELETE SET NULL,
    correct INTEGER NOT NULL CHECK (correct IN (0, 1)),
    points INTEGER NOT NULL CHECK (points >= 0),
    PRIMARY KEY (game_id, question_no, user_id)
) WITHOUT ROWID;
CREATE INDEX trivia_answers_guild ON trivia_answers (guild_id, user_id);
CREATE INDEX trivia_answers_guild_story ON trivia_answers (guild_id, story_id, user_id);
CREATE INDEX trivia_answers_story ON trivia_answers (story_id);

-- 0004 trivia: games (one running per channel), every scored answer, and running totals per
-- player that the leaderboards read.

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
-- transaction. story_id is the question's own story (a game over every story mixes them).
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
-- "Has this player answered earlier in this game (about this story)?" when totals count games.
CREATE INDEX trivia_answers_player ON trivia_answers (game_id, user_id, story_id);
CREATE INDEX trivia_answers_story ON trivia_answers (story_id);

-- Totals per player in a guild, and per player in a guild for one story, updated in the same
-- transaction as the answers. A leaderboard is then an index walk (top ten) plus one counted
-- range (the invoker's rank), however many answers the guild has piled up.
CREATE TABLE trivia_totals (
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    points INTEGER NOT NULL,
    correct INTEGER NOT NULL,
    answered INTEGER NOT NULL,
    games INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;
CREATE INDEX trivia_totals_rank ON trivia_totals (guild_id, points DESC, correct DESC, user_id);

CREATE TABLE trivia_story_totals (
    guild_id INTEGER NOT NULL,
    story_id INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL,
    points INTEGER NOT NULL,
    correct INTEGER NOT NULL,
    answered INTEGER NOT NULL,
    games INTEGER NOT NULL,
    PRIMARY KEY (guild_id, story_id, user_id)
) WITHOUT ROWID;
CREATE INDEX trivia_story_totals_rank
    ON trivia_story_totals (guild_id, story_id, points DESC, correct DESC, user_id);
CREATE INDEX trivia_story_totals_story ON trivia_story_totals (story_id);

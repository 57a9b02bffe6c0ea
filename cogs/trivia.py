"""`/trivia start|stop|leaderboard`: question games in a channel, one per channel, scored per question.

The rules live in bot/trivia (GameSession); this cog only sends what the session decides, keeps the
registry of running games, and writes scores through bot/store/trivia.py.
"""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
import re
import time
from dataclasses import dataclass, field
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.choices import audience_of, optional_story, story_autocomplete
from bot.errors import Busy, NothingMatches, UserError
from bot.render import (
    BUTTON_LABEL_LIMIT,
    EMBED_DESCRIPTION_LIMIT,
    NO_MENTIONS,
    escape,
    safe,
    truncate,
)
from bot.store import Store
from bot.store import trivia as repo
from bot.store.audience import story_and_limits
from bot.tasks import finish_or_cancel
from bot.trivia import (
    AnswerOutcome,
    EndReason,
    GameSession,
    OpenQuestion,
    QuestionKind,
    QuestionResult,
    TriviaQuestion,
    generate_questions,
)

log = logging.getLogger(__name__)

DEFAULT_QUESTIONS = 10
MAX_QUESTIONS = 50
ANSWER_SECONDS = 20.0
PAUSE_SECONDS = 5.0  # between the revealed answer and the next question
NAMES_SHOWN = 15  # winners listed under a revealed answer before "and N more"
STANDINGS_SHOWN = 10
ALREADY_RUNNING = "A game is already running here. `/trivia stop` ends it."
GAME_OVER = "This trivia game is over."
TOO_LATE = "⌛ Too late: time is up for this question."
ALREADY_ANSWERED = "You already answered this question; your first answer stands."
MEDALS = ("🥇", "🥈", "🥉")
END_TEXT = {
    EndReason.FINISHED: "All questions asked.",
    EndReason.STOPPED: "The game was stopped.",
    EndReason.IDLE: "Two questions in a row went unanswered, so the game ended.",
    EndReason.INTERRUPTED: "The game was interrupted.",
}
SHUTDOWN_GRACE = 5.0  # seconds a game loop gets to reach a safe point when the bot stops
CUSTOM_ID = r"trivia:(?P<game>\d+):(?P<number>\d+):(?P<choice>\d)"


def interrupted_text(done: int, planned: int) -> str:
    """Says exactly what counts: the answers to the questions scored, not those to a question
    still open when the bot went away without closing it."""
    kept = (
        f"The answers to {'that question' if done == 1 else f'those {done} questions'} are kept: "
        "`/trivia leaderboard`." if done else "No question was scored."
    )
    return (
        f"⏹ This trivia game was interrupted after {done} of {planned} questions (the bot restarted "
        f"or lost access to this channel). {kept}"
    )


@dataclass(eq=False)
class RunningGame:
    """A game in progress: its session (the rules) and what the cog needs to show it."""

    id: int
    guild_id: int
    channel: discord.abc.Messageable
    channel_id: int
    starter_id: int
    session: GameSession
    wake: asyncio.Event = field(default_factory=asyncio.Event)  # set by /trivia stop and at shutdown
    message: discord.Message | None = None  # the question on screen
    task: asyncio.Task[None] | None = None
    closing: bool = False  # the bot is shutting down: leave the loop at the next step
    finished: bool = False


class AnswerButton(discord.ui.DynamicItem[discord.ui.Button], template=CUSTOM_ID):
    """One answer option. The custom id names game, question and option, so a click is routed
    here even after a restart (and then told the game is over)."""

    def __init__(
        self, game_id: int, number: int, choice: int, label: str, *,
        style: discord.ButtonStyle = discord.ButtonStyle.secondary, disabled: bool = False,
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=truncate(label, BUTTON_LABEL_LIMIT) or "…", style=style, disabled=disabled,
                custom_id=f"trivia:{game_id}:{number}:{choice}",
            )
        )
        self.game_id, self.number, self.choice = game_id, number, choice

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /
    ) -> AnswerButton:
        return cls(int(match["game"]), int(match["number"]), int(match["choice"]), item.label or "")

    async def callback(self, interaction: discord.Interaction) -> None:
        cog = interaction.client.get_cog(Trivia.__cog_name__) if isinstance(interaction.client, commands.Bot | commands.AutoShardedBot) else None
        text = cog.click(self.game_id, self.number, self.choice, interaction.user.id) if cog else GAME_OVER
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)


def answer_view(game_id: int, opened: OpenQuestion, result: QuestionResult | None = None) -> discord.ui.View:
    """The option buttons: live while the question is open, greyed out with the right one green after."""
    view = discord.ui.View(timeout=None)
    for choice, option in enumerate(opened.question.options):
        style, label = discord.ButtonStyle.secondary, option
        if result is not None and choice == result.question.answer:
            style, label = discord.ButtonStyle.success, f"✅ {option}"
        view.add_item(
            AnswerButton(game_id, opened.number, choice, label, style=style, disabled=result is not None)
        )
    return view


def _source_line(q: TriviaQuestion) -> str | None:
    # Never name what the question asks for: a "which story" question hides the story's title.
    return None if q.kind is QuestionKind.WHICH_STORY else f"From *{escape(q.story_title)}*"


def question_embed(opened: OpenQuestion, *, typed: bool) -> discord.Embed:
    q = opened.question
    lines = [f"**{q.prompt}**", f"> {safe(q.excerpt, 1500)}", ""]
    source = _source_line(q)
    if source:
        lines.append(source)
    lines.append(f"Time is up <t:{int(opened.deadline)}:R>. One answer each; the first click counts.")
    if typed and q.accepts_typed:
        lines.append("You can also type the missing word in this channel.")
    return discord.Embed(
        title=f"Question {opened.number}/{opened.total}", description="\n".join(lines),
        colour=discord.Colour.blurple(),
    )


def _names(answers: list[tuple[int, int]]) -> str:
    shown = [f"<@{player}> +{points}" for player, points in answers[:NAMES_SHOWN]]
    if len(answers) > NAMES_SHOWN:
        shown.append(f"and {len(answers) - NAMES_SHOWN} more")
    return ", ".join(shown)


def result_embed(opened: OpenQuestion, result: QuestionResult, *, pause: float | None) -> discord.Embed:
    """The revealed answer; `pause` is the wait before the next question, None when none follows."""
    q = result.question
    shown = q.evidence if q.kind is QuestionKind.MISSING_WORD else q.excerpt
    lines = [f"**{q.prompt}**", f"> {safe(shown, 1500)}", "", f"✅ **{escape(q.answer_text)}**"]
    winners = [(a.player_id, a.points) for a in result.winners]
    if winners:
        lines.append(f"Got it: {_names(winners)}")
    elif result.answers:
        lines.append(f"Nobody got it ({len(result.answers)} answered).")
    else:
        lines.append("Nobody answered.")
    if result.top_three:
        top = " · ".join(
            f"{MEDALS[s.rank - 1] if s.rank <= 3 else s.rank} <@{s.player_id}> {s.points}"
            for s in result.top_three
        )
        lines.append(f"**Top three:** {top}")
    if result.game_over is None and pause is not None:
        lines.append(f"Next question <t:{int(time.time() + pause)}:R>.")
    return discord.Embed(
        title=f"Question {opened.number}/{opened.total} · time is up",
        description=truncate("\n".join(lines), EMBED_DESCRIPTION_LIMIT),
        colour=discord.Colour.green() if winners else discord.Colour.dark_grey(),
    )


def standings_embed(session: GameSession) -> discord.Embed:
    reason = session.end_reason or EndReason.INTERRUPTED
    standings = session.standings()
    lines = [END_TEXT[reason], ""]
    if not any(s.points for s in standings):
        lines.append("Nobody scored this time.")
    for s in standings[:STANDINGS_SHOWN]:
        medal = MEDALS[s.rank - 1] if s.rank <= 3 else f"{s.rank}."
        lines.append(f"{medal} <@{s.player_id}> — **{s.points}** points ({s.correct}/{s.answered} correct)")
    if len(standings) > STANDINGS_SHOWN:
        lines.append(f"… and {len(standings) - STANDINGS_SHOWN} more players")
    embed = discord.Embed(
        title=f"Trivia over after {session.asked} of {session.total} questions",
        description="\n".join(lines), colour=discord.Colour.gold(),
    )
    embed.set_footer(text="/trivia leaderboard shows this server's standings.")
    return embed


def leaderboard_embed(board: repo.Leaderboard, user_id: int, story_title: str | None) -> discord.Embed:
    def line(r: repo.LeaderboardRow) -> str:
        return (
            f"**{r.rank}.** <@{r.user_id}> — **{r.points}** points · {r.games} game{'s' * (r.games != 1)}"
            f" · {r.correct}/{r.answered} correct ({r.accuracy:.0%})"
        )

    lines = [line(r) for r in board.top] or ["No trivia scores here yet. `/trivia start` begins a game."]
    lines.append("")
    if board.me is None:
        lines.append("You have not scored here yet.")
    else:
        lines.append(f"Your rank: #{board.me.rank} of {board.players}")
        if board.me not in board.top:
            lines.append(line(board.me))
    # Embed titles render markdown: the story title is escaped like every other title.
    title = "Trivia leaderboard" + (f" · {safe(story_title, 200)}" if story_title else "")
    return discord.Embed(title=title, description="\n".join(lines), colour=discord.Colour.gold())


@app_commands.guild_only()
class Trivia(commands.GroupCog, group_name="trivia", group_description="Trivia games about the stories"):
    """Trivia games: one per channel, questions generated from the stories."""

    def __init__(self, bot: commands.Bot, *, answer_seconds: float = ANSWER_SECONDS,
                 pause_seconds: float = PAUSE_SECONDS) -> None:
        self.bot = bot
        # Tests shorten both; players get the defaults.
        self.answer_seconds = answer_seconds
        self.pause_seconds = pause_seconds
        self.games: dict[int, RunningGame] = {}  # by channel id
        self._starting: set[int] = set()  # channels whose game is being prepared
        self._unloading = False  # the bot is stopping: no game loop may start any more
        self._tasks: set[asyncio.Task[None]] = set()  # every game loop until it has ended
        self.rng = random.Random()

    @property
    def store(self) -> Store:
        return self.bot.store  # type: ignore[attr-defined]

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(AnswerButton)
        # Games the bot left running when it stopped: close them, keep their scores, say so. Only
        # this process's servers: another process may be running the games of the others.
        for game in await repo.close_interrupted_games(self.store, self.bot.owns_guild):  # type: ignore[attr-defined]
            await self._edit_interrupted(game.channel_id, game.message_id, game.questions_done, game.questions_planned)

    async def cog_unload(self) -> None:
        """Every game ends here, its task included: the store closes after the bot, so a game task
        still running then would finish against a closed database."""
        self.bot.remove_dynamic_items(AnswerButton)
        self._unloading = True
        games = list(self.games.values())
        # Ask each loop to stop at its next step rather than cancelling it: a cancel in the middle
        # of a write would leave the shared connection's transaction in an unknown state.
        for game in games:
            game.closing = True
            game.wake.set()
        # Also the tasks of games already finishing (no longer listed in self.games).
        if cancelled := await finish_or_cancel(set(self._tasks), SHUTDOWN_GRACE):
            log.warning("%d trivia games did not stop in time; they were cancelled", cancelled)
        for game in games:
            # Still being announced by /trivia start (no loop yet), or cancelled above.
            if not game.finished:
                game.session.interrupt()
                await self._finish_logged(game)

    # ---------------------------------------------------------------------------------- commands

    @app_commands.command(name="start", description="Start a trivia game in this channel")
    @app_commands.autocomplete(story=story_autocomplete)
    @app_commands.describe(
        story="Ask only about this story (default: every story here)",
        questions=f"How many questions (1-{MAX_QUESTIONS}, default {DEFAULT_QUESTIONS})",
    )
    async def start(
        self, interaction: discord.Interaction, story: str | None = None,
        questions: app_commands.Range[int, 1, MAX_QUESTIONS] = DEFAULT_QUESTIONS,
    ) -> None:
        channel = interaction.channel
        if channel is None or interaction.guild_id is None:
            raise UserError("Trivia games run in a server channel.")
        if channel.id in self.games or channel.id in self._starting:
            raise Busy(ALREADY_RUNNING)
        self._starting.add(channel.id)
        try:
            await self._start(interaction, channel, story, questions)
        finally:
            self._starting.discard(channel.id)

    async def _start(
        self, interaction: discord.Interaction, channel: Any, story_typed: str | None, count: int
    ) -> None:
        # A game in a channel is seen by everyone there: the server's spoiler limits, nobody's own
        # (read with the story named, in one round trip).
        audience = audience_of(interaction)
        chosen, limits = await story_and_limits(self.store, audience, story_typed, None)
        audience = dataclasses.replace(audience, limits=limits)
        await interaction.response.defer(ephemeral=True, thinking=True)
        seed = self.rng.getrandbits(64)
        material = await repo.load_game_material(
            self.store, audience, chosen.id if chosen else None, random.Random(seed)
        )
        # Generation runs in a worker thread; the story text it reads (StoredText) is queried
        # through this loop while the thread waits.
        picked = await asyncio.to_thread(generate_questions, material, count, rng=random.Random(seed))
        if not picked:
            where = f"“{safe(chosen.title, 100)}”" if chosen else "the stories here"
            raise NothingMatches(f"There is not enough story text in {where} to make trivia questions.")
        try:
            game_id = await repo.create_game(
                self.store, guild_id=interaction.guild_id, channel_id=channel.id,
                starter_id=interaction.user.id, story_id=chosen.id if chosen else None, questions=len(picked),
            )
        except repo.GameAlreadyRunning:
            raise Busy(ALREADY_RUNNING) from None
        game = RunningGame(
            game_id, interaction.guild_id, channel, channel.id, interaction.user.id,
            GameSession(picked, answer_seconds=self.answer_seconds),
        )
        self.games[channel.id] = game
        about = f"*{escape(chosen.title)}*" if chosen else "the stories in this server"
        short = f" (only {len(picked)} could be made)" if len(picked) < count else ""
        asked = f"{len(picked)} question{'s' * (len(picked) != 1)}"
        try:
            await channel.send(
                f"🎲 <@{game.starter_id}> started a trivia game: {asked}{short} about {about}. "
                f"You get {self.answer_seconds:g} s per question and one answer each.",
                allowed_mentions=NO_MENTIONS,
            )
        except discord.HTTPException:
            self.games.pop(channel.id, None)
            await repo.end_game(self.store, game_id, EndReason.STOPPED.value)
            raise
        if self._unloading or game.finished:
            # The bot began stopping while the game was announced: cog_unload ended it, or, if it
            # came too late for that, the next start marks it interrupted (cog_load).
            return
        game.task = asyncio.create_task(self._run(game), name=f"trivia-{game_id}")
        self._tasks.add(game.task)
        game.task.add_done_callback(self._tasks.discard)
        await interaction.followup.send(
            f"Game on: {asked}{short}.", ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @app_commands.command(name="stop", description="Stop the trivia game in this channel")
    async def stop(self, interaction: discord.Interaction) -> None:
        game = self.games.get(interaction.channel_id or 0)
        if game is None:
            raise NothingMatches("No trivia game is running in this channel.")
        if interaction.user.id != game.starter_id and not interaction.permissions.manage_guild:
            raise UserError("Only the player who started this game, or someone with Manage Server, can stop it.")
        game.session.request_stop()
        game.wake.set()
        await interaction.response.send_message(
            f"⏹ <@{interaction.user.id}> stopped the game; the final standings follow.",
            allowed_mentions=NO_MENTIONS,
        )

    @app_commands.command(name="leaderboard", description="This server's trivia standings")
    @app_commands.describe(story="Count only questions about this story")
    @app_commands.autocomplete(story=story_autocomplete)
    async def leaderboard(self, interaction: discord.Interaction, story: str | None = None) -> None:
        assert interaction.guild_id is not None
        chosen = await optional_story(self.store, audience_of(interaction), story)
        board = await repo.leaderboard(
            self.store, interaction.guild_id, story_id=chosen.id if chosen else None, user_id=interaction.user.id
        )
        await interaction.response.send_message(
            embed=leaderboard_embed(board, interaction.user.id, chosen.title if chosen else None),
            allowed_mentions=NO_MENTIONS,
        )

    # ------------------------------------------------------------------------------------ playing

    def click(self, game_id: int, number: int, choice: int, user_id: int) -> str:
        """A button press: the ephemeral text the player gets."""
        game = next((g for g in self.games.values() if g.id == game_id), None)
        if game is None:
            return GAME_OVER
        current = game.session.current
        if current is None or current.number != number:
            return TOO_LATE
        outcome = game.session.answer(user_id, choice, time.time())
        if outcome is AnswerOutcome.LOCKED_IN:
            option = escape(current.question.options[choice])
            return f"🔒 Locked in: **{option}**. The answer is revealed <t:{int(current.deadline)}:R>."
        if outcome is AnswerOutcome.ALREADY_ANSWERED:
            return ALREADY_ANSWERED
        if outcome is AnswerOutcome.TOO_LATE:
            return TOO_LATE
        return "That is not one of the options."

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Typed answers to missing-word questions; without the message content intent the text
        is empty and nothing happens."""
        if message.author.bot or message.guild is None:
            return
        game = self.games.get(message.channel.id)
        if game is None or not message.content:
            return
        outcome = game.session.answer_typed(message.author.id, message.content, time.time())
        if outcome is AnswerOutcome.LOCKED_IN:
            with contextlib.suppress(discord.HTTPException):
                await message.add_reaction("🔒")

    async def _run(self, game: RunningGame) -> None:
        try:
            await self._play(game)
        except asyncio.CancelledError:
            raise  # shutting down: cog_unload finishes the game
        except (discord.Forbidden, discord.NotFound) as exc:
            log.warning("Trivia game %s lost its channel %s: %s", game.id, game.channel_id, exc)
            game.session.interrupt()
        except Exception:
            log.exception("Trivia game %s failed", game.id)
            game.session.interrupt()
        await self._finish_logged(game)

    async def _play(self, game: RunningGame) -> None:
        session = game.session
        typed = self.bot.intents.message_content
        while not session.is_over and not game.closing:
            # Opened before the post so that a click arriving as soon as the message lands counts.
            posted = session.open_question(time.time())
            game.message = await game.channel.send(
                embed=question_embed(posted, typed=typed), view=answer_view(game.id, posted),
                allowed_mentions=NO_MENTIONS,
            )
            await repo.set_game_message(self.store, game.id, game.message.id)
            # discord.py may have retried the post for seconds (5xx): the window starts now.
            opened = session.question_shown(time.time())
            if int(opened.deadline) != int(posted.deadline):
                await self._edit_question(game, embed=question_embed(opened, typed=typed))
            await self._sleep(game, opened.deadline - time.time())
            # Time is up, /trivia stop, or the bot is stopping: in each case the answers locked in count.
            result = session.close_question()
            await repo.record_question(
                self.store, game_id=game.id, question_no=result.number, guild_id=game.guild_id,
                story_id=result.question.story_id,
                answers=[repo.ScoredAnswer(a.player_id, a.correct, a.points) for a in result.answers],
            )
            await self._edit_question(
                game, embed=result_embed(opened, result, pause=None if game.closing else self.pause_seconds),
                view=answer_view(game.id, opened, result),
            )
            if result.game_over is None:
                await self._sleep(game, self.pause_seconds)
        if game.closing:
            session.interrupt()

    async def _edit_question(self, game: RunningGame, **fields: Any) -> None:
        assert game.message is not None
        try:
            await game.message.edit(allowed_mentions=NO_MENTIONS, **fields)
        except discord.NotFound:
            log.info("Trivia game %s: question message was deleted; playing on", game.id)

    async def _sleep(self, game: RunningGame, seconds: float) -> None:
        """Wait, waking early for /trivia stop."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(game.wake.wait(), timeout=max(0.0, seconds))

    async def _finish(self, game: RunningGame) -> None:
        """The one way a game ends: its state is saved (scores already are, per question) and the
        channel is told."""
        if game.finished:
            return
        game.finished = True
        if self.games.get(game.channel_id) is game:
            del self.games[game.channel_id]
        reason = game.session.end_reason or EndReason.INTERRUPTED
        await repo.end_game(self.store, game.id, reason.value)
        if reason is EndReason.INTERRUPTED:
            if game.message is not None:
                await self._edit_interrupted(game.channel_id, game.message.id, game.session.asked, game.session.total)
            return
        try:
            await game.channel.send(embed=standings_embed(game.session), allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            log.warning("Could not post the standings of trivia game %s: %s", game.id, exc)

    async def _finish_logged(self, game: RunningGame) -> None:
        """_finish, whose failure is logged rather than left in a task nobody awaits for a result."""
        try:
            await self._finish(game)
        except Exception:
            log.exception("Trivia game %s could not be closed", game.id)

    async def _edit_interrupted(self, channel_id: int, message_id: int | None, done: int, planned: int) -> None:
        if message_id is None:
            return
        message = self.bot.get_partial_messageable(channel_id).get_partial_message(message_id)
        try:
            await message.edit(content=interrupted_text(done, planned), view=None, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            # Deleted message or lost access: the game is closed in the database all the same.
            log.info("Could not mark interrupted trivia message %s: %s", message_id, exc)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Trivia(bot))

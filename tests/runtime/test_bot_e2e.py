"""The real StoryBot against the local Discord: handshake, sync, /help, errors, gateway and REST faults."""
from __future__ import annotations

import asyncio
import logging
import time

import discord
import pytest
from discord import app_commands

from bot.errors import StoryNotFound
from bot.runtime import APOLOGY, INTENTS, STALE_COMPONENT, discover_cogs
from bot.store.loader import load_directory
from bot.views import StoryView
from tests.conftest import SEEDS
from tests.discord_local import LocalDiscord

GUILDS_INTENT = 1 << 0
GUILD_MESSAGES, MESSAGE_CONTENT = 1 << 9, 1 << 15
PRIVILEGED = (1 << 1) | (1 << 8) | MESSAGE_CONTENT
META = ("cogs.meta",)


@pytest.fixture
async def metabot(make_storybot):
    """The runtime alone (only cogs.meta): feature cogs under construction cannot disturb it."""
    async with make_storybot(extensions=META) as harness:
        yield harness


def test_minimal_intents_are_not_privileged():
    assert INTENTS.value == GUILDS_INTENT


async def test_handshake(storybot):
    server, bot = storybot.server, storybot.bot
    assert bot.user is not None and bot.user.id == storybot.world.bot_user.id
    assert {g.id for g in bot.guilds} == {storybot.guild.id, storybot.other_guild.id}
    identify = server.gateway.identifies[-1]
    assert identify["intents"] & PRIVILEGED == 0
    assert identify["token"] == server.token
    routes = [r.route for r in server.requests]
    assert routes[:2] == ["GET /users/@me", "GET /oauth2/applications/@me"]
    assert "PUT /applications/{app_id}/commands" in routes


async def test_every_cog_loads(storybot):
    loaded = set(storybot.bot.extensions)
    assert loaded == set(discover_cogs())


async def test_unchanged_seeds_reload_in_under_a_second(storybot):
    started = time.perf_counter()
    report = await load_directory(storybot.store, SEEDS)
    elapsed = time.perf_counter() - started
    assert report.outcomes and {o.status for o in report.outcomes} == {"unchanged"}
    assert elapsed < 1.0, f"reloading unchanged seeds took {elapsed:.2f}s"


async def test_help_lists_every_command_from_the_tree(metabot):
    bot = metabot.bot

    @app_commands.command(name="zz-probe", description="A command added after start-up")
    async def probe(interaction: discord.Interaction) -> None: ...

    bot.tree.add_command(probe)
    reply = await (await metabot.run("help")).reply()
    assert reply.ephemeral and reply.pings == {}
    text = reply.text()
    invocable = [c for c in bot.tree.walk_commands() if isinstance(c, app_commands.Command)]
    assert len(invocable) >= 2
    for command in invocable:
        assert f"/{command.qualified_name}` · {command.description}" in text
    groups = [c for c in bot.tree.walk_commands() if isinstance(c, app_commands.Group)]
    for group in groups:
        assert f"`/{group.qualified_name}` ·" not in text


async def test_a_broken_cog_is_logged_and_the_others_load(make_storybot):
    async with make_storybot(extensions=("storybot_broken_cog", *META)) as sb:
        sb.allow_errors(r"storybot_broken_cog failed to load")
        assert "cogs.meta" in sb.bot.extensions and "storybot_broken_cog" not in sb.bot.extensions
        assert any("failed to load" in r.getMessage() for r in sb.errors.records)
        assert (await (await sb.run("help")).reply()).ephemeral


def add_failing_commands(tree: app_commands.CommandTree) -> None:
    @tree.command(name="explode", description="Fails with a bug")
    async def explode(interaction: discord.Interaction) -> None:
        raise RuntimeError("kaboom for the test")

    @tree.command(name="explode-late", description="Defers, then fails with a bug")
    async def explode_late(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        raise RuntimeError("late kaboom for the test")

    @tree.command(name="missing", description="Fails the way a user can cause")
    async def missing(interaction: discord.Interaction) -> None:
        raise StoryNotFound("Moby Dick")

    @tree.command(name="manage-only", description="Needs Manage Server")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def manage_only(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("ok", ephemeral=True)


async def test_a_bug_gets_an_apology_and_is_logged(metabot):
    add_failing_commands(metabot.bot.tree)
    await metabot.bot.tree.sync()
    metabot.allow_errors(r"kaboom for the test")
    reply = await (await metabot.run("explode")).reply()
    assert reply.ephemeral and reply.content == APOLOGY
    # After a defer the first follow-up fills in the "thinking…" message (as on Discord).
    late = await (await metabot.run("explode-late")).reply()
    assert late.content == APOLOGY and not late.loading
    logged = [r for r in metabot.errors.records if r.name == "bot.runtime"]
    assert len(logged) == 2
    assert all(r.exc_info and "kaboom for the test" in str(r.exc_info[1]) for r in logged)
    assert "Traceback" not in reply.content


async def test_a_user_error_gets_a_short_private_reply_and_no_log(metabot):
    add_failing_commands(metabot.bot.tree)
    await metabot.bot.tree.sync()
    reply = await (await metabot.run("missing")).reply()
    assert reply.ephemeral
    assert reply.content == str(StoryNotFound("Moby Dick")) and len(reply.content) < 200
    denied = await (await metabot.run("manage-only", user=metabot.member)).reply()
    assert denied.ephemeral and "Manage Server" in denied.content
    allowed = await (await metabot.run("manage-only", user=metabot.moderator)).reply()
    assert allowed.content == "ok"
    assert metabot.errors.records == []


class ExplodingView(StoryView):
    @discord.ui.button(label="Boom", custom_id="test:boom")
    async def boom(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        raise RuntimeError("view kaboom for the test")

    @discord.ui.button(label="Gone", custom_id="test:gone")
    async def gone(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        raise StoryNotFound()


async def test_views_share_the_error_handler_owner_check_and_timeout(metabot):
    views: list[ExplodingView] = []

    @metabot.bot.tree.command(name="buttons", description="A view for the test")
    async def buttons(interaction: discord.Interaction) -> None:
        view = ExplodingView(owner_id=interaction.user.id, timeout=1.0)
        views.append(view)
        await interaction.response.send_message("pick one", view=view)
        view.message = await interaction.original_response()

    await metabot.bot.tree.sync()
    metabot.allow_errors(r"view kaboom for the test")
    message = await (await metabot.run("buttons")).reply()

    boom = await (await metabot.click(message, "test:boom")).reply()
    assert boom.ephemeral and boom.content == APOLOGY
    gone = await (await metabot.click(message, "test:gone")).reply()
    assert gone.ephemeral and gone.content == str(StoryNotFound())
    stranger = await (await metabot.click(message, "test:gone", user=metabot.admin)).reply()
    assert stranger.ephemeral and "someone else" in stranger.content

    await metabot.server.wait_until(
        lambda: all(c.get("disabled") for row in metabot.server.messages[message.id].components
                    for c in row["components"]),
        5.0, "buttons disabled after the view timed out",
    )
    assert views[0].is_finished()


async def test_restart_does_not_resync_an_unchanged_tree(make_storybot, fresh_database, local_discord):
    database = fresh_database()
    put = "PUT /applications/{app_id}/commands"

    def global_syncs() -> int:
        return sum(1 for r in local_discord.requests if r.route == put)

    async with make_storybot(database=database, extensions=META):
        assert global_syncs() == 1
        assert {c["name"] for c in local_discord.global_commands} == {"help"}
    async with make_storybot(database=database, extensions=META):
        assert global_syncs() == 1
    async with make_storybot(database=database, extensions=(*META, "storybot_probe_cog")) as sb:
        assert global_syncs() == 2
        assert {c["name"] for c in local_discord.global_commands} == {"help", "probe"}
        assert (await (await sb.run("probe")).reply()).content == "pong"


async def test_dev_guild_sync_goes_to_that_guild_only(make_storybot, local_discord):
    async with make_storybot(dev_guild=True, extensions=META) as sb:
        assert local_discord.global_commands == []
        assert {c["name"] for c in local_discord.guild_commands[sb.guild.id]} == {"help"}
        assert (await (await sb.run("help")).reply()).ephemeral
    async with make_storybot(dev_guild=True, extensions=META):
        guild_syncs = [r for r in local_discord.requests if r.route.startswith("PUT /applications/{app_id}/guilds")]
        assert len(guild_syncs) == 2


async def test_gateway_reconnect_resumes_and_the_bot_still_answers(metabot):
    server = metabot.server
    assert server.send_reconnect() == 1
    await server.wait_until(lambda: server.gateway.resumes and server.gateway.live_sessions(), 10,
                            "a RESUME after op 7")
    assert len(server.gateway.identifies) == 1
    assert (await (await metabot.run("help")).reply()).ephemeral


async def test_invalid_session_reidentifies_and_the_bot_still_answers(metabot):
    server = metabot.server
    assert server.invalidate_session(resumable=False) == 1
    await server.wait_until(
        lambda: len(server.gateway.identifies) == 2 and server.gateway.live_sessions(), 15,
        "a new IDENTIFY after op 9",
    )
    assert (await (await metabot.run("help")).reply()).ephemeral


async def test_resumable_invalid_session_resumes(metabot):
    server = metabot.server
    server.invalidate_session(resumable=True)
    await server.wait_until(lambda: server.gateway.resumes and server.gateway.live_sessions(), 10,
                            "a RESUME after a resumable op 9")
    assert (await (await metabot.run("help")).reply()).ephemeral


async def test_rate_limited_callback_is_retried_after_retry_after(metabot):
    server = metabot.server
    route = "POST /interactions/{interaction_id}/{token}/callback"
    server.fail_next(route, status=429, retry_after=0.4)
    reply = await (await metabot.run("help")).reply(timeout=5)
    assert reply.ephemeral
    tries = [r for r in server.requests if r.route == route]
    assert [r.status for r in tries] == [429, 200]
    assert tries[1].at - tries[0].at >= 0.4


async def test_rate_limited_sync_at_start_up_is_retried(make_storybot, local_discord):
    route = "PUT /applications/{app_id}/commands"
    local_discord.fail_next(route, status=429, retry_after=0.3)
    async with make_storybot(extensions=META):
        tries = [r for r in local_discord.requests if r.route == route]
        assert [r.status for r in tries] == [429, 200]
        assert tries[1].at - tries[0].at >= 0.3


async def test_server_error_on_a_reply_is_retried(metabot):
    route = "POST /interactions/{interaction_id}/{token}/callback"
    metabot.server.fail_next(route, status=502)
    assert (await (await metabot.run("help")).reply()).ephemeral
    assert [r.status for r in metabot.server.requests if r.route == route] == [502, 200]


class PortalWithMessageContent(LocalDiscord):
    """A local Discord whose application has the Message Content intent switched on."""

    async def _get_application(self, request):
        data = await super()._get_application(request)
        data["flags"] = 1 << 19  # GATEWAY_MESSAGE_CONTENT_LIMITED
        return data


async def test_message_content_is_requested_only_when_the_portal_allows_it(make_storybot, local_discord):
    async with make_storybot(extensions=META) as plain:
        assert not plain.bot.intents.message_content
        assert local_discord.gateway.identifies[-1]["intents"] == GUILDS_INTENT
    async with PortalWithMessageContent() as portal, make_storybot(server=portal, extensions=META) as sb:
        assert sb.bot.intents.message_content and sb.bot.intents.guild_messages
        assert portal.gateway.identifies[-1]["intents"] == GUILDS_INTENT | GUILD_MESSAGES | MESSAGE_CONTENT
    # That bot's intents were its own: the next bot in this process asks for the minimum again.
    async with make_storybot(extensions=META) as after:
        assert not after.bot.intents.message_content
        assert local_discord.gateway.identifies[-1]["intents"] == GUILDS_INTENT


async def test_a_command_discord_still_shows_after_removal_gets_a_reply(metabot):
    @metabot.bot.tree.command(name="fleeting", description="Removed after the sync")
    async def fleeting(interaction: discord.Interaction) -> None: ...

    await metabot.bot.tree.sync()
    metabot.bot.tree.remove_command("fleeting")
    reply = await (await metabot.run("fleeting")).reply()
    assert reply.ephemeral and "try again in a minute" in reply.content
    assert metabot.errors.records == []


class WarningSeen(logging.Handler):
    """Sets an event when a record containing ``text`` is logged."""

    def __init__(self, text: str) -> None:
        super().__init__(logging.WARNING)
        self.text, self.seen = text, asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.seen.set()


async def test_an_expired_interaction_is_logged_as_a_warning_not_raised(metabot):
    @metabot.bot.tree.command(name="dawdle", description="Answers too late")
    async def dawdle(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.3)
        raise StoryNotFound()

    await metabot.bot.tree.sync()
    metabot.server.interaction_deadline = 0.1
    watcher = WarningSeen("Could not answer interaction")
    logging.getLogger("bot.runtime").addHandler(watcher)
    try:
        handle = await metabot.run("dawdle")
        await asyncio.wait_for(watcher.seen.wait(), 5)
    finally:
        logging.getLogger("bot.runtime").removeHandler(watcher)
    assert not handle.responded
    assert [v.rule for v in metabot.server.take_violations()] == ["interaction-deadline"]
    assert metabot.errors.records == []


async def test_a_button_whose_view_is_gone_still_gets_an_answer(metabot):
    @metabot.bot.tree.command(name="shortlived", description="A view that stops at once")
    async def shortlived(interaction: discord.Interaction) -> None:
        view = ExplodingView(timeout=None)
        await interaction.response.send_message("buttons", view=view)
        view.stop()  # as if the bot had restarted since

    await metabot.bot.tree.sync()
    message = await (await metabot.run("shortlived")).reply()
    reply = await (await metabot.click(message, "test:boom")).reply(timeout=5)
    assert reply.ephemeral and reply.content == STALE_COMPONENT


async def test_missing_channel_permissions_are_explained_not_logged_as_bugs(metabot):
    @metabot.bot.tree.command(name="announce", description="Posts in the channel")
    async def announce(interaction: discord.Interaction) -> None:
        await interaction.channel.send("hello")

    await metabot.bot.tree.sync()
    metabot.server.fail_next("POST /channels/{channel_id}/messages", status=403)
    watcher = WarningSeen("403")
    logging.getLogger("bot.runtime").addHandler(watcher)
    try:
        reply = await (await metabot.run("announce")).reply()
    finally:
        logging.getLogger("bot.runtime").removeHandler(watcher)
    assert reply.ephemeral and "permissions" in reply.content
    assert watcher.seen.is_set()
    assert metabot.errors.records == []

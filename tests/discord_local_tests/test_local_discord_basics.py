"""An unmodified discord.py bot logs in, syncs, and answers commands and buttons on the local Discord."""

from __future__ import annotations

import asyncio

import discord
from discord import app_commands
from discord.ext import commands

from tests.discord_local import LocalDiscord


def make_bot(**kwargs) -> commands.Bot:
    intents = kwargs.pop("intents", discord.Intents.default())
    return commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.05, **kwargs)


class Pager(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=30)
        self.clicks = 0

    @discord.ui.button(label="Next", custom_id="pager:next")
    async def next_page(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.clicks += 1
        await interaction.response.edit_message(content=f"page {self.clicks + 1}", view=self)


def story_bot(server: LocalDiscord) -> commands.Bot:
    bot = make_bot()
    guild = discord.Object(server.world.guild.id)

    @bot.tree.command(description="Say hello")
    @app_commands.describe(name="who to greet", times="how often")
    async def hello(interaction: discord.Interaction, name: str, times: int = 1) -> None:
        await interaction.response.send_message(" ".join([f"Hello {name}!"] * times))

    @bot.tree.command(description="Think first, then answer")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await asyncio.sleep(0.05)
        await interaction.followup.send("done thinking", ephemeral=True)
        await interaction.followup.send("and one more")

    @bot.tree.command(description="A page with a button")
    async def page(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("page 1", view=Pager())

    async def setup_hook() -> None:
        bot.tree.copy_global_to(guild=guild)
        await bot.tree.sync(guild=guild)
        await bot.tree.sync()

    bot.setup_hook = setup_hook
    return bot


async def test_handshake_reaches_ready_with_both_guilds(server, run_bot):
    bot = await run_bot(make_bot())
    assert bot.user.id == server.world.bot_user.id
    assert {g.id for g in bot.guilds} == {server.world.guild.id, server.world.other_guild.id}
    guild = bot.get_guild(server.world.guild.id)
    assert guild.get_channel(server.world.nsfw_channel.id).is_nsfw()
    assert [r.route for r in server.requests[:2]] == [
        "GET /users/@me",
        "GET /oauth2/applications/@me",
    ]
    assert server.gateway.identifies[0]["intents"] == discord.Intents.default().value


async def test_commands_sync_globally_and_to_a_guild(server, run_bot):
    await run_bot(story_bot(server))
    names = sorted(c["name"] for c in server.global_commands)
    assert names == ["hello", "page", "slow"]
    guild_cmds = server.guild_commands[server.world.guild.id]
    assert sorted(c["name"] for c in guild_cmds) == names
    hello = next(c for c in guild_cmds if c["name"] == "hello")
    assert hello["guild_id"] == str(server.world.guild.id)
    assert [(o["name"], o["type"], o.get("required", False)) for o in hello["options"]] == [
        ("name", 3, True),
        ("times", 4, False),
    ]


async def test_slash_command_is_answered_with_typed_options(server, run_bot):
    await run_bot(story_bot(server))
    world = server.world
    handle = await server.run_command(
        world.member, world.general, "hello", {"name": "Mel", "times": 2}
    )
    reply = await handle.reply()
    assert reply.content == "Hello Mel! Hello Mel!"
    assert not reply.ephemeral
    assert server.messages_in(world.general) == [reply]
    assert (await handle.response()).type == 4


async def test_deferred_response_then_followups(server, run_bot):
    await run_bot(story_bot(server))
    world = server.world
    handle = await server.run_command(world.admin, world.general, "slow")
    first = await handle.response()
    assert first.type == 5 and first.ephemeral
    reply = await handle.reply()
    assert reply.content == "done thinking" and reply.ephemeral
    followups = await handle.followups(1)
    assert followups[0].content == "and one more" and not followups[0].ephemeral
    assert server.messages_in(world.general) == [followups[0]]
    assert server.ephemeral_messages(world.admin) == [reply]


async def test_button_click_updates_the_message(server, run_bot):
    await run_bot(story_bot(server))
    world = server.world
    handle = await server.run_command(world.member, world.general, "page")
    message = await handle.reply()
    assert message.custom_ids() == ["pager:next"]
    click = await server.click(message, "pager:next", world.moderator)
    assert (await click.response()).type == 7
    updated = await click.reply()
    assert updated is message and message.content == "page 2"
    click = await server.click(message, "pager:next", world.member)
    await click.response()
    assert message.content == "page 3"


async def test_unknown_option_fails_the_helper_clearly(server, run_bot):
    await run_bot(story_bot(server))
    world = server.world
    try:
        await server.run_command(world.member, world.general, "hello", {"nom": "x"})
    except AssertionError as exc:
        assert "unknown option" in str(exc) and "name" in str(exc)
    else:
        raise AssertionError("an unknown option was accepted")

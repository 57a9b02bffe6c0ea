"""Modals, autocomplete, subcommands, threads, attachments, messages and mentions on the local Discord."""

from __future__ import annotations

import io

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.discord_local import LocalDiscord

STORIES = [
    "Naruto: The Return of Darkness",
    "Harry Potter and the Long Night",
    "Nara Shikamaru's Nap",
]


class TitleModal(discord.ui.Modal, title="Rename the story"):
    new_title = discord.ui.TextInput(label="New title", custom_id="rename:title", max_length=50)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            f"Renamed to {self.new_title.value}", ephemeral=True
        )


class Story(commands.GroupCog, group_name="story", group_description="Stories in this server"):
    shelf = app_commands.Group(name="shelf", description="Shelves of stories")

    @app_commands.command(description="Show a story")
    async def info(self, interaction: discord.Interaction, story: str) -> None:
        await interaction.response.send_message(f"info about {story}")

    @info.autocomplete("story")
    async def story_autocomplete(self, interaction: discord.Interaction, current: str):
        return [
            app_commands.Choice(name=s, value=s) for s in STORIES if current.lower() in s.lower()
        ]

    @app_commands.command(description="Rename a story")
    async def rename(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(TitleModal())

    @shelf.command(name="show", description="Show a shelf")
    async def shelf_show(
        self, interaction: discord.Interaction, number: app_commands.Range[int, 1, 9]
    ) -> None:
        await interaction.response.send_message(f"shelf {number} in {interaction.guild.name}")


def feature_bot(server: LocalDiscord, *, intents: discord.Intents | None = None) -> commands.Bot:
    bot = commands.Bot(
        command_prefix="!", intents=intents or discord.Intents.default(), guild_ready_timeout=0.05
    )
    bot.seen_messages = []

    @bot.tree.command(description="Open a reading thread")
    async def read(interaction: discord.Interaction, chapter: int) -> None:
        await interaction.response.send_message(f"Reading chapter {chapter}")
        message = await interaction.original_response()
        thread = await message.create_thread(name=f"Chapter {chapter}")
        await thread.send("It was a dark and stormy night.")

    @bot.tree.command(description="Open a private notes thread")
    async def notes(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        thread = await interaction.channel.create_thread(
            name="notes", type=discord.ChannelType.public_thread
        )
        await interaction.followup.send(f"made {thread.mention}", ephemeral=True)

    @bot.tree.command(description="Load an uploaded story")
    @app_commands.default_permissions(manage_guild=True)
    async def upload(interaction: discord.Interaction, file: discord.Attachment) -> None:
        data = await file.read()
        await interaction.response.send_message(
            f"{file.filename}: {len(data)} bytes, starts {data[:5].decode()}",
            file=discord.File(io.BytesIO(data.upper()), filename="loud.txt"),
        )

    @bot.tree.command(description="Quote someone")
    async def quote(interaction: discord.Interaction, who: discord.Member, safe: bool) -> None:
        mentions = discord.AllowedMentions.none() if safe else discord.AllowedMentions.all()
        await interaction.response.send_message(f"{who.mention} said hi", allowed_mentions=mentions)

    @bot.event
    async def on_message(message: discord.Message) -> None:
        bot.seen_messages.append((message.author.id, message.content))

    async def setup_hook() -> None:
        await bot.add_cog(Story())
        await bot.tree.sync()

    bot.setup_hook = setup_hook
    return bot


async def test_autocomplete_returns_matching_choices(server, run_bot):
    await run_bot(feature_bot(server))
    world = server.world
    choices = await server.autocomplete(
        world.member, world.general, "story info", "story", {"story": "nar"}
    )
    assert [c["name"] for c in choices] == [STORIES[0], STORIES[2]]
    assert await server.autocomplete(world.member, world.general, "story info", "story") == [
        {"name": s, "value": s} for s in STORIES
    ]


async def test_modal_opens_and_its_submission_is_answered(server, run_bot):
    await run_bot(feature_bot(server))
    world = server.world
    opened = await server.run_command(world.member, world.general, "story rename")
    modal = await opened.modal()
    assert modal["title"] == "Rename the story"
    submitted = await server.submit_modal(opened, {"rename:title": "The Long Night"})
    reply = await submitted.reply()
    assert reply.content == "Renamed to The Long Night" and reply.ephemeral


async def test_nested_subcommand_groups_and_ranges(server, run_bot):
    await run_bot(feature_bot(server))
    world = server.world
    handle = await server.run_command(
        world.member, world.general, "story", {"number": 4}, subcommand="shelf show"
    )
    assert (await handle.reply()).content == "shelf 4 in Story Den"
    try:
        await server.run_command(world.member, world.general, "story shelf show", {"number": 10})
    except AssertionError as exc:
        assert "outside 1..9" in str(exc)
    else:
        raise AssertionError("an out-of-range integer was accepted")


async def test_attachment_option_is_downloaded_and_files_are_served(server, run_bot):
    await run_bot(feature_bot(server))
    world = server.world
    upload = server.register_attachment(b"Chapter 1\nOnce upon a time", "tale.txt")
    handle = await server.run_command(world.moderator, world.general, "upload", {"file": upload})
    reply = await handle.reply()
    assert reply.content == "tale.txt: 26 bytes, starts Chapt"
    [sent] = reply.attachments
    async with aiohttp.ClientSession() as http, http.get(sent["url"]) as response:
        assert await response.read() == b"CHAPTER 1\nONCE UPON A TIME"


async def test_manage_server_command_is_hidden_from_plain_members(server, run_bot):
    await run_bot(feature_bot(server))
    world = server.world
    upload = server.register_attachment(b"x", "x.txt")
    try:
        await server.run_command(world.member, world.general, "upload", {"file": upload})
    except AssertionError as exc:
        assert "hidden from mel" in str(exc)
    else:
        raise AssertionError("a Manage Server command was usable by a plain member")


async def test_threads_from_a_message_and_without_one(server, run_bot):
    bot = await run_bot(feature_bot(server))
    world = server.world
    handle = await server.run_command(world.member, world.general, "read", {"chapter": 3})
    reply = await handle.reply()
    page = await server.wait_for_message(lambda m: m.content.startswith("It was"))
    [thread] = server.threads(world.general)
    assert thread.id == reply.id and thread.name == "Chapter 3"
    assert page.channel_id == thread.id and server.messages_in(thread) == [page]
    assert bot.get_channel(thread.id) is not None  # THREAD_CREATE reached discord.py

    handle = await server.run_command(world.member, world.general, "notes")
    note = await handle.reply()
    notes_thread = server.threads(world.general)[1]
    assert note.content == f"made <#{notes_thread.id}>" and notes_thread.type == 11


async def test_allowed_mentions_are_recorded_per_message(server, run_bot):
    await run_bot(feature_bot(server))
    world = server.world
    safe = await (
        await server.run_command(
            world.member, world.general, "quote", {"who": world.admin, "safe": True}
        )
    ).reply()
    assert safe.content == f"<@{world.admin.id}> said hi"
    assert safe.allowed_mentions == {"parse": []} and safe.pings == {}
    loud = await (
        await server.run_command(
            world.member, world.general, "quote", {"who": world.admin, "safe": False}
        )
    ).reply()
    assert loud.pings == {"users": [world.admin.id]}


async def test_posted_messages_reach_the_bot_content_only_with_the_intent(server, run_bot):
    world = server.world
    with_content = discord.Intents.default()
    with_content.message_content = True
    reader = await run_bot(feature_bot(server, intents=with_content))
    await server.post_message(world.member, world.general, "hello there")
    await server.wait_until(lambda: reader.seen_messages, 5, "MESSAGE_CREATE at the bot")
    assert reader.seen_messages == [(world.member.id, "hello there")]


async def test_posted_message_content_is_blank_without_the_intent(server, run_bot):
    world = server.world
    blind = await run_bot(feature_bot(server))
    await server.post_message(world.member, world.general, "secret words")
    await server.wait_until(lambda: blind.seen_messages, 5, "MESSAGE_CREATE at the bot")
    assert blind.seen_messages == [(world.member.id, "")]


def context_bot() -> commands.Bot:
    bot = commands.Bot(
        command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.05
    )

    @bot.tree.command(description="Where am I")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
    async def where(interaction: discord.Interaction) -> None:
        kind = (
            "dm"
            if interaction.guild is None
            else ("nsfw" if interaction.channel.is_nsfw() else "sfw")
        )
        await interaction.response.send_message(kind)

    @bot.tree.command(description="Grown-up shelf", nsfw=True)
    async def mature(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("mature shelf")

    @bot.tree.command(description="Pick a page later")
    async def later(interaction: discord.Interaction) -> None:
        view = discord.ui.View(timeout=30)
        button = discord.ui.Button(label="Go", custom_id="later:go")

        async def go(click: discord.Interaction) -> None:
            await click.response.defer()
            await click.message.edit(content="went")

        button.callback = go
        view.add_item(button)
        await interaction.response.send_message("waiting", view=view)

    async def setup_hook() -> None:
        await bot.tree.sync()

    bot.setup_hook = setup_hook
    return bot


async def test_dm_and_age_restricted_channels(server, run_bot):
    await run_bot(context_bot())
    world = server.world
    assert (
        await (await server.run_command(world.member, world.dm, "where")).reply()
    ).content == "dm"
    assert (
        await (await server.run_command(world.member, world.nsfw_channel, "where")).reply()
    ).content == "nsfw"
    assert (
        await (await server.run_command(world.admin, world.nsfw_channel, "mature")).reply()
    ).content == ("mature shelf")
    try:
        await server.run_command(world.admin, world.general, "mature")
    except AssertionError as exc:
        assert "age-restricted" in str(exc)
    else:
        raise AssertionError("an age-restricted command ran in a normal channel")


async def test_deferred_update_then_message_edit_is_the_reply(server, run_bot):
    await run_bot(context_bot())
    world = server.world
    message = await (await server.run_command(world.member, world.general, "later")).reply()
    click = await server.click(message, "later:go", world.member)
    assert (await click.response()).type == 6
    assert (await click.reply()) is message and message.content == "went"


def careless_bot() -> commands.Bot:
    bot = commands.Bot(
        command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.05
    )

    @bot.tree.command(description="Too many suggestions")
    async def pick(interaction: discord.Interaction, word: str) -> None:
        await interaction.response.send_message(word)

    @pick.autocomplete("word")
    async def pick_autocomplete(interaction: discord.Interaction, current: str):
        return [app_commands.Choice(name=f"w{i}", value=f"w{i}") for i in range(26)]

    @bot.tree.command(description="A thread with a very long name")
    async def longthread(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("opening")
        message = await interaction.original_response()
        await message.create_thread(name="n" * 101)

    async def setup_hook() -> None:
        await bot.tree.sync()

    bot.setup_hook = setup_hook
    return bot


async def test_more_than_25_choices_is_a_violation(server, run_bot, discord_errors):
    await run_bot(careless_bot())
    world = server.world
    with pytest.raises(AssertionError, match="gave up waiting for a response"):
        await server.autocomplete(world.member, world.general, "pick", "word", timeout=0.5)
    await server.wait_until(lambda: server.violations, 5, "a violation")
    [violation] = server.take_violations()
    assert violation.rule == "autocomplete-limits"
    assert violation.detail == "26 autocomplete choices (max 25)"
    await server.wait_until(
        lambda: discord_errors.records, 5, "discord.py logging the refused response"
    )
    discord_errors.records.clear()


async def test_thread_name_over_100_is_a_violation(server, run_bot, discord_errors):
    await run_bot(careless_bot())
    world = server.world
    await (await server.run_command(world.member, world.general, "longthread")).reply()
    await server.wait_until(lambda: server.violations, 5, "a violation")
    [violation] = server.take_violations()
    assert violation.rule == "thread-limits" and "101 characters" in violation.detail
    assert server.threads() == []
    await server.wait_until(
        lambda: discord_errors.records, 5, "discord.py logging the failed command"
    )
    discord_errors.records.clear()

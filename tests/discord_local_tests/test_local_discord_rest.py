"""discord.py's everyday REST calls against the local Discord: history, edits, threads, DMs, files."""

from __future__ import annotations

import io

import discord
from discord.ext import commands


def plain_bot() -> commands.Bot:
    bot = commands.Bot(
        command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.05
    )

    @bot.tree.command(description="Reply, then tidy up")
    async def tidy(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("temporary")
        note = await interaction.followup.send("note", wait=True)
        await note.edit(content="edited note")
        await interaction.edit_original_response(content="kept")
        await interaction.delete_original_response()

    @bot.tree.command(description="Choose a colour")
    async def colour(interaction: discord.Interaction) -> None:
        select = discord.ui.Select(
            custom_id="colour:pick",
            options=[discord.SelectOption(label=c) for c in ("red", "blue")],
        )

        async def picked(choice: discord.Interaction) -> None:
            await choice.response.send_message(f"you chose {select.values[0]}", ephemeral=True)

        select.callback = picked
        view = discord.ui.View(timeout=30)
        view.add_item(select)
        await interaction.response.send_message("pick one", view=view, ephemeral=True)

    @bot.tree.command(description="Whisper")
    async def whisper(interaction: discord.Interaction, user: discord.User) -> None:
        await user.send("psst")
        await interaction.response.send_message("sent", ephemeral=True)

    bot.setup_hook = lambda: bot.tree.sync()
    return bot


async def test_history_edit_delete_and_files_through_discord_py(server, run_bot):
    bot = await run_bot(plain_bot())
    world = server.world
    channel = bot.get_channel(world.general.id)
    first = await channel.send("one")
    second = await channel.send("two", file=discord.File(io.BytesIO(b"abc"), filename="a.txt"))
    assert [m.content async for m in channel.history(limit=10)] == ["two", "one"]
    fetched = await channel.fetch_message(second.id)
    assert (
        fetched.attachments[0].filename == "a.txt" and await fetched.attachments[0].read() == b"abc"
    )
    await first.edit(content="uno", embed=discord.Embed(title="T", description="D"))
    await second.delete()
    await first.add_reaction("👍")
    [stored] = server.messages_in(world.general)
    assert stored.content == "uno" and stored.embeds[0]["description"] == "D"
    assert stored.data["reactions"][0]["emoji"]["name"] == "👍"


async def test_threads_can_be_joined_archived_and_unarchived_by_sending(server, run_bot):
    bot = await run_bot(plain_bot())
    world = server.world
    channel = bot.get_channel(world.general.id)
    thread = await channel.create_thread(name="side", type=discord.ChannelType.private_thread)
    await thread.add_user(discord.Object(world.member.id))
    await thread.edit(archived=True)
    [stored] = server.threads(world.general)
    assert stored.archived and stored.type == 12 and world.member.id in stored.member_ids
    await thread.send("back again")
    assert not stored.archived and stored.message_count == 1
    await thread.edit(locked=True, archived=True)
    try:
        await thread.send("nope")
    except discord.Forbidden as exc:
        assert exc.code == 50083
    else:
        raise AssertionError("a locked thread accepted a message")


async def test_followup_edit_and_original_delete(server, run_bot):
    await run_bot(plain_bot())
    world = server.world
    handle = await server.run_command(world.member, world.general, "tidy")
    await server.wait_until(
        lambda: handle.original is not None and handle.original.deleted, 5, "deletion"
    )
    [note] = handle.followup_messages
    assert note.content == "edited note"
    assert server.messages_in(world.general) == [note]


async def test_select_menu_on_an_ephemeral_message(server, run_bot):
    await run_bot(plain_bot())
    world = server.world
    menu = await (await server.run_command(world.member, world.general, "colour")).reply()
    assert menu.ephemeral
    try:
        await server.select(menu, "colour:pick", ["blue"], world.admin)
    except AssertionError as exc:
        assert "another user's ephemeral message" in str(exc)
    else:
        raise AssertionError("someone else used an ephemeral menu")
    chosen = await server.select(menu, "colour:pick", ["blue"], world.member)
    assert (await chosen.reply()).content == "you chose blue"


async def test_user_send_opens_a_dm(server, run_bot):
    await run_bot(plain_bot())
    world = server.world
    handle = await server.run_command(world.member, world.general, "whisper", {"user": world.admin})
    await handle.reply()
    dm = world.dm_with(world.admin)
    assert [m.content for m in server.messages_in(dm)] == ["psst"]


async def test_embed_images_at_attachment_urls_show_the_attached_file(server, run_bot):
    bot = await run_bot(plain_bot())
    channel = bot.get_channel(server.world.general.id)
    embed = discord.Embed(title="chart").set_image(url="attachment://chart.png")
    embed.set_thumbnail(url="attachment://missing.png")
    sent = await channel.send(embed=embed, file=discord.File(io.BytesIO(b"\x89PNG"), filename="chart.png"))
    assert sent.embeds[0].image.url == sent.attachments[0].url
    assert sent.embeds[0].thumbnail.url is None  # no attachment of that name: nothing is shown

"""/spoilers end to end through the local Discord, and every command that shows story text
stopping at the limit."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.daily.helpers import Clock, daily_posts, fast_daily
from tests.discord_local import StoredMessage
from tests.quotes.helpers import add
from tests.spoilers.helpers import CAST, LATECOMER, TITLE, chaptered_story, leaked
from tests.trivia.test_trivia_e2e import question_message, trivia_cog


async def _setup(storybot) -> int:
    return await add(storybot.store, chaptered_story(), title=TITLE, guild_id=storybot.guild.id)


async def _text(handle) -> str:
    callback = await handle.response()
    return callback.data.get("content", "")


async def _limit(storybot, chapter: str = "1") -> str:
    handle = await storybot.run("spoilers set", {"story": TITLE, "chapter": chapter}, user=storybot.moderator)
    return await _text(handle)


def _no_leak(message: StoredMessage | str, last_chapter: int = 0) -> None:
    text = message if isinstance(message, str) else message.text()
    assert not leaked(text, last_chapter), text


async def test_set_and_clear_need_manage_server(storybot) -> None:
    await _setup(storybot)
    for name, options in (("spoilers set", {"story": TITLE, "chapter": "1"}), ("spoilers clear", {"story": TITLE})):
        handle = await storybot.run(name, options)
        assert (await handle.response()).ephemeral
        assert await _text(handle) == "You need the Manage Server permission to do that."


async def test_set_then_clear(storybot) -> None:
    await _setup(storybot)
    assert "Nothing past Chapter 2 of **Limit Tale**" in await _limit(storybot, "2")
    cleared = await _text(await storybot.run("spoilers clear", {"story": TITLE}, user=storybot.moderator))
    assert "may be shown in this server again" in cleared
    again = await _text(await storybot.run("spoilers clear", {"story": TITLE}, user=storybot.moderator))
    assert again == "**Limit Tale** has no spoiler limit in this server."


async def test_bad_chapters_get_one_clear_line(storybot) -> None:
    await _setup(storybot)
    assert await _limit(storybot, "9") == "There is no chapter 9 in “Limit Tale”."
    assert await _limit(storybot, "the end") == "“the end” is not a chapter number; pick one from the suggestions."
    assert await _limit(storybot, "Chapter 3") == "🛡️ Nothing past Chapter 3 of **Limit Tale** will be shown " \
        "in this server, in any command. `/spoilers clear` lifts it."


async def test_chapter_autocomplete_offers_the_storys_numbers(storybot) -> None:
    story_id = await _setup(storybot)
    choices = await storybot.autocomplete(
        "spoilers set", "chapter", {"story": str(story_id), "chapter": ""}, user=storybot.moderator
    )
    assert [(c["name"], c["value"]) for c in choices] == [
        ("Chapter 1: The Alpha Night", "1"), ("Chapter 2: The Beta Night", "2"), ("Chapter 3: The Gamma Night", "3"),
    ]
    narrowed = await storybot.autocomplete(
        "spoilers set", "chapter", {"story": str(story_id), "chapter": "gam"}, user=storybot.moderator
    )
    assert [c["value"] for c in narrowed] == ["3"]


async def test_every_command_stops_at_the_server_limit(storybot) -> None:
    """Fails if any one command that shows story text ignores the server's limit."""
    await _setup(storybot)
    # A line of chapter 3 on screen from before the limit: its buttons must not show more of it.
    before = await (await storybot.run("quote", {"story": TITLE, "contains": "gamma"})).reply()
    for story in ({}, {"story": TITLE}):
        offered = await storybot.autocomplete("quote", "character", {"character": "zep", **story})
        assert [c["value"] for c in offered] == [LATECOMER]
    await _limit(storybot, "1")
    # Character suggestions: no one first heard past the limit.
    for story in ({}, {"story": TITLE}):
        assert await storybot.autocomplete("quote", "character", {"character": "zep", **story}) == []
    offered = await storybot.autocomplete("quote", "character", {"character": "", "story": TITLE})
    assert sorted(c["value"] for c in offered) == sorted(CAST)
    old_context = next(c for c in before.custom_ids() if c.startswith("quote:context:"))
    assert "past the spoiler limit" in await _text(await storybot.click(before, old_context))
    old_another = next(c for c in before.custom_ids() if c.startswith("quote:again:"))
    assert "spoiler limits" in await _text(await storybot.click(before, old_another))
    old_read = next(c for c in before.custom_ids() if c.startswith("quote:read:"))
    assert "past the spoiler limit" in await _text(await storybot.click(before, old_read))

    # /quote, each filter combination: chapter 1 only, and all eight of its lines before a repeat.
    seen = []
    for _ in range(8):
        reply = await (await storybot.run("quote", {"story": TITLE})).reply()
        _no_leak(reply)
        seen.append(reply.embeds[0]["description"])
    assert len(set(seen)) == 8
    for options in ({"story": TITLE, "character": "Quillon"}, {"story": TITLE, "contains": "lantern"},
                    {"character": "Marisol"}, {"contains": "lantern burns"}):
        _no_leak(await (await storybot.run("quote", options)).reply())
    for options in ({"story": TITLE, "contains": "gamma"}, {"character": LATECOMER}):
        assert "spoiler limits" in await _text(await storybot.run("quote", options))
    # The Context button shows the paragraphs around an allowed line.
    reply = await (await storybot.run("quote", {"story": TITLE})).reply()
    context_id = next(c for c in reply.custom_ids() if c.startswith("quote:context:"))
    _no_leak(await (await storybot.click(reply, context_id)).reply())

    # /excerpt
    for _ in range(10):
        _no_leak(await (await storybot.run("excerpt", {"story": TITLE})).reply())

    # /search: hits in chapter 1 only; words only later chapters hold find nothing.
    found = await (await storybot.run("search", {"text": "lantern", "story": TITLE})).reply()
    _no_leak(found)
    assert "alpha" in found.text()
    assert "Nothing matches “gamma”" in (await (await storybot.run("search", {"text": "gamma"})).reply()).text()

    # /story info: chapter 1 listed, the rest counted; its cast only.
    info = await (await storybot.run("story info", {"story": TITLE})).reply()
    _no_leak(info)
    assert "2 later chapters hidden by the spoiler limit" in info.text()

    # /character and /story stats: figures, chart and line up to the limit; later characters unknown.
    card = await (await storybot.run("character", {"name": "Quillon", "story": TITLE})).reply()
    _no_leak(card)
    fields = {f["name"]: f["value"] for f in card.embeds[0]["fields"]}
    assert (fields["Lines spoken"], fields["Chapters"]) == ("2", "1")
    assert "Also called" not in fields and "Masked Heir" not in card.text()  # aliases: no chapter known
    assert await storybot.autocomplete("character", "name", {"name": "the mask"}) == []
    assert await _text(await storybot.run("character", {"name": "the Masked Heir"})) == (
        "No character called “the Masked Heir” was found."
    )
    assert card.attachments[0]["description"].startswith("Chart: Quillon's lines per scene: 2 lines")  # one chapter shown: by scene
    assert await _text(await storybot.run("character", {"name": LATECOMER})) == (
        f"No character called “{LATECOMER}” was found."
    )
    assert await storybot.autocomplete("character", "name", {"name": "zep"}) == []
    stats = await (await storybot.run("story stats", {"story": TITLE})).reply()
    _no_leak(stats)
    fields = {f["name"]: f["value"] for f in stats.embeds[0]["fields"]}
    assert (fields["Chapters"], fields["Quotations"]) == ("1", "8")

    # /read past the limit asks first (only the reader sees it); nothing is posted.
    asked = await storybot.run("read", {"story": TITLE, "chapter": 3})
    assert (await asked.response()).ephemeral and "past the spoiler limit" in await _text(asked)
    assert storybot.server.threads(storybot.channel) == []

    # Trivia in the channel: questions from chapter 1 only.
    trivia_cog(storybot, answer=0.6, pause=0.05)
    started = await storybot.run("trivia start", {"story": TITLE, "questions": 2}, user=storybot.admin)
    assert "Game on" in (await started.reply(timeout=10)).content
    for number in (1, 2):
        _no_leak(await question_message(storybot, number, 2))
    await (await storybot.run("trivia stop", user=storybot.admin)).response()

    # /daily: the day's quote follows the server's limit.
    clock = Clock(datetime(2031, 3, 4, 8, 0, tzinfo=UTC))
    storybot.bot.now = clock
    await (await storybot.run("daily set", {"channel": storybot.second_channel, "time": "09:00", "story": TITLE},
                              user=storybot.moderator)).response()
    fast_daily(storybot)
    clock.at += timedelta(hours=1, minutes=1)
    posts = await daily_posts(storybot, storybot.second_channel, 1)
    _no_leak(posts[0])


async def test_read_past_the_limit_opens_only_on_yes(storybot) -> None:
    await _setup(storybot)
    await _limit(storybot, "1")
    asked = await storybot.run("read", {"story": TITLE, "chapter": 2})
    prompt = await asked.reply()
    assert prompt.ephemeral and set(prompt.custom_ids()) == {"read:spoiler:yes", "read:spoiler:no"}
    cancelled = await storybot.click(prompt, "read:spoiler:no")
    assert (await cancelled.response()).data.get("content") == "Not opened."
    assert storybot.server.threads(storybot.channel) == []

    prompt = await (await storybot.run("read", {"story": TITLE, "chapter": 2})).reply()
    await storybot.click(prompt, "read:spoiler:yes")
    await storybot.server.wait_until(lambda: storybot.server.threads(storybot.channel), 10, "the reader thread")
    thread = storybot.server.threads(storybot.channel)[0]
    page = await storybot.server.wait_for_message(lambda m: "-# Page" in m.content, channel=thread)
    assert "beta" in page.content
    # Within the limit: no question asked.
    opened = await storybot.run("read", {"story": TITLE, "chapter": 1})
    assert "past the spoiler limit" not in ((await opened.response()).data.get("content") or "")


async def test_reader_mode_follows_the_readers_bookmark(storybot) -> None:
    await _setup(storybot)
    on = await storybot.run("spoilers mine", {"on": True})
    assert (await on.response()).ephemeral and "nothing past the chapter of your bookmark" in await _text(on)
    # No bookmark yet: the first chapter only.
    for _ in range(8):
        _no_leak(await (await storybot.run("quote", {"story": TITLE})).reply())
    # Reading chapter 2 (past their own limit: asked first) moves the limit to chapter 2.
    prompt = await (await storybot.run("read", {"story": TITLE, "chapter": 2})).reply()
    await storybot.click(prompt, "read:spoiler:yes")
    await storybot.server.wait_until(lambda: storybot.server.threads(storybot.channel), 10, "the reader thread")
    seen = []
    for _ in range(16):
        reply = await (await storybot.run("quote", {"story": TITLE})).reply()
        _no_leak(reply, 1)
        seen.append(reply.text())
    assert any("beta" in t for t in seen) and any("alpha" in t for t in seen)
    # Someone else is not limited; nor is the reader once they turn it off.
    hidden = (await (await storybot.run("search", {"text": "gamma"})).reply()).text()
    assert "Nothing matches" in hidden
    assert "Nothing matches" not in (await (await storybot.run("search", {"text": "gamma"}, user=storybot.admin)).reply()).text()
    await (await storybot.run("spoilers mine", {"on": False})).response()
    assert "Nothing matches" not in (await (await storybot.run("search", {"text": "gamma"})).reply()).text()

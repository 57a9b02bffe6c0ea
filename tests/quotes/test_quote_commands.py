"""End to end through the local Discord: /quote, /excerpt and their buttons."""
from __future__ import annotations

import re
import sys

from tests.quotes.helpers import NASTY_LINE, add, dialogue_story, prose_story

FOOTER = "Spark Tale · Chapter 7: The Smallest Spark"


def _no_mentions(message) -> None:
    assert message.allowed_mentions == {"parse": []}, message.allowed_mentions
    assert message.pings == {}


def _shown_safely(text: str) -> None:
    """Mentions cannot resolve and markdown shows literally."""
    assert "@everyone" not in text and not re.search(r"<@[!&]?\d+>", text)
    assert r"\*\*bold\*\*" in text and r"\`code\`" in text and r"\|\|spoiler\|\|" in text


def _button(message, prefix: str) -> str:
    return next(cid for cid in message.custom_ids() if cid.startswith(prefix))


async def test_quote_shows_line_speaker_footer_and_buttons(storybot) -> None:
    story_id = await add(storybot.store, dialogue_story("spark", lines=4), title="Spark Tale",
                         guild_id=storybot.guild.id)
    reply = await (await storybot.run("quote", {"story": str(story_id)})).reply()
    embed = reply.embeds[0]
    assert re.fullmatch(r"“spark line number \d has enough words”", embed["description"])
    assert embed["author"]["name"] in {"Naruto", "Sasuke"}
    assert embed["footer"]["text"] == FOOTER
    assert len(reply.custom_ids()) == 3 and all(len(c) <= 100 for c in reply.custom_ids())
    _no_mentions(reply)


async def test_quote_story_by_typed_title_and_character(storybot) -> None:
    await add(storybot.store, dialogue_story("spark", lines=6), title="Spark Tale", guild_id=storybot.guild.id)
    for _ in range(3):
        reply = await (await storybot.run("quote", {"story": "spark tale", "character": "Sasuke"})).reply()
        assert reply.embeds[0]["author"]["name"] == "Sasuke"


async def test_story_text_is_shown_safely(storybot) -> None:
    story = dialogue_story("nasty", lines=2, extra_quotes=(NASTY_LINE,))
    await add(storybot.store, story, title="Nasty **Title**", guild_id=storybot.guild.id)
    reply = await (await storybot.run("quote", {"story": "Nasty **Title**", "contains": "spoiler"})).reply()
    _shown_safely(reply.embeds[0]["description"])
    _no_mentions(reply)
    context = await (await storybot.click(reply, _button(reply, "quote:context:"))).reply()
    _shown_safely(context.embeds[0]["description"])
    _no_mentions(context)


async def test_another_serves_every_line_before_repeating(storybot) -> None:
    await add(storybot.store, dialogue_story("spark", lines=5), title="Spark Tale", guild_id=storybot.guild.id)
    message = await (await storybot.run("quote", {"story": "Spark Tale"})).reply()
    seen = [message.embeds[0]["description"]]
    for _ in range(4):
        message = await (await storybot.click(message, _button(message, "quote:again:"))).reply()
        seen.append(message.embeds[0]["description"])
        _no_mentions(message)
    assert len(set(seen)) == 5  # fragments ("No!") and the over-long speech never appear
    message = await (await storybot.click(message, _button(message, "quote:again:"))).reply()
    assert message.embeds[0]["description"] in seen


async def test_context_is_private_with_the_line_in_bold(storybot) -> None:
    await add(storybot.store, dialogue_story("spark", lines=5), title="Spark Tale", guild_id=storybot.guild.id)
    reply = await (await storybot.run("quote", {"story": "Spark Tale", "contains": "number 2"})).reply()
    handle = await storybot.click(reply, _button(reply, "quote:context:"))
    assert (await handle.response()).ephemeral
    context = await handle.reply()
    paragraphs = context.embeds[0]["description"].split("\n\n")
    assert paragraphs[1] == '"**spark line number 2 has enough words**" said someone in spark.'
    assert "number 1" in paragraphs[0] and "number 3" in paragraphs[2]
    assert context.embeds[0]["footer"]["text"] == FOOTER


async def test_buttons_work_after_a_restart(make_storybot, fresh_database) -> None:
    database = fresh_database()
    async with make_storybot(database=database) as first:
        await add(first.store, dialogue_story("spark", lines=3), title="Spark Tale", guild_id=first.guild.id)
        message = await (await first.run("quote", {"story": "Spark Tale"})).reply()
    async with make_storybot(database=database) as second:
        again = await (await second.click(message, _button(message, "quote:again:"))).reply()
        context = await (await second.click(message, _button(message, "quote:context:"))).reply()
        third = await (await second.click(again, _button(again, "quote:again:"))).reply()
    lines = {m.embeds[0]["description"] for m in (message, again, third)}
    assert len(lines) == 3  # the no-repeat cycle was remembered too
    assert context.ephemeral


async def test_read_from_here_opens_the_reader_at_the_lines_page(storybot) -> None:
    await add(storybot.store, dialogue_story("deep", lines=30, padding=12), title="Deep Tale",
              guild_id=storybot.guild.id)
    reply = await (await storybot.run("quote", {"story": "Deep Tale", "contains": "number 27"})).reply()
    handle = await storybot.click(reply, _button(reply, "quote:read:"))
    note = await handle.reply()
    assert note.ephemeral and re.search(r"page [2-9]\d*/", note.content), note.content
    thread = storybot.server.threads(storybot.channel)[0]
    page = await storybot.server.wait_for_message(lambda m: "number 27" in m.text(), channel=thread)
    assert "deep line number 27 has enough words" in page.text()


async def test_guilds_see_only_their_own_stories(storybot) -> None:
    await add(storybot.store, dialogue_story("mine", lines=3), title="Den Secret", guild_id=storybot.guild.id)
    await add(storybot.store, dialogue_story("theirs", lines=3), title="Shelf Secret",
              guild_id=storybot.other_guild.id)
    here = [c["name"] for c in await storybot.autocomplete("quote", "story", {"story": "secret"})]
    there = [c["name"] for c in await storybot.autocomplete(
        "quote", "story", {"story": "secret"}, channel=storybot.other_channel)]
    assert here == ["Den Secret"] and there == ["Shelf Secret"]
    reply = await (await storybot.run("quote", {"story": "Shelf Secret"})).reply()
    assert reply.ephemeral and "/story list" in reply.content
    dm = await (await storybot.run("excerpt", {"story": "Den Secret"}, channel=storybot.dm)).reply()
    assert dm.ephemeral and "/story list" in dm.content
    bundled = await (await storybot.run("quote", channel=storybot.dm)).reply()
    assert not bundled.ephemeral and "Secret" not in bundled.embeds[0]["footer"]["text"]


async def test_adult_stories_only_in_age_restricted_channels(storybot) -> None:
    await add(storybot.store, dialogue_story("grown", lines=3), title="Grown Tale", rating="M",
              guild_id=storybot.guild.id)
    assert await storybot.autocomplete("quote", "story", {"story": "grown"}) == []
    refused = await (await storybot.run("quote", {"story": "Grown Tale"})).reply()
    assert refused.ephemeral and "/story list" in refused.content
    shown = await (await storybot.run("quote", {"story": "Grown Tale"}, channel=storybot.nsfw_channel)).reply()
    assert shown.embeds[0]["footer"]["text"].startswith("Grown Tale")


async def test_character_autocomplete_follows_the_chosen_story(storybot) -> None:
    await add(storybot.store, dialogue_story("spark", lines=4, speakers=("Kakashi", "Konohamaru")),
              title="Spark Tale", guild_id=storybot.guild.id)
    choices = await storybot.autocomplete("quote", "character", {"story": "Spark Tale", "character": "k"})
    assert {c["name"] for c in choices} == {"Kakashi", "Konohamaru"}


async def test_unknown_character_and_nothing_matching_are_short_private_replies(storybot) -> None:
    await add(storybot.store, dialogue_story("spark", lines=3), title="Spark Tale", guild_id=storybot.guild.id)
    unknown = await (await storybot.run("quote", {"story": "Spark Tale", "character": "Zabuza"})).reply()
    assert unknown.ephemeral and "Zabuza" in unknown.content
    nothing = await (await storybot.run("quote", {"story": "Spark Tale", "contains": 'zeppelin" OR "line'})).reply()
    assert nothing.ephemeral and "/story list" in nothing.content


async def test_unfiltered_quote_and_excerpt_from_bundled_stories(storybot) -> None:
    quote = await (await storybot.run("quote")).reply()
    assert quote.embeds[0]["description"] and " · " in quote.embeds[0]["footer"]["text"]
    excerpt = await (await storybot.run("excerpt")).reply()
    assert 0 < len(excerpt.embeds[0]["description"]) <= 4096
    assert [c.split(":")[:2] for c in excerpt.custom_ids()] == [["quote", "read"]]
    _no_mentions(excerpt)


async def test_excerpt_is_whole_paragraphs_of_one_scene(storybot) -> None:
    scenes = (("First **bold** paragraph of the scene.", "Second paragraph, @everyone.", "Third."),)
    await add(storybot.store, prose_story("calm", scenes), title="Calm Tale", guild_id=storybot.guild.id)
    reply = await (await storybot.run("excerpt", {"story": "Calm Tale"})).reply()
    parts = reply.embeds[0]["description"].split("\n\n")
    expected = [r"First \*\*bold\*\* paragraph of the scene.", "Second paragraph, @\u200beveryone.", "Third."]
    assert any(parts == expected[i: i + len(parts)] for i in range(len(expected)))
    assert reply.embeds[0]["footer"]["text"] == "Calm Tale · Chapter 1"
    _no_mentions(reply)


async def test_a_slow_pick_is_deferred_then_delivered(storybot, monkeypatch) -> None:
    # The module the running extension was loaded from (load_extension does not set cogs.quotes).
    monkeypatch.setattr(sys.modules["cogs.quotes"], "DEFER_AFTER", 0.0)
    await add(storybot.store, dialogue_story("spark", lines=3), title="Spark Tale", guild_id=storybot.guild.id)
    handle = await storybot.run("quote", {"story": "Spark Tale"})
    assert (await handle.response()).type == 5  # deferred channel message
    reply = await handle.reply()
    assert reply.embeds[0]["footer"]["text"] == FOOTER and not reply.ephemeral
    again = await (await storybot.click(reply, _button(reply, "quote:again:"))).reply()
    assert again.embeds[0]["footer"]["text"] == FOOTER


async def test_another_on_an_expired_cycle_says_to_run_quote_again(storybot) -> None:
    await add(storybot.store, dialogue_story("spark", lines=3), title="Spark Tale", guild_id=storybot.guild.id)
    reply = await (await storybot.run("quote", {"story": "Spark Tale"})).reply()
    async with storybot.store.atomic():
        await storybot.store.db.execute("DELETE FROM quote_cycles")
    expired = await (await storybot.click(reply, _button(reply, "quote:again:"))).reply()
    assert expired.ephemeral and "/quote" in expired.content

"""End to end through the local Discord: /character and /story stats with their chart images."""
from __future__ import annotations

import hashlib
import struct

from bot.parsing.model import Character
from bot.store.loader import load_story
from tests.charts.helpers import long_story, scripted_story
from tests.charts.test_figures import EXCHANGES
from tests.quotes.helpers import NASTY_LINE
from tests.roundtrips import RoundTrips

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


async def _add(bot, story, title: str, *, guild_id: int | None = None, rating: str = "T") -> int:
    guild_id = bot.guild.id if guild_id is None else guild_id
    digest = hashlib.sha256(f"{title}|{guild_id}|{story!r}".encode()).hexdigest()
    return await load_story(bot.store, story, title=title, rating=rating, content_hash=digest,
                            guild_id=guild_id, source=None)


def _png(bot, message) -> bytes:
    """The one attached chart: a real PNG of a sensible size, shown as the embed's image."""
    assert len(message.attachments) == 1, message.attachments
    attachment = message.attachments[0]
    assert attachment["filename"] == "chart.png"
    assert attachment.get("description", "").startswith("Chart:")  # alt text for screen readers
    data = bot.server.attachments[int(attachment["id"])][0]
    assert data.startswith(PNG_SIGNATURE) and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert 400 <= width <= 1600 and 200 <= height <= 1000, (width, height)
    assert 5_000 < len(data) < 500_000
    assert message.embeds[0]["image"]["url"] == attachment["url"]  # the embed shows the attachment
    return data


def _fields(message) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message.embeds[0].get("fields", [])}


CAST = [Character("Naruto", ("Naruto-kun", "Uzumaki Naruto")), Character("Sasuke", ("Sasuke-kun",))]


async def test_character_card_with_figures_line_and_chart(storybot) -> None:
    await _add(storybot, scripted_story(EXCHANGES, CAST, titles=["Bells", None]), "Team Seven")
    reply = await (await storybot.run("character", {"name": "naruto-kun", "story": "Team Seven"})).reply()
    assert not reply.ephemeral
    embed = reply.embeds[0]
    assert embed["title"] == "Naruto"
    fields = _fields(reply)
    assert fields["Lines spoken"] == "7"
    assert fields["Chapters"] == "2 (1–2)"
    assert fields["First appearance"] == "Chapter 1: Bells"
    assert fields["Also called"] == "Naruto-kun, Uzumaki Naruto"
    assert fields["Talks most with"] == "Sasuke (3), Kakashi (2), Hinata (1)"
    assert "A line of theirs" in fields and "— Chapter" in fields["A line of theirs"]
    assert embed["footer"]["text"].startswith("Chart: Naruto's lines per chapter: 7 lines in 2 chapters")
    _png(storybot, reply)
    assert reply.allowed_mentions == {"parse": []}


async def test_story_stats_with_share_of_dialogue_and_chart(storybot) -> None:
    story_id = await _add(storybot, long_story(12), "Long Tale")
    reply = await (await storybot.run("story stats", {"story": str(story_id)})).reply()
    fields = _fields(reply)
    story = long_story(12)
    words = sum(len(p.split()) for c in story.chapters for s in c.scenes for p in s.paragraphs)
    quoted = sum(len(q.text.split()) for q in story.quotes)
    assert fields["Words"] == f"{words:,}" and fields["Chapters"] == "12" and fields["Quotations"] == "240"
    assert fields["Share of dialogue"].startswith(f"{quoted / words:.0%} of the words")
    assert fields["Most lines"].startswith("Speaker0 ")
    assert reply.embeds[0]["footer"]["text"].startswith("Chart: who speaks, chapter by chapter. Most lines: Speaker0")
    first = _png(storybot, reply)
    again = await (await storybot.run("story stats", {"story": "Long Tale"})).reply()
    assert _png(storybot, again) == first  # the same story version: the cached chart


BORUTO = [Character("Boruto", ("Uzumaki Boruto", "Boruto-kun")), Character("Sarada", ("Uchiha Sarada",))]
NEXT_GEN = [[[("Boruto", "Hey Sarada"), ("Sarada", "What now"), ("Boruto", "Race me"), ("Sarada", "Fine")]]]


async def test_name_autocomplete_offers_aliases_and_names_the_story_when_ambiguous(storybot) -> None:
    await _add(storybot, scripted_story(NEXT_GEN, BORUTO), "Next Generation")
    await _add(storybot, scripted_story([[[("Boruto", "Another Boruto speaks")]]], BORUTO), "Other Tale")
    choices = await storybot.autocomplete("character", "name", {"name": "uzu"})
    assert [c["name"] for c in choices] == [
        "Uzumaki Boruto (Boruto) · Next Generation", "Uzumaki Boruto (Boruto) · Other Tale"]
    picked = await (await storybot.run("character", {"name": choices[1]["value"]})).reply()
    assert "Other Tale" in picked.embeds[0]["description"] and _fields(picked)["Lines spoken"] == "1"
    within = await storybot.autocomplete("character", "name", {"name": "uchiha", "story": "Next Generation"})
    assert [c["name"] for c in within] == ["Uchiha Sarada (Sarada)"]
    typed = await (await storybot.run("character", {"name": "boruto-KUN"})).reply()
    assert "Next Generation" in typed.embeds[0]["description"]  # where they speak most
    assert "Also a character in “Other Tale”" in typed.embeds[0]["description"]
    assert _fields(typed)["Talks most with"] == "Sarada (3)"


async def test_bad_input_gets_one_clear_line(storybot) -> None:
    await _add(storybot, scripted_story(EXCHANGES, CAST), "Team Seven")
    unknown = await (await storybot.run("character", {"name": "Nobody Atall"})).reply()
    assert unknown.ephemeral and unknown.content.startswith("No character called “Nobody Atall”")
    assert not unknown.attachments
    no_story = await (await storybot.run("character", {"name": "Sasuke", "story": "Nope"})).reply()
    assert no_story.ephemeral and "No story called “Nope”" in no_story.content
    stats = await (await storybot.run("story stats", {"story": "Nope"})).reply()
    assert stats.ephemeral and "No story called “Nope”" in stats.content
    adult_id = await _add(storybot, scripted_story(EXCHANGES, CAST), "Grown", rating="Explicit")
    hidden = await (await storybot.run("story stats", {"story": str(adult_id)})).reply()
    assert hidden.ephemeral and "/story list" in hidden.content


async def test_story_text_is_shown_safely(storybot) -> None:
    nasty = "@everyone **Boss**"
    script = [[[(nasty, NASTY_LINE), ("Naruto", "Who are you"), (nasty, "Nobody you know at all")]]]
    await _add(storybot, scripted_story(script, [Character(nasty, ("<@&123456>",))]), "Nasty ||Tale||")
    reply = await (await storybot.run("character", {"name": nasty})).reply()
    text = reply.text()
    assert "@everyone" not in text and "<@&123456>" not in text
    assert r"\*\*Boss\*\*" in reply.embeds[0]["title"] and r"\|\|Tale\|\|" in reply.embeds[0]["description"]
    assert reply.allowed_mentions == {"parse": []}
    _png(storybot, reply)
    stats = await (await storybot.run("story stats", {"story": "Nasty ||Tale||"})).reply()
    assert "@everyone" not in stats.text() and stats.allowed_mentions == {"parse": []}


async def test_bundled_story_character_in_a_direct_message(storybot) -> None:
    reply = await (await storybot.run("character", {"name": "Kakashi-sensei", "story": "The Blood Clone"},
                                      channel=storybot.dm)).reply()
    assert reply.embeds[0]["title"] == "Kakashi" and "The Blood Clone" in reply.embeds[0]["description"]
    fields = _fields(reply)
    assert int(fields["Lines spoken"]) > 0 and "Kakashi-sensei" in fields["Also called"]
    assert fields["Chapters"] == "1"
    _png(storybot, reply)


async def test_character_with_a_story_reads_it_with_the_limits(storybot, monkeypatch) -> None:
    """The story named and the reader's spoiler limits are one read (reader_and_story), not two:
    6 round trips before the card, warm (7 when they were read one after the other), by title or id."""
    story_id = await _add(storybot, scripted_story(EXCHANGES, CAST, titles=["Bells", None]), "Team Seven")
    trips = RoundTrips(monkeypatch, counting=False, foreground_only=True)
    for options in ({"story": "team seven"}, {"story": str(story_id)}):
        counts = []
        for _ in range(2):  # the second call: the chart cached, the limits seen
            await storybot.store.write_behind.flush()
            trips.count, trips.counting = 0, True
            reply = await (await storybot.run("character", {"name": "Naruto", **options})).reply()
            trips.counting = False
            assert reply.embeds[0]["title"] == "Naruto", reply.content
            counts.append(trips.count)
        assert counts[-1] <= 6, (options, counts)

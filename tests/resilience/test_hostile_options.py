"""Hostile option values through the local Discord: every command and autocomplete answers sensibly.

"Sensibly" means: an answer inside Discord's limits and deadline (the local Discord records any
breach and the fixture fails the test), no ERROR logged (same), never the generic apology, and
an autocomplete that returns a list of valid choices (possibly empty).
"""
from __future__ import annotations

import re

import pytest

from bot.runtime import APOLOGY

NARUTO = "Naruto: The Return of Darkness"

HOSTILE_VALUES = {
    "sql": "'; DROP TABLE stories; --",
    "sql-union": "x' UNION SELECT sql FROM sqlite_master --",
    "fts-syntax": 'NEAR(naruto sakura, 2) OR "said" AND title:* ^ -x NOT (',
    "fts-column": "paragraphs_fts:naruto*",
    "quotes": "\"'“”‘’`` \"\"\" '''",
    "nul": "Naruto\x00said\x00",
    "long": "naruto " * 857,  # 5,999 characters, right at Discord's 6,000 option limit
    "rtl": "\u202eotuJaN\u202c שלום مرحبا",
    "combining": "Nа\u0301\u0302\u0303\u0304ruto" + "\u0301" * 200,
    "emoji": "🍜🦊👨‍👩‍👧‍👦🏳️‍🌈 naruto",
    "wildcards": "%_%\\%*?[a-z]",
    "markdown-mention": "@everyone <@&1> **bold** [x](https://evil.example)",
    "whitespace": " \t\u200b\ufeff ",
}
VALUE_IDS = list(HOSTILE_VALUES)
VALUES = list(HOSTILE_VALUES.values())

AUTOCOMPLETES = [
    ("quote", "story"), ("quote", "character"), ("excerpt", "story"), ("search", "story"),
    ("read", "story"), ("read", "chapter"), ("continue", "story"), ("story info", "story"),
    ("trivia start", "story"), ("trivia leaderboard", "story"),
    ("character", "name"), ("character", "story"), ("story stats", "story"),
    ("story remove", "story"), ("spoilers set", "story"), ("spoilers set", "chapter"),
    ("spoilers clear", "story"), ("daily set", "timezone"), ("daily set", "story"),
]


def option_limit(storybot, command: str, option: str) -> int:
    """The max_length the command declares for a string option (Discord's own cap is 6,000)."""
    names = command.split()
    entries = storybot.server.global_commands
    for name in names:
        found = next(e for e in entries if e["name"] == name)
        entries = found.get("options", [])
    definition = next(o for o in entries if o["name"] == option)
    return definition.get("max_length", 6000)


async def run_typed(storybot, command: str, options: dict):
    """Run a command the way a Discord client would send it: each string cut to its declared limit."""
    clipped = {
        name: value[: option_limit(storybot, command, name)] if isinstance(value, str) else value
        for name, value in options.items()
    }
    return await (await storybot.run(command, clipped)).reply(timeout=10)


def assert_sensible(message) -> None:
    text = message.text()
    assert text.strip(), "empty answer"
    assert APOLOGY not in text, text
    assert message.pings == {}, message.pings


@pytest.mark.parametrize("value", VALUES, ids=VALUE_IDS)
async def test_autocomplete_answers_every_hostile_value_with_valid_choices(storybot, value):
    for command, option in AUTOCOMPLETES:
        typed = {option: value}
        if option == "chapter":  # /read's and /spoilers set's: a chapter of a story
            typed = {"story": NARUTO, "chapter": value}
        choices = await storybot.autocomplete(command, option, typed)
        assert isinstance(choices, list) and len(choices) <= 25, (command, option)
        for choice in choices:
            assert 1 <= len(choice["name"]) <= 100, (command, option, choice)


@pytest.mark.parametrize("value", VALUES, ids=VALUE_IDS)
async def test_text_options_with_hostile_values_get_an_answer_not_an_apology(storybot, value):
    runs = [
        ("quote", {"contains": value}),
        ("quote", {"story": NARUTO, "contains": value}),
        ("quote", {"character": value}),
        ("character", {"name": value}),
        ("search", {"text": value}),
        ("search", {"text": value, "story": NARUTO}),
    ]
    for command, options in runs:
        reply = await run_typed(storybot, command, options)
        assert_sensible(reply)


@pytest.mark.parametrize("value", VALUES, ids=VALUE_IDS)
async def test_hostile_story_names_are_refused_with_a_short_message(storybot, value):
    runs = [
        ("quote", {"story": value}), ("excerpt", {"story": value}), ("search", {"text": "naruto", "story": value}),
        ("read", {"story": value}), ("continue", {"story": value}), ("story info", {"story": value}),
        ("trivia start", {"story": value, "questions": 1}), ("trivia leaderboard", {"story": value}),
        ("character", {"name": "Naruto", "story": value}), ("story stats", {"story": value}),
    ]
    for command, options in runs:
        reply = await run_typed(storybot, command, options)
        assert_sensible(reply)
        assert reply.ephemeral, (command, reply.text())
        # Untrusted text echoed back must stay short and must not render as markdown or a link.
        assert len(reply.content) < 400, reply.content
        assert "[x](https://evil.example)" not in reply.content, reply.content


async def test_sql_in_search_leaves_the_library_intact(storybot):
    async with storybot.store.db.execute("SELECT count(*) FROM stories") as cursor:
        (before,) = await cursor.fetchone()
    for value in (HOSTILE_VALUES["sql"], HOSTILE_VALUES["sql-union"], HOSTILE_VALUES["fts-syntax"]):
        assert_sensible(await run_typed(storybot, "search", {"text": value}))
    async with storybot.store.db.execute("SELECT count(*) FROM stories") as cursor:
        assert (await cursor.fetchone())[0] == before
    found = await (await storybot.run("search", {"text": "Naruto"})).reply(timeout=10)
    assert "Naruto" in found.text()


def passages_found(reply) -> int:
    """How many passages a /search reply found: its footer's count, or 0 for "Nothing matches"
    (the reply quotes the query either way, so the count is what tells how it was read)."""
    if not reply.embeds:
        assert reply.content.startswith("Nothing matches"), reply.content
        return 0
    return int(re.match(r"(\d+) match", reply.embeds[0]["footer"]["text"])[1])


async def test_fts_operators_are_searched_as_words_not_obeyed(storybot):
    async def search(text: str) -> int:
        reply = await (await storybot.run("search", {"text": text})).reply(timeout=10)
        assert_sensible(reply)
        return passages_found(reply)

    sakura, naruto, both = await search("Sakura"), await search("Naruto"), await search("Sakura Naruto")
    assert 0 < both < min(sakura, naruto)
    # As words, each operator is one more word a passage must hold; obeyed, OR would find every
    # passage holding either word, and NOT the passages holding one without the other.
    assert await search("Sakura OR zzzqqqxxx") == 0
    assert await search("Sakura OR Naruto") <= both
    assert await search("Naruto NOT Sakura") <= both

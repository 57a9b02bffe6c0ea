"""A story full of mentions, masked links and markdown, shown in every place a story is shown.

Nothing may ping (the local Discord applies allowed_mentions the way Discord does) and no markup
may render: each marker below must only ever appear escaped.
"""
from __future__ import annotations

import re

from tests.discord_local import StoredMessage

MARKUP = [
    "[LINKLEAK](https://evil.example/x)",
    "**BOLDLEAK**",
    "||SPOILERLEAK||",
    "`CODELEAK`",
    "__UNDERLEAK__",
    "~~STRIKELEAK~~",
]
TOKENS = [re.sub(r"[^A-Z]", "", raw) for raw in MARKUP]
TITLE = "@here [Click](https://evil.example/t) **Loud** Title"


def hostile_story(user_id: int, role_id: int, channel_id: int) -> bytes:
    """Three chapters where every paragraph carries mentions and markup, in speech and narration."""
    templates = [
        '"@everyone, look at {m0}!" Naruto shouted across the training ground number {n}.',
        'Sakura frowned at the scroll. "{m1} is what <@{user}> wrote, and <@&{role}> signed it," she said.',
        '"@here {m2} {m3}," said Sasuke, and he walked away from the bridge for the {n}th time.',
        "> {m4} Kakashi closed his book and said nothing about <#{channel}> or the {m5} ledger {n}.",
        '"Why does <@!{user}> keep posting {m0} in every channel?" Naruto asked Sakura, annoyed.',
        "Sasuke glared at Naruto, then at Sakura, then at the notice board where {m1} hung on day {n}.",
        '"Because {m2} is funny," Kakashi said, turning a page of his orange book once more.',
    ]
    chapters = []
    for chapter in range(1, 4):
        paragraphs = []
        for n in range(1, 25):
            template = templates[(n + chapter) % len(templates)]
            marks = {f"m{i}": MARKUP[(i + n) % len(MARKUP)] for i in range(6)}
            paragraphs.append(template.format(**marks, n=n + 10 * chapter, user=user_id, role=role_id, channel=channel_id))
        chapters.append(f"Chapter {chapter}: The **Ping** @everyone Arc\n\n" + "\n\n".join(paragraphs))
    return ("\n\n\n".join(chapters) + "\n").encode("utf-8")


def rendered(message: StoredMessage) -> str:
    """The parts of a message where Discord renders markdown (footers and authors are plain)."""
    parts = [message.content]
    for embed in message.embeds:
        parts += [str(embed.get("title", "")), str(embed.get("description", ""))]
        parts += [f"{f.get('name', '')}\n{f.get('value', '')}" for f in embed.get("fields", [])]
    return "\n".join(parts)


def planted_mentions(user_id: int, role_id: int, channel_id: int) -> re.Pattern[str]:
    """The mentions written into the story (the bot's own links to its threads are fine)."""
    return re.compile(rf"@(everyone|here)|<@!?{user_id}>|<@&{role_id}>|<#{channel_id}>")


def assert_inert(message: StoredMessage, planted: re.Pattern[str]) -> None:
    assert message.pings == {}, (message.pings, message.text())
    text = rendered(message)
    for raw in [*MARKUP, "[Click](https://evil", "**Loud**", "**Ping**"]:
        assert raw not in text, (raw, text)
    # Belt and braces: mentions are neutralised in the text itself, not only by allowed_mentions.
    assert not planted.search(message.content), message.content


def shows_story_text(message: StoredMessage) -> bool:
    """The place really shows the story's text or title (neutralised), so the check means something."""
    return any(token in message.text() for token in TOKENS) or "@\u200bhere" in message.text()


async def add_story(storybot, planted: re.Pattern[str], role_id: int) -> str:
    data = hostile_story(storybot.outsider.id, role_id, storybot.channel.id)
    attachment = storybot.server.register_attachment(data, "pings.txt")
    handle = await storybot.run("story add", {"file": attachment, "title": TITLE}, user=storybot.admin)
    preview = await handle.reply(timeout=30)
    assert_inert(preview, planted)
    done = await (await storybot.click(preview, "story:confirm", user=storybot.admin)).reply(timeout=30)
    assert "Added" in done.text(), done.text()
    choices = await storybot.autocomplete("story info", "story", {"story": "Click"})
    assert len(choices) == 1, choices
    return choices[0]["value"]


async def test_mentions_and_markdown_never_ping_or_render_anywhere(storybot):
    role_id = max(storybot.guild.roles)  # a real role of the server, not @everyone (the guild id)
    planted = planted_mentions(storybot.outsider.id, role_id, storybot.channel.id)
    story = await add_story(storybot, planted, role_id)
    shown: dict[str, StoredMessage] = {}

    shown["quote"] = await (await storybot.run("quote", {"story": story})).reply(timeout=10)
    shown["excerpt"] = await (await storybot.run("excerpt", {"story": story})).reply(timeout=10)
    shown["search"] = await (await storybot.run("search", {"text": "ledger", "story": story})).reply(timeout=10)
    shown["info"] = await (await storybot.run("story info", {"story": story})).reply(timeout=10)
    shown["list"] = await (await storybot.run("story list")).reply(timeout=10)

    await (await storybot.run("read", {"story": story, "chapter": 2})).reply(timeout=10)
    thread = storybot.server.threads(storybot.channel)[-1]
    shown["read page"] = await storybot.server.wait_for_message(lambda m: "-# Page" in m.content, channel=thread)

    cog = storybot.bot.get_cog("Trivia")
    cog.answer_seconds, cog.pause_seconds = 30.0, 0.1
    await (await storybot.run("trivia start", {"story": story, "questions": 3})).reply(timeout=10)
    shown["trivia question"] = await storybot.server.wait_for_message(
        lambda m: bool(m.embeds) and m.embeds[0].get("title", "").startswith("Question 1/"), timeout=10
    )
    await (await storybot.run("trivia stop")).response()

    for place, message in shown.items():
        assert_inert(message, planted)
        assert shows_story_text(message), (place, message.text())
    assert "\\*\\*Loud\\*\\*" in shown["info"].text() and "\\*\\*Loud\\*\\*" in shown["list"].text()
    # Whatever else went out along the way (confirmations, thread starters, the game's end).
    for message in storybot.server.messages.values():
        assert_inert(message, planted)


async def test_a_hostile_title_stays_inert_in_the_other_commands_that_name_a_story(storybot):
    role_id = max(storybot.guild.roles)
    planted = planted_mentions(storybot.outsider.id, role_id, storybot.channel.id)
    story = await add_story(storybot, planted, role_id)
    admin = storybot.admin
    shown: dict[str, StoredMessage] = {}

    async def reply(command: str, options: dict, **kwargs) -> StoredMessage:
        return await (await storybot.run(command, options, **kwargs)).reply(timeout=15)

    shown["story stats"] = await reply("story stats", {"story": story})
    shown["character"] = await reply("character", {"name": "Naruto", "story": story})
    shown["trivia leaderboard"] = await reply("trivia leaderboard", {"story": story})
    shown["continue: no bookmark"] = await reply("continue", {"story": story})
    await reply("read", {"story": story, "chapter": 2})
    shown["continue"] = await reply("continue", {"story": story})
    shown["spoilers set"] = await reply("spoilers set", {"story": story, "chapter": "2"}, user=admin)
    shown["spoilers clear"] = await reply("spoilers clear", {"story": story}, user=admin)
    shown["daily set"] = await reply(
        "daily set", {"channel": storybot.second_channel, "time": "08:00", "story": story}, user=admin
    )
    shown["read: no such chapter"] = await reply("read", {"story": story, "chapter": 99})
    shown["spoilers set: no such chapter"] = await reply("spoilers set", {"story": story, "chapter": "99"}, user=admin)
    shown["story remove"] = await reply("story remove", {"story": story}, user=admin)

    for message in shown.values():
        assert_inert(message, planted)
    for place in ("story stats", "spoilers set", "spoilers clear", "daily set", "story remove",
                  "read: no such chapter", "spoilers set: no such chapter", "continue: no bookmark"):
        assert "Loud" in shown[place].text(), (place, shown[place].text())
    for message in storybot.server.messages.values():
        assert_inert(message, planted)


async def test_a_hostile_title_stays_inert_when_trivia_finds_too_little_text(storybot):
    planted = planted_mentions(storybot.outsider.id, max(storybot.guild.roles), storybot.channel.id)
    attachment = storybot.server.register_attachment(b"Naruto ran home. It was late.\n", "short.txt")
    handle = await storybot.run("story add", {"file": attachment, "title": TITLE}, user=storybot.admin)
    preview = await handle.reply(timeout=30)
    done = await (await storybot.click(preview, "story:confirm", user=storybot.admin)).reply(timeout=30)
    assert "Added" in done.text(), done.text()
    story = (await storybot.autocomplete("trivia start", "story", {"story": "Click"}))[0]["value"]
    refused = await (await storybot.run("trivia start", {"story": story})).reply(timeout=15)
    assert "not enough story text" in refused.content and "Loud" in refused.content, refused.content
    assert_inert(refused, planted)


async def test_a_hostile_title_stays_inert_when_an_upload_clashes_with_it(storybot):
    role_id = max(storybot.guild.roles)
    planted = planted_mentions(storybot.outsider.id, role_id, storybot.channel.id)
    await add_story(storybot, planted, role_id)
    same_text = hostile_story(storybot.outsider.id, role_id, storybot.channel.id)
    for data in (same_text, b"Naruto ran home. It was late, and the village slept.\n"):
        attachment = storybot.server.register_attachment(data, "again.txt")
        handle = await storybot.run("story add", {"file": attachment, "title": TITLE}, user=storybot.admin)
        refused = await handle.reply(timeout=30)
        assert "already in" in refused.content and "Loud" in refused.content, refused.content
        assert_inert(refused, planted)

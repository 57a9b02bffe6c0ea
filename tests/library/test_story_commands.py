"""/story list|info|add|remove end to end: a real StoryBot against the local Discord, which serves the uploads."""
from __future__ import annotations

import re
from pathlib import Path

from bot.formats import DEFAULT_MAX_UPLOAD_BYTES
from tests.library.builders import ao3_html, epub_bytes, traversal_epub, zip_bomb_epub

SEED = Path(__file__).resolve().parents[2] / "seeds" / "001_c873871c6bd971e6.txt"


async def upload(storybot, data: bytes, filename: str, *, user=None, channel=None, title=None, content_type=None):
    attachment = storybot.server.register_attachment(data, filename, content_type)
    options = {"file": attachment} | ({"title": title} if title else {})
    return await storybot.run("story add", options, user=user or storybot.admin, channel=channel)


async def guild_story_titles(storybot, guild_id: int) -> list[str]:
    async with storybot.store.db.execute("SELECT title FROM stories WHERE guild_id = ? ORDER BY title", (guild_id,)) as cur:
        return [row[0] for row in await cur.fetchall()]


def attachment_downloads(storybot) -> int:
    return sum(1 for r in storybot.server.requests if r.path.startswith("/attachments/"))


async def add_and_confirm(storybot, data: bytes, filename: str, **kwargs):
    handle = await upload(storybot, data, filename, **kwargs)
    preview = await handle.reply(timeout=30)
    assert "story:confirm" in preview.custom_ids(), preview.text()
    # The preview message is edited in place by the click: keep what it showed.
    shown, ephemeral = preview.text(), preview.ephemeral
    done = await storybot.click(preview, "story:confirm", user=kwargs.get("user") or storybot.admin)
    return (shown, ephemeral), await done.reply(timeout=30)


async def test_member_without_manage_server_is_refused(storybot):
    handle = await upload(storybot, ao3_html(), "long_road.html", user=storybot.member)
    reply = await handle.reply()
    assert reply.ephemeral
    assert "Manage Server" in reply.text()
    assert attachment_downloads(storybot) == 0
    assert await guild_story_titles(storybot, storybot.guild.id) == []


async def test_admin_adds_previews_confirms_and_only_this_server_sees_it(storybot):
    (text, ephemeral), done = await add_and_confirm(storybot, ao3_html(), "long_road.html")
    assert ephemeral
    assert "The Long Road" in text
    assert re.search(r"Chapters\n2\b", text), text
    assert "Quotations" in text and "Main characters" in text
    assert "Fandom\nNaruto" in text and "Rating\nT" in text  # from the AO3 preface
    for leak in ("SCRIPT-LEAK", "STYLE-LEAK", "alert("):
        assert leak not in text
    assert "Added “The Long Road”" in done.text()
    assert await guild_story_titles(storybot, storybot.guild.id) == ["The Long Road"]
    async with storybot.store.db.execute(
        "SELECT count(*) FROM paragraphs JOIN stories ON stories.id = paragraphs.story_id"
        " WHERE stories.guild_id = ? AND (text LIKE '%LEAK%' OR text LIKE '%alert(%')",
        (storybot.guild.id,),
    ) as cur:
        assert (await cur.fetchone())[0] == 0

    listing = await (await storybot.run("story list")).reply()
    assert re.search(r"The Long Road\*\* · 2 ch · [\d,]+ words · T · added here", listing.text()), listing.text()
    assert "bundled" in listing.text()

    choices = await storybot.autocomplete("story info", "story", {"story": "long r"})
    assert [c["name"] for c in choices] == ["The Long Road"]
    info = await (await storybot.run("story info", {"story": choices[0]["value"]})).reply()
    info_text = info.text()
    assert "Chapter 1: Dawn" in info_text and "Chapter 2: The Road" in info_text
    assert "Added by" in info_text and "Team Seven takes a mission nobody wanted." in info_text
    assert "Fandom\nNaruto" in info_text and "Rating\nT" in info_text

    # The other server: not listed, not offered, not reachable by id or title.
    elsewhere = await (await storybot.run("story list", user=storybot.outsider, channel=storybot.other_channel)).reply()
    assert "The Long Road" not in elsewhere.text()
    other_choices = await storybot.autocomplete(
        "story info", "story", {"story": "long r"}, user=storybot.outsider, channel=storybot.other_channel
    )
    assert other_choices == []
    for typed in (choices[0]["value"], "The Long Road"):
        refused = await (
            await storybot.run("story info", {"story": typed}, user=storybot.outsider, channel=storybot.other_channel)
        ).reply()
        assert refused.ephemeral and "No story" in refused.text()


async def test_same_text_again_is_already_in_the_library(storybot):
    await add_and_confirm(storybot, epub_bytes(), "long_road.epub")
    again = await (await upload(storybot, epub_bytes(), "copy.epub", title="Another Name")).reply(timeout=30)
    assert "already in the library as “The Long Road”" in again.text()
    bundled = await (await upload(storybot, SEED.read_bytes(), "return.txt")).reply(timeout=30)
    assert "already in the library as “Naruto: The Return of Darkness”" in bundled.text()
    assert await guild_story_titles(storybot, storybot.guild.id) == ["The Long Road"]


async def test_title_in_use_is_refused_unless_another_title_is_given(storybot):
    clash = await (await upload(storybot, ao3_html(title="The Blood Clone"), "clone.html")).reply(timeout=30)
    assert "already in this server's library" in clash.text() and "`title`" in clash.text()
    _, done = await add_and_confirm(storybot, ao3_html(title="The Blood Clone"), "clone.html", title="Clone Wars")
    assert "Added “Clone Wars”" in done.text()


async def test_cancel_stores_nothing(storybot):
    preview = await (await upload(storybot, ao3_html(), "long_road.html")).reply(timeout=30)
    cancelled = await (await storybot.click(preview, "story:cancel", user=storybot.admin)).reply()
    assert "nothing was changed" in cancelled.text()
    assert await guild_story_titles(storybot, storybot.guild.id) == []


async def test_html_with_a_heading_and_no_title_element_is_added(storybot):
    page = b'<html><body><h1>Chapter 1</h1><p>"Hi," said Naruto.</p></body></html>'
    (shown, _), done = await add_and_confirm(storybot, page, "untitled.html")
    assert "something went wrong" not in shown.lower(), shown
    assert "Added “untitled”" in done.text(), done.text()
    assert await guild_story_titles(storybot, storybot.guild.id) == ["untitled"]


async def test_every_bad_file_gets_a_clear_message_and_nothing_is_stored(storybot):
    bad_files = [
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "picture.txt", "PNG image"),
        (b"PK\x03\x04 some office file", "story.docx", "can't read .docx"),
        (b"", "empty.txt", "empty"),
        (bytes(range(1, 32)) * 50 + b"abc", "garbled.txt", "garbled beyond repair"),
        (zip_bomb_epub(), "bomb.epub", "zip bomb"),
        (traversal_epub(), "escape.epub", "unsafe path"),
        (b"<html><script>document.write('SCRIPT-LEAK')</script><style>p{}</style></html>", "evil.html", "no story text"),
        (b"not a zip at all", "fake.epub", "not a zip"),
    ]
    for data, filename, reason in bad_files:
        reply = await (await upload(storybot, data, filename)).reply(timeout=30)
        assert reply.ephemeral, filename
        assert reason in reply.text(), (filename, reply.text())
        assert "SCRIPT-LEAK" not in reply.text()
    assert await guild_story_titles(storybot, storybot.guild.id) == []


async def test_files_over_the_limit_are_refused_before_and_while_downloading(storybot):
    too_big = b"word " * (DEFAULT_MAX_UPLOAD_BYTES // 5 + 1)
    reply = await (await upload(storybot, too_big, "huge.txt")).reply()
    assert "limit is 10.0 MB" in reply.text()
    assert attachment_downloads(storybot) == 0

    # An attachment whose declared size lies is cut off once the bytes pass the limit.
    attachment = storybot.server.register_attachment(too_big, "liar.txt")
    attachment["size"] = 1000
    lying = await (await storybot.run("story add", {"file": attachment}, user=storybot.admin)).reply(timeout=30)
    assert "over the 10.0 MB limit" in lying.text()
    assert await guild_story_titles(storybot, storybot.guild.id) == []


async def test_removal_needs_manage_server_and_only_takes_this_servers_stories(storybot):
    await add_and_confirm(storybot, ao3_html(), "long_road.html")
    story_id = (await storybot.store.db.execute_fetchall("SELECT id FROM stories WHERE guild_id = ?", (storybot.guild.id,)))[0][0]

    denied = await (await storybot.run("story remove", {"story": "The Long Road"})).reply()
    assert "Manage Server" in denied.text()
    bundled = await (await storybot.run("story remove", {"story": "The Blood Clone"}, user=storybot.admin)).reply()
    assert "bundled" in bundled.text()
    other = await (
        await storybot.run("story remove", {"story": str(story_id)}, user=storybot.moderator, channel=storybot.other_channel)
    ).reply()
    assert "No story" in other.text()

    choices = await storybot.autocomplete("story remove", "story", {"story": ""}, user=storybot.admin)
    assert [c["name"] for c in choices] == ["The Long Road"]
    prompt = await (await storybot.run("story remove", {"story": choices[0]["value"]}, user=storybot.admin)).reply()
    assert prompt.ephemeral and "Remove “The Long Road”" in prompt.text()
    removed = await (await storybot.click(prompt, "story:confirm", user=storybot.admin)).reply()
    assert "Removed “The Long Road”" in removed.text()
    assert await guild_story_titles(storybot, storybot.guild.id) == []
    listing = await (await storybot.run("story list")).reply()
    assert "The Long Road" not in listing.text()


async def test_list_pages_with_buttons_only_for_the_invoker(storybot):
    for i in range(9):
        await add_and_confirm(storybot, ao3_html(title=f"Tale {i}", summary=f"Summary {i}."), f"tale{i}.html")
    first = await (await storybot.run("story list")).reply()
    assert "Page 1/2" in first.text()
    stranger = await (await storybot.click(first, "story:list:next", user=storybot.admin)).reply()
    assert stranger.ephemeral and "someone else" in stranger.text()
    turned = await storybot.click(first, "story:list:next")
    await turned.response()
    page_two = storybot.server.messages[first.id]
    assert "Page 2/2" in page_two.text()


async def test_info_shows_the_readers_bookmark(storybot):
    from bot.store.reading import save_bookmark

    await add_and_confirm(storybot, ao3_html(), "long_road.html")
    story_id = (await storybot.store.db.execute_fetchall("SELECT id FROM stories WHERE guild_id = ?", (storybot.guild.id,)))[0][0]
    await save_bookmark(storybot.store, storybot.member.id, story_id, 1, 3)
    mine = await (await storybot.run("story info", {"story": "The Long Road"})).reply()
    assert "Your bookmark\nChapter 2: The Road, page 3" in mine.text()
    theirs = await (await storybot.run("story info", {"story": "The Long Road"}, user=storybot.admin)).reply()
    assert "Your bookmark" not in theirs.text()


async def test_adult_upload_is_listed_only_in_age_restricted_channels(storybot):
    await add_and_confirm(storybot, ao3_html(title="After Dark").replace(b"Teen And Up Audiences", b"Explicit"), "dark.html")
    ordinary = await (await storybot.run("story list")).reply()
    assert "After Dark" not in ordinary.text() and "1 rated M/Explicit" in ordinary.text()
    restricted = await (await storybot.run("story list", channel=storybot.nsfw_channel)).reply()
    assert re.search(r"After Dark\*\* · 2 ch · [\d,]+ words · E · added here", restricted.text())


async def test_an_added_story_is_invisible_to_the_other_server_in_every_command(storybot):
    await add_and_confirm(storybot, ao3_html(), "long_road.html")
    home = await (await storybot.run("search", {"text": "anyone remembered"})).reply(timeout=15)
    assert "The Long Road" in home.text()

    away = {"user": storybot.outsider, "channel": storybot.other_channel}
    for command in ("quote", "excerpt", "search", "read", "continue", "story info", "trivia start",
                    "trivia leaderboard"):
        options = {"text": "road"} if command == "search" else {}
        choices = await storybot.autocomplete(command, "story", {**options, "story": "long"}, **away)
        assert all("Long Road" not in c["name"] for c in choices), command
    searched = await (await storybot.run("search", {"text": "anyone remembered"}, **away)).reply(timeout=15)
    assert "The Long Road" not in searched.text() and "longer than anyone" not in searched.text()
    for command in ("quote", "excerpt", "read", "trivia start", "trivia leaderboard"):
        refused = await (await storybot.run(command, {"story": "The Long Road"}, **away)).reply(timeout=15)
        assert refused.ephemeral and "No story" in refused.text(), command
    quoted = [await (await storybot.run("quote", **away)).reply(timeout=15) for _ in range(5)]
    assert all("Long Road" not in q.text() and "oversleep" not in q.text() for q in quoted)
    listed = await (await storybot.run("story list", **away)).reply(timeout=15)
    assert "Long Road" not in listed.text()


async def test_untrusted_titles_are_escaped_and_never_ping(storybot):
    title = "@everyone <@123456789012345678> **Loud**"
    (shown, _), done = await add_and_confirm(storybot, ao3_html(title=title), "loud.html")
    assert "@everyone" not in shown.replace("@\u200beveryone", "")
    assert "\\*\\*Loud\\*\\*" in shown and "\\*\\*Loud\\*\\*" in done.text()
    listing = await (await storybot.run("story list")).reply()
    for message in storybot.server.messages.values():
        assert not message.pings.get("everyone") and not message.pings.get("users"), message.text()
    assert "\\*\\*Loud\\*\\*" in listing.text()

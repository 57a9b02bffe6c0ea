"""Confirm on /story add end to end, with the store step in a worker process: clashes that only the
worker's transaction can see, a worker that dies before or after its commit, and an unexpected error."""
from __future__ import annotations

from bot.errors import InvalidInput
from bot.runtime import APOLOGY
from bot.upload_worker import STORE_DIED
from cogs.story import ConfirmView
from tests.library.builders import ao3_html
from tests.library.test_story_commands import guild_story_titles, upload


async def preview_of(storybot, data: bytes, filename: str, **kwargs):
    preview = await (await upload(storybot, data, filename, **kwargs)).reply(timeout=30)
    assert "story:confirm" in preview.custom_ids(), preview.text()
    return preview


async def confirm(storybot, preview):
    return await (await storybot.click(preview, "story:confirm", user=storybot.admin)).reply(timeout=60)


def workers(storybot):
    return storybot.bot.get_cog("StoryLibrary").workers


async def test_two_previews_of_one_text_store_it_once(storybot):
    first = await preview_of(storybot, ao3_html(), "long_road.html")
    second = await preview_of(storybot, ao3_html(), "copy.html", title="Another Name")
    assert "Added “The Long Road”" in (await confirm(storybot, first)).text()
    done = await confirm(storybot, second)
    assert "already in the library as “The Long Road”" in done.text()
    assert "story:confirm" not in done.custom_ids()
    assert await guild_story_titles(storybot, storybot.guild.id) == ["The Long Road"]


async def test_a_title_taken_between_preview_and_confirm_is_refused(storybot):
    first = await preview_of(storybot, ao3_html(), "long_road.html")
    other = await preview_of(storybot, ao3_html(summary="Another text entirely.", title="the long  ROAD"), "b.html")
    await confirm(storybot, first)
    done = await confirm(storybot, other)
    assert "already in this server's library" in done.text() and "`title`" in done.text()
    assert await guild_story_titles(storybot, storybot.guild.id) == ["The Long Road"]


async def test_a_worker_that_died_after_committing_still_reports_the_story(storybot, monkeypatch):
    pool = workers(storybot)
    real = pool.store

    async def stored_then_died(*args, **kwargs):
        await real(*args, **kwargs)
        raise InvalidInput(STORE_DIED)

    monkeypatch.setattr(pool, "store", stored_then_died)
    done = await confirm(storybot, await preview_of(storybot, ao3_html(), "long_road.html"))
    assert "Added “The Long Road”" in done.text()


async def test_a_worker_that_died_before_committing_says_nothing_was_added(storybot, monkeypatch):
    async def died(*args, **kwargs):
        raise InvalidInput(STORE_DIED)

    monkeypatch.setattr(workers(storybot), "store", died)
    done = await confirm(storybot, await preview_of(storybot, ao3_html(), "long_road.html"))
    assert done.text() == STORE_DIED
    assert await guild_story_titles(storybot, storybot.guild.id) == []


async def test_an_unexpected_error_on_confirm_replaces_the_prompt(storybot, monkeypatch):
    async def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(workers(storybot), "store", broken)
    storybot.allow_errors("Confirm failed")
    preview = await preview_of(storybot, ao3_html(), "long_road.html")
    await confirm(storybot, preview)
    # The prompt itself (edited in place) says so and loses its buttons; no inert Confirm is left.
    await storybot.server.wait_until(lambda: preview.text() == APOLOGY, 10, "the prompt replaced")
    assert preview.custom_ids() == []
    assert await guild_story_titles(storybot, storybot.guild.id) == []


def waiting_uploads(storybot) -> list[str]:
    return sorted(p.name for p in storybot.bot.get_cog("StoryLibrary").upload_dir.iterdir())


async def test_an_upload_waits_on_disk_not_in_memory_and_goes_when_answered(storybot):
    assert waiting_uploads(storybot) == []
    refused = await (await upload(storybot, b"\x89PNG\r\n\x1a\n" + bytes(64), "cover.txt")).reply(timeout=30)
    assert "story:confirm" not in refused.custom_ids()
    assert waiting_uploads(storybot) == [], "a refused upload leaves no file behind"

    first = await preview_of(storybot, ao3_html(), "long_road.html")
    assert len(waiting_uploads(storybot)) == 1
    await (await storybot.click(first, "story:cancel", user=storybot.admin)).reply(timeout=30)
    assert waiting_uploads(storybot) == []

    second = await preview_of(storybot, ao3_html(), "long_road.html")
    assert len(waiting_uploads(storybot)) == 1
    assert "Added “The Long Road”" in (await confirm(storybot, second)).text()
    assert waiting_uploads(storybot) == []


async def test_a_prompt_that_times_out_ends_once():
    ended = []

    async def on_end() -> None:
        ended.append(True)

    async def action(interaction) -> str:
        raise AssertionError("a timed-out prompt runs nothing")

    view = ConfirmView(1, action, on_end=on_end)
    await view.on_timeout()
    await view.on_timeout()
    assert ended == [True] and view.done


async def test_uploads_left_by_a_killed_bot_are_cleared_at_the_next_start(storybot):
    cog = storybot.bot.get_cog("StoryLibrary")
    assert cog.upload_dir.name == storybot.store.path.name + "-uploads"
    (cog.upload_dir / "left-behind.upload").write_bytes(b"x" * 1000)
    await cog.cog_load()  # what the next start does first
    assert waiting_uploads(storybot) == []

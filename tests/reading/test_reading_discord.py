"""/read and /continue end to end against the local Discord: threads, pages, buttons, bookmarks."""
from __future__ import annotations

import asyncio
import re

from bot.parsing.model import Chapter, Scene, Story
from bot.reading.pager import PAGE_LIMIT
from bot.reading.pages import load_chapter
from bot.render import chapter_label
from bot.store import reading, stories
from bot.store.loader import load_story
from cogs.read import STALE_PAGE, open_reader_at, thread_name
from tests.discord_local.world import CREATE_PUBLIC_THREADS
from tests.reading.pagecheck import assert_same_text
from tests.roundtrips import RoundTrips

NARUTO = "Naruto: The Return of Darkness"
_PAGE = re.compile(r"-# Page (\d+)/(\d+)$")


def page_of(message) -> tuple[int, int]:
    match = _PAGE.search(message.content)
    assert match, message.content[-80:]
    return int(match[1]), int(match[2])


def button(message, action: str) -> str:
    """The custom_id of a reader button (`n` next, `p` prev, `j` jump, `b` bookmark, `c` chapter)."""
    found = [c for c in message.custom_ids() if c.startswith("read:") and c.split(":")[2] == action]
    assert found, f"no {action!r} button on {message.custom_ids()}"
    return found[0]


def turn_pages_at_machine_speed(server) -> None:
    """For tests that click through whole chapters: Discord takes 5 messages per 5 s in a thread,
    a pace no reader notices but which costs such a test a minute of waiting. Pacing itself, and
    429s, are tested in tests/resilience/test_organic_rate_limits.py."""
    server.rate_limits.set("POST /channels/{channel_id}/messages", limit=50, per=1.0)


async def open_thread(storybot, story: str, chapter: int | None = None, *, user=None, channel=None):
    """Run /read; return (thread, first page message, the invoker's reply)."""
    options = {"story": story} if chapter is None else {"story": story, "chapter": chapter}
    handle = await storybot.run("read", options, user=user, channel=channel)
    reply = await handle.reply(timeout=10)
    threads = storybot.server.threads(channel or storybot.channel)
    assert threads, reply.content
    thread = threads[-1]
    first = await storybot.server.wait_for_message(lambda m: "-# Page" in m.content, channel=thread)
    return thread, first, reply


async def turn(storybot, message, action: str, *, user=None):
    """Click a page button; return the next page message posted in the thread."""
    thread = storybot.world.channels[message.channel_id]
    before = len(storybot.server.messages_in(thread))
    handle = await storybot.click(message, button(message, action), user=user)
    await handle.response()
    await storybot.server.wait_until(
        lambda: len([m for m in storybot.server.messages_in(thread)[before:] if "-# Page" in m.content]) >= 1,
        10, "the next page",
    )
    page = next(m for m in storybot.server.messages_in(thread)[before:] if "-# Page" in m.content)
    await head_is(storybot, thread.id, int(page.id))
    return page


async def head_is(storybot, thread_id: int, message_id: int) -> None:
    """Wait until the bot has recorded `message_id` as the thread's head: the page turn's handler
    has then finished, so a test ending here never closes the store under it."""
    for _ in range(250):
        record = await reading.get_thread(storybot.store, thread_id)
        if record is not None and record.head_message_id == message_id:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"thread {thread_id} never recorded {message_id} as its head: {record}")


async def bookmark_of(storybot, user, story_id: int, page: int):
    """The reader's bookmark once it reaches `page` (it is saved just after the page is posted)."""
    for _ in range(100):
        mark = await reading.get_bookmark(storybot.store, user.id, story_id)
        if mark is not None and mark.page_number == page:
            return mark
        await asyncio.sleep(0.02)
    raise AssertionError(f"bookmark never reached page {page}: {mark}")


async def read_to_the_end(storybot, first) -> list:
    pages = [first]
    while page_of(pages[-1])[0] < page_of(pages[-1])[1]:
        pages.append(await turn(storybot, pages[-1], "n"))
    return pages


async def test_read_opens_a_named_thread_and_links_it(storybot):
    thread, first, reply = await open_thread(storybot, NARUTO)
    assert thread.name == f"{NARUTO} · Ch. 7: The Smallest Spark"
    assert thread.mention in reply.content
    assert reply.ephemeral
    assert first.content.startswith("**Chapter 7: The Smallest Spark**")
    number, total = page_of(first)
    assert number == 1 and total > 10
    assert first.pings == {}
    assert len(first.custom_ids()) == 4
    assert all(len(c) <= 100 for c in first.custom_ids())


async def test_every_seed_chapter_reads_back_in_order(storybot):
    turn_pages_at_machine_speed(storybot.server)
    for story in await stories.visible_stories(storybot.store, storybot.guild.id):
        for chapter in await stories.chapters(storybot.store, story.id):
            thread, first, _ = await open_thread(storybot, story.title, chapter.display_number)
            pages = await read_to_the_end(storybot, first)
            if chapter.index + 1 == story.chapter_count:  # the closing line follows the last page
                await storybot.server.wait_for_message(lambda m: "The end of" in m.content, channel=thread)
            model = await load_chapter(storybot.store, chapter)
            heading = chapter_label(chapter.number, chapter.title, chapter.index + 1)
            assert_same_text([p.content for p in pages], model, heading, PAGE_LIMIT)
            assert all(p.pings == {} for p in pages)
            # Only the latest page keeps its buttons.
            assert all(not p.custom_ids() for p in pages[:-1])


async def test_next_removes_the_buttons_and_bookmarks_the_reader(storybot):
    _, first, _ = await open_thread(storybot, NARUTO)
    second = await turn(storybot, first, "n")
    assert page_of(second)[0] == 2
    assert storybot.server.messages[first.id].custom_ids() == []
    story = (await stories.find_by_title(storybot.store, storybot.guild.id, NARUTO))[0]
    await bookmark_of(storybot, storybot.member, story.id, 2)
    back = await turn(storybot, second, "p", user=storybot.admin)
    assert page_of(back)[0] == 1
    await bookmark_of(storybot, storybot.admin, story.id, 1)


async def test_double_click_posts_one_page(storybot):
    thread, first, _ = await open_thread(storybot, NARUTO)
    one = await storybot.click(first, button(first, "n"))
    two = await storybot.click(first, button(first, "n"))
    await one.response()
    await two.response()
    await asyncio.sleep(0.3)
    pages = [m for m in storybot.server.messages_in(thread) if "-# Page" in m.content]
    assert [page_of(p)[0] for p in pages] == [1, 2]
    # The click that finds the turn taken may be deferred first (cogs/read.py TURN_ACK_SECONDS):
    # its private "already turned" then comes as a follow-up.
    def told_stale(handle) -> bool:
        first = handle.callbacks[0]
        if first.ephemeral and STALE_PAGE in first.data.get("content", ""):
            return True
        return any(m.ephemeral and STALE_PAGE in m.content for m in handle.followup_messages)

    assert sum(1 for h in (one, two) if told_stale(h)) == 1


async def test_jump_through_the_modal(storybot):
    _, first, _ = await open_thread(storybot, NARUTO)
    total = page_of(first)[1]
    opened = await storybot.click(first, button(first, "j"))
    modal = await opened.modal()
    assert modal["title"] == "Jump to page"
    thread = storybot.world.channels[first.channel_id]
    submitted = await storybot.submit_modal(opened, {"page": str(total - 1)})
    await submitted.response()
    jumped = await storybot.server.wait_for_message(
        lambda m: m.content.endswith(f"Page {total - 1}/{total}"), channel=thread)
    assert jumped.custom_ids()
    bad = await storybot.click(jumped, button(jumped, "j"))
    refused = await storybot.submit_modal(bad, {"page": "0"})
    answer = await refused.reply()
    assert answer.ephemeral and f"choose 1 to {total}" in answer.content


async def test_bookmark_button_and_continue_survive_a_restart(make_storybot, fresh_database):
    database = fresh_database()
    async with make_storybot(database=database) as first_run:
        _, first, _ = await open_thread(first_run, NARUTO)
        page = await turn(first_run, await turn(first_run, first, "n"), "n")
        assert page_of(page)[0] == 3
        marked = await first_run.click(page, button(page, "b"))
        assert "page 3" in (await marked.reply()).content
    async with make_storybot(database=database) as second_run:
        # The old buttons still work: their custom_id carries story, chapter and page.
        fourth = await turn(second_run, page, "n")
        assert page_of(fourth)[0] == 4
        handle = await second_run.run("continue", {}, channel=second_run.second_channel)
        await handle.reply(timeout=10)
        thread = second_run.server.threads(second_run.second_channel)[-1]
        resumed = await second_run.server.wait_for_message(lambda m: "-# Page" in m.content, channel=thread)
        assert page_of(resumed)[0] == 4


async def test_read_inside_its_thread_continues_there(storybot):
    thread, first, _ = await open_thread(storybot, NARUTO)
    handle = await storybot.run("read", {"story": NARUTO}, channel=thread)
    reply = await handle.reply(timeout=10)
    assert "this thread" in reply.content
    assert len(storybot.server.threads(storybot.channel)) == 1
    pages = [m for m in storybot.server.messages_in(thread) if "-# Page" in m.content]
    assert len(pages) == 2 and storybot.server.messages[first.id].custom_ids() == []


async def test_without_thread_permission_reading_is_private(storybot):
    for role in storybot.guild.roles.values():
        role.permissions &= ~CREATE_PUBLIC_THREADS
    handle = await storybot.run("read", {"story": NARUTO})
    reason = await handle.reply()
    assert reason.ephemeral and "Create Public Threads" in reason.content
    (page,) = await handle.followups(1)
    assert page.ephemeral and page_of(page)[0] == 1
    assert storybot.server.threads(storybot.channel) == []
    clicked = await storybot.click(page, button(page, "n"))
    assert (await clicked.response()).type == 7  # the private page is edited in place
    assert page_of(storybot.server.messages[page.id])[0] == 2


async def test_direct_messages_read_privately(storybot):
    handle = await storybot.run("read", {"story": NARUTO}, channel=storybot.dm)
    reason = await handle.reply()
    assert "direct messages" in reason.content
    (page,) = await handle.followups(1)
    assert page_of(page)[0] == 1


async def test_next_chapter_opens_a_new_thread_and_the_story_ends(storybot):
    scenes = (Scene(None, ("A short chapter.",)),)
    story = Story("Two Steps", None, chapters=(Chapter(1, "First", scenes), Chapter(2, "Second", scenes)))
    await load_story(storybot.store, story, title="Two Steps", content_hash="two-steps",
                     guild_id=storybot.guild.id)
    thread, first, _ = await open_thread(storybot, "Two Steps")
    assert page_of(first) == (1, 1)
    clicked = await storybot.click(first, button(first, "c"))
    await clicked.response()
    threads = await storybot.server.wait_until(
        lambda: storybot.server.threads(storybot.channel)[1:], 10, "the next chapter's thread")
    assert threads[0].name == "Two Steps · Ch. 2: Second"
    link = await storybot.server.wait_for_message(lambda m: threads[0].mention in m.content, channel=thread)
    assert "Chapter 2" in link.content
    closing = await storybot.server.wait_for_message(lambda m: "The end of" in m.content, channel=threads[0])
    assert "Two Steps" in closing.content


async def test_mature_stories_only_in_age_restricted_channels(storybot):
    scenes = (Scene(None, ("Grown-up words.",)),)
    story = Story("After Dark", None, chapters=(Chapter(1, None, scenes),))
    await load_story(storybot.store, story, title="After Dark", content_hash="after-dark", rating="M",
                     guild_id=storybot.guild.id)
    refused = await storybot.run("read", {"story": "After Dark"})
    assert "No story" in (await refused.reply()).content
    _, first, _ = await open_thread(storybot, "After Dark", channel=storybot.nsfw_channel)
    assert "Grown-up words." in first.content
    choices = await storybot.autocomplete("read", "story", {"story": "After"})
    assert [c["name"] for c in choices] == ["After the Invasion"]
    choices = await storybot.autocomplete("read", "story", {"story": "After"}, channel=storybot.nsfw_channel)
    assert sorted(c["name"] for c in choices) == ["After Dark", "After the Invasion"]


async def test_autocomplete_lists_chapters(storybot):
    choices = await storybot.autocomplete("read", "chapter", {"story": NARUTO, "chapter": ""})
    assert choices == [{"name": "Chapter 7: The Smallest Spark", "value": 7}]
    refused = await storybot.run("read", {"story": NARUTO, "chapter": 3})
    assert "no chapter 3" in (await refused.reply()).content


def test_thread_name_shortens_the_story_title_first():
    from bot.store.records import StoredChapter, StoredStory

    story = StoredStory(1, None, "A" * 40 + " " + "B" * 80, "x", None, None, None, "h", None, 0, 1, 1, 0,
                        None, "2026-01-01")
    chapter = StoredChapter(1, 0, 12, "The Smallest Spark", 0, 1, 1)
    name = thread_name(story, chapter)
    assert len(name) <= 100 and name.endswith("· Ch. 12: The Smallest Spark") and "…" in name
    long_chapter = StoredChapter(1, 0, 3, "word " * 40, 0, 1, 1)
    assert len(thread_name(story, long_chapter)) <= 100



async def test_thread_refused_by_discord_falls_back_to_private_reading(storybot):
    # The permission check passes, but Discord still says 403 (e.g. an overwrite we cannot see).
    storybot.server.fail_next("POST /channels/{channel_id}/threads", status=403)
    handle = await storybot.run("read", {"story": NARUTO})
    reason = await handle.reply(timeout=10)  # replaces the "thinking…" answer
    (page,) = await handle.followups(1)
    assert reason.ephemeral and "wasn't allowed to open a thread" in reason.content
    assert page.ephemeral and page_of(page)[0] == 1
    assert button(page, "n").startswith("read:e:")


async def test_open_reader_at_a_paragraph(storybot):
    from discord import app_commands

    story = (await stories.find_by_title(storybot.store, storybot.guild.id, NARUTO))[0]
    chapter = (await stories.chapters(storybot.store, story.id))[0]
    paragraph = (await stories.paragraphs(storybot.store, story.id, chapter.index))[150]

    @app_commands.command(name="from-here", description="test: open the reader at a paragraph")
    async def from_here(interaction):
        await open_reader_at(interaction, story.id, paragraph.seq)

    storybot.bot.tree.add_command(from_here)
    await storybot.bot.tree.sync()
    handle = await storybot.run("from-here")
    await handle.reply(timeout=10)
    thread = storybot.server.threads(storybot.channel)[-1]
    page = await storybot.server.wait_for_message(lambda m: "-# Page" in m.content, channel=thread)
    assert page_of(page)[0] > 1
    words = paragraph.text.split()[:6]
    assert " ".join(words) in page.content.replace("\\", "")


async def test_continue_without_a_bookmark_says_so(storybot):
    nothing = await storybot.run("continue", {})
    assert "no bookmarks" in (await nothing.reply()).content
    unread = await storybot.run("continue", {"story": NARUTO})
    assert "no bookmark in" in (await unread.reply()).content


async def test_continue_picks_the_story_asked_for_and_offers_bookmarked_ones(storybot):
    _, first, _ = await open_thread(storybot, NARUTO)
    await turn(storybot, first, "n")
    await open_thread(storybot, "The Blood Clone")
    choices = await storybot.autocomplete("continue", "story", {"story": ""})
    assert [c["name"] for c in choices] == ["The Blood Clone", NARUTO]
    handle = await storybot.run("continue", {"story": choices[1]["value"]}, channel=storybot.second_channel)
    await handle.reply(timeout=10)
    thread = storybot.server.threads(storybot.second_channel)[-1]
    assert thread.name.startswith(NARUTO)
    resumed = await storybot.server.wait_for_message(lambda m: "-# Page" in m.content, channel=thread)
    assert page_of(resumed)[0] == 2


async def test_read_in_another_thread_opens_from_its_channel(storybot):
    thread, _, _ = await open_thread(storybot, NARUTO)
    handle = await storybot.run("read", {"story": "The Blood Clone"}, channel=thread)
    reply = await handle.reply(timeout=10)
    threads = storybot.server.threads(storybot.channel)
    assert len(threads) == 2 and threads[1].mention in reply.content
    assert threads[1].name.startswith("The Blood Clone")


async def test_a_page_turn_costs_two_round_trips_before_its_reply(storybot, monkeypatch):
    trips = RoundTrips(monkeypatch, counting=False, foreground_only=True)
    _, first, _ = await open_thread(storybot, NARUTO)
    second = await turn(storybot, first, "n")
    await storybot.store.write_behind.flush()
    trips.counting = True
    handle = await storybot.click(second, button(second, "n"))
    await handle.response()
    replied = trips.count
    thread = storybot.world.channels[second.channel_id]
    third = await storybot.server.wait_for_message(lambda m: "-# Page" in m.content and m.id > second.id,
                                                   channel=thread)
    for _ in range(250):  # until the handler has recorded the new head (one more round trip)
        if storybot.server.messages[third.id].custom_ids() and trips.count > replied:
            break
        await asyncio.sleep(0.02)
    trips.counting = False
    # The story and its chapter in one read, the head claimed in one write; the page itself comes
    # from memory (its chapter was read on the turn before) and the bookmark is written behind.
    assert replied <= 2, replied
    assert trips.count <= 3, trips.count
    await head_is(storybot, thread.id, int(third.id))
    story = (await stories.find_by_title(storybot.store, storybot.guild.id, NARUTO))[0]
    await bookmark_of(storybot, storybot.member, story.id, 3)

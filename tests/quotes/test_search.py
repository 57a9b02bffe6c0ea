"""/search: the repository (ranking, counting, paging, FTS syntax as plain words) and end to end."""
from __future__ import annotations

import re

import pytest

from bot.errors import InvalidInput
from bot.store import Store
from bot.store.audience import Audience
from bot.store.search import MATCH_END, MATCH_START, save_search, search_page
from cogs.search import bold_matches
from tests.quotes.helpers import add, prose_story

GUILD = 5




def zebra_scenes(count: int) -> tuple[tuple[str, ...], ...]:
    once = [f"Paragraph {i} mentions a zebra once." for i in range(count)]
    return ((*once, "The zebra met another zebra and a third zebra.", "Nothing to see here."),)


async def test_hits_are_ranked_counted_and_paged(store: Store) -> None:
    await add(store, prose_story("z", zebra_scenes(11)), guild_id=GUILD)
    search = await save_search(store, 1, Audience(GUILD), "  ZEBRA ")
    first = await search_page(store, search, 0)
    assert first.total == 12 and first.pages == 3 and len(first.hits) == 5
    assert first.hits[0].snippet.count(f"{MATCH_START}zebra{MATCH_END}") == 3  # most matches ranks first
    last = await search_page(store, search, 99)
    assert last.page == 2 and len(last.hits) == 2
    ids = {h.paragraph_id for p in (0, 1, 2) for h in (await search_page(store, search, p)).hits}
    assert len(ids) == 12


async def test_fts_syntax_in_user_text_is_plain_words(store: Store) -> None:
    await add(store, prose_story("z", (("Believe it OR not, NEAR the end.", "plain words only"),)))
    # Operators are words to match, punctuation is dropped like any other: never an SQLite error.
    expected = {'"': 0, "text:zebra": 0, "zeb*": 0, "NEAR(plain words)": 0, "(": 0, "AND": 0,
                "^plain": 1, "plain -words": 1, "OR NEAR": 1}
    for attack, total in expected.items():
        page = await search_page(store, await save_search(store, 1, Audience(None), attack))
        assert page.total == total, attack
    with pytest.raises(InvalidInput):
        await save_search(store, 1, Audience(None), "   ")


async def test_search_sees_only_visible_stories(store: Store) -> None:
    await add(store, prose_story("mine", (("A zebra here.",),)), guild_id=GUILD)
    await add(store, prose_story("theirs", (("A zebra there.",),)), guild_id=GUILD + 1)
    await add(store, prose_story("grown", (("A zebra, grown up.",),)), rating="Explicit")
    assert (await search_page(store, await save_search(store, 1, Audience(GUILD), "zebra"))).total == 1
    assert (await search_page(store, await save_search(store, 1, Audience(GUILD, adult=True), "zebra"))).total == 2
    assert (await search_page(store, await save_search(store, 1, Audience(None), "zebra"))).total == 0


def test_snippet_matches_bold_and_the_rest_escaped() -> None:
    snippet = f"a **x** {MATCH_START}zebra{MATCH_END} @everyone `{MATCH_START}Zebra{MATCH_END}` ||s||"
    shown = bold_matches(snippet)
    assert shown == r"a \*\*x\*\* **zebra** @" + "\u200b" + r"everyone \`**Zebra**\` \|\|s\|\|"


# --- end to end --------------------------------------------------------------------------------


async def test_search_pages_with_buttons_only_the_searcher_can_press(storybot) -> None:
    await add(storybot.store, prose_story("z", zebra_scenes(11)), title="Zebra Tale", guild_id=storybot.guild.id)
    reply = await (await storybot.run("search", {"text": "zebra", "story": "Zebra Tale"})).reply()
    embed = reply.embeds[0]
    assert embed["footer"]["text"] == "12 matches · page 1 of 3"
    assert len(re.findall(r"^\*\*\d+\.\*\* Zebra Tale · Chapter 1$", embed["description"], re.M)) == 5
    assert "**zebra**" in embed["description"]
    assert reply.allowed_mentions == {"parse": []}
    prev_id, next_id = reply.custom_ids()
    assert reply.find_component(prev_id)["disabled"]

    refused = await (await storybot.click(reply, next_id, user=storybot.admin)).reply()
    assert refused.ephemeral and "someone else" in refused.content

    handle = await storybot.click(reply, next_id)
    await handle.response()
    page2 = storybot.server.messages_in(storybot.channel)[-1]
    assert page2.id == reply.id and page2.embeds[0]["footer"]["text"] == "12 matches · page 2 of 3"
    assert "**6.**" in page2.embeds[0]["description"]


async def test_search_with_no_match_suggests_what_to_try(storybot) -> None:
    reply = await (await storybot.run("search", {"text": 'qwertyuiop NEAR("x'})).reply()
    assert reply.ephemeral and "Try" in reply.content and "/story list" in reply.content


async def test_search_finds_bundled_text(storybot) -> None:
    reply = await (await storybot.run("search", {"text": "Naruto"})).reply()
    assert re.search(r"\d+ match(es)? · page 1 of \d+", reply.embeds[0]["footer"]["text"])

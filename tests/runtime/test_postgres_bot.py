"""The bot itself on PostgreSQL (DATABASE_URL): it loads the bundled stories at start-up, and its
commands read and write through the same store as on SQLite, across a restart."""
from __future__ import annotations

from bot.store import reading
from tests.reading.test_reading_discord import NARUTO, open_thread, page_of, turn


async def test_the_bot_serves_from_postgresql_and_keeps_it_across_a_restart(make_storybot, postgres_url, tmp_path):
    unused = tmp_path / "never-created.db"
    async with make_storybot(database=unused, overrides={"database_url": postgres_url}) as sb:
        assert sb.store.dialect == "postgresql"
        assert sb.bot.load_report is not None and len(sb.bot.load_report.of("added")) == 4
        quotes = [(await (await sb.run("quote", {"story": NARUTO})).reply()).embeds[0]["description"] for _ in range(3)]
        assert len(set(quotes)) == 3  # the no-repeat cycle
        found = await (await sb.run("search", {"text": "Naruto"})).reply()
        assert "matches" in found.embeds[0]["footer"]["text"] and "**Naruto**" in found.embeds[0]["description"]
        choices = await sb.autocomplete("read", "story", {"story": "retu"})
        assert [c["name"] for c in choices] == [NARUTO]
        thread, first, _ = await open_thread(sb, NARUTO)
        second = await turn(sb, first, "n")
        assert page_of(second)[0] == 2
        story_id = (await reading.get_thread(sb.store, thread.id)).story_id
        await sb.store.write_behind.flush()
        member = sb.member.id
    assert not unused.exists()
    async with make_storybot(database=unused, overrides={"database_url": postgres_url}) as sb:
        assert len(sb.bot.load_report.of("unchanged")) == 4
        mark = await reading.get_bookmark(sb.store, member, story_id)
        assert mark is not None and mark.page_number == 2
        again = (await (await sb.run("quote", {"story": NARUTO})).reply()).embeds[0]["description"]
        assert again not in quotes  # the cycle goes on after the restart

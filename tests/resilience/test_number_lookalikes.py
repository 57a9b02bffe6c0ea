"""Values that look like numbers to `str.isdigit()` but are not ASCII numbers (`²`, `١٢`), or are
numbers too big for the database: each is refused with a short message, never the apology."""
from __future__ import annotations

import pytest

from tests.reading.test_reading_discord import button, open_thread
from tests.resilience.test_hostile_options import NARUTO, assert_sensible

# "²" passes str.isdigit() and then fails int(); "١٢" (Arabic-Indic) passes both; 40 nines overflow
# SQLite's 64-bit integers.
LOOKALIKES = {"superscript": "²", "arabic-indic": "١٢", "huge": "9" * 40}


@pytest.mark.parametrize("value", list(LOOKALIKES.values()), ids=list(LOOKALIKES))
async def test_number_lookalikes_in_manager_options_get_a_short_refusal(storybot, value):
    runs = [
        ("story remove", {"story": value}),
        ("spoilers set", {"story": NARUTO, "chapter": value}),
        ("spoilers set", {"story": value, "chapter": "1"}),
        ("spoilers clear", {"story": value}),
        ("daily set", {"channel": storybot.channel, "time": "08:00", "story": value}),
        ("daily set", {"channel": storybot.channel, "time": value}),
        ("quote", {"story": value}),
    ]
    for command, options in runs:
        reply = await (await storybot.run(command, options, user=storybot.admin)).reply(timeout=10)
        assert_sensible(reply)
        assert reply.ephemeral, (command, reply.text())
        assert len(reply.content) < 400, reply.content


@pytest.mark.parametrize("value", ["²", "١"])
async def test_a_number_lookalike_in_the_jump_modal_is_not_a_page(storybot, value):
    _, first, _ = await open_thread(storybot, NARUTO)
    opened = await storybot.click(first, button(first, "j"))
    await opened.modal()
    answer = await (await storybot.submit_modal(opened, {"page": value})).reply()
    assert_sensible(answer)
    assert answer.ephemeral and "is not a page of this chapter" in answer.content

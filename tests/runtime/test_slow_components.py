"""The runtime's 2-second watch over component interactions: a slow handler is deferred and its own
answer still lands; only a button no view or dynamic item took is called expired."""
from __future__ import annotations

import asyncio
import re

import discord
import pytest

from bot.runtime import STALE_COMPONENT, UNCLAIMED_AFTER
from bot.views import StoryView
from tests.discord_local.interactions import DEFERRED_UPDATE, UPDATE_MESSAGE

META = ("cogs.meta",)
# Past the runtime's watch, well inside the test's patience.
SLOW = UNCLAIMED_AFTER + 0.7


@pytest.fixture
async def metabot(make_storybot):
    async with make_storybot(extensions=META) as harness:
        yield harness


class SlowView(StoryView):
    """Buttons whose handlers take longer than the runtime's watch, each answering a different way."""

    @discord.ui.button(label="Edit", custom_id="slow:edit")
    async def edit(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await asyncio.sleep(SLOW)
        await interaction.response.edit_message(content="edited after a while", view=None)

    @discord.ui.button(label="Reply", custom_id="slow:reply")
    async def reply(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await asyncio.sleep(SLOW)
        await interaction.response.send_message("a late private word", ephemeral=True)

    @discord.ui.button(label="Stop", custom_id="slow:stop")
    async def stop_first(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        # Stopping takes the view out of discord.py's store before the first await: the runtime
        # must still know that a handler took the click.
        self.stop()
        await asyncio.sleep(SLOW)
        await interaction.response.edit_message(content="stopped, then edited", view=None)

    @discord.ui.button(label="Fast", custom_id="slow:fast")
    async def fast(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.edit_message(content="at once")


class SlowDynamic(discord.ui.DynamicItem[discord.ui.Button], template=r"slowdyn:(?P<n>\d+)"):
    def __init__(self, n: int) -> None:
        super().__init__(discord.ui.Button(label=f"Dyn {n}", custom_id=f"slowdyn:{n}"))
        self.n = n

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /
    ) -> SlowDynamic:
        return cls(int(match["n"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await asyncio.sleep(SLOW)
        await interaction.response.edit_message(content=f"dynamic {self.n} done", view=None)


async def _message_with_buttons(metabot, views: list[SlowView] | None = None):
    @metabot.bot.tree.command(name="slowbuttons", description="Slow buttons for the test")
    async def slowbuttons(interaction: discord.Interaction) -> None:
        view = SlowView(owner_id=interaction.user.id, timeout=60)
        view.add_item(SlowDynamic(7))
        if views is not None:
            views.append(view)
        await interaction.response.send_message("buttons", view=view)

    metabot.bot.add_dynamic_items(SlowDynamic)
    await metabot.bot.tree.sync()
    return await (await metabot.run("slowbuttons")).reply()


def _no_stale_reply(handle) -> None:
    said = [m.content for m in handle.messages] + [c.data.get("content", "") for c in handle.callbacks if c.data]
    assert STALE_COMPONENT not in said


@pytest.mark.parametrize(
    ("custom_id", "text"),
    [("slow:edit", "edited after a while"), ("slow:stop", "stopped, then edited"), ("slowdyn:7", "dynamic 7 done")],
)
async def test_a_slow_handler_is_deferred_and_its_edit_still_lands(metabot, custom_id, text):
    message = await _message_with_buttons(metabot)
    handle = await metabot.click(message, custom_id)
    callback = await handle.response(timeout=5)
    assert callback.type == DEFERRED_UPDATE
    edited = await handle.reply(timeout=10)
    assert edited.id == message.id and edited.content == text and edited.components == []
    _no_stale_reply(handle)


async def test_a_slow_handler_can_still_send_its_own_reply(metabot):
    message = await _message_with_buttons(metabot)
    handle = await metabot.click(message, "slow:reply")
    assert (await handle.response(timeout=5)).type == DEFERRED_UPDATE
    (late,) = await handle.followups(1, timeout=10)
    assert late.content == "a late private word" and late.ephemeral
    _no_stale_reply(handle)


async def test_a_fast_handler_answers_for_itself(metabot):
    message = await _message_with_buttons(metabot)
    handle = await metabot.click(message, "slow:fast")
    assert (await handle.response(timeout=5)).type == UPDATE_MESSAGE
    await asyncio.sleep(UNCLAIMED_AFTER + 0.3)
    assert len(handle.callbacks) == 1 and handle.followup_messages == []


async def test_a_button_whose_view_has_stopped_is_still_called_expired(metabot):
    views: list[SlowView] = []
    message = await _message_with_buttons(metabot, views)
    views[0].stop()  # as if it had timed out or the bot had restarted
    handle = await metabot.click(message, "slow:edit")
    reply = await handle.reply(timeout=5)
    assert reply.ephemeral and reply.content == STALE_COMPONENT

"""Base classes for every View and Modal: owner check, timeout that disables the buttons, one error path.

Set `view.message` after sending so `on_timeout` can grey the buttons out.
"""
from __future__ import annotations

import logging
from typing import Any

import discord

from bot.errors import NotYours
from bot.render import NO_MENTIONS
from bot.runtime import handle_interaction_error

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 300.0


class StoryView(discord.ui.View):
    """A View usable only by `owner_id` (anyone when None) whose errors reach the one handler."""

    def __init__(self, *, owner_id: int | None = None, timeout: float | None = DEFAULT_TIMEOUT) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.message: discord.Message | discord.InteractionMessage | None = None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if self.owner_id is None or interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(
            str(NotYours()), ephemeral=True, allowed_mentions=NO_MENTIONS
        )
        return False

    def disable(self) -> None:
        """Grey out every button and menu (the view stays on the message, inert)."""
        for item in self.children:
            if isinstance(item, discord.ui.Button | discord.ui.Select):
                item.disabled = True

    async def on_timeout(self) -> None:
        self.disable()
        if self.message is None:
            return
        try:
            await self.message.edit(view=self)
        except discord.HTTPException as exc:
            # The message may be gone or the interaction token expired; nothing to disable then.
            log.debug("Could not disable timed-out view on %s: %s", self.message.id, exc)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await handle_interaction_error(interaction, error)


class StoryModal(discord.ui.Modal):
    """A Modal whose errors reach the one handler."""

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        await handle_interaction_error(interaction, error)

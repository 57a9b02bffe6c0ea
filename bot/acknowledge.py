"""Acknowledging a click whose answer has to wait, so Discord shows it taken at once.

A handler that must wait for a lock before it can answer (a reader thread's previous page still
being posted, another process's database write) wraps the wait in `answered_in_time`: when the wait
outlasts a fraction of a second the interaction is deferred, and the handler's answer then goes out
as an edit (`edit_answer`) or a follow-up (bot.runtime.reply_ephemeral) once the wait is over.
"""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import Any, TypeVar

import aiohttp
import discord

from bot.runtime import PatientResponse

T = TypeVar("T")


async def acknowledge(interaction: discord.Interaction) -> None:
    """Defer `interaction` now unless it was answered (a component or modal: as a message update)."""
    response = interaction.response
    if isinstance(response, PatientResponse):
        await response.defer_for_handler()  # its edit_message and send_message then carry over
    elif not response.is_done():
        await response.defer()


async def answered_in_time(interaction: discord.Interaction, work: Awaitable[T], after: float) -> T:
    """Await `work`; once it has taken `after` seconds, acknowledge the interaction meanwhile.
    (A timer, not a task per call: the work normally takes a few milliseconds.)"""
    deferring: list[asyncio.Future[None]] = []
    timer = asyncio.get_running_loop().call_later(
        after, lambda: deferring.append(asyncio.ensure_future(acknowledge(interaction)))
    )
    try:
        return await work
    finally:
        timer.cancel()
        if deferring:
            # The answer follows the deferral; one Discord refused leaves the handler's own answer to try.
            with contextlib.suppress(discord.HTTPException, aiohttp.ClientError):
                await deferring[0]


async def edit_answer(interaction: discord.Interaction, **fields: Any) -> None:
    """Answer by editing the message the interaction came from, deferred or not."""
    response = interaction.response
    if response.is_done() and not isinstance(response, PatientResponse):
        await interaction.edit_original_response(**fields)
    else:
        await response.edit_message(**fields)

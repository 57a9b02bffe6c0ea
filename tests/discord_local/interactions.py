"""What a test holds after it sends an interaction: the bot's responses, as they arrive."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .world import Channel, StoredMessage, User

if TYPE_CHECKING:
    from .server import LocalDiscord

PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE = 4, 5, 6, 7
AUTOCOMPLETE_RESULT, MODAL = 8, 9

TYPE_NAMES = {
    APPLICATION_COMMAND: "application command",
    MESSAGE_COMPONENT: "component",
    AUTOCOMPLETE: "autocomplete",
    MODAL_SUBMIT: "modal submit",
}
# Which callback types Discord accepts for each interaction type.
ALLOWED_CALLBACKS = {
    APPLICATION_COMMAND: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, MODAL},
    MESSAGE_COMPONENT: {
        CHANNEL_MESSAGE,
        DEFERRED_CHANNEL_MESSAGE,
        DEFERRED_UPDATE,
        UPDATE_MESSAGE,
        MODAL,
    },
    AUTOCOMPLETE: {AUTOCOMPLETE_RESULT},
    MODAL_SUBMIT: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE},
}


@dataclass(frozen=True)
class Callback:
    """One POST to /interactions/{id}/{token}/callback: its type and data."""

    type: int
    data: dict[str, Any]

    @property
    def ephemeral(self) -> bool:
        return bool((self.data.get("flags") or 0) & 64)


@dataclass(eq=False)
class InteractionHandle:
    """A sent interaction. Await ``response()``, ``reply()``, ``followups(n)``, ``choices()``, ``modal()``."""

    server: LocalDiscord
    id: int
    token: str
    type: int
    payload: dict[str, Any]
    user: User
    channel: Channel
    created: float
    label: str
    target_message: StoredMessage | None = None
    callbacks: list[Callback] = field(default_factory=list)
    original: StoredMessage | None = None
    followup_messages: list[StoredMessage] = field(default_factory=list)
    edits_at_response: int = 0

    def __repr__(self) -> str:
        return f"<interaction {self.label} id={self.id}>"

    @property
    def responded(self) -> bool:
        return bool(self.callbacks)

    @property
    def messages(self) -> list[StoredMessage]:
        """Original response (when it is a message) then follow-ups, in order."""
        first = [self.original] if self.original is not None else []
        return first + self.followup_messages

    async def response(self, timeout: float = 5.0) -> Callback:  # noqa: ASYNC109 - helpers take explicit time limits
        """The first callback the bot made (within ``timeout`` seconds)."""
        await self.server.wait_until(
            lambda: self.callbacks, timeout, f"a response to {self.label}", self
        )
        return self.callbacks[0]

    async def reply(self, timeout: float = 5.0) -> StoredMessage:  # noqa: ASYNC109 - helpers take explicit time limits
        """The first message the user sees: the original response once it is not loading, or the
        component's message after an update, or the first follow-up."""

        def visible() -> StoredMessage | None:
            if not self.callbacks:
                return None
            deferred_update = self.callbacks[0].type == DEFERRED_UPDATE
            original = self.original
            if (
                original is not None
                and not original.loading
                and (not deferred_update or original.edits > self.edits_at_response)
            ):
                return original
            return self.followup_messages[0] if self.followup_messages else None

        return await self.server.wait_until(
            visible, timeout, f"a visible reply to {self.label}", self
        )

    async def followups(self, count: int = 1, timeout: float = 5.0) -> list[StoredMessage]:  # noqa: ASYNC109 - helpers take explicit time limits
        """Wait until at least ``count`` follow-up messages exist; return them all."""
        await self.server.wait_until(
            lambda: len(self.followup_messages) >= count,
            timeout,
            f"{count} follow-up(s) to {self.label}",
            self,
        )
        return list(self.followup_messages)

    async def choices(self, timeout: float = 5.0) -> list[dict[str, Any]]:  # noqa: ASYNC109 - helpers take explicit time limits
        callback = await self.response(timeout)
        assert callback.type == AUTOCOMPLETE_RESULT, (
            f"{self.label} answered with type {callback.type}, not 8"
        )
        return list(callback.data.get("choices", []))

    async def modal(self, timeout: float = 5.0) -> dict[str, Any]:  # noqa: ASYNC109 - helpers take explicit time limits
        callback = await self.response(timeout)
        assert callback.type == MODAL, (
            f"{self.label} answered with type {callback.type}, not a modal (9)"
        )
        return callback.data

"""What users do on the local Discord: run commands, ask for autocomplete, click, submit, post.

A mixin of ``LocalDiscord``; option values are typed and checked against the synced commands the
way Discord's client would before anything reaches the bot.
"""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING, Any

from .interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    InteractionHandle,
)
from .world import Channel, Role, StoredMessage, User, snowflake

if TYPE_CHECKING:
    from .gateway import Gateway
    from .world import World

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


class UserActions:
    """The test-facing half of ``LocalDiscord``: every method here plays a Discord user."""

    if TYPE_CHECKING:
        world: World
        gateway: Gateway
        interactions: dict[int, InteractionHandle]
        _by_token: dict[str, InteractionHandle]
        global_commands: list[dict[str, Any]]
        guild_commands: dict[int, list[dict[str, Any]]]
        messages: dict[int, StoredMessage]

        def channel_permissions(self, user: User, channel: Channel) -> int: ...

        def create_message(
            self, channel: Channel, author: User, body: dict[str, Any], *args: Any, **kwargs: Any
        ) -> StoredMessage: ...

    def _member_payload(self, user: User, channel: Channel) -> dict[str, Any] | None:
        guild = self.world.guild_of(channel)
        if guild is None:
            return None
        member = guild.members.get(user.id)
        if member is None:
            raise AssertionError(f"{user.username} is not a member of {guild.name}")
        return {**member.payload(), "permissions": str(guild.permissions_of(user))}

    def _require_bot(self, label: str, guild_id: int | None) -> None:
        if not self.gateway.live_sessions():
            raise AssertionError(f"cannot send {label}: no bot is connected to the local Discord")
        if not self.gateway.sessions_for(guild_id):
            raise AssertionError(
                f"cannot send {label}: no bot is connected for the shard of guild {guild_id} "
                "(DMs: shard 0)"
            )

    def _new_interaction(
        self,
        kind: int,
        user: User,
        channel: Channel,
        data: dict[str, Any],
        label: str,
        *,
        message: StoredMessage | None = None,
    ) -> InteractionHandle:
        guild = self.world.guild_of(channel)
        self._require_bot(label, guild.id if guild is not None else None)
        interaction_id = snowflake()
        token = "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.world.application_id),
            "type": kind,
            "data": data,
            "channel": channel.payload(),
            "channel_id": str(channel.id),
            "token": token,
            "version": 1,
            "app_permissions": str(self.channel_permissions(self.world.bot_user, channel)),
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        }
        if guild is not None:
            payload.update(
                guild_id=str(guild.id),
                guild={"id": str(guild.id), "locale": "en-US", "features": []},
                guild_locale="en-US",
                member=self._member_payload(user, channel),
                authorizing_integration_owners={"0": str(guild.id)},
                context=0,
            )
        else:
            payload.update(
                user=user.payload(), authorizing_integration_owners={"1": str(user.id)}, context=1
            )
        if message is not None:
            payload["message"] = message.data
        handle = InteractionHandle(
            self,
            interaction_id,
            token,
            kind,
            payload,
            user,
            channel,
            time.monotonic(),
            label,
            target_message=message,
        )
        self.interactions[interaction_id] = handle
        self._by_token[token] = handle
        # To the shard of the interaction's guild; DMs to shard 0.
        self.gateway.dispatch("INTERACTION_CREATE", payload, guild_id=guild.id if guild else None)
        return handle

    def find_command(self, name: str, channel: Channel) -> dict[str, Any]:
        """The synced command ``name`` as a user in ``channel`` would see it (guild first)."""
        scoped = self.guild_commands.get(channel.guild_id, []) if channel.guild_id else []
        for command in [*scoped, *self.global_commands]:
            if command["name"] == name and command.get("type", 1) == 1:
                return command
        known = sorted({c["name"] for c in [*scoped, *self.global_commands]})
        raise AssertionError(
            f"/{name} is not synced for {channel.name or 'the DM'}; synced: {known}"
        )

    def _visible_to(self, command: dict[str, Any], user: User, channel: Channel) -> None:
        guild = self.world.guild_of(channel)
        name = command["name"]
        if guild is None:
            contexts = command.get("contexts")
            if (contexts is not None and 1 not in contexts) or command.get(
                "dm_permission"
            ) is False:
                raise AssertionError(f"/{name} is not available in DMs")
            return
        required = command.get("default_member_permissions")
        if required is not None and (guild.permissions_of(user) & int(required)) != int(required):
            raise AssertionError(
                f"/{name} is hidden from {user.username} (needs permissions {required})"
            )
        if command.get("nsfw") and not self.world.root_channel(channel).nsfw:
            raise AssertionError(f"/{name} is age-restricted and #{channel.name} is not")

    def _build_options(
        self,
        spec: list[dict[str, Any]],
        values: dict[str, Any],
        resolved: dict[str, dict[str, Any]],
        channel: Channel,
        label: str,
        focused: str | None,
    ) -> list[dict[str, Any]]:
        by_name = {o["name"]: o for o in spec if o.get("type") not in (1, 2)}
        unknown = set(values) - set(by_name)
        if unknown:
            raise AssertionError(
                f"{label}: unknown option(s) {sorted(unknown)}; options are {sorted(by_name)}"
            )
        built = []
        for name, option in by_name.items():
            if name not in values:
                if option.get("required") and focused is None:
                    raise AssertionError(f"{label}: required option {name!r} missing")
                continue
            value = values[name]
            if name == focused:
                built.append(
                    {"name": name, "type": option["type"], "value": str(value), "focused": True}
                )
                continue
            built.append(
                {
                    "name": name,
                    "type": option["type"],
                    "value": self._option_value(option, value, resolved, channel, label),
                }
            )
        return built

    def _option_value(
        self,
        option: dict[str, Any],
        value: Any,
        resolved: dict[str, dict[str, Any]],
        channel: Channel,
        label: str,
    ) -> Any:
        kind = option["type"]
        name = option["name"]
        problem = None
        if kind == 3:
            if not isinstance(value, str):
                problem = "a string"
            elif not option.get("min_length", 0) <= len(value) <= option.get("max_length", 6000):
                problem = "within its length limits"
        elif kind == 4:
            if not isinstance(value, int) or isinstance(value, bool):
                problem = "an integer"
        elif kind == 10:
            if not isinstance(value, int | float) or isinstance(value, bool):
                problem = "a number"
        elif kind == 5:
            if not isinstance(value, bool):
                problem = "a boolean"
        elif kind in (6, 9) and isinstance(value, User):
            resolved.setdefault("users", {})[str(value.id)] = value.payload()
            member = self._member_payload(value, channel) if channel.guild_id else None
            if member is not None:
                member.pop("user")
                resolved.setdefault("members", {})[str(value.id)] = member
            return str(value.id)
        elif kind in (8, 9) and isinstance(value, Role):
            resolved.setdefault("roles", {})[str(value.id)] = value.payload()
            return str(value.id)
        elif kind == 7 and isinstance(value, Channel):
            payload = value.payload()
            payload["permissions"] = str(self.channel_permissions(self.world.bot_user, value))
            resolved.setdefault("channels", {})[str(value.id)] = payload
            return str(value.id)
        elif kind == 11 and isinstance(value, dict) and "url" in value:
            resolved.setdefault("attachments", {})[value["id"]] = value
            return value["id"]
        else:
            problem = {
                6: "a User",
                7: "a Channel",
                8: "a Role",
                9: "a User or Role",
                11: "register_attachment(...)",
            }.get(kind, f"of option type {kind}")
        if problem is not None:
            raise AssertionError(f"{label}: option {name!r} must be {problem}, got {value!r}")
        if kind in (4, 10):
            low, high = option.get("min_value"), option.get("max_value")
            if (low is not None and value < low) or (high is not None and value > high):
                raise AssertionError(f"{label}: option {name!r}={value} is outside {low}..{high}")
        choices = option.get("choices")
        if choices and value not in [c["value"] for c in choices]:
            raise AssertionError(f"{label}: option {name!r}={value!r} is not one of its choices")
        return value

    def _command_interaction(
        self,
        kind: int,
        user: User,
        channel: Channel,
        name: str,
        options: dict[str, Any] | None,
        subcommand: str | None,
        focused: str | None,
    ) -> InteractionHandle:
        path = name.split() + (subcommand.split() if subcommand else [])
        label = "/" + " ".join(path)
        self._require_bot(label, channel.guild_id)
        command = self.find_command(path[0], channel)
        self._visible_to(command, user, channel)
        resolved: dict[str, dict[str, Any]] = {}
        spec = command.get("options") or []
        nesting: list[tuple[dict[str, Any], int]] = []
        for part in path[1:]:
            sub = next((o for o in spec if o["name"] == part and o.get("type") in (1, 2)), None)
            if sub is None:
                raise AssertionError(f"{label}: no subcommand or group {part!r}")
            nesting.append((sub, sub["type"]))
            spec = sub.get("options") or []
        if any(o.get("type") in (1, 2) for o in spec):
            raise AssertionError(f"{label} needs a subcommand: {[o['name'] for o in spec]}")
        built = self._build_options(spec, options or {}, resolved, channel, label, focused)
        for sub, sub_type in reversed(nesting):
            built = [{"name": sub["name"], "type": sub_type, "options": built}]
        data: dict[str, Any] = {
            "id": command["id"],
            "name": command["name"],
            "type": 1,
            "options": built,
        }
        if "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return self._new_interaction(kind, user, channel, data, label)

    async def run_command(
        self,
        user: User,
        channel: Channel,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        subcommand: str | None = None,
    ) -> InteractionHandle:
        """Send a slash command as ``user`` in ``channel``; ``name`` may hold the subcommand path
        ("trivia start") or pass it as ``subcommand``. Options are typed from the synced command."""
        return self._command_interaction(
            APPLICATION_COMMAND, user, channel, name, options, subcommand, None
        )

    async def autocomplete(
        self,
        user: User,
        channel: Channel,
        name: str,
        focused: str,
        options: dict[str, Any] | None = None,
        *,
        subcommand: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - helpers take explicit time limits
    ) -> list[dict[str, Any]]:
        """Ask for autocomplete on option ``focused`` (its typed text is ``options[focused]``, or "")."""
        values = {focused: "", **(options or {})}
        handle = self._command_interaction(
            AUTOCOMPLETE, user, channel, name, values, subcommand, focused
        )
        return await handle.choices(timeout)

    def _component_interaction(
        self,
        message: StoredMessage,
        custom_id: str,
        user: User,
        extra: dict[str, Any],
        expect_type: tuple[int, ...],
    ) -> InteractionHandle:
        current = self.messages.get(message.id)
        label = f"component {custom_id!r}"
        if current is None or current.deleted:
            raise AssertionError(f"{label}: message {message.id} no longer exists")
        component = current.find_component(custom_id)
        if component is None:
            raise AssertionError(
                f"{label}: not on the message (custom_ids: {current.custom_ids()})"
            )
        if component.get("type") not in expect_type:
            raise AssertionError(
                f"{label}: component type {component.get('type')} cannot be used that way"
            )
        if component.get("disabled"):
            raise AssertionError(f"{label}: the component is disabled")
        if current.ephemeral:
            owner = self.interactions.get(current.interaction_id or 0)
            if owner is not None and owner.user is not user:
                raise AssertionError(
                    f"{label}: {user.username} cannot see another user's ephemeral message"
                )
        channel = self.world.channels[current.channel_id]
        data = {"custom_id": custom_id, "component_type": component["type"], **extra}
        return self._new_interaction(MESSAGE_COMPONENT, user, channel, data, label, message=current)

    async def click(self, message: StoredMessage, custom_id: str, user: User) -> InteractionHandle:
        """Click the button ``custom_id`` on a stored message as ``user``."""
        return self._component_interaction(message, custom_id, user, {}, (2,))

    async def select(
        self, message: StoredMessage, custom_id: str, values: list[str], user: User
    ) -> InteractionHandle:
        """Choose ``values`` in the select menu ``custom_id`` on a stored message."""
        return self._component_interaction(
            message, custom_id, user, {"values": values}, (3, 5, 6, 7, 8)
        )

    async def submit_modal(
        self,
        opened_by: InteractionHandle,
        values: dict[str, str],
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - helpers take explicit time limits
    ) -> InteractionHandle:
        """Fill in and submit the modal the bot opened in answer to ``opened_by``; ``values`` maps
        text input custom_id to text. Required inputs and length limits are checked."""
        modal = await opened_by.modal(timeout)
        label = f"modal {modal['custom_id']!r}"
        inputs = {}

        def answer(component: dict[str, Any]) -> dict[str, Any]:
            kind = component.get("type")
            if kind == 1:
                return {"type": 1, "components": [answer(c) for c in component["components"]]}
            if kind == 18:
                return {"type": 18, "component": answer(component["component"])}
            if kind == 4:
                cid = component["custom_id"]
                inputs[cid] = component
                text = values.get(cid, component.get("value") or "")
                if component.get("required", True) and not text:
                    raise AssertionError(f"{label}: required input {cid!r} left empty")
                if text and not component.get("min_length", 0) <= len(text) <= component.get(
                    "max_length", 4000
                ):
                    raise AssertionError(
                        f"{label}: input {cid!r} has {len(text)} characters, outside its limits"
                    )
                return {"type": 4, "custom_id": cid, "value": text}
            return {
                "type": kind,
                **({"custom_id": component["custom_id"]} if "custom_id" in component else {}),
            }

        components = [answer(c) for c in modal.get("components", [])]
        unknown = set(values) - set(inputs)
        if unknown:
            raise AssertionError(
                f"{label}: no text input(s) {sorted(unknown)}; inputs are {sorted(inputs)}"
            )
        data = {"custom_id": modal["custom_id"], "components": components}
        return self._new_interaction(
            MODAL_SUBMIT,
            opened_by.user,
            opened_by.channel,
            data,
            label,
            message=opened_by.target_message,
        )

    async def post_message(
        self,
        user: User,
        channel: Channel,
        content: str,
        *,
        attachments: list[dict[str, Any]] | None = None,
    ) -> StoredMessage:
        """``user`` posts a message (MESSAGE_CREATE reaches bots with the messages intent)."""
        body: dict[str, Any] = {"content": content}
        return self.create_message(
            channel,
            user,
            body,
            where=f"post by {user.username}",
            attachments=list(attachments or []),
        )

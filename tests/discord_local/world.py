"""The small Discord world the local server holds: users, guilds, roles, channels, threads, messages.

Objects are plain mutable dataclasses; each knows how to render itself as the JSON payload Discord
v10 would send, with the fields discord.py 2.7 reads without a default.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1420070400000

# Permission bits used by the world and by command visibility checks.
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 51) - 1

EVERYONE_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | ADD_REACTIONS
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS
    | SEND_MESSAGES_IN_THREADS
)

# Channel types.
GUILD_TEXT = 0
DM = 1
PUBLIC_THREAD = 11
PRIVATE_THREAD = 12
THREAD_TYPES = (10, PUBLIC_THREAD, PRIVATE_THREAD)

# Message flags.
EPHEMERAL = 1 << 6
LOADING = 1 << 7

_snowflake_lock = threading.Lock()
_increment = itertools.count()


def snowflake(*, shard: tuple[int, int] | None = None) -> int:
    """A new time-based snowflake; discord.py derives creation times and expiry from these.

    ``shard=(shard_id, shard_count)`` makes a guild id on that shard, ``(id >> 22) % count``: its
    timestamp is moved up to ``count - 1`` milliseconds ahead.
    """
    with _snowflake_lock:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        if shard is not None:
            shard_id, count = shard
            ms += (shard_id - ms) % count
        return (ms << 22) | (1 << 17) | (next(_increment) & 0xFFF)


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord sends a guild's events to."""
    return (guild_id >> 22) % shard_count


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass(eq=False)
class User:
    id: int
    username: str
    global_name: str | None = None
    bot: bool = False

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "username": self.username,
            "global_name": self.global_name,
            "discriminator": "0",
            "avatar": None,
            "public_flags": 0,
            "flags": 0,
        }
        if self.bot:
            data["bot"] = True
        return data


@dataclass(eq=False)
class Role:
    id: int
    name: str
    permissions: int
    position: int = 0

    @property
    def mention(self) -> str:
        return f"<@&{self.id}>"

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": False,
            "mentionable": True,
            "flags": 0,
        }


@dataclass(eq=False)
class Member:
    user: User
    roles: list[Role] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = field(default_factory=iso_now)

    def payload(self) -> dict[str, Any]:
        return {
            "user": self.user.payload(),
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "roles": [str(r.id) for r in self.roles],
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }


@dataclass(eq=False)
class Channel:
    """A text channel, a DM channel or a thread (threads have parent_id and owner_id)."""

    id: int
    type: int
    name: str | None
    guild_id: int | None = None
    position: int = 0
    nsfw: bool = False
    topic: str | None = None
    parent_id: int | None = None
    owner_id: int | None = None
    recipients: list[User] = field(default_factory=list)
    archived: bool = False
    locked: bool = False
    auto_archive_duration: int = 1440
    archive_timestamp: str = field(default_factory=iso_now)
    invitable: bool = True
    message_count: int = 0
    total_message_sent: int = 0
    member_ids: set[int] = field(default_factory=set)
    last_message_id: int | None = None

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    def payload(self) -> dict[str, Any]:
        last = str(self.last_message_id) if self.last_message_id else None
        if self.type == DM:
            return {
                "id": str(self.id),
                "type": DM,
                "last_message_id": last,
                "recipients": [u.payload() for u in self.recipients],
                "flags": 0,
            }
        data: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild_id),
            "name": self.name,
            "position": self.position,
            "nsfw": self.nsfw,
            "parent_id": str(self.parent_id) if self.parent_id else None,
            "last_message_id": last,
            "rate_limit_per_user": 0,
            "flags": 0,
        }
        if self.is_thread:
            data.update(
                owner_id=str(self.owner_id),
                message_count=self.message_count,
                total_message_sent=self.total_message_sent,
                member_count=len(self.member_ids),
                thread_metadata={
                    "archived": self.archived,
                    "auto_archive_duration": self.auto_archive_duration,
                    "archive_timestamp": self.archive_timestamp,
                    "locked": self.locked,
                    "invitable": self.invitable,
                    "create_timestamp": iso_now(),
                },
                applied_tags=[],
            )
        else:
            data.update(topic=self.topic, permission_overwrites=[])
        return data


@dataclass(eq=False)
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)

    @property
    def everyone(self) -> Role:
        return self.roles[self.id]

    def permissions_of(self, user: User) -> int:
        """Guild-level permissions (no channel overwrites exist in this world)."""
        if user.id == self.owner_id:
            return ALL_PERMISSIONS
        member = self.members.get(user.id)
        if member is None:
            return 0
        perms = self.everyone.permissions
        for role in member.roles:
            perms |= role.permissions
        if perms & ADMINISTRATOR:
            return ALL_PERMISSIONS
        return perms

    def threads(self) -> list[Channel]:
        return [c for c in self.channels.values() if c.is_thread]

    def payload(self, *, include_members: bool, bot: User) -> dict[str, Any]:
        members = self.members.values() if include_members else [self.members[bot.id]]
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "roles": [r.payload() for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "joined_at": iso_now(),
            "large": False,
            "unavailable": False,
            "member_count": len(self.members),
            "voice_states": [],
            "members": [m.payload() for m in members],
            "channels": [c.payload() for c in self.channels.values() if not c.is_thread],
            "threads": [c.payload() for c in self.threads() if not c.archived],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }


_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


@dataclass(eq=False)
class StoredMessage:
    """A message as the local Discord holds it, plus what tests need to check about it."""

    data: dict[str, Any]
    allowed_mentions: dict[str, Any] | None
    ephemeral: bool = False
    interaction_id: int | None = None
    deleted: bool = False
    edits: int = 0

    @property
    def id(self) -> int:
        return int(self.data["id"])

    @property
    def channel_id(self) -> int:
        return int(self.data["channel_id"])

    @property
    def content(self) -> str:
        return self.data["content"]

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.data["embeds"]

    @property
    def components(self) -> list[dict[str, Any]]:
        return self.data["components"]

    @property
    def attachments(self) -> list[dict[str, Any]]:
        return self.data["attachments"]

    @property
    def flags(self) -> int:
        return self.data.get("flags", 0)

    @property
    def author_id(self) -> int:
        return int(self.data["author"]["id"])

    @property
    def loading(self) -> bool:
        return bool(self.flags & LOADING)

    def text(self) -> str:
        """Content plus every embed's title, description, fields and footer, for assertions."""
        parts = [self.content]
        for embed in self.embeds:
            parts.extend(str(embed.get(k, "")) for k in ("title", "description"))
            for f in embed.get("fields", []):
                parts.extend((str(f.get("name", "")), str(f.get("value", ""))))
            parts.append(str(embed.get("footer", {}).get("text", "")))
            parts.append(str(embed.get("author", {}).get("name", "")))
        return "\n".join(p for p in parts if p)

    def custom_ids(self) -> list[str]:
        return [c["custom_id"] for c in walk_components(self.components) if "custom_id" in c]

    def find_component(self, custom_id: str) -> dict[str, Any] | None:
        for comp in walk_components(self.components):
            if comp.get("custom_id") == custom_id:
                return comp
        return None

    @property
    def pings(self) -> dict[str, Any]:
        """Who this message would notify, given its content and allowed_mentions (Discord's rules).

        Only content can ping; embeds never do. With no allowed_mentions everything parses.
        """
        return mentions_that_ping(self.content, self.allowed_mentions)


def mentions_that_ping(content: str, allowed: dict[str, Any] | None) -> dict[str, Any]:
    users = {int(u) for u in _USER_MENTION.findall(content)}
    roles = {int(r) for r in _ROLE_MENTION.findall(content)}
    everyone = "@everyone" in content or "@here" in content
    if allowed is not None:
        parse = set(allowed.get("parse", []))
        allowed_users = {int(u) for u in allowed.get("users", [])}
        allowed_roles = {int(r) for r in allowed.get("roles", [])}
        users = users if "users" in parse else users & allowed_users
        roles = roles if "roles" in parse else roles & allowed_roles
        everyone = everyone and "everyone" in parse
    result: dict[str, Any] = {}
    if users:
        result["users"] = sorted(users)
    if roles:
        result["roles"] = sorted(roles)
    if everyone:
        result["everyone"] = True
    return result


def walk_components(components: list[dict[str, Any]]):
    """Every component, depth first (action rows, sections, containers, labels and leaves)."""
    for comp in components:
        yield comp
        if "components" in comp:
            yield from walk_components(comp["components"])
        if "component" in comp:
            yield from walk_components([comp["component"]])
        if "accessory" in comp:
            yield from walk_components([comp["accessory"]])


class World:
    """Two guilds, their channels (one age-restricted), a DM, and members of differing rank.

    Attribute names are the API tests use: ``guild``, ``other_guild``, ``general``,
    ``nsfw_channel``, ``other_general``, ``dm``; users ``admin`` (Administrator role),
    ``moderator`` (Manage Server), ``member`` (no special permission, also in the other guild),
    ``outsider`` (only in the other guild); ``bot_user`` is the application's bot.

    Sharding: ``recommended_shards`` is what ``GET /gateway/bot`` recommends; ``guild`` is on shard
    0 and ``other_guild`` on shard 1 (of ``recommended_shards``, so both are on shard 0 when it is
    1). ``add_guild(name, shard=(id, count))`` makes more servers on a chosen shard. A shard would
    hold more than ``max_guilds_per_shard`` servers: its IDENTIFY is closed with 4011.
    """

    def __init__(
        self, *, bot_name: str = "StoryBot", recommended_shards: int = 1, max_guilds_per_shard: int = 2500
    ) -> None:
        self.recommended_shards = recommended_shards
        self.max_guilds_per_shard = max_guilds_per_shard
        # GET /gateway/bot's session_start_limit: each IDENTIFY spends one, as on Discord.
        self.session_start_total = 1000
        self.session_start_remaining = self.session_start_total
        self.application_id = snowflake()
        self.bot_user = User(self.application_id, bot_name, bot=True)
        self.owner = User(snowflake(), "olive", "Olive Owner")
        self.admin = User(snowflake(), "ada", "Ada Admin")
        self.moderator = User(snowflake(), "mo", "Mo Moderator")
        self.member = User(snowflake(), "mel", "Mel Member")
        self.outsider = User(snowflake(), "otto", "Otto Outsider")
        self.users: dict[int, User] = {
            u.id: u
            for u in (
                self.bot_user,
                self.owner,
                self.admin,
                self.moderator,
                self.member,
                self.outsider,
            )
        }

        self.guild = self._make_guild("Story Den", self.owner, shard=(0, recommended_shards))
        admin_role = self._add_role(self.guild, "Admin", ADMINISTRATOR, 3)
        mod_role = self._add_role(self.guild, "Moderator", MANAGE_GUILD, 2)
        bot_role = self._add_role(
            self.guild,
            "StoryBot",
            EVERYONE_PERMISSIONS | MANAGE_THREADS | CREATE_PRIVATE_THREADS,
            1,
        )
        self._join(self.guild, self.owner)
        self._join(self.guild, self.admin, admin_role)
        self._join(self.guild, self.moderator, mod_role)
        self._join(self.guild, self.member)
        self._join(self.guild, self.bot_user, bot_role)
        self.general = self._add_channel(self.guild, "general", 0)
        self.nsfw_channel = self._add_channel(self.guild, "after-dark", 1, nsfw=True)
        self.second_channel = self._add_channel(self.guild, "reading-room", 2)

        self.other_guild = self._make_guild(
            "Second Shelf", self.outsider, shard=(1 % recommended_shards, recommended_shards)
        )
        other_mod = self._add_role(self.other_guild, "Librarian", MANAGE_GUILD, 1)
        self._join(self.other_guild, self.outsider)
        self._join(self.other_guild, self.member)
        self._join(self.other_guild, self.moderator, other_mod)
        self._join(self.other_guild, self.bot_user)
        self.other_general = self._add_channel(self.other_guild, "general", 0)

        self.guilds: dict[int, Guild] = {g.id: g for g in (self.guild, self.other_guild)}
        self.channels: dict[int, Channel] = {}
        for g in self.guilds.values():
            self.channels.update(g.channels)
        self.dm = Channel(snowflake(), DM, None, recipients=[self.member])
        self.channels[self.dm.id] = self.dm

    def _make_guild(self, name: str, owner: User, *, shard: tuple[int, int] | None = None) -> Guild:
        gid = snowflake(shard=shard)
        guild = Guild(gid, name, owner.id)
        guild.roles[gid] = Role(gid, "@everyone", EVERYONE_PERMISSIONS, 0)
        return guild

    @staticmethod
    def _add_role(guild: Guild, name: str, perms: int, position: int) -> Role:
        role = Role(snowflake(), name, perms, position)
        guild.roles[role.id] = role
        return role

    @staticmethod
    def _join(guild: Guild, user: User, *roles: Role) -> None:
        guild.members[user.id] = Member(user, list(roles))

    @staticmethod
    def _add_channel(guild: Guild, name: str, position: int, *, nsfw: bool = False) -> Channel:
        channel = Channel(snowflake(), GUILD_TEXT, name, guild.id, position, nsfw)
        guild.channels[channel.id] = channel
        return channel

    def add_user(
        self, username: str, *, guild: Guild | None = None, roles: tuple[Role, ...] = ()
    ) -> User:
        """A new user, optionally joined to ``guild`` (for tests needing many distinct users)."""
        user = User(snowflake(), username)
        self.users[user.id] = user
        if guild is not None:
            self._join(guild, user, *roles)
        return user

    def add_guild(
        self, name: str, *, owner: User | None = None, shard: tuple[int, int] | None = None
    ) -> Guild:
        """A new server with a #general channel, ``owner`` (default ``owner``), ``member`` and the bot.

        Added before the bot connects, it arrives in READY and GUILD_CREATE (of its shard).
        """
        owner = owner or self.owner
        guild = self._make_guild(name, owner, shard=shard)
        for user in (owner, self.member, self.bot_user):
            self._join(guild, user)
        channel = self._add_channel(guild, "general", 0)
        self.guilds[guild.id] = guild
        self.channels[channel.id] = channel
        return guild

    def guild_of(self, channel: Channel) -> Guild | None:
        return self.guilds.get(channel.guild_id) if channel.guild_id else None

    def root_channel(self, channel: Channel) -> Channel:
        """The text channel a thread lives in (nsfw and permissions come from it)."""
        if channel.is_thread and channel.parent_id:
            return self.channels[channel.parent_id]
        return channel

    def dm_with(self, user: User) -> Channel:
        for channel in self.channels.values():
            if channel.type == DM and channel.recipients == [user]:
                return channel
        channel = Channel(snowflake(), DM, None, recipients=[user])
        self.channels[channel.id] = channel
        return channel

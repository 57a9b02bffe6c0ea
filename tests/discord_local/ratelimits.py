"""Discord's REST rate limits: per-route buckets per top-level resource, and the global limit.

Every answered request to a bucketed route carries Discord's headers (X-RateLimit-Limit, -Remaining,
-Reset, -Reset-After, -Bucket), so discord.py's own limiter learns the buckets as it does on
Discord. Past a bucket the answer is Discord's 429 (scope ``user``); past the global limit (50
requests a second per bot; interaction endpoints exempt, as Discord documents) a 429 with scope
``global``. Tests tighten a bucket to provoke bursts::

    server.rate_limits.set("POST /channels/{channel_id}/messages", limit=2, per=1.0)
    server.rate_limits.set_global(limit=4, per=1.0)
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, field
from typing import Any

# Path parameters that make a bucket separate (Discord's "top-level resources"); the webhook
# token of an interaction counts too, so each interaction has its own buckets.
MAJOR_PARAMETERS = ("channel_id", "guild_id", "app_id", "interaction_id", "token")

# Discord's global limit, and the documented exemption: interaction endpoints (the callback and
# the webhook routes of an interaction token) are not bound to it.
GLOBAL_LIMIT = 50
GLOBAL_PER = 1.0
INTERACTION_ROUTE_PREFIXES = ("/interactions/", "/webhooks/")

RATE_LIMITED = "You are being rate limited."


@dataclass
class Bucket:
    """How many requests a route takes per window; routes with one ``name`` share a bucket."""

    name: str
    limit: int
    per: float

    @property
    def hash(self) -> str:
        """What X-RateLimit-Bucket says: stable, and the same across top-level resources."""
        return hashlib.sha1(self.name.encode()).hexdigest()[:32]


def _route_buckets() -> dict[str, Bucket]:
    """The buckets of the routes the local Discord serves, sized like Discord's as bots see them
    in X-RateLimit headers (message create 5 per 5 s per channel, reactions 1 per 0.25 s,
    interaction webhooks 5 per 2 s per token, ...)."""
    messages = Bucket("messages:create", 5, 5.0)
    edit = Bucket("messages:edit", 5, 5.0)
    delete = Bucket("messages:delete", 5, 1.0)
    reactions = Bucket("reactions", 1, 0.25)
    threads = Bucket("threads:create", 10, 10.0)
    channel = Bucket("channel:modify", 5, 5.0)
    thread_members = Bucket("thread-members", 10, 10.0)
    webhook = Bucket("webhook:execute", 5, 2.0)
    webhook_message = Bucket("webhook:message", 5, 2.0)
    callback = Bucket("interaction:callback", 5, 5.0)
    commands = Bucket("commands:overwrite", 10, 60.0)
    create_command = Bucket("commands:create", 5, 20.0)
    table = {
        "POST /channels/{channel_id}/messages": messages,
        "PATCH /channels/{channel_id}/messages/{message_id}": edit,
        "DELETE /channels/{channel_id}/messages/{message_id}": delete,
        "PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me": reactions,
        "DELETE /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me": reactions,
        "POST /channels/{channel_id}/messages/{message_id}/threads": threads,
        "POST /channels/{channel_id}/threads": threads,
        "PATCH /channels/{channel_id}": channel,
        "DELETE /channels/{channel_id}": channel,
        "PUT /channels/{channel_id}/thread-members/{user_id}": thread_members,
        "DELETE /channels/{channel_id}/thread-members/{user_id}": thread_members,
        "POST /channels/{channel_id}/typing": Bucket("typing", 5, 5.0),
        "POST /interactions/{interaction_id}/{token}/callback": callback,
        "POST /webhooks/{app_id}/{token}": webhook,
        "GET /webhooks/{app_id}/{token}/messages/{message_id}": webhook_message,
        "PATCH /webhooks/{app_id}/{token}/messages/{message_id}": webhook_message,
        "DELETE /webhooks/{app_id}/{token}/messages/{message_id}": webhook_message,
        "PUT /applications/{app_id}/commands": commands,
        "PUT /applications/{app_id}/guilds/{guild_id}/commands": commands,
        "POST /applications/{app_id}/commands": create_command,
        "POST /applications/{app_id}/guilds/{guild_id}/commands": create_command,
    }
    return table


@dataclass
class _Window:
    remaining: int
    resets_at: float


@dataclass(frozen=True)
class Verdict:
    """What the limiter says about one request: its headers, and a 429 body when refused."""

    headers: dict[str, str]
    refusal: dict[str, Any] | None = None


@dataclass
class RateLimits:
    """Per-route buckets and the global limit for one bot token. Every route not listed in
    ``buckets`` gets a generous bucket of its own (``default``)."""

    buckets: dict[str, Bucket] = field(default_factory=_route_buckets)
    default: Bucket = field(default_factory=lambda: Bucket("read", 50, 1.0))
    global_limit: int = GLOBAL_LIMIT
    global_per: float = GLOBAL_PER
    _windows: dict[tuple[str, tuple[str, ...]], _Window] = field(default_factory=dict)
    _global: _Window | None = None
    refused: list[tuple[str, str]] = field(default_factory=list)

    def set(self, route: str, *, limit: int, per: float) -> None:
        """Resize the bucket of ``route`` ("POST /channels/{channel_id}/messages") and of every
        route sharing it."""
        bucket = self.bucket_of(route)
        bucket.limit, bucket.per = limit, per
        self._windows = {k: w for k, w in self._windows.items() if k[0] != bucket.name}

    def set_global(self, *, limit: int, per: float) -> None:
        """Resize the global limit (Discord's: 50 a second), starting a fresh window."""
        self.global_limit, self.global_per = limit, per
        self._global = None

    def bucket_of(self, route: str) -> Bucket:
        if route not in self.buckets:
            self.buckets[route] = Bucket(f"default:{route}", self.default.limit, self.default.per)
        return self.buckets[route]

    def take(self, route: str, params: dict[str, str]) -> Verdict:
        """Spend one request of ``route`` (method and template) for these path parameters."""
        now = time.monotonic()
        bucket = self.bucket_of(route)
        key = (bucket.name, tuple(params.get(p, "") for p in MAJOR_PARAMETERS))
        window = self._windows.get(key)
        if window is None or now >= window.resets_at:
            window = self._windows[key] = _Window(bucket.limit, now + bucket.per)
        path = route.partition(" ")[2]
        bound_globally = not path.startswith(INTERACTION_ROUTE_PREFIXES)
        if bound_globally:
            if self._global is None or now >= self._global.resets_at:
                self._global = _Window(self.global_limit, now + self.global_per)
            if self._global.remaining <= 0:
                self.refused.append((route, "global"))
                return self._global_refusal(self._global.resets_at - now)
        if window.remaining <= 0:
            self.refused.append((route, "user"))
            return self._route_refusal(bucket, window, now)
        window.remaining -= 1
        if bound_globally:
            assert self._global is not None
            self._global.remaining -= 1
        return Verdict(self._headers(bucket, window, now))

    @staticmethod
    def _headers(bucket: Bucket, window: _Window, now: float) -> dict[str, str]:
        reset_after = max(window.resets_at - now, 0.0)
        return {
            "X-RateLimit-Limit": str(bucket.limit),
            "X-RateLimit-Remaining": str(window.remaining),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket.hash,
        }

    def _route_refusal(self, bucket: Bucket, window: _Window, now: float) -> Verdict:
        retry_after = round(max(window.resets_at - now, 0.001), 3)
        headers = {
            **self._headers(bucket, window, now),
            "Retry-After": str(math.ceil(retry_after)),
            "X-RateLimit-Scope": "user",
        }
        body = {"message": RATE_LIMITED, "retry_after": retry_after, "global": False}
        return Verdict(headers, body)

    @staticmethod
    def _global_refusal(retry_after: float) -> Verdict:
        retry_after = round(max(retry_after, 0.001), 3)
        headers = {
            "Retry-After": str(math.ceil(retry_after)),
            "X-RateLimit-Global": "true",
            "X-RateLimit-Scope": "global",
        }
        body = {"message": RATE_LIMITED, "retry_after": retry_after, "global": True}
        return Verdict(headers, body)

"""The local Discord: an aiohttp server speaking REST v10 and the gateway to an unmodified discord.py.

It records every request, enforces Discord's limits (recording violations) and rate limits
(ratelimits.py), serves attachments and injects faults; what users do (commands, clicks, modals,
posts) lives in actions.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import discord
import yarl
from aiohttp import web

from . import limits
from .actions import UserActions
from .gateway import (
    DIRECT_MESSAGES_INTENT,
    GUILD_MESSAGES_INTENT,
    GUILDS_INTENT,
    MESSAGE_CONTENT_INTENT,
    PRIVILEGED_INTENTS,
    Gateway,
)
from .interactions import (
    ALLOWED_CALLBACKS,
    APPLICATION_COMMAND,
    AUTOCOMPLETE_RESULT,
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    DEFERRED_UPDATE,
    MODAL,
    TYPE_NAMES,
    UPDATE_MESSAGE,
    Callback,
    InteractionHandle,
)
from .ratelimits import Bucket, RateLimits
from .world import (
    CREATE_PRIVATE_THREADS,
    CREATE_PUBLIC_THREADS,
    DM,
    EPHEMERAL,
    EVERYONE_PERMISSIONS,
    GUILD_TEXT,
    LOADING,
    MANAGE_MESSAGES,
    MANAGE_THREADS,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    Channel,
    Guild,
    Role,
    StoredMessage,
    User,
    World,
    iso_now,
    snowflake,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
JSON_HEADERS = {"Content-Type": "application/json"}
INTERACTION_TOKEN_LIFETIME = 15 * 60
# Probes may look at bot-side state the server is never told about, so waits also poll.
POLL_INTERVAL = 0.02


class ApiError(Exception):
    def __init__(self, status: int, code: int, message: str, errors: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def _link_attachments(embeds: list[dict[str, Any]], attachments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """As Discord does: an embed image or thumbnail at `attachment://NAME` shows the message's
    attachment of that name (its URL replaces the reference); an unknown name shows nothing."""
    by_name = {a["filename"]: a for a in attachments}
    linked = []
    for embed in embeds:
        embed = dict(embed)
        for key in ("image", "thumbnail"):
            url = (embed.get(key) or {}).get("url", "")
            if url.startswith("attachment://"):
                found = by_name.get(url.removeprefix("attachment://"))
                if found is None:
                    embed.pop(key)
                else:
                    embed[key] = {"url": found["url"], "proxy_url": found["proxy_url"]}
        linked.append(embed)
    return linked


def _not_found(what: str, code: int) -> ApiError:
    return ApiError(404, code, f"Unknown {what}")


@dataclass
class RecordedRequest:
    """One REST request as the bot sent it, and what the local Discord answered."""

    method: str
    path: str
    route: str
    query: dict[str, str]
    json: Any
    files: list[tuple[str, str | None, bytes]]
    at: float
    status: int = 0

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status}"


@dataclass(frozen=True)
class Violation:
    """Something real Discord would refuse, or a rule (like the 3-second reply) the bot broke."""

    rule: str
    detail: str
    request: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.detail} ({self.request})"


@dataclass
class _Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    remaining: int
    retry_after: float
    scope: str


@dataclass
class _Request:
    method: str
    params: dict[str, str]
    query: dict[str, str]
    json: Any
    files: list[tuple[str, str | None, bytes]] = field(default_factory=list)


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[a-z_]+\})", template)
    out = []
    for part in parts:
        if part.startswith("{"):
            out.append(f"(?P<{part[1:-1]}>[^/]+)")
        else:
            out.append(re.escape(part))
    return re.compile("^" + "".join(out) + "$")


class LocalDiscord(UserActions):
    """A local Discord (REST v10 + gateway) on 127.0.0.1 holding a ``World``.

    ``async with LocalDiscord() as server:`` starts it on a free port; ``server.patch_discord()``
    points discord.py at it.
    """

    def __init__(
        self,
        *,
        token: str = "local.discord.token",
        world: World | None = None,
        interaction_deadline: float = 3.0,
        privileged_intents: int = PRIVILEGED_INTENTS,
        backlog: int = 4096,
    ) -> None:
        self.token = token
        self.world = world or World()
        self.interaction_deadline = interaction_deadline
        self.privileged_intents = privileged_intents
        self.backlog = backlog
        self.gateway = Gateway(self)
        self.requests: list[RecordedRequest] = []
        self.violations: list[Violation] = []
        self.unimplemented: list[str] = []
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.command_syncs: list[tuple[int | None, list[dict[str, Any]]]] = []
        self.interactions: dict[int, InteractionHandle] = {}
        self._by_token: dict[str, InteractionHandle] = {}
        self.messages: dict[int, StoredMessage] = {}
        self.channel_messages: dict[int, list[StoredMessage]] = {}
        self.attachments: dict[int, tuple[bytes, str, str | None]] = {}
        self._faults: list[_Fault] = []
        # Seconds the attachment host takes before answering (a slow CDN), for tests of uploads.
        self.attachment_delay = 0.0
        self.rate_limits = RateLimits()
        self._changed = asyncio.Event()
        self._wake_scheduled = False
        self._command_ids: dict[tuple[int | None, str], int] = {}
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._routes = self._route_table()

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/attachments/{attachment_id}/{filename}", self._serve_attachment)
        app.router.add_route("*", "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, backlog=self.backlog, reuse_address=True)
        await site.start()
        self.port = self._runner.addresses[0][1]
        log.debug("local Discord listening on %s", self.base_url)

    async def close(self) -> None:
        await self.gateway.shutdown()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> LocalDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/api/v10"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @contextlib.contextmanager
    def patch_discord(self) -> Iterator[None]:
        """Point discord.py's REST base and gateway address at this server, restoring them after."""
        old_base = discord.http.Route.BASE
        old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = self.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.ws_url)
        try:
            yield
        finally:
            discord.http.Route.BASE = old_base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway

    # -- waiting --------------------------------------------------------------------------

    def notify(self) -> None:
        """Wake every ``wait_until``: something in the world, requests or gateway changed.

        The waiters wake once per turn of the event loop however many changes a request made
        (a reply records the request, stores the message and the callback): each wake re-runs
        every waiter's probe, so waking them per change made the driver's work grow with both."""
        if self._wake_scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # outside the loop (a test arranging the world): wake now
            self._wake()
            return
        self._wake_scheduled = True
        loop.call_soon(self._wake)

    def _wake(self) -> None:
        self._wake_scheduled = False
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    async def wait_until(
        self,
        probe: Callable[[], T],
        timeout: float,  # noqa: ASYNC109 - helpers take explicit time limits
        what: str,
        about: InteractionHandle | None = None,
    ) -> T:
        """Return ``probe()`` once it is truthy; fail clearly after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            result = probe()
            if result:
                return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(self._timeout_report(what, timeout, about))
            # asyncio.timeout, not wait_for: no task per wake (every change wakes every waiter).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(remaining, POLL_INTERVAL)):
                    await self._changed.wait()

    def _timeout_report(self, what: str, timeout: float, about: InteractionHandle | None) -> str:
        lines = [f"local Discord: gave up waiting for {what} after {timeout}s"]
        if about is not None:
            lines.append(f"  callbacks: {[c.type for c in about.callbacks]}")
            lines.append(f"  messages: {[m.content[:60] for m in about.messages]}")
        lines.extend(f"  violation: {v}" for v in self.violations)
        lines.extend(f"  unimplemented: {u}" for u in self.unimplemented)
        lines.extend(f"  recent request: {r}" for r in self.requests[-5:])
        return "\n".join(lines)

    async def wait_for_request(
        self,
        predicate: Callable[[RecordedRequest], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - helpers take explicit time limits
    ) -> RecordedRequest:
        """The first recorded request (past or future) matching ``predicate``, once answered."""

        def probe() -> RecordedRequest | None:
            return next((r for r in self.requests if r.status and predicate(r)), None)

        return await self.wait_until(probe, timeout, "a matching request")

    async def wait_for_message(
        self,
        predicate: Callable[[StoredMessage], bool] = lambda m: True,
        timeout: float = 5.0,  # noqa: ASYNC109 - helpers take explicit time limits
        *,
        channel: Channel | None = None,
    ) -> StoredMessage:
        """The first stored message (ephemeral ones included) matching ``predicate``."""

        def probe() -> StoredMessage | None:
            for msg in self.messages.values():
                if msg.deleted or (channel is not None and msg.channel_id != channel.id):
                    continue
                if predicate(msg):
                    return msg
            return None

        return await self.wait_until(probe, timeout, "a matching message")

    async def wait_ready(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 - helpers take explicit time limits
        """Wait until a bot has identified (READY and GUILD_CREATE sent)."""
        await self.gateway.wait_ready(timeout)

    # -- problems the test fixture checks -------------------------------------------------

    @property
    def problems(self) -> list[str]:
        """Every violation and every request to a route this server does not implement."""
        return [str(v) for v in self.violations] + [
            f"unimplemented route: {u}" for u in self.unimplemented
        ]

    def assert_clean(self) -> None:
        if self.problems:
            raise AssertionError("local Discord saw problems:\n  " + "\n  ".join(self.problems))

    def take_violations(self) -> list[Violation]:
        """Remove and return the violations so far (for tests that provoke one on purpose)."""
        taken, self.violations = self.violations, []
        return taken

    def _violate(self, rule: str, detail: str, request: str) -> None:
        log.warning("local Discord violation [%s]: %s (%s)", rule, detail, request)
        self.violations.append(Violation(rule, detail, request))
        self.notify()

    # -- fault injection ------------------------------------------------------------------

    def fail_next(
        self,
        route: str,
        *,
        status: int = 500,
        count: int = 1,
        retry_after: float = 0.25,
        scope: str = "user",
    ) -> None:
        """The next ``count`` requests to ``route`` ("POST /channels/{channel_id}/messages", a
        template or a literal path) get ``status``; a 429 carries Via, retry_after and
        X-RateLimit headers the way Discord sends them."""
        method, _, path = route.partition(" ")
        self._faults.append(
            _Fault(method.upper(), _template_regex(path), status, count, retry_after, scope)
        )

    def _take_fault(self, method: str, path: str, template: str) -> _Fault | None:
        for fault in self._faults:
            if fault.method == method and (
                fault.pattern.match(path) or fault.pattern.match(template)
            ):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    @staticmethod
    def _fault_response(fault: _Fault, bucket: Bucket) -> web.Response:
        if fault.status != 429:
            body = {
                "message": "Internal Server Error" if fault.status == 500 else "Bad Gateway",
                "code": 0,
            }
            return web.Response(
                status=fault.status, body=json.dumps(body).encode(), headers=JSON_HEADERS
            )
        body = {
            "message": "You are being rate limited.",
            "retry_after": fault.retry_after,
            "global": fault.scope == "global",
        }
        headers = {**JSON_HEADERS, "Retry-After": str(math.ceil(fault.retry_after))}
        if fault.scope == "global":
            headers["X-RateLimit-Global"] = "true"
        else:
            # The route's own bucket, spent until the retry: as a real refusal would say.
            headers.update(
                {
                    "X-RateLimit-Limit": str(bucket.limit),
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": f"{time.time() + fault.retry_after:.3f}",
                    "X-RateLimit-Reset-After": f"{fault.retry_after:.3f}",
                    "X-RateLimit-Bucket": bucket.hash,
                }
            )
        headers["X-RateLimit-Scope"] = fault.scope
        return web.Response(status=429, body=json.dumps(body).encode(), headers=headers)

    async def drop_gateway(self, shard_id: int | None = None) -> int:
        """Close every gateway websocket (or only shard ``shard_id``'s) abnormally (the client sees
        1006 and resumes)."""
        return await self.gateway.close_abnormally(shard_id)

    def send_reconnect(self) -> int:
        """Send op 7 RECONNECT."""
        return self.gateway.send_reconnect()

    def invalidate_session(self, *, resumable: bool) -> int:
        """Send op 9 INVALID_SESSION."""
        return self.gateway.invalidate_session(resumable=resumable)

    # -- REST dispatch --------------------------------------------------------------------

    def _route_table(self) -> list[tuple[str, str, re.Pattern[str], Callable[..., Any], bool]]:
        table = [
            ("GET", "/users/@me", self._get_me, True),
            ("GET", "/users/{user_id}", self._get_user, True),
            ("POST", "/users/@me/channels", self._create_dm, True),
            ("GET", "/oauth2/applications/@me", self._get_application, True),
            ("GET", "/applications/@me", self._get_application, True),
            ("GET", "/gateway", self._get_gateway, False),
            ("GET", "/gateway/bot", self._get_gateway_bot, True),
            ("GET", "/applications/{app_id}/commands", self._get_commands, True),
            ("PUT", "/applications/{app_id}/commands", self._put_commands, True),
            ("POST", "/applications/{app_id}/commands", self._post_command, True),
            ("GET", "/applications/{app_id}/guilds/{guild_id}/commands", self._get_commands, True),
            ("PUT", "/applications/{app_id}/guilds/{guild_id}/commands", self._put_commands, True),
            ("POST", "/applications/{app_id}/guilds/{guild_id}/commands", self._post_command, True),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self._callback, False),
            ("POST", "/webhooks/{app_id}/{token}", self._followup, False),
            (
                "GET",
                "/webhooks/{app_id}/{token}/messages/{message_id}",
                self._get_webhook_message,
                False,
            ),
            (
                "PATCH",
                "/webhooks/{app_id}/{token}/messages/{message_id}",
                self._edit_webhook_message,
                False,
            ),
            (
                "DELETE",
                "/webhooks/{app_id}/{token}/messages/{message_id}",
                self._delete_webhook_message,
                False,
            ),
            ("GET", "/channels/{channel_id}", self._get_channel, True),
            ("PATCH", "/channels/{channel_id}", self._edit_channel, True),
            ("DELETE", "/channels/{channel_id}", self._delete_channel, True),
            ("GET", "/channels/{channel_id}/messages", self._history, True),
            ("POST", "/channels/{channel_id}/messages", self._send_message, True),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self._get_message, True),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self._edit_message, True),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self._delete_message, True),
            (
                "POST",
                "/channels/{channel_id}/messages/{message_id}/threads",
                self._thread_from_message,
                True,
            ),
            ("POST", "/channels/{channel_id}/threads", self._thread_without_message, True),
            ("PUT", "/channels/{channel_id}/thread-members/{user_id}", self._join_thread, True),
            ("DELETE", "/channels/{channel_id}/thread-members/{user_id}", self._leave_thread, True),
            ("POST", "/channels/{channel_id}/typing", self._typing, True),
            (
                "PUT",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
                self._react,
                True,
            ),
            (
                "DELETE",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
                self._unreact,
                True,
            ),
            ("GET", "/guilds/{guild_id}", self._get_guild, True),
            ("GET", "/guilds/{guild_id}/channels", self._get_guild_channels, True),
            ("GET", "/guilds/{guild_id}/roles", self._get_roles, True),
            ("GET", "/guilds/{guild_id}/members", self._list_members, True),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self._get_member, True),
            ("GET", "/guilds/{guild_id}/threads/active", self._active_threads, True),
        ]
        return [(m, t, _template_regex(t), h, auth) for m, t, h, auth in table]

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        method = request.method
        prefix = "/api/v10"
        if not path.startswith(prefix + "/"):
            return self._unimplemented(method, path, "not under /api/v10")
        path = path[len(prefix) :]
        for route_method, template, regex, handler, needs_auth in self._routes:
            if route_method != method:
                continue
            match = regex.match(path)
            if match is None:
                continue
            return await self._handle(
                request, path, template, match.groupdict(), handler, needs_auth
            )
        return self._unimplemented(method, path, "no such route")

    def _unimplemented(self, method: str, path: str, why: str) -> web.Response:
        self.unimplemented.append(f"{method} {path}")
        self.requests.append(
            RecordedRequest(method, path, "?", {}, None, [], time.monotonic(), 404)
        )
        self.notify()
        log.warning("local Discord: unimplemented route %s %s (%s)", method, path, why)
        body = {"message": "404: Not Found", "code": 0}
        return web.Response(status=404, body=json.dumps(body).encode(), headers=JSON_HEADERS)

    async def _handle(
        self,
        request: web.Request,
        path: str,
        template: str,
        params: dict[str, str],
        handler: Callable[..., Any],
        needs_auth: bool,
    ) -> web.Response:
        body, files = await self._read_body(request)
        record = RecordedRequest(
            request.method,
            path,
            f"{request.method} {template}",
            dict(request.query),
            body,
            files,
            time.monotonic(),
        )
        self.requests.append(record)
        route = f"{request.method} {template}"
        limit_headers: dict[str, str] = {}
        try:
            fault = self._take_fault(request.method, path, template)
            if fault is not None:
                response = self._fault_response(fault, self.rate_limits.bucket_of(route))
            elif needs_auth and request.headers.get("Authorization") != f"Bot {self.token}":
                raise ApiError(401, 0, "401: Unauthorized")
            elif (verdict := self.rate_limits.take(route, params)).refusal is not None:
                response = web.Response(
                    status=429,
                    body=json.dumps(verdict.refusal).encode(),
                    headers={**JSON_HEADERS, **verdict.headers},
                )
            else:
                # Discord answers every request of a bucketed route with its headers, errors too.
                limit_headers = verdict.headers
                if files and (too_big := limits.check_upload(files)):
                    for problem in too_big:
                        self._violate("upload-limits", problem, f"{request.method} {path}")
                    raise ApiError(413, 40005, "Request entity too large")
                result = await handler(
                    _Request(request.method, params, dict(request.query), body, files)
                )
                if result is None:
                    response = web.Response(status=204)
                else:
                    response = web.Response(body=json.dumps(result).encode(), headers=JSON_HEADERS)
        except ApiError as exc:
            response = web.Response(
                status=exc.status, body=json.dumps(exc.body()).encode(), headers=JSON_HEADERS
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            # A body Discord would call an invalid form; never a 500, which discord.py retries.
            log.exception("local Discord could not handle %s %s", request.method, path)
            self._violate(
                "malformed-request", f"{type(exc).__name__}: {exc}", f"{request.method} {path}"
            )
            body = {"message": "Invalid Form Body", "code": 50035}
            response = web.Response(
                status=400, body=json.dumps(body).encode(), headers=JSON_HEADERS
            )
        response.headers.update(limit_headers)
        # Discord's API answers through Google's front end; discord.py trusts a 429 only with Via.
        response.headers["Via"] = "1.1 google"
        record.status = response.status
        self.notify()
        return response

    @staticmethod
    async def _read_body(request: web.Request) -> tuple[Any, list[tuple[str, str | None, bytes]]]:
        if not request.can_read_body:
            return None, []
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            payload: Any = None
            files = []
            for name, value in form.items():
                if name == "payload_json":
                    payload = json.loads(value if isinstance(value, str) else value.file.read())
                elif isinstance(value, web.FileField):
                    files.append((value.filename, value.content_type, value.file.read()))
            return payload, files
        raw = await request.read()
        return (json.loads(raw) if raw else None), []

    # -- lookups --------------------------------------------------------------------------

    def _channel(self, channel_id: str) -> Channel:
        channel = self.world.channels.get(int(channel_id)) if channel_id.isdigit() else None
        if channel is None:
            raise _not_found("Channel", 10003)
        return channel

    def _guild(self, guild_id: str) -> Guild:
        guild = self.world.guilds.get(int(guild_id)) if guild_id.isdigit() else None
        if guild is None:
            raise _not_found("Guild", 10004)
        return guild

    def _message(self, channel: Channel, message_id: str) -> StoredMessage:
        msg = self.messages.get(int(message_id)) if message_id.isdigit() else None
        if msg is None or msg.deleted or msg.ephemeral or msg.channel_id != channel.id:
            raise _not_found("Message", 10008)
        return msg

    def _interaction_by_token(self, app_id: str, token: str) -> InteractionHandle:
        handle = self._by_token.get(token)
        if handle is None or app_id != str(self.world.application_id):
            raise _not_found("Webhook", 10015)
        if time.monotonic() - handle.created > INTERACTION_TOKEN_LIFETIME:
            raise ApiError(401, 50027, "Invalid Webhook Token")
        return handle

    def channel_permissions(self, user: User, channel: Channel) -> int:
        guild = self.world.guild_of(channel)
        if guild is None:
            return EVERYONE_PERMISSIONS
        return guild.permissions_of(user)

    def _require(self, channel: Channel, permission: int) -> None:
        if channel.type == DM:
            return
        if not self.channel_permissions(self.world.bot_user, channel) & permission:
            raise ApiError(403, 50013, "Missing Permissions")

    # -- identity, gateway, commands ------------------------------------------------------

    async def _get_me(self, req: _Request) -> dict[str, Any]:
        return {
            **self.world.bot_user.payload(),
            "verified": True,
            "mfa_enabled": False,
            "bot": True,
        }

    async def _get_user(self, req: _Request) -> dict[str, Any]:
        user = (
            self.world.users.get(int(req.params["user_id"]))
            if req.params["user_id"].isdigit()
            else None
        )
        if user is None:
            raise _not_found("User", 10013)
        return user.payload()

    async def _create_dm(self, req: _Request) -> dict[str, Any]:
        user = self.world.users.get(int(req.json.get("recipient_id", 0)))
        if user is None:
            raise _not_found("User", 10013)
        return self.world.dm_with(user).payload()

    async def _get_application(self, req: _Request) -> dict[str, Any]:
        world = self.world
        return {
            "id": str(world.application_id),
            "name": world.bot_user.username,
            "icon": None,
            "description": "StoryBot on the local Discord",
            "rpc_origins": [],
            "bot_public": False,
            "bot_require_code_grant": False,
            "bot": world.bot_user.payload(),
            "terms_of_service_url": None,
            "privacy_policy_url": None,
            "owner": world.owner.payload(),
            "verify_key": "0" * 64,
            "team": None,
            "guild_id": None,
            "flags": 0,
            "tags": [],
            "interactions_endpoint_url": None,
            "redirect_uris": [],
            "approximate_guild_count": len(world.guilds),
        }

    async def _get_gateway(self, req: _Request) -> dict[str, Any]:
        return {"url": self.ws_url}

    async def _get_gateway_bot(self, req: _Request) -> dict[str, Any]:
        world = self.world
        limit = {
            "total": world.session_start_total,
            "remaining": world.session_start_remaining,
            "reset_after": 86_400_000,
            "max_concurrency": 1,
        }
        return {"url": self.ws_url, "shards": world.recommended_shards, "session_start_limit": limit}

    def _command_scope(self, req: _Request) -> int | None:
        if req.params["app_id"] != str(self.world.application_id):
            raise ApiError(403, 50001, "Missing Access")
        guild_id = req.params.get("guild_id")
        return self._guild(guild_id).id if guild_id is not None else None

    def _stored_commands(self, guild_id: int | None) -> list[dict[str, Any]]:
        return self.global_commands if guild_id is None else self.guild_commands.get(guild_id, [])

    async def _get_commands(self, req: _Request) -> list[dict[str, Any]]:
        return self._stored_commands(self._command_scope(req))

    def _materialise_command(self, guild_id: int | None, body: dict[str, Any]) -> dict[str, Any]:
        key = (guild_id, f"{body.get('type', 1)}:{body['name']}")
        command_id = self._command_ids.setdefault(key, snowflake())
        command = {
            "type": 1,
            "description": "",
            "options": [],
            "default_member_permissions": None,
            "nsfw": False,
            **body,
            "id": str(command_id),
            "application_id": str(self.world.application_id),
            "version": str(snowflake()),
        }
        if guild_id is not None:
            command["guild_id"] = str(guild_id)
        return command

    async def _put_commands(self, req: _Request) -> list[dict[str, Any]]:
        guild_id = self._command_scope(req)
        if not isinstance(req.json, list):
            raise ApiError(400, 50035, "Invalid Form Body")
        problems = limits.check_commands(req.json)
        self._reject_if(problems, "command-sync", f"PUT commands guild={guild_id}")
        commands = [self._materialise_command(guild_id, c) for c in req.json]
        if guild_id is None:
            self.global_commands = commands
        else:
            self.guild_commands[guild_id] = commands
        self.command_syncs.append((guild_id, commands))
        return commands

    async def _post_command(self, req: _Request) -> dict[str, Any]:
        guild_id = self._command_scope(req)
        self._reject_if(limits.check_commands([req.json]), "command-sync", "POST command")
        command = self._materialise_command(guild_id, req.json)
        stored = [c for c in self._stored_commands(guild_id) if c["name"] != command["name"]] + [
            command
        ]
        if guild_id is None:
            self.global_commands = stored
        else:
            self.guild_commands[guild_id] = stored
        return command

    def _reject_if(self, problems: list[str], rule: str, where: str) -> None:
        if not problems:
            return
        for problem in problems:
            self._violate(rule, problem, where)
        raise ApiError(400, 50035, "Invalid Form Body", limits.form_errors(problems, rule))

    # -- messages -------------------------------------------------------------------------

    def _attachment_payload(
        self, attachment_id: int, filename: str, data: bytes, content_type: str | None
    ) -> dict:
        url = f"{self.base_url}/attachments/{attachment_id}/{filename}"
        return {
            "id": str(attachment_id),
            "filename": filename,
            "size": len(data),
            "url": url,
            "proxy_url": url,
            "content_type": content_type,
        }

    def register_attachment(
        self, data: bytes, filename: str, content_type: str | None = "text/plain; charset=utf-8"
    ) -> dict[str, Any]:
        """Store bytes the server will serve over HTTP; returns the attachment payload, which
        ``run_command`` accepts as the value of an attachment option."""
        attachment_id = snowflake()
        self.attachments[attachment_id] = (data, filename, content_type)
        return self._attachment_payload(attachment_id, filename, data, content_type)

    async def _serve_attachment(self, request: web.Request) -> web.Response:
        aid = request.match_info["attachment_id"]
        stored = self.attachments.get(int(aid)) if aid.isdigit() else None
        self.requests.append(
            RecordedRequest(
                "GET", request.path, "GET /attachments", {}, None, [], time.monotonic(), 0
            )
        )
        if stored is None or stored[1] != request.match_info["filename"]:
            self.requests[-1].status = 404
            self.notify()
            return web.Response(status=404, text="not found")
        data, _, content_type = stored
        self.requests[-1].status = 200
        self.notify()
        if self.attachment_delay:
            await asyncio.sleep(self.attachment_delay)
        return web.Response(
            body=data, headers={"Content-Type": content_type or "application/octet-stream"}
        )

    def _message_attachments(
        self,
        body: dict[str, Any],
        files: list[tuple[str, str | None, bytes]],
        keep: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        """Attachments after a create/edit: kept existing ones (by id) plus newly uploaded files."""
        result = []
        wanted = body.get("attachments")
        existing = {a["id"]: a for a in keep}
        uploaded = iter(files)
        if wanted is None:
            result.extend(keep)
            wanted = [{"id": i} for i in range(len(files))]
        for item in wanted:
            item_id = str(item.get("id"))
            if item_id in existing:
                result.append(existing[item_id])
                continue
            upload = next(uploaded, None)
            if upload is None:
                continue
            filename, content_type, data = upload
            name = item.get("filename") or filename
            payload = self.register_attachment(data, name, content_type)
            if item.get("description"):
                payload["description"] = item["description"]
            result.append(payload)
        return result

    def _author_fields(self, author: User, channel: Channel) -> dict[str, Any]:
        fields: dict[str, Any] = {"author": author.payload()}
        guild = self.world.guild_of(channel)
        if guild is not None:
            fields["guild_id"] = str(guild.id)
            member = guild.members.get(author.id)
            if member is not None:
                member_payload = member.payload()
                del member_payload["user"]
                fields["member"] = member_payload
        return fields

    def _mentions(self, content: str) -> dict[str, Any]:
        ids = {int(x) for x in re.findall(r"<@!?(\d+)>", content)}
        roles = re.findall(r"<@&(\d+)>", content)
        return {
            "mentions": [self.world.users[i].payload() for i in ids if i in self.world.users],
            "mention_roles": roles,
            "mention_everyone": "@everyone" in content or "@here" in content,
        }

    def create_message(
        self,
        channel: Channel,
        author: User,
        body: dict[str, Any],
        files: list[tuple[str, str | None, bytes]] | None = None,
        *,
        where: str,
        interaction: InteractionHandle | None = None,
        ephemeral: bool = False,
        loading: bool = False,
        message_type: int = 0,
        attachments: list[dict[str, Any]] | None = None,
    ) -> StoredMessage:
        """Validate, store and (unless ephemeral) dispatch a new message."""
        if not loading:
            has_files = bool(files) or bool(attachments)
            self._reject_if(
                limits.check_message(body, has_files=has_files), "message-limits", where
            )
        content = body.get("content") or ""
        flags = (body.get("flags") or 0) & ~(EPHEMERAL | LOADING)
        if ephemeral:
            flags |= EPHEMERAL
        if loading:
            flags |= LOADING
        message_id = snowflake()
        data: dict[str, Any] = {
            "id": str(message_id),
            "channel_id": str(channel.id),
            **self._author_fields(author, channel),
            "content": content,
            "timestamp": iso_now(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts")),
            **self._mentions(content),
            "attachments": attachments
            if attachments is not None
            else self._message_attachments(body, files or [], []),
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "reactions": [],
            "pinned": False,
            "type": message_type,
            "flags": flags,
        }
        data["embeds"] = _link_attachments(data["embeds"], data["attachments"])
        if body.get("message_reference"):
            ref = body["message_reference"]
            data["message_reference"] = {**ref, "channel_id": str(channel.id)}
            data["type"] = 19
            referenced = self.messages.get(int(ref.get("message_id", 0)))
            data["referenced_message"] = referenced.data if referenced else None
        if interaction is not None:
            data["application_id"] = str(self.world.application_id)
            data["webhook_id"] = str(self.world.application_id)
            data["interaction_metadata"] = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": interaction.user.payload(),
                "authorizing_integration_owners": {},
            }
        msg = StoredMessage(
            data,
            body.get("allowed_mentions"),
            ephemeral=ephemeral,
            interaction_id=interaction.id if interaction else None,
        )
        self.messages[message_id] = msg
        if not ephemeral:
            self.channel_messages.setdefault(channel.id, []).append(msg)
            channel.last_message_id = message_id
            if channel.is_thread:
                channel.message_count += 1
                channel.total_message_sent += 1
            self._dispatch_message("MESSAGE_CREATE", msg, channel)
        self.notify()
        return msg

    def edit_message(
        self,
        msg: StoredMessage,
        body: dict[str, Any],
        files: list[tuple[str, str | None, bytes]],
        *,
        where: str,
    ) -> StoredMessage:
        """Apply a PATCH body (fields present replace, absent stay) and dispatch MESSAGE_UPDATE.

        The merged message is validated as a whole; a refused edit changes nothing."""
        data = dict(msg.data)
        for key in ("content", "embeds", "components"):
            if key in body:
                data[key] = body[key] if body[key] is not None else ("" if key == "content" else [])
        if "content" in body:
            data.update(self._mentions(data["content"]))
        if "attachments" in body or files:
            data["attachments"] = self._message_attachments(body, files, data["attachments"])
        if body.get("flags") is not None:
            data["flags"] = (body["flags"] & ~(EPHEMERAL | LOADING)) | (data["flags"] & EPHEMERAL)
        data["embeds"] = _link_attachments(data["embeds"], data["attachments"])
        merged = {k: data[k] for k in ("content", "embeds", "components", "flags", "attachments")}
        self._reject_if(limits.check_message(merged), "message-limits", where)
        if not msg.loading:
            data["edited_timestamp"] = iso_now()
        data["flags"] &= ~LOADING
        msg.data = data
        if "allowed_mentions" in body:
            msg.allowed_mentions = body["allowed_mentions"]
        msg.edits += 1
        if not msg.ephemeral:
            self._dispatch_message("MESSAGE_UPDATE", msg, self.world.channels[msg.channel_id])
        self.notify()
        return msg

    def delete_message(self, msg: StoredMessage) -> None:
        msg.deleted = True
        channel = self.world.channels[msg.channel_id]
        if not msg.ephemeral:
            event = {"id": str(msg.id), "channel_id": str(channel.id)}
            if channel.guild_id:
                event["guild_id"] = str(channel.guild_id)
            intent = GUILD_MESSAGES_INTENT if channel.guild_id else DIRECT_MESSAGES_INTENT
            self.gateway.dispatch("MESSAGE_DELETE", event, guild_id=channel.guild_id, intent=intent)
        self.notify()

    def _dispatch_message(self, event: str, msg: StoredMessage, channel: Channel) -> None:
        intent = GUILD_MESSAGES_INTENT if channel.guild_id else DIRECT_MESSAGES_INTENT
        bot_id = self.world.bot_user.id
        for session in self.gateway.sessions_for(channel.guild_id):
            if not session.intents & intent:
                continue
            data = msg.data
            readable = (
                session.intents & MESSAGE_CONTENT_INTENT
                or msg.author_id == bot_id
                or channel.type == DM
                or any(int(u["id"]) == bot_id for u in data["mentions"])
            )
            if not readable:
                # Without the Message Content intent Discord blanks what a message says.
                data = {**data, "content": "", "embeds": [], "attachments": [], "components": []}
            session.dispatch(event, data)

    def messages_in(self, channel: Channel) -> list[StoredMessage]:
        """Visible (non-ephemeral, not deleted) messages of a channel or thread, oldest first."""
        return [m for m in self.channel_messages.get(channel.id, []) if not m.deleted]

    def ephemeral_messages(self, user: User | None = None) -> list[StoredMessage]:
        """Ephemeral messages (optionally only those shown to ``user``), oldest first."""
        result = []
        for msg in self.messages.values():
            if msg.ephemeral and not msg.deleted:
                handle = self.interactions.get(msg.interaction_id or 0)
                if user is None or (handle is not None and handle.user is user):
                    result.append(msg)
        return result

    # -- channel message routes -----------------------------------------------------------

    def _check_can_send(self, channel: Channel) -> None:
        if channel.is_thread:
            self._require(channel, SEND_MESSAGES_IN_THREADS)
            if channel.locked:
                raise ApiError(403, 50083, "Thread is locked")
            if channel.archived:
                channel.archived = False
                self.gateway.dispatch(
                    "THREAD_UPDATE", channel.payload(), guild_id=channel.guild_id, intent=GUILDS_INTENT
                )
        else:
            self._require(channel, SEND_MESSAGES)

    async def _send_message(self, req: _Request) -> dict[str, Any]:
        channel = self._channel(req.params["channel_id"])
        self._check_can_send(channel)
        body = req.json or {}
        msg = self.create_message(
            channel,
            self.world.bot_user,
            body,
            req.files,
            where=f"POST /channels/{channel.id}/messages",
        )
        return msg.data

    async def _history(self, req: _Request) -> list[dict[str, Any]]:
        channel = self._channel(req.params["channel_id"])
        limit = min(int(req.query.get("limit", 50)), 100)
        msgs = self.messages_in(channel)
        if "before" in req.query:
            msgs = [m for m in msgs if m.id < int(req.query["before"])]
        if "after" in req.query:
            msgs = [m for m in msgs if m.id > int(req.query["after"])][:limit]
        if "around" in req.query:
            around = int(req.query["around"])
            older = [m for m in msgs if m.id <= around][-(limit // 2 + 1) :]
            newer = [m for m in msgs if m.id > around][: limit // 2]
            msgs = older + newer
        return [m.data for m in reversed(msgs[-limit:])]

    async def _get_message(self, req: _Request) -> dict[str, Any]:
        channel = self._channel(req.params["channel_id"])
        return self._message(channel, req.params["message_id"]).data

    async def _edit_message(self, req: _Request) -> dict[str, Any]:
        channel = self._channel(req.params["channel_id"])
        msg = self._message(channel, req.params["message_id"])
        if msg.author_id != self.world.bot_user.id:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        return self.edit_message(
            msg, req.json or {}, req.files, where=f"PATCH message {msg.id}"
        ).data

    async def _delete_message(self, req: _Request) -> None:
        channel = self._channel(req.params["channel_id"])
        msg = self._message(channel, req.params["message_id"])
        if msg.author_id != self.world.bot_user.id:
            self._require(channel, MANAGE_MESSAGES)
        self.delete_message(msg)

    async def _typing(self, req: _Request) -> None:
        self._channel(req.params["channel_id"])

    async def _react(self, req: _Request) -> None:
        channel = self._channel(req.params["channel_id"])
        msg = self._message(channel, req.params["message_id"])
        emoji = req.params["emoji"]
        reactions = msg.data["reactions"]
        if not any(r["emoji"]["name"] == emoji for r in reactions):
            reactions.append({"count": 1, "me": True, "emoji": {"id": None, "name": emoji}})

    async def _unreact(self, req: _Request) -> None:
        channel = self._channel(req.params["channel_id"])
        msg = self._message(channel, req.params["message_id"])
        emoji = req.params["emoji"]
        msg.data["reactions"] = [r for r in msg.data["reactions"] if r["emoji"]["name"] != emoji]

    # -- channels and threads -------------------------------------------------------------

    async def _get_channel(self, req: _Request) -> dict[str, Any]:
        return self._channel(req.params["channel_id"]).payload()

    def _new_thread(
        self, parent: Channel, thread_id: int, body: dict[str, Any], thread_type: int, where: str
    ) -> Channel:
        if parent.type != GUILD_TEXT:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        self._reject_if(limits.check_thread_name(body.get("name")), "thread-limits", where)
        self._require(
            parent,
            CREATE_PRIVATE_THREADS if thread_type == PRIVATE_THREAD else CREATE_PUBLIC_THREADS,
        )
        duration = body.get("auto_archive_duration") or 1440
        if duration not in (60, 1440, 4320, 10080):
            self._reject_if(
                [f"auto_archive_duration {duration} is not 60, 1440, 4320 or 10080"],
                "thread-limits",
                where,
            )
        thread = Channel(
            thread_id,
            thread_type,
            body["name"],
            parent.guild_id,
            nsfw=parent.nsfw,
            parent_id=parent.id,
            owner_id=self.world.bot_user.id,
            auto_archive_duration=duration,
            invitable=body.get("invitable", True),
            member_ids={self.world.bot_user.id},
        )
        self.world.channels[thread.id] = thread
        guild = self.world.guild_of(parent)
        assert guild is not None
        guild.channels[thread.id] = thread
        self.gateway.dispatch(
            "THREAD_CREATE", {**thread.payload(), "newly_created": True}, guild_id=guild.id,
            intent=GUILDS_INTENT,
        )
        self.notify()
        return thread

    async def _thread_from_message(self, req: _Request) -> dict[str, Any]:
        parent = self._channel(req.params["channel_id"])
        msg = self._message(parent, req.params["message_id"])
        if msg.id in self.world.channels:
            raise ApiError(400, 160004, "A thread has already been created for this message")
        body = req.json or {}
        thread = self._new_thread(
            parent, msg.id, body, PUBLIC_THREAD, f"thread from message {msg.id}"
        )
        msg.data["thread"] = thread.payload()
        return thread.payload()

    async def _thread_without_message(self, req: _Request) -> dict[str, Any]:
        parent = self._channel(req.params["channel_id"])
        body = req.json or {}
        thread_type = body.get("type") or PRIVATE_THREAD
        if thread_type not in (PUBLIC_THREAD, PRIVATE_THREAD):
            raise ApiError(400, 50035, "Invalid Form Body")
        return self._new_thread(
            parent, snowflake(), body, thread_type, f"thread in {parent.id}"
        ).payload()

    async def _edit_channel(self, req: _Request) -> dict[str, Any]:
        channel = self._channel(req.params["channel_id"])
        body = req.json or {}
        where = f"PATCH /channels/{channel.id}"
        if "name" in body:
            check = (
                limits.check_thread_name
                if channel.is_thread
                else (lambda n: [] if n else ["empty name"])
            )
            self._reject_if(check(body["name"]), "thread-limits", where)
            channel.name = body["name"]
        if channel.is_thread:
            if channel.owner_id != self.world.bot_user.id:
                self._require(channel, MANAGE_THREADS)
            for key in ("archived", "locked", "auto_archive_duration", "invitable"):
                if key in body:
                    setattr(channel, key, body[key])
            if "archived" in body:
                channel.archive_timestamp = iso_now()
        event = "THREAD_UPDATE" if channel.is_thread else "CHANNEL_UPDATE"
        self.gateway.dispatch(event, channel.payload(), guild_id=channel.guild_id, intent=GUILDS_INTENT)
        self.notify()
        return channel.payload()

    async def _delete_channel(self, req: _Request) -> dict[str, Any]:
        channel = self._channel(req.params["channel_id"])
        if not channel.is_thread:
            raise ApiError(403, 50013, "Missing Permissions")
        self._require(channel, MANAGE_THREADS)
        del self.world.channels[channel.id]
        guild = self.world.guild_of(channel)
        if guild is not None:
            guild.channels.pop(channel.id, None)
        event = {
            "id": str(channel.id),
            "guild_id": str(channel.guild_id),
            "parent_id": str(channel.parent_id),
            "type": channel.type,
        }
        self.gateway.dispatch("THREAD_DELETE", event, guild_id=channel.guild_id, intent=GUILDS_INTENT)
        self.notify()
        return channel.payload()

    def _thread_member(self, req: _Request) -> tuple[Channel, int]:
        channel = self._channel(req.params["channel_id"])
        if not channel.is_thread:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        raw = req.params["user_id"]
        user_id = self.world.bot_user.id if raw == "@me" else int(raw)
        return channel, user_id

    async def _join_thread(self, req: _Request) -> None:
        channel, user_id = self._thread_member(req)
        channel.member_ids.add(user_id)
        self.notify()

    async def _leave_thread(self, req: _Request) -> None:
        channel, user_id = self._thread_member(req)
        channel.member_ids.discard(user_id)
        self.notify()

    # -- what a server's admins do in Discord's own UI (no bot route) -----------------------

    def admin_delete_channel(self, channel: Channel) -> None:
        """An admin deletes a text channel: it and its threads go, CHANNEL_DELETE is sent, and
        requests to it answer 404 Unknown Channel."""
        guild = self.world.guild_of(channel)
        for thread in [c for c in self.world.channels.values() if c.parent_id == channel.id]:
            self.world.channels.pop(thread.id, None)
            if guild is not None:
                guild.channels.pop(thread.id, None)
        self.world.channels.pop(channel.id, None)
        if guild is not None:
            guild.channels.pop(channel.id, None)
        self.gateway.dispatch("CHANNEL_DELETE", channel.payload(), guild_id=channel.guild_id, intent=GUILDS_INTENT)
        self.notify()

    def admin_set_role_permissions(self, guild: Guild, role: Role, permissions: int) -> None:
        """An admin edits a role's permissions: GUILD_ROLE_UPDATE is sent and checks use them at once."""
        role.permissions = permissions
        self.gateway.dispatch(
            "GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": role.payload()}, guild_id=guild.id,
            intent=GUILDS_INTENT,
        )
        self.notify()

    def threads(self, parent: Channel | None = None) -> list[Channel]:
        """Threads (optionally of one parent channel), oldest first."""
        return [
            c
            for c in self.world.channels.values()
            if c.is_thread and (parent is None or c.parent_id == parent.id)
        ]

    # -- guilds ---------------------------------------------------------------------------

    async def _get_guild(self, req: _Request) -> dict[str, Any]:
        guild = self._guild(req.params["guild_id"])
        payload = guild.payload(include_members=False, bot=self.world.bot_user)
        for key in ("members", "channels", "threads", "presences", "voice_states"):
            payload.pop(key)
        return payload

    async def _get_guild_channels(self, req: _Request) -> list[dict[str, Any]]:
        guild = self._guild(req.params["guild_id"])
        return [c.payload() for c in guild.channels.values() if not c.is_thread]

    async def _get_roles(self, req: _Request) -> list[dict[str, Any]]:
        return [r.payload() for r in self._guild(req.params["guild_id"]).roles.values()]

    async def _list_members(self, req: _Request) -> list[dict[str, Any]]:
        guild = self._guild(req.params["guild_id"])
        limit = int(req.query.get("limit", 1))
        after = int(req.query.get("after", 0))
        members = sorted(
            (m for m in guild.members.values() if m.user.id > after), key=lambda m: m.user.id
        )
        return [m.payload() for m in members[:limit]]

    async def _get_member(self, req: _Request) -> dict[str, Any]:
        guild = self._guild(req.params["guild_id"])
        member = (
            guild.members.get(int(req.params["user_id"]))
            if req.params["user_id"].isdigit()
            else None
        )
        if member is None:
            raise _not_found("Member", 10007)
        return member.payload()

    async def _active_threads(self, req: _Request) -> dict[str, Any]:
        guild = self._guild(req.params["guild_id"])
        return {"threads": [t.payload() for t in guild.threads() if not t.archived], "members": []}

    # -- interaction responses ------------------------------------------------------------

    async def _callback(self, req: _Request) -> dict[str, Any] | None:
        iid = req.params["interaction_id"]
        handle = self.interactions.get(int(iid)) if iid.isdigit() else None
        where = f"callback for {handle.label if handle else iid}"
        if handle is None or handle.token != req.params["token"]:
            raise _not_found("interaction", 10062)
        if handle.callbacks:
            self._violate("interaction-acknowledged", f"{handle.label} answered twice", where)
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        late = time.monotonic() - handle.created
        if late > self.interaction_deadline:
            self._violate(
                "interaction-deadline",
                f"{handle.label} first answered after {late:.2f}s (limit {self.interaction_deadline}s)",
                where,
            )
            raise _not_found("interaction", 10062)
        body = req.json or {}
        callback_type = body.get("type")
        data = body.get("data") or {}
        if callback_type not in ALLOWED_CALLBACKS[handle.type]:
            self._reject_if(
                [
                    f"callback type {callback_type} is not allowed for a {TYPE_NAMES[handle.type]} interaction"
                ],
                "interaction-callback",
                where,
            )
        message: StoredMessage | None = None
        ephemeral = bool((data.get("flags") or 0) & EPHEMERAL)
        if callback_type == CHANNEL_MESSAGE:
            message = self.create_message(
                handle.channel,
                self.world.bot_user,
                data,
                req.files,
                where=where,
                interaction=handle,
                ephemeral=ephemeral,
                message_type=self._reply_type(handle),
            )
        elif callback_type == DEFERRED_CHANNEL_MESSAGE:
            message = self.create_message(
                handle.channel,
                self.world.bot_user,
                {},
                where=where,
                interaction=handle,
                ephemeral=ephemeral,
                loading=True,
                message_type=self._reply_type(handle),
            )
        elif callback_type in (DEFERRED_UPDATE, UPDATE_MESSAGE):
            message = handle.target_message
            if message is None:
                self._reject_if(
                    ["no message to update (modal not opened from a component)"],
                    "interaction-callback",
                    where,
                )
            assert message is not None
            if callback_type == UPDATE_MESSAGE:
                self.edit_message(message, data, req.files, where=where)
            ephemeral = message.ephemeral
        elif callback_type == AUTOCOMPLETE_RESULT:
            self._reject_if(
                limits.check_choices(data.get("choices", [])), "autocomplete-limits", where
            )
        elif callback_type == MODAL:
            self._reject_if(limits.check_modal(data), "modal-limits", where)
        handle.original = message
        handle.edits_at_response = message.edits if message is not None else 0
        handle.callbacks.append(Callback(callback_type, data))
        self.notify()
        if req.query.get("with_response") not in ("1", "true", "True"):
            return None
        result: dict[str, Any] = {
            "interaction": {
                "id": str(handle.id),
                "type": handle.type,
                "activity_instance_id": None,
                "response_message_id": str(message.id) if message else None,
                "response_message_loading": callback_type == DEFERRED_CHANNEL_MESSAGE,
                "response_message_ephemeral": ephemeral,
            }
        }
        if message is not None and callback_type != DEFERRED_UPDATE:
            result["resource"] = {"type": callback_type, "message": message.data}
        return result

    @staticmethod
    def _reply_type(handle: InteractionHandle) -> int:
        return 20 if handle.type == APPLICATION_COMMAND else 0

    async def _followup(self, req: _Request) -> dict[str, Any] | None:
        handle = self._interaction_by_token(req.params["app_id"], req.params["token"])
        where = f"follow-up to {handle.label}"
        if not handle.callbacks:
            self._violate(
                "followup-before-response",
                f"{handle.label} got a follow-up before any response",
                where,
            )
            raise _not_found("Webhook", 10015)
        body = req.json or {}
        original = handle.original
        if original is not None and original.loading:
            # Discord turns the first follow-up after a "thinking" defer into the original response.
            self.edit_message(original, body, req.files, where=where)
            message = original
        else:
            ephemeral = bool((body.get("flags") or 0) & EPHEMERAL)
            message = self.create_message(
                handle.channel,
                self.world.bot_user,
                body,
                req.files,
                where=where,
                interaction=handle,
                ephemeral=ephemeral,
                message_type=self._reply_type(handle),
            )
            handle.followup_messages.append(message)
        self.notify()
        return message.data if req.query.get("wait") in ("1", "true", "True") else None

    def _webhook_message(self, req: _Request) -> tuple[InteractionHandle, StoredMessage]:
        handle = self._interaction_by_token(req.params["app_id"], req.params["token"])
        message_id = req.params["message_id"]
        if message_id == "@original":
            msg = handle.original
        else:
            msg = next((m for m in handle.messages if str(m.id) == message_id), None)
        if msg is None or msg.deleted:
            raise _not_found("Message", 10008)
        return handle, msg

    async def _get_webhook_message(self, req: _Request) -> dict[str, Any]:
        return self._webhook_message(req)[1].data

    async def _edit_webhook_message(self, req: _Request) -> dict[str, Any]:
        handle, msg = self._webhook_message(req)
        self.edit_message(
            msg, req.json or {}, req.files, where=f"edit of a reply to {handle.label}"
        )
        return msg.data

    async def _delete_webhook_message(self, req: _Request) -> None:
        _, msg = self._webhook_message(req)
        self.delete_message(msg)

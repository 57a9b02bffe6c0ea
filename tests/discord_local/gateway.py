"""The gateway side of the local Discord: sessions, sequence numbers, resume, transport compression,
sharding.

A session outlives its websocket so a client can RESUME and receive what it missed; each
websocket has its own compressor and a writer task so frames leave in dispatch order.

Sharding as Discord does it: IDENTIFY may carry ``shard: [shard_id, shard_count]``; the session
then gets READY and GUILD_CREATE for its guilds only, ``(guild_id >> 22) % shard_count``, and so
every later guild event and interaction; DMs go to shard 0. A session without ``shard`` is shard
``[0, 1]`` and gets everything. An invalid shard is closed with 4010, a shard that would hold more
than the world's ``max_guilds_per_shard`` guilds with 4011 (Discord's "Sharding required").
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from .server import LocalDiscord

log = logging.getLogger(__name__)

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, VOICE, RESUME, RECONNECT = 0, 1, 2, 3, 4, 6, 7
REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 8, 9, 10, 11

GUILDS_INTENT = 1 << 0
MEMBERS_INTENT = 1 << 1
PRESENCES_INTENT = 1 << 8
GUILD_MESSAGES_INTENT = 1 << 9
DIRECT_MESSAGES_INTENT = 1 << 12
MESSAGE_CONTENT_INTENT = 1 << 15
PRIVILEGED_INTENTS = MEMBERS_INTENT | PRESENCES_INTENT | MESSAGE_CONTENT_INTENT

REPLAY_BUFFER = 5000
INVALID_SHARD, SHARDING_REQUIRED = 4010, 4011


class _Compressor:
    """Turns one JSON text into one websocket frame for the transport the client asked for."""

    def __init__(self, kind: str | None) -> None:
        self.kind = kind
        if kind == "zlib-stream":
            self._zlib = zlib.compressobj()
        elif kind == "zstd-stream":
            import zstandard

            self._zstd = zstandard.ZstdCompressor().compressobj()
            self._flush_block = zstandard.COMPRESSOBJ_FLUSH_BLOCK

    async def send(self, ws: web.WebSocketResponse, text: str) -> None:
        if self.kind == "zlib-stream":
            raw = text.encode()
            await ws.send_bytes(self._zlib.compress(raw) + self._zlib.flush(zlib.Z_SYNC_FLUSH))
        elif self.kind == "zstd-stream":
            raw = text.encode()
            await ws.send_bytes(self._zstd.compress(raw) + self._zstd.flush(self._flush_block))
        else:
            await ws.send_str(text)


@dataclass(eq=False)
class Connection:
    """One websocket; frames go through ``outbox`` so concurrent dispatches keep their order."""

    ws: web.WebSocketResponse
    compressor: _Compressor
    outbox: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)
    session: Session | None = None

    def send(self, text: str) -> None:
        self.outbox.put_nowait(text)


@dataclass(eq=False)
class Session:
    id: str
    intents: int
    shard: tuple[int, int] = (0, 1)  # (shard_id, shard_count) from IDENTIFY
    seq: int = 0
    buffer: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=REPLAY_BUFFER))
    connection: Connection | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    def receives(self, guild_id: int | None) -> bool:
        """Whether this shard gets the events of ``guild_id`` (None: a DM, which goes to shard 0)."""
        shard_id, count = self.shard
        if guild_id is None:
            return shard_id == 0
        return (guild_id >> 22) % count == shard_id

    def dispatch(self, event: str, data: dict[str, Any]) -> None:
        self.seq += 1
        text = json.dumps({"op": DISPATCH, "t": event, "s": self.seq, "d": data})
        self.buffer.append((self.seq, text))
        if self.connection is not None:
            self.connection.send(text)


class Gateway:
    """All sessions of the local Discord; ``LocalDiscord`` calls ``dispatch`` to reach the bot."""

    def __init__(self, server: LocalDiscord) -> None:
        self.server = server
        self.sessions: dict[str, Session] = {}
        self.connections: set[Connection] = set()
        self.heartbeat_interval_ms = 41250
        self.compressions: list[str | None] = []
        self.identifies: list[dict[str, Any]] = []
        self.resumes: list[dict[str, Any]] = []
        self.session_ready = asyncio.Event()
        # False: new gateway connections are refused (HTTP 503) until it is set again.
        self.accepting = True

    # -- outgoing -------------------------------------------------------------------------

    def live_sessions(self) -> list[Session]:
        return [s for s in self.sessions.values() if s.ready.is_set()]

    def sessions_for(self, guild_id: int | None) -> list[Session]:
        """The identified sessions that get the events of ``guild_id`` (None: a DM): its shard's."""
        return [s for s in self.live_sessions() if s.receives(guild_id)]

    def dispatch(
        self, event: str, data: dict[str, Any], *, guild_id: int | None, intent: int | None = None
    ) -> int:
        """Send an event of ``guild_id`` (None: a DM) to the identified sessions of its shard (with
        ``intent``, only those that asked)."""
        sent = 0
        for session in self.sessions_for(guild_id):
            if intent is None or session.intents & intent:
                session.dispatch(event, data)
                sent += 1
        return sent

    def _active(self) -> list[Connection]:
        return [c for c in self.connections if c.session is not None and not c.ws.closed]

    def send_reconnect(self) -> int:
        """Send op 7 RECONNECT on every identified websocket; the client resumes elsewhere."""
        conns = self._active()
        for conn in conns:
            conn.send(json.dumps({"op": RECONNECT, "d": None}))
        return len(conns)

    def invalidate_session(self, *, resumable: bool) -> int:
        """Send op 9 INVALID_SESSION; a non-resumable one is forgotten, so the client must IDENTIFY."""
        conns = self._active()
        for conn in conns:
            conn.send(json.dumps({"op": INVALID_SESSION, "d": resumable}))
            if not resumable and conn.session is not None:
                self._end(conn.session)
        return len(conns)

    async def close_abnormally(self, shard_id: int | None = None) -> int:
        """Drop every websocket (or only those of ``shard_id``) without a close frame: the client
        sees code 1006 and resumes."""
        conns = [
            c for c in self.connections
            if shard_id is None or (c.session is not None and c.session.shard[0] == shard_id)
        ]
        for conn in conns:
            transport = conn.ws._req.transport if conn.ws._req is not None else None
            if transport is not None:
                transport.abort()
        return len(conns)

    async def close_with(self, code: int) -> int:
        conns = list(self.connections)
        for conn in conns:
            await conn.ws.close(code=code)
        return len(conns)

    def _end(self, session: Session) -> None:
        self.sessions.pop(session.id, None)
        session.ready.clear()
        if not self.live_sessions():
            self.session_ready.clear()

    async def wait_ready(self, timeout: float) -> Session:  # noqa: ASYNC109 - helpers take explicit time limits
        try:
            await asyncio.wait_for(self.session_ready.wait(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"no bot identified with the local Discord within {timeout}s "
                f"(connections: {len(self.connections)}, identifies: {len(self.identifies)})"
            ) from None
        return self.live_sessions()[-1]

    async def shutdown(self) -> None:
        for conn in list(self.connections):
            await conn.ws.close(code=1001)

    # -- incoming -------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if not self.accepting:
            # Discord unreachable: the upgrade fails and the client retries with backoff.
            raise web.HTTPServiceUnavailable(text="gateway unavailable")
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        compress = request.query.get("compress")
        if compress not in (None, "zlib-stream", "zstd-stream"):
            await ws.close(code=4000, message=b"unknown compress")
            return ws
        if request.query.get("encoding", "json") != "json":
            await ws.close(code=4002, message=b"only json encoding")
            return ws
        self.compressions.append(compress)
        conn = Connection(ws, _Compressor(compress))
        self.connections.add(conn)
        writer = asyncio.create_task(self._writer(conn))
        conn.send(
            json.dumps({"op": HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
        )
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._received(conn, json.loads(msg.data))
                elif msg.type is WSMsgType.ERROR:
                    break
        finally:
            self.connections.discard(conn)
            session = conn.session
            if session is not None and session.connection is conn:
                session.connection = None
                log.debug("gateway websocket closed with %s", ws.close_code)
                if ws.close_code in (1000, 1001):
                    # A clean close ends the session on Discord: it cannot be resumed.
                    self._end(session)
            conn.outbox.put_nowait(None)
            await writer
            self.server.notify()
        return ws

    async def _writer(self, conn: Connection) -> None:
        while (text := await conn.outbox.get()) is not None:
            if conn.ws.closed:
                continue
            try:
                await conn.compressor.send(conn.ws, text)
            except ConnectionError:
                log.debug("gateway client went away while sending")

    async def _received(self, conn: Connection, msg: dict[str, Any]) -> None:
        op = msg.get("op")
        data = msg.get("d")
        if op == HEARTBEAT:
            conn.send(json.dumps({"op": HEARTBEAT_ACK}))
        elif op == IDENTIFY:
            await self._identify(conn, data)
        elif op == RESUME:
            await self._resume(conn, data)
        elif op == REQUEST_MEMBERS:
            self._request_members(conn, data)
        elif op in (PRESENCE, VOICE):
            return
        else:
            await conn.ws.close(code=4001, message=b"unknown opcode")

    async def _identify(self, conn: Connection, data: dict[str, Any]) -> None:
        self.identifies.append(data)
        if conn.session is not None:
            await conn.ws.close(code=4005, message=b"Already authenticated.")
            return
        if data.get("token") != self.server.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        intents = data.get("intents")
        if intents is None:
            await conn.ws.close(code=4013, message=b"Invalid intent(s).")
            return
        if intents & PRIVILEGED_INTENTS & ~self.server.privileged_intents:
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        world = self.server.world
        shard = self._shard(data.get("shard"))
        if shard is None:
            await conn.ws.close(code=INVALID_SHARD, message=b"Invalid shard.")
            return
        guilds = [g for g in world.guilds.values() if (g.id >> 22) % shard[1] == shard[0]]
        if len(guilds) > world.max_guilds_per_shard:
            await conn.ws.close(code=SHARDING_REQUIRED, message=b"Sharding required.")
            return
        world.session_start_remaining = max(0, world.session_start_remaining - 1)
        session = Session(secrets.token_hex(16), intents, shard)
        self.sessions[session.id] = session
        session.connection = conn
        conn.session = session
        ready: dict[str, Any] = {
            "v": 10,
            "user": {**world.bot_user.payload(), "verified": True, "mfa_enabled": False},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": f"{self.server.ws_url}",
            "application": {"id": str(world.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "_trace": ["local-discord"],
        }
        if "shard" in data:
            ready["shard"] = data["shard"]
        session.dispatch("READY", ready)
        with_members = bool(intents & MEMBERS_INTENT)
        for guild in guilds:
            session.dispatch(
                "GUILD_CREATE", guild.payload(include_members=with_members, bot=world.bot_user)
            )
        session.ready.set()
        self.session_ready.set()
        self.server.notify()

    @staticmethod
    def _shard(value: Any) -> tuple[int, int] | None:
        """IDENTIFY's ``shard`` as (id, count); absent is (0, 1); None when Discord would refuse it."""
        if value is None:
            return (0, 1)
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(isinstance(n, int) and not isinstance(n, bool) for n in value)
        ):
            return None
        shard_id, count = value
        if not 0 <= shard_id < count:
            return None
        return (shard_id, count)

    async def _resume(self, conn: Connection, data: dict[str, Any]) -> None:
        self.resumes.append(data)
        session = self.sessions.get(data.get("session_id", ""))
        if data.get("token") != self.server.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        if session is None:
            conn.send(json.dumps({"op": INVALID_SESSION, "d": False}))
            return
        seq = data.get("seq") or 0
        if session.buffer and session.buffer[0][0] > seq + 1:
            # The events the client missed are gone: it must start over, as on Discord.
            self.sessions.pop(session.id, None)
            conn.send(json.dumps({"op": INVALID_SESSION, "d": False}))
            return
        old = session.connection
        if old is not None and old is not conn:
            old.session = None
            await old.ws.close(code=4009)
        session.connection = conn
        conn.session = session
        for event_seq, text in list(session.buffer):
            if event_seq > seq:
                conn.send(text)
        session.dispatch("RESUMED", {"_trace": ["local-discord"]})
        session.ready.set()
        self.session_ready.set()
        self.server.notify()

    def _request_members(self, conn: Connection, data: dict[str, Any]) -> None:
        session = conn.session
        if session is None:
            return
        guild = self.server.world.guilds.get(int(data.get("guild_id", 0)))
        if guild is None or not session.receives(guild.id):
            return
        wanted = {int(u) for u in data.get("user_ids") or []}
        query = (data.get("query") or "").lower()
        members = [
            m.payload()
            for m in guild.members.values()
            if (not wanted or m.user.id in wanted) and m.user.username.lower().startswith(query)
        ]
        chunk: dict[str, Any] = {
            "guild_id": str(guild.id),
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        session.dispatch("GUILD_MEMBERS_CHUNK", chunk)

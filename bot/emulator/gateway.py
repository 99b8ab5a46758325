"""Gateway v10 over a plain aiohttp websocket: sessions, sequence numbers, resume and replay."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import re
import secrets
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .constants import EVENT_INTENTS, GatewayOp, Intents

if TYPE_CHECKING:
    from .model import DiscordModel
    from .rest import ApiRequest

log = logging.getLogger(__name__)

try:  # serialising is the hot path of dispatch_many; orjson is optional
    import orjson

    def _dumps(obj: Any) -> str:
        return orjson.dumps(obj).decode()
except ImportError:  # pragma: no cover - depends on the environment

    def _dumps(obj: Any) -> str:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


class RawJSON(str):
    """A dispatch payload already serialised: dispatch_many puts it in its frame as it is.

    The benchmarks build a burst's frames before they time it; serialising them as
    they go out would have the emulator, on the same small machine, take CPU from
    the client being measured, where Discord's own gateway takes none.
    """

    __slots__ = ()


HEARTBEAT_INTERVAL_MS = 41_250
REPLAY_BUFFER = 100_000
_TRACE = ['["gateway-emulator",{"micros":0}]']
# Application flags of a bot in under 100 servers with the privileged intents switched on.
_APPLICATION_FLAGS = (1 << 13) | (1 << 15) | (1 << 19) | (1 << 23)
#: Servers one shard may hold: more, and Discord closes the session with 4011.
MAX_GUILDS_PER_SHARD = 2500
#: Servers per shard Discord recommends in GET /gateway/bot.
GUILDS_PER_RECOMMENDED_SHARD = 1000
_GUILD_ID = re.compile(r'"guild_id"\s*:\s*"(\d+)"')


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord sends a guild's events to."""
    return (guild_id >> 22) % shard_count


def valid_shard(shard: Any) -> tuple[int, int] | None:
    """IDENTIFY's ``shard`` as Discord accepts it, ``[shard_id, num_shards]``; else None."""
    if not isinstance(shard, list) or len(shard) != 2:
        return None
    shard_id, count = shard
    if type(shard_id) is not int or type(count) is not int:
        return None
    if count < 1 or not 0 <= shard_id < count:
        return None
    return shard_id, count


def guild_of_payload(data: Any) -> int | None:
    """The guild a raw dispatch payload belongs to (None: a DM or no guild)."""
    if type(data) is RawJSON:
        found = _GUILD_ID.search(data)
        return int(found.group(1)) if found else None
    raw = data.get("guild_id") if isinstance(data, dict) else None
    return int(raw) if raw is not None else None


@dataclass(eq=False)
class Connection:
    """One websocket from the bot."""

    ws: web.WebSocketResponse
    session: Session | None = None
    expected_close: bool = False
    waiters: list[tuple[int, asyncio.Future[None]]] = field(default_factory=list)


@dataclass(eq=False)
class Session:
    """An identified gateway session; it outlives connections until invalidated."""

    id: str
    intents: int
    shard: tuple[int, int] | None
    seq: int = 0
    conn: Connection | None = None
    closed_by_bot: int | None = None
    buffer: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=REPLAY_BUFFER))
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def wants(self, event: str, guild_id: int | None) -> bool:
        """Whether this session receives ``event`` (intents and sharding)."""
        needed = EVENT_INTENTS.get(event)
        if needed is not None and not self.intents & needed:
            return False
        return self.routes(guild_id)

    def routes(self, guild_id: int | None) -> bool:
        """Whether a guild's events come to this session: those of its shard; what has no
        guild (direct messages) goes to shard 0, as Discord sends it."""
        if self.shard is None:
            return True
        shard_id, count = self.shard
        if guild_id is None:
            return shard_id == 0
        return shard_of(guild_id, count) == shard_id


class Gateway:
    """Serves ``/gateway`` and delivers dispatch events to the bot's sessions."""

    def __init__(self, model: DiscordModel) -> None:
        self.model = model
        self.sessions: dict[str, Session] = {}
        self.connections: set[Connection] = set()
        self.closing = False
        self.ready = asyncio.Event()
        self._reconnected = asyncio.Event()
        #: What ``GET /gateway/bot`` recommends; None: one shard per 1,000 guilds, as Discord.
        self.recommended_shards: int | None = None

    def routes(self, add: Callable[..., None]) -> None:
        """Register the REST routes that say where the gateway is."""
        add("GET", "/gateway", self.rest_get_gateway, auth=False)
        add("GET", "/gateway/bot", self.rest_get_gateway_bot)

    # ---- REST and READY ------------------------------------------------------------------------

    async def rest_get_gateway(self, req: ApiRequest) -> Any:
        return {"url": self.model.gateway_url}

    async def rest_get_gateway_bot(self, req: ApiRequest) -> Any:
        return {
            "url": self.model.gateway_url,
            "shards": self.recommended_shards or max(
                1, math.ceil(len(self.model.guilds) / GUILDS_PER_RECOMMENDED_SHARD)),
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 86_400_000,
                                    "max_concurrency": 1},
        }

    def shard_guilds(self, shard: tuple[int, int] | None) -> list[int]:
        """The guilds a session on ``shard`` is given (None: not sharded, every one)."""
        if shard is None:
            return list(self.model.guilds)
        shard_id, count = shard
        return [g for g in self.model.guilds if shard_of(g, count) == shard_id]

    def ready_payload(self, session_id: str, shard: Any) -> dict[str, Any]:
        """READY for a new session (the guilds of its shard only)."""
        guilds = self.shard_guilds(valid_shard(shard))
        bot = self.model.bot_user.payload()
        bot.update(verified=True, mfa_enabled=False, email=None, locale="en-US",
                   premium_type=0)
        data: dict[str, Any] = {
            "v": 10,
            "user": bot,
            "user_settings": {},
            "session_id": session_id,
            "session_type": "normal",
            "resume_gateway_url": self.model.gateway_url,
            "guilds": [{"id": str(g), "unavailable": True} for g in guilds],
            "application": {"id": str(self.model.application_id), "flags": _APPLICATION_FLAGS},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["rotterdam", "frankfurt"],
            "auth": {},
            "_trace": _TRACE,
        }
        if shard is not None:
            data["shard"] = shard
        return data

    # ---- connection handling -------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """The websocket endpoint."""
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        if request.query.get("v") != "10" or request.query.get("encoding", "json") != "json":
            self.model.problem(f"gateway: bot connected with query {dict(request.query)!r}, "
                               "expected v=10&encoding=json")
        conn = Connection(ws)
        self.connections.add(conn)
        log.debug("gateway: connection opened")
        try:
            await self._send_op(conn, GatewayOp.HELLO,
                                {"heartbeat_interval": HEARTBEAT_INTERVAL_MS, "_trace": _TRACE})
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_text(conn, msg.data)
                elif msg.type is WSMsgType.BINARY:
                    self.model.problem("gateway: bot sent a binary frame; JSON text expected")
                    await ws.close(code=4002, message=b"Error while decoding payload.")
                elif msg.type is WSMsgType.ERROR:
                    self.model.problem(f"gateway: websocket error {ws.exception()!r}")
        finally:
            self.connections.discard(conn)
            self._on_closed(conn)
        return ws

    def _on_closed(self, conn: Connection) -> None:
        code = conn.ws.close_code
        session = conn.session
        if session is not None and session.conn is conn:
            session.conn = None
        if not self.live_connections():
            self.ready.clear()
        for _, fut in conn.waiters:
            if not fut.done():
                fut.cancel()
        if self.closing or conn.expected_close:
            log.debug("gateway: connection closed as expected (code %s)", code)
            return
        if code is None or code == 1006:
            self.model.problem("gateway: the bot's connection dropped without a close frame")
            return
        # discord.py closes with 4000 both when shutting down and when it gives up on a
        # connection (heartbeat timeout...); only the latter is followed by a RESUME.
        log.info("gateway: the bot closed its connection (code %s)", code)
        if session is not None:
            if code in (1000, 1001):  # Discord ends the session on a clean close
                self.sessions.pop(session.id, None)
            else:
                session.closed_by_bot = code

    async def _on_text(self, conn: Connection, text: str) -> None:
        try:
            frame = json.loads(text)
        except ValueError:
            self.model.problem(f"gateway: bot sent malformed JSON: {text[:200]!r}")
            await conn.ws.close(code=4002, message=b"Error while decoding payload.")
            return
        if not isinstance(frame, dict) or not isinstance(frame.get("op"), int):
            self.model.problem(f"gateway: bot sent a frame without an integer op: {text[:200]!r}")
            await conn.ws.close(code=4002, message=b"Error while decoding payload.")
            return
        op, data = frame["op"], frame.get("d")
        if op not in GatewayOp.FROM_CLIENT:
            self.model.problem(f"gateway: bot sent unknown opcode {op}")
            await conn.ws.close(code=4001, message=b"Unknown opcode.")
            return
        if op == GatewayOp.HEARTBEAT:
            await self._on_heartbeat(conn, data)
        elif op == GatewayOp.IDENTIFY:
            await self._on_identify(conn, data)
        elif op == GatewayOp.RESUME:
            await self._on_resume(conn, data)
        elif conn.session is None:
            self.model.problem(f"gateway: bot sent op {op} before identifying")
            await conn.ws.close(code=4003, message=b"Not authenticated.")
        elif op == GatewayOp.REQUEST_GUILD_MEMBERS:
            await self._on_request_members(conn.session, data)
        else:
            log.debug("gateway: ignoring op %s", op)

    async def _on_heartbeat(self, conn: Connection, data: Any) -> None:
        if data is not None and not isinstance(data, int):
            self.model.problem(f"gateway: heartbeat with non-integer sequence {data!r}")
        seen = data if isinstance(data, int) else 0
        for target, fut in list(conn.waiters):
            if seen >= target and not fut.done():
                fut.set_result(None)
        conn.waiters = [(t, f) for t, f in conn.waiters if not f.done()]
        await self._send_op(conn, GatewayOp.HEARTBEAT_ACK, None)

    async def _on_identify(self, conn: Connection, data: Any) -> None:
        if conn.session is not None:
            self.model.problem("gateway: bot identified twice on one connection")
            await conn.ws.close(code=4005, message=b"Already authenticated.")
            return
        if not isinstance(data, dict) or data.get("token") != self.model.token:
            self.model.problem("gateway: IDENTIFY with a wrong or missing token")
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        if not isinstance(data.get("intents"), int) or not isinstance(data.get("properties"), dict):
            self.model.problem(f"gateway: IDENTIFY without intents/properties: {data!r}")
            await conn.ws.close(code=4013, message=b"Invalid intent(s).")
            return
        shard = data.get("shard")
        shard_tuple = valid_shard(shard)
        if shard is not None and shard_tuple is None:
            self.model.problem(f"gateway: IDENTIFY with an invalid shard {shard!r}")
            await conn.ws.close(code=4010, message=b"Invalid shard.")
            return
        if len(self.shard_guilds(shard_tuple)) > MAX_GUILDS_PER_SHARD:
            self.model.problem(f"gateway: IDENTIFY as shard {shard!r} would hold more than "
                               f"{MAX_GUILDS_PER_SHARD} guilds")
            await conn.ws.close(code=4011, message=b"Sharding required.")
            return
        for stale in [s for s in self.sessions.values()
                      if s.conn is None and s.shard == shard_tuple]:
            log.info("gateway: dropping session %s, replaced by a new IDENTIFY", stale.id)
            del self.sessions[stale.id]
        session = Session(id=secrets.token_hex(16), intents=data["intents"], shard=shard_tuple)
        session.conn = conn
        conn.session = session
        self.sessions[session.id] = session
        self.model.identify_count += 1
        async with session.lock:
            ready = self.ready_payload(session.id, shard)
            await self._write(session, "READY", ready)
            for guild_id in self.shard_guilds(shard_tuple):
                payload = self.model.guild_create_payload(guild_id)
                await self._write(session, "GUILD_CREATE", payload)
        log.info("gateway: session %s identified (intents %s, shard %s)", session.id,
                 session.intents, shard)
        self.ready.set()
        self._pulse_reconnected()
        self.model.pulse()

    async def _on_resume(self, conn: Connection, data: Any) -> None:
        if not isinstance(data, dict):
            self.model.problem(f"gateway: malformed RESUME {data!r}")
            await conn.ws.close(code=4002, message=b"Error while decoding payload.")
            return
        session = self.sessions.get(str(data.get("session_id")))
        seq = data.get("seq")
        if data.get("token") != self.model.token:
            self.model.problem("gateway: RESUME with a wrong token")
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        if session is None or not isinstance(seq, int) or seq > session.seq or (
            session.buffer and session.buffer[0][0] > seq + 1
        ):
            log.info("gateway: cannot resume session %s at %s", data.get("session_id"), seq)
            await self._send_op(conn, GatewayOp.INVALID_SESSION, False)
            return
        if session.closed_by_bot is not None:
            self.model.problem(f"gateway: the bot dropped its connection itself (code "
                               f"{session.closed_by_bot}) and resumed: it hit a timeout or error")
            session.closed_by_bot = None
        async with session.lock:
            old = session.conn
            if old is not None and old is not conn and not old.ws.closed:
                old.expected_close = True
                await old.ws.close(code=4000, message=b"Session resumed elsewhere.")
            session.conn = conn
            conn.session = session
            missed = [frame for s, frame in session.buffer if s > seq]
            for frame in missed:
                await conn.ws.send_str(frame)
            await self._write(session, "RESUMED", {"_trace": _TRACE})
        self.model.resume_count += 1
        log.info("gateway: session %s resumed at %s, replayed %d events", session.id, seq,
                 len(missed))
        self.ready.set()
        self._pulse_reconnected()
        self.model.pulse()

    async def _on_request_members(self, session: Session, data: Any) -> None:
        if not isinstance(data, dict) or "guild_id" not in data:
            self.model.problem(f"gateway: malformed REQUEST_GUILD_MEMBERS {data!r}")
            return
        chunk = self.model.members_chunk_payload(data)
        async with session.lock:
            await self._write(session, "GUILD_MEMBERS_CHUNK", chunk)

    # ---- sending -----------------------------------------------------------------------------

    async def _send_op(self, conn: Connection, op: int, data: Any) -> None:
        with contextlib.suppress(ConnectionError, RuntimeError):
            await conn.ws.send_str(_dumps({"op": op, "d": data, "s": None, "t": None}))

    async def _write(self, session: Session, event: str, data: Any) -> None:
        """Number, buffer and (if connected) send one dispatch; caller holds ``session.lock``."""
        session.seq += 1
        frame = _dumps({"op": GatewayOp.DISPATCH, "t": event, "s": session.seq, "d": data})
        session.buffer.append((session.seq, frame))
        conn = session.conn
        if conn is not None and not conn.ws.closed:
            try:
                await conn.ws.send_str(frame)
            except (ConnectionError, RuntimeError) as exc:
                log.debug("gateway: send failed (%r); event kept for replay", exc)

    async def dispatch(
        self, event: str, data: Any, *, guild_id: int | None = None, raw: bool = False,
        transform: Callable[[Session, Any], Any] | None = None,
    ) -> None:
        """Send ``event`` to every session that wants it (``raw`` skips the intent filter,
        not the shard's: a guild's events go to its shard's session only)."""
        if raw and guild_id is None:
            guild_id = guild_of_payload(data)
        for session in list(self.sessions.values()):
            if not (session.routes(guild_id) if raw else session.wants(event, guild_id)):
                continue
            payload = transform(session, data) if transform is not None else data
            async with session.lock:
                await self._write(session, event, payload)

    async def dispatch_many(self, items: Iterable[tuple[str, Any]]) -> int:
        """Send many raw events back to back, each to its guild's shard; returns how many
        frames were written."""
        items = list(items)
        written = 0
        sharded = any(s.shard is not None for s in self.sessions.values())
        guilds = [guild_of_payload(data) for _, data in items] if sharded else []
        for session in list(self.sessions.values()):
            mine = items
            if session.shard is not None:
                mine = [item for item, guild in zip(items, guilds, strict=True)
                        if session.routes(guild)]
            async with session.lock:
                conn = session.conn
                for event, data in mine:
                    session.seq += 1
                    if type(data) is RawJSON:
                        frame = f'{{"op":0,"t":"{event}","s":{session.seq},"d":{data}}}'
                    else:
                        frame = _dumps({"op": 0, "t": event, "s": session.seq, "d": data})
                    session.buffer.append((session.seq, frame))
                    if conn is not None and not conn.ws.closed:
                        await conn.ws.send_str(frame)
                        written += 1
        return written

    # ---- control from tests ------------------------------------------------------------------

    def _pulse_reconnected(self) -> None:
        self._reconnected.set()
        self._reconnected = asyncio.Event()

    def connected_shards(self) -> set[tuple[int, int] | None]:
        """The shards (None: not sharded) of the sessions connected now."""
        return {c.session.shard for c in self.live_connections() if c.session is not None}

    def live_connections(self) -> list[Connection]:
        """Connections that carry an identified session."""
        return [c for c in self.connections if c.session is not None and not c.ws.closed]

    async def disconnect(
        self, code: int | None, resumable: bool, timeout: float | None,
        shard: tuple[int, int] | None = None,
    ) -> None:
        """Drop the bot's connection(s) the way Discord does (only ``shard``'s when given);
        optionally wait for it to return."""
        conns = [c for c in self.live_connections()
                 if shard is None or (c.session is not None and c.session.shard == shard)]
        if not conns:
            raise RuntimeError("the bot is not connected")
        before = (self.model.identify_count, self.model.resume_count)
        waiter = self._reconnected
        for conn in conns:
            conn.expected_close = True
            if not resumable:
                if conn.session is not None:
                    self.sessions.pop(conn.session.id, None)
                await self._send_op(conn, GatewayOp.INVALID_SESSION, False)
            elif code is None:
                await self._send_op(conn, GatewayOp.RECONNECT, None)
            else:
                await conn.ws.close(code=code, message=b"Emulated disconnect.")
        if timeout is None:
            return
        async with asyncio.timeout(timeout):
            while (self.model.identify_count, self.model.resume_count) == before:
                await waiter.wait()
                waiter = self._reconnected

    async def ping(self, timeout: float) -> bool:
        """Ask every connection for a heartbeat and wait until each has read all we sent."""
        futures = []
        for conn in self.live_connections():
            session = conn.session
            assert session is not None
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            async with session.lock:  # every numbered frame is written before the request
                conn.waiters.append((session.seq, fut))
                await self._send_op(conn, GatewayOp.HEARTBEAT, None)
            futures.append(fut)
        if not futures:
            return False
        try:
            async with asyncio.timeout(timeout):
                await asyncio.gather(*futures)
        except (TimeoutError, asyncio.CancelledError):
            return False
        return True

    @staticmethod
    def content_filter(bot_id: int) -> Callable[[Session, Any], Any]:
        """A per-session transform that hides message content without the intent."""
        return content_filter(bot_id)

    async def close(self) -> None:
        """Close every connection (the emulator is shutting down)."""
        self.closing = True
        for conn in list(self.connections):
            with contextlib.suppress(Exception):
                await conn.ws.close(code=1001, message=b"Emulator shutting down.")


def redact_content(data: dict[str, Any], bot_id: int) -> dict[str, Any]:
    """What a bot without the MESSAGE_CONTENT intent sees of a message."""
    author = data.get("author") or {}
    if str(author.get("id")) == str(bot_id) or any(
        str(m.get("id")) == str(bot_id) for m in data.get("mentions") or []
    ):
        return data
    data = dict(data)
    data.update(content="", embeds=[], attachments=[], components=[])
    data.pop("poll", None)
    if isinstance(data.get("referenced_message"), dict):
        data["referenced_message"] = redact_content(data["referenced_message"], bot_id)
    return data


def content_filter(bot_id: int) -> Callable[[Session, Any], Any]:
    """A per-session transform that hides message content without the intent."""

    def transform(session: Session, data: Any) -> Any:
        if session.intents & Intents.MESSAGE_CONTENT:
            return data
        return redact_content(data, bot_id)

    return transform

"""The state of the emulated Discord, shared by every resource of the emulator.

``DiscordModel`` is the one object the resources (``guilds``, ``messages``, ``reactions``,
``threads``, ``application``, ``invocations``, ``polls``, ``gateway``) share. Its surface is
public and meant to be used by them:

- State, as plain dicts and records keyed by snowflake: ``users``, ``guilds``, ``channels``
  (threads too), ``thread_members`` (thread -> user -> joined at), ``messages`` (current
  messages), ``channel_messages`` (channel -> message ids, oldest first), ``reactions``
  (message -> emoji key -> (emoji, user ids)), ``poll_votes`` (message -> answer -> user
  ids), ``ephemeral`` (ephemeral interaction messages), ``files`` (message -> uploaded
  ``(filename, bytes)``), ``attachment_data`` (what the CDN serves), ``commands`` (guild id or
  None -> registered commands), ``interactions``, ``nonces``, ``pinned_at``.
- Records of what happened: ``problems``, ``requests``, ``request_times``,
  ``identify_count``, ``resume_count``.
- Lookups that answer with Discord's 404 (``ApiError``) for unknown ids: ``guild``,
  ``channel``, ``message``, ``member``, ``guild_of``; ``acting_member`` (a ``LookupError``,
  for test code); ``permissions_in`` (overwrites applied as Discord does).
- Payloads as Discord renders them: ``guild_payload``, ``guild_create_payload``,
  ``members_chunk_payload``, ``thread_view``, ``render_message``, ``event_message``.
- Building blocks of messages: ``mentions``, ``new_message``, ``store_message``,
  ``remove_message``, ``make_attachment``, ``store_files``, ``join_thread``.
- Events: ``queue`` (from synchronous setup), ``queue_events``, ``emit_all`` (send through
  the ``gateway``), ``dispatch``/``dispatch_many`` (raw), ``pulse`` and ``next_change`` (wake
  and wait for waiters), ``settle``.

Nothing outside this module touches an attribute of the model whose name starts with ``_``.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import mimetypes
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple, Protocol
from urllib.parse import quote

from .constants import ChannelType, MessageType, Permissions
from .interactions import InteractionRecord
from .payloads import GuildRecord, MemberRecord, UserRecord, thread_member_payload
from .snowflakes import SnowflakeFactory, now_iso, snowflake_iso
from .validation import ApiError

log = logging.getLogger(__name__)

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")
#: Bytes one upload may hold; read at call time (``DiscordModel.attachment_size_limit``), so a
#: test can lower it with ``monkeypatch.setattr(bot.emulator.model, "ATTACHMENT_SIZE_LIMIT", n)``.
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


class Event(NamedTuple):
    """One gateway dispatch waiting to be sent (``content``: hide message content from a bot
    without the MESSAGE_CONTENT intent)."""

    name: str
    data: Any
    guild_id: int | None
    content: bool = False


class Outbox(Protocol):
    """What the model needs of the gateway (``bot.emulator.gateway.Gateway``): its sessions
    and a way to send them events."""

    sessions: Any

    async def dispatch(self, name: str, data: Any, **kwargs: Any) -> Any: ...

    async def dispatch_many(self, items: Any) -> Any: ...

    def content_filter(self, bot_id: int) -> Callable[[Any, Any], Any]: ...


class DiscordModel:
    """What the emulated Discord holds, and the primitives every resource builds on."""

    def __init__(
        self, token: str, *, bot_name: str, bot_permissions: int, host: str,
        interaction_deadline: float | None,
    ) -> None:
        self.token = token
        #: Seconds within which the first interaction callback must arrive (None: no limit).
        self.interaction_deadline = interaction_deadline
        self.problems: list[str] = []
        self.requests: list[tuple[str, str, Any]] = []
        #: ``time.monotonic()`` of each of ``requests``, in the same order.
        self.request_times: list[float] = []
        self.identify_count = 0
        self.resume_count = 0
        #: REST requests being answered (``settle`` waits for none).
        self.in_flight = 0
        self.host = host
        #: The port listened on, once started.
        self.port: int | None = None
        self.ids = SnowflakeFactory()
        self.application_id = self.ids.next()
        bot = UserRecord(self.ids.next(), bot_name.lower(), None, bot=True, discriminator="4821")
        self.bot_user_id = bot.id
        self.bot_permissions = bot_permissions
        self.users: dict[int, UserRecord] = {bot.id: bot}
        self.guilds: dict[int, GuildRecord] = {}
        self.channels: dict[int, dict[str, Any]] = {}
        self.thread_members: dict[int, dict[int, str]] = {}
        self.messages: dict[int, dict[str, Any]] = {}
        self.channel_messages: dict[int, list[int]] = {}
        self.reactions: dict[int, dict[str, tuple[dict[str, Any], list[int]]]] = {}
        self.poll_votes: dict[int, dict[int, list[int]]] = {}  # message -> answer -> users
        self.ephemeral: dict[int, dict[str, Any]] = {}
        self.files: dict[int, list[tuple[str, bytes]]] = {}
        self.attachment_data: dict[int, tuple[str, bytes]] = {}
        self.commands: dict[int | None, list[dict[str, Any]]] = {None: []}
        self.interactions: dict[int, InteractionRecord] = {}
        self.nonces: dict[tuple[int, str], int] = {}
        self.pinned_at: dict[int, str] = {}
        self._pending: list[Event] = []
        self._emit_lock = asyncio.Lock()
        self._background: set[asyncio.Task[None]] = set()
        self._changed = asyncio.Event()
        #: The bot's gateway connection(s); every event goes out through it. Set by the
        #: emulator, which builds the gateway over this model (the model does not import it).
        self.gateway: Outbox

    # ---- addresses -----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        if self.port is None:
            raise RuntimeError("the emulator is not started")
        return f"http://{self.host}:{self.port}"

    @property
    def gateway_url(self) -> str:
        """What ``DiscordWebSocket.DEFAULT_GATEWAY`` must be set to."""
        return f"ws://{self.host}:{self.port}/gateway"

    @property
    def bot_user(self) -> UserRecord:
        """The bot's own user."""
        return self.users[self.bot_user_id]

    @property
    def attachment_size_limit(self) -> int:
        """Bytes one upload may hold (the module's ``ATTACHMENT_SIZE_LIMIT``, read now)."""
        return ATTACHMENT_SIZE_LIMIT

    # ---- events and waiting --------------------------------------------------------------------

    def problem(self, text: str) -> None:
        """Record something real Discord would have refused or that broke the protocol."""
        log.warning("emulator problem: %s", text)
        self.problems.append(text)

    def pulse(self) -> None:
        """Wake everything waiting in ``next_change`` (state changed)."""
        self._changed.set()
        self._changed = asyncio.Event()

    def queue(self, name: str, build: Callable[[], Any], guild_id: int | None) -> None:
        """Queue an event from synchronous setup; sent before the next dispatch."""
        if not self.gateway.sessions:
            return
        self._pending.append(Event(name, build(), guild_id))
        with contextlib.suppress(RuntimeError):
            task = asyncio.get_running_loop().create_task(self.emit_all([]))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def emit_all(self, events: Iterable[Event]) -> None:
        """Send queued setup events, then ``events``, in order."""
        events = list(events)
        async with self._emit_lock:
            pending, self._pending = self._pending, []
            filt = self.gateway.content_filter(self.bot_user_id)
            for event in [*pending, *events]:
                await self.gateway.dispatch(event.name, event.data, guild_id=event.guild_id,
                                            transform=filt if event.content else None)
        self.pulse()

    async def dispatch(self, event: str, payload: Mapping[str, Any]) -> None:
        """Send any dispatch event as given (no intent filter), with the next sequence number."""
        async with self._emit_lock:
            pending, self._pending = self._pending, []
            for queued in pending:
                await self.gateway.dispatch(queued.name, queued.data, guild_id=queued.guild_id)
            await self.gateway.dispatch(event, payload, raw=True)
        self.pulse()

    async def dispatch_many(self, items: Iterable[tuple[str, Mapping[str, Any]]]) -> int:
        """Send many raw events with minimal overhead; returns once all frames are written."""
        async with self._emit_lock:
            written = await self.gateway.dispatch_many(items)
        self.pulse()
        return written

    async def settle(self, delay: float = 0.02) -> None:
        """Let the bot take in every REST answer sent so far, as a human's pause would."""
        while self.in_flight:
            await self._changed.wait()
        await asyncio.sleep(delay)

    def queue_events(self, events: Iterable[Event]) -> None:
        """Keep events to send before the next dispatch (nothing when the bot is away)."""
        if self.gateway.sessions:
            self._pending.extend(events)

    async def next_change(self) -> None:
        """Wait for the next ``pulse`` (after every request and every batch of events)."""
        await self._changed.wait()

    async def finish_background(self) -> None:
        """Wait for the sends ``queue`` started."""
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    # ---- lookups -------------------------------------------------------------------------------

    def guild(self, guild_id: int | str) -> GuildRecord:
        """A guild, or Discord's 404 Unknown Guild."""
        try:
            return self.guilds[int(guild_id)]
        except KeyError:
            raise ApiError(404, 10004, "Unknown Guild") from None

    def channel(self, channel_id: Any) -> dict[str, Any]:
        """A channel or thread (the stored dict itself), or 404 Unknown Channel."""
        try:
            return self.channels[as_id(channel_id)]
        except (KeyError, ValueError, TypeError):
            raise ApiError(404, 10003, "Unknown Channel") from None

    def message(
        self, message_id: int | str, channel_id: int | str | None = None
    ) -> dict[str, Any]:
        """A current message (in ``channel_id`` if given), or 404 Unknown Message."""
        try:
            msg = self.messages[as_id(message_id)]
        except (KeyError, ValueError, TypeError):
            raise ApiError(404, 10008, "Unknown Message") from None
        if channel_id is not None and msg["channel_id"] != str(as_id(channel_id)):
            raise ApiError(404, 10008, "Unknown Message")
        return msg

    def member(self, guild: GuildRecord, user_id: int | str) -> MemberRecord:
        """A member of ``guild``, or 404 Unknown Member."""
        try:
            return guild.members[as_id(user_id)]
        except (KeyError, ValueError):
            raise ApiError(404, 10007, "Unknown Member") from None

    def guild_of(self, channel: Mapping[str, Any]) -> GuildRecord:
        """The guild a channel or thread is in."""
        return self.guild(int(channel["guild_id"]))

    def permissions_in(self, user_id: int | str, channel_id: int | str) -> int:
        """A member's permissions in a channel or thread, overwrites applied as Discord does.

        A thread has no overwrites of its own: its parent channel's apply.
        """
        channel = self.channel(channel_id)
        guild = self.guild_of(channel)
        if self.is_thread(channel):
            channel = self.channel(channel["parent_id"])
        return guild.permissions_in(as_id(user_id), channel.get("permission_overwrites") or [])

    @staticmethod
    def is_thread(channel: Mapping[str, Any]) -> bool:
        """Whether a channel payload is a thread."""
        return channel["type"] in ChannelType.THREADS

    def acting_member(self, user_id: int | str, channel: Mapping[str, Any]) -> MemberRecord:
        """The member about to act in ``channel`` (a LookupError for test code if none)."""
        guild = self.guild_of(channel)
        member = guild.members.get(as_id(user_id))
        if member is None:
            raise LookupError(f"user {user_id} is not a member of guild {guild.id}")
        return member

    def interaction_by_token(self, token: str) -> InteractionRecord | None:
        """The interaction a webhook token belongs to."""
        return next((r for r in self.interactions.values() if r.token == token), None)

    # ---- payloads ------------------------------------------------------------------------------

    def guild_payload(self, guild: GuildRecord) -> dict[str, Any]:
        """The guild object as REST returns it."""
        return {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "icon_hash": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(guild.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "widget_enabled": False,
            "widget_channel_id": None,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [copy.deepcopy(r) for r in guild.roles.values()],
            "emojis": [copy.deepcopy(e) for e in guild.emojis.values()],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "max_members": 500000,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "nsfw_level": 0,
            "nsfw": False,
            "premium_progress_bar_enabled": False,
            "incidents_data": None,
        }

    def guild_create_payload(self, guild_id: int) -> dict[str, Any]:
        """GUILD_CREATE: the guild with its channels, active threads, members and roles."""
        guild = self.guild(guild_id)
        data = self.guild_payload(guild)
        members = [m.payload() for m in guild.members.values()]
        data.update(
            joined_at=guild.members[self.bot_user_id].joined_at,
            large=False,
            unavailable=False,
            lazy=True,
            member_count=len(members),
            members=members,
            channels=[copy.deepcopy(self.channels[c]) for c in guild.channel_ids],
            threads=[self.thread_view(t) for t in self.channels.values()
                     if self.is_thread(t) and t["guild_id"] == str(guild.id)
                     and not t["thread_metadata"]["archived"]],
            voice_states=[],
            presences=[],
            stage_instances=[],
            guild_scheduled_events=[],
            soundboard_sounds=[],
        )
        return data

    def members_chunk_payload(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """GUILD_MEMBERS_CHUNK answering an op 8 request."""
        guild = self.guild(request["guild_id"])
        members = list(guild.members.values())
        user_ids = request.get("user_ids")
        query = request.get("query")
        not_found: list[str] = []
        if user_ids:
            wanted = {int(u) for u in ([user_ids] if isinstance(user_ids, int | str) else user_ids)}
            members = [m for m in members if m.user.id in wanted]
            not_found = [str(u) for u in wanted - {m.user.id for m in members}]
        elif query:
            members = [m for m in members if m.user.username.startswith(query.lower())
                       or (m.user.global_name or "").lower().startswith(query.lower())]
        limit = request.get("limit") or 0
        if limit:
            members = members[:limit]
        data: dict[str, Any] = {
            "guild_id": str(guild.id),
            "members": [m.payload() for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": not_found,
        }
        if request.get("nonce"):
            data["nonce"] = request["nonce"]
        return data

    def thread_view(
        self, thread: Mapping[str, Any], *, for_user: int | None = None
    ) -> dict[str, Any]:
        """A thread payload; includes the bot's thread member when it has joined."""
        data = copy.deepcopy(dict(thread))
        user = self.bot_user_id if for_user is None else for_user
        joined = self.thread_members.get(int(thread["id"]), {}).get(user)
        if joined is not None:
            data["member"] = thread_member_payload(int(thread["id"]), user, joined)
        return data

    # ---- messages ------------------------------------------------------------------------------

    def render_message(self, msg: Mapping[str, Any], *, nested: bool = False) -> dict[str, Any]:
        """A stored message as REST returns it, with reactions, thread and replied-to message."""
        out = copy.deepcopy(dict(msg))
        message_id = int(msg["id"])
        reactions = self._render_reactions(message_id)
        if reactions:
            out["reactions"] = reactions
        thread = self.channels.get(message_id)
        if thread is not None and self.is_thread(thread) \
                and thread["parent_id"] == msg["channel_id"]:
            out["thread"] = self.thread_view(thread)
        ref = msg.get("message_reference")
        if ref and not nested \
                and msg["type"] in (MessageType.REPLY, MessageType.THREAD_STARTER_MESSAGE):
            target = self.messages.get(int(ref["message_id"]))
            out["referenced_message"] = (
                self.render_message(target, nested=True) if target is not None else None
            )
        return out

    def event_message(self, msg: Mapping[str, Any]) -> dict[str, Any]:
        """A message as MESSAGE_CREATE/UPDATE carries it: guild_id, member, members of mentions."""
        out = self.render_message(msg)
        channel = self.channels.get(int(msg["channel_id"]))
        if channel is None:
            return out
        guild = self.guilds[int(channel["guild_id"])]
        out["guild_id"] = str(guild.id)
        author = guild.members.get(int(msg["author"]["id"]))
        if author is not None and "webhook_id" not in msg:
            out["member"] = author.payload(with_user=False)
        for mention in out.get("mentions", []):
            member = guild.members.get(int(mention["id"]))
            if member is not None:
                mention["member"] = member.payload(with_user=False)
        return out

    def _render_reactions(self, message_id: int) -> list[dict[str, Any]]:
        result = []
        for emoji, users in self.reactions.get(message_id, {}).values():
            result.append({
                "emoji": copy.deepcopy(emoji),
                "count": len(users),
                "count_details": {"burst": 0, "normal": len(users)},
                "burst_colors": [],
                "me": self.bot_user_id in users,
                "me_burst": False,
                "burst_me": False,
                "burst_count": 0,
            })
        return result

    def mentions(
        self, guild: GuildRecord, content: str, allowed: Mapping[str, Any] | None = None
    ) -> tuple[list[dict[str, Any]], list[str], bool]:
        """Users and roles a message mentions (as allowed_mentions lets it), and @everyone."""
        parse = None if allowed is None else set(allowed.get("parse") or [])
        allowed_users = {str(u) for u in (allowed or {}).get("users") or []}
        allowed_roles = {str(r) for r in (allowed or {}).get("roles") or []}
        users: list[dict[str, Any]] = []
        for raw in dict.fromkeys(_USER_MENTION.findall(content)):
            user = self.users.get(int(raw))
            if user is not None and (parse is None or "users" in parse or raw in allowed_users):
                users.append(user.payload())
        roles = [raw for raw in dict.fromkeys(_ROLE_MENTION.findall(content))
                 if int(raw) in guild.roles
                 and (parse is None or "roles" in parse or raw in allowed_roles)]
        everyone = ("@everyone" in content or "@here" in content) and (
            parse is None or "everyone" in parse
        )
        return users, roles, everyone

    def new_message(
        self, channel: dict[str, Any], author: UserRecord, content: str = "", *,
        embeds: list[dict[str, Any]] | None = None,
        attachments: list[dict[str, Any]] | None = None,
        message_type: int = MessageType.DEFAULT, flags: int = 0,
        reference: dict[str, Any] | None = None, allowed_mentions: Mapping[str, Any] | None = None,
        message_id: int | None = None, extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A message dict in REST shape (not stored yet)."""
        guild = self.guild_of(channel)
        message_id = message_id or self.ids.next()
        mentions, mention_roles, everyone = self.mentions(guild, content, allowed_mentions)
        if everyone and author.id in guild.members:
            everyone = bool(guild.permissions_of(author.id) & Permissions.MENTION_EVERYONE)
        msg: dict[str, Any] = {
            "id": str(message_id),
            "channel_id": channel["id"],
            "author": author.payload(),
            "content": content,
            "timestamp": snowflake_iso(message_id),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": everyone,
            "mentions": mentions,
            "mention_roles": mention_roles,
            "attachments": attachments or [],
            "embeds": [normalise_embed(e) for e in embeds or []],
            "pinned": False,
            "type": message_type,
            "flags": flags,
            "components": [],
        }
        if reference is not None:
            msg["message_reference"] = reference
        if self.is_thread(channel):
            msg["position"] = channel["total_message_sent"]
        if extra:
            msg.update(extra)
        return msg

    def store_message(self, msg: dict[str, Any]) -> None:
        """Keep a message as current in its channel (counts of a thread updated)."""
        message_id = int(msg["id"])
        channel_id = int(msg["channel_id"])
        channel = self.channels[channel_id]
        self.messages[message_id] = msg
        ids = self.channel_messages.setdefault(channel_id, [])
        if ids and ids[-1] > message_id:
            ids.append(message_id)
            ids.sort()
        else:
            ids.append(message_id)
        channel["last_message_id"] = msg["id"]
        if self.is_thread(channel) and msg["type"] != MessageType.THREAD_STARTER_MESSAGE:
            channel["total_message_sent"] += 1
            if int(channel["id"]) != message_id:  # a forum post's first message isn't counted
                channel["message_count"] += 1

    def remove_message(self, message_id: int) -> dict[str, Any] | None:
        """Forget a message and its reactions; returns it (None if unknown)."""
        msg = self.messages.pop(message_id, None)
        if msg is None:
            return None
        channel_id = int(msg["channel_id"])
        ids = self.channel_messages.get(channel_id, [])
        if message_id in ids:
            ids.remove(message_id)
        channel = self.channels.get(channel_id)
        if channel is not None and self.is_thread(channel) and channel["message_count"] > 0 \
                and int(channel["id"]) != message_id \
                and msg["type"] != MessageType.THREAD_STARTER_MESSAGE:
            channel["message_count"] -= 1
        self.reactions.pop(message_id, None)
        return msg

    def make_attachment(
        self, channel_id: int, filename: str, data: bytes, *, description: str | None = None,
        content_type: str | None = None, size: int | None = None,
    ) -> dict[str, Any]:
        """An attachment payload whose URL the emulator serves; the bytes are kept."""
        attachment_id = self.ids.next()
        self.attachment_data[attachment_id] = (filename, data)
        url = f"{self.base_url}/cdn/attachments/{channel_id}/{attachment_id}/{quote(filename)}"
        kind = content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        payload: dict[str, Any] = {
            "id": str(attachment_id),
            "filename": filename,
            "size": len(data) if size is None else size,
            "url": url,
            "proxy_url": url,
            "content_type": kind,
        }
        if description is not None:
            payload["description"] = description
        if (dimensions := png_size(data)) is not None:  # Discord gives an image's dimensions
            payload["width"], payload["height"] = dimensions
        if filename.startswith("SPOILER_"):
            payload["spoiler"] = True
        return payload

    def join_thread(self, thread_id: int, user_id: int) -> bool:
        """Make a user a thread member; False if they already were."""
        members = self.thread_members.setdefault(thread_id, {})
        if user_id in members:
            return False
        members[user_id] = now_iso()
        self.channels[thread_id]["member_count"] = min(len(members), 50)
        return True

    def store_files(self, msg: Mapping[str, Any], new: list[tuple[str, bytes]]) -> None:
        """Keep the bytes uploaded with a message (``files_of`` reads them back)."""
        if new:
            self.files.setdefault(int(msg["id"]), []).extend(new)


def as_id(value: Any) -> int:
    """An id from an int, a numeric string, a payload dict or an object with ``.id``."""
    if isinstance(value, Mapping):
        value = value["id"]
    return int(getattr(value, "id", value))


def message_reference(target: Mapping[str, Any], channel: Mapping[str, Any]) -> dict[str, Any]:
    """A ``message_reference`` to ``target`` (in ``channel``'s guild)."""
    return {"type": 0, "message_id": target["id"], "channel_id": target["channel_id"],
            "guild_id": channel["guild_id"]}


def normalise_embed(embed: Mapping[str, Any]) -> dict[str, Any]:
    """An embed as Discord echoes it back (``type`` filled in)."""
    data = copy.deepcopy(dict(embed))
    data.setdefault("type", "rich")
    data["content_scan_version"] = 0
    return data


def png_size(data: bytes) -> tuple[int, int] | None:
    """A PNG's width and height from its IHDR chunk (None: not a PNG)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR" or len(data) < 24:
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")

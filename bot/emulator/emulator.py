"""DiscordEmulator: the state of a small Discord, served over REST and gateway on 127.0.0.1.

Tests set the scene (guilds, channels, members), point discord.py at ``api_base`` and
``gateway_url``, then let members act (``say``, ``react``, ``invoke``...) and read back what
the bot did (``messages_in``, ``requests``, interaction records). Anything the bot does that
real Discord would refuse, or that breaks the protocol, lands in ``problems``.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import mimetypes
import re
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple, Self
from urllib.parse import quote, urlparse

from aiohttp import web

from .constants import ChannelType, MessageFlags, MessageType, Permissions
from .gateway import Gateway, content_filter
from .interactions import (
    ATTACHMENT,
    BUTTON,
    CHANNEL,
    MENTIONABLE,
    ROLE,
    USER,
    InteractionRecord,
    check_choices,
    check_select,
    coerce_value,
    copy_payload,
    find_command,
    find_component,
    modal_submission,
    nest_options,
    option_schema,
)
from .payloads import (
    ChannelRef,
    GuildRecord,
    GuildRef,
    MemberRecord,
    MemberRef,
    UserRecord,
    emoji_key,
    forum_channel_payload,
    forum_tag_payload,
    parse_emoji,
    role_payload,
    text_channel_payload,
    thread_member_payload,
    thread_payload,
)
from .polls import PollsMixin
from .rest import FailRule, RestApi
from .snowflakes import SnowflakeFactory, now_iso, snowflake_iso
from .validation import ApiError

log = logging.getLogger(__name__)

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")
_URL = re.compile(r"https?://[^\s<>]+")
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
# Application flags of a bot in under 100 servers with the privileged intents switched on.
_APPLICATION_FLAGS = (1 << 13) | (1 << 15) | (1 << 19) | (1 << 23)


class Event(NamedTuple):
    """One gateway dispatch waiting to be sent."""

    name: str
    data: Any
    guild_id: int | None
    content: bool = False


class DiscordEmulator(PollsMixin):
    """A loopback Discord (REST v10 + gateway v10) holding a small server's state in memory."""

    def __init__(
        self,
        token: str = "test-token",  # noqa: S107 - a fake token for tests
        *,
        bot_name: str = "Filmclub",
        bot_permissions: int = Permissions.BOT,
        host: str = "127.0.0.1",
        port: int = 0,
        interaction_deadline: float | None = 3.0,
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
        self._ids = SnowflakeFactory()
        self._host = host
        self._wanted_port = port  # 0: any free port
        self._port: int | None = None
        self._runner: web.AppRunner | None = None
        self.application_id = self._ids.next()
        bot = UserRecord(self._ids.next(), bot_name.lower(), None, bot=True, discriminator="4821")
        self.bot_user_id = bot.id
        self._bot_permissions = bot_permissions
        self._users: dict[int, UserRecord] = {bot.id: bot}
        self._guilds: dict[int, GuildRecord] = {}
        self._channels: dict[int, dict[str, Any]] = {}
        self._thread_members: dict[int, dict[int, str]] = {}
        self._messages: dict[int, dict[str, Any]] = {}
        self._channel_messages: dict[int, list[int]] = {}
        self._reactions: dict[int, dict[str, tuple[dict[str, Any], list[int]]]] = {}
        self._poll_votes: dict[int, dict[int, list[int]]] = {}  # message -> answer -> users
        self._ephemeral: dict[int, dict[str, Any]] = {}
        self._files: dict[int, list[tuple[str, bytes]]] = {}
        self._attachment_data: dict[int, tuple[str, bytes]] = {}
        self._commands: dict[int | None, list[dict[str, Any]]] = {None: []}
        self._interactions: dict[int, InteractionRecord] = {}
        self._nonces: dict[tuple[int, str], int] = {}
        self._fail_rules: list[FailRule] = []
        self._stall_rules: list[list[Any]] = []  # [method, pattern, seconds, count]
        self._pending: list[Event] = []
        self._emit_lock = asyncio.Lock()
        self._background: set[asyncio.Task[None]] = set()
        self._changed = asyncio.Event()
        self.gateway = Gateway(self)
        self.rest = RestApi(self)

    # ---- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on ``port`` of ``host`` (a free one unless a port was given)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/cdn/attachments/{channel_id}/{attachment_id}/{filename}", self._cdn)
        app.router.add_route("*", "/api/v10/{tail:.*}", self.rest.handle)
        app.router.add_route("*", "/{tail:.*}", self.rest.unknown)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._wanted_port)
        await site.start()
        self._port = self._runner.addresses[0][1]
        log.info("Discord emulator listening on %s", self.base_url)

    async def close(self) -> None:
        """Close the bot's connections and stop listening."""
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        if self._port is None:
            raise RuntimeError("the emulator is not started")
        return f"http://{self._host}:{self._port}"

    @property
    def api_base(self) -> str:
        """What ``discord.http.Route.BASE`` must be set to."""
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        """What ``DiscordWebSocket.DEFAULT_GATEWAY`` must be set to."""
        return f"ws://{self._host}:{self._port}/gateway"

    # ---- bookkeeping ---------------------------------------------------------------------------

    def problem(self, text: str) -> None:
        """Record something real Discord would have refused or that broke the protocol."""
        log.warning("emulator problem: %s", text)
        self.problems.append(text)

    def _pulse(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_until(
        self, predicate: Callable[[], bool], timeout: float = 10
    ) -> None:
        """Wait until ``predicate()`` holds; it is re-checked after every request and event."""
        try:
            async with asyncio.timeout(timeout):
                while not predicate():
                    await self._changed.wait()
        except TimeoutError:
            raise TimeoutError(f"condition not met within {timeout}s") from None

    async def wait_for_request(
        self, method: str, path_regex: str, timeout: float = 10
    ) -> tuple[str, str, Any]:
        """Wait for the bot to send a matching REST request (counting those already sent)."""
        pattern = re.compile(path_regex)

        def found() -> tuple[str, str, Any] | None:
            return next((r for r in self.requests
                         if r[0] == method.upper() and pattern.search(r[1])), None)

        await self.wait_until(lambda: found() is not None, timeout)
        result = found()
        assert result is not None
        return result

    def fail_next(
        self, method: str, path_regex: str, status: int = 429, retry_after: float = 0.2,
        global_: bool = False, count: int = 1,
    ) -> None:
        """Answer the next ``count`` matching REST calls with ``status`` instead of handling."""
        self._fail_rules.append(
            FailRule(method.upper(), re.compile(path_regex), status, retry_after, global_, count)
        )

    def stall_next(self, method: str, path_regex: str, seconds: float, count: int = 1) -> None:
        """Handle the next ``count`` matching REST calls but hold each answer ``seconds``.

        What a client sees as a timeout: the call took effect, the answer did not come.
        """
        self._stall_rules.append([method.upper(), re.compile(path_regex), seconds, count])

    # ---- scene setup ---------------------------------------------------------------------------

    def add_guild(self, name: str) -> GuildRef:
        """A server with an @everyone role, the bot as a member, and an owner (not a member)."""
        guild_id = self._ids.next()
        owner = self._new_user("Server Owner")
        guild = GuildRecord(guild_id, name, owner.id, snowflake_iso(guild_id))
        guild.roles[guild_id] = role_payload(guild_id, "@everyone", Permissions.DEFAULT, 0)
        bot_role = self._ids.next()
        guild.roles[bot_role] = role_payload(bot_role, self._users[self.bot_user_id].username,
                                             self._bot_permissions, 1, bot_id=self.bot_user_id)
        guild.members[self.bot_user_id] = MemberRecord(
            self._users[self.bot_user_id], guild_id, [bot_role], now_iso()
        )
        self._guilds[guild_id] = guild
        self._queue("GUILD_CREATE", lambda: self.guild_create_payload(guild_id), guild_id)
        return GuildRef(guild_id, name)

    def add_text_channel(
        self, guild_id: int, name: str, *, topic: str | None = None, parent_id: int | None = None,
        overwrites: Sequence[Mapping[str, Any]] = (),
    ) -> ChannelRef:
        """A text channel. ``overwrites`` are permission overwrite objects (``id``, ``type``
        0 role / 1 member, ``allow``, ``deny``): the bot sees them; REST does not enforce them."""
        guild = self._guild(guild_id)
        channel_id = self._ids.next()
        data = text_channel_payload(channel_id, guild.id, name, len(guild.channel_ids),
                                    topic=topic, parent_id=parent_id)
        data["permission_overwrites"] = [copy.deepcopy(dict(o)) for o in overwrites]
        return self._add_channel(guild, data)

    def add_forum_channel(
        self, guild_id: int, name: str, *, tags: Sequence[str] = ("Discussion", "Spoilers"),
        topic: str | None = None, overwrites: Sequence[Mapping[str, Any]] = (),
    ) -> ChannelRef:
        """A forum channel with the given tag names (and permission overwrites)."""
        guild = self._guild(guild_id)
        channel_id = self._ids.next()
        tag_payloads = [forum_tag_payload(self._ids.next(), t) for t in tags]
        data = forum_channel_payload(channel_id, guild.id, name, len(guild.channel_ids),
                                     topic=topic, parent_id=None, tags=tag_payloads)
        data["permission_overwrites"] = [copy.deepcopy(dict(o)) for o in overwrites]
        return self._add_channel(guild, data)

    def set_overwrites(self, channel_id: int, overwrites: Sequence[Mapping[str, Any]]) -> None:
        """Replace a channel's permission overwrites (a CHANNEL_UPDATE tells the bot)."""
        channel = self._channel(channel_id)
        if self._is_thread(channel):
            raise ValueError("threads have no overwrites of their own: set their parent's")
        channel["permission_overwrites"] = [copy.deepcopy(dict(o)) for o in overwrites]
        self._queue("CHANNEL_UPDATE", lambda: copy.deepcopy(channel), int(channel["guild_id"]))

    def _add_channel(self, guild: GuildRecord, data: dict[str, Any]) -> ChannelRef:
        channel_id = int(data["id"])
        self._channels[channel_id] = data
        self._channel_messages[channel_id] = []
        guild.channel_ids.append(channel_id)
        self._queue("CHANNEL_CREATE", lambda: copy.deepcopy(data), guild.id)
        return ChannelRef(channel_id, data["name"], guild.id, data["type"])

    def add_member(
        self, guild_id: int, name: str, *, permissions: int = Permissions.DEFAULT,
        username: str | None = None, nick: str | None = None, user_id: int | None = None,
        roles: Sequence[int] = (),
    ) -> MemberRef:
        """A member whose display name is ``name``; extra permissions come from a role.

        ``roles`` are more roles to hold (ids from ``add_role``).
        """
        guild = self._guild(guild_id)
        user = self._users[user_id] if user_id is not None else self._new_user(name, username)
        roles = list(roles)
        if permissions & ~Permissions.DEFAULT:
            roles.append(self._role_for(guild, permissions))
        member = MemberRecord(user, guild.id, roles, now_iso(), nick=nick)
        guild.members[user.id] = member
        self._queue("GUILD_MEMBER_ADD", lambda: {**member.payload(), "guild_id": str(guild.id)},
                    guild.id)
        return MemberRef(user.id, nick or name, guild.id, user.username)

    def add_role(self, guild_id: int, name: str, permissions: int) -> int:
        """A role (returns its id)."""
        guild = self._guild(guild_id)
        role_id = self._ids.next()
        guild.roles[role_id] = role_payload(role_id, name, permissions, len(guild.roles))
        self._queue("GUILD_ROLE_CREATE",
                    lambda: {"guild_id": str(guild.id), "role": guild.roles[role_id]}, guild.id)
        return role_id

    def add_thread(
        self, parent_id: int, name: str, *, owner_id: int | None = None, archived: bool = False,
        locked: bool = False, message_id: int | None = None,
        thread_type: int = ChannelType.PUBLIC_THREAD,
    ) -> ChannelRef:
        """A thread that already exists (no events); ``message_id`` makes it a message's thread."""
        parent = self._channel(parent_id)
        guild = self._guild(int(parent["guild_id"]))
        thread_id = as_id(message_id) if message_id is not None else self._ids.next()
        owner = owner_id if owner_id is not None else self.bot_user_id
        data = thread_payload(thread_id, guild.id, int(parent["id"]), owner, name,
                              thread_type=thread_type, created_at=now_iso(),
                              auto_archive_duration=parent.get("default_auto_archive_duration",
                                                               4320),
                              applied_tags=[] if parent["type"] == ChannelType.GUILD_FORUM
                              else None)
        data["thread_metadata"]["archived"] = archived
        data["thread_metadata"]["locked"] = locked
        self._channels[thread_id] = data
        self._channel_messages[thread_id] = []
        self._thread_members[thread_id] = {}
        self._join_thread(thread_id, owner)
        if message_id is not None and as_id(message_id) in self._messages:
            self._messages[as_id(message_id)]["flags"] |= MessageFlags.HAS_THREAD
        if not archived:
            self._queue("THREAD_CREATE", lambda: self._thread_view(data), guild.id)
        return ChannelRef(thread_id, name, guild.id, thread_type)

    def _new_user(self, name: str, username: str | None = None) -> UserRecord:
        user_id = self._ids.next()
        handle = username or re.sub(r"[^a-z0-9_.]", "", name.lower().replace(" ", "_")) or "user"
        user = UserRecord(user_id, handle, name)
        self._users[user_id] = user
        return user

    def _role_for(self, guild: GuildRecord, permissions: int) -> int:
        for role_id, role in guild.roles.items():
            if role_id != guild.id and not role["managed"] \
                    and int(role["permissions"]) == permissions:
                return role_id
        if permissions & Permissions.ADMINISTRATOR:
            name = "Admin"
        elif permissions & (Permissions.MANAGE_MESSAGES | Permissions.MANAGE_THREADS):
            name = "Moderator"
        else:
            name = f"Role {len(guild.roles)}"
        role_id = self._ids.next()
        guild.roles[role_id] = role_payload(role_id, name, permissions, len(guild.roles))
        self._queue("GUILD_ROLE_CREATE",
                    lambda: {"guild_id": str(guild.id), "role": guild.roles[role_id]}, guild.id)
        return role_id

    def _queue(self, name: str, build: Callable[[], Any], guild_id: int | None) -> None:
        """Queue an event from synchronous setup; sent before the next dispatch."""
        if not self.gateway.sessions:
            return
        self._pending.append(Event(name, build(), guild_id))
        with contextlib.suppress(RuntimeError):
            task = asyncio.get_running_loop().create_task(self._emit_all([]))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    # ---- lookups -------------------------------------------------------------------------------

    def _guild(self, guild_id: int | str) -> GuildRecord:
        try:
            return self._guilds[int(guild_id)]
        except KeyError:
            raise ApiError(404, 10004, "Unknown Guild") from None

    def _channel(self, channel_id: Any) -> dict[str, Any]:
        try:
            return self._channels[as_id(channel_id)]
        except (KeyError, ValueError, TypeError):
            raise ApiError(404, 10003, "Unknown Channel") from None

    def _message(
        self, message_id: int | str, channel_id: int | str | None = None
    ) -> dict[str, Any]:
        try:
            msg = self._messages[as_id(message_id)]
        except (KeyError, ValueError, TypeError):
            raise ApiError(404, 10008, "Unknown Message") from None
        if channel_id is not None and msg["channel_id"] != str(as_id(channel_id)):
            raise ApiError(404, 10008, "Unknown Message")
        return msg

    def _member(self, guild: GuildRecord, user_id: int | str) -> MemberRecord:
        try:
            return guild.members[as_id(user_id)]
        except (KeyError, ValueError):
            raise ApiError(404, 10007, "Unknown Member") from None

    def _guild_of(self, channel: Mapping[str, Any]) -> GuildRecord:
        return self._guild(int(channel["guild_id"]))

    def permissions_in(self, user_id: int | str, channel_id: int | str) -> int:
        """A member's permissions in a channel or thread, overwrites applied as Discord does.

        A thread has no overwrites of its own: its parent channel's apply.
        """
        channel = self._channel(channel_id)
        guild = self._guild_of(channel)
        if self._is_thread(channel):
            channel = self._channel(channel["parent_id"])
        return guild.permissions_in(as_id(user_id), channel.get("permission_overwrites") or [])

    @staticmethod
    def _is_thread(channel: Mapping[str, Any]) -> bool:
        return channel["type"] in ChannelType.THREADS

    def guild_ids(self) -> list[int]:
        """Every guild, in creation order."""
        return list(self._guilds)

    # ---- public state queries ------------------------------------------------------------------

    def messages_in(self, channel_id: int | str) -> list[dict[str, Any]]:
        """Current (not deleted) messages of a channel or thread, oldest first."""
        ids = self._channel_messages.get(as_id(channel_id), [])
        return [self.render_message(self._messages[i]) for i in ids]

    def get_message(self, message_id: int | str) -> dict[str, Any] | None:
        """A current message as REST would return it (ephemeral ones included), else None."""
        msg = self._messages.get(as_id(message_id)) or self._ephemeral.get(as_id(message_id))
        return self.render_message(msg) if msg is not None else None

    @property
    def threads(self) -> dict[int, dict[str, Any]]:
        """Every thread (archived ones too) by id."""
        return {cid: copy.deepcopy(c) for cid, c in self._channels.items() if self._is_thread(c)}

    def channel(self, channel_id: int | str) -> dict[str, Any]:
        """A channel or thread payload."""
        return copy.deepcopy(self._channel(channel_id))

    def reactions_of(self, message_id: int | str) -> dict[str, list[int]]:
        """Who reacted with what: emoji as text (``👍``, ``<:name:id>``) -> user ids."""
        result = {}
        for emoji, users in self._reactions.get(int(message_id), {}).values():
            text = (f"<{'a' if emoji.get('animated') else ''}:{emoji['name']}:{emoji['id']}>"
                    if emoji.get("id") else emoji["name"])
            result[text] = list(users)
        return result

    def files_of(self, message_id: int | str) -> list[tuple[str, bytes]]:
        """``(filename, bytes)`` of every file uploaded with a message."""
        return list(self._files.get(as_id(message_id), []))

    @property
    def interactions(self) -> list[InteractionRecord]:
        """Every interaction sent to the bot, oldest first."""
        return list(self._interactions.values())

    def commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        """The registered slash commands (global when ``guild_id`` is None)."""
        return copy.deepcopy(self._commands.get(guild_id, []))

    # ---- gateway payloads ----------------------------------------------------------------------

    def ready_payload(self, session_id: str, shard: Any) -> dict[str, Any]:
        """READY for a new session."""
        bot = self._users[self.bot_user_id].payload()
        bot.update(verified=True, mfa_enabled=False, email=None, locale="en-US",
                   premium_type=0)
        data: dict[str, Any] = {
            "v": 10,
            "user": bot,
            "user_settings": {},
            "session_id": session_id,
            "session_type": "normal",
            "resume_gateway_url": self.gateway_url,
            "guilds": [{"id": str(g), "unavailable": True} for g in self._guilds],
            "application": {"id": str(self.application_id), "flags": _APPLICATION_FLAGS},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["rotterdam", "frankfurt"],
            "auth": {},
            "_trace": ['["gateway-emulator",{"micros":0}]'],
        }
        if shard is not None:
            data["shard"] = shard
        return data

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
        guild = self._guild(guild_id)
        data = self.guild_payload(guild)
        members = [m.payload() for m in guild.members.values()]
        data.update(
            joined_at=guild.members[self.bot_user_id].joined_at,
            large=False,
            unavailable=False,
            lazy=True,
            member_count=len(members),
            members=members,
            channels=[copy.deepcopy(self._channels[c]) for c in guild.channel_ids],
            threads=[self._thread_view(t) for t in self._channels.values()
                     if self._is_thread(t) and t["guild_id"] == str(guild.id)
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
        guild = self._guild(request["guild_id"])
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

    def _thread_view(
        self, thread: Mapping[str, Any], *, for_user: int | None = None
    ) -> dict[str, Any]:
        """A thread payload; includes the bot's thread member when it has joined."""
        data = copy.deepcopy(dict(thread))
        user = self.bot_user_id if for_user is None else for_user
        joined = self._thread_members.get(int(thread["id"]), {}).get(user)
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
        thread = self._channels.get(message_id)
        if thread is not None and self._is_thread(thread) \
                and thread["parent_id"] == msg["channel_id"]:
            out["thread"] = self._thread_view(thread)
        ref = msg.get("message_reference")
        if ref and not nested \
                and msg["type"] in (MessageType.REPLY, MessageType.THREAD_STARTER_MESSAGE):
            target = self._messages.get(int(ref["message_id"]))
            out["referenced_message"] = (
                self.render_message(target, nested=True) if target is not None else None
            )
        return out

    def event_message(self, msg: Mapping[str, Any]) -> dict[str, Any]:
        """A message as MESSAGE_CREATE/UPDATE carries it: guild_id, member, members of mentions."""
        out = self.render_message(msg)
        channel = self._channels.get(int(msg["channel_id"]))
        if channel is None:
            return out
        guild = self._guilds[int(channel["guild_id"])]
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
        for emoji, users in self._reactions.get(message_id, {}).values():
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

    def _mentions(
        self, guild: GuildRecord, content: str, allowed: Mapping[str, Any] | None = None
    ) -> tuple[list[dict[str, Any]], list[str], bool]:
        """Users and roles a message mentions (as allowed_mentions lets it), and @everyone."""
        parse = None if allowed is None else set(allowed.get("parse") or [])
        allowed_users = {str(u) for u in (allowed or {}).get("users") or []}
        allowed_roles = {str(r) for r in (allowed or {}).get("roles") or []}
        users: list[dict[str, Any]] = []
        for raw in dict.fromkeys(_USER_MENTION.findall(content)):
            user = self._users.get(int(raw))
            if user is not None and (parse is None or "users" in parse or raw in allowed_users):
                users.append(user.payload())
        roles = [raw for raw in dict.fromkeys(_ROLE_MENTION.findall(content))
                 if int(raw) in guild.roles
                 and (parse is None or "roles" in parse or raw in allowed_roles)]
        everyone = ("@everyone" in content or "@here" in content) and (
            parse is None or "everyone" in parse
        )
        return users, roles, everyone

    def _new_message(
        self, channel: dict[str, Any], author: UserRecord, content: str = "", *,
        embeds: list[dict[str, Any]] | None = None,
        attachments: list[dict[str, Any]] | None = None,
        message_type: int = MessageType.DEFAULT, flags: int = 0,
        reference: dict[str, Any] | None = None, allowed_mentions: Mapping[str, Any] | None = None,
        message_id: int | None = None, extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A message dict in REST shape (not stored yet)."""
        guild = self._guild_of(channel)
        message_id = message_id or self._ids.next()
        mentions, mention_roles, everyone = self._mentions(guild, content, allowed_mentions)
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
            "embeds": [_normalise_embed(e) for e in embeds or []],
            "pinned": False,
            "type": message_type,
            "flags": flags,
            "components": [],
        }
        if reference is not None:
            msg["message_reference"] = reference
        if self._is_thread(channel):
            msg["position"] = channel["total_message_sent"]
        if extra:
            msg.update(extra)
        return msg

    def _store_message(self, msg: dict[str, Any]) -> None:
        message_id = int(msg["id"])
        channel_id = int(msg["channel_id"])
        channel = self._channels[channel_id]
        self._messages[message_id] = msg
        ids = self._channel_messages.setdefault(channel_id, [])
        if ids and ids[-1] > message_id:
            ids.append(message_id)
            ids.sort()
        else:
            ids.append(message_id)
        channel["last_message_id"] = msg["id"]
        if self._is_thread(channel) and msg["type"] != MessageType.THREAD_STARTER_MESSAGE:
            channel["total_message_sent"] += 1
            if int(channel["id"]) != message_id:  # a forum post's first message isn't counted
                channel["message_count"] += 1

    def _remove_message(self, message_id: int) -> dict[str, Any] | None:
        msg = self._messages.pop(message_id, None)
        if msg is None:
            return None
        channel_id = int(msg["channel_id"])
        ids = self._channel_messages.get(channel_id, [])
        if message_id in ids:
            ids.remove(message_id)
        channel = self._channels.get(channel_id)
        if channel is not None and self._is_thread(channel) and channel["message_count"] > 0 \
                and int(channel["id"]) != message_id \
                and msg["type"] != MessageType.THREAD_STARTER_MESSAGE:
            channel["message_count"] -= 1
        self._reactions.pop(message_id, None)
        return msg

    def make_attachment(
        self, channel_id: int, filename: str, data: bytes, *, description: str | None = None,
        content_type: str | None = None, size: int | None = None,
    ) -> dict[str, Any]:
        """An attachment payload whose URL the emulator serves; the bytes are kept."""
        attachment_id = self._ids.next()
        self._attachment_data[attachment_id] = (filename, data)
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
        if (size := _png_size(data)) is not None:  # Discord gives an image's dimensions
            payload["width"], payload["height"] = size
        if filename.startswith("SPOILER_"):
            payload["spoiler"] = True
        return payload

    async def _cdn(self, request: web.Request) -> web.StreamResponse:
        attachment_id = request.match_info["attachment_id"]
        stored = self._attachment_data.get(int(attachment_id)) if attachment_id.isdigit() else None
        if stored is None or stored[0] != request.match_info["filename"]:
            return web.Response(status=404, text="Not Found")
        kind = mimetypes.guess_type(stored[0])[0] or "application/octet-stream"
        return web.Response(body=stored[1], headers={"Content-Type": kind})

    # ---- members act ---------------------------------------------------------------------------

    def _acting_member(self, user_id: int | str, channel: Mapping[str, Any]) -> MemberRecord:
        guild = self._guild_of(channel)
        member = guild.members.get(as_id(user_id))
        if member is None:
            raise LookupError(f"user {user_id} is not a member of guild {guild.id}")
        return member

    def _check_can_post(self, channel: dict[str, Any], user_id: int) -> list[Event]:
        """Refuse posting where Discord would; unarchive a thread a message revives."""
        guild = self._guild_of(channel)
        perms = self.permissions_in(user_id, channel["id"])
        if channel["type"] == ChannelType.GUILD_FORUM:
            raise ApiError(400, 50008, "Cannot send messages in a non-text channel")
        if not self._is_thread(channel):
            if not perms & Permissions.SEND_MESSAGES:
                raise ApiError(403, 50013, "Missing Permissions")
            return []
        meta = channel["thread_metadata"]
        manage = bool(perms & Permissions.MANAGE_THREADS)
        if not perms & Permissions.SEND_MESSAGES_IN_THREADS:
            raise ApiError(403, 50013, "Missing Permissions")
        if meta["locked"] and not manage:
            raise ApiError(403, 160005, "Thread is locked")
        if meta["archived"]:
            meta["archived"] = False
            meta["archive_timestamp"] = now_iso()
            return [Event("THREAD_UPDATE", self._thread_view(channel), guild.id)]
        return []

    def _member_message(
        self, author_id: int | str, channel_id: int | str, content: str, *,
        reply_to: int | str | None, attachments: Iterable[Mapping[str, Any]] | None,
        embeds: list[dict[str, Any]] | None, record: bool,
    ) -> tuple[dict[str, Any], list[Event]]:
        channel = self._channel(channel_id)
        member = self._acting_member(author_id, channel)
        events: list[Event] = []
        if record:
            try:
                events = self._check_can_post(channel, member.user.id)
            except ApiError as exc:
                raise PermissionError(f"{member.user.global_name} cannot post in "
                                      f"{channel['name']}: {exc.message}") from None
        files = []
        for spec in attachments or []:
            data = spec.get("data")
            size = int(spec.get("size", len(data) if data is not None else 0))
            blob = data if data is not None else bytes(size)
            files.append(self.make_attachment(int(channel["id"]), spec["filename"], blob,
                                              content_type=spec.get("content_type"),
                                              size=size, description=spec.get("description")))
        reference = None
        message_type = MessageType.DEFAULT
        if reply_to is not None:
            target = self._message(reply_to)
            reference = _reference(target, channel)
            message_type = MessageType.REPLY
        msg = self._new_message(channel, member.user, content, embeds=embeds, attachments=files,
                                message_type=message_type, reference=reference)
        if record:
            self._store_message(msg)
        return self.event_message(msg), events

    def build_message(
        self, author_id: int | str, channel_id: int | str, content: str = "", *,
        reply_to: int | str | None = None, attachments: Iterable[Mapping[str, Any]] | None = None,
        embeds: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A member's message, recorded in state but not sent: the MESSAGE_CREATE payload."""
        payload, events = self._member_message(author_id, channel_id, content, reply_to=reply_to,
                                               attachments=attachments, embeds=embeds, record=True)
        if self.gateway.sessions:
            self._pending.extend(events)
        return payload

    def record_message(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Keep a hand-made message (a system notice, a webhook's, stickers) in state; no event.

        ``payload`` is a MESSAGE_CREATE payload (e.g. from ``message_payload``, then changed);
        REST returns the message from now on. Returns it in REST shape.
        """
        msg = {k: copy.deepcopy(v) for k, v in payload.items() if k not in ("guild_id", "member")}
        self._store_message(msg)
        return self.render_message(msg)

    def message_payload(
        self, author_id: int | str, channel_id: int | str, content: str = "", *,
        reply_to: int | str | None = None, attachments: Iterable[Mapping[str, Any]] | None = None,
        embeds: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A realistic MESSAGE_CREATE payload that is neither recorded nor sent."""
        payload, _ = self._member_message(author_id, channel_id, content, reply_to=reply_to,
                                          attachments=attachments, embeds=embeds, record=False)
        return payload

    async def say(
        self, author_id: int | str, channel_id: int | str, content: str = "", *,
        reply_to: int | str | None = None, attachments: Iterable[Mapping[str, Any]] | None = None,
        embeds: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A member posts a message; returns the MESSAGE_CREATE payload."""
        payload, events = self._member_message(author_id, channel_id, content, reply_to=reply_to,
                                               attachments=attachments, embeds=embeds, record=True)
        guild_id = int(payload["guild_id"])
        await self._emit_all([*events, Event("MESSAGE_CREATE", payload, guild_id, True)])
        return copy_payload(payload)

    async def edit(
        self, author_id: int | str, message_id: int | str, content: str, *,
        embeds: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A member edits their message: MESSAGE_UPDATE with a new edited_timestamp."""
        msg = self._message(message_id)
        if msg["author"]["id"] != str(as_id(author_id)):
            raise PermissionError(f"user {author_id} did not write message {message_id}")
        channel = self._channels[int(msg["channel_id"])]
        guild = self._guild_of(channel)
        mentions, roles, everyone = self._mentions(guild, content)
        msg.update(content=content, edited_timestamp=now_iso(), mentions=mentions,
                   mention_roles=roles, mention_everyone=everyone)
        if embeds is not None:
            msg["embeds"] = [_normalise_embed(e) for e in embeds]
        return await self._emit_message_update(msg)

    async def unfurl(
        self, message_id: int | str, embeds: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """Link previews arrive: MESSAGE_UPDATE, not an edit (content, edited_timestamp kept)."""
        msg = self._message(message_id)
        if embeds is None:
            embeds = [_link_embed(url) for url in _URL.findall(msg["content"])]
            if not embeds:
                raise ValueError(f"message {message_id} has no link to unfurl; pass embeds=")
        msg["embeds"] = [*msg["embeds"], *embeds]
        return await self._emit_message_update(msg)

    async def _emit_message_update(self, msg: dict[str, Any]) -> dict[str, Any]:
        payload = self.event_message(msg)
        await self._emit_all([Event("MESSAGE_UPDATE", payload, int(payload["guild_id"]), True)])
        return copy_payload(payload)

    async def delete(self, message_id: int | str) -> dict[str, Any]:
        """A message is deleted (by its author or a moderator): MESSAGE_DELETE."""
        msg = self._message(message_id)
        rendered = self.render_message(msg)
        self._remove_message(as_id(message_id))
        channel = self._channels[int(msg["channel_id"])]
        await self._emit_all([Event("MESSAGE_DELETE", {
            "id": msg["id"], "channel_id": msg["channel_id"], "guild_id": channel["guild_id"]},
            int(channel["guild_id"]))])
        return rendered

    async def bulk_delete(
        self, channel_id: int | str, message_ids: Iterable[int | str]
    ) -> list[str]:
        """A moderator purges messages: MESSAGE_DELETE_BULK (unknown ids are sent as given)."""
        channel = self._channel(channel_id)
        ids = [str(i) for i in message_ids]
        for raw in ids:
            msg = self._messages.get(int(raw))
            if msg is not None and msg["channel_id"] == channel["id"]:
                self._remove_message(int(raw))
        await self._emit_all([Event("MESSAGE_DELETE_BULK", {
            "ids": ids, "channel_id": channel["id"], "guild_id": channel["guild_id"]},
            int(channel["guild_id"]))])
        return ids

    def _reaction_event(
        self, name: str, user_id: int, msg: Mapping[str, Any], emoji: dict[str, Any]
    ) -> Event:
        channel = self._channels[int(msg["channel_id"])]
        guild = self._guild_of(channel)
        data: dict[str, Any] = {
            "user_id": str(user_id),
            "channel_id": msg["channel_id"],
            "message_id": msg["id"],
            "guild_id": str(guild.id),
            "emoji": copy.deepcopy(emoji),
            "burst": False,
            "type": 0,
        }
        if name == "MESSAGE_REACTION_ADD":
            member = guild.members.get(user_id)
            if member is not None:
                data["member"] = member.payload()
            data["message_author_id"] = msg["author"]["id"]
            data["burst_colors"] = []
        return Event(name, data, guild.id)

    def _add_reaction(
        self, user_id: int, msg: Mapping[str, Any], emoji: dict[str, Any]
    ) -> list[Event]:
        by_emoji = self._reactions.setdefault(int(msg["id"]), {})
        _, users = by_emoji.setdefault(emoji_key(emoji), (emoji, []))
        if user_id in users:
            return []
        users.append(user_id)
        return [self._reaction_event("MESSAGE_REACTION_ADD", user_id, msg, emoji)]

    def _remove_reaction(
        self, user_id: int, msg: Mapping[str, Any], emoji: dict[str, Any]
    ) -> list[Event]:
        by_emoji = self._reactions.get(int(msg["id"]), {})
        entry = by_emoji.get(emoji_key(emoji))
        if entry is None or user_id not in entry[1]:
            return []
        entry[1].remove(user_id)
        if not entry[1]:
            del by_emoji[emoji_key(emoji)]
        return [self._reaction_event("MESSAGE_REACTION_REMOVE", user_id, msg, entry[0])]

    @staticmethod
    def _emoji(emoji: str) -> dict[str, Any]:
        parsed = parse_emoji(emoji)
        if parsed is None:
            raise ValueError(f"{emoji!r} is not an emoji")
        return parsed

    async def react(self, user_id: int | str, message_id: int | str, emoji: str) -> dict[str, Any]:
        """A member reacts: MESSAGE_REACTION_ADD (nothing if they already had)."""
        msg = self._message(message_id)
        self._acting_member(user_id, self._channels[int(msg["channel_id"])])
        await self._emit_all(self._add_reaction(as_id(user_id), msg, self._emoji(emoji)))
        return self.render_message(msg)

    async def unreact(
        self, user_id: int | str, message_id: int | str, emoji: str
    ) -> dict[str, Any]:
        """A member takes a reaction back: MESSAGE_REACTION_REMOVE (nothing if they had none)."""
        msg = self._message(message_id)
        await self._emit_all(self._remove_reaction(as_id(user_id), msg, self._emoji(emoji)))
        return self.render_message(msg)

    async def clear_reactions(self, message_id: int | str) -> dict[str, Any]:
        """A moderator removes all reactions: MESSAGE_REACTION_REMOVE_ALL."""
        msg = self._message(message_id)
        await self._emit_all([self._clear_all_event(msg)])
        return self.render_message(msg)

    def _clear_all_event(self, msg: Mapping[str, Any]) -> Event:
        self._reactions.pop(int(msg["id"]), None)
        channel = self._channels[int(msg["channel_id"])]
        return Event("MESSAGE_REACTION_REMOVE_ALL", {
            "channel_id": msg["channel_id"], "message_id": msg["id"],
            "guild_id": channel["guild_id"]}, int(channel["guild_id"]))

    async def clear_reaction_emoji(self, message_id: int | str, emoji: str) -> dict[str, Any]:
        """A moderator removes one emoji's reactions: MESSAGE_REACTION_REMOVE_EMOJI."""
        msg = self._message(message_id)
        await self._emit_all([self._clear_emoji_event(msg, self._emoji(emoji))])
        return self.render_message(msg)

    def _clear_emoji_event(self, msg: Mapping[str, Any], emoji: dict[str, Any]) -> Event:
        self._reactions.get(int(msg["id"]), {}).pop(emoji_key(emoji), None)
        channel = self._channels[int(msg["channel_id"])]
        return Event("MESSAGE_REACTION_REMOVE_EMOJI", {
            "channel_id": msg["channel_id"], "message_id": msg["id"],
            "guild_id": channel["guild_id"], "emoji": emoji}, int(channel["guild_id"]))

    # ---- threads -------------------------------------------------------------------------------

    def _join_thread(self, thread_id: int, user_id: int) -> bool:
        members = self._thread_members.setdefault(thread_id, {})
        if user_id in members:
            return False
        members[user_id] = now_iso()
        self._channels[thread_id]["member_count"] = min(len(members), 50)
        return True

    def _thread_created_events(self, thread: dict[str, Any]) -> list[Event]:
        guild_id = int(thread["guild_id"])
        data = self._thread_view(thread)
        data["newly_created"] = True
        return [Event("THREAD_CREATE", data, guild_id)]

    def create_thread_from_message(
        self, owner_id: int, msg: dict[str, Any], name: str, *, auto_archive_duration: int | None,
        rate_limit_per_user: int | None,
    ) -> tuple[dict[str, Any], list[Event]]:
        """Start a thread on a message (thread id = message id); returns it and its events."""
        channel = self._channels[int(msg["channel_id"])]
        if channel["type"] not in (ChannelType.GUILD_TEXT, ChannelType.GUILD_ANNOUNCEMENT):
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        message_id = int(msg["id"])
        if message_id in self._channels:
            raise ApiError(400, 160004, "A thread has already been created for this message")
        guild = self._guild_of(channel)
        kind = (ChannelType.ANNOUNCEMENT_THREAD if channel["type"] == ChannelType.GUILD_ANNOUNCEMENT
                else ChannelType.PUBLIC_THREAD)
        thread = thread_payload(
            message_id, guild.id, int(channel["id"]), owner_id, name, thread_type=kind,
            created_at=now_iso(),
            auto_archive_duration=auto_archive_duration or channel["default_auto_archive_duration"],
            rate_limit_per_user=rate_limit_per_user or 0,
        )
        self._channels[message_id] = thread
        self._channel_messages[message_id] = []
        self._join_thread(message_id, owner_id)
        msg["flags"] |= MessageFlags.HAS_THREAD
        starter = self._new_message(
            thread, self._users[owner_id], "", message_type=MessageType.THREAD_STARTER_MESSAGE,
            reference=_reference(msg, channel),
        )
        self._store_message(starter)
        events = self._thread_created_events(thread)
        events.append(Event("MESSAGE_UPDATE", self.event_message(msg), guild.id, True))
        events.append(Event("MESSAGE_CREATE", self.event_message(starter), guild.id, True))
        return thread, events

    def create_thread_in_channel(
        self, owner_id: int, channel: dict[str, Any], name: str, *, thread_type: int,
        auto_archive_duration: int | None, rate_limit_per_user: int | None, invitable: bool,
    ) -> tuple[dict[str, Any], list[Event]]:
        """Start a thread without a starter message (public ones announce themselves)."""
        guild = self._guild_of(channel)
        thread_id = self._ids.next()
        thread = thread_payload(
            thread_id, guild.id, int(channel["id"]), owner_id, name, thread_type=thread_type,
            created_at=now_iso(),
            auto_archive_duration=auto_archive_duration or channel["default_auto_archive_duration"],
            rate_limit_per_user=rate_limit_per_user or 0, invitable=invitable,
        )
        self._channels[thread_id] = thread
        self._channel_messages[thread_id] = []
        self._join_thread(thread_id, owner_id)
        events = self._thread_created_events(thread)
        if thread_type != ChannelType.PRIVATE_THREAD:
            notice = self._new_message(
                channel, self._users[owner_id], name, message_type=MessageType.THREAD_CREATED,
                reference={"channel_id": str(thread_id), "guild_id": str(guild.id)},
            )
            self._store_message(notice)
            events.append(Event("MESSAGE_CREATE", self.event_message(notice), guild.id, True))
        return thread, events

    def create_forum_post(
        self, owner_id: int, forum: dict[str, Any], name: str, message: Mapping[str, Any], *,
        attachments: list[dict[str, Any]], applied_tags: Sequence[str],
        auto_archive_duration: int | None, rate_limit_per_user: int | None,
    ) -> tuple[dict[str, Any], dict[str, Any], list[Event]]:
        """A forum post: a thread whose first message has the thread's id."""
        guild = self._guild_of(forum)
        known = {t["id"] for t in forum.get("available_tags", [])}
        unknown = [t for t in applied_tags if str(t) not in known]
        if unknown:
            raise ApiError(400, 50035, "Invalid Form Body", {"applied_tags": {"_errors": [
                {"code": "BASE_TYPE_CHOICES", "message": f"Unknown tag(s) {unknown}"}]}},
                problem=True)
        thread_id = self._ids.next()
        thread = thread_payload(
            thread_id, guild.id, int(forum["id"]), owner_id, name,
            thread_type=ChannelType.PUBLIC_THREAD, created_at=now_iso(),
            auto_archive_duration=auto_archive_duration or forum["default_auto_archive_duration"],
            rate_limit_per_user=rate_limit_per_user or 0,
            applied_tags=[str(t) for t in applied_tags],
        )
        self._channels[thread_id] = thread
        self._channel_messages[thread_id] = []
        self._join_thread(thread_id, owner_id)
        first = self._new_message(
            thread, self._users[owner_id], message.get("content") or "",
            embeds=message.get("embeds"), attachments=attachments, message_id=thread_id,
            allowed_mentions=message.get("allowed_mentions"),
        )
        self._store_message(first)
        forum["last_message_id"] = str(thread_id)
        events = self._thread_created_events(thread)
        events.append(Event("MESSAGE_CREATE", self.event_message(first), guild.id, True))
        return thread, first, events

    async def start_thread(
        self, member_id: int | str, channel_id: int | str, name: str, *,
        message_id: int | str | None = None, thread_type: int = ChannelType.PUBLIC_THREAD,
    ) -> dict[str, Any]:
        """A member starts a thread (on ``message_id`` if given); returns the thread payload."""
        channel = self._channel(channel_id)
        member = self._acting_member(member_id, channel)
        if message_id is not None:
            thread, events = self.create_thread_from_message(
                member.user.id, self._message(message_id, channel["id"]), name,
                auto_archive_duration=None, rate_limit_per_user=None)
        else:
            thread, events = self.create_thread_in_channel(
                member.user.id, channel, name, thread_type=thread_type,
                auto_archive_duration=None, rate_limit_per_user=None, invitable=True)
        await self._emit_all(events)
        return self._thread_view(thread, for_user=member.user.id)

    async def forum_post(
        self, member_id: int | str, forum_id: int | str, name: str, content: str, *,
        tags: Sequence[str] = (),
    ) -> dict[str, Any]:
        """A member opens a forum post; ``tags`` are tag names. Returns the thread payload."""
        forum = self._channel(forum_id)
        member = self._acting_member(member_id, forum)
        by_name = {t["name"]: t["id"] for t in forum.get("available_tags", [])}
        thread, _, events = self.create_forum_post(
            member.user.id, forum, name, {"content": content}, attachments=[],
            applied_tags=[by_name[t] for t in tags], auto_archive_duration=None,
            rate_limit_per_user=None)
        await self._emit_all(events)
        return self._thread_view(thread, for_user=member.user.id)

    async def archive_thread(
        self, thread_id: int | str, *, archived: bool = True, locked: bool | None = None
    ) -> dict[str, Any]:
        """Discord (auto-archive) or a moderator's client archives/locks a thread: THREAD_UPDATE."""
        thread = self._channel(thread_id)
        if not self._is_thread(thread):
            raise ValueError(f"{thread_id} is not a thread")
        meta = thread["thread_metadata"]
        if meta["archived"] != archived:
            meta["archived"] = archived
            meta["archive_timestamp"] = now_iso()
        if locked is not None:
            meta["locked"] = locked
        payload = self._thread_view(thread)
        await self._emit_all([Event("THREAD_UPDATE", payload, int(thread["guild_id"]))])
        return copy_payload(payload)

    async def rename_guild(self, guild_id: int | str, name: str) -> None:
        """A server admin renames the server: GUILD_UPDATE with the guild object."""
        guild = self._guild(as_id(guild_id))
        guild.name = name
        await self._emit_all([Event("GUILD_UPDATE", self.guild_payload(guild), guild.id)])

    async def rename_channel(self, channel_id: int | str, name: str) -> dict[str, Any]:
        """A moderator renames a channel (CHANNEL_UPDATE) or a thread (THREAD_UPDATE)."""
        channel = self._channel(channel_id)
        channel["name"] = name
        if self._is_thread(channel):
            event, payload = "THREAD_UPDATE", self._thread_view(channel)
        else:
            event, payload = "CHANNEL_UPDATE", copy.deepcopy(channel)
        await self._emit_all([Event(event, payload, int(channel["guild_id"]))])
        return copy_payload(payload)

    async def delete_thread(self, thread_id: int | str) -> None:
        """A moderator deletes a thread, and its messages with it: THREAD_DELETE."""
        thread = self._channel(thread_id)
        if not self._is_thread(thread):
            raise ValueError(f"{thread_id} is not a thread")
        del self._channels[int(thread["id"])]
        for message_id in self._channel_messages.pop(int(thread["id"]), []):
            self._messages.pop(message_id, None)
        self._thread_members.pop(int(thread["id"]), None)
        await self._emit_all([Event("THREAD_DELETE", {
            "id": thread["id"], "guild_id": thread["guild_id"], "parent_id": thread["parent_id"],
            "type": thread["type"]}, int(thread["guild_id"]))])

    # ---- raw dispatch --------------------------------------------------------------------------

    async def _emit_all(self, events: Iterable[Event]) -> None:
        """Send queued setup events, then ``events``, in order."""
        events = list(events)
        async with self._emit_lock:
            pending, self._pending = self._pending, []
            filt = content_filter(self.bot_user_id)
            for event in [*pending, *events]:
                await self.gateway.dispatch(event.name, event.data, guild_id=event.guild_id,
                                            transform=filt if event.content else None)
        self._pulse()

    async def dispatch(self, event: str, payload: Mapping[str, Any]) -> None:
        """Send any dispatch event as given (no intent filter), with the next sequence number."""
        async with self._emit_lock:
            pending, self._pending = self._pending, []
            for queued in pending:
                await self.gateway.dispatch(queued.name, queued.data, guild_id=queued.guild_id)
            await self.gateway.dispatch(event, payload, raw=True)
        self._pulse()

    async def dispatch_many(self, items: Iterable[tuple[str, Mapping[str, Any]]]) -> int:
        """Send many raw events with minimal overhead; returns once all frames are written."""
        async with self._emit_lock:
            written = await self.gateway.dispatch_many(items)
        self._pulse()
        return written

    # ---- the bot's connection ------------------------------------------------------------------

    async def wait_connected(self, timeout: float = 10) -> None:
        """Wait until the bot identified and has read READY and every GUILD_CREATE."""
        try:
            async with asyncio.timeout(timeout):
                await self.gateway.ready.wait()
        except TimeoutError:
            raise TimeoutError(f"the bot did not identify within {timeout}s") from None
        if not await self.gateway.ping(timeout):
            raise TimeoutError("the bot identified but does not read the gateway")

    async def ping_bot(self, timeout: float = 5) -> bool:
        """Check the bot still reads the gateway: it must heartbeat back having seen every event.

        Doubles as a barrier: once it returns True, discord.py has parsed every event sent so
        far (its handlers run as tasks and may still be going).

        A discord.py client whose event parsing crashed keeps its socket open but stops
        reading; this is how a test notices. Records a problem when the bot fails.
        """
        await self._emit_all([])
        ok = await self.gateway.ping(timeout)
        if not ok:
            self.problem(f"the bot did not answer a heartbeat request within {timeout}s")
        return ok

    async def disconnect_bot(
        self, code: int | None = 4000, resumable: bool = True, *, wait: bool = True,
        timeout: float = 10,
    ) -> None:
        """Drop the gateway: close with ``code``, or op 7 when None; op 9 when not resumable.

        With ``wait`` (the default) return once the bot has resumed or identified again;
        events sent while it is away are replayed on RESUME.
        """
        await self.gateway.disconnect(code, resumable, timeout if wait else None)

    # ---- slash commands ------------------------------------------------------------------------

    def _interaction_payload(
        self, kind: int, member_id: int | str, channel_id: int | str, name: str,
        values: Mapping[str, Any], *, focused: str | None, locale: str,
        enforce_default_permissions: bool,
    ) -> tuple[dict[str, Any], GuildRecord]:
        channel = self._channel(channel_id)
        guild = self._guild_of(channel)
        member = self._acting_member(member_id, channel)
        perms = self.permissions_in(member.user.id, channel["id"])
        command, rest = find_command(self._commands.get(guild.id, []) + self._commands[None], name)
        default_perms = command.get("default_member_permissions")
        if enforce_default_permissions and default_perms is not None \
                and int(default_perms) & ~perms:
            raise PermissionError(f"{member.user.global_name} cannot see /{command['name']}")
        schemas, used = option_schema(command, rest)
        by_name = {s["name"]: s for s in schemas}
        unknown = set(values) - set(by_name)
        if unknown:
            raise ValueError(f"/{name} has no option(s) {sorted(unknown)}; it has {list(by_name)}")
        if focused is not None and focused not in by_name:
            raise ValueError(f"/{name} has no option {focused!r} to focus")
        resolved: dict[str, dict[str, Any]] = {}
        leaf: list[dict[str, Any]] = []
        for schema in schemas:
            option_name = schema["name"]
            if option_name not in values:
                if schema.get("required") and kind == 2:
                    raise ValueError(f"/{name} needs option {option_name!r}")
                continue
            value = values[option_name]
            is_focused = option_name == focused
            if schema["type"] == ATTACHMENT and not is_focused:
                value = self._option_attachment(channel, value, resolved)
            if not is_focused:
                check_choices(schema, value)
            option: dict[str, Any] = {
                "type": schema["type"], "name": option_name,
                "value": coerce_value(schema, value, focused=is_focused),
            }
            if is_focused:
                option["focused"] = True
            elif kind == 2:
                self._resolve_option(guild, schema, option["value"], member, channel, resolved)
            leaf.append(option)
        data: dict[str, Any] = {
            "id": command["id"],
            "name": command["name"],
            "type": command.get("type", 1),
            "options": nest_options(command, used, leaf),
        }
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return self._interaction_envelope(kind, data, member, channel, locale), guild

    def _interaction_envelope(
        self, kind: int, data: dict[str, Any], member: MemberRecord, channel: Mapping[str, Any],
        locale: str,
    ) -> dict[str, Any]:
        """INTERACTION_CREATE around ``data``, as discord.py 2.7 parses it."""
        guild = self._guild_of(channel)
        # What Discord sends: the member's and the bot's permissions in this channel.
        perms = self.permissions_in(member.user.id, channel["id"])
        return {
            "id": str(self._ids.next()),
            "application_id": str(self.application_id),
            "type": kind,
            "data": data,
            "guild_id": str(guild.id),
            "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
            "channel_id": channel["id"],
            "channel": {**copy.deepcopy(dict(channel)), "permissions": str(perms)},
            "member": member.payload(permissions=perms),
            "token": "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48),
            "version": 1,
            "app_permissions": str(self.permissions_in(self.bot_user_id, channel["id"])),
            "locale": locale,
            "guild_locale": "en-US",
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        }

    def _option_attachment(
        self, channel: Mapping[str, Any], value: Any, resolved: dict[str, dict[str, Any]]
    ) -> str:
        if not isinstance(value, Mapping):
            raise ValueError("attachment options take {'filename': ..., 'data'|'size': ...}")
        data = value.get("data")
        blob = data if data is not None else bytes(int(value.get("size", 0)))
        attachment = self.make_attachment(int(channel["id"]), value["filename"], blob,
                                          content_type=value.get("content_type"))
        attachment["ephemeral"] = True
        resolved.setdefault("attachments", {})[attachment["id"]] = attachment
        return attachment["id"]

    def _resolve_option(
        self, guild: GuildRecord, schema: Mapping[str, Any], value: Any, invoker: MemberRecord,
        here: Mapping[str, Any], resolved: dict[str, dict[str, Any]],
    ) -> None:
        """Resolved data of one option; members and channels carry permissions in a channel:
        a resolved member's in the invoking channel, a channel's the invoker's in it."""
        kind = schema["type"]
        if kind in (USER, MENTIONABLE) and int(value) in self._users:
            user_id = int(value)
            resolved.setdefault("users", {})[value] = self._users[user_id].payload()
            member = guild.members.get(user_id)
            if member is not None:
                resolved.setdefault("members", {})[value] = member.payload(
                    with_user=False, permissions=self.permissions_in(user_id, here["id"]))
        elif kind in (ROLE, MENTIONABLE) and int(value) in guild.roles:
            resolved.setdefault("roles", {})[value] = copy.deepcopy(guild.roles[int(value)])
        elif kind == CHANNEL:
            channel = self._channel(value)
            allowed = schema.get("channel_types")
            if allowed and channel["type"] not in allowed:
                raise ValueError(f"channel {channel['name']!r} (type {channel['type']}) is not "
                                 f"allowed for option {schema['name']!r}: {allowed}")
            resolved.setdefault("channels", {})[value] = {
                **copy.deepcopy(channel),
                "permissions": str(self.permissions_in(invoker.user.id, channel["id"]))}
        elif kind in (USER, ROLE, MENTIONABLE):
            raise ValueError(f"{value} is not a known {('user', 'role')[kind == ROLE]}")

    async def invoke(
        self, member_id: int | str, channel_id: int | str, name: str,
        options: Mapping[str, Any] | None = None, *, locale: str = "en-US",
        enforce_default_permissions: bool = False,
    ) -> InteractionRecord:
        """A member runs ``/name`` (``"cmd"``, ``"cmd sub"``, ``"cmd group sub"``).

        Options are typed by the registered schema; user/channel/role options get
        ``resolved`` data. ``default_member_permissions`` is not enforced unless asked
        (server admins can override it, so the bot must check permissions itself).
        """
        payload, guild = self._interaction_payload(
            2, member_id, channel_id, name, options or {}, focused=None, locale=locale,
            enforce_default_permissions=enforce_default_permissions)
        record = self._record_interaction(payload, name, None)
        await self._emit_all([Event("INTERACTION_CREATE", payload, guild.id)])
        return record

    async def autocomplete(
        self, member_id: int | str, channel_id: int | str, name: str,
        options: Mapping[str, Any], focused: str, *, timeout: float = 10, locale: str = "en-US",
    ) -> list[dict[str, Any]]:
        """A member types into an autocomplete option; returns the choices the bot offered."""
        payload, guild = self._interaction_payload(
            4, member_id, channel_id, name, options, focused=focused, locale=locale,
            enforce_default_permissions=False)
        record = self._record_interaction(payload, name, None)
        await self._emit_all([Event("INTERACTION_CREATE", payload, guild.id)])
        await record.wait(timeout)
        if record.choices is None:
            raise AssertionError(f"autocomplete answered with callback {record.response_type}")
        return copy_payload(record.choices)

    async def invoke_message_command(
        self, member_id: int | str, message_id: int | str, name: str, *, locale: str = "en-US",
    ) -> InteractionRecord:
        """A member picks ``name`` in a message's Apps menu (a message context-menu command).

        The interaction comes from the message's channel, with the message under
        ``resolved.messages`` and its id as ``target_id``, as Discord sends it.
        """
        msg = self._message(message_id)
        channel = self._channel(msg["channel_id"])
        guild = self._guild_of(channel)
        member = self._acting_member(member_id, channel)
        commands = self._commands.get(guild.id, []) + self._commands[None]
        command = next((c for c in commands if c.get("type") == 3 and c["name"] == name), None)
        if command is None:
            raise LookupError(f"no message command named {name!r} is registered")
        data: dict[str, Any] = {
            "id": command["id"], "name": command["name"], "type": 3, "target_id": msg["id"],
            "resolved": {"messages": {msg["id"]: self.render_message(msg)}},
        }
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        payload = self._interaction_envelope(2, data, member, channel, locale)
        record = self._record_interaction(payload, name, None)
        await self._emit_all([Event("INTERACTION_CREATE", payload, guild.id)])
        return record

    def _record_interaction(
        self, payload: dict[str, Any], name: str, source: dict[str, Any] | None
    ) -> InteractionRecord:
        record = InteractionRecord(
            id=int(payload["id"]), token=payload["token"], type=payload["type"], name=name,
            channel_id=int(payload["channel_id"]), guild_id=int(payload["guild_id"]),
            user_id=int(payload["member"]["user"]["id"]), payload=copy.deepcopy(payload),
        )
        record.source = source
        self._interactions[record.id] = record
        return record

    # ---- message components and modals ---------------------------------------------------------

    async def settle(self, delay: float = 0.02) -> None:
        """Let the bot take in every REST answer sent so far, as a human's pause would."""
        while self.rest.in_flight:
            await self._changed.wait()
        await asyncio.sleep(delay)

    async def click(
        self, member_id: int | str, message_id: int | str, custom_id: str, *,
        values: Sequence[str] | None = None, locale: str = "en-US",
    ) -> InteractionRecord:
        """A member presses a button or picks ``values`` in a select menu of a message."""
        await self.settle()
        msg = self._messages.get(as_id(message_id)) or self._ephemeral.get(as_id(message_id))
        if msg is None:
            raise LookupError(f"no message {message_id}")
        component = find_component(msg.get("components") or [], custom_id)
        if component is None:
            raise LookupError(f"message {message_id} has no component {custom_id!r}")
        if component.get("disabled"):
            raise PermissionError(f"component {custom_id!r} is disabled")
        channel = self._channel(msg["channel_id"])
        member = self._acting_member(member_id, channel)
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
        if component["type"] == BUTTON:
            if values:
                raise ValueError("buttons take no values")
        else:
            data["values"] = check_select(component, list(values or []))
        payload = self._interaction_envelope(3, data, member, channel, locale)
        payload["message"] = self.event_message(msg)
        if "guild_id" not in payload["message"]:
            payload["message"]["guild_id"] = channel["guild_id"]
        record = self._record_interaction(payload, custom_id, msg)
        await self._emit_all([Event("INTERACTION_CREATE", payload, int(channel["guild_id"]))])
        return record

    async def submit_modal(
        self, member_id: int | str, shown: InteractionRecord, values: Mapping[str, str], *,
        locale: str = "en-US",
    ) -> InteractionRecord:
        """A member fills in and submits the modal the bot answered ``shown`` with."""
        await self.settle()
        if shown.response_type != 9 or shown.response is None:
            raise ValueError(f"interaction {shown.name!r} was not answered with a modal")
        modal = shown.response
        components = modal_submission(modal.get("components") or [], values)
        channel = self._channel(shown.channel_id)
        member = self._acting_member(member_id, channel)
        data = {"custom_id": modal["custom_id"], "components": components}
        payload = self._interaction_envelope(5, data, member, channel, locale)
        if shown.source is not None:
            payload["message"] = self.event_message(shown.source)
        record = self._record_interaction(payload, modal["custom_id"], shown.source)
        await self._emit_all([Event("INTERACTION_CREATE", payload, int(channel["guild_id"]))])
        return record

    def interaction_by_token(self, token: str) -> InteractionRecord | None:
        """The interaction a webhook token belongs to."""
        return next((r for r in self._interactions.values() if r.token == token), None)


def _png_size(data: bytes) -> tuple[int, int] | None:
    """A PNG's width and height from its IHDR chunk (None: not a PNG)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR" or len(data) < 24:
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def as_id(value: Any) -> int:
    """An id from an int, a numeric string, a payload dict or an object with ``.id``."""
    if isinstance(value, Mapping):
        value = value["id"]
    return int(getattr(value, "id", value))


def _reference(target: Mapping[str, Any], channel: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": 0, "message_id": target["id"], "channel_id": target["channel_id"],
            "guild_id": channel["guild_id"]}


def _normalise_embed(embed: Mapping[str, Any]) -> dict[str, Any]:
    """An embed as Discord echoes it back (``type`` filled in)."""
    data = copy.deepcopy(dict(embed))
    data.setdefault("type", "rich")
    data["content_scan_version"] = 0
    return data


def _link_embed(url: str) -> dict[str, Any]:
    host = urlparse(url).netloc or url
    return {"type": "article", "url": url, "title": f"{host} - preview",
            "description": f"Preview of {url}", "provider": {"name": host},
            "content_scan_version": 0}

"""DiscordEmulator: the state of a small Discord, served over REST and gateway on 127.0.0.1.

Tests set the scene (guilds, channels, members), point discord.py at ``api_base`` and
``gateway_url``, then let members act (``say``, ``react``, ``invoke``...) and read back what
the bot did (``messages_in``, ``requests``, interaction records). Anything the bot does that
real Discord would refuse, or that breaks the protocol, lands in ``problems``.

This class is the front door only: the state is one ``DiscordModel`` (``model``), and each
Discord resource is its own object sharing it (``guilds``, ``messages``, ``reactions``,
``threads``, ``application``, ``invocations``, ``polls``, ``gateway``); the REST router
(``rest``) sends each request to the resource that answers it. The methods members use are
the resources' own, reached through this class (``emu.say`` is ``emu.messages.say``).
"""

from __future__ import annotations

import asyncio
import copy
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Self

from aiohttp import web

from .application import Application
from .constants import Permissions
from .gateway import Gateway
from .guilds import Guilds
from .interactions import InteractionRecord
from .invocations import Invocations
from .messages import Messages
from .model import DiscordModel, as_id
from .polls import Polls
from .reactions import Reactions
from .rest import RestApi
from .threads import Threads

log = logging.getLogger(__name__)

__all__ = ["DiscordEmulator", "as_id"]


class _Forward:
    """A DiscordEmulator method that one of its resources implements.

    ``emu.say`` is the bound ``emu.messages.say``: its signature and docstring are the
    resource's own (``help(emu.say)`` shows them).
    """

    def __init__(self, resource: str) -> None:
        self.resource = resource
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        return getattr(getattr(obj, self.resource), self.name)


class DiscordEmulator:
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
        #: Everything the emulated Discord holds, shared by the resources below.
        self.model = DiscordModel(token, bot_name=bot_name, bot_permissions=bot_permissions,
                                  host=host, interaction_deadline=interaction_deadline)
        self.gateway = Gateway(self.model)
        self.model.gateway = self.gateway
        self.guilds = Guilds(self.model)
        self.messages = Messages(self.model)
        self.reactions = Reactions(self.model)
        self.channel_threads = Threads(self.model)
        self.application = Application(self.model)
        self.invocations = Invocations(self.model)
        self.polls = Polls(self.model)
        self.rest = RestApi(self.model, [
            self.application, self.gateway, self.guilds, self.messages, self.reactions,
            self.channel_threads, self.invocations, self.polls,
        ])
        self._wanted_port = port  # 0: any free port
        self._runner: web.AppRunner | None = None

    # ---- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on ``port`` of ``host`` (a free one unless a port was given)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/cdn/attachments/{channel_id}/{attachment_id}/{filename}",
                           self.messages.serve_attachment)
        app.router.add_route("*", "/api/v10/{tail:.*}", self.rest.handle)
        app.router.add_route("*", "/{tail:.*}", self.rest.unknown)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.model.host, self._wanted_port)
        await site.start()
        self.model.port = self._runner.addresses[0][1]
        log.info("Discord emulator listening on %s", self.base_url)

    async def close(self) -> None:
        """Close the bot's connections and stop listening."""
        await self.model.finish_background()
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
        return self.model.base_url

    @property
    def api_base(self) -> str:
        """What ``discord.http.Route.BASE`` must be set to."""
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        """What ``DiscordWebSocket.DEFAULT_GATEWAY`` must be set to."""
        return self.model.gateway_url

    # ---- who is who, and what happened ---------------------------------------------------------

    @property
    def token(self) -> str:
        """The bot token REST and IDENTIFY must carry."""
        return self.model.token

    @property
    def application_id(self) -> int:
        """The bot's application id."""
        return self.model.application_id

    @property
    def bot_user_id(self) -> int:
        """The bot's user id."""
        return self.model.bot_user_id

    @property
    def interaction_deadline(self) -> float | None:
        """Seconds within which the first interaction callback must arrive (None: no limit)."""
        return self.model.interaction_deadline

    @interaction_deadline.setter
    def interaction_deadline(self, seconds: float | None) -> None:
        self.model.interaction_deadline = seconds

    @property
    def problems(self) -> list[str]:
        """Everything real Discord would have refused or that broke the protocol (the list
        itself: tests may remove what they caused on purpose)."""
        return self.model.problems

    @property
    def requests(self) -> list[tuple[str, str, Any]]:
        """Every REST request: ``(method, path, body)``, oldest first."""
        return self.model.requests

    @property
    def request_times(self) -> list[float]:
        """``time.monotonic()`` of each of ``requests``, in the same order."""
        return self.model.request_times

    @property
    def identify_count(self) -> int:
        """How many times the bot identified."""
        return self.model.identify_count

    @property
    def resume_count(self) -> int:
        """How many times the bot resumed a session."""
        return self.model.resume_count

    problem = _Forward("model")

    # ---- waiting -------------------------------------------------------------------------------

    async def wait_until(
        self, predicate: Callable[[], bool], timeout: float = 10
    ) -> None:
        """Wait until ``predicate()`` holds; it is re-checked after every request and event."""
        try:
            async with asyncio.timeout(timeout):
                while not predicate():
                    await self.model.next_change()
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

    settle = _Forward("model")

    # ---- faults --------------------------------------------------------------------------------

    fail_next = _Forward("rest")
    stall_next = _Forward("rest")

    # ---- scene setup ---------------------------------------------------------------------------

    add_guild = _Forward("guilds")
    add_text_channel = _Forward("guilds")
    add_forum_channel = _Forward("guilds")
    set_overwrites = _Forward("guilds")
    add_member = _Forward("guilds")
    add_role = _Forward("guilds")
    add_thread = _Forward("channel_threads")
    permissions_in = _Forward("model")

    def guild_ids(self) -> list[int]:
        """Every guild, in creation order."""
        return list(self.model.guilds)

    # ---- read back -----------------------------------------------------------------------------

    def messages_in(self, channel_id: int | str) -> list[dict[str, Any]]:
        """Current (not deleted) messages of a channel or thread, oldest first."""
        model = self.model
        ids = model.channel_messages.get(as_id(channel_id), [])
        return [model.render_message(model.messages[i]) for i in ids]

    def get_message(self, message_id: int | str) -> dict[str, Any] | None:
        """A current message as REST would return it (ephemeral ones included), else None."""
        model = self.model
        msg = model.messages.get(as_id(message_id)) or model.ephemeral.get(as_id(message_id))
        return model.render_message(msg) if msg is not None else None

    @property
    def threads(self) -> dict[int, dict[str, Any]]:
        """Every thread (archived ones too) by id."""
        return {cid: copy.deepcopy(c) for cid, c in self.model.channels.items()
                if self.model.is_thread(c)}

    def channel(self, channel_id: int | str) -> dict[str, Any]:
        """A channel or thread payload."""
        return copy.deepcopy(self.model.channel(channel_id))

    def reactions_of(self, message_id: int | str) -> dict[str, list[int]]:
        """Who reacted with what: emoji as text (``👍``, ``<:name:id>``) -> user ids."""
        result = {}
        for emoji, users in self.model.reactions.get(int(message_id), {}).values():
            text = (f"<{'a' if emoji.get('animated') else ''}:{emoji['name']}:{emoji['id']}>"
                    if emoji.get("id") else emoji["name"])
            result[text] = list(users)
        return result

    def files_of(self, message_id: int | str) -> list[tuple[str, bytes]]:
        """``(filename, bytes)`` of every file uploaded with a message."""
        return list(self.model.files.get(as_id(message_id), []))

    @property
    def interactions(self) -> list[InteractionRecord]:
        """Every interaction sent to the bot, oldest first."""
        return list(self.model.interactions.values())

    def commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        """The registered slash commands (global when ``guild_id`` is None)."""
        return copy.deepcopy(self.model.commands.get(guild_id, []))

    interaction_by_token = _Forward("model")
    poll_votes = _Forward("polls")

    # ---- payloads as Discord renders them ------------------------------------------------------

    guild_payload = _Forward("model")
    guild_create_payload = _Forward("model")
    members_chunk_payload = _Forward("model")
    ready_payload = _Forward("gateway")
    connected_shards = _Forward("gateway")
    render_message = _Forward("model")
    event_message = _Forward("model")
    make_attachment = _Forward("model")

    # ---- members act: messages, reactions, threads, polls --------------------------------------

    say = _Forward("messages")
    edit = _Forward("messages")
    unfurl = _Forward("messages")
    delete = _Forward("messages")
    bulk_delete = _Forward("messages")
    build_message = _Forward("messages")
    record_message = _Forward("messages")
    message_payload = _Forward("messages")

    react = _Forward("reactions")
    unreact = _Forward("reactions")
    clear_reactions = _Forward("reactions")
    clear_reaction_emoji = _Forward("reactions")

    start_thread = _Forward("channel_threads")
    forum_post = _Forward("channel_threads")
    archive_thread = _Forward("channel_threads")
    delete_thread = _Forward("channel_threads")
    create_thread_from_message = _Forward("channel_threads")
    create_thread_in_channel = _Forward("channel_threads")
    create_forum_post = _Forward("channel_threads")

    rename_guild = _Forward("guilds")
    rename_channel = _Forward("guilds")

    vote = _Forward("polls")
    unvote = _Forward("polls")
    change_vote = _Forward("polls")
    expire_poll = _Forward("polls")

    # ---- members interact ----------------------------------------------------------------------

    invoke = _Forward("invocations")
    autocomplete = _Forward("invocations")
    invoke_message_command = _Forward("invocations")
    click = _Forward("invocations")
    submit_modal = _Forward("invocations")

    # ---- raw dispatch --------------------------------------------------------------------------

    async def dispatch(self, event: str, payload: Mapping[str, Any]) -> None:
        """Send any dispatch event as given (no intent filter), with the next sequence number."""
        await self.model.dispatch(event, payload)

    async def dispatch_many(self, items: Iterable[tuple[str, Mapping[str, Any]]]) -> int:
        """Send many raw events with minimal overhead; returns once all frames are written."""
        return await self.model.dispatch_many(items)

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
        await self.model.emit_all([])
        ok = await self.gateway.ping(timeout)
        if not ok:
            self.problem(f"the bot did not answer a heartbeat request within {timeout}s")
        return ok

    async def disconnect_bot(
        self, code: int | None = 4000, resumable: bool = True, *, wait: bool = True,
        timeout: float = 10, shard: tuple[int, int] | None = None,
    ) -> None:
        """Drop the gateway: close with ``code``, or op 7 when None; op 9 when not resumable.

        With ``wait`` (the default) return once the bot has resumed or identified again;
        events sent while it is away are replayed on RESUME. ``shard`` (``(id, count)``):
        drop only that shard's session.
        """
        await self.gateway.disconnect(code, resumable, timeout if wait else None, shard)

"""Permission checks shared by the cogs, each made on the target of the command.

``default_permissions`` only hides a command from members by default, and server
admins can change it; the checks here are what is enforced on every invocation.

Discord's ``interaction.permissions`` are the member's in the channel where the
command was typed, which is not where most commands act: ``/export thread:X``,
``/discussion lock thread:X``, ``/comment hide message:Y`` and ``/prompt post
channel:Z`` act on another thread or channel, where a member may hold fewer rights
(a moderator of one channel only) or none (a staff channel). So every command names
its target with a :class:`Resolver`, passed to its decorator (there is no decorator
without one), and the check resolves the target before the command runs and judges
the member there (:mod:`cogs.support.permissions` says where the figures come from):

- a prompt thread, named or the one the command runs in, and a comment's thread:
  View Channel and Read Message History plus the command's permission in the thread.
  A thread the member cannot see is answered as one that does not exist, so the
  answer never tells that a hidden thread is there;
- a channel a prompt is posted to: View Channel plus the permission there;
- the server (the queue, the schedule, settings, the feeds, server-wide logs and
  exports): the permission from the member's roles, server-wide. One channel's
  overwrite never grants it.

A member with the server's moderator role (``/filmclub settings set moderator_role``)
counts as holding the permission, on any target they can see, except for the
settings themselves. The resolved target goes to the command in
``interaction.extras`` (:func:`target_of`), so the command acts on exactly what was
judged. A refused command answers privately in one line and changes nothing: no
audit entry either (refusals go to the bot's log at INFO).

Each decorator also marks the command with who it is for (``audience_of``) and what
kind of target it judges (``target_kind_of``); the command-permission test walks both.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar

import discord
from discord import app_commands

from bot.errors import FilmclubError, InvalidValue, NotFound
from bot.limits import CoolingDown, Rate
from bot.models import Comment, Prompt
from cogs.support.options import parse_message_ref, parse_thread_ref
from cogs.support.permissions import (
    SEE_THREAD,
    holds_role,
    member_of,
    permissions_in,
    thread_permissions,
)

if TYPE_CHECKING:
    from bot.records.server_settings import GuildSettings
    from cogs.support.client import FilmClub

log = logging.getLogger(__name__)

T = TypeVar("T")
Audience = Literal["moderators", "admins", "exporters", "members"]
TargetKind = Literal["thread", "comment", "channel", "server", "own"]
AUDIENCE_ATTR = "__filmclub_audience__"
TARGET_ATTR = "__filmclub_target__"
TARGET_KEY = "filmclub_target"

NOT_A_THREAD = "That is not a filmclub prompt thread in this server."
NOT_A_COMMENT = ("That message is not a comment: only members' replies in filmclub prompt "
                 "threads are.")
IN_A_THREAD = "Run this in a prompt thread, or choose one with `thread:`."


class NotModerator(app_commands.MissingPermissions):
    """Missing a permission on the target, and not holding the moderator role either."""

    def __init__(self, missing: list[str], role_name: str | None, where: str = "") -> None:
        super().__init__(missing)
        self.role_name = role_name
        self.where = where  # " in <#id>" or " server-wide"


class Refused(app_commands.AppCommandError):
    """A one-line problem met while resolving or judging a target (``original``).

    Checks run before discord.py wraps errors, and the tree's error handler only sees
    ``AppCommandError``: a plain ``FilmclubError`` raised in a check would be lost.
    """

    def __init__(self, original: FilmclubError) -> None:
        super().__init__(str(original))
        self.original = original


@dataclass(slots=True)
class Target:
    """What a command acts on, and the invoking member's permissions there."""

    kind: TargetKind
    guild: discord.Guild | None  # None only for the member's own data, asked in a DM
    permissions: discord.Permissions  # on the target; server-wide for the server
    prompt: Prompt | None = None  # a thread target (a comment's thread too)
    channel: discord.abc.GuildChannel | None = None  # a channel target
    comment: Comment | None = None
    #: Channels named besides the server (a schedule's, a setting's), judged as well.
    channels: tuple[Target, ...] = ()
    #: Whether the member passed the moderator check on it (set by the check).
    moderator: bool = False

    @property
    def thread_id(self) -> int:
        if self.prompt is None:
            raise ValueError(f"a {self.kind} target has no thread")
        return self.prompt.thread_id

    @property
    def where(self) -> str:
        """Where the permission is judged, for the refusal: ' in <#id>' or ' server-wide'."""
        if self.prompt is not None:
            return f" in <#{self.prompt.thread_id}>"
        if self.channel is not None:
            return f" in <#{self.channel.id}>"
        return " server-wide"

    @property
    def sees(self) -> tuple[str, ...]:
        """What the member needs to see the target at all."""
        if self.kind in ("thread", "comment"):
            return SEE_THREAD
        if self.kind == "channel":
            return ("view_channel",)
        return ()


def target_of(interaction: discord.Interaction[Any]) -> Target:
    """The target the command's check resolved and judged."""
    found = interaction.extras.get(TARGET_KEY)
    if not isinstance(found, Target):
        raise RuntimeError("this command has no checked target: its decorator names none")
    return found


# -- resolvers: what a command acts on -----------------------------------------------------


class Resolver(ABC):
    """Finds a command's target from its options (``interaction.namespace``)."""

    kind: ClassVar[TargetKind]

    @abstractmethod
    async def resolve(self, interaction: discord.Interaction[FilmClub]) -> Target:
        """The target; a FilmclubError when the options name none."""


async def _prompt(interaction: discord.Interaction[FilmClub], thread_id: int) -> Prompt:
    prompt = await interaction.client.store.get_prompt(thread_id)
    if prompt is None or prompt.guild_id != interaction.guild_id:
        raise NotFound(NOT_A_THREAD)
    return prompt


def _server(interaction: discord.Interaction[FilmClub]) -> Target:
    member = member_of(interaction)
    return Target("server", member.guild, member.guild_permissions)


def _option_id(value: object) -> int | None:
    """A thread or channel option's id: a picked channel, or text (a link, mention, id)."""
    if value is None:
        return None
    if isinstance(value, str):
        return parse_thread_ref(value)
    found = getattr(value, "id", None)
    if not isinstance(found, int):
        raise InvalidValue("That is not a thread.")
    return found


class ThreadOption(Resolver):
    """A prompt thread: the option ``name``, else the prompt thread the command runs in.

    With ``server_outside``, outside prompt threads and without the option, the server
    is the target (the whole server's log, resync, numbers); ``server_when`` makes the
    server the target when the other options ask for it (``/export scope:server``).
    """

    kind = "thread"

    def __init__(self, name: str = "thread", *, server_outside: bool = False,
                 server_when: Callable[[app_commands.Namespace], bool] | None = None,
                 outside: str = IN_A_THREAD) -> None:
        self.name = name
        self.server_outside = server_outside
        self.server_when = server_when
        self.outside = outside

    async def resolve(self, interaction: discord.Interaction[FilmClub]) -> Target:
        value = getattr(interaction.namespace, self.name)
        if self.server_when is not None and self.server_when(interaction.namespace):
            if value is not None:
                raise InvalidValue("Choose a thread or scope:server, not both.")
            return _server(interaction)
        thread_id = _option_id(value)
        if thread_id is None:
            here = interaction.channel_id
            if here is not None and here in interaction.client.prompt_threads:
                thread_id = here
            elif self.server_outside:
                return _server(interaction)
            else:
                raise FilmclubError(self.outside)
        prompt = await _prompt(interaction, thread_id)
        return Target("thread", member_of(interaction).guild,
                      thread_permissions(interaction, prompt), prompt=prompt)

    @property
    def server_possible(self) -> bool:
        return self.server_outside or self.server_when is not None


class CommentOption(Resolver):
    """A comment, named by its link or id: judged on the thread it is in."""

    kind = "comment"

    def __init__(self, name: str = "message") -> None:
        self.name = name

    async def resolve(self, interaction: discord.Interaction[FilmClub]) -> Target:
        value = getattr(interaction.namespace, self.name)
        comment_id = parse_message_ref(str(value or ""), interaction.guild_id)
        store = interaction.client.store
        await store.flush()  # a comment written just now is stored first
        comment = await store.get_comment(comment_id)
        prompt = None if comment is None else await store.get_prompt(comment.thread_id)
        if comment is None or prompt is None or prompt.guild_id != interaction.guild_id:
            raise NotFound(NOT_A_COMMENT)
        return Target("comment", member_of(interaction).guild,
                      thread_permissions(interaction, prompt), prompt=prompt, comment=comment)


class MessageThread(Resolver):
    """A message's Apps menu: the prompt thread the message is in, or the one started from it."""

    kind = "thread"

    async def resolve(self, interaction: discord.Interaction[FilmClub]) -> Target:
        data: Mapping[str, Any] = interaction.data or {}  # type: ignore[assignment]
        message_id = int(data.get("target_id") or 0)
        message = ((data.get("resolved") or {}).get("messages") or {}).get(str(message_id)) or {}
        store = interaction.client.store
        channel_id = int(message.get("channel_id") or interaction.channel_id or 0)
        prompt = await store.get_prompt(channel_id) or await store.find_prompt(message_id)
        if prompt is None or prompt.guild_id != interaction.guild_id:
            raise NotFound("That message is not in a prompt thread, nor does one start from it.")
        return Target("thread", member_of(interaction).guild,
                      thread_permissions(interaction, prompt), prompt=prompt)


Postable = discord.TextChannel | discord.ForumChannel


def _channel_target(interaction: discord.Interaction[FilmClub],
                    channel: discord.abc.GuildChannel) -> Target:
    return Target("channel", channel.guild, permissions_in(interaction, channel.id),
                  channel=channel)


class ChannelOption(Resolver):
    """The channel a prompt goes to: the option ``name``; else (``default``) the server's
    prompt channel (``/filmclub settings``), else the channel the command runs in."""

    kind = "channel"

    def __init__(self, name: str = "channel", *, default: bool = True) -> None:
        self.name = name
        self.default = default

    async def channel(self, interaction: discord.Interaction[FilmClub]) -> Postable | None:
        member = member_of(interaction)
        guild = member.guild
        value = getattr(interaction.namespace, self.name)
        if value is not None:
            found = guild.get_channel(getattr(value, "id", 0) or 0)
            if not isinstance(found, Postable):
                raise FilmclubError("Prompts go in a text or forum channel of this server.")
            return found
        if not self.default:
            return None
        settings = await interaction.client.store.get_settings(guild.id)
        default = guild.get_channel(settings.prompt_channel_id or 0)
        if isinstance(default, Postable):
            return default
        here = interaction.channel
        if not isinstance(here, Postable):
            raise FilmclubError("Prompts go in a text or forum channel: run this in one or "
                                "name one.")
        return here

    async def resolve(self, interaction: discord.Interaction[FilmClub]) -> Target:
        found = await self.channel(interaction)
        if found is None:  # pragma: no cover - only with default=False, inside ServerAnd
            raise FilmclubError("Name a channel.")
        return _channel_target(interaction, found)


class Server(Resolver):
    """The whole server: judged on the member's roles, server-wide."""

    kind = "server"

    async def resolve(self, interaction: discord.Interaction[FilmClub]) -> Target:
        return _server(interaction)


class ServerAnd(Resolver):
    """The server, and channels its options name (a schedule's, a setting's), judged too.

    ``channels`` are ChannelOption resolvers; ``channel_needs`` is what the member
    needs in them: None for the command's own permission, or a fixed list (settings
    only ask that the admin can see the channel they name).
    """

    kind = "server"

    def __init__(self, *channels: ChannelOption,
                 channel_needs: Sequence[str] | None = None) -> None:
        self.channels = channels
        self.channel_needs = channel_needs

    async def resolve(self, interaction: discord.Interaction[FilmClub]) -> Target:
        target = _server(interaction)
        named = []
        for option in self.channels:
            channel = await option.channel(interaction)
            if channel is not None:
                named.append(_channel_target(interaction, channel))
        target.channels = tuple(named)
        return target


class ChannelSetting(ChannelOption):
    """A plain text channel named in a setting (any text channel; no default)."""

    async def channel(self, interaction: discord.Interaction[FilmClub]) -> Postable | None:
        value = getattr(interaction.namespace, self.name)
        if value is None:
            return None
        found = member_of(interaction).guild.get_channel(getattr(value, "id", 0) or 0)
        return found if isinstance(found, Postable) else None


class Here(Resolver):
    """The channel or thread the command runs in (a poll posted here)."""

    kind = "channel"

    async def resolve(self, interaction: discord.Interaction[FilmClub]) -> Target:
        channel = interaction.channel
        if not isinstance(channel, discord.abc.GuildChannel | discord.Thread):
            raise FilmclubError("Run this in a channel of the server.")
        return _channel_target(interaction, channel)


async def judge_channel(interaction: discord.Interaction[FilmClub], channel_id: int,
                        perms: Mapping[str, bool]) -> None:
    """Judge the member on another channel than the target (a poll ended from elsewhere)."""
    guild = member_of(interaction).guild
    channel = guild.get_channel_or_thread(channel_id)
    if channel is None:
        raise NotFound("That channel is gone.")
    await judge(interaction, _channel_target(interaction, channel), perms)


class OwnData(Resolver):
    """The member's own data (/mydata, /forget): nothing of anyone else's to judge."""

    kind = "own"

    async def resolve(self, interaction: discord.Interaction[FilmClub]) -> Target:
        return Target("own", interaction.guild, interaction.permissions)  # DMs too: no guild


# Resolvers the cogs share.
THREAD = ThreadOption()
THREAD_OR_SERVER = ThreadOption(server_outside=True)
COMMENT = CommentOption()
MESSAGE_THREAD = MessageThread()
PROMPT_CHANNEL = ChannelOption()
SERVER = Server()
HERE = Here()


# -- judging -------------------------------------------------------------------------------


def missing_permissions(granted: discord.Permissions, perms: Mapping[str, bool]) -> list[str]:
    return [name for name, value in perms.items() if getattr(granted, name) != value]


async def settings_of(interaction: discord.Interaction[FilmClub]) -> GuildSettings:
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    return await interaction.client.store.get_settings(interaction.guild_id)


def _cannot_see(target: Target) -> FilmclubError:
    """A thread or comment the member cannot see reads as one that does not exist."""
    return NotFound(NOT_A_COMMENT if target.kind == "comment" else NOT_A_THREAD)


def judge_seeing(target: Target) -> None:
    """Refuse a target the member cannot see (threads: as if it did not exist)."""
    unseen = missing_permissions(target.permissions, dict.fromkeys(target.sees, True))
    if unseen and target.kind in ("thread", "comment"):
        raise Refused(_cannot_see(target))
    if unseen:
        raise NotModerator(unseen, None, target.where)


def _judge_one(target: Target, perms: Mapping[str, bool], role: bool,
               role_name: str | None) -> None:
    unseen = missing_permissions(target.permissions, dict.fromkeys(target.sees, True))
    if unseen and target.kind in ("thread", "comment"):
        raise Refused(_cannot_see(target))
    missing = [] if role else [name for name in missing_permissions(target.permissions, perms)
                               if name not in unseen]
    if unseen or missing:
        raise NotModerator(unseen + missing, role_name if missing else None, target.where)


async def judge(interaction: discord.Interaction[FilmClub], target: Target,
                perms: Mapping[str, bool], *, role_counts: bool = True,
                channel_needs: Sequence[str] | None = None) -> None:
    """Pass with ``perms`` on the target (and its named channels) or the moderator role.

    Raises NotModerator (or Refused, for a thread the member cannot see).
    """
    role = False
    role_name = None
    if role_counts:
        settings = await settings_of(interaction)
        member = member_of(interaction)
        role = holds_role(member, settings.moderator_role_id)
        found = member.guild.get_role(settings.moderator_role_id or 0)
        role_name = found.name if found is not None else None
    _judge_one(target, perms, role, role_name)
    channel_perms = perms if channel_needs is None else dict.fromkeys(channel_needs, True)
    for channel in target.channels:
        _judge_one(channel, channel_perms, role and channel_needs is None, role_name)
    target.moderator = True


async def passes(interaction: discord.Interaction[FilmClub], target: Target,
                 perms: Mapping[str, bool]) -> bool:
    """Whether the member counts as a moderator on the target (no refusal raised)."""
    try:
        await judge(interaction, target, perms)
    except (app_commands.MissingPermissions, Refused):
        return False
    return True


async def may(interaction: discord.Interaction[FilmClub], resolver: Resolver,
              **perms: bool) -> bool:
    """Whether the member would pass a moderator check on ``resolver``'s target, without
    refusing (for autocompletes of moderator commands, which Discord sends unchecked)."""
    try:
        target = await resolver.resolve(interaction)
    except (FilmclubError, app_commands.AppCommandError):
        return False
    return await passes(interaction, target, perms)


async def _resolve(resolver: Resolver, interaction: discord.Interaction[FilmClub]) -> Target:
    try:
        return await resolver.resolve(interaction)
    except FilmclubError as exc:
        raise Refused(exc) from exc


def _refused(interaction: discord.Interaction[Any], error: Exception) -> None:
    command = interaction.command.qualified_name if interaction.command else "?"
    log.info("refused /%s to user %s in server %s: %s", command, interaction.user.id,
             interaction.guild_id, error)


def _mark(func: Any, audience: Audience, resolver: Resolver) -> None:
    target = func.callback if isinstance(func, app_commands.Command) else func
    setattr(target, AUDIENCE_ATTR, audience)
    setattr(target, TARGET_ATTR, resolver)


def audience_of(command: app_commands.Command[Any, ..., Any]
                | app_commands.ContextMenu) -> Audience:
    """Who a command is for: as marked by the decorators below, else by its hint."""
    marked = getattr(command.callback, AUDIENCE_ATTR, None)
    if marked is not None:
        return marked  # type: ignore[no-any-return]
    if isinstance(command, app_commands.ContextMenu):
        return "moderators" if command.default_permissions is not None else "members"
    root = command.root_parent or command
    return "moderators" if root.default_permissions is not None else "members"


def target_resolver_of(command: app_commands.Command[Any, ..., Any]
                       | app_commands.ContextMenu) -> Resolver | None:
    """The resolver a command's check judges, or None when it has none (a defect)."""
    found = getattr(command.callback, TARGET_ATTR, None)
    return found if isinstance(found, Resolver) else None


def _checked(resolver: Resolver, audience: Audience,
             check: Callable[[discord.Interaction[FilmClub], Target], Any]
             ) -> Callable[[Any], Any]:
    """A decorator: resolve the target, run ``check`` on it, hand it to the command."""
    if not isinstance(resolver, Resolver):
        raise TypeError("name the command's target: a Resolver from cogs.support.checks")

    async def predicate(interaction: discord.Interaction[FilmClub]) -> bool:
        try:
            target = await _resolve(resolver, interaction)
            await check(interaction, target)
        except app_commands.AppCommandError as exc:
            _refused(interaction, exc)
            raise
        interaction.extras[TARGET_KEY] = target
        return True

    enforce = app_commands.check(predicate)

    def decorator(func: Any) -> Any:
        _mark(func, audience, resolver)
        return enforce(func)

    return decorator


def moderators_only(resolver: Resolver, /, **perms: bool) -> Callable[[T], T]:
    """Hint ``perms`` to Discord; enforce them (or the moderator role) on the target."""
    hint = app_commands.default_permissions(**perms)
    needs = getattr(resolver, "channel_needs", None)

    async def check(interaction: discord.Interaction[FilmClub], target: Target) -> None:
        await judge(interaction, target, perms, channel_needs=needs)

    enforce = _checked(resolver, "moderators", check)
    return lambda func: hint(enforce(func))


def admins_only(resolver: Resolver, /, **perms: bool) -> Callable[[T], T]:
    """Hint and enforce ``perms`` only, server-wide: the moderator role does not open these."""
    hint = app_commands.default_permissions(**perms)
    needs = getattr(resolver, "channel_needs", None)

    async def check(interaction: discord.Interaction[FilmClub], target: Target) -> None:
        await judge(interaction, target, perms, role_counts=False, channel_needs=needs)

    enforce = _checked(resolver, "admins", check)
    return lambda func: hint(enforce(func))


def exporters_only(resolver: Resolver, /, **perms: bool) -> Callable[[T], T]:
    """Moderators (``perms`` or the role, on the target), or everyone who can see the target
    when the server's export setting says so.

    No ``default_permissions`` hint: the setting changes at run time, and a hidden
    command could not follow it. ``target.moderator`` tells the command whether the
    member also passed the moderator check (for deleted and hidden comments).
    """
    async def check(interaction: discord.Interaction[FilmClub], target: Target) -> None:
        settings = await settings_of(interaction)
        if settings.export_access != "everyone":
            await judge(interaction, target, perms)
            return
        judge_seeing(target)
        target.moderator = await passes(interaction, target, perms)

    return _checked(resolver, "exporters", check)


def members_only(resolver: Resolver, /) -> Callable[[T], T]:
    """Everyone's command: the member must see the target (a thread: view and history)."""
    async def check(interaction: discord.Interaction[FilmClub], target: Target) -> None:
        judge_seeing(target)

    return _checked(resolver, "members", check)


def limited(rate: Rate) -> Callable[[T], T]:
    """At most ``rate`` uses per member and server (by the bot's clock); refused beyond.

    Put it above the command's permission decorator: checks run bottom-up, so only a
    use that passed the permission check counts.
    """
    async def predicate(interaction: discord.Interaction[FilmClub]) -> bool:
        bot = interaction.client
        wait = bot.cooldowns.take(rate, interaction.guild_id or 0, interaction.user.id,
                                  bot.clock())
        if wait is not None:
            command = interaction.command
            # A message menu shares its slash command's bucket, and is named by it.
            name = command.qualified_name if isinstance(command, app_commands.Command) \
                else rate.name
            error = Refused(CoolingDown(name, rate, wait))
            _refused(interaction, error)
            raise error
        return True

    def decorator(func: Any) -> Any:
        target = func.callback if isinstance(func, app_commands.Command) else func
        target.__filmclub_rate__ = rate
        return app_commands.check(predicate)(func)

    return decorator


def members_command(func: T) -> T:
    """Everyone's command about the member's own data: no one else's target to judge."""
    return members_only(OwnData())(func)


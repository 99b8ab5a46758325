"""/filmclub settings show|set|charts: the one family of a server's settings (issue 20):
prompt channel, moderator role, vote emoji, time zone, who may export, log channel, how
prompts are posted (archive, mention role, default question; /prompt settings sets those
three too), spoiler days, who may suggest films and a poll's default length (/club settings
sets those two too), and whether charts name members (``charts`` is its shortcut): one
record, ``GuildSettings``. The Discord side of
``bot.settings``, which checks every value; what only Discord can judge (a channel the bot
cannot post in, a role nobody is given) is refused here, saying why. Every change is
recorded in the audit log."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import InvalidValue
from bot.records.audit import AuditEntry
from bot.records.server_settings import (
    ARCHIVE_CHOICES,
    DEFAULT_ARCHIVE_MINUTES,
    DEFAULT_POLL_HOURS,
    MAX_POLL_HOURS,
    MIN_POLL_HOURS,
    SETTING_NAMES,
    GuildSettings,
)
from bot.settings import apply_changes, changed_settings
from bot.spoilers import MAX_SPOILER_DAYS
from bot.timezones import timezone_choices
from cogs.support import auditlog
from cogs.support.checks import SERVER, ChannelSetting, ServerAnd, admins_only
from cogs.support.ui import COLOUR, reply

if TYPE_CHECKING:
    from cogs.support.client import FilmClub

log = logging.getLogger(__name__)

SettingName = Literal["prompt_channel", "moderator_role", "vote_emoji", "timezone",
                      "export_access", "log_channel", "archive", "mention_role",
                      "default_question", "spoiler_days", "suggestions", "poll_hours",
                      "chart_members"]
LABELS: dict[str, str] = {
    "prompt_channel": "Prompt channel",
    "moderator_role": "Moderator role",
    "vote_emoji": "Vote emoji",
    "timezone": "Time zone",
    "export_access": "Who may export",
    "log_channel": "Log channel",
    "archive": "Threads archive after",
    "mention_role": "Role mentioned in prompts",
    "default_question": "Default question",
    "spoiler_days": "Spoiler threads by default",
    "suggestions": "Who may suggest films",
    "poll_hours": "Polls run by default",
    "chart_members": "Charts show the most active members",
}
assert tuple(LABELS) == SETTING_NAMES  # noqa: S101 - every setting is shown, in order
#: What the bot needs in a channel to post prompts there, and to post the log.
PROMPT_CHANNEL_NEEDS = ("view_channel", "send_messages", "embed_links", "create_public_threads",
                        "send_messages_in_threads", "read_message_history")
LOG_CHANNEL_NEEDS = ("view_channel", "send_messages")
#: Settings are the server's (Manage Server from a role); a channel named in them must
#: be one the admin can see.
SETTINGS_TARGET = ServerAnd(ChannelSetting("prompt_channel"), ChannelSetting("log_channel"),
                            channel_needs=("view_channel",))


def _perm_names(names: list[str]) -> str:
    return ", ".join(n.replace("_", " ").title() for n in names)


def check_postable(channel: discord.TextChannel, needs: tuple[str, ...], purpose: str) -> None:
    """Refuse a channel where the bot lacks what ``purpose`` needs, naming what is missing."""
    granted = channel.permissions_for(channel.guild.me)
    missing = [name for name in needs if not getattr(granted, name)]
    if missing:
        raise InvalidValue(f"I can't {purpose} in {channel.mention}: I lack "
                           f"{_perm_names(missing)} there. Give me those, or pick another channel.")


def describe(settings: GuildSettings, name: str) -> str:
    """A setting's value as /filmclub settings show lists it."""
    if name == "prompt_channel":
        return (f"<#{settings.prompt_channel_id}>" if settings.prompt_channel_id
                else "not set: prompts go where /prompt post is run")
    if name == "moderator_role":
        return (f"<@&{settings.moderator_role_id}> (besides Manage Messages / Manage Threads)"
                if settings.moderator_role_id else "not set: the permissions decide")
    if name == "vote_emoji":
        return (f"+1: {' '.join(settings.upvote_emoji)} · −1: {' '.join(settings.downvote_emoji)}"
                + ("" if settings.custom_votes else " (the defaults)"))
    if name == "timezone":
        return settings.timezone
    if name == "export_access":
        return ("everyone" if settings.export_access == "everyone"
                else "moderators only (the default)")
    if name == "archive":
        named = next((n for n, v in ARCHIVE_CHOICES.items() if v == settings.archive_minutes),
                     f"{settings.archive_minutes} minutes")
        return f"{named} without activity" + (
            " (the default)" if settings.archive_minutes == DEFAULT_ARCHIVE_MINUTES else "")
    if name == "mention_role":
        return (f"<@&{settings.mention_role_id}>" if settings.mention_role_id
                else "none: prompts mention no one")
    if name == "spoiler_days":
        return (f"for films released fewer than {settings.spoiler_days} days ago"
                if settings.spoiler_days else "off: only when a prompt or its article says so")
    if name == "suggestions":
        return ("every member (the default)" if settings.suggest_access == "everyone"
                else "moderators only")
    if name == "poll_hours":
        return f"{settings.poll_hours} hours" + (
            " (the default)" if settings.poll_hours == DEFAULT_POLL_HOURS else "")
    if name == "chart_members":
        return ("anonymised: Member 1, Member 2…" if settings.anonymise_members
                else "by name (the default)")
    if name == "default_question":
        return (settings.default_question[:1000] if settings.default_question
                else "none: an article that asks nothing gets no question")
    return (f"<#{settings.log_channel_id}>" if settings.log_channel_id
            else "not set: actions are kept, not posted")


def settings_embed(settings: GuildSettings, title: str) -> discord.Embed:
    embed = discord.Embed(title=title, colour=COLOUR)
    for name in LABELS:
        embed.add_field(name=LABELS[name], value=describe(settings, name), inline=False)
    embed.set_footer(text="Change with /filmclub settings set; reset one with reset:")
    return embed


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Settings(commands.GroupCog, group_name="filmclub",
               group_description="filmclub in this server"):
    settings = app_commands.Group(name="settings", description="This server's filmclub settings")

    def __init__(self, bot: FilmClub) -> None:
        self.bot = bot
        super().__init__()

    @settings.command(name="show", description="Show this server's filmclub settings")
    @admins_only(SERVER, manage_guild=True)
    async def show(self, interaction: discord.Interaction[FilmClub]) -> None:
        assert_guild(interaction)
        current = await self.bot.store.get_settings(interaction.guild_id or 0)
        await reply(interaction, embed=settings_embed(current, "filmclub settings"))

    @settings.command(name="set", description="Change this server's filmclub settings")
    @app_commands.describe(
        prompt_channel="Where prompts are posted by default",
        moderator_role="A role whose members count as moderators (besides the permissions)",
        upvote_emoji="Reactions that count +1, separated by spaces (e.g. 👍 ⬆️ 🔥)",
        downvote_emoji="Reactions that count −1, separated by spaces (e.g. 👎 ⬇️)",
        timezone="The server's time zone, e.g. Europe/Paris (schedule, stats and exports)",
        export_access="Who may use /export",
        log_channel="Where moderator actions are posted",
        archive="Archive a prompt's thread after this long without activity",
        mention_role="A role to mention in every prompt",
        default_question="The question for articles that ask none",
        spoiler_days="Films released fewer than this many days ago get spoiler threads (0: off)",
        suggestions="Who may add films to watchlists",
        poll_hours="How long a film poll runs unless told (1 to 768 hours)",
        chart_members="shown: /stats charts name the most active members; anonymised: Member 1…",
        reset="Put one setting back to its default",
    )
    @app_commands.choices(archive=[app_commands.Choice(name=n, value=v)
                                   for n, v in ARCHIVE_CHOICES.items()])
    @admins_only(SETTINGS_TARGET, manage_guild=True)
    async def set(self, interaction: discord.Interaction[FilmClub],
                  prompt_channel: discord.TextChannel | None = None,
                  moderator_role: discord.Role | None = None,
                  upvote_emoji: app_commands.Range[str, 1, 200] | None = None,
                  downvote_emoji: app_commands.Range[str, 1, 200] | None = None,
                  timezone: app_commands.Range[str, 1, 64] | None = None,
                  export_access: Literal["moderators", "everyone"] | None = None,
                  log_channel: discord.TextChannel | None = None,
                  archive: app_commands.Choice[int] | None = None,
                  mention_role: discord.Role | None = None,
                  default_question: app_commands.Range[str, 1, 1000] | None = None,
                  spoiler_days: app_commands.Range[int, 0, MAX_SPOILER_DAYS] | None = None,
                  suggestions: Literal["everyone", "moderators"] | None = None,
                  poll_hours: app_commands.Range[int, MIN_POLL_HOURS, MAX_POLL_HOURS]
                  | None = None,
                  chart_members: Literal["shown", "anonymised"] | None = None,
                  reset: SettingName | None = None) -> None:
        assert_guild(interaction)
        current = await self.bot.store.get_settings(interaction.guild_id or 0)
        shown: dict[str, str] = {}  # the new values in plain text, for the audit log
        if prompt_channel is not None:
            check_postable(prompt_channel, PROMPT_CHANNEL_NEEDS, "post prompts")
            shown["prompt_channel"] = f"#{prompt_channel.name}"
        if moderator_role is not None:
            if moderator_role.is_default():
                raise InvalidValue("@everyone can't be the moderator role: that would make "
                                   "every member a moderator.")
            if moderator_role.managed:
                raise InvalidValue(f"{moderator_role.mention} belongs to an integration; "
                                   "pick a role people are given.")
            shown["moderator_role"] = f"@{moderator_role.name}"
        if mention_role is not None:
            shown["mention_role"] = f"@{mention_role.name}"
        if log_channel is not None:
            check_postable(log_channel, LOG_CHANNEL_NEEDS, "post the moderator log")
            shown["log_channel"] = f"#{log_channel.name}"
        new = apply_changes(current, {
            "prompt_channel_id": prompt_channel and prompt_channel.id,
            "moderator_role_id": moderator_role and moderator_role.id,
            "upvote_emoji": upvote_emoji, "downvote_emoji": downvote_emoji,
            "timezone": timezone, "export_access": export_access,
            "log_channel_id": log_channel and log_channel.id,
            "archive_minutes": archive and archive.value,
            "mention_role_id": mention_role and mention_role.id,
            "default_question": default_question, "spoiler_days": spoiler_days,
            "suggest_access": suggestions, "poll_hours": poll_hours,
            "anonymise_members": chart_members and chart_members == "anonymised",
        }, reset=[reset] if reset else [], at=self.bot.clock(), by=interaction.user.id)
        if reset is not None:
            shown[reset] = "the default"
        for name, value in (("timezone", new.timezone), ("export_access", new.export_access),
                            ("archive", archive and archive.name),
                            ("suggestions", new.suggest_access),
                            ("poll_hours", f"{new.poll_hours} hours"),
                            ("chart_members", "anonymised" if new.anonymise_members
                             else "shown")):
            if value and name not in shown:
                shown[name] = value
        changed = changed_settings(current, new)
        if not changed:
            await reply(interaction, "Those are the settings already; nothing changed.")
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        recounted = await self.bot.store.save_settings(new)
        if "vote_emoji" in changed and "vote_emoji" not in shown:
            shown["vote_emoji"] = (f"+1 {' '.join(new.upvote_emoji)}, "
                                   f"−1 {' '.join(new.downvote_emoji)}")
        await auditlog.record(self.bot, AuditEntry(
            guild_id=new.guild_id, actor_id=interaction.user.id, action="settings",
            target="; ".join(f"{LABELS[name].lower()} → {shown.get(name, 'changed')}"
                             for name in changed),
            at=new.updated_at or self.bot.clock(),
        ))
        note = f" {recounted} stored reactions were recounted." if recounted else ""
        await reply(interaction, f"Changed: {', '.join(LABELS[n].lower() for n in changed)}."
                                 f"{note}", embed=settings_embed(new, "filmclub settings"))

    @settings.command(name="charts",
                      description="Whether charts name the most active members (issue 19)")
    @app_commands.describe(members="shown: by their names; anonymised: Member 1, Member 2…")
    @admins_only(SERVER, manage_guild=True)
    async def charts(self, interaction: discord.Interaction[FilmClub],
                     members: Literal["shown", "anonymised"]) -> None:
        """A shortcut kept from issue 19: the same record and check as ``set``."""
        assert_guild(interaction)
        current = await self.bot.store.get_settings(interaction.guild_id or 0)
        anonymise = members == "anonymised"
        new = apply_changes(current, {"anonymise_members": anonymise}, at=self.bot.clock(),
                            by=interaction.user.id)
        if not changed_settings(current, new):
            await reply(interaction, f"Charts already show members {members}; nothing changed.")
            return
        await self.bot.store.save_settings(new)
        await auditlog.record(self.bot, AuditEntry(
            guild_id=new.guild_id, actor_id=interaction.user.id, action="settings",
            target=f"chart members → {members}", at=new.updated_at or self.bot.clock()))
        await reply(interaction, f"Changed: /stats charts now show the most active members "
                                 f"{'as Member 1, Member 2…' if anonymise else 'by name'}.")

    @set.autocomplete("timezone")
    async def zone_choices(self, interaction: discord.Interaction[FilmClub],
                               current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in timezone_choices(current)]


def assert_guild(interaction: discord.Interaction[Any]) -> None:
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()


async def setup(bot: FilmClub) -> None:
    cog = Settings(bot)
    await bot.add_cog(cog)
    auditlog.records_own_audit(bot, cog)  # a change is recorded with what changed

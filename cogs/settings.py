"""/filmclub settings show|set|charts: each server's prompt channel, moderator role, vote
emoji, time zone, who may export, log channel, and whether charts name members. Every
change is checked before it is kept (a channel the bot cannot post in is refused, saying
why) and recorded in the audit log."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import FilmclubError, InvalidValue
from bot.moderation import (
    AuditEntry,
    GuildSettings,
    changed_settings,
    check_timezone,
    check_vote_emoji,
    parse_emoji_list,
    timezone_choices,
)
from cogs import auditlog
from cogs.checks import SERVER, ChannelSetting, ServerAnd, admins_only
from cogs.ui import COLOUR, reply

if TYPE_CHECKING:
    from bot.client import FilmClub

log = logging.getLogger(__name__)

SettingName = Literal["prompt_channel", "moderator_role", "vote_emoji", "timezone",
                      "export_access", "log_channel"]
LABELS: dict[str, str] = {
    "prompt_channel": "Prompt channel",
    "moderator_role": "Moderator role",
    "vote_emoji": "Vote emoji",
    "timezone": "Time zone",
    "export_access": "Who may export",
    "log_channel": "Log channel",
}
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
    audits_itself = True
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
        timezone="The server's time zone, e.g. Europe/Paris (for stats and exports)",
        export_access="Who may use /export",
        log_channel="Where moderator actions are posted",
        reset="Put one setting back to its default",
    )
    @admins_only(SETTINGS_TARGET, manage_guild=True)
    async def set(self, interaction: discord.Interaction[FilmClub],
                  prompt_channel: discord.TextChannel | None = None,
                  moderator_role: discord.Role | None = None,
                  upvote_emoji: app_commands.Range[str, 1, 200] | None = None,
                  downvote_emoji: app_commands.Range[str, 1, 200] | None = None,
                  timezone: app_commands.Range[str, 1, 64] | None = None,
                  export_access: Literal["moderators", "everyone"] | None = None,
                  log_channel: discord.TextChannel | None = None,
                  reset: SettingName | None = None) -> None:
        assert_guild(interaction)
        current = await self.bot.store.get_settings(interaction.guild_id or 0)
        changes: dict[str, Any] = {}
        shown: dict[str, str] = {}  # the new values in plain text, for the audit log
        if prompt_channel is not None:
            check_postable(prompt_channel, PROMPT_CHANNEL_NEEDS, "post prompts")
            changes["prompt_channel_id"] = prompt_channel.id
            shown["prompt_channel"] = f"#{prompt_channel.name}"
        if moderator_role is not None:
            if moderator_role.is_default():
                raise InvalidValue("@everyone can't be the moderator role: that would make "
                                   "every member a moderator.")
            if moderator_role.managed:
                raise InvalidValue(f"{moderator_role.mention} belongs to an integration; "
                                   "pick a role people are given.")
            changes["moderator_role_id"] = moderator_role.id
            shown["moderator_role"] = f"@{moderator_role.name}"
        if upvote_emoji is not None:
            changes["upvote_emoji"] = parse_emoji_list(upvote_emoji, what="upvotes")
        if downvote_emoji is not None:
            changes["downvote_emoji"] = parse_emoji_list(downvote_emoji, what="downvotes")
        if timezone is not None:
            changes["timezone"] = shown["timezone"] = check_timezone(timezone)
        if export_access is not None:
            changes["export_access"] = shown["export_access"] = export_access
        if log_channel is not None:
            check_postable(log_channel, LOG_CHANNEL_NEEDS, "post the moderator log")
            changes["log_channel_id"] = log_channel.id
            shown["log_channel"] = f"#{log_channel.name}"
        if reset is not None:
            defaults = GuildSettings(current.guild_id)
            fields = {"vote_emoji": ("upvote_emoji", "downvote_emoji")}.get(
                reset, (reset if reset in ("timezone", "export_access") else f"{reset}_id",))
            if any(f in changes for f in fields):
                raise FilmclubError(f"Either set {reset} or reset it, not both.")
            changes.update({f: getattr(defaults, f) for f in fields})
            shown[reset] = "the default"
        if not changes:
            raise FilmclubError("Nothing to change: give at least one setting, or reset one.")
        new = current.changes(**changes, updated_at=self.bot.clock(),
                              updated_by=interaction.user.id)
        check_vote_emoji(new.upvote_emoji, new.downvote_emoji)
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
        assert_guild(interaction)
        guild_id = interaction.guild_id or 0
        anonymise = members == "anonymised"
        if await self.bot.store.get_chart_anonymise(guild_id) == anonymise:
            await reply(interaction, f"Charts already show members {members}; nothing changed.")
            return
        now = self.bot.clock()
        await self.bot.store.set_chart_anonymise(guild_id, anonymise, at=now,
                                                 by=interaction.user.id)
        await auditlog.record(self.bot, AuditEntry(
            guild_id=guild_id, actor_id=interaction.user.id, action="settings",
            target=f"chart members → {members}", at=now))
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
    await bot.add_cog(Settings(bot))

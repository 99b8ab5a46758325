"""A local Discord with the real bot in it: members act, the terminal shows what happened.

``DemoSession`` starts ``bot.emulator.DiscordEmulator`` on 127.0.0.1 with the server
"Film Club", then the bot through ``cogs.support.startup.serve`` (what ``filmclub run`` runs) with a
configuration pointing at it. Every member action goes through the emulator as the gateway
events Discord would send; every answer the terminal shows is what the bot sent back
(ephemeral ones too), and every score is read from the bot's own store.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from bot.config import Config, from_env
from bot.demo import script
from bot.demo.files import OutputFolder
from bot.emulator import DiscordEmulator, Permissions
from bot.emulator.interactions import InteractionRecord
from bot.errors import FilmclubError
from cogs.support.client import FilmClub
from cogs.support.startup import serve

log = logging.getLogger(__name__)

ARTICLES = Path(__file__).parent / "articles"
MODERATOR_PERMISSIONS = (
    Permissions.DEFAULT | Permissions.MANAGE_MESSAGES | Permissions.MANAGE_THREADS
)
_LINK = re.compile(r"https://discord\.com/channels/\d+/(\d+)(?:/(\d+))?")
_CHANNEL = re.compile(r"<#(\d+)>")
_USER = re.compile(r"<@!?(\d+)>")
_TIMESTAMP = re.compile(r"<t:(\d+)(?::[tTdDfFR])?>")
_MD_LINK = re.compile(r"\[([^\]\n]+)\]\(<?([^)>\s]+)>?\)")
_MD_ESCAPE = re.compile(r"\\([\\>*_~`|\[\]()#-])")


class DemoError(FilmclubError):
    """Something the demo could not do; the message is one line for the terminal."""


def answered(inter: InteractionRecord) -> bool:
    """The bot has said what it has to say: a reply, or a deferral and its follow-up."""
    if inter.response_type in (4, 6, 7, 8, 9):  # a reply, a message updated, choices, a form
        return True
    return inter.response_type == 5 and bool(inter.followups)  # "thinking...", then the answer


@dataclass
class Screen:
    """Compact lines on the terminal, cut to its width."""

    stream: TextIO = field(default_factory=lambda: sys.stdout)
    width: int = field(default_factory=lambda: max(60, shutil.get_terminal_size((100, 24))[0]))

    def line(self, text: str = "", *, wrap: bool = False) -> None:
        for raw in text.split("\n") or [""]:
            if not wrap and len(raw) > self.width:
                raw = raw[: self.width - 1] + "…"
            try:
                self.stream.write(raw + "\n")
            except UnicodeEncodeError:  # a terminal or file that cannot show emoji
                encoding = getattr(self.stream, "encoding", None) or "ascii"
                self.stream.write((raw + "\n").encode(encoding, "replace").decode(encoding))
        self.stream.flush()


class DemoSession:
    """The emulator, the server, the bot, and the members' hands."""

    def __init__(self, out: OutputFolder, screen: Screen, *, pace: float = 0.0) -> None:
        self.out = out
        self.screen = screen
        self.pace = pace
        #: Set by the interactive demo: the thread stays open for the person typing.
        self.interactive = False
        self.emu = DiscordEmulator(token=f"demo.{secrets.token_urlsafe(24)}",
                                   bot_name="filmclub")
        self.people: dict[str, Any] = {}  # display name -> MemberRef
        self.names: dict[int, str] = {}  # user id -> display name
        self.numbers: dict[int, int] = {}  # message id -> #N
        self.messages: list[int] = []  # #N - 1 -> message id
        self.keys: dict[str, int] = {}  # script key -> message id
        self.thread_id: int | None = None
        self.bot: FilmClub | None = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task[int] | None = None
        self._seen: set[str] = set()  # bot messages already shown

    # ---- start and stop ------------------------------------------------------------------------

    async def start(self) -> None:
        """The local Discord, its server, then the bot as `filmclub run` starts it."""
        try:
            await self.emu.start()
        except OSError as exc:
            raise DemoError(f"cannot start the local Discord on 127.0.0.1: "
                            f"{exc.strerror or exc}") from exc
        emu = self.emu
        self.guild = emu.add_guild(script.SERVER)
        self.channel = emu.add_text_channel(self.guild.id, script.CHANNEL,
                                            topic="One film a week, argued about politely")
        self.lobby = emu.add_text_channel(self.guild.id, script.LOBBY)
        mod = emu.add_member(self.guild.id, script.MODERATOR, permissions=MODERATOR_PERMISSIONS)
        self.people[script.MODERATOR] = mod
        for name in script.MEMBERS:
            self.people[name] = emu.add_member(self.guild.id, name)
        self.names = {ref.id: name for name, ref in self.people.items()}
        self.names[emu.bot_user_id] = "bot"
        config = self.config()
        self.screen.line(f"Local Discord: {emu.base_url} (Discord's REST API v10 and gateway)")
        self.screen.line(f"Server {script.SERVER!r}: #{script.CHANNEL}, #{script.LOBBY}; "
                         f"moderator {script.MODERATOR} (Manage Messages, Manage Threads); "
                         f"members {', '.join(script.MEMBERS)}", wrap=True)
        self.screen.line(f"Database: {config.db_path} (SQLite, made for this demo)", wrap=True)
        bots: list[FilmClub] = []
        self._task = asyncio.create_task(
            serve(config, stop=self._stop, on_start=bots.append), name="filmclub-demo-bot")
        await self._wait(lambda: bool(bots), "the bot did not start", 30)
        self.bot = bots[0]
        ready = asyncio.ensure_future(self.bot.wait_until_ready())
        done, _ = await asyncio.wait({ready, self._task}, timeout=60,
                                     return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            if self._task in done:
                self._task.result()  # raises what start-up raised
            raise DemoError("the bot did not connect to the local Discord within 60 seconds")
        await self.emu.wait_connected(timeout=30)
        commands = self.emu.commands()
        self.screen.line(f"Bot: connected as {self.bot.user}, {len(commands)} slash commands "
                         "synced")
        self.screen.line()

    def config(self) -> Config:
        """The bot's configuration: the same keys `filmclub run` reads, pointing here."""
        return from_env({
            "DISCORD_TOKEN": self.emu.token,
            "FILMCLUB_DB": str(self.out.database),
            "FILMCLUB_ARTICLES": str(ARTICLES),
            "DISCORD_API_BASE": self.emu.api_base,
            "DISCORD_GATEWAY_URL": self.emu.gateway_url,
            "FILMCLUB_GUILD_READY_TIMEOUT": "0.05",
            "LOG_LEVEL": logging.getLevelName(logging.getLogger().level),
            "FILMCLUB_FILM_LOOKUP": "off",  # the demo needs no network
        })

    async def stop(self) -> int:
        """Stop the bot (it flushes its store), then the local Discord; the bot's exit status."""
        status = 0
        if self._task is not None:
            if not self._task.done() and self.bot is not None:
                await self.emu.ping_bot()  # the bot still reads: nothing stuck in the gateway
            self._stop.set()
            status = await asyncio.wait_for(self._task, 60)
            self._task = None
        await self.emu.close()
        return status

    @staticmethod
    async def _wait(check: Callable[[], bool], what: str, seconds: float) -> None:
        try:
            async with asyncio.timeout(seconds):
                while not check():  # noqa: ASYNC110 - nothing to await but the bot's start
                    await asyncio.sleep(0.01)
        except TimeoutError:
            raise DemoError(what) from None

    async def barrier(self) -> None:
        """Return once the bot has read every event sent so far and stored what it keeps."""
        await self.emu.settle()
        if not await self.emu.ping_bot(timeout=30):
            raise DemoError("the bot stopped reading the local Discord's gateway")
        await asyncio.sleep(0)  # listener tasks scheduled before the ping run first
        await self.running().store.flush()

    def running(self) -> FilmClub:
        """The bot, once started."""
        if self.bot is None:
            raise DemoError("the bot is not running")
        return self.bot

    # ---- members act ---------------------------------------------------------------------------

    def member(self, name: str) -> Any:
        try:
            return self.people[name]
        except KeyError:
            raise DemoError(f"no member named {name!r} (there are {', '.join(self.people)})") \
                from None

    def message_id(self, number: int) -> int:
        if not 1 <= number <= len(self.messages):
            raise DemoError(f"there is no comment #{number} (there are {len(self.messages)})")
        return self.messages[number - 1]

    def _thread(self) -> int:
        if self.thread_id is None:
            raise DemoError("no prompt thread yet: post one with /prompt post first")
        return self.thread_id

    async def say(self, who: str, text: str, reply_to: int | None = None) -> int:
        """``who`` writes in the prompt thread; returns the comment's number."""
        member = self.member(who)
        parent = self.message_id(reply_to) if reply_to is not None else None
        msg = await self.emu.say(member.id, self._thread(), text, reply_to=parent)
        message_id = int(msg["id"])
        self.messages.append(message_id)
        number = len(self.messages)
        self.numbers[message_id] = number
        where = f" ↳#{reply_to}" if reply_to is not None else ""
        await self.barrier()
        self.screen.line(f"#{number:<3}{who}{where}: {self.flat(text)}")
        await self.show_bot_messages()
        return number

    async def edit(self, who: str, number: int, text: str) -> None:
        await self.emu.edit(self.member(who).id, self.message_id(number), text)
        await self.barrier()
        self.screen.line(f"    {who} edits #{number}: {self.flat(text)}")
        await self.show_bot_messages()

    async def delete(self, who: str, number: int) -> None:
        message_id = self.message_id(number)
        msg = self.emu.get_message(message_id)
        if msg is None:
            raise DemoError(f"#{number} is already deleted")
        author = int(msg["author"]["id"])
        member = self.member(who)
        if author != member.id and who != script.MODERATOR:
            raise DemoError(f"{who} cannot delete #{number}: it is {self.names[author]}'s")
        await self.emu.delete(message_id)
        await self.barrier()
        self.screen.line(f"    {who} deletes #{number}")
        await self.show_bot_messages()

    async def react(self, who: str, number: int, emoji: str, *, remove: bool = False) -> None:
        message_id = self.message_id(number)
        member = self.member(who)
        if remove:
            await self.emu.unreact(member.id, message_id, emoji)
        else:
            await self.emu.react(member.id, message_id, emoji)
        await self.barrier()
        verb = "takes back" if remove else "reacts"
        score = await self.score_line(number)
        self.screen.line(f"    {who} {verb} {emoji} on #{number}    {score}")
        await self.show_bot_messages()

    async def score_line(self, number: int) -> str:
        """``score #3: +1`` as the bot's store counts it (a vote on one's own comment is none)."""
        comment = await self.running().store.get_comment(self.message_id(number))
        if comment is None:
            return f"(#{number} is not stored)"
        return f"score #{number}: {signed(comment.score)}"

    async def scoreboard(self) -> list[str]:
        """Every comment's score, as the store holds it."""
        parts = []
        for number, message_id in enumerate(self.messages, start=1):
            comment = await self.running().store.get_comment(message_id)
            if comment is None:
                continue
            if comment.deleted:
                parts.append(f"#{number} deleted")
            else:
                parts.append(f"#{number} {signed(comment.score)}")
        return parts

    async def command(self, who: str, name: str, options: Mapping[str, Any] | None = None, *,
                      channel_id: int | None = None, show: bool = True,
                      echo: bool = True) -> InteractionRecord:
        """``who`` runs ``/name``; shows what the bot answered (privately or not)."""
        member = self.member(who)
        where = channel_id or self.thread_id or self.channel.id
        before = set(self.emu.threads)
        resolved = {key: self.option_value(value) for key, value in (options or {}).items()}
        try:
            inter = await self.emu.invoke(member.id, where, name, resolved)
        except (LookupError, ValueError, PermissionError) as exc:
            raise DemoError(f"/{name}: {exc}") from exc
        await inter.wait_for(answered, timeout=60)
        await self.barrier()
        new = [t for t in self.emu.threads if t not in before]
        if name == "prompt post" and new:
            self.thread_id = new[-1]
        if show:
            if echo:
                shown = " ".join(f"{k}:{self.show_value(v)}" for k, v in (options or {}).items())
                self.screen.line(f"    {who} /{name}{' ' + shown if shown else ''}")
            self.show_answer(who, inter)
            await self.show_bot_messages()
        return inter

    async def click(self, who: str, inter: InteractionRecord, label: str) -> InteractionRecord:
        """``who`` presses the button labelled ``label`` on the bot's answer ``inter``."""
        message = inter_message(inter)
        if inter.response_type == 5 and inter.followups:
            message = inter.followups[-1]
        buttons = {}
        for row in message.get("components") or []:
            for item in row.get("components") or []:
                if item.get("type") == 2 and item.get("label") and item.get("custom_id"):
                    buttons[str(item["label"]).lower()] = item
        button = buttons.get(label.lower())
        if button is None:
            names = ", ".join(b["label"] for b in buttons.values()) or "none"
            raise DemoError(f"no button {label!r} on the last answer (its buttons: {names})")
        if button.get("disabled"):
            raise DemoError(f"the {button['label']!r} button is disabled")
        message_id = message.get("id") or (inter.original or {}).get("id")
        try:
            clicked = await self.emu.click(self.member(who).id, message_id, button["custom_id"])
        except (LookupError, ValueError, PermissionError) as exc:
            raise DemoError(f"cannot press {label!r}: {exc}") from exc
        await clicked.wait_for(answered, timeout=60)
        if clicked.response_type == 6:  # "working on it": the edit or a follow-up comes after
            token = clicked.token
            await self.emu.wait_until(lambda: bool(clicked.followups) or any(
                method == "PATCH" and token in path for method, path, _ in self.emu.requests),
                timeout=60)
        await self.barrier()
        self.show_answer(who, clicked)
        await self.show_bot_messages()
        return clicked

    async def comment_lines(self) -> list[str]:
        """Every comment by number, as the bot's store holds it."""
        lines = []
        store = self.running().store
        for number, message_id in enumerate(self.messages, start=1):
            comment = await store.get_comment(message_id)
            if comment is None:
                lines.append(f"#{number:<3}(not stored)")
                continue
            flags = []
            if comment.parent_id in self.numbers:
                flags.append(f"↳#{self.numbers[comment.parent_id]}")
            if comment.deleted:
                flags.append("deleted")
            if await store.get_hidden(message_id) is not None:
                flags.append("hidden")
            if comment.edited_at is not None:
                flags.append("edited")
            extra = f" ({', '.join(flags)})" if flags else ""
            text = "" if comment.deleted else f": {self.flat(comment.content)}"
            lines.append(f"#{number:<3}{comment.author_name}{extra} {signed(comment.score)}{text}")
        return lines

    def option_value(self, value: Any) -> Any:
        """A script's option as Discord sends it: comments by id, #channels by id."""
        if isinstance(value, script.Ref):
            return str(self.keys[value.key])
        if isinstance(value, str) and value.startswith("#"):
            found = [c for c in (self.channel, self.lobby) if c.name == value[1:]]
            if found:
                return found[0].id
        return value

    def show_value(self, value: Any) -> str:
        if isinstance(value, script.Ref):
            return f"#{self.numbers[self.keys[value.key]]}"
        text = str(value)
        return f'"{text}"' if " " in text else text

    # ---- what the bot said ---------------------------------------------------------------------

    def show_answer(self, who: str, inter: InteractionRecord) -> None:
        """The bot's answer to an interaction: the reply and every follow-up."""
        messages = []
        if inter.response_type == 4 and inter.response is not None:
            messages.append(inter.response)
        elif inter.response_type in (6, 7) and inter.original is not None:
            messages.append(inter.original)  # the message the button was on, as updated
        elif inter.response_type == 9:
            self.screen.line(f"      bot → {who}: (a form to fill in)")
        messages += inter.followups
        for msg in messages:
            private = bool(int(msg.get("flags") or 0) & 64)
            to = f"bot → {who}, privately" if private else "bot"
            self._seen.add(str(msg.get("id")))
            self.show_message(to, msg)
        for filename, data in inter.files:
            self.screen.line(f"        [file {filename}, {kilobytes(len(data))}]")

    def show_message(self, label: str, msg: Mapping[str, Any]) -> None:
        lines = message_lines(msg)
        first, rest = (lines[0], lines[1:]) if lines else ("(no text)", [])
        self.screen.line(f"      {label}: {self.flat(first)}")
        for extra in rest[:8]:
            self.screen.line(f"        {self.flat(extra)}")
        if len(rest) > 8:
            self.screen.line(f"        … {len(rest) - 8} more lines")

    async def show_bot_messages(self) -> None:
        """Messages the bot posted in #films or the thread since the last look."""
        channels = [self.channel.id] + ([self.thread_id] if self.thread_id else [])
        bot_id = str(self.emu.bot_user_id)
        for channel_id in channels:
            for msg in self.emu.messages_in(channel_id):
                if msg["author"]["id"] != bot_id or msg["id"] in self._seen:
                    continue
                self._seen.add(msg["id"])
                if msg.get("type") not in (0, 19, 20):
                    continue  # the thread-starter and system notices Discord adds
                where = "the thread" if channel_id == self.thread_id else f"#{self.channel.name}"
                self.show_message(f"bot in {where}", msg)

    def flat(self, text: str) -> str:
        """One line, with links, mentions and timestamps as a person would read them."""

        def link(match: re.Match[str]) -> str:
            channel, message = match.group(1), match.group(2)
            if message and int(message) in self.numbers:
                return f"#{self.numbers[int(message)]}"
            return self.channel_name(int(message or channel))

        def markdown_link(match: re.Match[str]) -> str:
            label, target = match.group(1), match.group(2)
            return target if label.lower() in ("jump", "link", "go") else f"{label} ({target})"

        text = _LINK.sub(link, text)
        text = _MD_LINK.sub(markdown_link, text)
        text = _MD_ESCAPE.sub(r"\1", text.replace("**", ""))
        text = _CHANNEL.sub(lambda m: self.channel_name(int(m.group(1))), text)
        text = _USER.sub(lambda m: "@" + self.names.get(int(m.group(1)), m.group(1)), text)
        text = _TIMESTAMP.sub("(a time)", text)
        return " ".join(text.split())

    def channel_name(self, channel_id: int) -> str:
        try:
            return "#" + str(self.emu.channel(channel_id)["name"])
        except (KeyError, LookupError):
            return "(a link)"

    # ---- the script ----------------------------------------------------------------------------

    async def play(self, step: script.Step) -> None:
        """One step of the scripted discussion."""
        if isinstance(step, script.Say):
            reply = self.numbers[self.keys[step.reply_to]] if step.reply_to else None
            number = await self.say(step.who, step.text, reply)
            self.keys[step.key] = self.message_id(number)
        elif isinstance(step, script.Edit):
            await self.edit(step.who, self.numbers[self.keys[step.key]], step.text)
        elif isinstance(step, script.Delete):
            await self.delete(step.who, self.numbers[self.keys[step.key]])
        elif isinstance(step, script.React):
            await self.react(step.who, self.numbers[self.keys[step.key]], step.emoji,
                             remove=step.remove)
        else:
            channel = self.channel.id if step.where == "channel" else None
            inter = await self.command(step.who, step.name, step.options, channel_id=channel)
            if step.name == "prompt post" and self.thread_id is None:
                said = " ".join(message_lines(inter_message(inter)))
                raise DemoError(f"/prompt post opened no thread: {said}")
        if self.pace:
            await asyncio.sleep(self.pace)

    async def play_script(self, *, lock: bool = True) -> None:
        for step in script.SCRIPT:
            if step is script.LOCK_STEP and not lock:
                continue
            await self.play(step)
        self.screen.line("    scores: " + " · ".join(await self.scoreboard()), wrap=True)

    async def export_all(self) -> list[Path]:
        """Every format through the bot's own /export, written into the output folder."""
        written = []
        for _, filename, options in script.EXPORTS:
            inter = await self.command(script.MODERATOR, "export", options, show=False)
            if len(inter.files) != 1:
                raise DemoError(f"/export {options} answered without one file: "
                                f"{message_lines(inter_message(inter))}")
            _, data = inter.files[0]
            path = self.out.write(filename, data)
            written.append(path)
            shown = " ".join(f"{k}:{v}" for k, v in options.items())
            self.screen.line(f"    /export {shown} → {path.name} ({kilobytes(len(data))})",
                             wrap=True)
        return written


def inter_message(inter: InteractionRecord) -> dict[str, Any]:
    return (inter.followups[-1] if inter.followups else inter.response) or {}


def message_lines(msg: Mapping[str, Any]) -> list[str]:
    """A message's text as lines: content, then each embed's title, text and fields."""
    lines = [line for line in str(msg.get("content") or "").split("\n") if line.strip()]
    for embed in msg.get("embeds") or []:
        title = embed.get("title")
        if title:
            lines.append(f"[{title}]")
        lines += [line for line in str(embed.get("description") or "").split("\n")
                  if line.strip()]
        lines += [f"{f['name']}: {f['value']}" for f in embed.get("fields") or []]
        footer = (embed.get("footer") or {}).get("text")
        if footer:
            lines.append(footer)
    for row in msg.get("components") or []:
        labels = [c.get("label") for c in row.get("components") or [] if c.get("label")]
        if labels:
            lines.append(" ".join(f"[{label}]" for label in labels))
    return lines


def signed(score: int) -> str:
    return f"+{score}" if score > 0 else ("0" if score == 0 else f"−{-score}")


def kilobytes(size: int) -> str:
    return f"{size / 1024:.1f} kB" if size >= 1024 else f"{size} bytes"


# -- the demo's beginning and end, scripted or interactive (bot.demo.runner, bot.demo.repl) --


async def play(session: DemoSession, screen: Screen, *, lock: bool = True,
               exports: bool = True) -> list[Path]:
    """Start, play the script, export: what both the plain and the interactive demo do.

    The interactive demo leaves the exports to its user: six scripted ones would spend
    the moderator's /export allowance (six a minute) before they could try it.
    """
    await session.start()
    screen.line("The discussion (#N: comment numbers; scores as the bot's store counts them)")
    await session.play_script(lock=lock)
    screen.line()
    if not exports:
        return []
    screen.line(f"Exports: {script.MODERATOR} runs the bot's own /export in the thread, "
                f"into {session.out.path}/:", wrap=True)
    return await session.export_all()


def closing(session: DemoSession, screen: Screen, out: OutputFolder, paths: list[Path],
            status: int, seconds: float) -> int:
    """The last lines: the database, what the local Discord refused, the time, what to open."""
    emu = session.emu
    screen.line()
    screen.line(f"Database: {out.database} (try: filmclub export --db {out.database} "
                f"--guild {session.guild.id} --format md)", wrap=True)
    if emu.problems:
        screen.line(f"The local Discord refused {len(emu.problems)} of the bot's "
                    f"{len(emu.requests)} requests:")
        for problem in emu.problems:
            screen.line(f"  {problem}", wrap=True)
        status = status or 1
    else:
        screen.line(f"The local Discord checked all {len(emu.requests)} of the bot's requests "
                    "against Discord's OpenAPI description and limits: none refused.", wrap=True)
    if not session.interactive:
        screen.line("Take part yourself: filmclub demo --interactive (with --out or --force).")
    screen.line(f"Took {seconds:.1f} s.")
    html = next((p for p in paths if p.suffix == ".html"), None)
    if html is not None:
        screen.line(f"Open first: {html}  ({html.resolve().as_uri()})", wrap=True)
    return status

"""``filmclub demo --interactive``: after the script, the person at the terminal takes part.

The local Discord and the bot keep running on an event loop in a thread of their own; the
terminal (``cmd`` with ``readline`` where there is one) stays in the main thread, so
Ctrl-C and Ctrl-D arrive where a person expects them. Every line typed becomes what a
Discord client would send: a message in the prompt thread, a reply, a reaction, a slash
command with its options typed by the command's own schema.
"""

from __future__ import annotations

import asyncio
import cmd
import concurrent.futures
import contextlib
import logging
import re
import shlex
import sys
import threading
import time
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

from bot.demo import script
from bot.demo.files import OutputError, OutputFolder
from bot.demo.session import DemoError, DemoSession, Screen, closing, play
from bot.emulator.interactions import (
    BOOLEAN,
    CHANNEL,
    INTEGER,
    MENTIONABLE,
    NUMBER,
    STRING,
    SUB_COMMAND,
    SUB_COMMAND_GROUP,
    USER,
    InteractionRecord,
    find_command,
    option_schema,
)
from bot.emulator.validation import ApiError

try:  # not on every platform (Windows): then no completion, input() still works
    import readline
except ImportError:  # pragma: no cover - depends on the Python build
    readline = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

T = TypeVar("T")
VOTE_WORDS = {"up": "👍", "+1": "👍", "+": "👍", "down": "👎", "-1": "👎", "-": "👎"}
TRUE_WORDS = {"true", "yes", "y", "1", "on"}
FALSE_WORDS = {"false", "no", "n", "0", "off"}
_MENTION = re.compile(r"(?<![\w<])@(\w+)")

HELP = """\
  any text           a comment in the thread, as you        as NAME         be someone else
  reply N TEXT       answer comment #N                      react N 👍|up|down   unreact N 👍
  edit N TEXT        change your comment #N                 delete N        remove your #N
  comments           every comment, its number and score    who             who is here
  /COMMAND [SUB] [OPTION:VALUE]...  any slash command, e.g. /top  /stats  /export format:html
                     /comment hide message:#7 reason:"off topic"  /discussion lock
                     (#N stands for comment N, #films for the channel, @Name for a member)
  click LABEL        press a button of the bot's last answer (Next, Previous, ...)
  Tab completes commands, options and names. Ctrl-D or Ctrl-C ends: the bot stops and
  writes everything to its database."""


class LoopThread:
    """An asyncio loop in a daemon thread; the terminal hands it coroutines to run."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="filmclub-demo-loop", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def start(self) -> None:
        self.thread.start()

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coro`` on the loop and wait; Ctrl-C cancels it there before going on."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except KeyboardInterrupt:
            future.cancel()
            with contextlib.suppress(Exception):
                concurrent.futures.wait([future], timeout=30)
            raise

    def close(self) -> None:
        """Cancel what still runs there (a view's timeout, say), then stop the loop."""
        with contextlib.suppress(Exception):
            self.call(_cancel_the_rest(), timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
        if not self.thread.is_alive():
            self.loop.close()


async def _cancel_the_rest() -> None:
    me = asyncio.current_task()
    rest = [task for task in asyncio.all_tasks() if task is not me]
    for task in rest:
        task.cancel()
    await asyncio.gather(*rest, return_exceptions=True)
    await asyncio.get_running_loop().shutdown_asyncgens()


@contextlib.contextmanager
def terminal_kept() -> Iterator[None]:
    """Put the terminal's modes back as they were, however the session ends."""
    try:
        import termios
    except ImportError:  # pragma: no cover - not a POSIX system
        yield
        return
    saved = None
    with contextlib.suppress(termios.error, OSError, ValueError):
        if sys.stdin.isatty():
            saved = termios.tcgetattr(sys.stdin.fileno())
    try:
        yield
    finally:
        if saved is not None:
            with contextlib.suppress(termios.error, OSError, ValueError):
                termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, saved)


def interactive(out: OutputFolder, *, pace: float) -> int:
    """The script (its thread left open), then the keyboard; exit 0 on Ctrl-D/C."""
    started = time.monotonic()
    screen = Screen()
    runner = LoopThread()
    runner.start()
    session = DemoSession(out, screen, pace=pace)
    session.interactive = True
    status = 0
    with terminal_kept():
        try:
            paths = runner.call(play(session, screen, lock=False, exports=False))
            closing(session, screen, out, paths, 0, time.monotonic() - started)
            shell = DemoShell(session, runner, screen)
            screen.line()
            screen.line(f"Your turn: the local Discord and the bot keep running. You are "
                        f"{shell.who}; the thread stays open.")
            screen.line(HELP)
            with contextlib.suppress(KeyboardInterrupt):
                shell.cmdloop()
        except KeyboardInterrupt:
            pass
        finally:
            screen.line()
            screen.line("Stopping the bot (it writes what it holds) and the local Discord...")
            try:
                status = runner.call(session.stop(), timeout=120)
            finally:
                runner.close()
    problems = session.emu.problems
    for problem in problems:
        screen.line(f"The local Discord refused: {problem}", wrap=True)
    screen.line(f"Stopped. Everything is in {out.database}.")
    return status or (1 if problems else 0)


class DemoShell(cmd.Cmd):
    """The terminal's side of the interactive demo."""

    identchars = cmd.Cmd.identchars + "-"

    def __init__(self, session: DemoSession, runner: LoopThread, screen: Screen) -> None:
        super().__init__()
        self.session = session
        self.runner = runner
        self.screen = screen
        self.who = script.MEMBERS[0]
        self.last_answer: InteractionRecord | None = None
        self._delims: str | None = None

    # ---- cmd plumbing --------------------------------------------------------------------------

    @property
    def prompt(self) -> str:  # type: ignore[override]
        return f"{self.who}> "

    def preloop(self) -> None:
        if readline is not None:
            self._delims = readline.get_completer_delims()
            readline.set_completer_delims(" \t\n")
            if "libedit" in (readline.__doc__ or ""):  # macOS
                readline.parse_and_bind("bind ^I rl_complete")

    def postloop(self) -> None:
        if readline is not None and self._delims is not None:
            readline.set_completer_delims(self._delims)

    def emptyline(self) -> bool:
        return False  # cmd's default repeats the last line: a comment posted twice

    def onecmd(self, line: str) -> bool:
        try:
            return super().onecmd(line)
        except (DemoError, OutputError) as exc:
            self.screen.line(f"  {exc}")
        except ApiError as exc:
            self.screen.line(f"  Discord refused it: {exc.message}")
        except (LookupError, ValueError, PermissionError) as exc:
            self.screen.line(f"  {exc}")
        return False

    def default(self, line: str) -> bool:
        if line.startswith("/"):
            self.slash(line)
        else:
            self.do_say(line)
        return False

    def do_EOF(self, arg: str) -> bool:  # cmd's name for Ctrl-D
        """Ctrl-D: end the demo."""
        self.screen.line()
        return True

    def do_quit(self, arg: str) -> bool:
        """End the demo."""
        return True

    do_exit = do_quit

    def do_help(self, arg: str) -> None:
        """What you can type."""
        self.screen.line(HELP)

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.runner.call(coro, timeout=120)

    # ---- members act ---------------------------------------------------------------------------

    def do_as(self, arg: str) -> None:
        """as NAME: speak as another member, or as the moderator."""
        name = self._person(arg.strip())
        self.who = name
        role = "the moderator" if name == script.MODERATOR else "a member"
        self.screen.line(f"  You are {name}, {role}.")

    def do_who(self, arg: str) -> None:
        """Who is in the server."""
        self.screen.line(f"  moderator: {script.MODERATOR}; members: {', '.join(script.MEMBERS)}"
                         f"; you are {self.who}")

    def do_say(self, arg: str) -> None:
        """say TEXT: a comment in the prompt thread."""
        if not arg.strip():
            raise DemoError("say what? (type the comment after it)")
        self.call(self.session.say(self.who, self._mentions(arg)))

    def do_reply(self, arg: str) -> None:
        """reply N TEXT: answer comment #N."""
        number, text = self._number_and_text(arg, "reply N TEXT")
        self.call(self.session.say(self.who, self._mentions(text), reply_to=number))

    def do_edit(self, arg: str) -> None:
        """edit N TEXT: change your comment #N."""
        number, text = self._number_and_text(arg, "edit N TEXT")
        self.call(self.session.edit(self.who, number, self._mentions(text)))

    def do_delete(self, arg: str) -> None:
        """delete N: delete your comment #N (the moderator may delete any)."""
        number, _ = self._number_and_text(arg, "delete N", text=False)
        self.call(self.session.delete(self.who, number))

    def do_react(self, arg: str) -> None:
        """react N EMOJI: 👍 or up is +1, 👎 or down is −1, other emoji are reactions."""
        number, emoji = self._number_and_text(arg, "react N 👍")
        self.call(self.session.react(self.who, number, VOTE_WORDS.get(emoji, emoji)))

    def do_unreact(self, arg: str) -> None:
        """unreact N EMOJI: take a reaction back."""
        number, emoji = self._number_and_text(arg, "unreact N 👍")
        self.call(self.session.react(self.who, number, VOTE_WORDS.get(emoji, emoji),
                                     remove=True))

    def do_comments(self, arg: str) -> None:
        """Every comment of the thread: number, author, score, as the bot stored it."""
        for line in self.call(self.session.comment_lines()):
            self.screen.line(line)

    def do_click(self, arg: str) -> None:
        """click LABEL: press a button of the bot's last answer."""
        inter = self.last_answer
        if inter is None:
            raise DemoError("no answer with buttons yet")
        self.last_answer = self.call(self.session.click(self.who, inter, arg.strip()))

    # ---- slash commands ------------------------------------------------------------------------

    def slash(self, line: str) -> None:
        """``/name [sub] option:value...``: typed by the command's schema, sent as Discord does."""
        try:
            words = shlex.split(line[1:])
        except ValueError as exc:
            raise DemoError(f"cannot read that line: {exc}") from None
        path = [w for w in words if ":" not in w]
        given = [w for w in words if ":" in w]
        if not path:
            raise DemoError("which command? e.g. /top")
        commands = self.session.emu.commands()
        command, rest = find_command(commands, " ".join(path))
        schemas, used = option_schema(command, rest)
        by_name = {s["name"]: s for s in schemas}
        options: dict[str, Any] = {}
        for word in given:
            name, _, raw = word.partition(":")
            schema = by_name.get(name)
            if schema is None:
                known = ", ".join(f"{n}:" for n in by_name) or "none"
                raise DemoError(f"/{' '.join([command['name'], *used])} has no option {name!r} "
                                f"(its options: {known})")
            options[name] = self._option(schema, raw)
        missing = [s["name"] for s in schemas if s.get("required") and s["name"] not in options]
        if missing:
            raise DemoError(f"missing {', '.join(f'{n}:' for n in missing)}")
        name = " ".join([command["name"], *used])
        # Prompts are posted from the film channel; everything else is typed in the thread.
        where = self.session.channel.id if command["name"] == "prompt" else None
        inter = self.call(self.session.command(self.who, name, options, channel_id=where,
                                               echo=False))
        self.last_answer = inter
        for filename, data in inter.files:
            path_written = self.session.out.write_new(Path(filename).name, data)
            self.screen.line(f"        saved as {path_written}")

    def _option(self, schema: dict[str, Any], raw: str) -> Any:
        kind = schema["type"]
        if kind == BOOLEAN:
            if raw.lower() in TRUE_WORDS:
                return True
            if raw.lower() in FALSE_WORDS:
                return False
            raise DemoError(f"{schema['name']}: is true or false, not {raw!r}")
        if kind == INTEGER:
            try:
                return int(raw)
            except ValueError:
                raise DemoError(f"{schema['name']}: is a whole number, not {raw!r}") from None
        if kind == NUMBER:
            try:
                return float(raw)
            except ValueError:
                raise DemoError(f"{schema['name']}: is a number, not {raw!r}") from None
        if kind in (USER, MENTIONABLE):
            return self.session.member(self._person(raw.lstrip("@"))).id
        if kind == CHANNEL:
            return self._channel(raw)
        if kind == STRING and re.fullmatch(r"#\d+", raw):
            return str(self.session.message_id(int(raw[1:])))
        if kind == STRING and raw in ("#thread", "thread") and self.session.thread_id:
            return str(self.session.thread_id)
        return raw

    def _channel(self, raw: str) -> int:
        name = raw.lstrip("#")
        if name.isdigit():
            return int(name)
        if name == "thread" and self.session.thread_id:
            return self.session.thread_id
        for channel in (self.session.channel, self.session.lobby):
            if channel.name == name:
                return channel.id
        raise DemoError(f"no channel {raw!r}: #{self.session.channel.name}, "
                        f"#{self.session.lobby.name} or #thread")

    # ---- completion ----------------------------------------------------------------------------

    VERBS = ("as", "reply", "react", "unreact", "edit", "delete", "comments", "who", "click",
             "help", "quit")

    def completenames(self, text: str, *ignored: Any) -> list[str]:
        words = [f"/{c['name']}" for c in self.session.emu.commands() if c.get("type", 1) == 1]
        return sorted(w for w in [*self.VERBS, *words] if w.startswith(text))

    def complete_as(self, text: str, line: str, begidx: int, endidx: int) -> list[str]:
        return [n for n in self._people() if n.lower().startswith(text.lower())]

    def complete_react(self, text: str, line: str, begidx: int, endidx: int) -> list[str]:
        if len(line[:begidx].split()) >= 2:
            return [e for e in ("👍", "👎", "up", "down") if e.startswith(text)]
        return self._numbers(text)

    complete_unreact = complete_react

    def complete_reply(self, text: str, line: str, begidx: int, endidx: int) -> list[str]:
        return self._numbers(text) if len(line[:begidx].split()) < 2 else []

    complete_edit = complete_delete = complete_reply

    def completedefault(self, text: str, line: str, begidx: int, endidx: int) -> list[str]:
        if not line.startswith("/"):
            return [f"@{n}" for n in self._people() if f"@{n}".startswith(text)] \
                if text.startswith("@") else []
        before = line[1:begidx].split()
        try:
            command, _ = find_command(self.session.emu.commands(), before[0])
        except (LookupError, ValueError, IndexError):
            return []
        path = [w for w in before[1:] if ":" not in w]
        options = command.get("options") or []
        for word in path:
            match = next((o for o in options if o.get("name") == word), None)
            if match is None:
                return []
            options = match.get("options") or []
        subs = [o["name"] for o in options if o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP)]
        if subs:
            return [s for s in subs if s.startswith(text)]
        if ":" in text:
            name, _, value = text.partition(":")
            schema = next((o for o in options if o.get("name") == name), None)
            return [f"{name}:{v}" for v in self._values(schema) if v.startswith(value)]
        given = {w.partition(":")[0] for w in before if ":" in w}
        return [f"{o['name']}:" for o in options
                if o["name"] not in given and o["name"].startswith(text)]

    def _values(self, schema: dict[str, Any] | None) -> list[str]:
        if schema is None:
            return []
        if schema.get("choices"):
            return [str(c["value"]) for c in schema["choices"]]
        kind = schema["type"]
        if kind == BOOLEAN:
            return ["true", "false"]
        if kind in (USER, MENTIONABLE):
            return self._people()
        if kind == CHANNEL:
            return [f"#{self.session.channel.name}", f"#{self.session.lobby.name}", "#thread"]
        if kind == STRING and schema["name"] in ("message", "thread"):
            return [f"#{n}" for n in range(1, len(self.session.messages) + 1)]
        return []

    def _numbers(self, text: str) -> list[str]:
        return [str(n) for n in range(1, len(self.session.messages) + 1) if str(n).startswith(text)]

    def _people(self) -> list[str]:
        return [script.MODERATOR, *script.MEMBERS]

    # ---- small parsing -------------------------------------------------------------------------

    def _person(self, raw: str) -> str:
        for name in self._people():
            if name.lower() == raw.lower():
                return name
        raise DemoError(f"no one called {raw!r} here: {', '.join(self._people())}")

    def _mentions(self, text: str) -> str:
        """``@Ana`` becomes a real mention of Ana, as the Discord client would send it."""
        people = {n.lower(): n for n in self._people()}

        def mention(match: re.Match[str]) -> str:
            name = people.get(match.group(1).lower())
            return f"<@{self.session.member(name).id}>" if name else match.group(0)

        return _MENTION.sub(mention, text)

    @staticmethod
    def _number_and_text(arg: str, usage: str, *, text: bool = True) -> tuple[int, str]:
        head, _, rest = arg.strip().partition(" ")
        head = head.lstrip("#")
        if not head.isdigit() or (text and not rest.strip()):
            raise DemoError(f"usage: {usage}")
        return int(head), rest.strip()


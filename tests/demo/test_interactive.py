"""`filmclub demo --interactive` driven through a pseudo-terminal, as a person would type.

The demo runs as a subprocess whose stdin, stdout and stderr are a pty (so readline and
the terminal's Ctrl-D are real); the test waits on what appears, never on the clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.demo import script
from bot.demo.files import DATABASE
from bot.store import open_store
from tests.demo.conftest import demo_env, filmclub_command

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pty")

TYPED = "Typed at the terminal: the barrels are the real stars."


def _own_terminal() -> None:
    """In the child: a session of its own whose controlling terminal is the pty (stdin),
    so Ctrl-C typed there becomes SIGINT for it, as in a real terminal."""
    import fcntl
    import termios

    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """The far end of a pty: read what the program prints, type to it."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        import pty

        self.master, slave = pty.openpty()
        env = {**demo_env(), "TERM": "dumb"}
        self.process = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave,
                                        cwd=cwd, env=env, close_fds=True,
                                        preexec_fn=_own_terminal)
        os.close(slave)
        self.seen = ""
        self._mark = 0

    def expect(self, pattern: str, timeout: float = 180) -> re.Match[str]:
        """Wait until ``pattern`` appears after what the last expect matched."""
        regex = re.compile(pattern, re.MULTILINE)
        deadline = time.monotonic() + timeout
        while True:
            found = regex.search(self.seen, self._mark)
            if found:
                self._mark = found.end()
                return found
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{pattern!r} did not appear; the terminal shows:\n"
                                     f"{self.seen[-3000:]}")
            ready, _, _ = select.select([self.master], [], [], min(left, 1.0))
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # the program ended and closed the terminal
                    chunk = b""
                if not chunk and self.process.poll() is not None:
                    raise AssertionError(f"the demo ended before {pattern!r} appeared:\n"
                                         f"{self.seen[-3000:]}")
                self.seen += chunk.decode("utf-8", errors="replace").replace("\r\n", "\n")

    def type(self, text: str) -> None:
        os.write(self.master, text.encode("utf-8"))

    def drain(self) -> None:
        with contextlib.suppress(OSError):
            while select.select([self.master], [], [], 0.2)[0]:
                chunk = os.read(self.master, 65536)
                if not chunk:
                    break
                self.seen += chunk.decode("utf-8", errors="replace").replace("\r\n", "\n")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(30)
        os.close(self.master)


async def _stored_texts(database: Path) -> list[str]:
    store = await open_store(database)
    try:
        (prompt,) = await store.list_prompts()
        return [c.content async for c in store.iter_comments(prompt.thread_id)]
    finally:
        await store.close()


def test_interactive_demo_takes_a_message_answers_top_and_ends_on_ctrl_d(tmp_path: Path) -> None:
    """Typed in a pty: a message is stored as comment #N, /top is answered privately,
    Ctrl-D stops the bot (exit 0) with the message written to the database."""
    out = tmp_path / "out"
    terminal = Terminal([*filmclub_command(), "demo", "--interactive", "--out", str(out),
                         "--pace", "0"], tmp_path)
    try:
        terminal.expect(r"^Your turn:")
        terminal.expect(r"^Ana> ")
        terminal.type(TYPED + "\n")
        number = len(script.comment_keys()) + 1
        terminal.expect(rf"^#{number}\s+Ana: {re.escape(TYPED)}$")
        terminal.expect(r"^Ana> ")
        terminal.type("/top\n")
        terminal.expect(r"bot → Ana, privately: \[Top comments, all time\]")
        terminal.expect(r"^Ana> ")
        terminal.type("\x04")  # Ctrl-D
        terminal.expect(r"^Stopped\. Everything is in .*filmclub-demo\.db\.$")
        status = terminal.process.wait(120)
        terminal.drain()
    finally:
        terminal.close()
    assert status == 0, terminal.seen[-3000:]
    texts = asyncio.run(_stored_texts(out / DATABASE))
    assert texts.count(TYPED) == 1
    assert not (out / f"{script.ARTICLE}.html").exists()  # exports are left to the user


def _has_readline() -> bool:
    try:
        import readline  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.skipif(not _has_readline(), reason="this Python has no readline: no Tab completion")
def test_interactive_demo_completes_with_tab_and_ends_on_ctrl_c(tmp_path: Path) -> None:
    """Tab completes a name and a slash command's option and choice; Ctrl-C at the prompt
    then ends the demo like Ctrl-D: bot stopped, exit 0."""
    out = tmp_path / "out"
    terminal = Terminal([*filmclub_command(), "demo", "--interactive", "--out", str(out),
                         "--pace", "0"], tmp_path)
    try:
        terminal.expect(r"^Ana> ")
        terminal.type("as Mi\t\n")
        terminal.expect(r"You are Mia, the moderator\.")
        terminal.expect(r"^Mia> ")
        terminal.type("/sta\t\n")
        terminal.expect(r"bot → Mia, privately: \[Stats: ")
        terminal.expect(r"^Mia> ")
        terminal.type("/export form\tcs\t\n")
        terminal.expect(r"comments as csv")
        terminal.expect(r"^\s+saved as .*\.csv$")
        terminal.expect(r"^Mia> ")
        terminal.type("\x03")  # Ctrl-C: the terminal sends SIGINT
        terminal.expect(r"^Stopped\. Everything is in ")
        status = terminal.process.wait(120)
    finally:
        terminal.close()
    assert status == 0, terminal.seen[-3000:]

"""The interactive demo's reading of a typed slash command: words, options, their types.

The shell is given a stand-in session holding the command schemas Discord would hold (the
real ones are exercised through a pty in test_interactive.py); these cases pin down how
each kind of option is typed, which Discord's client would otherwise do for the member.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.demo.repl import DemoShell
from bot.demo.session import DemoError, Screen

COMMANDS = [
    {"name": "export", "type": 1, "options": [
        {"type": 3, "name": "format", "choices": [{"name": "html", "value": "html"},
                                                  {"name": "csv", "value": "csv"}]},
        {"type": 5, "name": "anonymise"},
        {"type": 4, "name": "min_score"},
        {"type": 7, "name": "channel"},
    ]},
    {"name": "comment", "type": 1, "options": [
        {"type": 1, "name": "hide", "options": [
            {"type": 3, "name": "message", "required": True},
            {"type": 3, "name": "reason", "required": True},
        ]},
    ]},
    {"name": "whois", "type": 1, "options": [{"type": 6, "name": "member"}]},
]


@dataclass
class Ref:
    id: int
    name: str = ""


@dataclass
class FakeEmulator:
    def commands(self) -> list[dict[str, Any]]:
        return COMMANDS


@dataclass
class FakeSession:
    """What DemoShell asks of a session, with every command call recorded."""

    emu: FakeEmulator = field(default_factory=FakeEmulator)
    channel: Ref = field(default_factory=lambda: Ref(100, "films"))
    lobby: Ref = field(default_factory=lambda: Ref(101, "general"))
    thread_id: int = 200
    messages: list[int] = field(default_factory=lambda: [301, 302, 303])
    calls: list[tuple[str, str, dict[str, Any], int | None]] = field(default_factory=list)

    def member(self, name: str) -> Ref:
        return Ref(500 + ["Mia", "Ana", "Ben", "Cy", "Dee", "Eve", "Finn"].index(name), name)

    def message_id(self, number: int) -> int:
        if not 1 <= number <= len(self.messages):
            raise DemoError(f"there is no comment #{number}")
        return self.messages[number - 1]

    async def command(self, who: str, name: str, options: dict[str, Any], *,
                      channel_id: int | None = None, echo: bool = True) -> Any:
        self.calls.append((who, name, options, channel_id))
        return type("Answer", (), {"files": []})()


class Runner:
    @staticmethod
    def call(coro: Any, timeout: float | None = None) -> Any:
        import asyncio

        return asyncio.run(coro)


def shell() -> tuple[DemoShell, FakeSession]:
    session = FakeSession()
    return DemoShell(session, Runner(), Screen()), session  # type: ignore[arg-type]


@pytest.mark.parametrize(("typed", "options"), [
    ("/export", {}),
    ("/export format:html", {"format": "html"}),
    ("/export anonymise:true", {"anonymise": True}),
    ("/export anonymise:no", {"anonymise": False}),
    ("/export min_score:-2", {"min_score": -2}),
    ("/export channel:#films", {"channel": 100}),
    ("/export channel:general", {"channel": 101}),
    ("/export channel:#thread", {"channel": 200}),
    ('/comment hide message:#2 reason:"off topic, sorry"',
     {"message": "302", "reason": "off topic, sorry"}),
    ("/whois member:@Ben", {"member": 502}),
    ("/whois member:cy", {"member": 503}),
])
def test_slash_options_are_typed_by_the_schema(typed: str, options: dict[str, Any]) -> None:
    """Each option arrives as its type: booleans, integers, channels, #N comments, members."""
    repl, session = shell()
    repl.onecmd(typed)
    assert len(session.calls) == 1
    who, _, sent, where = session.calls[0]
    assert (who, sent, where) == ("Ana", options, None)


@pytest.mark.parametrize(("typed", "error"), [
    ("/export anonymise:maybe", "anonymise: is true or false"),
    ("/export min_score:lots", "min_score: is a whole number"),
    ("/export colour:red", "has no option 'colour' (its options: format:, anonymise:"),
    ("/comment hide message:#2", "missing reason:"),
    ("/comment hide message:#9 reason:x", "there is no comment #9"),
    ("/export channel:#nowhere", "no channel '#nowhere'"),
    ("/whois member:Zed", "no one called 'Zed'"),
    ('/export format:"html', "cannot read that line"),
])
def test_bad_slash_lines_are_one_line_and_send_nothing(
        typed: str, error: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A mistake is one line naming it; nothing reaches the bot."""
    repl, session = shell()
    repl.onecmd(typed)
    shown = capsys.readouterr().out
    assert error in shown and shown.count("\n") == 1, shown
    assert session.calls == []


def test_completion_offers_commands_subcommands_options_and_choices() -> None:
    """Tab completion walks the schema: command, subcommand, option names, choices."""
    repl, _ = shell()
    assert repl.completenames("/ex") == ["/export"]
    assert repl.completedefault("h", "/comment h", 9, 10) == ["hide"]
    assert repl.completedefault("", "/comment hide ", 14, 14) == ["message:", "reason:"]
    assert repl.completedefault("format:", "/export format:", 8, 15) == [
        "format:html", "format:csv"]
    assert repl.completedefault("", "/export format:html ", 20, 20) == [
        "anonymise:", "min_score:", "channel:"]
    assert repl.complete_as("b", "as b", 3, 4) == ["Ben"]

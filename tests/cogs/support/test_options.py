"""Reading the thread and message options members type or paste."""

from __future__ import annotations

import pytest

from bot.errors import InvalidValue
from cogs.support.options import parse_message_ref, parse_thread_ref

THREAD = 1_300_000_000_000_000_001
MESSAGE = 1_300_000_000_000_000_002
GUILD = 1_200_000_000_000_000_000


@pytest.mark.parametrize("text", [
    str(THREAD), f"<#{THREAD}>", f" {THREAD} ",
    f"https://discord.com/channels/{GUILD}/{THREAD}",
    f"https://ptb.discord.com/channels/{GUILD}/{THREAD}/{MESSAGE}",
    f"https://discordapp.com/channels/{GUILD}/{THREAD}/",
])
def test_parse_thread_ref(text: str) -> None:
    """An id, a mention or a link all name the thread."""
    assert parse_thread_ref(text) == THREAD


@pytest.mark.parametrize("text", ["tomorrow", "#films", "12", "https://example.com/x"])
def test_parse_thread_ref_refuses(text: str) -> None:
    """Anything else is a one-line error."""
    with pytest.raises(InvalidValue, match="is not a thread"):
        parse_thread_ref(text)


@pytest.mark.parametrize(("text", "guild"), [
    (str(MESSAGE), GUILD),
    (f"https://discord.com/channels/{GUILD}/{THREAD}/{MESSAGE}", GUILD),
    (f"https://canary.discord.com/channels/{GUILD}/{THREAD}/{MESSAGE}", None),
])
def test_parse_message_ref(text: str, guild: int | None) -> None:
    """A message id or its link (Copy Message Link)."""
    assert parse_message_ref(text, guild) == MESSAGE


@pytest.mark.parametrize(("text", "message"), [
    (f"https://discord.com/channels/{GUILD}/{THREAD}", "a channel, not a message"),
    (f"https://discord.com/channels/1/{THREAD}/{MESSAGE}", "in another server"),
    ("hello", "is not a message"),
])
def test_parse_message_ref_refuses(text: str, message: str) -> None:
    """A channel link, another server's message or text: one-line errors."""
    with pytest.raises(InvalidValue, match=message):
        parse_message_ref(text, GUILD)

"""Posting exactly once when Discord does not answer in time.

discord.py already waits out 429s and retries 5xx answers, but a call that never gets an
answer is a different case: it may or may not have taken effect. Sending a message is
retried with the same nonce (discord.py sends ``enforce_nonce``), so Discord hands back
the message the first try made instead of posting another; opening a thread on a message
is retried and, when Discord says the thread already exists, that thread is fetched.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any

import discord

from bot.errors import FilmclubError

log = logging.getLogger(__name__)

ATTEMPTS = 3
THREAD_ALREADY_CREATED = 160004  # Discord's error code: this message already has a thread


def _gave_up(what: str, wait: float) -> FilmclubError:
    return FilmclubError(
        f"Discord did not answer {what} within {wait:g} s, {ATTEMPTS} times; try again later.")


async def send_once(channel: discord.abc.Messageable, *, wait: float,
                    **fields: Any) -> discord.Message:
    """``channel.send(**fields)``, retried after ``wait`` seconds without ever posting twice."""
    nonce = secrets.randbits(63)
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await asyncio.wait_for(channel.send(nonce=nonce, **fields), wait)
        except TimeoutError:
            log.warning("sending to channel %s: no answer within %gs (try %d of %d)",
                        getattr(channel, "id", "?"), wait, attempt, ATTEMPTS)
    raise _gave_up("when posting", wait)


async def open_thread_once(message: discord.Message, *, wait: float,
                           **fields: Any) -> discord.Thread:
    """``message.create_thread(**fields)``, retried after ``wait`` seconds; never two threads."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await asyncio.wait_for(message.create_thread(**fields), wait)
        except TimeoutError:
            log.warning("opening a thread on message %d: no answer within %gs (try %d of %d)",
                        message.id, wait, attempt, ATTEMPTS)
        except discord.HTTPException as exc:
            if exc.code != THREAD_ALREADY_CREATED or message.guild is None:
                raise
            thread = await message.guild.fetch_channel(message.id)  # an earlier try made it
            if not isinstance(thread, discord.Thread):
                raise
            return thread
    raise _gave_up("when opening the thread", wait)

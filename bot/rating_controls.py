"""The "Rate the film" control on prompts posted before it existed (issue 17).

Every prompt carries the control: a prompt posted today gets it as it is posted, and
the store notes that it did. Prompts posted by an older filmclub have no such note; the
catch-up (``add_missing``) looks at each of them once, newest first (the ones members
are most likely to rate), and has the adapter add the control where it is missing.
It goes one prompt at a time, ``PACE`` seconds apart, far inside Discord's limits for
editing messages, so a server with hundreds of old prompts is brought up to date in a
few minutes without slowing anything else the bot sends.

What the adapter answers for a prompt decides what happens next:

- ``added``: the control (and the Rating line) was put on the prompt; noted.
- ``present``: the prompt had it already (posted by a version that added it); noted.
- ``gone``: the prompt's message no longer exists; noted, nothing more to do.
- ``later``: not possible now (an archived forum post, a passing error); tried again
  at the next catch-up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from bot.models import Prompt

if TYPE_CHECKING:
    from bot.store.base import Store

log = logging.getLogger(__name__)

Outcome = Literal["added", "present", "gone", "later"]
#: Outcomes the store keeps, so the prompt is not looked at again.
SETTLED: frozenset[str] = frozenset({"added", "present", "gone"})
#: Seconds between two prompts of the catch-up, at least.
PACE = 1.0


@dataclass(slots=True)
class ControlReport:
    """What a catch-up did, prompt by prompt (thread ids per outcome)."""

    done: dict[str, list[int]] = field(default_factory=dict)

    def count(self, outcome: str) -> int:
        return len(self.done.get(outcome, []))

    def line(self) -> str:
        parts = [f"{len(ids)} {outcome}" for outcome, ids in sorted(self.done.items())]
        return ", ".join(parts) if parts else "nothing to do"


async def add_missing(store: Store, guild_ids: Collection[int],
                      ensure: Callable[[Prompt], Awaitable[Outcome]],
                      clock: Callable[[], datetime], *, only: Collection[int] | None = None,
                      pace: float | None = None,
                      sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
                      ) -> ControlReport:
    """Give every prompt of ``guild_ids`` not yet noted the control (of the threads ``only``,
    if given), newest first, one at a time ``pace`` seconds apart; an error on one prompt
    leaves it for the next catch-up."""
    interval = PACE if pace is None else pace
    report = ControlReport()
    waiting = [p for p in await store.prompts_without_rating_control(guild_ids)
               if only is None or p.thread_id in only]
    for number, prompt in enumerate(waiting):
        if number:
            await sleep(interval)
        try:
            outcome: str = await ensure(prompt)
        except Exception:
            log.warning("prompt %d: could not look at its rating control", prompt.thread_id,
                        exc_info=True)
            outcome = "later"
        if outcome in SETTLED:
            await store.note_rating_control(prompt.thread_id, outcome, clock())
        report.done.setdefault(outcome, []).append(prompt.thread_id)
    if waiting:
        log.info("rating controls of older prompts: %s", report.line())
    return report

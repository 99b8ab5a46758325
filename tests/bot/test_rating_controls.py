"""The catch-up that puts the rating control on older prompts (bot.rating_controls)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime

from bot.models import Article, Prompt
from bot.rating_controls import Outcome, add_missing

T0 = datetime(2026, 12, 1, tzinfo=UTC)


class Notes:
    """The two store methods the catch-up uses, in memory."""

    def __init__(self, prompts: list[Prompt]) -> None:
        self.prompts = prompts
        self.noted: dict[int, str] = {}

    async def prompts_without_rating_control(self, guild_ids: Collection[int]) -> list[Prompt]:
        return [p for p in self.prompts if p.guild_id in guild_ids
                and p.thread_id not in self.noted]

    async def note_rating_control(self, thread_id: int, outcome: str, at: datetime) -> None:
        self.noted[thread_id] = outcome


def prompt(thread_id: int, guild_id: int = 1) -> Prompt:
    return Prompt(thread_id=thread_id, guild_id=guild_id, channel_id=5, message_id=thread_id,
                  article=Article(slug=f"a{thread_id}", title="A film"), posted_at=T0)


async def test_outcomes_noted_and_paced() -> None:
    """Added, present and gone are noted; later and errors are left for the next catch-up;
    every prompt after the first waits the pace; other servers are not touched."""
    answers: dict[int, Outcome | Exception] = {
        1: "added", 2: "present", 3: "gone", 4: "later", 5: RuntimeError("network")}
    notes = Notes([prompt(n) for n in answers] + [prompt(6, guild_id=2)])
    seen: list[int] = []
    slept: list[float] = []

    async def ensure(p: Prompt) -> Outcome:
        seen.append(p.thread_id)
        answer = answers[p.thread_id]
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    report = await add_missing(notes, [1], ensure, lambda: T0,  # type: ignore[arg-type]
                               pace=2.5, sleep=sleep)
    assert seen == [1, 2, 3, 4, 5]
    assert slept == [2.5] * 4
    assert notes.noted == {1: "added", 2: "present", 3: "gone"}
    assert report.done == {"added": [1], "present": [2], "gone": [3], "later": [4, 5]}
    assert report.line() == "1 added, 1 gone, 2 later, 1 present"
    again = await add_missing(notes, [1], ensure, lambda: T0,  # type: ignore[arg-type]
                              pace=0, sleep=sleep)
    assert again.done == {"later": [4, 5]}

"""Gateway events as Discord really sends them, generated: the store ends as "once, in order".

Hypothesis writes random discussions (messages, replies, edits, unfurls, deletes, bulk
deletes, deletes of messages never seen, votes and reactions added, removed, cleared all at
once or per emoji), then delivers their events to the real bot through the emulator the way
the gateway may: a message's events out of order (an edit, a delete or a reaction before
its create), and replayed stretches (a resumed session sends events again). Reaction events
keep their order among themselves, as raw reaction events carry no time. The store is then
compared with a plain model of the discussion played once, in order.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.models import Prompt, snowflake_time, utcnow
from bot.store import DEFAULT_VOTE_VALUES, vote_key
from tests.e2e.harness import RunningBot, World
from tests.e2e.test_discussion import ARTICLE

EMOJI = ["👍", "👎", "🍿"]
TEXTS = ["first take", "second take", "a reply", "", "é😀\u202e", "first take"]
MESSAGE_EVENTS = {"MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE", "MESSAGE_DELETE_BULK"}

# Abstract steps; indexes pick among the members, live messages, texts and emoji.
say = st.tuples(st.just("say"), st.integers(0, 2), st.integers(0, len(TEXTS) - 1),
                st.none() | st.integers(0, 30))
edit = st.tuples(st.just("edit"), st.integers(0, 30), st.integers(0, len(TEXTS) - 1))
unfurl = st.tuples(st.just("unfurl"), st.integers(0, 30))
delete = st.tuples(st.just("delete"), st.integers(0, 30))
bulk = st.tuples(st.just("bulk"), st.lists(st.integers(0, 30), min_size=1, max_size=3))
ghost = st.tuples(st.just("ghost"))
react = st.tuples(st.just("react"), st.integers(0, 2), st.integers(0, 30),
                  st.integers(0, len(EMOJI) - 1))
unreact = st.tuples(st.just("unreact"), st.integers(0, 2), st.integers(0, 30),
                    st.integers(0, len(EMOJI) - 1))
clear = st.tuples(st.just("clear"), st.integers(0, 30))
clear_emoji = st.tuples(st.just("clear_emoji"), st.integers(0, 30),
                        st.integers(0, len(EMOJI) - 1))
steps = st.lists(st.one_of(say, say, edit, unfurl, delete, bulk, ghost, react, react, unreact,
                           clear, clear_emoji), min_size=1, max_size=40)
# Delivery: how late each message event may come, and stretches replayed.
delivery = st.tuples(st.lists(st.integers(0, 12), min_size=80, max_size=80),
                     st.lists(st.tuples(st.integers(0, 100), st.integers(1, 8)), max_size=3))


@dataclass
class Model:
    """The discussion as it happened: what the store must show."""

    texts: dict[int, list[str]] = field(default_factory=dict)  # id -> every text, in order
    authors: dict[int, int] = field(default_factory=dict)
    parents: dict[int, int | None] = field(default_factory=dict)
    deleted: set[int] = field(default_factory=set)
    reactions: dict[int, list[tuple[int, str]]] = field(default_factory=dict)  # in add order

    def live(self) -> list[int]:
        return [m for m in self.texts if m not in self.deleted]

    def expected(self) -> dict[int, tuple[Any, ...]]:
        rows = {}
        for mid, texts in self.texts.items():
            kept = [t for i, t in enumerate(texts) if i == 0 or t != texts[i - 1]]
            held = self.reactions.get(mid, [])
            latest: dict[int, int] = {}
            for user, emoji in held:  # the newest vote of each member counts
                value = DEFAULT_VOTE_VALUES.get(vote_key(emoji), 0)
                if value:
                    latest[user] = value
            rows[mid] = (self.authors[mid], self.parents[mid], kept[-1], tuple(kept[:-1]),
                         mid in self.deleted, frozenset(held), sum(latest.values()))
        return rows


class Script:
    """Turns abstract steps into the gateway events of one thread, in Discord's order."""

    def __init__(self, world: World, thread: int) -> None:
        self.world = world
        self.thread = thread
        self.model = Model()
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.payloads: dict[int, dict[str, Any]] = {}
        self.edits = itertools.count(1)

    def base(self) -> dict[str, Any]:
        return {"channel_id": str(self.thread), "guild_id": str(self.world.guild.id)}

    def pick(self, index: int) -> int | None:
        live = self.model.live()
        return live[index % len(live)] if live else None

    def play(self, steps: list[tuple[Any, ...]]) -> None:
        for step in steps:
            getattr(self, step[0])(*step[1:])

    def say(self, author: int, text: int, reply: int | None) -> None:
        member = self.world.members[author]
        parent = self.pick(reply) if reply is not None else None
        payload = self.world.emu.build_message(member.id, self.thread, TEXTS[text],
                                               reply_to=parent)  # kept: replies can find it
        mid = int(payload["id"])
        self.payloads[mid] = payload
        self.model.texts[mid] = [TEXTS[text]]
        self.model.authors[mid] = member.id
        self.model.parents[mid] = parent
        self.events.append(("MESSAGE_CREATE", payload))

    def edit(self, index: int, text: int) -> None:
        mid = self.pick(index)
        if mid is None:
            return
        stamp = snowflake_time(mid) + timedelta(seconds=next(self.edits))
        payload = {**self.payloads[mid], "content": TEXTS[text],
                   "edited_timestamp": stamp.isoformat()}
        self.payloads[mid] = payload
        self.model.texts[mid].append(TEXTS[text])
        self.events.append(("MESSAGE_UPDATE", payload))

    def unfurl(self, index: int) -> None:
        mid = self.pick(index)
        if mid is not None:  # a link preview: an update that is not an edit
            embed = {"type": "article", "url": "https://example.com/", "title": "preview"}
            self.events.append(("MESSAGE_UPDATE", {**self.payloads[mid], "embeds": [embed]}))

    def delete(self, index: int) -> None:
        mid = self.pick(index)
        if mid is not None:
            self.model.deleted.add(mid)
            self.events.append(("MESSAGE_DELETE", {"id": str(mid), **self.base()}))

    def bulk(self, indexes: list[int]) -> None:
        ids = sorted({m for m in (self.pick(i) for i in indexes) if m is not None})
        if ids:
            self.model.deleted.update(ids)
            self.events.append(("MESSAGE_DELETE_BULK",
                                {"ids": [str(m) for m in ids], **self.base()}))

    def ghost(self) -> None:
        never_seen = self.world.emu.message_payload(self.world.members[0].id, self.thread, "x")
        self.events.append(("MESSAGE_DELETE", {"id": never_seen["id"], **self.base()}))

    def _reaction(self, name: str, user: int, mid: int, emoji: str) -> None:
        data: dict[str, Any] = {"user_id": str(self.world.members[user].id),
                                "message_id": str(mid), "emoji": {"id": None, "name": emoji},
                                "burst": False, "type": 0, **self.base()}
        if name == "MESSAGE_REACTION_ADD":
            data.update(message_author_id=str(self.model.authors[mid]), burst_colors=[])
        self.events.append((name, data))

    def react(self, user: int, index: int, emoji: int) -> None:
        mid = self.pick(index)
        held = self.model.reactions.setdefault(mid, []) if mid is not None else []
        pair = (self.world.members[user].id, EMOJI[emoji])
        if mid is not None and pair not in held:
            held.append(pair)
            self._reaction("MESSAGE_REACTION_ADD", user, mid, EMOJI[emoji])

    def unreact(self, user: int, index: int, emoji: int) -> None:
        mid = self.pick(index)
        pair = (self.world.members[user].id, EMOJI[emoji])
        if mid is not None and pair in self.model.reactions.get(mid, []):
            self.model.reactions[mid].remove(pair)
            self._reaction("MESSAGE_REACTION_REMOVE", user, mid, EMOJI[emoji])

    def clear(self, index: int) -> None:
        mid = self.pick(index)
        if mid is not None:
            self.model.reactions[mid] = []
            self.events.append(("MESSAGE_REACTION_REMOVE_ALL",
                                {"message_id": str(mid), **self.base()}))

    def clear_emoji(self, index: int, emoji: int) -> None:
        mid = self.pick(index)
        if mid is not None:
            held = self.model.reactions.get(mid, [])
            self.model.reactions[mid] = [p for p in held if p[1] != EMOJI[emoji]]
            self.events.append(("MESSAGE_REACTION_REMOVE_EMOJI", {
                "message_id": str(mid), "emoji": {"id": None, "name": EMOJI[emoji]},
                **self.base()}))

    def delivered(self, lateness: list[int], replays: list[tuple[int, int]]
                  ) -> list[tuple[str, dict[str, Any]]]:
        """The events as the gateway may deliver them (see the module docstring)."""
        keyed = []
        for i, (name, data) in enumerate(self.events):
            late = lateness[i % len(lateness)] if name in MESSAGE_EVENTS else 0
            keyed.append(((i + late, i), (name, data)))
        order = [event for _, event in sorted(keyed, key=lambda pair: pair[0])]
        for start, length in replays if order else ():  # a stretch sent again, after itself
            start %= len(order)
            stretch = order[start:start + length]
            order[start + length:start + length] = stretch
        return order


async def new_thread(world: World, runner: RunningBot) -> int:
    """A prompt thread for one example (made directly: the prompt cog is tested elsewhere)."""
    assert runner.bot is not None
    starter = await world.emu.say(world.mod.id, world.channel.id, "prompt")
    thread = world.emu.add_thread(world.channel.id, "example", message_id=int(starter["id"]))
    article = runner.bot.library.get(ARTICLE)
    await runner.bot.store.add_prompt(Prompt(thread.id, world.guild.id, world.channel.id,
                                             thread.id, article, utcnow(), world.mod.id))
    runner.bot.prompt_threads.add(thread.id)
    return thread.id


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=steps, how=delivery)
async def test_generated_events_leave_the_store_as_once_in_order(
        world: World, running: RunningBot, steps: list[tuple[Any, ...]],
        how: tuple[list[int], list[tuple[int, int]]]) -> None:
    """Any discussion, delivered late, out of order or twice, is stored as it happened."""
    thread = await new_thread(world, running)
    script = Script(world, thread)
    script.play(steps)
    for name, payload in script.delivered(*how):
        await world.emu.dispatch(name, payload)
    stored = {
        c.id: (c.author_id, c.parent_id, c.content, tuple(r.content for r in c.revisions),
               c.deleted, frozenset((r.user_id, r.emoji) for r in c.reactions), c.score)
        for c in await running.comments(thread)
    }
    assert stored == script.model.expected()

"""Which prompt threads an answer may draw from: the ones whoever asked can see.

On Discord a member reads a thread only with View Channel and Read Message History
in it (a staff channel denies them to @everyone). The Discord adapter works out which
prompt threads a member can see and passes them here as a :class:`Visible`; every
query that answers a member (/top, /leaderboard, /stats, exports, the audit log) takes
one, without a default, so no answer can forget it. The command line runs on the
host with the whole database, and passes :data:`EVERY_THREAD`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Visible:
    """The prompt threads an answer may use: a set of thread ids, or every thread.

    ``channel_ids`` are the channels the asker can see, for answers about channels
    rather than threads (the audit log's prompt posts); None: not given, or every one.
    """

    thread_ids: frozenset[int] | None  # None: every thread (the command line)
    channel_ids: frozenset[int] | None = None

    @classmethod
    def only(cls, thread_ids: Iterable[int], channel_ids: Iterable[int] | None = None
             ) -> Visible:
        return cls(frozenset(thread_ids),
                   None if channel_ids is None else frozenset(channel_ids))

    @property
    def everything(self) -> bool:
        return self.thread_ids is None

    def allows(self, thread_id: int) -> bool:
        return self.thread_ids is None or thread_id in self.thread_ids

    def sql(self) -> str | None:
        """The ids as a JSON array for SQLite's ``json_each`` (None: no filter)."""
        if self.thread_ids is None:
            return None
        return json.dumps(sorted(self.thread_ids))

    def channels_sql(self) -> str | None:
        """The channel ids likewise (None: no filter)."""
        if self.channel_ids is None:
            return None
        return json.dumps(sorted(self.channel_ids))

    def __repr__(self) -> str:
        if self.thread_ids is None:
            return "Visible(every thread)"
        return f"Visible({len(self.thread_ids)} threads)"


#: Every thread: for the command line, which the host's operator runs on the database.
EVERY_THREAD = Visible(None)

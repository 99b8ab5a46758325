"""A member's own data: what /mydata hands over and what /forget removes.

The store gathers the rows (``Store.member_data``, ``Store.forget_member``); this
module is the shape they are given in. Ids are strings in the JSON because
snowflakes do not fit a JavaScript number.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from bot.models import Comment

if TYPE_CHECKING:
    from bot.records.films import Rating, WatchEntry

#: What a forgotten member's comment says from then on (replies keep their place).
PLACEHOLDER = "[removed at the member's request]"
#: The author name on those comments.
REMOVED_NAME = "[removed]"


@dataclass(frozen=True, slots=True)
class CastReaction:
    """A reaction the member put on a comment (a vote when ``value`` is +1 or -1)."""

    comment_id: int
    thread_id: int
    emoji: str
    value: int
    added_at: datetime
    removed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class OwnComment:
    """One of the member's comments with where it was written."""

    comment: Comment
    guild_id: int
    article_title: str
    hidden: bool = False


@dataclass(slots=True)
class MemberData:
    """Everything the store keeps that the member wrote or cast."""

    user_id: int
    comments: list[OwnComment] = field(default_factory=list)
    reactions: list[CastReaction] = field(default_factory=list)
    forgotten_at: datetime | None = None
    #: Issue 17: the member's ratings of films, and the films they suggested.
    ratings: list[Rating] = field(default_factory=list)
    suggestions: list[WatchEntry] = field(default_factory=list)
    #: (poll message id, server id, film voted for, when) of the member's poll votes.
    poll_votes: list[tuple[int, int, str, datetime]] = field(default_factory=list)

    @property
    def votes(self) -> list[CastReaction]:
        return [r for r in self.reactions if r.value]

    @property
    def revisions(self) -> int:
        return sum(len(c.comment.revisions) for c in self.comments)

    def to_json(self, exported_at: datetime) -> str:
        """The member's data as a JSON document (indented, UTF-8 text)."""
        document = {
            "about": (
                "Everything filmclub stores that you wrote or voted: your comments in "
                "discussion threads with their earlier versions, and your reactions."
            ),
            "member_id": str(self.user_id),
            "exported_at": exported_at.isoformat(),
            "forgotten_at": self.forgotten_at.isoformat() if self.forgotten_at else None,
            "comments": [_comment_json(c) for c in self.comments],
            "votes": [_reaction_json(r) for r in self.reactions if r.value],
            "other_reactions": [_reaction_json(r) for r in self.reactions if not r.value],
            "film_ratings": [
                {"thread_id": str(r.thread_id), "stars": r.half_stars / 2,
                 "rated_at": _iso(r.rated_at)} for r in self.ratings
            ],
            "watchlist_suggestions": [
                {"server_id": str(e.guild_id), "list": e.list_name, "title": e.title,
                 "year": e.year, "note": e.note, "suggested_at": _iso(e.suggested_at),
                 "watched_at": _iso(e.watched_at)} for e in self.suggestions
            ],
            "poll_votes": [
                {"poll_message_id": str(poll), "server_id": str(guild), "film": film,
                 "voted_at": _iso(at)} for poll, guild, film, at in self.poll_votes
            ],
        }
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _comment_json(own: OwnComment) -> dict[str, object]:
    c = own.comment
    return {
        "id": str(c.id),
        "server_id": str(own.guild_id),
        "thread_id": str(c.thread_id),
        "article": own.article_title,
        "reply_to": None if c.parent_id is None else str(c.parent_id),
        "written_at": _iso(c.created_at),
        "edited_at": _iso(c.edited_at),
        "deleted_at": _iso(c.deleted_at),
        "hidden_by_moderators": own.hidden,
        "text": c.content,
        "earlier_versions": [
            {"text": r.content, "written_at": _iso(r.written_at),
             "replaced_at": _iso(r.replaced_at)}
            for r in c.revisions
        ],
        "attachments": [
            {"filename": a.filename, "url": a.url, "size": a.size} for a in c.attachments
        ],
        "score": c.score,
    }


def _reaction_json(r: CastReaction) -> dict[str, object]:
    return {
        "comment_id": str(r.comment_id),
        "thread_id": str(r.thread_id),
        "emoji": r.emoji,
        "value": r.value,
        "added_at": _iso(r.added_at),
        "removed_at": _iso(r.removed_at),
    }


@dataclass(frozen=True, slots=True)
class ForgetReport:
    """What /forget removed."""

    comments: int  # comments whose text (and name) became the placeholder
    revisions: int  # earlier versions deleted
    attachments: int
    votes: int
    reactions: int  # reactions that were not votes
    ratings: int = 0  # issue 17: film ratings deleted
    suggestions: int = 0  # watchlist films whose suggester's name was removed
    poll_votes: int = 0  # votes in film polls

    @property
    def nothing(self) -> bool:
        return not (self.comments or self.revisions or self.attachments or self.votes
                    or self.reactions or self.ratings or self.suggestions or self.poll_votes)

    def lines(self) -> list[str]:
        """One line per kind of data that was removed."""
        def count(n: int, one: str, many: str) -> str:
            return f"{n} {one if n == 1 else many}"

        lines = []
        if self.comments:
            lines.append(f"the text and your name on {count(self.comments, 'comment', 'comments')}"
                         " (each now reads “" + PLACEHOLDER + "”)")
        if self.revisions:
            lines.append(count(self.revisions, "earlier version", "earlier versions"))
        if self.attachments:
            lines.append(count(self.attachments, "attachment link", "attachment links"))
        if self.votes:
            lines.append(count(self.votes, "vote", "votes"))
        if self.reactions:
            lines.append(count(self.reactions, "other reaction", "other reactions"))
        if self.ratings:
            lines.append(count(self.ratings, "film rating", "film ratings"))
        if self.poll_votes:
            lines.append(count(self.poll_votes, "poll vote", "poll votes"))
        if self.suggestions:
            lines.append("your name on " + count(self.suggestions, "watchlist suggestion",
                                                  "watchlist suggestions")
                         + " (the films stay on the lists)")
        return lines

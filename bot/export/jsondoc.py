"""JSON in DiscordChatExporter's shape, so tools made for its exports read ours.

The root and each message use DiscordChatExporter's field names and shapes (ids as
strings, times as ISO-8601 with an offset, always UTC here). What filmclub knows beyond
that sits under one ``"filmclub"`` key at the root and one in each message:

- root ``filmclub``: ``formatVersion``, ``prompt`` (thread, guild, channel and message
  ids, ``postedAt``, ``postedBy``), ``article`` (every field of the article), ``counts``
  (``comments``, ``deleted``, ``participants``) and ``options`` (``includeDeleted``,
  ``includeRevisions``, ``sort``, ``after``, ``before``, ``minScore``, ``anonymised``,
  ``changedSince``);
- message ``filmclub``: ``parentId``, ``depth``, ``score``, ``deletedAt``, ``revisions``
  (``content``, ``writtenAt``, ``replacedAt``; filled only with include_revisions),
  ``votes`` (``userId``, ``emoji``, ``value``, ``addedAt``) and ``replyTo`` (what a reply
  answered when that comment is not in the file: ``authorId``, ``authorName``,
  ``excerpt``; null otherwise).

``counts`` count as every format does (:class:`~bot.store.base.ThreadCounts`):
``comments`` shown, ``deleted`` among those selected, ``participants`` the authors of
the comments shown. ``messageCount`` is DiscordChatExporter's: every message in the
file, deleted ones' placeholders included.

Values the store does not know (avatars, colours, roles; a name the bot never saw)
are null or empty rather than made up. A Unicode emoji's ``code`` is the emoji itself
(DiscordChatExporter's own fallback when it has no short name for one); a custom
emoji, stored as ``<:name:id>``, gets its id, name and Discord's image address.

A deleted comment keeps its place, author and links, but its text, attachments and
earlier texts are left out unless include_deleted. Names of reacting or mentioned
members are the names the bot stored for them (see :mod:`bot.records.names`), else those of
the authors seen so far (:class:`~bot.export.base.MemberNames`), and null when neither
knows them.

The document streams: the messages are written as they arrive, one message per line
(compact, so a million of them stay quick to write and easy to grep), and
``messageCount`` is written after them (JSON objects are unordered). Text is written with
``ensure_ascii=False`` and round-trips exactly. The JSON Schema of the whole document is
``export.schema.json`` in this package.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import asdict
from datetime import datetime
from importlib import resources
from typing import Any, TextIO

from bot.export.base import (
    ExportContext,
    Exporter,
    MemberNames,
    iso_time,
    ordered_reactions,
    parse_emoji,
    tally_reactions,
)
from bot.models import Comment, snowflake_time
from bot.ratings import HALF_STARS, stars_text, summary_of
from bot.store.base import Bound

FORMAT_VERSION = 1

#: How DiscordChatExporter names a public thread's channel type.
CHANNEL_TYPE = "GuildPublicThread"

_MENTION = re.compile(r"<@!?([0-9]{1,20})>")


@functools.cache
def schema_text() -> str:
    """The JSON Schema (draft 2020-12) of the whole document, as shipped in the package."""
    return resources.files("bot.export").joinpath("export.schema.json").read_text("utf-8")


def _dump(value: Any, indent: int) -> str:
    """``value`` as indented JSON, nested ``indent`` spaces deep.

    Strings never hold a raw line break (json escapes it), so every line break in the
    output is layout and can be indented.
    """
    return json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + " " * indent)


def user(user_id: int, name: str | None, *, full: bool = True) -> dict[str, Any]:
    """A member as DiscordChatExporter writes one; reaction users have no colour or roles."""
    data: dict[str, Any] = {
        "id": str(user_id),
        "name": name,
        "discriminator": "0000",
        "nickname": name,
    }
    if full:
        data["color"] = None
    data["isBot"] = False
    if full:
        data["roles"] = []
    data["avatarUrl"] = None
    return data


def emoji_image_url(emoji: str) -> str:
    """Where DiscordChatExporter points for an emoji's picture (Discord's CDN or Twemoji)."""
    parts = parse_emoji(emoji)
    if parts.id is not None:
        return f"https://cdn.discordapp.com/emojis/{parts.id}.{'gif' if parts.animated else 'png'}"
    points = [ord(ch) for ch in emoji]
    if 0x200D not in points:
        points = [p for p in points if p != 0xFE0F]
    return ("https://cdn.jsdelivr.net/gh/twitter/twemoji@latest/assets/svg/"
            + "-".join(f"{p:x}" for p in points) + ".svg")


def _range_time(bound: Bound | None) -> str | None:
    """A window bound as DiscordChatExporter's ``dateRange`` has it: a time (a message
    id stands for the moment it was written)."""
    if bound is None:
        return None
    return iso_time(bound if isinstance(bound, datetime) else snowflake_time(bound))


def _bound_text(bound: Bound | None) -> str | None:
    """A window bound as given: a time, or a message id as a string."""
    if bound is None:
        return None
    return iso_time(bound) if isinstance(bound, datetime) else str(bound)


def root_head(context: ExportContext) -> dict[str, Any]:
    """Everything in the root object that comes before ``messages``."""
    head = _root_head(context)
    if context.ratings:  # issue 17: only when there are some (older exports stay the same)
        summary = summary_of(context.ratings)
        counts = Counter(context.ratings)
        head["filmclub"]["ratings"] = {
            "count": summary.count, "average": round(summary.average or 0, 4),
            "distribution": {stars_text(step): counts.get(step, 0) for step in HALF_STARS}}
    if context.chosen_by:
        head["filmclub"]["chosenBy"] = context.chosen_by
    if context.film is not None:  # issue 18: only when known (older exports stay the same)
        head["filmclub"]["film"] = context.film.to_json()
    return head


def _root_head(context: ExportContext) -> dict[str, Any]:
    prompt = context.prompt
    return {
        "guild": {"id": str(prompt.guild_id), "name": context.guild_name, "iconUrl": None},
        "channel": {
            "id": str(prompt.thread_id),
            "type": CHANNEL_TYPE,
            # DiscordChatExporter puts a thread's parent channel under "category".
            "categoryId": str(prompt.channel_id),
            "category": context.parent_name,
            "name": context.thread_name or prompt.article.title,
            "topic": None,
        },
        "dateRange": {"after": _range_time(context.options.after),
                      "before": _range_time(context.options.before)},
        "exportedAt": iso_time(context.exported_at),
        "filmclub": {
            "formatVersion": FORMAT_VERSION,
            "prompt": {
                "threadId": str(prompt.thread_id),
                "guildId": str(prompt.guild_id),
                "channelId": str(prompt.channel_id),
                "messageId": str(prompt.message_id),
                "postedAt": iso_time(prompt.posted_at),
                "postedBy": None if prompt.posted_by is None else str(prompt.posted_by),
                "spoilers": prompt.spoilers,
            },
            "article": {**asdict(prompt.article),
                        "questions": list(prompt.article.questions),
                        "tags": list(prompt.article.tags)},
            "counts": asdict(context.counts),
            "options": {"includeDeleted": context.options.include_deleted,
                        "includeRevisions": context.options.include_revisions,
                        "sort": context.options.sort,
                        "after": _bound_text(context.options.after),
                        "before": _bound_text(context.options.before),
                        "minScore": context.options.min_score,
                        "anonymised": context.options.anonymise,
                        "changedSince": iso_time(context.since) if context.since else None},
        },
    }


def message(comment: Comment, context: ExportContext, names: MemberNames) -> dict[str, Any]:
    """One comment as a DiscordChatExporter message with filmclub's fields beside."""
    prompt = context.prompt
    note = context.reply_notes.pop(comment.id, None)
    shown = not comment.deleted or context.options.include_deleted
    content = comment.content if shown else ""
    mentioned = list(dict.fromkeys(int(m) for m in _MENTION.findall(content)))
    return {
        "id": str(comment.id),
        "type": "Reply" if comment.parent_id is not None else "Default",
        "timestamp": iso_time(comment.created_at),
        "timestampEdited": iso_time(comment.edited_at) if comment.edited_at else None,
        "callEndedTimestamp": None,
        "isPinned": False,
        "content": content,
        "author": user(comment.author_id, comment.author_name),
        "attachments": [
            {"id": str(a.id), "url": a.url, "fileName": a.filename, "fileSizeBytes": a.size}
            for a in (comment.attachments if shown else [])
        ],
        "embeds": [],
        "stickers": [],
        "reactions": [
            {
                "emoji": {
                    "id": "" if (parts := parse_emoji(t.emoji)).id is None else str(parts.id),
                    "name": parts.name,
                    "code": parts.name,
                    "isAnimated": parts.animated,
                    "imageUrl": emoji_image_url(t.emoji),
                },
                "count": t.count,
                "users": [user(uid, names.get(uid), full=False) for uid in t.user_ids],
            }
            for t in tally_reactions(comment)
        ],
        "mentions": [user(uid, names.get(uid)) for uid in mentioned],
        "reference": None if comment.parent_id is None else {
            "messageId": str(comment.parent_id),
            "channelId": str(prompt.thread_id),
            "guildId": str(prompt.guild_id),
        },
        "filmclub": {
            "parentId": None if comment.parent_id is None else str(comment.parent_id),
            "depth": comment.depth,
            "score": comment.score,
            "deletedAt": iso_time(comment.deleted_at) if comment.deleted_at else None,
            "revisions": [
                {"content": r.content, "writtenAt": iso_time(r.written_at),
                 "replacedAt": iso_time(r.replaced_at)}
                for r in (comment.revisions
                          if shown and context.options.include_revisions else [])
            ],
            "votes": [
                {"userId": str(r.user_id), "emoji": r.emoji, "value": r.value,
                 "addedAt": iso_time(r.added_at)}
                for r in ordered_reactions(comment) if r.value != 0
            ],
            "replyTo": None if note is None else {
                "authorId": None if note.author_id is None else str(note.author_id),
                "authorName": note.author,
                "excerpt": note.excerpt,
            },
        },
    }


class JsonExporter(Exporter):
    name = "json"
    extension = "json"
    media_type = "application/json"
    label = "JSON"
    readable = False
    shows_voters = True
    shows_deleted_authors = True

    async def write(self, context: ExportContext, comments: AsyncIterator[Comment],
                    out: TextIO) -> int:
        out.write("{\n")
        for key, value in root_head(context).items():
            out.write(f"  {_dump(key, 2)}: {_dump(value, 2)},\n")
        out.write('  "messages": [')
        names = MemberNames(context.members)
        written = 0
        async for comment in comments:
            names.learn(comment)
            out.write(",\n    " if written else "\n    ")
            out.write(json.dumps(message(comment, context, names), ensure_ascii=False))
            written += 1
        out.write("\n  ],\n" if written else "],\n")
        out.write(f'  "messageCount": {written}\n}}\n')
        return written

"""How the SQL store keeps values: times as UTC ISO-8601 text, articles as JSON,
lists of ids as one JSON array. Shared by every role of ``SQLStore`` (``bot.store.sql_store``)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict
from datetime import UTC, datetime

from bot.models import Article


def ts(value: datetime) -> str:
    """A datetime as the store keeps it: UTC ISO-8601 with microseconds (sorts as text)."""
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        value = value.astimezone(UTC)
    return value.isoformat(timespec="microseconds")


def parse_ts(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def article_to_json(article: Article) -> str:
    return json.dumps(asdict(article), ensure_ascii=False)


def article_from_json(text: str) -> Article:
    data = json.loads(text)
    data["questions"] = tuple(data.get("questions") or ())
    data["tags"] = tuple(data.get("tags") or ())
    return Article(**data)


def _ids_param(ids: Iterable[int]) -> tuple[str]:
    """Comment ids as the one parameter of an ``_IN_IDS`` query."""
    return (json.dumps(list(ids)),)

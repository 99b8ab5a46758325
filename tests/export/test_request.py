"""What to export: bounds as people type them, checked options, scopes and their keys."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

import pytest

from bot.errors import InvalidValue, NotFound
from bot.export import ExportOptions, ExportRequest, resolve_scope, scope_key
from bot.export.request import build_options, parse_bound
from bot.store import Store
from tests import discussion

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(("text", "zone", "expected"), [
    ("2026-11-01", UTC, datetime(2026, 11, 1, tzinfo=UTC)),
    ("2026-11-01", PARIS, datetime(2026, 10, 31, 23, 0, tzinfo=UTC)),
    ("2026-11-01 20:30", UTC, datetime(2026, 11, 1, 20, 30, tzinfo=UTC)),
    ("2026-11-01T20:30+02:00", UTC, datetime(2026, 11, 1, 18, 30, tzinfo=UTC)),
    ("2026-11-01T20:30Z", PARIS, datetime(2026, 11, 1, 20, 30, tzinfo=UTC)),
    (" 1437000000000000000 ", UTC, 1437000000000000000),
    ("123456789012345", UTC, 123456789012345),
])
def test_parse_bound_reads_dates_and_message_ids(text: str, zone: tzinfo,
                                                  expected: datetime | int) -> None:
    """Dates are midnight in the zone given, with a time or offset if typed; digits are ids."""
    parsed = parse_bound(text, zone)
    assert parsed == expected
    if isinstance(parsed, datetime):
        assert parsed.tzinfo is UTC


@pytest.mark.parametrize("text", ["yesterday", "", "12345", "2026-13-01", "1" * 21, "٣٣٣"])
def test_parse_bound_refuses_other_text_in_one_line(text: str) -> None:
    """Words, short numbers, impossible dates: InvalidValue naming the option."""
    with pytest.raises(InvalidValue, match=r"^before: .* is neither a date") as caught:
        parse_bound(text, name="before")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(("options", "message"), [
    ({"sort": "loudest"}, "sort: 'loudest' is not one of oldest, newest, top"),
    ({"after": "2026-11-02", "before": "2026-11-01"}, "after must be earlier than before"),
    ({"after": "2026-11-01", "before": "2026-11-01"}, "after must be earlier than before"),
    ({"after": "1437000000000000000", "before": "2015-01-02"},
     "after must be earlier than before"),
    ({"min_score": 10**7}, "min score: 10000000 is out of range"),
])
def test_build_options_refuses_what_cannot_work(options: dict[str, object],
                                                message: str) -> None:
    """An unknown sort, an empty window or an absurd score: one line saying which."""
    with pytest.raises(InvalidValue, match=message):
        build_options(**options)  # type: ignore[arg-type]


def test_build_options_keeps_what_was_asked() -> None:
    """Every option arrives in ExportOptions, bounds parsed in the zone given."""
    options = build_options(sort="top", after="2025-01-01", before="1437000000000000000",
                            min_score=-2, include_deleted=True, include_revisions=True,
                            anonymise=True, zone=PARIS)
    assert options == ExportOptions(
        include_deleted=True, include_revisions=True, sort="top",
        after=datetime(2024, 12, 31, 23, tzinfo=UTC), before=1437000000000000000,
        min_score=-2, anonymise=True)


BASE = ExportRequest("thread", 1, "md")
VARIANTS = {
    "another thread": ExportRequest("thread", 2, "md"),
    "a server": ExportRequest("guild", 1, "md"),
    "another format": ExportRequest("thread", 1, "json"),
    "sorted": ExportRequest("thread", 1, "md", ExportOptions(sort="top")),
    "after": ExportRequest("thread", 1, "md", ExportOptions(after=5)),
    "before": ExportRequest("thread", 1, "md",
                            ExportOptions(before=datetime(2026, 1, 1, tzinfo=UTC))),
    "min score": ExportRequest("thread", 1, "md", ExportOptions(min_score=0)),
    "deleted": ExportRequest("thread", 1, "md", ExportOptions(include_deleted=True)),
    "revisions": ExportRequest("thread", 1, "md", ExportOptions(include_revisions=True)),
    "anonymised": ExportRequest("thread", 1, "md", ExportOptions(anonymise=True)),
    "hidden": ExportRequest("thread", 1, "md", include_hidden=True),
}


@pytest.mark.parametrize("other", list(VARIANTS.values()), ids=list(VARIANTS))
def test_scope_key_tells_different_exports_apart(other: ExportRequest) -> None:
    """Scope, target, format and every option that changes the file change the key."""
    assert other.key != BASE.key


def test_scope_key_ignores_since_last_and_equal_times() -> None:
    """since_last is not part of "the same export"; one moment in two zones is one key."""
    paris = datetime(2026, 1, 1, 1, tzinfo=PARIS)
    utc = paris.astimezone(UTC)
    assert ExportRequest("thread", 1, "md", since_last=True).key == BASE.key
    assert (scope_key("thread", 1, "md", ExportOptions(after=paris))
            == scope_key("thread", 1, "md", ExportOptions(after=utc)))


@pytest.fixture
async def sample(store: Store) -> Store:
    await discussion.build(store)
    return store


@pytest.mark.parametrize(("given", "expected"), [
    ({"thread": discussion.THREAD}, ("thread", discussion.THREAD)),
    ({"prompt": discussion.PROMPT.message_id}, ("thread", discussion.THREAD)),
    ({"guild": discussion.PROMPT.guild_id}, ("guild", discussion.PROMPT.guild_id)),
])
async def test_resolve_scope_finds_what_was_named(sample: Store, given: dict[str, int],
                                                  expected: tuple[str, int]) -> None:
    """A thread, a prompt (by message id) or a server with prompts."""
    assert await resolve_scope(sample, **given) == expected


@pytest.mark.parametrize(("given", "message"), [
    ({"thread": 5}, "there is no prompt thread 5 in the database"),
    ({"prompt": 5}, "no prompt has the message or thread id 5"),
    ({"guild": 5}, "server 5 has no prompts in the database"),
])
async def test_resolve_scope_refuses_unknown_ids(sample: Store, given: dict[str, int],
                                                 message: str) -> None:
    """An id the database does not know: NotFound, one line naming it."""
    with pytest.raises(NotFound, match=message):
        await resolve_scope(sample, **given)

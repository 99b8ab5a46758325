"""What /mydata hands over and how /forget says what it removed."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.models import Comment, Revision
from bot.records.member_data import PLACEHOLDER, CastReaction, ForgetReport, MemberData, OwnComment

AT = datetime(2026, 11, 1, 20, 0, tzinfo=UTC)


def test_member_data_json_has_comments_versions_and_votes() -> None:
    """Ids are strings; votes and other reactions are apart; versions come with times."""
    comment = Comment(id=2**60, thread_id=7, author_id=1, author_name="Ana", content="now",
                      created_at=AT, revisions=[Revision("before", AT, AT)])
    data = MemberData(1, comments=[OwnComment(comment, 9, "Vertigo", hidden=True)], reactions=[
        CastReaction(5, 7, "👍", 1, AT), CastReaction(6, 7, "🎬", 0, AT)])
    document = json.loads(data.to_json(AT))
    (shown,) = document["comments"]
    assert shown["id"] == str(2**60) and shown["server_id"] == "9"
    assert shown["hidden_by_moderators"] is True and shown["text"] == "now"
    assert shown["earlier_versions"] == [
        {"text": "before", "written_at": AT.isoformat(), "replaced_at": AT.isoformat()}]
    assert [v["emoji"] for v in document["votes"]] == ["👍"]
    assert [v["emoji"] for v in document["other_reactions"]] == ["🎬"]
    assert data.revisions == 1 and len(data.votes) == 1


def test_forget_report_lines_name_what_was_removed() -> None:
    """One line per kind of data, singular or plural; nothing when nothing was removed."""
    report = ForgetReport(comments=2, revisions=1, attachments=0, votes=3, reactions=1)
    assert report.lines() == [
        f"the text and your name on 2 comments (each now reads “{PLACEHOLDER}”)",
        "1 earlier version", "3 votes", "1 other reaction"]
    assert ForgetReport(0, 0, 0, 0, 0).nothing
    assert not report.nothing

"""Discord's native polls in the emulator (issue 17): a message sent with ``poll``, members'
votes as MESSAGE_POLL_VOTE_ADD / _REMOVE events (intent GUILD_MESSAGE_POLLS), the voters
of an answer (``GET /channels/{c}/polls/{m}/answers/{a}``), ending one early
(``POST /channels/{c}/polls/{m}/expire``) or at its expiry, the results in the message's
``poll.results`` and the poll-result message (type 46) Discord posts when a poll ends.

``Polls`` holds both sides (the state is ``DiscordModel.poll_votes`` and the message's
``poll``); ``create_poll`` is what creating a message calls.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .constants import ErrorCode, MessageType
from .model import Event
from .validation import ApiError, add_error, invalid_form_body

if TYPE_CHECKING:
    from .model import DiscordModel
    from .rest import ApiRequest

QUESTION_LIMIT = 300
ANSWER_LIMIT = 55  # Discord's documentation; the OpenAPI schema allows 300
DEFAULT_HOURS = 24
VOTERS_LIMIT = 100
#: Discord's JSON error code for acting on a poll that has ended.
POLL_EXPIRED = 520001


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def create_poll(body: Mapping[str, Any]) -> dict[str, Any]:
    """The ``poll`` of a new message from the request's (schema-valid) ``poll``; 400 if not."""
    errors: dict[str, Any] = {}
    question = (body.get("question") or {}).get("text") or ""
    if not question.strip():
        add_error(errors, ["poll", "question", "text"], "BASE_TYPE_REQUIRED",
                  "This field is required")
    elif len(question) > QUESTION_LIMIT:
        add_error(errors, ["poll", "question", "text"], "BASE_TYPE_BAD_LENGTH",
                  f"Must be between 1 and {QUESTION_LIMIT} in length.")
    answers = []
    for index, answer in enumerate(body.get("answers") or []):
        text = (answer.get("poll_media") or {}).get("text") or ""
        if not text.strip() or len(text) > ANSWER_LIMIT:
            add_error(errors, ["poll", "answers", index, "poll_media", "text"],
                      "BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {ANSWER_LIMIT} in length.")
        answers.append({"answer_id": index + 1, "poll_media": {"text": text}})
    if errors:
        raise invalid_form_body(errors)
    hours = body.get("duration") or DEFAULT_HOURS
    return {
        "question": {"text": question},
        "answers": answers,
        "expiry": _iso(datetime.now(UTC) + timedelta(hours=hours)),
        "allow_multiselect": bool(body.get("allow_multiselect")),
        "layout_type": body.get("layout_type") or 1,
        "results": {"is_finalized": False,
                    "answer_counts": []},
    }


class Polls:
    """Members vote and take votes back, a poll runs out; the bot reads voters and ends polls."""

    def __init__(self, model: DiscordModel) -> None:
        self.model = model

    def routes(self, add: Callable[..., None]) -> None:
        """Register the REST routes of polls."""
        add("GET", "/channels/{channel_id}/polls/{message_id}/answers/{answer_id}",
            self.rest_answer_voters)
        add("POST", "/channels/{channel_id}/polls/{message_id}/expire", self.rest_expire)

    # ---- members act, the poll ends ------------------------------------------------------------

    def _poll(self, message_id: int | str) -> tuple[dict[str, Any], dict[str, Any]]:
        msg = self.model.message(message_id)
        poll = msg.get("poll")
        if not poll:
            raise LookupError(f"message {message_id} has no poll")
        return msg, poll

    def poll_votes(self, message_id: int | str) -> dict[int, list[int]]:
        """Answer id -> the members who voted for it (what Discord holds)."""
        votes = self.model.poll_votes.get(int(message_id), {})
        return {answer: sorted(users) for answer, users in votes.items() if users}

    def _count(self, msg: dict[str, Any]) -> None:
        votes = self.model.poll_votes.get(int(msg["id"]), {})
        msg["poll"]["results"]["answer_counts"] = [
            {"id": answer, "count": len(users), "me_voted": False}
            for answer, users in sorted(votes.items()) if users]

    async def _vote_event(self, name: str, msg: dict[str, Any], user_id: int,
                          answer_id: int) -> None:
        channel = self.model.channel(msg["channel_id"])
        payload = {"user_id": str(user_id), "channel_id": msg["channel_id"],
                   "message_id": msg["id"], "guild_id": channel["guild_id"],
                   "answer_id": answer_id}
        await self.model.emit_all([Event(name, payload, int(channel["guild_id"]))])

    async def vote(self, user_id: int | str, message_id: int | str, answer_id: int) -> None:
        """A member votes for an answer (in a single-choice poll, after taking back any other)."""
        msg, poll = self._poll(message_id)
        channel = self.model.channel(msg["channel_id"])
        member = self.model.acting_member(user_id, channel)
        uid = member.user.id
        if poll["results"]["is_finalized"]:
            raise PermissionError("the poll has ended")
        if answer_id not in {a["answer_id"] for a in poll["answers"]}:
            raise ValueError(f"the poll has no answer {answer_id}")
        votes = self.model.poll_votes.setdefault(int(msg["id"]), {})
        mine = [a for a, users in votes.items() if uid in users]
        if answer_id in mine:
            raise ValueError(f"member {uid} already voted for answer {answer_id}")
        if mine and not poll["allow_multiselect"]:
            raise ValueError("a single-choice poll: take the other vote back first (unvote)")
        votes.setdefault(answer_id, []).append(uid)
        self._count(msg)
        await self._vote_event("MESSAGE_POLL_VOTE_ADD", msg, uid, answer_id)

    async def unvote(self, user_id: int | str, message_id: int | str, answer_id: int) -> None:
        """A member takes a vote back."""
        msg, poll = self._poll(message_id)
        uid = int(user_id)
        if poll["results"]["is_finalized"]:
            raise PermissionError("the poll has ended")
        users = self.model.poll_votes.get(int(msg["id"]), {}).get(answer_id, [])
        if uid not in users:
            raise ValueError(f"member {uid} has no vote on answer {answer_id}")
        users.remove(uid)
        self._count(msg)
        await self._vote_event("MESSAGE_POLL_VOTE_REMOVE", msg, uid, answer_id)

    async def change_vote(self, user_id: int | str, message_id: int | str, old: int,
                          new: int) -> None:
        """What the client does when a member changes a single-choice vote."""
        await self.unvote(user_id, message_id, old)
        await self.vote(user_id, message_id, new)

    async def expire_poll(self, message_id: int | str) -> dict[str, Any]:
        """The poll ends (its time is up, or its author ended it): results are final, the
        message is updated and Discord posts the poll-result message (type 46); returns it."""
        msg, poll = self._poll(message_id)
        if poll["results"]["is_finalized"]:
            raise ValueError("the poll has already ended")
        self._count(msg)
        poll["results"]["is_finalized"] = True
        poll["expiry"] = _iso(datetime.now(UTC))
        channel = self.model.channel(msg["channel_id"])
        guild_id = int(channel["guild_id"])
        counts = {c["id"]: c["count"] for c in poll["results"]["answer_counts"]}
        total = sum(counts.values())
        top = max(counts.values(), default=0)
        winners = [a for a in poll["answers"] if top and counts.get(a["answer_id"]) == top]
        fields = [{"name": "poll_question_text", "value": poll["question"]["text"],
                   "inline": False},
                  {"name": "total_votes", "value": str(total), "inline": False}]
        if len(winners) == 1:
            fields += [
                {"name": "victor_answer_id", "value": str(winners[0]["answer_id"]),
                 "inline": False},
                {"name": "victor_answer_text", "value": winners[0]["poll_media"]["text"],
                 "inline": False},
                {"name": "victor_answer_votes", "value": str(top), "inline": False}]
        author = self.model.users[int(msg["author"]["id"])]
        result = self.model.new_message(
            channel, author, "", embeds=[{"type": "poll_result", "fields": fields}],
            message_type=MessageType.POLL_RESULT,
            reference={"type": 0, "message_id": msg["id"], "channel_id": msg["channel_id"],
                       "guild_id": str(guild_id)})
        self.model.store_message(result)
        await self.model.emit_all([
            Event("MESSAGE_UPDATE", self.model.event_message(msg), guild_id, True),
            Event("MESSAGE_CREATE", self.model.event_message(result), guild_id, True),
        ])
        return copy.deepcopy(result)

    # ---- REST: the bot reads voters and ends polls ---------------------------------------------

    def _poll_message(self, req: ApiRequest) -> dict[str, Any]:
        channel = self.model.channel(req.params["channel_id"])
        msg = self.model.message(req.params["message_id"], channel["id"])
        if not msg.get("poll"):
            raise ApiError(400, ErrorCode.GENERAL, "This message has no poll", problem=True)
        return msg


    async def rest_answer_voters(self, req: ApiRequest) -> Any:
        model = self.model
        msg = self._poll_message(req)
        answer_id = int(req.params["answer_id"]) if req.params["answer_id"].isdigit() else -1
        if answer_id not in {a["answer_id"] for a in msg["poll"]["answers"]}:
            raise ApiError(404, ErrorCode.GENERAL, "Unknown answer", problem=True)
        limit = int(req.query.get("limit", 25))
        if not 1 <= limit <= VOTERS_LIMIT:
            raise invalid_form_body({"limit": {"_errors": [{
                "code": "NUMBER_TYPE_MAX", "message": f"Must be between 1 and {VOTERS_LIMIT}."}]}})
        after = int(req.query.get("after", 0))
        voters = sorted(model.poll_votes.get(int(msg["id"]), {}).get(answer_id, []))
        return {"users": [model.users[u].payload() for u in voters if u > after][:limit]}


    async def rest_expire(self, req: ApiRequest) -> Any:
        model = self.model
        msg = self._poll_message(req)
        if msg["author"]["id"] != str(model.bot_user_id):
            raise ApiError(403, ErrorCode.MISSING_PERMISSIONS, "Missing Permissions", problem=True)
        if msg["poll"]["results"]["is_finalized"]:
            raise ApiError(400, POLL_EXPIRED, "This poll has already ended", problem=True)
        await self.expire_poll(msg["id"])
        return model.render_message(msg)

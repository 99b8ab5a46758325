"""REST API v10: routing, reading and checking every request body against Discord's OpenAPI
spec, rate-limit headers and the faults tests inject. The handlers are the resources' own
(``guilds``, ``messages``, ``reactions``, ``threads``, ``application``, ``invocations``,
``polls``, ``gateway``): each registers its routes through ``routes(add)``."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote

from aiohttp import hdrs, web

from .constants import ErrorCode
from .interactions import InteractionRecord
from .validation import ApiError, OpenApiSpec, invalid_form_body

if TYPE_CHECKING:
    from .model import DiscordModel

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"


@dataclass
class FailRule:
    """An instruction to fail the next matching requests."""

    method: str
    pattern: re.Pattern[str]
    status: int
    retry_after: float
    global_: bool
    count: int


@dataclass
class Upload:
    """One ``files[n]`` part of a multipart request."""

    field: str
    filename: str
    data: bytes

    @property
    def index(self) -> int:
        """``n`` of ``files[n]``."""
        match = re.fullmatch(r"files\[(\d+)\]", self.field)
        return int(match.group(1)) if match else -1


@dataclass
class ApiRequest:
    """A parsed REST request."""

    method: str
    path: str
    template: str
    params: dict[str, str]
    query: Mapping[str, str]
    body: Any
    files: list[Upload] = field(default_factory=list)
    #: Interaction records to wake once the answer is written.
    touched: list[InteractionRecord] = field(default_factory=list)


Handler = Callable[[ApiRequest], Awaitable[Any]]


class Resource(Protocol):
    """A part of the emulated Discord that answers REST routes."""

    def routes(self, add: Callable[..., None]) -> None:
        """Call ``add(method, template, handler, auth=True)`` for each route it answers."""


@dataclass
class Route:
    """One implemented operation; ``template`` is spelled as in Discord's OpenAPI spec."""

    method: str
    template: str
    handler: Handler
    auth: bool
    regex: re.Pattern[str]


@dataclass
class Created:
    """A handler result answered with a status other than 200."""

    data: Any
    status: int = 201


def _compile(template: str) -> re.Pattern[str]:
    parts = []
    for segment in template.strip("/").split("/"):
        if segment.startswith("{") and segment.endswith("}"):
            parts.append(f"(?P<{segment[1:-1]}>[^/]+)")
        else:
            parts.append(re.escape(segment))
    return re.compile("^/" + "/".join(parts) + "$")


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None
                  ) -> web.Response:
    """A JSON answer with exactly ``Content-Type: application/json`` (discord.py checks)."""
    all_headers = {"Content-Type": "application/json", "Via": "1.1 google"}
    all_headers.update(headers or {})
    return web.Response(body=json.dumps(data).encode(), status=status, headers=all_headers)


class RestApi:
    """Everything under ``/api/v10``: routes to the resources' handlers."""

    def __init__(self, model: DiscordModel, resources: Iterable[Resource]) -> None:
        self.model = model
        self._routes: list[Route] = []
        self._fail_rules: list[FailRule] = []
        self._stall_rules: list[list[Any]] = []  # [method, pattern, seconds, count]
        for resource in resources:
            resource.routes(self._add)
        # Literal segments beat parameters: "@me" before "{user_id}" at the same position.
        self._routes.sort(key=lambda r: [s.startswith("{") for s in r.template.split("/")])

    @property
    def routes(self) -> list[Route]:
        """Every implemented operation, in matching order."""
        return list(self._routes)

    # ---- faults tests inject -------------------------------------------------------------------

    def fail_next(
        self, method: str, path_regex: str, status: int = 429, retry_after: float = 0.2,
        global_: bool = False, count: int = 1,
    ) -> None:
        """Answer the next ``count`` matching REST calls with ``status`` instead of handling."""
        self._fail_rules.append(
            FailRule(method.upper(), re.compile(path_regex), status, retry_after, global_, count)
        )

    def stall_next(self, method: str, path_regex: str, seconds: float, count: int = 1) -> None:
        """Handle the next ``count`` matching REST calls but hold each answer ``seconds``."""
        self._stall_rules.append([method.upper(), re.compile(path_regex), seconds, count])

    # ---- routing -------------------------------------------------------------------------------

    def _add(self, method: str, template: str, handler: Handler, *, auth: bool = True) -> None:
        self._routes.append(Route(method, template, handler, auth, _compile(template)))

    def _match(self, method: str, raw_path: str) -> tuple[Route | None, dict[str, str], bool]:
        path_known = False
        for route in self._routes:
            match = route.regex.match(raw_path)
            if match is None:
                continue
            path_known = True
            if route.method == method:
                return route, {k: unquote(v) for k, v in match.groupdict().items()}, True
        return None, {}, path_known

    async def unknown(self, request: web.Request) -> web.StreamResponse:
        """Anything outside ``/api/v10``, ``/gateway`` and the CDN."""
        self.model.problem(f"unknown URL {request.method} {request.path}")
        return json_response({"message": "404: Not Found", "code": 0}, status=404)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Entry point for every ``/api/v10`` request.

        The answer is written before interaction records wake their waiters, so a test that
        waited for a callback knows the bot has at least been sent the answer.
        """
        self.model.in_flight += 1
        touched: list[InteractionRecord] = []
        try:
            response = await self._respond(request, touched)
            await self._stall(request)
            await response.prepare(request)
            await response.write_eof()
            return response
        finally:
            self.model.in_flight -= 1
            for record in touched:
                record.touch()
            self.model.pulse()

    async def _stall(self, request: web.Request) -> None:
        """Hold an answer back when a test asked to (``DiscordEmulator.stall_next``)."""
        method, path = request.method.upper(), request.path[len(API_PREFIX):]
        rules = self._stall_rules
        rule = next((r for r in rules if r[0] == method and r[1].search(path)), None)
        if rule is None:
            return
        rule[3] -= 1
        if rule[3] <= 0:
            rules.remove(rule)
        log.info("holding the answer to %s %s for %ss", method, path, rule[2])
        await asyncio.sleep(rule[2])
        if request.transport is None or request.transport.is_closing():
            raise asyncio.CancelledError  # the client gave up waiting: nothing to answer

    async def _respond(self, request: web.Request, touched: list[InteractionRecord]
                       ) -> web.StreamResponse:
        model = self.model
        method = request.method.upper()
        path = request.path[len(API_PREFIX):]
        raw_path = request.rel_url.raw_path[len(API_PREFIX):]
        try:
            body, files = await self._read_body(request)
        except ApiError as exc:
            model.requests.append((method, path, None))
            model.request_times.append(time.monotonic())
            model.problem(f"{method} {path}: {exc.message}")
            return json_response(exc.body(), status=exc.status)
        model.requests.append((method, path, body))
        model.request_times.append(time.monotonic())  # when each of ``requests`` came
        route, params, path_known = self._match(method, raw_path)
        try:
            if route is None:
                status = 405 if path_known else 404
                model.problem(f"unimplemented route {method} {path}")
                reason = "Method Not Allowed" if path_known else "Not Found"
                return json_response({"message": f"{status}: {reason}", "code": 0},
                                     status=status)
            if route.auth and request.headers.get(hdrs.AUTHORIZATION) != f"Bot {model.token}":
                model.problem(f"{method} {path}: missing or wrong Authorization header")
                return json_response({"message": "401: Unauthorized", "code": 0}, status=401)
            failure = self._injected_failure(method, path, route)
            if failure is not None:
                return failure
            self._validate(route, method, path, body, bool(files))
            req = ApiRequest(method, path, route.template, params, request.query, body, files,
                             touched)
            result = await route.handler(req)
        except ApiError as exc:
            if exc.problem:
                model.problem(f"{method} {path}: {exc.status} {exc.message} {exc.errors or ''}")
            else:
                log.info("%s %s -> %s %s", method, path, exc.status, exc.message)
            return json_response(exc.body(), status=exc.status,
                                 headers=self._ratelimit_headers(route))
        except Exception as exc:  # an emulator bug must fail the test, not hang the bot
            log.exception("emulator crashed handling %s %s", method, path)
            model.problem(f"emulator error on {method} {path}: {exc!r}")
            # 501, not 500: discord.py retries a 500 for many seconds; this should fail fast.
            return json_response({"message": f"emulator error: {exc!r}", "code": 0}, status=501)
        if result is None:
            return web.Response(status=204, headers={"Via": "1.1 google",
                                                     **self._ratelimit_headers(route)})
        if isinstance(result, Created):
            return json_response(result.data, status=result.status,
                                 headers=self._ratelimit_headers(route))
        return json_response(result, headers=self._ratelimit_headers(route))

    async def _read_body(self, request: web.Request) -> tuple[Any, list[Upload]]:
        if not request.body_exists:
            return None, []
        if request.content_type == "multipart/form-data":
            body: Any = None
            files: list[Upload] = []
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not hasattr(part, "name"):
                    raise ApiError(400, ErrorCode.INVALID_FORM_BODY, "Nested multipart",
                                   problem=True)
                data = bytes(await part.read())
                if part.name == "payload_json":
                    try:
                        body = json.loads(data)
                    except ValueError:
                        raise ApiError(400, ErrorCode.INVALID_JSON,
                                       "The request body contains invalid JSON.",
                                       problem=True) from None
                elif part.name and re.fullmatch(r"files\[\d+\]", part.name):
                    files.append(Upload(part.name, part.filename or "file", data))
                else:
                    raise ApiError(400, ErrorCode.INVALID_FORM_BODY,
                                   f"Unexpected multipart field {part.name!r}", problem=True)
            return body, files
        raw = await request.read()
        if not raw:
            return None, []
        if request.content_type != "application/json":
            raise ApiError(400, ErrorCode.INVALID_FORM_BODY,
                           f"Unsupported Content-Type {request.content_type!r}", problem=True)
        try:
            return json.loads(raw), []
        except ValueError:
            raise ApiError(400, ErrorCode.INVALID_JSON, "The request body contains invalid JSON.",
                           problem=True) from None

    def _validate(self, route: Route, method: str, path: str, body: Any, has_files: bool
                  ) -> None:
        spec = OpenApiSpec.shared()
        if not spec.has_operation(route.template, method):
            return
        if body is None and has_files:
            body = {}  # files without payload_json
        if body is None:
            if spec.body_required(route.template, method):
                raise invalid_form_body({"_errors": [{"code": "BASE_TYPE_REQUIRED",
                                                      "message": "This field is required"}]})
            return
        if not spec.body_expected(route.template, method):
            self.model.problem(f"{method} {path}: sent a body the operation does not take")
            return
        errors = spec.body_errors(route.template, method, body)
        if errors:
            raise invalid_form_body(errors)

    def _bucket(self, route: Route | None) -> str:
        key = f"{route.method} {route.template}" if route else "unknown"
        return hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:32]

    def _ratelimit_headers(self, route: Route | None) -> dict[str, str]:
        if route is None or not route.auth:
            return {}
        return {
            "X-RateLimit-Limit": "50",
            "X-RateLimit-Remaining": "49",
            "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
            "X-RateLimit-Reset-After": "1.000",
            "X-RateLimit-Bucket": self._bucket(route),
        }

    def _injected_failure(self, method: str, path: str, route: Route) -> web.Response | None:
        rule = next((r for r in self._fail_rules
                     if r.method == method and r.pattern.search(path)), None)
        if rule is None:
            return None
        rule.count -= 1
        if rule.count <= 0:
            self._fail_rules.remove(rule)
        log.info("injected %s for %s %s", rule.status, method, path)
        if rule.status == 429:
            headers = {
                "Retry-After": str(max(1, math.ceil(rule.retry_after))),
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{time.time() + rule.retry_after:.3f}",
                "X-RateLimit-Reset-After": f"{rule.retry_after:.3f}",
                "X-RateLimit-Bucket": self._bucket(route),
                "X-RateLimit-Scope": "global" if rule.global_ else "user",
            }
            if rule.global_:
                headers["X-RateLimit-Global"] = "true"
            return json_response({"message": "You are being rate limited.",
                                  "retry_after": rule.retry_after, "global": rule.global_},
                                 status=429, headers=headers)
        messages = {
            400: (0, "400: Bad Request"),
            401: (0, "401: Unauthorized"),
            403: (ErrorCode.MISSING_PERMISSIONS, "Missing Permissions"),
            404: (ErrorCode.UNKNOWN_MESSAGE, "Unknown Message") if "/messages/" in path
            else (ErrorCode.UNKNOWN_CHANNEL, "Unknown Channel") if path.startswith("/channels/")
            else (0, "404: Not Found"),
            500: (0, "500: Internal Server Error"),
            502: (0, "502: Bad Gateway"),
            503: (0, "503: Service Unavailable"),
        }
        code, message = messages.get(rule.status, (0, f"{rule.status}: Error"))
        return json_response({"message": message, "code": code}, status=rule.status)

"""SQLite's SQL, as the shared store logic writes it, in PostgreSQL's dialect (issue 15).

The store's queries are written once, for SQLite (``bot/store/sql_store.py`` and its role
modules, ``writer.py`` and the ``*_sql`` modules). :func:`translate` turns each text into
PostgreSQL's once (cached): parameters (``?``, ``?N``, ``:name``) become ``$n``, and the
few SQLite idioms the store uses become PostgreSQL's own:

- ``INSERT OR IGNORE`` → ``ON CONFLICT DO NOTHING``; ``INSERT OR REPLACE`` → an upsert
  on the table's key; ``ON CONFLICT DO UPDATE`` without a target gets the key;
- scalar ``max(a, b)`` / ``min(a, b)`` → ``GREATEST`` / ``LEAST`` (NULL when an argument is,
  as in SQLite);
- ``a IS b`` (SQLite's null-safe equality) → ``a IS NOT DISTINCT FROM b``;
- ``SELECT value FROM json_each(p)`` (a JSON array of ids) → ``json_array_elements_text``;
- ``json_extract(a, '$.k')`` → ``a::json ->> 'k'`` (``year``: as a number);
- ``printf('%0Nd', x)`` (fixed-width sort keys) → ``lpad``;
- ``LIKE`` → ``ILIKE`` (SQLite's LIKE ignores ASCII case); ``CROSS JOIN t ON`` (SQLite's
  way to fix the join order) → ``JOIN t ON``;
- a subquery in FROM gets the alias PostgreSQL requires;
- ``ORDER BY`` terms say where NULLs go, as in SQLite (first ascending, last descending);
- ``BEGIN IMMEDIATE`` → ``BEGIN``.

Where a statement cannot be translated this way, :data:`OVERRIDES` holds PostgreSQL's
text beside SQLite's, keyed by SQLite's.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

#: The key of each table, for upserts without a conflict target.
KEYS: dict[str, tuple[str, ...]] = {
    "meta": ("key",), "prompts": ("thread_id",), "comments": ("id",),
    "versions": ("comment_id", "at"), "attachments": ("id",),
    "reactions": ("comment_id", "user_id", "emoji"), "hidden_comments": ("comment_id",),
    "audit_log": ("id",), "close_timers": ("thread_id",), "forgotten_members": ("user_id",),
    "articles": ("slug",), "article_keys": ("key",), "feeds": ("id",),
    "feed_entries": ("feed_id", "key"), "queue": ("id",), "posted_keys": ("guild_id", "key"),
    "schedules": ("guild_id",), "thread_status": ("thread_id",), "export_state": ("id",),
    "comment_changes": ("comment_id",), "export_history": ("id",), "watchlists": ("id",),
    "watch_entries": ("id",), "ratings": ("thread_id", "user_id"),
    "film_polls": ("message_id",), "film_poll_answers": ("message_id", "answer_id"),
    "film_poll_votes": ("message_id", "answer_id", "user_id"), "place_names": ("id",),
    "member_names": ("guild_id", "user_id"), "prompt_changes": ("thread_id",),
    "rating_controls": ("thread_id",), "server_settings": ("guild_id",), "films": ("id",),
    "article_films": ("slug",), "film_lookups": ("query",),
}

#: SQLite's text → PostgreSQL's, for statements no mechanical rule translates.
OVERRIDES: dict[str, str] = {}

#: JSON keys of an article read as numbers (``json_extract`` returns SQLite's number).
_NUMERIC_JSON_KEYS = frozenset({"year"})

_STRING = re.compile(r"'(?:[^']|'')*'")
_MARK = "\x00{}\x00"
_MARKED = re.compile("\x00(\\d+)\x00")
_PARAM = re.compile(r"\?(\d*)|(?<![:\w]):([A-Za-z_]\w*)")
_CLAUSE_END = re.compile(
    r"\b(LIMIT|OFFSET|UNION|EXCEPT|INTERSECT|WINDOW|FOR|ON\s+CONFLICT|RETURNING)\b|[);]",
    re.IGNORECASE)
_KEYWORDS = frozenset({
    "where", "group", "order", "limit", "offset", "join", "left", "right", "inner", "cross",
    "on", "union", "except", "intersect", "window", "having", "returning",
})


class Translated:
    """A statement in PostgreSQL's dialect and how to order its parameters."""

    __slots__ = ("names", "sql")

    def __init__(self, sql: str, names: tuple[str, ...] | None) -> None:
        self.sql = sql
        #: ``:name`` parameters in ``$n`` order; None: positional (a sequence).
        self.names = names

    def args(self, params: object) -> list[object]:
        """The bound values in ``$n`` order."""
        if params is None:
            return []
        if self.names is not None:
            if not isinstance(params, dict):
                raise TypeError("named parameters need a mapping")
            return [params[name] for name in self.names]
        if isinstance(params, dict):
            raise TypeError("positional parameters need a sequence")
        return list(params)  # type: ignore[call-overload]


@functools.lru_cache(maxsize=4096)
def translate(sql: str) -> Translated:
    """``sql`` (SQLite's dialect, as the store writes it) in PostgreSQL's."""
    override = OVERRIDES.get(sql)
    strings: list[str] = []

    def keep(match: re.Match[str]) -> str:
        strings.append(match.group(0))
        return _MARK.format(len(strings) - 1)

    text = _STRING.sub(keep, override if override is not None else sql)
    text, names = _params(text)
    if override is None:
        text = _rewrite(text, strings)
    text = _MARKED.sub(lambda m: strings[int(m.group(1))], text)
    return Translated(text, names)


def _params(text: str) -> tuple[str, tuple[str, ...] | None]:
    names: list[str] = []
    position = 0

    def number(match: re.Match[str]) -> str:
        nonlocal position
        digits, name = match.group(1), match.group(2)
        if name is not None:
            if name not in names:
                names.append(name)
            return f"${names.index(name) + 1}"
        if digits:
            return f"${int(digits)}"
        position += 1
        return f"${position}"

    text = _PARAM.sub(number, text)
    return text, (tuple(names) if names else None)


def _rewrite(text: str, strings: list[str]) -> str:
    text = re.sub(r"\bBEGIN\s+IMMEDIATE\b", "BEGIN", text, flags=re.IGNORECASE)
    text = _insert_or(text)
    text = _conflict_target(text)
    text = re.sub(r"\bIS\s+(NOT\s+)?(?!NULL\b|TRUE\b|FALSE\b|DISTINCT\b|NOT\b)",
                  lambda m: "IS NOT DISTINCT FROM " if m.group(1) is None
                  else "IS DISTINCT FROM ", text, flags=re.IGNORECASE)
    text = re.sub(r"SELECT\s+value\s+FROM\s+json_each\(([^()]*)\)",
                  r"SELECT CAST(j.value AS BIGINT) FROM json_array_elements_text("
                  r"CAST(\1 AS json)) AS j(value)", text, flags=re.IGNORECASE)
    text = _calls(text, "max", lambda args: _scalar("GREATEST", args))
    text = _calls(text, "min", lambda args: _scalar("LEAST", args))
    text = _calls(text, "printf", lambda args: _printf(args, strings))
    text = _calls(text, "json_extract", lambda args: _json_extract(args, strings))
    text = _calls(text, "ifnull", lambda args: f"coalesce({', '.join(args)})")
    text = re.sub(r"\bLIKE\b", "ILIKE", text)
    text = re.sub(r"\bCROSS\s+JOIN\s+(\w+(?:\s+(?:AS\s+)?\w+)?)\s+ON\b", r"JOIN \1 ON", text,
                  flags=re.IGNORECASE)
    text = _aliases(text)
    return _nulls(text)


def _insert_or(text: str) -> str:
    ignore = re.search(r"\bINSERT\s+OR\s+IGNORE\s+INTO\b", text, re.IGNORECASE)
    if ignore:
        text = text[:ignore.start()] + "INSERT INTO" + text[ignore.end():]
        return _append(text, " ON CONFLICT DO NOTHING")
    replace = re.search(r"\bINSERT\s+OR\s+REPLACE\s+INTO\s+(\w+)\s*\(([^)]*)\)", text,
                        re.IGNORECASE)
    if replace:
        table = replace.group(1)
        columns = [c.strip() for c in replace.group(2).split(",")]
        key = KEYS[table]
        sets = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
        text = text[:replace.start()] + text[replace.start():].replace(
            replace.group(0)[:replace.group(0).index(table)], "INSERT INTO ", 1)
        action = f"DO UPDATE SET {sets}" if sets else "DO NOTHING"
        return _append(text, f" ON CONFLICT ({', '.join(key)}) {action}")
    return text


def _append(text: str, clause: str) -> str:
    """``clause`` at the end of the statement, before a RETURNING."""
    returning = re.search(r"\bRETURNING\b", text, re.IGNORECASE)
    if returning:
        return text[:returning.start()] + clause.strip() + " " + text[returning.start():]
    return text.rstrip().rstrip(";") + clause


def _conflict_target(text: str) -> str:
    if not re.search(r"\bON\s+CONFLICT\s+DO\s+UPDATE\b", text, re.IGNORECASE):
        return text
    table = re.search(r"\bINSERT\s+INTO\s+(\w+)", text, re.IGNORECASE)
    if table is None:
        return text
    key = ", ".join(KEYS[table.group(1)])
    return re.sub(r"\bON\s+CONFLICT\s+DO\s+UPDATE\b", f"ON CONFLICT ({key}) DO UPDATE", text,
                  flags=re.IGNORECASE)


def _matching(text: str, start: int) -> int:
    """The index of the parenthesis closing the one at ``start``."""
    depth = 0
    for index in range(start, len(text)):
        if text[index] == "(":
            depth += 1
        elif text[index] == ")":
            depth -= 1
            if depth == 0:
                return index
    raise ValueError(f"unbalanced parentheses in {text!r}")


def _split_args(inner: str) -> list[str]:
    args, depth, current = [], 0, ""
    for char in inner:
        if char == "," and depth == 0:
            args.append(current.strip())
            current = ""
            continue
        depth += (char == "(") - (char == ")")
        current += char
    args.append(current.strip())
    return args


def _calls(text: str, name: str, rewrite: Callable[[list[str]], str | None]) -> str:
    """Rewrite each call ``name(...)`` (innermost first) with ``rewrite(args)``."""
    pattern = re.compile(rf"(?<![\w.]){name}\s*\(", re.IGNORECASE)
    start = 0
    while match := pattern.search(text, start):
        open_at = match.end() - 1
        close_at = _matching(text, open_at)
        inner = _calls(text[open_at + 1:close_at], name, rewrite)
        replaced = rewrite(_split_args(inner))
        if replaced is None:
            replaced = text[match.start():open_at + 1] + inner + ")"
        text = text[:match.start()] + replaced + text[close_at + 1:]
        start = match.start() + len(replaced)
    return text


def _scalar(function: str, args: list[str]) -> str | None:
    """SQLite's scalar max()/min(): NULL when any argument is (GREATEST skips NULLs)."""
    if len(args) < 2:
        return None  # the aggregate
    nulls = " OR ".join(f"({arg}) IS NULL" for arg in args)
    return f"(CASE WHEN {nulls} THEN NULL ELSE {function}({', '.join(args)}) END)"


def _literal(arg: str, strings: list[str]) -> str | None:
    found = _MARKED.fullmatch(arg.strip())
    return None if found is None else strings[int(found.group(1))][1:-1].replace("''", "'")


def _printf(args: list[str], strings: list[str]) -> str:
    fmt = _literal(args[0], strings)
    widths = re.findall(r"%0(\d+)d", fmt or "")
    if fmt is None or "".join(f"%0{w}d" for w in widths) != fmt or len(widths) != len(args) - 1:
        raise ValueError(f"printf format not translated: {args[0]!r}")
    parts = [f"lpad(CAST(({arg}) AS TEXT), {width}, '0')"
             for width, arg in zip(widths, args[1:], strict=True)]
    return "(" + " || ".join(parts) + ")"


def _json_extract(args: list[str], strings: list[str]) -> str:
    path = _literal(args[1], strings) if len(args) == 2 else None
    if path is None or not re.fullmatch(r"\$\.\w+", path):
        raise ValueError(f"json_extract path not translated: {args!r}")
    key = path[2:]
    value = f"(CAST({args[0]} AS json) ->> '{key}')"
    return f"CAST({value} AS BIGINT)" if key in _NUMERIC_JSON_KEYS else value


def _aliases(text: str) -> str:
    """Give every subquery in FROM or JOIN the alias PostgreSQL requires."""
    pattern = re.compile(r"\b(FROM|JOIN)\s*\(\s*(SELECT|VALUES|WITH)\b", re.IGNORECASE)
    count = 0
    start = 0
    while match := pattern.search(text, start):
        open_at = text.index("(", match.start())
        close_at = _matching(text, open_at)
        rest = text[close_at + 1:]
        word = re.match(r"\s*(\w+)", rest)
        if word is None or word.group(1).lower() in _KEYWORDS:
            count += 1
            text = text[:close_at + 1] + f" AS _s{count}" + rest
        start = open_at + 1
    return text


def _nulls(text: str) -> str:
    """ORDER BY terms with SQLite's NULL placement (first ascending, last descending)."""
    out = []
    start = 0
    for match in re.finditer(r"\bORDER\s+BY\b", text, re.IGNORECASE):
        if match.start() < start:
            continue
        out.append(text[start:match.end()])
        index = match.end()
        depth = 0
        end = len(text)
        while index < len(text):
            char = text[index]
            if char == "(":
                depth += 1
            elif char == ")":
                if depth == 0:
                    end = index
                    break
                depth -= 1
            elif depth == 0:
                found = _CLAUSE_END.match(text, index)
                if found and (index == 0 or not (text[index - 1].isalnum()
                                                 or text[index - 1] == "_")):
                    end = index
                    break
            index += 1
        terms = _split_args(text[match.end():end])
        placed = []
        for term in terms:
            if re.search(r"\bNULLS\b", term, re.IGNORECASE) or re.fullmatch(
                    r"(\w+\.)?id(\s+(ASC|DESC))?", term, re.IGNORECASE):
                placed.append(term)
            elif re.search(r"\bDESC$", term, re.IGNORECASE):
                placed.append(term + " NULLS LAST")
            else:
                placed.append(term + " NULLS FIRST")
        out.append(" " + ", ".join(placed) + (" " if end < len(text) else ""))
        start = end
    out.append(text[start:])
    return "".join(out)

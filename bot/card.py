"""The prompt card: an article as a titled card with fields, fitted to chat limits.

Plain dicts in the shape of a Discord embed (Discord's limits are the strictest of
the chat services we target); an adapter turns the dict into its own message type.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bot.models import (
    QUESTION_FROM_ARTICLE,
    QUESTION_FROM_FRONT_MATTER,
    QUESTION_FROM_GIVEN,
    Article,
)
from bot.spoilers import thread_name as spoiler_thread_name
from bot.spoilers import wrap as wrap_spoiler

if TYPE_CHECKING:
    from bot.films import ArticleFilm, FilmRecord

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
TOTAL_LIMIT = 6000
THREAD_NAME_LIMIT = 100
URL_LIMIT = 2048
FORUM_TAGS_LIMIT = 5
ELLIPSIS = "…"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff]")


def fit(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters at a word boundary, with an ellipsis if cut."""
    text = _CONTROL.sub("", text).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS)]
    space = cut.rfind(" ")
    if not text[len(cut)].isspace() and space >= limit // 2:  # do not end inside a word
        cut = cut[:space]
    return cut.rstrip(" ,;:-–—") + ELLIPSIS


def thread_name(article: Article, *, spoilers: bool = False) -> str:
    """The name of a prompt's discussion thread; a spoiler thread's says so (issue 18)."""
    name = fit(_line(article.title), THREAD_NAME_LIMIT) or article.slug[:100] or "Discussion"
    return spoiler_thread_name(name, THREAD_NAME_LIMIT) if spoilers else name


def _line(text: str) -> str:
    """``text`` on one line: control characters dropped, runs of whitespace made one space."""
    return " ".join(_CONTROL.sub("", text).split())


def link(url: str | None) -> str | None:
    """``url`` if a chat service will take it as a link (http(s), a host, no spaces), else None."""
    if not url or len(url) > URL_LIMIT or any(ch.isspace() for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def card_size(card: dict[str, Any]) -> int:
    """Characters that count towards the 6,000 a message's embeds may hold."""
    size = len(card.get("title", "")) + len(card.get("description", ""))
    size += len((card.get("footer") or {}).get("text", ""))
    size += len((card.get("author") or {}).get("name", ""))
    return size + sum(len(f["name"]) + len(f["value"]) for f in card.get("fields", []))


def _tag_key(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode() or name
    return re.sub(r"[\W_]+", "", folded.casefold())


def forum_tags(available: Sequence[str], wanted: Iterable[str],
               limit: int = FORUM_TAGS_LIMIT) -> list[str]:
    """The forum's tag names that match the article's tags (any case, spacing or hyphens).

    In the article's order, each once, at most ``limit`` (Discord allows five per post).
    """
    by_key = {}
    for name in available:
        by_key.setdefault(_tag_key(name), name)
    chosen: list[str] = []
    for tag in wanted:
        name = by_key.get(_tag_key(tag))
        if name is not None and name not in chosen:
            chosen.append(name)
    return chosen[:limit]


#: Where a prompt's question comes from, in the words ``filmclub articles show`` uses.
FROM_FRONT_MATTER = "the article's front matter"
FROM_ARTICLE = "the article's closing questions"
FROM_GIVEN = "given when it was added (articles add --question)"
FROM_MODERATOR = "the moderator's question"
FROM_DEFAULT = "the server's default question (/prompt settings)"
_ARTICLE_SOURCES = {
    QUESTION_FROM_FRONT_MATTER: FROM_FRONT_MATTER,
    QUESTION_FROM_ARTICLE: FROM_ARTICLE,
    QUESTION_FROM_GIVEN: FROM_GIVEN,
}


def prompt_question(article: Article, question: str | None = None,
                    default: str | None = None) -> tuple[str | None, str | None]:
    """The question a prompt of ``article`` asks, and where it comes from.

    The article's own questions come first (its front matter's, those given when it was
    added, or those its prose ends on), then the moderator's ``question``, then the
    server's ``default``; ``(None, None)`` when there is none.
    """
    if article.question:
        return article.question, _ARTICLE_SOURCES.get(article.question_from, FROM_ARTICLE)
    if question:
        return question, FROM_MODERATOR
    if default:
        return default, FROM_DEFAULT
    return None, None


SPOILER_FOOTER = "Spoiler thread: keep what happens in the film inside the thread. "


def film_field(article: Article, film: FilmRecord | None) -> str | None:
    """The card's Film line: 'Her (2013) · dir. Spike Jonze · 126 min' from the film record
    (issue 18), else what the article's front matter says."""
    if film is None:
        return article.film_line
    parts = [film.label]
    if film.directors:
        parts.append("dir. " + ", ".join(film.directors))
    if film.runtime:
        parts.append(f"{film.runtime} min")
    return " · ".join(parts)


def prompt_card(article: Article, question: str | None = None,
                film: FilmRecord | None = None, *, spoilers: bool = False) -> dict[str, Any]:
    """The prompt as an embed-shaped dict within every size limit; with the article's
    ``film`` record, its year, director and runtime, and its poster as the thumbnail.

    A spoiler thread's card (issue 18) shows its excerpt and question as Discord
    spoilers, and its footer says what the thread is.
    """
    question = question or article.question
    title = fit(_line(article.title), TITLE_LIMIT) or fit(article.slug, TITLE_LIMIT) or "Untitled"
    card: dict[str, Any] = {"title": title, "type": "rich"}
    if link(article.url):
        card["url"] = article.url
    fields = []
    for name, value, inline in (
        ("Film", film_field(article, film), True),
        ("Written by", article.author, True),
        ("The question", question, False),
    ):
        text = fit(_line(value or ""), FIELD_VALUE_LIMIT)
        if text and spoilers and name == "The question":
            text = wrap_spoiler(text, FIELD_VALUE_LIMIT)
        if text:
            fields.append({"name": name, "value": text, "inline": inline})
    card["fields"] = fields
    footer = "Reply in the thread below: every reply is a comment, 👍/👎 reactions are votes."
    if spoilers:
        footer = SPOILER_FOOTER + footer
    card["footer"] = {"text": footer}
    used = len(card["title"]) + len(footer) + sum(
        len(f["name"]) + len(f["value"]) for f in fields
    )
    room = min(DESCRIPTION_LIMIT, TOTAL_LIMIT - used)
    description = fit(article.excerpt, room)
    if description and spoilers:
        description = wrap_spoiler(description, room)
    if description:
        card["description"] = description
    if link(article.image):
        card["image"] = {"url": article.image}
    if film is not None and link(film.poster_url):
        card["thumbnail"] = {"url": film.poster_url}
    return card


def prompt_preview(article: Article, *, question: str | None = None,
                   default: str | None = None,
                   film: ArticleFilm | None = None) -> list[tuple[str, str]]:
    """The prompt of ``article`` as labelled lines: exactly what the card would show.

    Title, link, film, author, excerpt, the question and where it comes from, the
    article's tags (the forum tags a forum post gets are chosen from them), the
    image and the thread's name. Read from the card itself, so limits and cuts apply.
    """
    asked, source = prompt_question(article, question, default)
    card = prompt_card(article, asked, film.film if film else None)
    fields = {f["name"]: f["value"] for f in card["fields"]}
    found = [] if film is None else [
        ("film record", film.line()),
        ("poster", (card.get("thumbnail") or {}).get("url", "none"))]
    return [
        ("title", card["title"]),
        ("link", card.get("url") or "none"),
        ("film", fields.get("Film", "none")),
        *found,
        ("written by", fields.get("Written by", "none")),
        ("excerpt", card.get("description", "none")),
        ("question", fields.get("The question", "none")),
        ("question from", source or "nowhere: the article ends without asking, and no "
                                    "default question was given"),
        ("tags", ", ".join(article.tags) or "none"),
        ("image", (card.get("image") or {}).get("url", "none")),
        ("thread", thread_name(article)),
    ]

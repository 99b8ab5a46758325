"""The prompt card: an article as a titled card with fields, fitted to chat limits.

Plain dicts in the shape of a Discord embed (Discord's limits are the strictest of
the chat services we target); an adapter turns the dict into its own message type.
"""

from __future__ import annotations

from typing import Any

from bot.models import Article

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
TOTAL_LIMIT = 6000
THREAD_NAME_LIMIT = 100
ELLIPSIS = "…"


def fit(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters at a word boundary, with an ellipsis if cut."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS)]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-–—") + ELLIPSIS


def thread_name(article: Article) -> str:
    """The name of a prompt's discussion thread."""
    return fit(" ".join(article.title.split()), THREAD_NAME_LIMIT) or article.slug[:100]


def prompt_card(article: Article, question: str | None = None) -> dict[str, Any]:
    """The prompt as an embed-shaped dict within every size limit."""
    question = question or article.question
    card: dict[str, Any] = {"title": fit(article.title, TITLE_LIMIT), "type": "rich"}
    if article.url:
        card["url"] = article.url
    fields = []
    if article.film_line:
        fields.append({"name": "Film", "value": fit(article.film_line, FIELD_VALUE_LIMIT),
                       "inline": True})
    if article.author:
        fields.append({"name": "Written by", "value": fit(article.author, FIELD_VALUE_LIMIT),
                       "inline": True})
    if question:
        fields.append({"name": "The question", "value": fit(question, FIELD_VALUE_LIMIT),
                       "inline": False})
    card["fields"] = fields
    footer = "Reply in the thread below: every reply is a comment, 👍/👎 reactions are votes."
    card["footer"] = {"text": footer}
    used = len(card["title"]) + len(footer) + sum(
        len(f["name"]) + len(f["value"]) for f in fields
    )
    if article.excerpt:
        card["description"] = fit(article.excerpt, min(DESCRIPTION_LIMIT, TOTAL_LIMIT - used))
    if article.image and article.image.startswith(("https://", "http://")):
        card["image"] = {"url": article.image}
    return card

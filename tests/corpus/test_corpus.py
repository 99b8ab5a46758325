"""The article corpus: every case's closing questions and excerpt, read as the bot reads them.

Each case in ``articles/`` is an article written for the project in a shape real film
writing takes (a review, a news post with a trailer, a listicle, an interview, a
festival report, a discussion guide, a newsletter), as Markdown, plain text or a full
HTML page with its site around it. Beside it, ``<case>.expect.yaml`` says what the
prompt must ask (``questions``, empty when the article asks nothing) and how its
excerpt begins and ends (or the whole ``excerpt``). ``endings/`` holds cases about
where the prose ends, ``openings/`` cases about where it begins, ``pages/`` HTML pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.articles import parse_article
from bot.extract import extract_page
from bot.models import Article
from tests.corpus.conftest import RESULTS

CORPUS = Path(__file__).parent / "articles"
SUFFIXES = (".md", ".txt", ".html")
SHAPES = {"review", "news", "listicle", "interview", "festival", "guide", "newsletter", "essay"}


@dataclass(frozen=True)
class Case:
    name: str  # folder/file, e.g. endings/her-documentary.txt
    path: Path
    expected: dict[str, Any]


def cases() -> list[Case]:
    found = []
    for path in sorted(CORPUS.rglob("*")):
        if path.suffix in SUFFIXES:
            sidecar = path.with_name(path.stem + ".expect.yaml")
            expected = yaml.safe_load(sidecar.read_text(encoding="utf-8"))
            found.append(Case(str(path.relative_to(CORPUS)), path, expected))
    return found


CASES = cases()


def read(case: Case) -> Article:
    """The article as the bot reads it: a page through trafilatura, a file as a library file."""
    if case.path.suffix == ".html":
        return extract_page(case.path.read_bytes(), name=case.name)
    return parse_article(case.path)


def problems(case: Case) -> list[str]:
    """What the bot gets wrong on ``case`` (nothing: it is right)."""
    article = read(case)
    expected = case.expected
    found = []
    questions = tuple(expected.get("questions") or ())
    if article.questions != questions:
        found.append(f"questions: expected {questions!r}, got {article.questions!r}")
    text = article.excerpt
    if "excerpt" in expected and text != expected["excerpt"]:
        found.append(f"excerpt: expected {expected['excerpt']!r}, got {text!r}")
    if not text.startswith(expected.get("excerpt_starts", "")):
        found.append(f"excerpt should start {expected['excerpt_starts']!r}: {text[:120]!r}")
    if not text.endswith(expected.get("excerpt_ends", "")):
        found.append(f"excerpt should end {expected['excerpt_ends']!r}: {text[-120:]!r}")
    return found


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Case) -> None:
    """The case's article asks exactly its expected questions and has its expected excerpt."""
    found = problems(case)
    RESULTS[case.name] = not found
    assert found == []


def test_the_corpus_is_large_and_varied() -> None:
    """At least 60 endings, 20 openings and 10 HTML pages, every case with its expectations."""
    focus = [c.expected.get("focus") for c in CASES]
    pages = [c for c in CASES if c.path.suffix == ".html"]
    assert focus.count("ending") >= 60 and focus.count("opening") >= 20, focus
    assert len(pages) >= 10
    for case in CASES:
        assert case.expected.get("shape") in SHAPES, case.name
        assert "questions" in case.expected, case.name
        assert "excerpt" in case.expected or "excerpt_starts" in case.expected, case.name
    print(f"article corpus: {focus.count('ending')} endings, {focus.count('opening')} openings,"
          f" {len(pages)} HTML pages; {len(CASES)} cases")


def test_corpus_tally() -> None:
    """Walks every case and prints how many the bot gets right; all of them must be."""
    wrong = {case.name: found for case in CASES if (found := problems(case))}
    print(f"article corpus: {len(CASES) - len(wrong)} of {len(CASES)} cases right")
    assert wrong == {}

"""Tests for bot.articles: parsing article files and the cached article library."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import articles
from bot.articles import (
    EXCERPT_CHARS,
    MAX_FILE_BYTES,
    ArticleError,
    ArticleLibrary,
    ArticleNotFound,
    parse_article,
)

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "articles"
NOW = datetime(2024, 3, 4, 12, 0, tzinfo=UTC)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def article_text(title: str = "A title", body: str = "Body text.", **extra: str) -> str:
    lines = ["---", f"title: {title}", *(f"{key}: {value}" for key, value in extra.items())]
    return "\n".join([*lines, "---", body, ""])


# ---------------------------------------------------------------------------
# parse_article
# ---------------------------------------------------------------------------


def test_parse_reads_every_field(tmp_path: Path) -> None:
    """Every front-matter key lands in its Article field."""
    path = write(
        tmp_path,
        "full-house.md",
        """---
title: Full house
url: https://filmclub.example/a/full-house
film: Vertigo
year: 1958
director: Alfred Hitchcock
author: filmclub
source: Film Club Quarterly
published: "Spring 2024"
image: https://filmclub.example/img/vertigo.jpg
tags: [hitchcock, noir]
question: Who is falling?
excerpt: A hand-written excerpt.
---
# Heading

The body.
""",
    )
    article = parse_article(path)
    assert article.slug == "full-house"
    assert article.title == "Full house"
    assert article.url == "https://filmclub.example/a/full-house"
    assert (article.film, article.year, article.director) == ("Vertigo", 1958, "Alfred Hitchcock")
    assert (article.author, article.source) == ("filmclub", "Film Club Quarterly")
    assert article.published == "Spring 2024"
    assert article.image == "https://filmclub.example/img/vertigo.jpg"
    assert article.tags == ("hitchcock", "noir")
    assert article.questions == ("Who is falling?",)
    assert article.excerpt == "A hand-written excerpt."
    assert article.body == "# Heading\n\nThe body."


def test_only_title_is_required(tmp_path: Path) -> None:
    """A file with a title and a body parses, with empty defaults elsewhere."""
    article = parse_article(write(tmp_path, "bare.md", "---\ntitle: Bare\n---\nShort.\n"))
    assert article.title == "Bare"
    assert (article.body, article.questions, article.tags) == ("Short.", (), ())
    assert article.year is None and article.film is None and article.question_from == ""


@pytest.mark.parametrize(("name", "text", "problem"), [
    ("front-matter-only.md", "---\ntitle: Bare\n---\n", "no text after its front matter"),
    ("headings-only.md", "---\ntitle: Bare\n---\n# A heading\n\n![still](a.jpg)\n",
     "no text after its front matter"),
    ("title-only.txt", "Just a title\n", "has a title but no text"),
    ("title-and-blank.txt", "Just a title\n\n\n", "has a title but no text"),
])
def test_an_article_without_a_body_is_refused(tmp_path: Path, name: str, text: str,
                                              problem: str) -> None:
    """Front matter alone, or a title alone, is refused in one line naming the file."""
    path = write(tmp_path, name, text)
    with pytest.raises(ArticleError) as info:
        parse_article(path)
    message = str(info.value)
    assert message.startswith(f"{path}: the article ") and problem in message
    assert "\n" not in message


def test_questions_list_is_kept_in_order(tmp_path: Path) -> None:
    """A `questions` list becomes the Article's questions tuple, in order."""
    path = write(tmp_path, "q.md",
                 "---\ntitle: Q\nquestions:\n  - First?\n  - Second?\n---\nThe body.\n")
    assert parse_article(path).questions == ("First?", "Second?")
    assert parse_article(path).question_from == "front matter"


def test_yaml_date_becomes_iso_string(tmp_path: Path) -> None:
    """A bare YAML date in `published` is stored as its ISO string."""
    path = write(tmp_path, "d.md", article_text(published="2024-03-02"))
    assert parse_article(path).published == "2024-03-02"


def test_numeric_film_title_is_text(tmp_path: Path) -> None:
    """A film called 1917 written unquoted is read as the text '1917'."""
    path = write(tmp_path, "n.md", article_text(film="1917", year="2019"))
    article = parse_article(path)
    assert (article.film, article.year) == ("1917", 2019)


def test_unknown_key_is_ignored_with_debug_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An unknown front-matter key is skipped and logged at DEBUG."""
    path = write(tmp_path, "u.md", article_text(rating="5 stars"))
    with caplog.at_level(logging.DEBUG, logger="bot.articles"):
        article = parse_article(path)
    assert article.title == "A title"
    assert any("rating" in r.getMessage() and r.levelno == logging.DEBUG for r in caplog.records)


def test_crlf_and_bom_are_accepted(tmp_path: Path) -> None:
    """Windows line endings and a UTF-8 byte-order mark do not break parsing."""
    path = tmp_path / "win.md"
    path.write_bytes("\ufeff---\r\ntitle: Windows\r\n---\r\nBody.\r\n".encode())
    article = parse_article(path)
    assert (article.title, article.body) == ("Windows", "Body.")


BROKEN = {  # name: (file text, part of the expected problem)
    "empty": ("", "file is empty"),
    "whitespace-only": ("  \n\n", "file is empty"),
    "no-front-matter": ("# Just Markdown\n\nNo front matter.\n", "first line must be '---'"),
    "unterminated": ("---\ntitle: Open\n\nNo closing line.\n", "front matter is not closed"),
    "invalid-yaml": ("---\ntitle: ok\nfilm: [unclosed\n---\nBody\n", "not valid YAML (line 3)"),
    "bad-indentation": ("---\ntitle: ok\n  film: x\n---\n", "not valid YAML (line 3)"),
    "list-front-matter": ("---\n- title\n- film\n---\n", "must be a mapping"),
    "scalar-front-matter": ("---\njust a sentence\n---\n", "must be a mapping"),
    "empty-front-matter": ("---\n---\nBody\n", "no title"),
    "missing-title": ("---\nfilm: Vertigo\n---\n", "no title"),
    "blank-title": ("---\ntitle: '  '\n---\n", "no title"),
    "title-is-list": ("---\ntitle: [a, b]\n---\n", "title must be a string"),
    "year-is-text": ("---\ntitle: T\nyear: nineteen fifty-eight\n---\n", "year must be an integer"),
    "year-is-quoted": ("---\ntitle: T\nyear: '1958'\n---\n", "year must be an integer"),
    "year-is-float": ("---\ntitle: T\nyear: 1958.5\n---\n", "year must be an integer"),
    "year-is-bool": ("---\ntitle: T\nyear: true\n---\n", "year must be an integer"),
    "year-implausible": ("---\ntitle: T\nyear: 19580\n---\n", "not a plausible film year"),
    "tags-is-string": ("---\ntitle: T\ntags: noir\n---\n", "tags must be a list of strings"),
    "tags-has-number": ("---\ntitle: T\ntags: [noir, 7]\n---\n", "tags item 2"),
    "tags-has-empty": ("---\ntitle: T\ntags: [noir, '']\n---\n", "tags item 2"),
    "question-is-list": ("---\ntitle: T\nquestion: [a, b]\n---\n", "question must be a string"),
    "questions-is-string": ("---\ntitle: T\nquestions: Why?\n---\n", "questions must be a list"),
    "questions-has-mapping": ("---\ntitle: T\nquestions:\n  - a: b\n---\n", "questions item 1"),
    "question-and-questions": (
        "---\ntitle: T\nquestion: A?\nquestions:\n  - B?\n---\n",
        "either question or questions",
    ),
    "url-is-number": ("---\ntitle: T\nurl: 42\n---\n", "url must be a string"),
    "excerpt-is-list": ("---\ntitle: T\nexcerpt: [a]\n---\n", "excerpt must be a string"),
    "published-is-list": ("---\ntitle: T\npublished: [2024]\n---\n", "published must be"),
    "impossible-date": ("---\ntitle: T\npublished: 2024-13-45\n---\n", "invalid value"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_text_raises_one_line_error_naming_file(tmp_path: Path, name: str) -> None:
    """Each broken file gives an ArticleError whose message is one line starting with the path."""
    text, problem = BROKEN[name]
    path = write(tmp_path, f"{name}.md", text)
    with pytest.raises(ArticleError) as info:
        parse_article(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert "\n" not in message
    assert problem in message
    assert info.value.path == path


@pytest.mark.parametrize(
    ("name", "data", "problem"),
    [
        ("latin1", "---\ntitle: Caf\xe9\n---\n".encode("latin-1"), "not valid UTF-8"),
        ("binary", b"\x89PNG\r\n\x1a\n\x00\x00", "not valid UTF-8"),
        ("oversize", b"---\ntitle: Big\n---\n" + b"x" * MAX_FILE_BYTES, "-byte limit"),
    ],
)
def test_broken_bytes_raise_one_line_error_naming_file(
    tmp_path: Path, name: str, data: bytes, problem: str
) -> None:
    """Non-UTF-8 and over-1-MiB files give a one-line ArticleError naming the file."""
    path = tmp_path / f"{name}.md"
    path.write_bytes(data)
    with pytest.raises(ArticleError) as info:
        parse_article(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert "\n" not in message
    assert problem in message


def test_yaml_error_names_the_file_line(tmp_path: Path) -> None:
    """A YAML syntax error reports the line number within the whole file."""
    path = write(tmp_path, "x.md", "---\ntitle: ok\nfilm: [unclosed\n---\n")
    with pytest.raises(ArticleError, match=r"not valid YAML \(line 3\)"):
        parse_article(path)


def test_wrong_type_message_names_field(tmp_path: Path) -> None:
    """A wrong-typed field's message says which field and what it got."""
    path = write(tmp_path, "y.md", "---\ntitle: T\nyear: '1958'\n---\n")
    with pytest.raises(ArticleError, match="year must be an integer, not a string"):
        parse_article(path)


# ---------------------------------------------------------------------------
# Excerpts
# ---------------------------------------------------------------------------


def test_excerpt_skips_headings_images_and_blank_lines(tmp_path: Path) -> None:
    """The excerpt is the first real paragraph, joined onto one line."""
    body = (
        "\n# A heading\n\n![a still](still.jpg)\n\nSubtitle\n========\n\n"
        "> A quoted epigraph.\n\n"
        "The first real\nparagraph *here*.\n\nThe second paragraph."
    )
    article = parse_article(write(tmp_path, "e.md", article_text(body=body)))
    assert article.excerpt == "The first real paragraph *here*."


def test_long_excerpt_is_cut_at_a_sentence_boundary(tmp_path: Path) -> None:
    """A paragraph over the limit is cut after the last whole sentence that fits."""
    sentence = "This sentence is exactly fifty characters long ok. "
    assert len(sentence) == 51
    body = sentence * 20
    excerpt = parse_article(write(tmp_path, "l.md", article_text(body=body))).excerpt
    assert len(excerpt) <= EXCERPT_CHARS
    assert excerpt.endswith("long ok.")
    assert excerpt == (sentence * 11).strip()


def test_excerpt_does_not_cut_after_an_initial(tmp_path: Path) -> None:
    """A full stop after an initial or 'dir.' is not treated as a sentence end."""
    filler = "word " * 110  # 550 characters
    body = f"Short one. {filler}dir. J. Smith made it and it runs on past the limit for sure."
    excerpt = parse_article(write(tmp_path, "i.md", article_text(body=body))).excerpt
    assert excerpt == "Short one."


def test_excerpt_without_sentence_end_gets_ellipsis(tmp_path: Path) -> None:
    """One enormous sentence is cut at a word boundary and marked with an ellipsis."""
    body = "word " * 300
    excerpt = parse_article(write(tmp_path, "w.md", article_text(body=body))).excerpt
    assert len(excerpt) <= EXCERPT_CHARS
    assert excerpt.endswith("word…")


def test_front_matter_excerpt_wins(tmp_path: Path) -> None:
    """An excerpt given in the front matter is used instead of the body's."""
    path = write(tmp_path, "f.md", article_text(excerpt="Given.", body="From the body."))
    assert parse_article(path).excerpt == "Given."


# ---------------------------------------------------------------------------
# The sample library
# ---------------------------------------------------------------------------


def test_sample_library_loads_four_complete_articles() -> None:
    """The shipped articles all parse, each with a title, film, year and question."""
    found, errors = ArticleLibrary(SAMPLES).all()
    assert errors == []
    assert len(found) == 4
    for article in found:
        assert article.title and article.film and article.year, article.slug
        assert article.question.strip(), article.slug
        assert article.excerpt, article.slug
        assert 250 <= len(article.body.split()) <= 520, article.slug


# ---------------------------------------------------------------------------
# ArticleLibrary
# ---------------------------------------------------------------------------


@pytest.fixture
def library(tmp_path: Path) -> ArticleLibrary:
    for slug, title in [
        ("vertigo", "Vertigo and the second fall"),
        ("stalker", "Stalker: three men at the threshold"),
        ("rear-window", "Rear Window, again"),
        ("after-vertigo", "What came after"),
        ("portrait", "Portrait of a lady"),
    ]:
        write(tmp_path, f"{slug}.md", article_text(title=f'"{title}"'))
    write(tmp_path, "broken-vertigo.md", "---\nfilm: no title\n---\n")
    return ArticleLibrary(tmp_path)


def test_slugs_are_sorted_file_stems(library: ArticleLibrary) -> None:
    """slugs() lists every .md file's stem, sorted, broken ones included."""
    assert library.slugs() == [
        "after-vertigo",
        "broken-vertigo",
        "portrait",
        "rear-window",
        "stalker",
        "vertigo",
    ]


def test_slugs_skip_other_files(tmp_path: Path) -> None:
    """Hidden files, files neither Markdown nor plain text, and folders are not articles."""
    write(tmp_path, "real.md", article_text())
    write(tmp_path, ".draft.md", article_text())
    write(tmp_path, "notes.rst", "hello")
    write(tmp_path, "still.jpg", "not an article")
    (tmp_path / "folder.md").mkdir()
    assert ArticleLibrary(tmp_path).slugs() == ["real"]


def test_all_reports_broken_files_and_loads_the_rest(library: ArticleLibrary) -> None:
    """all() returns the good articles and one error per broken file."""
    found, errors = library.all()
    assert len(found) == 5
    assert [e.path.name for e in errors] == ["broken-vertigo.md"]
    assert "no title" in str(errors[0])


def test_get_returns_the_article(library: ArticleLibrary) -> None:
    """get() returns the parsed article for a slug."""
    assert library.get("stalker").title == "Stalker: three men at the threshold"


def test_get_unknown_slug_names_slug_not_the_folder(library: ArticleLibrary) -> None:
    """A missing slug raises ArticleNotFound naming the slug, without the folder's path."""
    with pytest.raises(ArticleNotFound) as info:
        library.get("nope")
    message = str(info.value)
    assert message == "no article 'nope' in the library"
    assert info.value.path == library.root
    assert isinstance(info.value, ArticleError)


def test_get_broken_file_raises_its_error(library: ArticleLibrary) -> None:
    """get() on a broken file raises that file's ArticleError, not ArticleNotFound."""
    with pytest.raises(ArticleError, match="no title") as info:
        library.get("broken-vertigo")
    assert not isinstance(info.value, ArticleNotFound)


@pytest.mark.parametrize(
    "slug", ["../secret", "..", "a/b", "a\\b", "/etc/passwd", "", ".hidden", "x\0y"]
)
def test_get_rejects_path_like_slugs(tmp_path: Path, slug: str) -> None:
    """Slugs with separators, '..' or other non-file-name shapes are refused."""
    root = tmp_path / "articles"
    root.mkdir()
    write(tmp_path, "secret.md", article_text())
    with pytest.raises(ArticleNotFound, match="invalid article slug"):
        ArticleLibrary(root).get(slug)


def test_missing_folder_is_an_empty_library(tmp_path: Path) -> None:
    """A folder that does not exist gives no slugs, no articles and no errors."""
    library = ArticleLibrary(tmp_path / "nowhere")
    assert library.slugs() == []
    assert library.all() == ([], [])
    assert library.search("") == []
    with pytest.raises(ArticleNotFound):
        library.get("anything")


def test_search_puts_prefix_matches_first(library: ArticleLibrary) -> None:
    """Prefix matches on slug or title come before substring matches, skipping broken files."""
    assert [a.slug for a in library.search("vertigo")] == ["vertigo", "after-vertigo"]


def test_search_is_case_insensitive_on_title(library: ArticleLibrary) -> None:
    """Search matches the title ignoring case."""
    assert [a.slug for a in library.search("THRESH")] == ["stalker"]


def test_search_empty_text_lists_everything_by_title(library: ArticleLibrary) -> None:
    """An empty query returns every good article, ordered by title."""
    titles = [a.title for a in library.search("  ")]
    assert titles == sorted(titles, key=str.casefold)
    assert len(titles) == 5


def test_search_is_capped_at_limit(tmp_path: Path) -> None:
    """search() never returns more than `limit` articles (25 by default)."""
    for i in range(30):
        write(tmp_path, f"film-{i:02}.md", article_text(title=f"Film {i:02}"))
    library = ArticleLibrary(tmp_path)
    assert len(library.search("film")) == 25
    assert [a.slug for a in library.search("film", limit=3)] == ["film-00", "film-01", "film-02"]
    assert library.search("film", limit=0) == []


@pytest.fixture
def parse_calls(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    calls: list[Path] = []
    real = articles.parse_article

    def counting(path: Path):
        calls.append(path)
        return real(path)

    monkeypatch.setattr(articles, "parse_article", counting)
    return calls


def test_unchanged_files_are_not_parsed_again(
    library: ArticleLibrary, parse_calls: list[Path]
) -> None:
    """Repeated searches reuse the cache, broken files included."""
    library.search("v")
    library.search("ve")
    library.all()
    library.get("vertigo")
    assert len(parse_calls) == 6
    assert len(set(parse_calls)) == 6


def test_changed_file_is_parsed_again(library: ArticleLibrary, parse_calls: list[Path]) -> None:
    """A file whose size changes is re-read and the new title is seen."""
    library.search("")
    path = write(library.root, "vertigo.md", article_text(title="Vertigo, revisited at length"))
    assert library.get("vertigo").title == "Vertigo, revisited at length"
    assert parse_calls.count(path) == 2
    assert len(parse_calls) == 7


def test_touched_file_is_parsed_again(library: ArticleLibrary, parse_calls: list[Path]) -> None:
    """A file whose mtime changes with the same size is re-read."""
    library.get("portrait")
    path = library.root / "portrait.md"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    library.get("portrait")
    assert parse_calls == [path, path]


def test_fixed_file_leaves_the_error_list(library: ArticleLibrary) -> None:
    """Fixing a broken file makes it load on the next call."""
    assert len(library.all()[1]) == 1
    write(library.root, "broken-vertigo.md", article_text(title="Fixed now, with a title"))
    found, errors = library.all()
    assert errors == []
    assert "broken-vertigo" in {a.slug for a in found}


# ---------------------------------------------------------------------------
# Plain-text articles, closing questions, identity and the catalog (issue 3)
# ---------------------------------------------------------------------------


def test_plain_text_file_is_title_blank_line_body(tmp_path: Path) -> None:
    """A .txt file's first line is the title and the rest, after a blank line, the body."""
    path = write(tmp_path, "plain.txt", "Night of the Hunter\n\nA fable. Who is the hunter?\n")
    article = parse_article(path)
    assert (article.slug, article.title, article.body) == (
        "plain", "Night of the Hunter", "A fable. Who is the hunter?")
    assert article.questions == ("Who is the hunter?",)


def test_body_questions_are_used_when_front_matter_has_none(tmp_path: Path) -> None:
    """Without question(s) in the front matter, the article's closing questions are used."""
    path = write(tmp_path, "q.md", article_text(body="Some text.\n\nWhy? And how?"))
    assert parse_article(path).questions == ("Why?", "And how?")


def test_library_reads_text_files_and_reports_a_slug_clash(tmp_path: Path) -> None:
    """x.md and x.txt: the Markdown file is the article, the text file an error naming both."""
    write(tmp_path, "x.md", article_text(title="Markdown"))
    write(tmp_path, "x.txt", "Plain\n\nBody.\n")
    write(tmp_path, "y.txt", "Only plain\n\nBody.\n")
    library = ArticleLibrary(tmp_path)
    found, errors = library.all()
    assert [(a.slug, a.title) for a in found] == [("x", "Markdown"), ("y", "Only plain")]
    assert len(errors) == 1 and "already taken by x.md" in str(errors[0])
    assert library.slugs() == ["x", "y"]
    assert library.get("y").title == "Only plain"


@pytest.mark.parametrize(("url", "canonical"), [
    ("http://www.Example.com/a/?utm_source=x&fbclid=1#top", "https://example.com/a"),
    ("https://example.com:443/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
    ("https://example.com", "https://example.com/"),
    ("https://example.com:8080//a//b/", "https://example.com:8080/a/b"),
    ("ftp://example.com/a", None),
    ("not a url", None),
    ("https://example.com:99999/", None),
])
def test_canonical_url(url: str, canonical: str | None) -> None:
    """Scheme, www., default port, fragment, tracking and query order don't make a new page."""
    assert articles.canonical_url(url) == canonical


def test_content_hash_ignores_markup_and_case() -> None:
    """The same words as Markdown or plain text hash alike; short bodies get no hash."""
    words = " ".join(f"word{n}" for n in range(50))
    assert articles.content_hash(f"*{words}* [link](https://x.example)") == \
        articles.content_hash(words.upper() + " link")
    assert articles.content_hash("too short") is None


@pytest.mark.parametrize(("title", "slug"), [
    ("Vertigo: the second fall", "vertigo-the-second-fall"),
    ("Céline Sciamma's Portrait", "celine-sciamma-s-portrait"),
    ("  ", "article"),
    ("あいう", "article"),
    ("a" * 70, "a" * 60),
])
def test_slugify(title: str, slug: str) -> None:
    """Titles become file-name-safe slugs of at most 60 characters."""
    assert articles.slugify(title) == slug


@pytest.fixture
async def catalog(tmp_path: Path) -> AsyncIterator[articles.Catalog]:
    from bot.store import SQLiteStore

    folder = tmp_path / "articles"
    folder.mkdir()
    write(folder, "vertigo.md", article_text(title="Vertigo", url="https://v.example/vertigo"))
    async with SQLiteStore(tmp_path / "db.sqlite") as store:
        yield articles.Catalog(ArticleLibrary(folder), store)


async def test_catalog_finds_files_and_stored_articles(catalog: articles.Catalog) -> None:
    """get and search see the folder's files and the store's articles together."""
    from bot.models import Article

    added, fresh = await catalog.add(Article(slug="", title="Vertigo, a page"),
                                     origin="page", source="https://p.example", now=NOW)
    assert fresh and added.article.slug == "vertigo-a-page"
    assert (await catalog.get("vertigo-a-page")).title == "Vertigo, a page"
    assert [a.slug for a in await catalog.search("vert")] == ["vertigo", "vertigo-a-page"]
    with pytest.raises(ArticleNotFound):
        await catalog.get("nothing")


async def test_catalog_add_of_a_known_url_returns_the_file(catalog: articles.Catalog) -> None:
    """A page whose canonical URL is a file's URL is that file's article: nothing is added."""
    from bot.models import Article

    page = Article(slug="", title="Vertigo elsewhere", url="http://www.v.example/vertigo/")
    existing, fresh = await catalog.add(page, origin="page", source="x", now=NOW)
    assert not fresh and existing.article.slug == "vertigo"
    assert await catalog.store.list_articles() == []


async def test_new_slugs_never_shadow_files(catalog: articles.Catalog) -> None:
    """A stored article titled like a file gets a numbered slug."""
    assert await catalog.free_slug("Vertigo") == "vertigo-2"


# ---------------------------------------------------------------------------
# Hostile files (issue 13): links out of the library, NUL bytes, paths in messages
# ---------------------------------------------------------------------------


def test_library_errors_name_files_relative_to_the_library(tmp_path: Path) -> None:
    """No absolute path in a library error: the file's name within the folder, one line."""
    root = tmp_path / "articles"
    root.mkdir()
    write(root, "broken.md", "no front matter\n")
    library = ArticleLibrary(root)
    _, errors = library.all()
    assert [str(e) for e in errors] == [
        "broken.md: no front matter: the first line must be '---'"]
    with pytest.raises(ArticleError) as info:
        library.get("broken")
    assert str(info.value).startswith("broken.md: ") and str(tmp_path) not in str(info.value)
    assert info.value.path == root / "broken.md"  # the whole path stays for the CLI


def test_links_to_files_outside_the_library_are_refused(tmp_path: Path) -> None:
    """A symlink out of the folder is not read: its own error, never the target's text."""
    root, outside = tmp_path / "articles", tmp_path / "private"
    root.mkdir()
    outside.mkdir()
    write(outside, "secret.md", article_text("Secret", "The database password is hunter2."))
    write(root, "real.md", article_text("Real one", "A real article."))
    (root / "evil.md").symlink_to(outside / "secret.md")
    (root / "passwd.txt").symlink_to("/etc/passwd")
    (root / "alias.md").symlink_to(root / "real.md")  # inside the folder: fine
    library = ArticleLibrary(root)
    articles, errors = library.all()
    assert sorted(a.slug for a in articles) == ["alias", "real"]
    assert sorted(str(e) for e in errors) == [
        "evil.md: is a link to a file outside the library; not read",
        "passwd.txt: is a link to a file outside the library; not read"]
    with pytest.raises(ArticleError, match="outside the library"):
        library.get("evil")
    assert [a.slug for a in library.search("secret")] == []
    assert all("hunter2" not in a.body for a in articles)


def test_a_link_that_turns_outside_later_is_refused_then(tmp_path: Path) -> None:
    """A link read once while inside, then pointed outside, is refused (not served from cache)."""
    root = tmp_path / "articles"
    root.mkdir()
    write(root, "target.md", article_text("Inside", "Inside text."))
    write(tmp_path, "outside.md", article_text("Outside", "Outside text."))
    link = root / "moving.md"
    link.symlink_to(root / "target.md")
    library = ArticleLibrary(root)
    assert library.get("moving").title == "Inside"
    link.unlink()
    link.symlink_to(tmp_path / "outside.md")
    with pytest.raises(ArticleError, match="outside the library"):
        library.get("moving")


@pytest.mark.parametrize("data", [
    b"---\ntitle: Nul\n---\nBody with a \x00 in it.\n",
    b"---\ntitle: Nul\x00\n---\nBody.\n",
    b"Plain title\n\nBody \x00\n",
])
def test_article_files_holding_nul_bytes_are_refused(tmp_path: Path, data: bytes) -> None:
    """A NUL byte anywhere in the file: refused in one line naming the file and the byte."""
    path = tmp_path / ("nul.txt" if data.startswith(b"Plain") else "nul.md")
    path.write_bytes(data)
    with pytest.raises(ArticleError) as info:
        parse_article(path)
    assert str(info.value) == (f"{path}: file holds a NUL byte (byte {data.index(0)}): "
                               "not a text article")

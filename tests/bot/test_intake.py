"""`articles add`: files, saved pages and URLs into the catalog; bad input adds nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.articles import MAX_FILE_BYTES, ArticleLibrary, Catalog
from bot.errors import FilmclubError
from bot.fetch import Fetcher
from bot.intake import add_source
from bot.store import Store
from tests.webserver import RSS, LoopbackForTests, WebServer, rss

LIBRARY = Path(__file__).parents[1] / "library"
NOW = datetime(2024, 3, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
async def catalog(store: Store, tmp_path: Path) -> Catalog:
    return Catalog(ArticleLibrary(tmp_path / "articles"), store)


@pytest.fixture
async def fetcher(web_server: WebServer) -> AsyncIterator[Fetcher]:
    policy = LoopbackForTests(web_server.port, 9)  # 9: a closed port, to be unreachable
    async with Fetcher(timeout=0.5, policy=policy) as fetch:
        yield fetch


async def everything(catalog: Catalog) -> tuple[list[str], list[str]]:
    """Slugs of the catalog's articles, and the names of its folder's files."""
    entries, _ = await catalog.entries()
    folder = catalog.library.root
    files = sorted(p.name for p in folder.iterdir()) if folder.exists() else []
    return [e.article.slug for e in entries], files


@pytest.mark.parametrize("name", ["cta-only-parasite.md", "scraped-burning.txt"])
async def test_article_file_is_copied_into_the_library(catalog: Catalog, fetcher: Fetcher,
                                                       name: str) -> None:
    """A Markdown or plain-text file is checked and copied in under its own name."""
    added = await add_source(str(LIBRARY / name), catalog, fetcher, now=NOW)
    assert added.added and added.origin == "file"
    assert (catalog.library.root / name).read_bytes() == (LIBRARY / name).read_bytes()
    assert (await catalog.get(added.slug)).title == added.title


async def test_adding_the_same_file_twice_adds_it_once(catalog: Catalog, fetcher: Fetcher) -> None:
    """The second add says it is already there and changes nothing."""
    source = str(LIBRARY / "cta-only-parasite.md")
    await add_source(source, catalog, fetcher, now=NOW)
    again = await add_source(source, catalog, fetcher, now=NOW)
    assert not again.added and "already in the library" in again.line()
    assert await everything(catalog) == (["cta-only-parasite"], ["cta-only-parasite.md"])


async def test_saved_html_page_is_stored_with_its_metadata(catalog: Catalog,
                                                           fetcher: Fetcher) -> None:
    """A saved page becomes a stored article with title, author, date, image and canonical URL."""
    added = await add_source(str(LIBRARY / "aftersun-review.html"), catalog, fetcher, now=NOW)
    assert added.origin == "html-file" and added.slug == "aftersun-and-the-weight-of-memory"
    article = await catalog.get(added.slug)
    assert (article.author, article.published, article.source) == (
        "Priya Nair", "2024-03-14", "Reel Notes")
    assert article.image == "https://reelnotes.example/img/aftersun-balcony.jpg"
    assert article.url == "https://reelnotes.example/2024/03/aftersun-weight-of-memory/"


async def test_page_by_url_then_same_page_with_tracking_is_one_article(
        catalog: Catalog, fetcher: Fetcher, web_server: WebServer) -> None:
    """The page by URL is added; the same page again (tracking query, saved file) is not."""
    url = web_server.serve("aftersun", (LIBRARY / "aftersun-review.html").read_bytes())
    first = await add_source(url, catalog, fetcher, now=NOW)
    assert first.added and first.origin == "page"
    web_server.serve("aftersun-2", (LIBRARY / "aftersun-review.html").read_bytes())
    again = await add_source(web_server.url("aftersun-2?utm_source=x"), catalog, fetcher, now=NOW)
    saved = await add_source(str(LIBRARY / "aftersun-review.html"), catalog, fetcher, now=NOW)
    assert (again.added, saved.added) == (False, False)
    assert again.slug == saved.slug == first.slug
    assert (await everything(catalog))[0] == [first.slug]


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


BAD_FILES = {  # file name: (bytes, part of the one-line problem)
    "bad-front.md": (b"---\ntitle: [unclosed\n---\nBody\n", "not valid YAML"),
    "latin1.md": ("---\ntitle: Café\n---\n".encode("latin-1"), "not valid UTF-8"),
    "empty.txt": (b"\n\n", "file is empty"),
    "huge.md": (b"---\ntitle: Big\n---\n" + b"x" * MAX_FILE_BYTES, "-byte limit"),
    "no-blank-line.txt": (b"Title\nBody starts at once\n", "line 2 must be blank"),
    "login-page.html": (b"<html><head><title>Log in</title></head><body><form>"
                        b"<input name=user></form><a href='/'>Home</a></body></html>",
                        "no article found on this page"),
    "empty.html": (b"", "the page is empty"),
    "notes.docx": (b"PK\x03\x04", "not an article file"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
async def test_bad_file_is_one_line_and_nothing_is_added(catalog: Catalog, fetcher: Fetcher,
                                                         tmp_path: Path, name: str) -> None:
    """Malformed, non-UTF-8, empty, huge, not-an-article or unknown files: one line, no change."""
    data, problem = BAD_FILES[name]
    path = write(tmp_path, name, data)
    with pytest.raises(FilmclubError) as info:
        await add_source(path, catalog, fetcher, now=NOW)
    message = str(info.value)
    assert message.startswith(path) and problem in message and "\n" not in message
    assert await everything(catalog) == ([], [])


@pytest.mark.parametrize(("make", "problem"), [
    (lambda w: w.url("missing"), "HTTP 404"),
    (lambda w: "http://127.0.0.1:9/page", "cannot connect"),
    (lambda w: w.serve("feed", rss("A feed", []), content_type=RSS), "this is a feed"),
    (lambda w: w.serve("image", b"\x89PNG", content_type="image/png"), "not a web page"),
    (lambda w: w.serve("slow", "<html></html>", delay=0.8), "no answer within"),
], ids=["missing", "unreachable", "feed", "image", "times-out"])
async def test_bad_url_is_one_line_and_nothing_is_added(catalog: Catalog, fetcher: Fetcher,
                                                        web_server: WebServer, make,
                                                        problem: str) -> None:
    """A missing, unreachable, slow, feed or image URL: one line naming it, nothing added."""
    url = make(web_server)
    with pytest.raises(FilmclubError) as info:
        await add_source(url, catalog, fetcher, now=NOW)
    assert str(info.value).startswith(url) and problem in str(info.value)
    assert await everything(catalog) == ([], [])


async def test_missing_path_that_is_no_url_either(catalog: Catalog, fetcher: Fetcher) -> None:
    """A path that does not exist is named in one line."""
    with pytest.raises(FilmclubError, match=r"no-such\.md: no such file, and not an http"):
        await add_source("no-such.md", catalog, fetcher, now=NOW)


async def test_a_file_with_a_taken_name_is_refused(catalog: Catalog, fetcher: Fetcher,
                                                   tmp_path: Path) -> None:
    """A different file with the name of one already in the library is refused, not replaced."""
    await add_source(str(LIBRARY / "no-questions-stalker.md"), catalog, fetcher, now=NOW)
    other = tmp_path / "elsewhere"
    other.mkdir()
    path = write(other, "no-questions-stalker.md", b"---\ntitle: Another\n---\nOther text.\n")
    with pytest.raises(FilmclubError, match="already has a different"):
        await add_source(path, catalog, fetcher, now=NOW)
    assert (await catalog.get("no-questions-stalker")).title == "Stalker, slowly"

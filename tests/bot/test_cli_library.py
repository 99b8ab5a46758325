"""`filmclub articles …` and `filmclub feeds …`: what they print, and their exit codes."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from bot import cli, cli_library
from bot.config import from_env
from tests.webserver import RSS, WebServer, rss

ROOT = Path(__file__).parents[2]
LIBRARY = ROOT / "tests" / "library"
CHANNEL = "1300000000000000005"
OTHER_CHANNEL = "1300000000000000006"
LONG = "<p>" + "A long patient scene at the table says more than any speech. " * 30 + "</p>"


async def run(tmp_path: Path, *argv: str) -> int:
    """Run a library command in this process, with the database and library in ``tmp_path``."""
    config = from_env({"FILMCLUB_DB": str(tmp_path / "filmclub.db"),
                       "FILMCLUB_ARTICLES": str(tmp_path / "articles")})
    return await cli_library.run(config, cli._parser().parse_args(argv))


async def filmclub(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    """Run ``python -m bot`` as a user would, with the database and library in ``tmp_path``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DISCORD_", "FILMCLUB_", "LOG_LEVEL"))}
    env.update(PYTHONPATH=str(ROOT), FILMCLUB_DB=str(tmp_path / "filmclub.db"),
               FILMCLUB_ARTICLES=str(tmp_path / "articles"), LOG_LEVEL="WARNING")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_articles_add_and_list(tmp_path: Path, web_server: WebServer,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Add a file, a URL and the same page saved; list shows two, and names a broken file."""
    url = web_server.serve("aftersun", (LIBRARY / "aftersun-review.html").read_bytes())
    assert await run(tmp_path, "articles", "add", str(LIBRARY / "cta-only-parasite.md")) == 0
    assert await run(tmp_path, "articles", "add", url) == 0
    assert await run(tmp_path, "articles", "add", str(LIBRARY / "aftersun-review.html")) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("added 'cta-only-parasite': Parasite: the house on the hill")
    assert out[1].startswith("added 'aftersun-and-the-weight-of-memory'")
    assert out[2].startswith("already in the library as 'aftersun-and-the-weight-of-memory'")

    (tmp_path / "articles" / "broken.md").write_text("no front matter\n", encoding="utf-8")
    assert await run(tmp_path, "articles", "list") == 0
    shown = capsys.readouterr()
    assert ("aftersun-and-the-weight-of-memory\tpage\tAftersun and the weight of memory\t"
            "asks: What did you think of the film? What questions did it raise for you?"
            ) in shown.out
    assert "cta-only-parasite\tfile\tParasite: the house on the hill\tno question" in shown.out
    assert shown.out.endswith("2 article(s), 1 broken file(s)\n")
    assert shown.err == (f"filmclub: {tmp_path / 'articles' / 'broken.md'}: no front matter: "
                         "the first line must be '---'\n")


async def test_feeds_add_list_poll_remove(tmp_path: Path, web_server: WebServer,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """Two feeds; one breaks: poll reports it on stderr (status 1) and the other still polls."""
    good = web_server.serve("good", rss("Good", []), content_type=RSS)
    bad = web_server.serve("bad", rss("Bad", []), content_type=RSS)
    assert await run(tmp_path, "feeds", "add", good, "--channel", CHANNEL, "--every", "15") == 0
    assert await run(tmp_path, "feeds", "add", bad, "--channel", OTHER_CHANNEL, "--post") == 0
    added = capsys.readouterr().out.splitlines()
    assert added[0] == (f"feed 1: {good} -> channel {CHANNEL} (queue, every 15 min); "
                        "0 entries now, 0 to take at the first poll")
    assert "(post, every 60 min)" in added[1]

    web_server.serve("good", rss("Good", [{"title": "A new review", "guid": "g1",
                                           "link": "https://good.example/1",
                                           "content": LONG + "<p>Who is watching whom?</p>"}]),
                     content_type=RSS)
    web_server.serve("bad", "this is not XML at all", content_type="text/plain")
    assert await run(tmp_path, "feeds", "poll") == 1
    polled = capsys.readouterr()
    assert polled.out == f"{good}: 1 new article(s), 1 queued\n"
    assert polled.err == (f"filmclub: {bad}: not an RSS or Atom feed "
                          "(syntax error at line 2)\n")

    assert await run(tmp_path, "feeds", "list") == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0].startswith(f"1\t{good}\tchannel {CHANNEL}\tqueue\tevery 15 min\tpolled ")
    assert listing[0].endswith("\tok") and "\terror: " in listing[1]
    assert await run(tmp_path, "feeds", "remove", "2") == 0
    assert await run(tmp_path, "feeds", "remove", "2") == 2
    removed = capsys.readouterr()
    assert removed.out == "feed 2 removed\n"
    assert removed.err == "filmclub: there is no feed 2 (see `filmclub feeds list`)\n"


async def test_bad_article_file_is_one_line_and_status_2(tmp_path: Path) -> None:
    """As a user runs it: malformed front matter is one line naming the file, status 2."""
    bad = tmp_path / "bad.md"
    bad.write_text("---\ntitle: [oops\n---\n", encoding="utf-8")
    status, out, err = await filmclub(tmp_path, "articles", "add", str(bad))
    assert (status, out) == (2, "")
    assert err.startswith(f"filmclub: {bad}: front matter is not valid YAML")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "articles").exists()


async def test_web_page_given_as_a_feed_is_one_line_and_status_2(tmp_path: Path,
                                                                web_server: WebServer) -> None:
    """As a user runs it: a web page is not a feed; nothing is stored."""
    url = web_server.serve("page", (LIBRARY / "aftersun-review.html").read_bytes())
    status, _, err = await filmclub(tmp_path, "feeds", "add", url, "--channel", CHANNEL)
    assert status == 2
    assert err == f"filmclub: {url}: this is a web page, not a feed (add it with `articles add`)\n"
    assert await run(tmp_path, "feeds", "list") == 0

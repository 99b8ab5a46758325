"""`filmclub articles …` and `filmclub feeds …`: what they print, and their exit codes."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

import pytest

from bot import cli, cli_library
from bot.config import from_env
from bot.errors import FilmclubError, SourceError
from bot.netguard import FetchPolicy
from tests.webserver import RSS, WebServer, rss

ROOT = Path(__file__).parents[2]
LIBRARY = ROOT / "tests" / "library"
CHANNEL = "1300000000000000005"
OTHER_CHANNEL = "1300000000000000006"
GUILD = 1_200_000_000_000_000_077
LONG = "<p>" + "A long patient scene at the table says more than any speech. " * 30 + "</p>"


async def run(tmp_path: Path, *argv: str, policy: FetchPolicy | None = None) -> int:
    """Run a library command in this process, with the database and library in ``tmp_path``.

    ``policy``: the test web server's, to let the fetcher reach it on 127.0.0.1.
    """
    config = from_env({"FILMCLUB_DB": str(tmp_path / "filmclub.db"),
                       "FILMCLUB_ARTICLES": str(tmp_path / "articles"),
                       "FILMCLUB_FILM_LOOKUP": "off"})
    return await cli_library.run(config, cli._parser().parse_args(argv), policy=policy)


async def filmclub(tmp_path: Path, *args: str, env: dict[str, str] | None = None,
                   **settings: str) -> tuple[int, str, str]:
    """Run ``python -m bot`` as a user would, with the database and library in ``tmp_path``."""
    extra = env or {}
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DISCORD_", "FILMCLUB_", "LOG_LEVEL"))}
    env.update(PYTHONPATH=str(ROOT), FILMCLUB_DB=str(tmp_path / "filmclub.db"),
               FILMCLUB_ARTICLES=str(tmp_path / "articles"), LOG_LEVEL="WARNING",
               FILMCLUB_FILM_LOOKUP="off", **settings)
    env.update(extra)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()


async def here(tmp_path: Path, capsys: pytest.CaptureFixture[str], *argv: str,
               policy: FetchPolicy) -> tuple[int, str, str]:
    """Like ``filmclub``, in this process, for commands that fetch from the test web server
    (only this process's policy lets the fetcher reach 127.0.0.1); errors as the CLI says them."""
    capsys.readouterr()
    try:
        status = await run(tmp_path, *argv, policy=policy)
    except FilmclubError as exc:
        captured = capsys.readouterr()
        return 2, captured.out, captured.err + f"filmclub: {exc}\n"
    captured = capsys.readouterr()
    return status, captured.out, captured.err


async def test_articles_add_and_list(tmp_path: Path, web_server: WebServer,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Add a file, a URL and the same page saved; list shows two, and names a broken file."""
    url = web_server.serve("aftersun", (LIBRARY / "aftersun-review.html").read_bytes())
    assert await run(tmp_path, "articles", "add", str(LIBRARY / "cta-only-parasite.md")) == 0
    assert await run(tmp_path, "articles", "add", url, policy=web_server.policy) == 0
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
    policy = web_server.policy
    assert await run(tmp_path, "feeds", "add", good, "--channel", CHANNEL, "--every", "15",
                     policy=policy) == 0
    assert await run(tmp_path, "feeds", "add", bad, "--channel", OTHER_CHANNEL, "--post",
                     policy=policy) == 0
    added = capsys.readouterr().out.splitlines()
    assert added[0] == (f"feed 1: {good} -> channel {CHANNEL} (queue, every 15 min); "
                        "0 entries now, 0 to take at the first poll")
    assert "(post, every 60 min)" in added[1]

    web_server.serve("good", rss("Good", [{"title": "A new review", "guid": "g1",
                                           "link": "https://good.example/1",
                                           "content": LONG + "<p>Who is watching whom?</p>"}]),
                     content_type=RSS)
    web_server.serve("bad", "this is not XML at all", content_type="text/plain")
    assert await run(tmp_path, "feeds", "poll", policy=policy) == 1
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
    assert removed.out == f"feed 2 removed ({bad}, channel {OTHER_CHANNEL})\n"
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


async def test_web_page_given_as_a_feed_is_one_line_and_nothing_stored(
        tmp_path: Path, web_server: WebServer) -> None:
    """A web page is not a feed: one line naming it; nothing is stored."""
    url = web_server.serve("page", (LIBRARY / "aftersun-review.html").read_bytes())
    with pytest.raises(SourceError) as info:
        await run(tmp_path, "feeds", "add", url, "--channel", CHANNEL, policy=web_server.policy)
    assert str(info.value) == (f"{url}: this is a web page, not a feed "
                               "(add it with `articles add`)")
    assert await run(tmp_path, "feeds", "list") == 0


async def test_the_real_cli_refuses_a_feed_on_this_machine(tmp_path: Path,
                                                           web_server: WebServer) -> None:
    """As a user runs it, even with the port allowed: loopback is refused in one line."""
    url = web_server.serve("rss", rss("Internal", []), content_type=RSS)
    status, out, err = await filmclub(tmp_path, "feeds", "add", url, "--channel", CHANNEL,
                                      FILMCLUB_FETCH_PORTS=str(web_server.port))
    assert (status, out) == (2, "")
    assert err == (f"filmclub: {url}: 127.0.0.1 is a loopback address (this machine): "
                   "not fetched\n")
    assert web_server.requests == []


HER_PAGE = ROOT / "tests" / "corpus" / "articles" / "pages" / "her-documentary.html"
HER_TEXT = ROOT / "tests" / "corpus" / "articles" / "endings" / "her-documentary.txt"
HER_QUESTION = ("What did you think of the discussion in the documentary? What questions arose "
                "when you saw the film?")


def shown(out: str) -> dict[str, str]:
    """``articles show``'s 'label: value' lines as a mapping."""
    return dict(line.split(": ", 1) for line in out.splitlines()[1:] if ": " in line)


async def test_articles_show_the_her_page_and_text(
        tmp_path: Path, web_server: WebServer, capsys: pytest.CaptureFixture[str]) -> None:
    """As a user runs it: the Her page and the Her .txt ask the two questions; no caption."""
    url = web_server.serve("her", HER_PAGE.read_bytes())
    status, out, err = await here(tmp_path, capsys, "articles", "add", url,
                                  policy=web_server.policy)
    assert (status, err) == (0, "")
    slug = out.split("'")[1]
    status, out, err = await filmclub(tmp_path, "articles", "show", slug)
    assert (status, err) == (0, "")
    assert out.splitlines()[0] == f"{slug} (page, {url})"
    page = shown(out)
    assert page["question"] == HER_QUESTION
    assert page["question from"] == "the article's closing questions"
    assert page["excerpt"].startswith("One of the most glorious things")
    assert page["link"] == "https://projector-room.example/2014/01/her-documentary-artists.html"
    assert page["written by"] == "Nina Albrecht"

    status, out, err = await filmclub(tmp_path, "articles", "add", str(HER_TEXT))
    assert (status, err) == (0, "")
    status, out, err = await filmclub(tmp_path, "articles", "show", "her-documentary")
    text = shown(out)
    assert (status, text["question"], text["link"]) == (0, HER_QUESTION, "none")
    assert text["excerpt"].startswith("One of the most glorious things")
    assert text["title"] == "New documentary gathers artists' reactions to Spike Jonze's \"Her\""


async def test_articles_show_names_where_the_question_comes_from(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Front matter, the server's default for an article that asks none, or nothing at all."""
    assert await run(tmp_path, "articles", "add", str(LIBRARY / "no-questions-stalker.md")) == 0
    folder = tmp_path / "articles"
    (folder / "asks.md").write_text("---\ntitle: Asks\ntags: [noir, heist]\nquestion: Who "
                                    "wins?\n---\nA paragraph of text about a heist film.\n",
                                    encoding="utf-8")
    capsys.readouterr()
    assert await run(tmp_path, "articles", "show", "asks") == 0
    asks = shown(capsys.readouterr().out)
    assert (asks["question"], asks["question from"], asks["tags"]) == (
        "Who wins?", "the article's front matter", "noir, heist")

    assert await run(tmp_path, "articles", "show", "no-questions-stalker") == 0
    out = capsys.readouterr().out
    assert shown(out)["question"] == "none"
    assert shown(out)["question from"].startswith("nowhere: the article ends without asking")
    assert out.rstrip().endswith("see it with --guild ID)")

    from bot.records.server_settings import GuildSettings
    from bot.store import SQLiteStore

    async with SQLiteStore(tmp_path / "filmclub.db") as store:
        await store.save_settings(GuildSettings(GUILD, default_question="What stays?"))
    assert await run(tmp_path, "articles", "show", "no-questions-stalker", "--guild",
                     str(GUILD)) == 0
    stalker = shown(capsys.readouterr().out)
    assert (stalker["question"], stalker["question from"]) == (
        "What stays?", "the server's default question (/prompt settings)")
    assert stalker["film"] == "Stalker (1979), dir. Andrei Tarkovsky"


async def test_articles_add_takes_a_slug_and_a_question(
        tmp_path: Path, web_server: WebServer, capsys: pytest.CaptureFixture[str]) -> None:
    """--slug and --question override a page's and a text file's; the file given is untouched."""
    url = web_server.serve("her", HER_PAGE.read_bytes())
    assert await run(tmp_path, "articles", "add", url, "--slug", "her-doc",
                     "--question", "  Is Samantha   in love? ", policy=web_server.policy) == 0
    assert capsys.readouterr().out.startswith("added 'her-doc': ")
    assert await run(tmp_path, "articles", "show", "her-doc") == 0
    page = shown(capsys.readouterr().out)
    assert (page["question"], page["question from"]) == (
        "Is Samantha in love?", "given when it was added (articles add --question)")

    before = HER_TEXT.read_bytes()
    copy = tmp_path / "her.txt"
    copy.write_bytes(before.replace(b"One of the most", b"Some of the most"))
    assert await run(tmp_path, "articles", "add", str(copy), "--slug", "her-text",
                     "--question", "What, now, is love?") == 0
    assert copy.read_bytes() == before.replace(b"One of the most", b"Some of the most")
    written = (tmp_path / "articles" / "her-text.md").read_text(encoding="utf-8")
    assert written.startswith("---\ntitle: New documentary gathers artists' reactions to Spike")
    assert "\nquestion: What, now, is love?\n---\n" in written
    capsys.readouterr()
    assert await run(tmp_path, "articles", "show", "her-text") == 0
    assert shown(capsys.readouterr().out)["question"] == "What, now, is love?"


@pytest.mark.parametrize(("args", "problem"), [
    (["--slug", "Her Doc"], "Her Doc: a slug is lowercase letters, digits, hyphens"),
    (["--question", "   "], "--question is empty"),
    (["--question", "x" * 1001], "--question is 1001 characters; at most 1000"),
    (["--slug", "no-questions-stalker"], "the slug 'no-questions-stalker' is taken by the file "
                                         "no-questions-stalker.md"),
], ids=["bad-slug", "empty-question", "long-question", "taken-slug"])
async def test_bad_slug_or_question_is_one_line(tmp_path: Path, web_server: WebServer,
                                                capsys: pytest.CaptureFixture[str],
                                                args: list[str], problem: str) -> None:
    """A chosen slug or question that cannot be used: one line, status 2, nothing added."""
    assert await run(tmp_path, "articles", "add", str(LIBRARY / "no-questions-stalker.md")) == 0
    url = web_server.serve("her", HER_PAGE.read_bytes())
    status, out, err = await here(tmp_path, capsys, "articles", "add", url, *args,
                                  policy=web_server.policy)
    assert (status, out) == (2, "")
    assert err.startswith("filmclub: ") and problem in err and err.count("\n") == 1
    _, listing, _ = await filmclub(tmp_path, "articles", "list")
    assert listing.endswith("1 article(s), 0 broken file(s)\n")


@pytest.mark.parametrize(("name", "text", "problem"), [
    ("front-matter-only.md", "---\ntitle: Nothing yet\nfilm: Her\n---\n",
     "the article has no text after its front matter"),
    ("title-only.txt", "Nothing yet\n",
     "the article has a title but no text: write its body after line 2"),
])
async def test_an_empty_article_is_refused_in_one_line(tmp_path: Path, name: str, text: str,
                                                       problem: str) -> None:
    """As a user runs it: an article with no body is refused, and not copied."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    status, out, err = await filmclub(tmp_path, "articles", "add", str(path))
    assert (status, out, err) == (2, "", f"filmclub: {path}: {problem}\n")
    assert not (tmp_path / "articles").exists()


async def test_a_truncated_feed_is_refused_by_feeds_add(
        tmp_path: Path, web_server: WebServer, capsys: pytest.CaptureFixture[str]) -> None:
    """As a user runs it: a feed cut off mid-entry is one line naming the XML error."""
    whole = rss("Notes", [{"title": "One", "guid": "1", "description": "First."},
                          {"title": "Two", "guid": "2", "description": "Second."}])
    url = web_server.serve("cut", whole[: whole.index("<title>Two") + 8], content_type=RSS)
    status, out, err = await here(tmp_path, capsys, "feeds", "add", url, "--channel", CHANNEL,
                                  policy=web_server.policy)
    assert (status, out) == (2, "")
    assert err.startswith(f"filmclub: {url}: the feed is not well-formed XML (no element found "
                          "at line ") and err.count("\n") == 1
    _, listing, _ = await filmclub(tmp_path, "feeds", "list")
    assert listing == "0 feed(s)\n"


async def test_polling_plain_text_summaries_prints_no_library_errors(
        tmp_path: Path, web_server: WebServer, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    """`feeds poll`, logging at INFO: its line, and no ERROR or WARNING record from anyone."""
    caplog.set_level(logging.INFO)
    url = web_server.serve("notes", rss("Notes", []), content_type=RSS)
    policy = web_server.policy
    assert (await here(tmp_path, capsys, "feeds", "add", url, "--channel", CHANNEL,
                       policy=policy))[0] == 0
    web_server.serve("notes", rss("Notes", [
        {"title": f"Note {n}", "guid": f"n{n}", "link": web_server.url(f"gone/{n}"),
         "description": f"Plain words about film number {n}. Is it any good?"}
        for n in (1, 2)]), content_type=RSS)
    status, out, err = await here(tmp_path, capsys, "feeds", "poll", policy=policy)
    assert (status, out, err) == (0, f"{url}: 2 new article(s), 2 queued\n", "")
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []

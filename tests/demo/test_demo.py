"""`filmclub demo` run as a subprocess: the exports it writes hold what the store holds.

One run of the whole demo (module fixture) into a temporary folder; each test checks one
thing of what it left: the store against the script, then each export against the store.
Every comment, vote and edit of the script must be present, once.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bot.demo import script
from bot.demo.files import DATABASE
from bot.models import Comment
from bot.store import open_store
from tests.chromium import CHROMIUM, headless
from tests.demo.conftest import demo_env, filmclub_command

SLUG = script.ARTICLE
VOTES = {"👍": 1, "👎": -1}


@dataclass
class DemoRun:
    out: Path
    stdout: str
    stderr: str
    returncode: int
    comments: list[Comment]  # every stored comment of the thread, hidden ones too, in order
    hidden: set[int]


async def _read_store(database: Path) -> tuple[list[Comment], set[int]]:
    store = await open_store(database)
    try:
        prompts = await store.list_prompts()
        assert len(prompts) == 1, prompts
        thread = prompts[0].thread_id
        everything = [c async for c in store.iter_comments(thread, include_hidden=True)]
        hidden = {c.id for c in everything if c.hidden_at is not None}
        return sorted(everything, key=lambda c: c.id), hidden
    finally:
        await store.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """`filmclub demo --out DIR --pace 0`, run once, in a folder with no .env."""
    home = tmp_path_factory.mktemp("demo")
    out = home / "out"
    done = subprocess.run([*filmclub_command(), "demo", "--out", str(out), "--pace", "0"],
                          cwd=home, env=demo_env(), capture_output=True, text=True,
                          timeout=600, check=False)
    comments, hidden = asyncio.run(_read_store(out / DATABASE))
    print(done.stdout)
    return DemoRun(out, done.stdout, done.stderr, done.returncode, comments, hidden)


def by_key(run: DemoRun) -> dict[str, Comment]:
    """The stored comment of each script key (the script writes them in this order)."""
    keys = script.comment_keys()
    assert len(run.comments) == len(keys), [c.content[:30] for c in run.comments]
    return dict(zip(keys, run.comments, strict=True))


def expected_scores() -> dict[str, int]:
    """Each comment's score from the script alone: each member's latest vote still standing."""
    standing: dict[tuple[str, str], list[str]] = {}
    for step in script.SCRIPT:
        if isinstance(step, script.React) and step.emoji in VOTES:
            votes = standing.setdefault((step.who, step.key), [])
            if step.remove:
                votes.remove(step.emoji)
            else:
                votes.append(step.emoji)
    scores = dict.fromkeys(script.comment_keys(), 0)
    for (_, key), votes in standing.items():
        if votes:
            scores[key] += VOTES[votes[-1]]
    return scores


def visible_keys() -> list[str]:
    """Comments an export shows: not deleted, not hidden."""
    deleted = {s.key for s in script.SCRIPT if isinstance(s, script.Delete)}
    hidden = {s.options["message"].key for s in script.SCRIPT
              if isinstance(s, script.Command) and s.name == "comment hide"}
    return [k for k in script.comment_keys() if k not in deleted | hidden]


def gone_keys() -> list[str]:
    return [k for k in script.comment_keys() if k not in visible_keys()]


def edits() -> dict[str, list[str]]:
    """For each edited comment, its earlier texts in order."""
    texts = {s.key: s.text for s in script.SCRIPT if isinstance(s, script.Say)}
    earlier: dict[str, list[str]] = {}
    for step in script.SCRIPT:
        if isinstance(step, script.Edit):
            earlier.setdefault(step.key, []).append(texts[step.key])
            texts[step.key] = step.text
    return earlier


def normal(text: str) -> str:
    """Text as every format can show it: no quote markers or emphasis, spaces collapsed."""
    text = re.sub(r"(?m)^[ \t]*(?:>[ \t]?)+", "", text)
    return " ".join(text.replace("*", "").split())


BLOCKS = ("p", "div", "blockquote", "li", "br", "article", "section", "details", "summary")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self._skip += 1
        if tag in BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip -= 1
        if tag in BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_text(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return "".join(parser.parts)


def read(run: DemoRun, fmt: str) -> str:
    return (run.out / f"{SLUG}.{fmt}").read_text(encoding="utf-8-sig")


def test_demo_exits_0_and_names_the_html_page_last(demo: DemoRun) -> None:
    """The demo ends 0, says how long it took and that nothing was refused, HTML page last."""
    assert demo.returncode == 0, demo.stderr
    lines = [line for line in demo.stdout.splitlines() if line.strip()]
    assert lines[-1].startswith(f"Open first: {demo.out / (SLUG + '.html')}")
    assert re.search(r"^Took \d+\.\d s\.$", demo.stdout, re.MULTILINE)
    assert "none refused" in demo.stdout
    assert f"Database: {demo.out / DATABASE}" in demo.stdout
    print(next(line for line in lines if line.startswith("Took")))


def test_demo_writes_every_format_and_the_archive(demo: DemoRun) -> None:
    """md, json, html, csv, txt and the server archive are in the folder, nothing else."""
    names = sorted(p.name for p in demo.out.iterdir() if not p.name.startswith(DATABASE))
    assert names == sorted(name for _, name, _ in script.EXPORTS)
    assert not [p for p in demo.out.iterdir() if p.name.endswith(".tmp")]


def test_store_holds_every_comment_of_the_script_once(demo: DemoRun) -> None:
    """Each scripted comment is stored once, by its author, with its final text."""
    texts = script.final_texts()
    stored = by_key(demo)
    authors = {s.key: s.who for s in script.SCRIPT if isinstance(s, script.Say)}
    for key, comment in stored.items():
        assert comment.author_name == authors[key], key
        if key in gone_keys() and comment.deleted:
            continue
        assert comment.content == texts[key], key
    assert len({c.id for c in demo.comments}) == len(script.comment_keys())
    print(f"{len(stored)} comments stored")


def test_store_holds_the_deletion_the_hide_and_the_replies(demo: DemoRun) -> None:
    """The deleted comment is a tombstone, the hidden one is hidden, replies point right."""
    stored = by_key(demo)
    assert stored["eve-oops"].deleted
    assert {c.id for c in demo.comments if c.deleted} == {stored["eve-oops"].id}
    assert demo.hidden == {stored["finn"].id}
    for step in script.SCRIPT:
        if isinstance(step, script.Say):
            parent = stored[step.reply_to].id if step.reply_to else None
            assert stored[step.key].parent_id == parent, step.key


def test_store_scores_and_votes_follow_the_script(demo: DemoRun) -> None:
    """Scores are the script's standing votes; the changed vote counts once, as its last."""
    stored = by_key(demo)
    scores = expected_scores()
    for key, comment in stored.items():
        assert comment.score == scores[key], (key, comment.score, scores[key])
    cy_votes = [(r.emoji, r.value) for r in stored["cy"].reactions if r.value]
    assert sorted(cy_votes) == [("👍", 1), ("👎", -1)]  # Eve's down, Dee's changed to up
    shark = [r for r in stored["dee"].reactions if r.emoji == "🦈"]
    assert len(shark) == 1 and shark[0].value == 0
    print(f"{sum(1 for c in stored.values() for r in c.reactions if r.value)} votes stored")


def test_store_keeps_each_edit_as_one_revision(demo: DemoRun) -> None:
    """Each edit of the script is one revision holding the earlier text."""
    stored = by_key(demo)
    for key, earlier in edits().items():
        assert [r.content for r in stored[key].revisions] == earlier, key
    unedited = [k for k in script.comment_keys() if k not in edits()]
    assert all(not stored[k].revisions for k in unedited)


def test_json_export_matches_the_store(demo: DemoRun) -> None:
    """JSON: each visible comment once, with the store's text, score, votes and revisions."""
    document = json.loads(read(demo, "json"))
    messages = {m["id"]: m for m in document["messages"]}
    assert len(messages) == len(document["messages"])  # no comment twice
    stored = by_key(demo)
    for key in visible_keys():
        comment = stored[key]
        message = messages.pop(str(comment.id))
        assert message["content"] == comment.content, key
        assert message["filmclub"]["score"] == comment.score, key
        votes = sorted((v["userId"], v["value"]) for v in message["filmclub"]["votes"])
        assert votes == sorted((str(r.user_id), r.value) for r in comment.reactions if r.value)
        revisions = [r["content"] for r in message["filmclub"]["revisions"]]
        assert revisions == [r.content for r in comment.revisions], key
    assert str(stored["finn"].id) not in messages  # hidden: left out
    deleted = messages.pop(str(stored["eve-oops"].id))  # deleted: a placeholder, no text
    assert script.EVE_WRONG_THREAD not in json.dumps(deleted, ensure_ascii=False)
    assert messages == {}


def test_csv_export_matches_the_store(demo: DemoRun) -> None:
    """CSV: one row per visible comment with the store's text and score."""
    rows = list(csv.DictReader(io.StringIO(read(demo, "csv"))))
    by_id = {row["MessageID"]: row for row in rows}
    assert len(by_id) == len(rows)
    stored = by_key(demo)
    for key in visible_keys():
        row = by_id.pop(str(stored[key].id))
        assert row["Content"] == stored[key].content, key
        assert int(row["Score"]) == stored[key].score, key
    assert set(by_id) <= {str(stored["eve-oops"].id)}  # at most the deleted one's placeholder
    assert script.EVE_WRONG_THREAD not in read(demo, "csv")
    assert script.FINN_LINK not in read(demo, "csv")


@pytest.mark.parametrize("fmt", ["md", "txt", "html"])
def test_reading_export_shows_each_comment_and_edit_once(demo: DemoRun, fmt: str) -> None:
    """md, txt, html: each visible comment's text once, each earlier text once; none of the
    deleted or hidden ones."""
    raw = read(demo, fmt)
    text = normal(html_text(raw) if fmt == "html" else raw)
    texts = script.final_texts()
    for key in visible_keys():
        assert text.count(normal(texts[key])) == 1, (fmt, key)
    for key in gone_keys():
        assert normal(texts[key]) not in text, (fmt, key)
    assert text.count(normal(script.DEE_TYPO)) == 1
    # Ben's first text is also how his edited text begins: once as itself, once inside.
    assert text.count(normal(script.BEN_SHORT)) == 2
    assert "Jaws: the shark that would not work" in text


def test_server_archive_holds_the_thread_and_an_index(demo: DemoRun) -> None:
    """The scope:server zip: index.html and the thread's page, each comment on it once."""
    with zipfile.ZipFile(demo.out / "server-archive.zip") as archive:
        names = archive.namelist()
        assert "index.html" in names and len(names) == 2, names
        page = archive.read(next(n for n in names if n != "index.html")).decode("utf-8")
    text = normal(html_text(page))
    for key, final in script.final_texts().items():
        assert text.count(normal(final)) == (1 if key in visible_keys() else 0), key


def test_demo_refuses_to_overwrite_without_force(demo: DemoRun) -> None:
    """A second run into the same folder: one line, status 2, every file left as it was."""
    before = {p.name: p.read_bytes() for p in demo.out.iterdir()}
    done = subprocess.run([*filmclub_command(), "demo", "--out", str(demo.out)],
                          cwd=demo.out.parent, env=demo_env(), capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "--force" in done.stderr, done.stderr
    assert {p.name: p.read_bytes() for p in demo.out.iterdir()} == before


def test_demo_refuses_a_file_as_the_output_folder(tmp_path: Path) -> None:
    """--out naming a file: one line, status 2, the file untouched."""
    target = tmp_path / "notes.txt"
    target.write_text("mine", encoding="utf-8")
    done = subprocess.run([*filmclub_command(), "demo", "--out", str(target)], cwd=tmp_path,
                          env=demo_env(), capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 2
    assert done.stderr.strip().endswith("is not a folder; give --out a folder"), done.stderr
    assert target.read_text(encoding="utf-8") == "mine"


def test_script_has_the_shapes_real_threads_have() -> None:
    """Long and one-line comments, a reply to a reply, a quote, a deletion, edits, votes both
    ways, a vote changed, a hide and a lock: the script plays each at least once."""
    says = [s for s in script.SCRIPT if isinstance(s, script.Say)]
    replies = {s.key: s.reply_to for s in says}
    assert max(len(s.text) for s in says) > 300 and min(len(s.text) for s in says) < 50
    assert any(r and replies.get(r) for r in replies.values())  # a reply to a reply
    assert any(s.text.startswith("> ") and s.reply_to for s in says)  # a quoted reply
    assert any(isinstance(s, script.Delete) for s in script.SCRIPT)
    assert len(edits()) == 2
    reacts = [s for s in script.SCRIPT if isinstance(s, script.React)]
    assert {"👍", "👎"} <= {s.emoji for s in reacts} and any(s.remove for s in reacts)
    names = [s.name for s in script.SCRIPT if isinstance(s, script.Command)]
    assert names[0] == "prompt post" and names[-1] == "discussion lock"
    assert "comment hide" in names


SCREENSHOT = Path(__file__).parents[2] / "docs" / "demo-html.png"


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed at /usr/bin/chromium")
def test_demo_html_page_renders_in_a_browser(demo: DemoRun, tmp_path: Path) -> None:
    """Headless Chromium shows one element per comment the page holds, and pictures it;
    UPDATE_GOLDEN=1 (or no picture yet) keeps the picture as the README's screenshot."""
    profile = tmp_path / "profile"
    page = (demo.out / f"{SLUG}.html").as_uri()
    dom = headless(profile, "--dump-dom", page).stdout
    shown = re.findall(r'<li class="comment( deleted)?" id="comment-\d+">', dom)
    assert len(shown) == len(visible_keys()) + 1 and shown.count(" deleted") == 1
    png = tmp_path / "demo.png"
    headless(profile, "--hide-scrollbars", "--window-size=1200,1600", f"--screenshot={png}",
             page)
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    if os.environ.get("UPDATE_GOLDEN") or not SCREENSHOT.exists():
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(png, SCREENSHOT)

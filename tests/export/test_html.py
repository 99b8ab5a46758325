"""The HTML export: a safe, standalone page with replies nested under what they answer."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.export import ExportOptions, export_thread
from bot.store import Store
from tests import discussion, hostile
from tests.export.conftest import ALL_OPTIONS, EXPORTED_AT, OPTION_SETS, SAMPLES, export_bytes

#: Every element the page may contain; anything else (script, img, iframe, svg, form,
#: link, base, object, embed, input, textarea...) would mean member text got through.
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "main", "header", "footer", "section",
    "article", "h1", "h2", "p", "blockquote", "ol", "ul", "li", "div", "span", "bdi", "time",
    "a", "details", "summary", "strong", "em", "u", "s", "code", "pre",
    # issue 19: the activity chart, a figure of inline SVG (shapes and text, nothing else)
    "figure", "figcaption", "svg", "defs", "g", "path", "use", "text", "rect",
}
VOID = {"meta"}


@dataclass
class Page(HTMLParser):
    """What the safety tests look at: every tag with its attributes, and comment nesting."""

    tags: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    comment_depths: list[int] = field(default_factory=list)
    stack: list[str] = field(default_factory=list)
    in_style: bool = False

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "li" and "comment" in (attributes.get("class") or "").split():
            self.comment_depths.append(self.stack.count("comment"))
            self.stack.append("comment")
        elif tag not in VOID:
            self.stack.append(tag)
        self.in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        opened = self.stack.pop()
        assert opened == tag or (opened == "comment" and tag == "li"), (opened, tag)
        self.in_style = False

    def handle_data(self, data: str) -> None:
        if self.in_style:
            self.styles.append(data)


async def page_of(store: Store, folder: Path, sample: str,
                  options: ExportOptions | None = None) -> Page:
    page = Page()
    page.feed((await export_bytes(store, folder, sample, "html", options)).decode("utf-8"))
    page.close()
    return page


CASES = [(s, o) for s in SAMPLES for o in OPTION_SETS]
IDS = [f"{s}-{'all' if o.include_deleted else 'default'}" for s, o in CASES]


@pytest.mark.parametrize(("sample", "options"), CASES, ids=IDS)
async def test_page_has_no_script_and_only_known_elements(
        filled: Store, tmp_path: Path, sample: str, options: ExportOptions) -> None:
    """No <script>, and no element outside the page's own small vocabulary."""
    page = await page_of(filled, tmp_path, sample, options)
    used = {tag for tag, _ in page.tags}
    assert "script" not in used
    assert used <= ALLOWED_TAGS


@pytest.mark.parametrize(("sample", "options"), CASES, ids=IDS)
async def test_page_has_no_event_handlers_or_loaded_sources(
        filled: Store, tmp_path: Path, sample: str, options: ExportOptions) -> None:
    """No on* attribute, no src, srcset, style attribute or form action anywhere."""
    page = await page_of(filled, tmp_path, sample, options)
    names = {name for _, attrs in page.tags for name in attrs}
    assert not {n for n in names if n.startswith("on")}
    assert not names & {"src", "srcset", "style", "action", "formaction", "background"}


@pytest.mark.parametrize(("sample", "options"), CASES, ids=IDS)
async def test_links_are_web_addresses_or_anchors_in_the_page(
        filled: Store, tmp_path: Path, sample: str, options: ExportOptions) -> None:
    """Every href is http(s) with a host and rel=nofollow noopener, or a #comment anchor."""
    page = await page_of(filled, tmp_path, sample, options)
    anchors = {attrs.get("id") for _, attrs in page.tags}
    for tag, attrs in page.tags:
        if "href" not in attrs:
            continue
        href = attrs["href"] or ""
        assert tag == "a"
        if href.startswith("#"):
            assert href[1:] in anchors
            continue
        parts = urlsplit(href)
        assert (parts.scheme, bool(parts.hostname)) in {("http", True), ("https", True)}, href
        assert attrs.get("rel") == "nofollow noopener"


@pytest.mark.parametrize(("sample", "options"), CASES, ids=IDS)
async def test_page_has_a_content_security_policy_without_scripts(
        filled: Store, tmp_path: Path, sample: str, options: ExportOptions) -> None:
    """A CSP meta refuses everything by default, allowing inline styles and data: images."""
    page = await page_of(filled, tmp_path, sample, options)
    policies = [attrs.get("content") or "" for tag, attrs in page.tags
                if tag == "meta" and (attrs.get("http-equiv") or "").lower()
                == "content-security-policy"]
    assert len(policies) == 1
    directives = {d.strip().split()[0]: d.strip() for d in policies[0].split(";")}
    assert directives["default-src"] == "default-src 'none'"
    assert directives["style-src"] == "style-src 'unsafe-inline'"
    assert directives["img-src"] == "img-src data:"
    assert "script-src" not in directives


async def test_styles_load_nothing(filled: Store, tmp_path: Path) -> None:
    """The one stylesheet is inline and has no url(), @import or @font-face."""
    page = await page_of(filled, tmp_path, "hostile")
    assert [tag for tag, _ in page.tags].count("style") == 1
    css = "".join(page.styles).lower()
    for loader in ("url(", "@import", "@font-face", "image-set("):
        assert loader not in css


@pytest.mark.parametrize("query", [
    "(prefers-color-scheme: dark)", "print", "(min-width:"
])
def test_stylesheet_covers_dark_mode_print_and_phones(query: str) -> None:
    """The page has dark colours, print rules and a wider layout above phone width."""
    css = resources.files("bot.export").joinpath("templates/thread.css").read_text("utf-8")
    assert f"@media {query}" in css


@pytest.mark.parametrize(("sample", "options"), CASES, ids=IDS)
async def test_replies_are_nested_under_what_they_answer(
        filled: Store, tmp_path: Path, sample: str, options: ExportOptions) -> None:
    """Each comment's list-nesting depth is its depth in the store, in reading order."""
    page = await page_of(filled, tmp_path, sample, options)
    thread = SAMPLES[sample].thread
    assert page.comment_depths == [c.depth async for c in filled.iter_comments(thread)]
    assert page.stack == []


async def test_deleted_comment_is_a_placeholder_with_its_replies(filled: Store,
                                                                 tmp_path: Path) -> None:
    """By default a deleted comment shows only when, and its reply stays nested under it."""
    text = (await export_bytes(filled, tmp_path, "hostile", "html", ExportOptions())).decode()
    assert "the woodcutter took the dagger" not in text
    assert re.search(
        rf'<li class="comment deleted" id="comment-{hostile.GONE.id}">\n'
        r'<p class="placeholder">Comment deleted <time datetime="2026-11-08T20:52:00\+01:00">'
        r"2026-11-08 20:52 CET</time></p>\n<ol class=\"replies\">\n"
        rf'<li class="comment" id="comment-{hostile.WHY.id}">', text)


async def test_times_are_local_with_machine_readable_datetime(filled: Store,
                                                              tmp_path: Path) -> None:
    """Times show in the export's zone; <time datetime> carries the same instant."""
    text = (await export_bytes(filled, tmp_path, "hostile", "html")).decode()
    assert ('<time datetime="2026-11-08T20:31:00+01:00">2026-11-08 20:31 CET</time>') in text
    assert 'edited <time datetime="2026-11-08T20:51:00+01:00">20:51</time>' in text


async def test_member_names_are_escaped_and_isolated(filled: Store, tmp_path: Path) -> None:
    """A name made of markup is text inside <bdi>; a bidi override cannot leak out."""
    text = (await export_bytes(filled, tmp_path, "hostile", "html")).decode()
    assert ('<bdi class="author">&lt;img src=x onerror=alert(&#39;name&#39;)&gt;</bdi>'
            in text)
    assert '<bdi class="author">\u202eNimda\u202c</bdi>' in text


async def test_mentions_use_names_given_up_front(filled: Store, tmp_path: Path) -> None:
    """Members passed to the export resolve mentions of people who never wrote."""
    out = tmp_path / "named.html"
    await export_thread(filled, hostile.THREAD, "html", out, members={999: "Nine"},
                        exported_at=EXPORTED_AT)
    text = out.read_text(encoding="utf-8")
    assert '<span class="mention">@Nine</span>' in text
    assert "@unknown member" not in text


async def test_attachment_with_other_scheme_is_shown_not_linked(filled: Store,
                                                                tmp_path: Path) -> None:
    """An attachment whose address is not http(s) shows the address as plain text."""
    text = (await export_bytes(filled, tmp_path, "hostile", "html")).decode()
    assert ('<li>📎 &#34;&gt;&lt;svg onload=alert(1)&gt;.png <span class="size">(10 B)</span>'
            ' <span class="address">javascript:alert(&#39;file&#39;)</span></li>') in text


async def test_revisions_fold_away_in_details(filled: Store, tmp_path: Path) -> None:
    """include_revisions adds a closed <details> with each earlier text and its times."""
    text = (await export_bytes(filled, tmp_path, "discussion", "html", ALL_OPTIONS)).decode()
    assert '<details class="revisions">\n<summary>Earlier versions (1)</summary>' in text


async def test_empty_thread_says_so(store: Store, tmp_path: Path) -> None:
    """A prompt without comments gives a whole page saying there are none yet."""
    await store.add_prompt(discussion.PROMPT)
    out = tmp_path / "empty.html"
    result = await export_thread(store, discussion.THREAD, "html", out)
    page = Page()
    page.feed(out.read_text(encoding="utf-8"))
    assert result.comments == 0
    assert page.comment_depths == [] and page.stack == []
    assert '<p class="empty">No comments yet.</p>' in out.read_text(encoding="utf-8")

"""Discord markdown to HTML: the supported syntax, and nothing a member writes runs."""

from __future__ import annotations

from datetime import UTC, timedelta, timezone

import pytest

from bot.export.markup_html import HtmlRenderer
from bot.export.markup_parser import is_web_url

NAMES = {15: "Zed", 16: "<b>Bold</b> name"}
A = 'rel="nofollow noopener"'


def render(text: str) -> str:
    return str(HtmlRenderer(NAMES.get, UTC).render(text))


@pytest.mark.parametrize(("text", "html"), [
    ("**bold**", "<strong>bold</strong>"),
    ("*it* and _it_", "<em>it</em> and <em>it</em>"),
    ("__under__", "<u>under</u>"),
    ("~~gone~~", "<s>gone</s>"),
    ("***both***", "<strong><em>both</em></strong>"),
    ("`a <b> c`", "<code>a &lt;b&gt; c</code>"),
    ("``a ` b``", "<code>a ` b</code>"),
    ("```py\nprint('<x>')\n```",
     '<pre class="code" data-lang="py"><code>print(&#39;&lt;x&gt;&#39;)</code></pre>'),
    ("```\nplain\n```", '<pre class="code"><code>plain</code></pre>'),
    ("say\n```x```\nmore", 'say<pre class="code"><code>x</code></pre>more'),
    ("> quoted\n> twice\nafter", "<blockquote>quoted\ntwice</blockquote>after"),
    (">>> all\nof it", "<blockquote>all\nof it</blockquote>"),
    (">no space", "&gt;no space"),
    ("||secret||", '<span class="spoiler" tabindex="0">secret</span>'),
    ("||**b**||", '<span class="spoiler" tabindex="0"><strong>b</strong></span>'),
    ("\\*not\\*", "*not*"),
    ("snake_case_name", "snake_case_name"),
    ("2 * 3 * 4", "2 * 3 * 4"),
    ("<@15> <@!15>", '<span class="mention">@Zed</span> <span class="mention">@Zed</span>'),
    ("<@16>", '<span class="mention">@&lt;b&gt;Bold&lt;/b&gt; name</span>'),
    ("<@404>", '<span class="mention">@unknown member</span>'),
    ("<#21> <@&456>", "&lt;#21&gt; &lt;@&amp;456&gt;"),
    ("<:film:123> <a:dance:42>",
     '<span class="emoji">:film:</span> <span class="emoji">:dance:</span>'),
    ("<t:0:d>", '<time datetime="1970-01-01T00:00:00+00:00">1970-01-01</time>'),
    ("<t:99999999999999>", "&lt;t:99999999999999&gt;"),
])
def test_markdown_renders(text: str, html: str) -> None:
    """Each construct renders to its markup; the rest is escaped text."""
    assert render(text) == html


@pytest.mark.parametrize(("text", "html"), [
    ("https://a.example/p?x=1&y=2.",
     f'<a href="https://a.example/p?x=1&amp;y=2" {A}>https://a.example/p?x=1&amp;y=2</a>.'),
    ("(see https://en.wikipedia.org/wiki/Ran_(film))",
     f'(see <a href="https://en.wikipedia.org/wiki/Ran_(film)" {A}>'
     "https://en.wikipedia.org/wiki/Ran_(film)</a>)"),
    ("<https://a.example>", f'<a href="https://a.example" {A}>https://a.example</a>'),
    ("[review](https://a.example/r)", f'<a href="https://a.example/r" {A}>review</a>'),
    ("[**b**](http://a.example)", f'<a href="http://a.example" {A}><strong>b</strong></a>'),
    ('"http://evil","x"', f'&#34;<a href="http://evil" {A}>http://evil</a>&#34;,&#34;x&#34;'),
])
def test_web_links_become_anchors(text: str, html: str) -> None:
    """http and https addresses are links with rel=nofollow noopener."""
    assert render(text) == html


@pytest.mark.parametrize("text", [
    "[x](javascript:alert(1))",
    "javascript:alert(1)",
    "<javascript:alert(1)>",
    "[x](data:text/html,hi)",
    "[x](vbscript:msgbox)",
    "[x](//evil.example/)",
    "[x](JAVASCRIPT:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](file:///etc/passwd)",
])
def test_other_schemes_stay_text(text: str) -> None:
    """No anchor is made for anything but http(s); the source is shown escaped."""
    html = render(text)
    assert "<a " not in html
    assert "href" not in html


@pytest.mark.parametrize("text", [
    "<script>alert(1)</script>",
    "</textarea><img src=x onerror=alert(1)>",
    "<style>*{display:none}</style>",
    '"><svg onload=alert(1)>',
    "**<b>bold</b>**",
    "||<iframe src=x>||",
    "`</code><script>`",
    "[<img src=x>](https://a.example)",
    "> <script>\n> x",
])
def test_member_markup_is_always_escaped(text: str) -> None:
    """Tags a member types come out as text: no '<' of theirs reaches the markup."""
    html = render(text)
    for tag in ("<script", "<img", "<style", "<svg", "<iframe", "<b>", "</textarea"):
        assert tag not in html


def test_deep_nesting_is_capped() -> None:
    """Pathologically nested spans render as text past a depth, without recursion errors."""
    text = "||**" * 400 + "x" + "**||" * 400
    assert "x" in render(text)


def test_timestamps_are_shown_in_the_readers_zone() -> None:
    """<t:…:f> is formatted in the export's time zone, with a UTC datetime attribute."""
    zone = timezone(timedelta(hours=9), "JST")
    html = str(HtmlRenderer(NAMES.get, zone).render("<t:1794000000:f>"))
    assert html == '<time datetime="2026-11-06T21:20:00+00:00">7 November 2026 06:20</time>'


@pytest.mark.parametrize(("url", "ok"), [
    ("https://a.example/x", True), ("http://a.example", True), ("HTTPS://A.EXAMPLE", True),
    ("javascript:alert(1)", False), ("https://", False), ("https:///path", False),
    ("ftp://a.example", False), ("https://a.example/\nx", False), ("http://[::1", False),
])
def test_is_web_url(url: str, ok: bool) -> None:
    """Only absolute http(s) addresses with a host count as web addresses."""
    assert is_web_url(url) is ok

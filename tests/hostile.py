"""A second fixed discussion for the exporters: everything a member could throw at a file.

Markup and script, spreadsheet formulas, link schemes other than the web, bidi
overrides and zero-width characters, a 2,000-character message, emoji sequences,
custom emoji, Discord markdown of every kind, and hostile names and file names.
Structurally: replies three levels deep, edits with two earlier texts, a deleted
comment with a reply under it, votes (one with a skin tone) and other reactions.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from bot.models import (
    Article,
    Attachment,
    MessageCreated,
    MessageDeleted,
    MessageEdited,
    Prompt,
    ReactionAdded,
    ReactionRemoved,
)
from bot.store import Store
from tests.snowflakes import minute_ids

T0 = datetime(2026, 11, 8, 19, 30, tzinfo=UTC)
THREAD = 1_438_000_000_000_000_000
PARENT_CHANNEL = 21
#: A fixed offset rather than a named zone: the golden files need no tz database.
ZONE = timezone(timedelta(hours=1), "CET")

ARTICLE = Article(
    slug="rashomon",
    title='Rashomon </title><script>alert("title")</script>',
    url="javascript:alert('article')",
    film="Rashomon", year=1950, director="Akira Kurosawa",
    author="<img src=x onerror=alert('author')>",
    excerpt="Four witnesses, four stories.\n\n<b>Which</b> one is true? & who's lying?",
    questions=("Whose version do you believe?", "=1+1 — does the truth matter?"),
    tags=("kurosawa", "<i>noir</i>"),
)
PROMPT = Prompt(THREAD, 10, PARENT_CHANNEL, THREAD, ARTICLE, T0, 99)

# Members: plain names and hostile ones.
ZED, MARA, IMG, CALC, RTL = 15, 11, 12, 13, 14
NAMES = {
    ZED: "Zed",
    MARA: "Mara",
    IMG: "<img src=x onerror=alert('name')>",
    CALC: "=cmd|' /C calc'!A0",
    RTL: "\u202eNimda\u202c",
}

LONG = "".join(f"Take {n:03d}: the rain keeps falling on the gate. " for n in range(1, 60))[:2000]
SHOWCASE = (
    "**Bold** claim: the *woodcutter* lies. __Underlined__, ~~struck~~, _also italic_, "
    "`code <b>` and ||the bandit did it||.\n"
    "> the priest says\n"
    "> twice\n"
    "Read https://en.wikipedia.org/wiki/Rashomon_(film) or "
    "[the review](https://filmclub.example/rashomon?a=1&b=2).\n"
    '```py\nprint("<script>")\n```\n'
    "Hi <@15>, <@!999>, see <#21> and <@&456> <:kurosawa:123456789012345678> "
    "at <t:1794000000:F>. Not \\*italic\\*."
)
SCRIPTS = ('<script>alert(1)</script> </textarea> <img src=x onerror=alert(2)> '
           '<a href="javascript:alert(3)">x</a> <style>body{display:none}</style>')
SCHEMES = ("[x](javascript:alert(1)) and bare javascript:alert(1) and "
           "[y](data:text/html,<script>alert(1)</script>) and <javascript:alert(4)>")
FORMULA = '=HYPERLINK("http://evil","x")'
INVISIBLE = "abc\u202edcba\u202c zero\u200bwidth\u200d joiner \ufeffbom \u2066isolate\u2069"
EMOJI = "👩🏽‍🚀 🏳️‍🌈 👨‍👩‍👧‍👦 🇯🇵 1️⃣ ❤️‍🔥 🫶🏿"


sf = minute_ids(T0)  # the id of T0 + minutes


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def say(minutes: float, author: int, text: str, parent: int | None = None,
        attachments: tuple[Attachment, ...] = ()) -> MessageCreated:
    return MessageCreated(sf(minutes), THREAD, author, NAMES[author], text, at(minutes),
                          parent, attachments)


FIRST = say(1, ZED, "First! " + EMOJI)
SHOW = say(2, MARA, SHOWCASE)
TAGS = say(3, IMG, SCRIPTS, parent=SHOW.id)
LINKS = say(4, CALC, SCHEMES, parent=TAGS.id)
SHEET = say(5, RTL, "=1+1", parent=LINKS.id)  # edited twice below: three levels deep
PLUS = say(6, ZED, "+1")
MINUS = say(7, MARA, "-2", parent=PLUS.id)
AT = say(8, CALC, "@SUM(A1)")
TAB = say(9, ZED, "\tindented\r\nwith CRLF")
CR = say(10, MARA, "\rcarriage return first")
BIDI = say(11, RTL, INVISIBLE)
ESSAY = say(12, MARA, LONG)
FILES = say(13, IMG, "", attachments=(
    Attachment(sf(13) + 1, '"><svg onload=alert(1)>.png', "javascript:alert('file')", 10),
    Attachment(sf(13) + 2, "still & frame.jpg", "https://cdn.example/still.jpg?x=1&y=2",
               3_500_000),
))
GONE = say(14, ZED, "Spoiler: the woodcutter took the dagger <script>alert('gone')</script>")
WHY = say(15, MARA, "Why delete it? <@15>", parent=GONE.id)

EVENTS = [
    FIRST, SHOW, TAGS, LINKS, SHEET, PLUS, MINUS, AT, TAB, CR, BIDI, ESSAY, FILES, GONE, WHY,
    MessageEdited(SHEET.id, THREAD, "=SUM(1,1)", at(20)),
    MessageEdited(SHEET.id, THREAD, FORMULA, at(21)),
    MessageDeleted(GONE.id, THREAD, at(22)),
    ReactionAdded(SHOW.id, THREAD, ZED, "👍", at(23)),
    ReactionAdded(SHOW.id, THREAD, IMG, "👍🏽", at(23.5)),
    ReactionAdded(SHOW.id, THREAD, CALC, "<:kurosawa:123456789012345678>", at(24)),
    ReactionAdded(SHOW.id, THREAD, RTL, "<a:dance:42>", at(24.5)),
    ReactionAdded(SHOW.id, THREAD, MARA, "❤️‍🔥", at(25)),
    ReactionAdded(TAGS.id, THREAD, MARA, "👎", at(25.5)),
    ReactionAdded(TAGS.id, THREAD, ZED, "⬇️", at(26)),
    ReactionAdded(SHEET.id, THREAD, ZED, "🎬", at(26.5)),
    ReactionAdded(SHEET.id, THREAD, MARA, "🎬", at(27)),
    ReactionAdded(PLUS.id, THREAD, MARA, "👍", at(27.5)),
    ReactionRemoved(PLUS.id, THREAD, MARA, "👍", at(28)),
    ReactionAdded(PLUS.id, THREAD, CALC, "⬆️", at(28.5)),
]


async def build(store: Store) -> None:
    """Fill ``store`` with the discussion."""
    await store.add_prompt(PROMPT)
    for event in EVENTS:
        store.submit(event)
    await store.flush()

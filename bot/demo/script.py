"""The demo's server and its discussion, written for filmclub: who is there, and what they do.

The steps are plain data; ``bot.demo.session`` plays them through the local Discord. The
comments have the shapes real threads have: a long one and one-liners, a disagreement, a
quoted reply, a joke, a comment deleted by its author, two edits (an addition and a typo
fixed), a link a moderator hides, votes up and down, a vote changed, an emoji that is no
vote at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.export import formats

SERVER = "Film Club"
CHANNEL = "films"
LOBBY = "general"
MODERATOR = "Mia"
MEMBERS = ("Ana", "Ben", "Cy", "Dee", "Eve", "Finn")
ARTICLE = "jaws-the-shark-that-would-not-work"
HIDE_REASON = "No links to pirated copies here, please."
LOCK_REASON = "Thanks, everyone! Next week: Stalker."


@dataclass(frozen=True)
class Ref:
    """A comment of the script, by its key (numbered #1, #2... as it is written)."""

    key: str


@dataclass(frozen=True)
class Say:
    """``who`` writes a comment in the prompt thread (a reply when ``reply_to`` is set)."""

    who: str
    key: str
    text: str
    reply_to: str | None = None


@dataclass(frozen=True)
class Edit:
    """``who`` edits their comment ``key`` to ``text``."""

    who: str
    key: str
    text: str


@dataclass(frozen=True)
class Delete:
    """``who`` deletes their comment ``key``."""

    who: str
    key: str


@dataclass(frozen=True)
class React:
    """``who`` adds (or, with ``remove``, takes back) ``emoji`` on comment ``key``."""

    who: str
    key: str
    emoji: str
    remove: bool = False


@dataclass(frozen=True)
class Command:
    """``who`` runs ``/name`` in the prompt thread (or in #films for ``where="channel"``)."""

    who: str
    name: str
    options: dict[str, Any] = field(default_factory=dict)
    where: str = "thread"


Step = Say | Edit | Delete | React | Command

ANA_LONG = (
    "What strikes me on every rewatch is how much of the fear is built in the edit rather "
    "than in the water. The opening night swim is a woman, a buoy bell and a camera under her "
    "legs; we never see anything, and it is still the most frightening scene in the film. By "
    "the time the shark surfaces behind Brody we have spent an hour filling it in ourselves, "
    "and nothing a workshop could build would match what we imagined. So yes: the broken "
    "shark is the best thing that happened to it."
)
BEN_SHORT = "Three yellow barrels. That's the movie."
BEN_EDITED = "Three yellow barrels. That's the movie. (Fine: three barrels and two notes of music.)"
CY_DISAGREES = (
    "I'm going to push back a little. The restraint works in the first half, but the last act "
    "is all shark, in broad daylight, and that is where the film is most thrilling for me: "
    "the Orca going down, Quint on the deck. If the withholding were the whole trick, the "
    "ending would be a letdown, and it isn't."
)
DEE_JOKE = "We're gonna need a bigger barrel."
EVE_WRONG_THREAD = "wait, is this the Jaws 2 thread? my cousin says the shark works in that one"
ANA_QUOTES = (
    "> If the withholding were the whole trick, the ending would be a letdown\n"
    "I'd say the ending works *because* of the withholding: by the time the shark is on the "
    "deck we already believe in it, so the rubber stops mattering. Show that shark in the first "
    "ten minutes and the last act plays as a monster movie."
)
FINN_LINK = "every Spielberg film free in HD here → http://free-movies.example/jaws-1975-hd"
EVE_CONVINCED = (
    "Late to this, but Ana's point sold me. The Indianapolis speech is the same trick, isn't "
    "it? A story about sharks, no shark on screen, and it's the scariest five minutes."
)
DEE_TYPO = "The Indianopolis speech is the whole film in miniature."
DEE_FIXED = "The Indianapolis speech is the whole film in miniature."
CY_CONCEDES = "Fair. I'll grant the barrels. Not the rubber."

SCRIPT: tuple[Step, ...] = (
    Command(MODERATOR, "prompt post", {"article": ARTICLE, "channel": "#films"}, where="channel"),
    Say("Ana", "ana", ANA_LONG),
    Say("Ben", "ben", BEN_SHORT),
    React("Ben", "ana", "👍"),
    Say("Cy", "cy", CY_DISAGREES, reply_to="ana"),
    Say("Dee", "dee", DEE_JOKE, reply_to="ben"),
    React("Ana", "dee", "👍"),
    React("Ben", "dee", "🦈"),
    Say("Eve", "eve-oops", EVE_WRONG_THREAD),
    React("Dee", "cy", "👎"),
    Delete("Eve", "eve-oops"),
    Say("Ana", "ana-quote", ANA_QUOTES, reply_to="cy"),
    Edit("Ben", "ben", BEN_EDITED),
    React("Cy", "ana", "👍"),
    React("Dee", "ana", "👍"),
    React("Eve", "cy", "👎"),
    Say("Finn", "finn", FINN_LINK),
    React("Ana", "finn", "👎"),
    Command(MODERATOR, "comment hide", {"message": Ref("finn"), "reason": HIDE_REASON}),
    Say("Eve", "eve", EVE_CONVINCED, reply_to="ana-quote"),
    React("Cy", "ana-quote", "👍"),
    React("Ben", "ana-quote", "👍"),
    Say("Dee", "dee-typo", DEE_TYPO, reply_to="eve"),
    Edit("Dee", "dee-typo", DEE_FIXED),
    React("Dee", "cy", "👎", remove=True),  # Dee changes their vote on Cy's comment...
    React("Dee", "cy", "👍"),  # ...from down to up
    React("Eve", "ana", "👍"),
    React("Cy", "dee", "👍"),
    Say("Cy", "cy-concedes", CY_CONCEDES, reply_to="ana-quote"),
    Command("Ana", "top"),
    Command(MODERATOR, "stats"),
    Command(MODERATOR, "discussion lock", {"reason": LOCK_REASON}),
)

#: The last step locks the thread; ``--interactive`` leaves it open for the person typing.
LOCK_STEP = SCRIPT[-1]

#: Every export the demo asks the bot for, as (file name, /export options).
EXPORT_OPTIONS: dict[str, Any] = {"include_revisions": True}
EXPORTS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    # Every format, the web page (the demo's showpiece) first, then as /export offers them.
    *((fmt, f"{ARTICLE}.{fmt}", {"format": fmt, **EXPORT_OPTIONS})
      for fmt in ("html", *(name for name in formats.names() if name != "html"))),
    ("zip", "server-archive.zip", {"format": "html", "scope": "server", **EXPORT_OPTIONS}),
)


def comment_keys() -> list[str]:
    """Every comment the script writes, in order."""
    return [step.key for step in SCRIPT if isinstance(step, Say)]


def final_texts() -> dict[str, str]:
    """Each comment's text after the script's edits."""
    texts = {step.key: step.text for step in SCRIPT if isinstance(step, Say)}
    for step in SCRIPT:
        if isinstance(step, Edit):
            texts[step.key] = step.text
    return texts

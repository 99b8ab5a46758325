"""The question a prompt asks, taken from the article's own closing questions.

Film writing often ends by asking: "What did you think of the film? What questions
did it raise for you? Let us know in the comments below." Those closing questions, in
order and without the call to action, make the best discussion prompt. They are read
from where the article's prose really ends (``bot.prose.prose_blocks``: after it come
link lines, credits, bios, tags, related links, widgets and footers, which ask
nothing), from the last paragraph back, or from a list of questions after a lead-in
("Some questions for your group:"). An article whose last real paragraph asks nothing
has no closing questions, and the caller falls back to the moderator's question or
the server's default.

Plain Python, no Discord.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot import matter
from bot.prose import Block, prose_blocks, sentences

__all__ = ["MAX_QUESTIONS", "MAX_QUESTION_CHARS", "asks", "closing_questions",
           "is_call_to_action", "is_question"]


def _words(text: str) -> frozenset[str]:
    """The words of a block of text, as a set (for word lists written as prose)."""
    return frozenset(text.split())


#: At most this many closing questions are kept.
MAX_QUESTIONS = 4
#: A question longer than this is an essay's rhetorical sentence, not a prompt.
MAX_QUESTION_CHARS = 400

_CLOSERS = "\"'”’)]*_ "
#: What may open a quotation: a quote mark at the start or after a space, bracket or dash.
_OPENING = re.compile(r"(?:^|(?<=[\s(\[—–:-]))[\"“‘']")
#: Words that make a sentence a question whatever it quotes: "Is this, as the poster
#: says, "the love story of the year?""
_ASKING = _words("""
who whom whose what which why how where when is are am was were do does did can could
will would shall should may might must has have had isn't aren't wasn't weren't don't
doesn't didn't can't couldn't won't wouldn't shouldn't hasn't haven't what's who's
how's where's
""")
_LEAD_WORDS = re.compile(
    r"\b(questions?|discuss(ion)?|consider|ponder|think(ing)?\s+about|talk(ing)?\s+about"
    r"|chew(ing)?\s+on|ask(ing)?|prompts?|food\s+for\s+thought|conversation|debate"
    r"|to\s+start|starters?|for\s+(your|the)\s+(group|club|book\s+club|class|table))\b",
    re.IGNORECASE,
)


def is_question(sentence: str) -> bool:
    """Whether a sentence asks something (ends with '?', perhaps inside quotes or emphasis)."""
    return sentence.rstrip(_CLOSERS).endswith("?")


def is_call_to_action(sentence: str) -> bool:
    """Whether a sentence asks readers to comment, share or subscribe, or is a widget's text."""
    return matter.is_call_to_action(sentence)


def _quotes_a_question(sentence: str) -> bool:
    """'As Samantha puts it, "What is love?"': the question is someone's, quoted."""
    text = sentence.rstrip(" *_")
    if not text or text[-1] not in "\"”’'" or not text[:-1].rstrip(_CLOSERS).endswith("?"):
        return False
    openings = [m.start() for m in _OPENING.finditer(text, 0, len(text) - 1)]
    if not openings:
        return False
    before = text[: openings[-1]].strip(" *_")
    if not any(ch.isalnum() for ch in before):
        return False  # the whole sentence is the quotation
    first_words = [w.strip(",;:*_()\"'“”‘’").casefold() for w in before.split()[:2]]
    return not any(w in _ASKING for w in first_words)


def _without_lead_in(sentence: str) -> str:
    """'Tell us: did the ending work?' → 'Did the ending work?'."""
    parts = matter.split_lead_in(sentence)
    if parts is None:
        return sentence
    lead, rest = parts
    if not (_LEAD_WORDS.search(lead) or matter.is_call_to_action(lead)):
        return sentence
    return rest[:1].upper() + rest[1:]


def asks(sentence: str) -> str | None:
    """The sentence as a question for readers (without a lead-in), or None if it is not one."""
    if not is_question(sentence) or _quotes_a_question(sentence):
        return None
    question = _without_lead_in(sentence)
    if matter.is_call_to_action(question) or len(question) > MAX_QUESTION_CHARS:
        return None
    return question


def closing_questions(body: str, *, known: Iterable[str] = ()) -> tuple[str, ...]:
    """The questions the article ends on, in order, without the call to action after them.

    Read from where the prose ends (``bot.prose.prose_blocks``). A list of items at the
    end, most of them questions, gives its questions (the first ones, in order). Else
    the run of questions that ends the last paragraph is taken, after the sentences
    that only ask for comments or say where to watch, going back into earlier
    paragraphs while they too are all questions. An article whose last real sentence
    is a statement has no closing questions.
    """
    units = prose_blocks(body, known=known)
    while units and units[-1].kind == "heading":
        units.pop()
    if not units:
        return ()
    if units[-1].kind == "item":
        return _listed(units)
    taken: list[str] = []
    first = True
    for block in reversed(units):
        if block.kind != "paragraph":
            break  # a quotation, or a list that is not of questions, asks nothing
        said = sentences(block.text)
        if first:
            while said and matter.sentence_kind(said[-1]) is not None:
                said.pop()
            if not said:
                continue  # a paragraph that only asked for comments
            first = False
        run: list[str] = []
        for sentence in reversed(said):
            question = asks(sentence)
            if question is None:
                break
            run.append(question)
        taken[:0] = reversed(run)
        if len(run) < len(said) or len(taken) >= MAX_QUESTIONS:
            break
    return tuple(taken[-MAX_QUESTIONS:])


def _listed(units: list[Block]) -> tuple[str, ...]:
    """The questions of the list that ends the prose, if it is a list of questions."""
    items: list[Block] = []
    for block in reversed(units):
        if block.kind != "item":
            break
        items.insert(0, block)
    asked = []
    for item in items:
        found = [q for q in (asks(s) for s in sentences(item.text)) if q]
        if found:
            asked.append(found)
    if not asked or 2 * len(asked) <= len(items):
        return ()  # a list of films or points that ends the article: it asks nothing
    flat = [question for found in asked for question in found]
    return tuple(flat[:MAX_QUESTIONS])

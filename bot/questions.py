"""The question a prompt asks, taken from the article's own closing questions.

Film writing often ends by asking: "What did you think of the film? What questions
did it raise for you? Let us know in the comments below." Those closing questions,
in order and without the call to action, make the best discussion prompt. Where an
article ends without asking anything, it has no closing questions, and the caller
falls back to the moderator's question or the server's default.

Plain Python, no Discord.
"""

from __future__ import annotations

import re

from bot.prose import blocks, is_debris, sentences

#: At most this many closing questions are kept (the last ones, in order).
MAX_QUESTIONS = 4
#: A question longer than this is an essay's rhetorical sentence, not a prompt.
MAX_QUESTION_CHARS = 400

#: Sentences that ask readers to comment, share or subscribe rather than think.
_CALL_TO_ACTION = re.compile(
    r"""\b(
        let\ (us|me)\ know | tell\ (us|me) | sound\ off | hit\ reply | drop\ (us|me)\ a\ line
      | share\ your\ (thoughts|views|take|opinions?) | share\ (this|it)\ with
      | (leave|drop|post|add|write)\ (us\ )?a\ (comment|reply|note)
      | (in|to|on)\ the\ comments | comments?\ (section|below|box)
      | below\ in\ the\ comments | join\ the\ (conversation|discussion)
      | subscribe | newsletter | sign\ up | follow\ us | support\ us | patreon | donate
      | (like|share)\ (and|&)\ (subscribe|share|follow)
      | thanks\ for\ (reading|watching|listening)
      | read\ (more|next|on) | click\ (here|to) | continue\ reading
    )\b""",
    re.IGNORECASE | re.VERBOSE,
)
#: Questions about the article itself, not about the film: "Did you enjoy this review?"
_SELF_QUESTION = re.compile(
    r"\b(this|our|the)\s+(article|post|review|piece|essay|newsletter|episode|podcast|site|blog)\b"
    r"|\b(want|looking\ for)\s+more\b|\bhave\s+you\s+subscribed\b",
    re.IGNORECASE | re.VERBOSE,
)
_CLOSERS = "\"'”’)]*_ "


def is_question(sentence: str) -> bool:
    """Whether a sentence asks something (ends with '?', perhaps inside quotes or emphasis)."""
    return sentence.rstrip(_CLOSERS).endswith("?")


def is_call_to_action(sentence: str) -> bool:
    """Whether a sentence asks readers to comment, share or subscribe, or is a widget's text."""
    if is_debris(sentence):
        return True
    if _CALL_TO_ACTION.search(sentence):
        return True
    return is_question(sentence) and _SELF_QUESTION.search(sentence) is not None


def closing_questions(body: str) -> tuple[str, ...]:
    """The questions the article ends on, in order, without the call to action after them.

    Read from the end: trailing calls to action (and paragraphs of nothing else) are
    skipped, then the run of question sentences that ends the text is taken, going
    back into earlier paragraphs or list items only while they too are all questions.
    An article whose last real sentence is a statement has no closing questions.
    """
    units = [b for b in blocks(body) if b.kind in ("paragraph", "item")]
    taken: list[str] = []
    for block in reversed(units):
        said = sentences(block.text)
        if not taken:
            while said and is_call_to_action(said[-1]):
                said.pop()
            if not said:
                continue  # a paragraph that only asked for comments
        run: list[str] = []
        for sentence in reversed(said):
            if not is_question(sentence) or is_call_to_action(sentence):
                break
            run.append(sentence)
        taken[:0] = reversed(run)
        if len(run) < len(said) or len(taken) >= MAX_QUESTIONS:
            break
    kept = [q for q in taken if len(q) <= MAX_QUESTION_CHARS]
    return tuple(kept[-MAX_QUESTIONS:])

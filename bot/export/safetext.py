"""Text safe for a terminal: no control sequences, bidi overrides closed where they open.

The ``.md`` and ``.txt`` exports are read with ``cat``, ``less`` and editors as much as
with renderers. Member text and names could carry escape sequences (colours, cursor
moves, a window title, a hyperlink that hides its target), or a right-to-left
override that reverses everything printed after it on the line, the author line of
the next comment included. What these files show goes through :func:`terminal_safe`
first:

- CRLF and lone CR become LF (a lone CR moves the cursor back over the line);
- ESC sequences (CSI, OSC, DCS and the two-character forms) are removed whole, and
  every other C0 control but tab and newline, DEL and every C1 control is dropped;
- on each line, an embedding or override (U+202A-U+202E) or isolate (U+2066-U+2068)
  left open is closed at the end of that line (PDF U+202C, PDI U+2069), so it
  reverses nothing past the name or line it was written in.

Text is otherwise kept as written: invisible characters, emoji and closed bidi runs
stay.
"""

from __future__ import annotations

import re

# ESC [ ... final; ESC ] ... BEL or ST; ESC P/X/^/_ ... ST; ESC and one character; and
# the C1 forms of CSI (U+009B) and OSC/DCS/SOS/PM/APC (U+009D, U+0090, U+0098, U+009E,
# U+009F).
_SEQUENCES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"
    r"|\x1b[\]PX^_][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -~]?"
    r"|\x9b[0-?]*[ -/]*[@-~]?"
    r"|[\x90\x98\x9d\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_NEEDS_WORK = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

_PDF = "\u202c"
_PDI = "\u2069"
_EMBEDDINGS = frozenset("\u202a\u202b\u202d\u202e")  # LRE RLE LRO RLO: closed by PDF
_ISOLATES = frozenset("\u2066\u2067\u2068")  # LRI RLI FSI: closed by PDI


def terminal_safe(text: str) -> str:
    """``text`` without control sequences, each line closing the bidi runs it opens."""
    if not _NEEDS_WORK.search(text):
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _SEQUENCES.sub("", text)
    text = _CONTROLS.sub("", text)
    return "\n".join(close_bidi(line) for line in text.split("\n"))


def one_line(text: str) -> str:
    """``text`` terminal-safe on one line (names, titles): line breaks become spaces."""
    return close_bidi(" ".join(terminal_safe(text).split("\n")))


def close_bidi(line: str) -> str:
    """``line`` with a closing mark appended for each embedding or isolate it leaves open.

    As the Unicode bidi algorithm pairs them: a PDF closes the last embedding unless an
    isolate was opened after it; a PDI closes the last open isolate and every
    embedding opened inside it. Stray closers are left as they are (they do nothing).
    """
    if not any("\u202a" <= ch <= "\u202e" or "\u2066" <= ch <= "\u2069" for ch in line):
        return line
    open_marks: list[str] = []
    for ch in line:
        if ch in _EMBEDDINGS:
            open_marks.append(_PDF)
        elif ch in _ISOLATES:
            open_marks.append(_PDI)
        elif ch == _PDF:
            if open_marks and open_marks[-1] == _PDF:
                open_marks.pop()
        elif ch == _PDI and _PDI in open_marks:
            while open_marks.pop() != _PDI:
                pass
    return line + "".join(reversed(open_marks))

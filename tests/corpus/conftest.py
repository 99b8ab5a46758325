"""The article corpus's tally: how many cases the reading gets right, shown after the run."""

from __future__ import annotations

from typing import Any

#: Case name -> whether it came out right; filled by test_corpus.test_case.
RESULTS: dict[str, bool] = {}


def pytest_terminal_summary(terminalreporter: Any) -> None:
    _film_tally(terminalreporter)
    if not RESULTS:
        return
    right = sum(RESULTS.values())
    terminalreporter.write_line(
        f"article corpus: {right} of {len(RESULTS)} cases right"
        + ("" if right == len(RESULTS) else
           " (wrong: " + ", ".join(sorted(n for n, ok in RESULTS.items() if not ok)) + ")"))


#: Film corpus case name -> "matched", "wrong" or "unset"; filled by test_film_corpus.
FILM_RESULTS: dict[str, str] = {}


def _film_tally(terminalreporter: Any) -> None:
    if not FILM_RESULTS:
        return
    counts = {k: sum(1 for v in FILM_RESULTS.values() if v == k)
              for k in ("matched", "wrong", "unset")}
    terminalreporter.write_line(
        f"film corpus: {len(FILM_RESULTS)} cases: {counts['matched']} matched, "
        f"{counts['wrong']} matched wrongly, {counts['unset']} left unset")

"""The article corpus's tally: how many cases the reading gets right, shown after the run."""

from __future__ import annotations

from typing import Any

#: Case name -> whether it came out right; filled by test_corpus.test_case.
RESULTS: dict[str, bool] = {}


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not RESULTS:
        return
    right = sum(RESULTS.values())
    terminalreporter.write_line(
        f"article corpus: {right} of {len(RESULTS)} cases right"
        + ("" if right == len(RESULTS) else
           " (wrong: " + ", ".join(sorted(n for n, ok in RESULTS.items() if not ok)) + ")"))

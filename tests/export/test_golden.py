"""Every format, on both fixed discussions, is exactly its reviewed golden file."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from bot.store import Store
from tests.export.conftest import FORMATS, GOLDEN, SAMPLES, export_bytes

# discussion.md is the Markdown exporter's own golden test (test_markdown.py).
CASES = [(sample, fmt) for sample in SAMPLES for fmt in FORMATS
         if (sample, fmt) != ("discussion", "md")]

#: The HTML page's activity chart is matplotlib's SVG, whose bytes move with the library's
#: version; the page around it must match to the byte, the chart is read in test_html_chart.
_SVG = re.compile(rb"<svg\b.*?</svg>", re.S)


def _without_chart(data: bytes) -> bytes:
    return _SVG.sub(b"<svg>(the chart)</svg>", data)


@pytest.mark.parametrize(("sample", "fmt"), CASES, ids=[f"{s}.{f}" for s, f in CASES])
async def test_export_matches_golden_file(filled: Store, tmp_path: Path, sample: str,
                                          fmt: str) -> None:
    """The file is byte for byte the reviewed golden copy (UPDATE_GOLDEN=1 rewrites it)."""
    data = await export_bytes(filled, tmp_path, sample, fmt)
    golden = GOLDEN / f"{sample}.{fmt}"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_bytes(data)
    assert _without_chart(data) == _without_chart(golden.read_bytes())

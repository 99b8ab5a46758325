"""The filmclub command as a user runs it: exit codes and one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def filmclub(*args: str, cwd: Path, env: dict[str, str] | None = None
             ) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bot`` in ``cwd`` with a clean filmclub environment."""
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("DISCORD_", "FILMCLUB_", "LOG_LEVEL"))}
    base["PYTHONPATH"] = str(ROOT)
    base["FILMCLUB_FILM_LOOKUP"] = "off"  # no internet in tests
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd,
                          env={**base, **(env or {})}, capture_output=True, text=True,
                          timeout=60, check=False)


def test_run_without_token_exits_2_with_one_line(tmp_path: Path) -> None:
    """`filmclub run` with no token: status 2, one line naming DISCORD_TOKEN, no traceback."""
    result = filmclub("run", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "DISCORD_TOKEN" in lines[0]
    assert "Traceback" not in result.stderr


def test_run_with_malformed_dotenv_exits_2(tmp_path: Path) -> None:
    """A broken .env is named with its line, status 2."""
    (tmp_path / ".env").write_text("paste your token here\n")
    result = filmclub("run", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "filmclub: .env: line 1 is not KEY=value"


def test_export_without_database_is_one_line(tmp_path: Path) -> None:
    """Exporting with no database says so and creates nothing."""
    result = filmclub("export", "--thread", "1437000000000000000", "--out", "x.md", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "filmclub: no database at data/filmclub.db"
    assert not (tmp_path / "data").exists()


def test_export_unknown_format_is_one_line(tmp_path: Path) -> None:
    """An unknown format is refused before anything is opened."""
    result = filmclub("export", "--thread", "1437000000000000000", "--format", "docx",
                      cwd=tmp_path)
    assert result.returncode == 2
    assert "unknown export format 'docx'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1

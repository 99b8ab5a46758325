"""Running `filmclub demo` as a person would: the installed command, in a folder of its own."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path


def filmclub_command() -> list[str]:
    """The installed `filmclub` script of this environment (else `python -m bot`)."""
    script = Path(sys.executable).parent / "filmclub"
    if script.exists():
        return [str(script)]
    found = shutil.which("filmclub")
    return [found] if found else [sys.executable, "-m", "bot"]


def demo_env() -> dict[str, str]:
    """The environment without any Discord settings: the demo must need none."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DISCORD_", "FILMCLUB_")) and k != "LOG_LEVEL"}
    env["COLUMNS"] = "200"
    return env

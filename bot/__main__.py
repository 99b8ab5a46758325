"""``python -m bot``: the same entry point as the ``filmclub`` command."""

from bot.cli import main

raise SystemExit(main())

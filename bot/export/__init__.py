"""Exporters: a thread (or a whole server) from the store to a file, one module per format.

- :mod:`bot.export.formats` lists the formats (each declared by its own module);
- :func:`export_thread` writes one prompt thread to a file;
- :func:`bot.export.archive.export_archive` writes every prompt of a server into a zip;
- :func:`run_export` does either for an :class:`ExportRequest` (a scope, a format and the
  options, the same from Discord and the CLI), continuing from the previous export of
  the same request when ``since_last`` asks it, and says what to remember of it.
"""

from __future__ import annotations

from bot.export import formats
from bot.export.base import ExportContext, Exporter, ExportOptions
from bot.export.formats import FORMATS, get_exporter
from bot.export.request import (
    ExportRequest,
    Scope,
    parse_bound,
    resolve_scope,
    run_export,
    scope_key,
)
from bot.export.thread_export import ExportResult, default_filename, export_thread

__all__ = ["FORMATS", "ExportContext", "ExportOptions", "ExportRequest", "ExportResult",
           "Exporter", "Scope", "default_filename", "export_thread", "formats",
           "get_exporter", "parse_bound", "resolve_scope", "run_export", "scope_key"]

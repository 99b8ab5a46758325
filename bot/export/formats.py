"""The export formats: one registry that the CLI, ``/export``, the archive and the tests read.

Each format is one module with an :class:`~bot.export.base.Exporter` that declares all
that is known of it: its name, file extension, media type, the label of the "Export
this thread" menu, whether it is a document to read or data, the template it renders
with and how a comment is found in its files. Nothing else names a format:

- ``filmclub export --format`` takes :func:`names` (its help lists them, :func:`listing`);
- ``/export format:`` offers :func:`names` as its choices, and the menu :func:`menu`;
- the server archive writes each thread with the format's extension, and its index links
  the top comments into the files when the format has anchors for them;
- the tests run every format through the same checks, and compare it with its golden file.

A new built-in format is its module and one line in :data:`BUILT_IN`, which sets the order
formats are offered in. :func:`register` adds one from elsewhere, before the CLI parser or
the ``/export`` cog is built (they read the registry once, as they are made).
"""

from __future__ import annotations

from bot.errors import ExportError
from bot.export.base import Exporter
from bot.export.csvtable import CsvExporter
from bot.export.htmlpage import HtmlExporter
from bot.export.jsondoc import JsonExporter
from bot.export.markdown import MarkdownExporter
from bot.export.plaintext import TextExporter

#: The formats that come with filmclub, in the order /export and the CLI offer them.
BUILT_IN: tuple[type[Exporter], ...] = (
    MarkdownExporter, JsonExporter, HtmlExporter, CsvExporter, TextExporter)

#: The format an export is in when none is asked for.
DEFAULT = "md"

#: Every format by name, in the order they are offered.
FORMATS: dict[str, type[Exporter]] = {}


def register(exporter: type[Exporter]) -> type[Exporter]:
    """Add ``exporter`` to the registry (a class decorator too); refused if its name is taken
    or its declaration is incomplete."""
    missing = [attribute for attribute in ("name", "extension", "media_type", "label")
               if not getattr(exporter, attribute, None)]
    if missing:
        raise TypeError(f"{exporter.__name__} does not declare {', '.join(missing)}")
    if exporter.name in FORMATS and FORMATS[exporter.name] is not exporter:
        raise ValueError(f"an export format named {exporter.name!r} is registered already")
    FORMATS[exporter.name] = exporter
    return exporter


for _exporter in BUILT_IN:
    register(_exporter)


def names() -> tuple[str, ...]:
    """The formats' names, in the order they are offered: ("md", "json", ...)."""
    return tuple(FORMATS)


def exporters() -> tuple[type[Exporter], ...]:
    """Every registered format, in the order they are offered."""
    return tuple(FORMATS.values())


def menu() -> tuple[type[Exporter], ...]:
    """The formats as the "Export this thread" menu lists them: documents to read first,
    then data for programs, each group in the order of :func:`exporters`."""
    every = exporters()
    return (*(f for f in every if f.readable), *(f for f in every if not f.readable))


def menu_label(exporter: type[Exporter]) -> str:
    """'Markdown (.md)': a format as the menu shows it."""
    return f"{exporter.label} (.{exporter.extension})"


def listing() -> str:
    """'md, json, html, csv or txt': the names in a sentence."""
    every = names()
    return every[0] if len(every) == 1 else f"{', '.join(every[:-1])} or {every[-1]}"


def exporter_class(name: str) -> type[Exporter]:
    """The format called ``name``; an ExportError naming the known ones if there is none."""
    try:
        return FORMATS[name]
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise ExportError(f"unknown export format {name!r} (known: {known})") from None


def get_exporter(name: str) -> Exporter:
    """A new exporter of the format called ``name`` (see :func:`exporter_class`)."""
    return exporter_class(name)()

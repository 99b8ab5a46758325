"""The format registry: every format declares itself, and everyone reads the registry."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

from bot.cli import main
from bot.errors import ExportError
from bot.export import ExportOptions, formats
from bot.export.archive import export_archive
from bot.export.base import Exporter, file_slug
from bot.records.visibility import EVERY_THREAD
from bot.store import Store
from tests import discussion, hostile
from tests.clirun import ROOT, clean_env, forget_settings, sample_database
from tests.export.conftest import EXPORTED_AT
from tests.export.throwaway import ThrowawayExporter


def test_built_in_formats_are_offered_in_their_order() -> None:
    """The formats users are offered, in /export's and the CLI's order, as each declares."""
    declared = {f.name: (f.extension, f.media_type, formats.menu_label(f))
                for f in formats.exporters()}
    assert declared == {
        "md": ("md", "text/markdown", "Markdown (.md)"),
        "json": ("json", "application/json", "JSON (.json)"),
        "html": ("html", "text/html", "Web page (.html)"),
        "csv": ("csv", "text/csv", "Spreadsheet table (.csv)"),
        "txt": ("txt", "text/plain", "Plain text (.txt)"),
    }
    assert formats.names() == ("md", "json", "html", "csv", "txt")
    assert [f.name for f in formats.menu()] == ["md", "html", "txt", "json", "csv"]
    assert formats.listing() == "md, json, html, csv or txt"
    assert formats.DEFAULT in formats.names()


@pytest.mark.parametrize("fmt", formats.names())
def test_each_format_declares_all_that_is_read_of_it(fmt: str) -> None:
    """Name, a file-safe extension, a media type, a label, and a template that ships."""
    exporter = formats.exporter_class(fmt)
    assert exporter.name == fmt
    assert file_slug(exporter.extension, default="") == exporter.extension
    assert exporter.media_type.count("/") == 1 and exporter.label
    if exporter.template is not None:
        assert (resources.files("bot.export") / "templates" / exporter.template).is_file()
    anchor = exporter.comment_anchor(123)
    assert anchor is None or (anchor.endswith("123") and file_slug(anchor) == anchor)


def test_an_unknown_format_is_one_line_naming_the_known_ones() -> None:
    """get_exporter refuses a name no format has, listing those it knows."""
    with pytest.raises(ExportError,
                       match=r"^unknown export format 'pdf' \(known: csv, html, json, md, txt\)$"):
        formats.get_exporter("pdf")


def test_register_refuses_a_taken_name_or_a_half_declared_format() -> None:
    """A second 'md', or a format without a label, is refused and the registry unchanged."""
    class Impostor(ThrowawayExporter):
        name = "md"

    class Unlabelled(ThrowawayExporter):
        label = ""

    before = dict(formats.FORMATS)
    with pytest.raises(ValueError, match="'md' is registered already"):
        formats.register(Impostor)
    with pytest.raises(TypeError, match="Unlabelled does not declare label"):
        formats.register(Unlabelled)
    assert before == formats.FORMATS


@pytest.fixture
def throwaway() -> Iterator[type[Exporter]]:
    """The throw-away format, registered for one test only."""
    formats.register(ThrowawayExporter)
    try:
        yield ThrowawayExporter
    finally:
        del formats.FORMATS[ThrowawayExporter.name]


def test_throwaway_format_is_in_the_registry_and_the_menu(
        throwaway: type[Exporter]) -> None:
    """Registered, it is listed last, and in the menu with the documents (it is readable)."""
    assert formats.names()[-1] == "rst"
    assert formats.listing() == "md, json, html, csv, txt or rst"
    assert [f.name for f in formats.menu()] == ["md", "html", "txt", "rst", "json", "csv"]


def test_throwaway_format_is_a_cli_choice_and_exports(
        throwaway: type[Exporter], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`filmclub export --help` lists it, and `--format rst` writes a .rst file."""
    database = sample_database(tmp_path / "filmclub.db", discussion)
    forget_settings(monkeypatch)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    assert "md, json, html, csv, txt or rst" in " ".join(capsys.readouterr().out.split())
    status = main(["export", "--thread", str(discussion.THREAD), "--format", "rst",
                   "--db", str(database)])
    out = capsys.readouterr().out
    name = f"vertigo-and-the-second-fall-{discussion.THREAD}.rst"
    assert (status, out.split(" (")[0]) == (0, name)
    text = (tmp_path / name).read_text(encoding="utf-8")
    assert text.startswith("Vertigo and the second fall\n====")
    assert f".. _c-{discussion.ANA.id}:" in text


async def test_throwaway_format_fills_the_archive_and_its_index(
        throwaway: type[Exporter], filled: Store, tmp_path: Path) -> None:
    """The zip holds .rst files, and the index links the top comment to its anchor."""
    out = tmp_path / "archive.zip"
    await export_archive(filled, discussion.PROMPT.guild_id, "rst", out,
                         options=ExportOptions(), exported_at=EXPORTED_AT,
                         visible=EVERY_THREAD)
    zipped = zipfile.ZipFile(io.BytesIO(out.read_bytes()))
    first = f"vertigo-and-the-second-fall-{discussion.THREAD}.rst"
    assert zipped.namelist() == [
        first, f"rashomon-title-script-alert-title-script-{hostile.THREAD}.rst", "index.html"]
    index = zipped.read("index.html").decode("utf-8")
    assert f'href="{first}#c-{discussion.ANA.id}"' in index
    assert "as rst files" in index


#: Registers the throw-away format as a plugin would, then loads the /export cog.
_COG_PROBE = """
import asyncio, json
from bot.export import ExportOptions, formats
from tests.export.throwaway import ThrowawayExporter
formats.register(ThrowawayExporter)
from cogs.export import Export, FormatChoice

async def menu():
    async def chosen(interaction, fmt):
        pass
    return [(o.value, o.label) for o in FormatChoice(1, chosen).format.options]

choices = Export.export.get_parameter("format").choices
print(json.dumps({"choices": [[c.name, c.value] for c in choices],
                  "menu": asyncio.run(menu())}))
"""


def test_throwaway_format_is_an_export_choice_and_in_the_menu() -> None:
    """Registered before the cog loads: /export offers it, and so does the message menu."""
    done = subprocess.run([sys.executable, "-c", _COG_PROBE], cwd=ROOT, env=clean_env(),
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["choices"] == [[n, n] for n in ("md", "json", "html", "csv", "txt", "rst")]
    assert seen["menu"] == [
        ["md", "Markdown (.md)"], ["html", "Web page (.html)"], ["txt", "Plain text (.txt)"],
        ["rst", "reStructuredText (.rst)"], ["json", "JSON (.json)"],
        ["csv", "Spreadsheet table (.csv)"]]

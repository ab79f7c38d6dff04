"""The plugin interface: a third party adds a document type without touching docgen/."""
from __future__ import annotations

import textwrap
import types

import docx
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from conftest import example, set_setting, write_yaml
from docgen import hookimpl
from docgen.cli import cli
from docgen.doctype import DocumentType
from docgen.errors import PluginError
from docgen.pipeline import Engine
from docgen.plugins import Plugins


def make_template(path, line: str = "Belopp: {{ belopp }} kr"):
    d = docx.Document()
    d.sections[0].header.paragraphs[0].text = "{{ dokumenttitel }} {{ diarienummer }}"
    d.add_paragraph("{{ rubrik }}")
    d.add_paragraph("{% if utkast %}UTKAST{% endif %}{% if sekretess %}{{ sekretess.markering }}{% endif %}")
    d.add_paragraph(line)
    d.add_paragraph("{% for b in bilagor %}Bilaga {{ b.nummer }}{% endfor %}{% for g in skickas_till %}{{ g.rubrik }}{% endfor %}")
    d.save(path)


class TinyPlugin:
    """A fourth, tiny document type, registered in code by a fixture."""

    def __init__(self, folder):
        class Kvitto(DocumentType):
            name = "kvitto"
            title = "Kvitto"
            template = "kvitto.docx"
            template_dirs = [folder]
            schema = {"required": ["belopp"], "properties": {"belopp": {"type": "integer", "minimum": 0}}}
            example = "dokumenttyp: kvitto\n"

        self.cls = Kvitto

    @hookimpl
    def docgen_document_types(self):
        return [self.cls]

    @hookimpl
    def docgen_jinja_environment(self, env, config):
        env.filters["kronor"] = lambda v: f"{v:,} kr".replace(",", " ")


@pytest.fixture
def tiny(tmp_path):
    make_template(tmp_path / "kvitto.docx")
    return TinyPlugin(tmp_path)


def test_type_registered_by_fixture_renders(config, pool, tiny, workspace):
    plugins = Plugins(config, extra=[tiny])
    assert "kvitto" in plugins.types and "uppdragshandling" in plugins.types
    assert plugins.types["kvitto"].source.startswith("registered in code")
    with Engine(config, plugins=plugins, pool=pool) as eng:
        src = write_yaml(workspace / "inbox", "k.yaml",
                         {"dokumenttyp": "kvitto", "rubrik": "Kvitto för kursavgift", "datum": "2026-01-10", "belopp": 1200})
        result = eng.process(src)
        assert result.ok, result.error
        text = PdfReader(result.files["pdf"]).pages[0].extract_text()
        assert "Kvitto för kursavgift" in text and "Belopp: 1200 kr" in text and result.diarienummer in text
        bad = eng.process(write_yaml(workspace / "inbox", "b.yaml",
                                     {"dokumenttyp": "kvitto", "rubrik": "x", "datum": "2026-01-10", "belopp": -5}))
        assert not bad.ok and bad.problems[0]["field"] == "belopp"


def test_plugins_folder_is_loaded(tmp_path, workspace):
    folder = tmp_path / "mina-plugins"
    folder.mkdir()
    make_template(folder / "notis.docx")
    (folder / "notis.py").write_text(textwrap.dedent(f'''
        from docgen import hookimpl
        from docgen.doctype import DocumentType

        class Notis(DocumentType):
            name = "notis"
            title = "Notis"
            template = "notis.docx"
            template_dirs = [{str(folder)!r}]

        @hookimpl
        def docgen_document_types():
            return [Notis]
    '''), encoding="utf-8")
    set_setting(workspace, "sokvagar", "plugins", str(folder))
    result = CliRunner().invoke(cli, ["-w", str(workspace), "types"])
    assert result.exit_code == 0, result.output
    assert "notis" in result.output and f"plugins folder {folder / 'notis.py'}" in result.output
    assert "entry point uppdragshandling" in result.output


def test_duplicate_type_names_are_a_clear_startup_error(config, tiny):
    class Again:
        @hookimpl
        def docgen_document_types(self):
            return [tiny.cls]

    with pytest.raises(PluginError, match="'kvitto' is defined twice"):
        Plugins(config, extra=[tiny, Again()])


def test_unknown_hook_fails_check_pending(config):
    class Typo:
        @hookimpl
        def docgen_document_typs(self):
            return []

    with pytest.raises(PluginError, match="unknown hook"):
        Plugins(config, extra=[Typo()])


def test_broken_plugin_file_names_the_file(tmp_path, workspace):
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "trasig.py").write_text("import finns_inte\n", encoding="utf-8")
    set_setting(workspace, "sokvagar", "plugins", str(folder))
    result = CliRunner().invoke(cli, ["-w", str(workspace), "types"])
    assert result.exit_code == 2 and "trasig.py failed to load" in result.output and "Traceback" not in result.output


class PdfWatcher:
    """A plugin that sees every finished PDF with its number, and marks it."""

    def __init__(self):
        self.calls = []

    @hookimpl
    def docgen_pdf_written(self, path, document, diarienummer):
        self.calls.append((path.suffix, document["rubrik"], diarienummer, path.stat().st_size > 0))


def test_pdf_written_hook_gets_the_finished_pdf_and_its_number(config, pool, workspace):
    watcher = PdfWatcher()
    with Engine(config, plugins=Plugins(config, extra=[watcher]), pool=pool) as eng:
        result = eng.process(write_yaml(workspace / "inbox", "u.yaml", example("uppdragshandling")))
        draft = eng.process(write_yaml(workspace / "inbox", "d.yaml", example("beslut") | {"status": "utkast"}))
    assert result.ok and draft.ok
    assert watcher.calls == [(".pdf", result.rubrik, result.diarienummer, True), (".pdf", draft.rubrik, None, True)]


@pytest.mark.parametrize("labels, shown", [
    ({}, "Signaturrad: ingen"),  # docgen has no signature line of its own: a type that is not a decision gets none
    ({"digital_underskrift": "Protokollet har justerats digitalt."}, "Signaturrad: Protokollet har justerats digitalt."),
])
def test_the_signature_line_is_the_types_own(config, pool, workspace, tmp_path, labels, shown):
    make_template(tmp_path / "protokoll.docx", "Signaturrad: {{ digital_underskrift or 'ingen' }}")

    class Protokoll(DocumentType):
        name = "protokoll"
        title = "Protokoll"
        template = "protokoll.docx"
        template_dirs = [tmp_path]
        digital_signature = True

    Protokoll.labels = labels
    plugin = types.SimpleNamespace(docgen_document_types=hookimpl(lambda: [Protokoll]))
    with Engine(config, plugins=Plugins(config, extra=[plugin]), pool=pool) as eng:
        result = eng.process(write_yaml(workspace / "inbox", "p.yaml",
                                        {"dokumenttyp": "protokoll", "rubrik": "Protokoll från styrgruppen", "datum": "2026-01-10"}))
    assert result.ok, result.error
    text = " ".join(p.extract_text() for p in PdfReader(result.files["pdf"]).pages)
    assert shown in text and "Beslutet har fattats digitalt" not in text


def test_a_message_naming_a_field_docgen_does_not_fill_in_is_a_startup_error(config):
    class Kallelse(DocumentType):
        name = "kallelse"
        template = "kallelse.docx"
        message = "Hej {namn}, välkommen till {lokal}."

    plugin = types.SimpleNamespace(docgen_document_types=hookimpl(lambda: [Kallelse]))
    with pytest.raises(PluginError, match="message of document type kallelse cannot be filled in") as caught:
        Plugins(config, extra=[plugin])
    assert "lokal" in str(caught.value) and "avsandare" in str(caught.value)

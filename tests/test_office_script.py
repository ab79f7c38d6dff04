"""A conversion is one UNO call to docgen's script inside LibreOffice (docgen.officescript); without the
script provider it is converted call by call, the same PDF either way."""
from __future__ import annotations

import logging
import os
import re
import sys
import threading
from pathlib import Path

import docx as python_docx
import pytest
from pypdf import PdfReader

from docgen import officescript
from docgen.errors import ConversionError
from docgen.office import OfficePool

PHRASES = ["Uppdragshandling", "RS 2026-00042", "Sekretess 25 kap. 1 § OSL"]


@pytest.fixture(scope="module")
def docx_file(tmp_path_factory) -> Path:
    """A DOCX whose keywords are phrases with spaces (as docgen writes them, separated by "; ")."""
    path = tmp_path_factory.mktemp("script") / "fras.docx"
    d = python_docx.Document()
    d.add_paragraph("Ett stycke för konverteringen.")
    d.core_properties.keywords = "; ".join(PHRASES)
    d.save(path)
    return path


def pdf_facts(path: Path) -> tuple[list[str], str, int]:
    """The keywords (document information), the PDF/A part its XMP declares, and the page count."""
    reader = PdfReader(path)
    xmp = reader.xmp_metadata.stream.get_data().decode("utf-8")
    part = re.search(r'pdfaid:part(?:="|>)(\d)', xmp)
    return reader.metadata["/Keywords"].split(", "), part.group(1) if part else "", len(reader.pages)


def test_an_instance_converts_through_its_script_in_one_call(docx_file, tmp_path):
    with OfficePool(size=1) as pool:
        pool.start()
        inst = pool.instances[0]
        assert inst.script is not None
        assert (inst.profile / "user" / "Scripts" / "python" / "docgen_convert.py").read_bytes() == \
            officescript.SOURCE.read_bytes()
        pool.convert(docx_file, tmp_path / "script.pdf")
        by_script = pdf_facts(tmp_path / "script.pdf")
        assert by_script == (PHRASES, "2", 1)  # keywords as whole phrases, PDF/A-2

        inst.script = None  # the same instance, call by call
        pool.convert(docx_file, tmp_path / "calls.pdf")
        assert pdf_facts(tmp_path / "calls.pdf") == by_script

        inst.restart()  # a new process gets the script again
        assert inst.script is not None
        pool.convert(docx_file, tmp_path / "again.pdf")
        assert pdf_facts(tmp_path / "again.pdf") == by_script


def test_a_recycled_instance_converts_through_its_script(docx_file, tmp_path):
    with OfficePool(size=1, recycle_after=1) as pool:
        pool.start()
        inst = pool.instances[0]
        pids = set()
        for n in range(3):
            pool.convert(docx_file, tmp_path / f"{n}.pdf")
            pids.add(inst.pid)
            assert inst.script is not None
            assert pdf_facts(tmp_path / f"{n}.pdf")[0] == PHRASES
        assert len(pids) == 3 and inst.restarts == 2


def test_python_failing_inside_the_script_is_one_line(docx_file, tmp_path, monkeypatch):
    broken = tmp_path / "docgen_convert.py"
    broken.write_text(officescript.SOURCE.read_text(encoding="utf-8").replace(
        "    desktop = XSCRIPTCONTEXT.getDesktop()", "    raise ValueError('nej, inte nu')\n    desktop = XSCRIPTCONTEXT.getDesktop()"),
        encoding="utf-8")
    monkeypatch.setattr(officescript, "SOURCE", broken)
    with OfficePool(size=1) as pool:
        pool.start()
        with pytest.raises(ConversionError) as caught:
            pool.convert(docx_file, tmp_path / "x.pdf")
    text = str(caught.value)
    assert "ValueError: nej, inte nu" in text and "fras.docx" in text, text
    assert "\n" not in text and "Traceback" not in text and "docgen_convert.py" not in text, text


def test_a_failure_inside_the_script_is_one_line_naming_the_document(tmp_path):
    missing = tmp_path / "finns-inte.docx"
    with OfficePool(size=1) as pool:
        pool.start()
        assert pool.instances[0].script is not None
        with pytest.raises(ConversionError) as caught:
            pool.convert(missing, tmp_path / "x.pdf")
        text = str(caught.value)
        assert "finns-inte.docx" in text and "\n" not in text
        assert "Traceback" not in text and "docgen_convert.py" not in text and "^^^" not in text
        assert not (tmp_path / "x.pdf").exists()
        pool.convert(_small(tmp_path), tmp_path / "ok.pdf")  # the instance (restarted) converts again
        assert (tmp_path / "ok.pdf").read_bytes().startswith(b"%PDF")


def _small(folder: Path) -> Path:
    path = folder / "liten.docx"
    python_docx.Document().save(path)
    return path


def test_without_the_script_provider_docgen_converts_call_by_call_and_says_so_once(docx_file, tmp_path, monkeypatch,
                                                                                  caplog):
    # A script LibreOffice cannot find answers as a missing provider does: with a UNO exception from getScript.
    monkeypatch.setattr(officescript, "URI", officescript.URI.replace("docgen_convert.py", "finns_inte.py"))
    monkeypatch.setattr(officescript, "_told", threading.Lock())
    with caplog.at_level(logging.WARNING, logger="docgen.office"):
        with OfficePool(size=2) as pool:
            pool.start()
            assert [inst.script for inst in pool.instances] == [None, None]
            pool.convert(docx_file, tmp_path / "calls.pdf")
    assert pdf_facts(tmp_path / "calls.pdf") == (PHRASES, "2", 1)
    told = [r for r in caplog.records if "libreoffice-script-provider-python" in r.getMessage()]
    assert len(told) == 1


def test_an_activated_virtualenv_does_not_reach_libreoffices_python(docx_file, tmp_path, monkeypatch):
    """`. .venv/bin/activate` (the README's tour) put the virtualenv's python3 first on PATH, and LibreOffice's
    own Python then failed to start: the script provider answered std::bad_alloc."""
    venv_bin = Path(sys.prefix) / "bin"
    assert (venv_bin.parent / "pyvenv.cfg").is_file()  # the suite runs in the project's virtualenv
    monkeypatch.setenv("VIRTUAL_ENV", sys.prefix)
    monkeypatch.setenv("PATH", f"{venv_bin}{os.pathsep}{os.environ['PATH']}")
    with OfficePool(size=1) as pool:
        pool.start()
        inst = pool.instances[0]
        env = inst.environment()
        assert "VIRTUAL_ENV" not in env and str(venv_bin) not in env["PATH"].split(os.pathsep)
        assert inst.script is not None
        pool.convert(docx_file, tmp_path / "venv.pdf")
    assert pdf_facts(tmp_path / "venv.pdf")[0] == PHRASES

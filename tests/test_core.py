"""The core engine end to end: example input → numbered, registered DOCX + PDF/A, with real LibreOffice."""
from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import docx
from pypdf import PdfReader

from conftest import example, outbox_files, write_yaml
from helpers import assert_in_order, fonts_embedded
from docgen.steps.number import allocate_number
from docgen.steps.register import produced_by
from docgen.store import Store


def pdf_pages_text(path) -> list[str]:
    return [p.extract_text() for p in PdfReader(path).pages]


def test_example_renders_to_registered_pdfa(engine, workspace):
    src = write_yaml(workspace / "inbox", "uppdrag.yaml", example("uppdragshandling"))
    result = engine.process(src)
    assert result.ok, result.error
    dnr = result.diarienummer
    assert re.fullmatch(r"RS \d{4}-00001", dnr) and result.lopnummer == 1 and result.version == 1

    pdf = Path(result.files["pdf"])
    reader = PdfReader(pdf)
    pages = pdf_pages_text(pdf)
    assert len(pages) >= 2, "the example is long enough for two pages"
    for i, text in enumerate(pages, 1):
        assert dnr in text, f"diarienummer missing on page {i}"
        assert f"Sida {i} ({len(pages)})" in text
    full = "\n".join(pages)
    order = ["UPPDRAGSHANDLING", "Samordningsgrupp för regionens arkivfrågor", "Uppdragsgivare:", "Uppdragstagare:",
             "Bakgrund", "Uppdragsbeskrivning", "Arbetsorganisation", "Kostnader och finansiering",
             "Datum för beslut:", "2026-02-16", "Maria Lindqvist", "Uppdraget skickas till", "För genomförande",
             "Johan Ekberg", "För kännedom", "Eva Strand"]
    assert_in_order(full, order)

    # PDF/A-2b, consistent metadata, embedded fonts, not encrypted
    assert not reader.is_encrypted
    xmp = reader.xmp_metadata
    assert xmp is not None and xmp.pdfaid_part == "2" and xmp.pdfaid_conformance == "B"
    meta = reader.metadata
    assert meta.title == "Samordningsgrupp för regionens arkivfrågor"
    assert meta.author == "Region Norrskog"
    assert meta.subject == dnr
    assert dnr in meta["/Keywords"].split(", ") and "Uppdragshandling" in meta["/Keywords"].split(", ")
    assert xmp.dc_title.get("x-default") == meta.title
    assert fonts_embedded(reader) == []

    # DOCX opens, carries the same metadata
    d = docx.Document(result.files["docx"])
    assert d.core_properties.subject == dnr
    assert any(p.text == "Samordningsgrupp för regionens arkivfrågor" for p in d.paragraphs)

    # JSON record and registry agree with the files
    record = json.loads(Path(result.files["json"]).read_text(encoding="utf-8"))
    assert record["diarienummer"] == dnr
    assert record["skapad_av"] == produced_by() and "@" in record["skapad_av"]  # the command line: the OS user
    for kind in ("pdf", "docx"):
        blob = Path(result.files[kind]).read_bytes()
        assert record["filer"][kind]["sha256"] == hashlib.sha256(blob).hexdigest()
    rows = engine.store.query(
        "select a.diarienummer, a.status as astatus, h.status, h.lopnummer, v.version, v.mall, v.mall_sha256, f.typ, f.sha256 "
        "from arende a join handling h on h.arende_id=a.id join version v on v.handling_id=h.id join fil f on f.version_id=v.id")
    assert {r["typ"] for r in rows} == {"pdf", "docx"}
    assert all(r["status"] == "registrerad" and r["astatus"] == "oppen" and r["diarienummer"] == dnr for r in rows)
    assert {r["sha256"] for r in rows} == {record["filer"]["pdf"]["sha256"], record["filer"]["docx"]["sha256"]}
    assert len(rows[0]["mall_sha256"]) == 64
    # names are safe and nothing temporary is left behind
    assert not [p for p in outbox_files(workspace) if p.name.startswith(".tmp")]
    assert not list((workspace / "outbox" / ".staging").glob("*"))


def test_markdown_becomes_real_word_formatting(engine, workspace):
    data = example("uppdragshandling")
    data["rubrik"] = 'Avtal & villkor <utkast> "citat" {{ mall }}'
    data["avsnitt"] = [{"rubrik": "Text", "text": (
        "Första stycket med **fetstil**, *kursiv* och [regionens webb](https://www.example.se/sida).\n\n"
        "- punkt ett\n  - underpunkt\n- punkt två\n\n"
        "3. tredje\n4. fjärde\n\n"
        "Tecken som ska stå kvar: a & b < c > d \"e\" {{ f }} {% g %} 5 * 3"
    )}]
    result = engine.process(write_yaml(workspace / "inbox", "md.yaml", data))
    assert result.ok, result.error
    d = docx.Document(result.files["docx"])
    paras = {p.text: p for p in d.paragraphs}
    assert 'Avtal & villkor <utkast> "citat" {{ mall }}' in paras
    first = next(p for t, p in paras.items() if t.startswith("Första stycket"))
    assert any(r.bold and r.text == "fetstil" for r in first.runs)
    assert any(r.italic and r.text == "kursiv" for r in first.runs)
    link_rels = [r for r in d.part.rels.values() if r.reltype.endswith("/hyperlink")]
    assert [r.target_ref for r in link_rels] == ["https://www.example.se/sida"]

    def numpr(text):
        p = paras[text]._p
        ilvl = p.find(".//{*}numPr/{*}ilvl")
        return int(ilvl.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val")) if ilvl is not None else None

    assert numpr("punkt ett") == 0 and numpr("underpunkt") == 1 and numpr("punkt två") == 0
    assert numpr("tredje") == 0
    assert "Tecken som ska stå kvar: a & b < c > d \"e\" {{ f }} {% g %} 5 * 3" in paras

    text = "\n".join(pdf_pages_text(result.files["pdf"]))
    assert "**" not in text and "- punkt" not in text
    assert "3. tredje" in text and "4. fjärde" in text, "a numbered list keeps its own start number"
    assert "{{ f }}" in text and "a & b < c > d" in text
    reader = PdfReader(result.files["pdf"])
    uris = [a.get_object()["/A"]["/URI"] for p in reader.pages for a in (p.get("/Annots") or [])
            if a.get_object().get("/A") and "/URI" in a.get_object()["/A"]]
    assert "https://www.example.se/sida" in uris


def test_draft_gets_watermark_and_no_number(engine, workspace):
    data = example("uppdragshandling") | {"status": "utkast"}
    result = engine.process(write_yaml(workspace / "inbox", "utkast.yaml", data))
    assert result.ok, result.error
    assert result.diarienummer is None and result.draft
    pages = pdf_pages_text(result.files["pdf"])
    assert all("Tilldelas vid registrering" in t for t in pages)
    d = docx.Document(result.files["docx"])
    header_xml = d.sections[0].header._element.xml
    assert 'string="UTKAST"' in header_xml
    assert engine.store.query("select count(*) as n from arende")[0]["n"] == 0
    assert engine.store.query("select count(*) as n from nummerserie")[0]["n"] == 0
    # a final document's header has no watermark
    final = engine.process(write_yaml(workspace / "inbox", "final.yaml", example("uppdragshandling")))
    assert "UTKAST" not in docx.Document(final.files["docx"]).sections[0].header._element.xml


def test_document_joins_named_case_with_next_running_number(engine, workspace):
    first = engine.process(write_yaml(workspace / "inbox", "a.yaml", example("uppdragshandling")))
    data = example("uppdragshandling")
    data.pop("serie")
    data["diarienummer"] = first.diarienummer
    data["rubrik"] = "Komplettering av uppdraget"
    second = engine.process(write_yaml(workspace / "inbox", "b.yaml", data))
    assert second.ok, second.error
    assert second.diarienummer == first.diarienummer and second.lopnummer == 2
    assert engine.store.query("select count(*) as n from arende")[0]["n"] == 1


def test_same_input_twice_is_a_duplicate(engine, workspace):
    src = write_yaml(workspace / "inbox", "a.yaml", example("uppdragshandling"))
    first = engine.process(src)
    again = engine.process(src)
    assert not again.ok and again.error_kind == "duplicate" and again.diarienummer == first.diarienummer
    assert engine.store.query("select count(*) as n from arende")[0]["n"] == 1


def test_two_processes_allocate_distinct_consecutive_numbers(config, workspace):
    url = config.registry_url
    Store(url).close()  # schema in place before the race
    procs = [subprocess.Popen([sys.executable, "-c", (
        "import sys; from docgen.config import load_config; from docgen.store import Store; "
        "from docgen.steps.number import allocate_number; cfg = load_config(sys.argv[1]); reg = Store(sys.argv[2]); "
        "[allocate_number(reg, cfg, 'RS', 't', 2030) for _ in range(200)]"
    ), str(workspace), url]) for _ in range(2)]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    reg = Store(url)
    numbers = [r["nummer"] for r in reg.query("select nummer from arende where serie='RS' and ar=2030 order by nummer")]
    assert numbers == list(range(1, 401))
    dnrs = {r["diarienummer"] for r in reg.query("select diarienummer from arende")}
    assert len(dnrs) == 400 and "RS 2030-00400" in dnrs


def test_failed_conversion_voids_the_number_with_reason(config, workspace):
    from docgen.office import OfficePool
    from docgen.pipeline import Engine

    with OfficePool(size=1, timeout=0.05) as slow:  # no document converts that fast: timeout, kill, retry, fail
        slow.start()
        with Engine(config, pool=slow) as eng:
            result = eng.process(write_yaml(workspace / "inbox", "a.yaml", example("uppdragshandling")))
            assert not result.ok and result.error_kind == "conversion"
            assert "timed out" in result.error and "after a restart" in result.error
            rows = eng.store.query("select a.status as a, a.makulerad_orsak as ao, h.status as h from arende a join handling h on h.arende_id=a.id")
            assert rows == [{"a": "makulerad", "ao": rows[0]["ao"], "h": "makulerad"}] and "timed out" in rows[0]["ao"]
            assert slow.instances[0].restarts >= 1
    assert outbox_files(workspace) == []
    # the next number is not reused: the voided one stays accounted for
    with Engine(config, pool=None) as eng2:
        case_id, dnr = allocate_number(eng2.store, config, "RS", "x")
        assert dnr.endswith("-00002")


def test_killed_libreoffice_is_restarted(pool, engine, workspace):
    import os
    import signal

    inst = pool.instances[0]
    if inst.proc is None:
        inst.start()
    os.killpg(inst.proc.pid, signal.SIGKILL)
    result = engine.process(write_yaml(workspace / "inbox", "a.yaml", example("uppdragshandling")))
    assert result.ok, result.error


def test_reservation_of_a_dead_process_with_a_reused_pid_is_taken_over(engine, workspace):
    """After a container restart the new process may get the dead one's pid: the start time tells them apart."""
    from docgen.steps.number import reserve
    from docgen.owners import owner_id

    src = write_yaml(workspace / "inbox", "a.yaml", example("uppdragshandling"))
    from docgen.load import load_input
    from docgen.checks import validate
    doc = validate(load_input(src, engine.config.limits), engine.plugins, engine.config)
    res = reserve(engine.store, doc, engine.config)
    host, pid, start = owner_id().split(":")
    with engine.store.tx() as conn:
        conn.exec_driver_sql("update handling set agare = ? where id = ?", (f"{host}:{pid}:{int(start) - 1}", res.handling_id))
    result = engine.process(src)
    assert result.ok, result.error
    assert (result.diarienummer, result.lopnummer) == (res.diarienummer, res.lopnummer)
    assert engine.store.query("select count(*) as n from arende")[0]["n"] == 1


def test_instance_is_recycled_after_configured_number_of_conversions(engine, workspace, tmp_path):
    from docgen.office import OfficePool

    first = engine.process(write_yaml(workspace / "inbox", "a.yaml", example("uppdragshandling")))
    docx_file = Path(first.files["docx"])
    with OfficePool(size=1, recycle_after=2) as pool:
        pool.start()
        pids = []
        for i in range(5):
            pool.convert(docx_file, tmp_path / f"{i}.pdf")
            pids.append(pool.instances[0].pid)
        assert pool.instances[0].restarts == 2, "restarted before the 3rd and the 5th conversion"
        assert pids[0] == pids[1] != pids[2] == pids[3] != pids[4]
    assert all(PdfReader(tmp_path / f"{i}.pdf").xmp_metadata.pdfaid_part == "2" for i in range(5))

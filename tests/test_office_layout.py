"""Documents as the office writes them (issue 25): via-recipients told to distribute, case numbers and dates
that never break at their hyphen, the letterhead on page 1 only, whole keywords, the document's own name,
short dates in running text, and a case number of an unknown series explained."""
from __future__ import annotations

import email
import re
import subprocess
import zipfile
from email import policy
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import example, set_setting, write_yaml

UNIT = "Hälso- och sjukvårdsstyrelsen"
CASE = "RS 2023-03709"
DAY = "2024-11-28"
#: Lines that end in the hyphen of a case number or an ISO date ("RS 2023-" / "2024-11-").
BROKEN = re.compile(r"(?:\b[A-ZÅÄÖ]{1,10} \d{4}|\b\d{4}|\b\d{4}-\d{2})-$")


@pytest.fixture
def office(workspace):
    toml = workspace / "docgen.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        'enheter = ["Regionkansliet",', f'enheter = ["Regionkansliet", "{UNIT}",'), encoding="utf-8")
    from conftest import ROOT
    (workspace / "logotyp.svg").write_bytes((ROOT / "tests" / "data" / "logotyp.svg").read_bytes())
    set_setting(workspace, "organisation", "logotyp", "logotyp.svg")
    return workspace


def process(ws: Path, make_engine, name: str, data: dict):
    return make_engine(ws).process(write_yaml(ws / "inbox", name, data))


def layout_lines(pdf) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [line.rstrip() for line in out.splitlines()]


def wrapping_paragraphs() -> str:
    """Paragraphs whose case numbers and dates fall at every position of a line (one more letter each time)."""
    return "\n\n".join(f"{'x' * k} Ärendet {CASE} ska redovisas {DAY} och följas upp {DAY} i {CASE} enligt planen "
                       f"som styrgruppen fastställde {DAY} för arbetet i {CASE} med flera." for k in range(1, 36))


def test_case_numbers_and_dates_never_break_at_their_hyphen_and_copy_as_written(office, make_engine):
    data = example("uppdragshandling") | {
        "rubrik": f"Uppföljning av regionens gemensamma arbete med vårdinformation enligt {CASE} av den {DAY}",
        "enhet": UNIT}
    data["avsnitt"] = data["avsnitt"] + [{"rubrik": "Uppföljning", "text": wrapping_paragraphs()}]
    result = process(office, make_engine, "lang.yaml", data)
    assert result.ok, result.error
    lines = layout_lines(result.files["pdf"])
    wrapped = [line for line in lines if line.strip()]
    assert len(wrapped) > 100
    broken = [line for line in lines if BROKEN.search(line)]
    assert broken == [], broken[:5]
    text = subprocess.run(["pdftotext", str(result.files["pdf"]), "-"], capture_output=True, text=True, check=True).stdout
    text = re.sub(r"\s+", " ", text)  # a line may still end at the space: "RS" / "2023-03709"
    # a search or copy finds the ordinary hyphen (U+002D), not a look-alike
    assert text.count(CASE) >= 35 * 3 and text.count(DAY) >= 35 * 3 and "\u2011" not in text
    assert result.diarienummer in text
    with zipfile.ZipFile(result.files["docx"]) as z:
        body = z.read("word/document.xml").decode("utf-8")
        header = z.read("word/header1.xml").decode("utf-8")
    assert "<w:noBreakHyphen/>" in body and "<w:noBreakHyphen/>" in header  # the date and the number in the header


def test_letterhead_on_page_one_only_and_continuation_pages_carry_name_date_and_number(office, make_engine):
    data = example("beslut") | {"enhet": UNIT}
    data["sammanfattning"] = "\n\n".join(["Beslutet bygger på ett långt underlag om regionens arbete. " * 6] * 14)
    result = process(office, make_engine, "b.yaml", data)
    assert result.ok, result.error
    reader = PdfReader(result.files["pdf"])
    assert len(reader.pages) >= 2

    def images(page) -> list:
        """The images a page draws (pages may share one resource dictionary)."""
        xobjects = page["/Resources"].get("/XObject") or {}
        drawn = re.findall(r"(/[^\s/\[\]()<>]+)\s+Do\b", page.get_contents().get_data().decode("latin-1"))
        return [k for k in drawn if k in xobjects and xobjects[k].get_object().get("/Subtype") == "/Image"]

    assert images(reader.pages[0])
    for n, page in enumerate(reader.pages[1:], 2):
        assert images(page) == [], f"page {n} has the logo"
        top = page.extract_text()
        assert result.diarienummer in top and f"Datum {data['datum']}" in top and "Beslut" in top, (n, top[:200])
        assert "Region Norrskog" not in top.split(result.diarienummer)[0]  # no full letterhead
    first = reader.pages[0].extract_text()
    assert "Region Norrskog" in first and UNIT in first and "BESLUT" in first
    with zipfile.ZipFile(result.files["docx"]) as z:
        doc = z.read("word/document.xml").decode("utf-8")
    assert "<w:titlePg/>" in doc and 'w:type="first"' in doc


def test_every_table_header_cell_keeps_its_scope(office, make_engine):
    data = example("uppdragshandling")  # its Arbetsorganisation is a table
    result = process(office, make_engine, "t.yaml", data)
    assert result.ok, result.error
    reader = PdfReader(result.files["pdf"])
    found = []

    def walk(node):
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, dict):
            if node.get("/S") == "/TH":
                attrs = node.get("/A")
                attrs = [a.get_object() for a in attrs] if isinstance(attrs, list) else [attrs.get_object()] if attrs else []
                found.append(any("/Scope" in a for a in attrs))
            kids = node.get("/K")
            for k in kids if isinstance(kids, list) else [kids] if kids is not None else []:
                walk(k)
    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    assert found and all(found), found


def test_keywords_are_whole_phrases_and_the_number_as_written(office, make_engine):
    data = example("beslut") | {"enhet": UNIT, "sekretess": {"bestämmelse": "25 kap. 1 § OSL", "datum": "2026-03-10"}}
    data.pop("skickas_till", None)
    result = process(office, make_engine, "k.yaml", data)
    assert result.ok, result.error
    reader = PdfReader(result.files["pdf"])
    keywords = reader.metadata["/Keywords"].split(", ")
    assert keywords == ["Beslut", result.diarienummer, UNIT, "Sekretess 25 kap. 1 § OSL"]
    assert reader.xmp_metadata.pdf_keywords == reader.metadata["/Keywords"]


def _message_of(result, name: str):
    path = next(p for p in (Path(result.folder) / "utskick").glob("*.eml") if name in p.name)
    return email.message_from_bytes(path.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()


def test_a_via_recipient_is_told_to_distribute_in_the_document_and_the_message(office, make_engine):
    data = example("uppdragshandling")
    group = "styrgruppen för vårdens digitalisering"
    data["skickas_till"] = [
        {"syfte": "för genomförande", "mottagare": [{"namn": "Johan Ekberg", "epost": "johan.ekberg@example.se"}]},
        {"syfte": "för kännedom", "mottagare": [
            # as an officer writes it in via, and as the field says it
            {"namn": "Ulla Sörby", "titel": "Stabschef", "epost": "ulla.sorby@example.se",
             "via": f"för distribution till {group}"},
            {"namn": "Per Ek", "epost": "per.ek@example.se", "distribuerar_till": "arkivnätverket"},
            {"namn": "Arkivrådet", "via": "Lina Berg", "epost": "lina.berg@example.se"}]}]
    result = process(office, make_engine, "via.yaml", data)
    assert result.ok, result.error
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(result.files["pdf"]).pages))
    assert f"Ulla Sörby, Stabschef, ulla.sorby@example.se, för distribution till {group}" in text
    assert "Per Ek, per.ek@example.se, för distribution till arkivnätverket" in text
    assert "Arkivrådet via Lina Berg, lina.berg@example.se" in text
    assert "(via" not in text and "via för" not in text
    ulla = _message_of(result, "Ulla")
    assert "för kännedom" in ulla and f"distribuera den vidare till {group}" in ulla
    assert "distribuera den vidare till arkivnätverket" in _message_of(result, "Per Ek")
    council = _message_of(result, "Arkiv")
    assert "via Lina Berg" in council and "distribuera" not in council
    plain = _message_of(result, "Johan")
    assert "för genomförande" in plain and "distribuera" not in plain


def test_program_report_page_one_has_one_letterhead_and_one_top_heading(office, make_engine):
    result = process(office, make_engine, "p.yaml", example("lagesrapport-program"))
    assert result.ok, result.error
    reader = PdfReader(result.files["pdf"])
    first = reader.pages[0].extract_text()
    assert first.count("Region Norrskog") == 1 and first.count("Version") == 1
    assert "Program Vårdnära IT, Regionkansliet" in first
    levels = []

    def walk(node):
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, dict):
            s = str(node.get("/S", ""))
            if re.fullmatch(r"/H\d", s):
                levels.append(int(s[2]))
            kids = node.get("/K")
            for k in kids if isinstance(kids, list) else [kids] if kids is not None else []:
                walk(k)
    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    assert levels.count(1) == 1 and levels[0] == 1, levels
    with zipfile.ZipFile(result.files["docx"]) as z:
        body = z.read("word/document.xml").decode("utf-8")
    assert 'w:val="Heading1"' not in body and "Program Vårdnära IT" not in body.split('w:val="Title"')[0]


def test_lagesbild_links_are_their_titles_and_its_name_and_date_form_belong_to_the_workspace(office, make_engine):
    result = process(office, make_engine, "lb.yaml", example("lagesrapport-lagesbild"))
    assert result.ok, result.error
    text = " ".join(p.extract_text() for p in PdfReader(result.files["pdf"]).pages)
    assert "(länk)" not in text and "LÄGESBILD" in text and "2 mars 2026 klockan 14.30" in text
    annots = {a.get_object()["/A"]["/URI"]: a.get_object().get("/Contents")
              for p in PdfReader(result.files["pdf"]).pages for a in p.get("/Annots") or []}
    assert annots["https://www.example.se/nyheter/reservnummer"] == "Nyhet på webbplatsen om reservnummer"
    assert annots["https://intra.example.se/meddelanden/telefoni"] == "Meddelande till chefer i västra området"

    set_setting(office, "lagesrapport", "dokumentnamn_lagesbild", "Regional rapport")
    set_setting(office, "lagesrapport", "datumform", "kort")
    data = example("lagesrapport-lagesbild") | {"rubrik": "Regional rapport om telefonin",
                                                "skickas_till": [{"syfte": "för kännedom", "mottagare": [
                                                    {"namn": "Karin Dahl", "epost": "karin.dahl@example.se"}]}]}
    again = process(office, make_engine, "lb2.yaml", data)
    assert again.ok, again.error
    text = " ".join(p.extract_text() for p in PdfReader(again.files["pdf"]).pages)
    assert "REGIONAL RAPPORT" in text and "LÄGESBILD" not in text and "LÄGESRAPPORT" not in text
    assert "Sammanställd: 2/3 klockan 14.30" in text and "2/3: Nyhet på webbplatsen" in text
    assert "2 mars 2026" not in text and "Datum 2026-03-02" in text  # the letterhead keeps the ISO date
    assert "Regional rapport" in PdfReader(again.files["pdf"]).metadata["/Keywords"].split(", ")
    assert 'regional rapport "Regional rapport om telefonin"' in _message_of(again, "Karin")
    program = process(office, make_engine, "p.yaml", example("lagesrapport-program"))  # the other variant keeps its name
    assert program.ok and "LÄGESRAPPORT" in PdfReader(program.files["pdf"]).pages[0].extract_text()


def test_a_case_number_in_an_unknown_series_explains_externa_serier(office, make_engine):
    data = example("beslut") | {"diarienummer": "RD 2024-05699"}
    data.pop("serie", None)
    result = process(office, make_engine, "x.yaml", data)
    assert not result.ok and result.error_kind == "input"
    p = result.problems[0]
    assert p["field"] == "diarienummer"
    for text in (p["sv"] + p["fix_sv"], p["en"] + p["fix_en"]):
        assert "externa_serier" in text and "[numrering]" in text and 'externa_serier = ["RD"]' in text
    assert "diariet" in p["fix_sv"] and "records system" in p["fix_en"]
    own = example("beslut") | {"diarienummer": "RS 2024-00042"}  # docgen's own series: simply not in the diarium
    own.pop("serie", None)
    result = process(office, make_engine, "y.yaml", own)
    assert not result.ok and "externa_serier" not in result.problems[0]["sv"] + result.problems[0]["fix_sv"]

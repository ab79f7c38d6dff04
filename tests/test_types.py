"""beslut and lägesrapport (both variants) and attachments, rendered for real and read back from the PDF."""
from __future__ import annotations

import shutil

import docx
import pytest
from pypdf import PdfReader, PdfWriter

from conftest import example, example_path, outbox_files, write_yaml
from helpers import assert_in_order, fonts_embedded


def pdf_text(path) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(path).pages)


def pdf_uris(path) -> list[str]:
    """Link targets in reading order (page, then top to bottom, then left to right)."""
    out = []
    for n, page in enumerate(PdfReader(path).pages):
        for a in page.get("/Annots") or []:
            a = a.get_object()
            if a.get("/A") and "/URI" in a["/A"]:
                x0, y0, x1, y1 = (float(v) for v in a["/Rect"])
                out.append((n, -round(max(y0, y1)), min(x0, x1), a["/A"]["/URI"]))
    return [uri for *_, uri in sorted(out)]


def render(engine, workspace, name, data):
    result = engine.process(write_yaml(workspace / "inbox", name, data))
    assert result.ok, result.error
    return result


def test_beslut_example(engine, workspace):
    r = render(engine, workspace, "beslut.yaml", example("beslut"))
    text = pdf_text(r.files["pdf"])
    assert_in_order(text, [
        "BESLUT", r.diarienummer, "Projektdirektiv för digital kallelse till hälsosamtal",
        "Beslutsinstans:", "Styrgruppen för digitala tjänster i vården", "Typ av beslut:", "Projektdirektiv",
        "Styrgruppen för digitala tjänster i vården beslutar att",
        "1.", "starta projektet Digital kallelse", "2.", "utse Lina Berg", "3.", "avsätta högst 400 000 kronor",
        "Sammanfattning", "Skäl för beslutet", "Hänvisningar", "RS 2025-00318", "Föredragande:", "Oskar Lind",
        "Närvarande:", "Helena Sjö", "Hur man överklagar", "tre veckor", "Beslutet skickas till",
        "För genomförande", "Lina Berg", "För kännedom", "Helena Sjö"])
    assert fonts_embedded(PdfReader(r.files["pdf"])) == []


def test_beslut_supersedes_and_appeal_text_from_config(engine, workspace):
    toml = workspace / "docgen.toml"
    text = toml.read_text(encoding="utf-8")
    text = text[:text.index("[beslut]")] + '[beslut]\noverklagande = "Överklaga hos förvaltningsrätten i Testhamn."\n'
    toml.write_text(text, encoding="utf-8")
    from docgen.config import load_config
    from docgen.pipeline import Engine
    with Engine(load_config(workspace), pool=engine.pool) as eng:
        data = example("beslut") | {"ersätter": {"diarienummer": "RS 2025-00777", "datum": "2025-11-03"}}
        r = render(eng, workspace, "b.yaml", data)
    text = pdf_text(r.files["pdf"])
    assert "Detta beslut ersätter beslut RS 2025-00777 av den 3 november 2025." in text
    assert "Överklaga hos förvaltningsrätten i Testhamn." in text


def test_beslut_errors(engine, workspace):
    data = example("beslut") | {"beslutstyp": "projektdirektív", "beslutspunkter": []}
    result = engine.process(write_yaml(workspace / "inbox", "b.yaml", data))
    fields = {p["field"]: p for p in result.problems}
    assert "verkställighetsbeslut" in fields["beslutstyp"]["fix_sv"] and "beslutspunkter" in fields


def test_lagesrapport_program(engine, workspace):
    r = render(engine, workspace, "l.yaml", example("lagesrapport-program"))
    text = pdf_text(r.files["pdf"])
    assert_in_order(text, [
        "Program Vårdnära IT, Regionkansliet", "LÄGESRAPPORT", "Version", "1.0",
        "Lägesrapport november och december 2025",
        "Inledning", "journalverktyg", "intranätet", "Sammanfattning november och december",
        "Lägessummering", "Utbildning", "Summering november och december", "240 medarbetare",
        "Planering januari 2026", "Teknisk plattform", "Summering november och december", "labbsvar", "remisser",
        "Planering januari 2026"])
    assert pdf_uris(r.files["pdf"]) == ["https://intra.example.se/vardnara-it"]


def test_lagesrapport_period_across_years_in_words(engine, workspace):
    data = example("lagesrapport-program") | {"period": {"från": "2022-12", "till": "2023-01"}}
    text = pdf_text(render(engine, workspace, "l.yaml", data).files["pdf"])
    assert "Lägesrapport december 2022, januari 2023" in text
    assert "Summering december och januari" in text and "Planering februari" in text


def test_lagesrapport_lagesbild(engine, workspace):
    r = render(engine, workspace, "lb.yaml", example("lagesrapport-lagesbild"))
    text = pdf_text(r.files["pdf"])
    assert_in_order(text, [
        "Regional lägesbild – driftstörning i telefonin", "Sammanställd:", "2 mars 2026 klockan 14.30",
        "Övergripande läge", "Reservnummer", "Kommunikationsläge", "Regionens kommentar",
        "Kommunikationsinsatser", "2 mars 2026:", "Nyhet på webbplatsen om reservnummer",
        "2 mars 2026:", "Meddelande till chefer i västra området",
        "Samlad information", "Störningsinformation på intranätet", "Rutin för reservnummer",
        "Talesperson", "Karin Dahl, Kommunikationschef", "Lägesbilden sammanställs"])
    assert pdf_uris(r.files["pdf"]) == [
        "https://www.example.se/nyheter/reservnummer", "https://intra.example.se/meddelanden/telefoni",
        "https://intra.example.se/drift", "https://intra.example.se/rutiner/reservnummer"]
    closing = [p for p in docx.Document(r.files["docx"]).paragraphs if p.text.startswith("Lägesbilden sammanställs")][0]
    assert closing.style.name == "Avslutning" and closing.style.font.italic


def test_lagesrapport_variant_requirements(engine, workspace):
    data = example("lagesrapport-lagesbild")
    data.pop("sammanstalld")
    result = engine.process(write_yaml(workspace / "inbox", "x.yaml", data))
    assert [p["field"] for p in result.problems] == ["sammanstalld"]
    data = example("lagesrapport-program")
    data.pop("period")
    result = engine.process(write_yaml(workspace / "inbox", "y.yaml", data))
    assert [p["field"] for p in result.problems] == ["period"]


@pytest.fixture
def attachment_pdf(workspace, pool):
    """A PDF/A attachment made the way an officer would: a DOCX saved as PDF."""
    d = docx.Document()
    d.add_paragraph("Projektplanens första sida")
    d.add_page_break()
    d.add_paragraph("Projektplanens andra sida")
    src = workspace / "plan.docx"
    d.save(src)
    pool.convert(src, workspace / "inbox" / "plan.pdf")
    return workspace / "inbox" / "plan.pdf"


def test_attachments_are_appended_stamped_and_listed(engine, workspace, attachment_pdf):
    d = docx.Document()
    d.add_paragraph("Budgetens enda sida")
    d.save(workspace / "inbox" / "budget.docx")
    data = example("beslut") | {"bilagor": [{"fil": "plan.pdf", "titel": "Projektplan"}, {"fil": "budget.docx"}]}
    r = render(engine, workspace, "b.yaml", data)
    reader = PdfReader(r.files["pdf"])
    pages = [p.extract_text() for p in reader.pages]
    main_pages = len(pages) - 3
    assert_in_order("\n".join(pages[:main_pages]), ["Bilagor", "Bilaga 1. Projektplan", "Bilaga 2. budget"])
    assert "Projektplanens första sida" in pages[main_pages] and f"Bilaga 1 till {r.diarienummer}" in pages[main_pages]
    assert "Projektplanens andra sida" in pages[main_pages + 1] and f"Bilaga 1 till {r.diarienummer}" in pages[main_pages + 1]
    assert "Budgetens enda sida" in pages[-1] and f"Bilaga 2 till {r.diarienummer}" in pages[-1]
    assert reader.xmp_metadata.pdfaid_part == "2" and reader.metadata.subject == r.diarienummer
    assert fonts_embedded(reader) == [] and r.warnings == []


@pytest.mark.parametrize("fil, words", [
    ("/etc/passwd", "utanför inkorgen"),
    ("../utanfor.pdf", "utanför inkorgen"),
    ("finns-inte.pdf", "finns inte"),
    ("bild.png", "varken PDF eller DOCX"),
    ("lank.pdf", "länk"),
])
def test_bad_attachment_references(engine, workspace, fil, words, attachment_pdf):
    (workspace / "inbox" / "bild.png").write_bytes(b"\x89PNG")
    (workspace / "inbox" / "lank.pdf").symlink_to("/etc/hostname")
    data = example("beslut") | {"bilagor": [{"fil": fil}]}
    result = engine.process(write_yaml(workspace / "inbox", "b.yaml", data))
    assert not result.ok and result.problems[0]["field"] == "bilagor[1].fil"
    assert words in result.problems[0]["sv"] and fil in result.problems[0]["sv"]
    assert outbox_files(workspace) == []


def test_encrypted_and_broken_attachments(engine, workspace, attachment_pdf):
    writer = PdfWriter(clone_from=attachment_pdf)
    writer.encrypt("hemligt")
    with open(workspace / "inbox" / "krypterad.pdf", "wb") as f:
        writer.write(f)
    (workspace / "inbox" / "trasig.pdf").write_bytes(b"%PDF-1.4\nnot really a pdf")
    for fil, words in (("krypterad.pdf", "krypterad"), ("trasig.pdf", "trasig")):
        data = example("beslut") | {"bilagor": [{"fil": fil}], "rubrik": f"Beslut med {fil}"}
        result = engine.process(write_yaml(workspace / "inbox", f"{fil}.yaml", data))
        assert not result.ok and result.error_kind == "input"
        assert result.problems[0]["field"] == "bilagor[1].fil" and words in result.problems[0]["sv"]
    assert outbox_files(workspace) == []
    # refused before numbering: no number was taken, so none had to be voided
    assert engine.store.query("select status from handling") == []


@pytest.mark.parametrize("name", ["uppdragshandling", "beslut", "lagesrapport-program", "lagesrapport-lagesbild"])
def test_every_example_renders_and_new_prints_it(engine, workspace, name):
    r = render(engine, workspace, f"{name}.yaml", example(name))
    assert PdfReader(r.files["pdf"]).xmp_metadata.pdfaid_part == "2"
    type_name, _, variant = name.partition("-")
    assert engine.plugins.get(type_name).example_text(variant or None) == example_path(name).read_text(encoding="utf-8")

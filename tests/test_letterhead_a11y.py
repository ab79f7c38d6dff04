"""Documents an office can issue as they are: letterhead from configuration, organisation-specific labels,
the digital-signature line, and an accessible PDF (language, title, headings, lists, tables, links)."""
from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from conftest import ROOT, example, set_setting, write_yaml
from docgen.cli import cli
from docgen.config import load_config
from docgen.pipeline import Engine

TABLE = ("| Funktion | Ansvar |\n|---|---|\n| Styrgrupp | Beslutar om **inriktning** |\n"
         "| Projektledare | Leder arbetet |\n")


@pytest.fixture
def office_ws(workspace):
    shutil.copy(ROOT / "tests" / "data" / "logotyp.svg", workspace / "logotyp.svg")
    for key, value in (("logotyp", "logotyp.svg"), ("postadress", "Regionens hus, 461 80 Exempelby"),
                       ("telefon", "010-000 00 00"), ("webbadress", "www.norrskog.example")):
        set_setting(workspace, "organisation", key, value)
    toml = workspace / "docgen.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + '\n[organisation.enhetsuppgifter."Regionstyrelsens kansli"]\n'
                    'telefon = "010-111 11 11"\n', encoding="utf-8")
    set_setting(workspace, "lagesrapport", "rubrik_kommunikation", "Kommunikativa åtgärder, urval")
    set_setting(workspace, "lagesrapport", "rubrik_talesperson", "Talesperson Norrskog")
    return workspace


@pytest.fixture
def produced(office_ws, pool):
    """One document of each type, made with the letterhead workspace."""
    inbox = office_ws / "inbox"
    u = example("uppdragshandling")
    u["avsnitt"].append({"rubrik": "Arbetsorganisation", "text": TABLE})
    lb = example("lagesrapport-lagesbild") | {"avsnitt_efter": [{"rubrik": "Nästa lägesbild", "text": "Kommer på fredag."}]}
    inputs = {"uppdrag": u, "beslut": example("beslut") | {"enhet": "Regionstyrelsens kansli"},
              "program": example("lagesrapport-program"), "lagesbild": lb}
    out = {}
    with Engine(load_config(office_ws), pool=pool) as eng:
        for name, data in inputs.items():
            result = eng.process(write_yaml(inbox, f"{name}.yaml", data))
            assert result.ok, result.error
            out[name] = result
    return out


def _tree(reader: PdfReader) -> list:
    """(depth, structure type, element) in document order."""
    out = []

    def walk(node, depth):
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, dict):
            if "/S" in node:
                out.append((depth, str(node["/S"]), node))
            kids = node.get("/K")
            for k in (kids if isinstance(kids, list) else [kids] if kids is not None else []):
                walk(k, depth + 1)
        elif isinstance(node, list):
            for k in node:
                walk(k, depth)
    walk(reader.trailer["/Root"]["/StructTreeRoot"], 0)
    return out


def test_pdf_is_tagged_swedish_titled_and_declares_pdfa_and_pdfua(produced):
    for name, result in produced.items():
        reader = PdfReader(result.files["pdf"])
        root = reader.trailer["/Root"]
        assert root["/Lang"] == "sv-SE", name
        assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"]) and bool(root["/MarkInfo"]["/Marked"])
        xmp = reader.xmp_metadata
        assert xmp.pdfaid_part == "2" and xmp.pdfaid_conformance == "B"
        raw = xmp.stream.get_data().decode("utf-8")
        assert "<pdfuaid:part>1</pdfuaid:part>" in raw
        assert result.rubrik in "".join(xmp.dc_title.values())
        levels = [int(s[2]) for _, s, _ in _tree(reader) if len(s) == 3 and s.startswith("/H") and s[2].isdigit()]
        assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:])), (name, levels)


def test_lists_tables_and_links_are_tagged(produced):
    tree = _tree(PdfReader(produced["uppdrag"].files["pdf"]))
    types = [s for _, s, _ in tree]
    assert "/L" in types and "/LI" in types
    table = next(i for i, (_, s, _) in enumerate(tree) if s == "/Table")
    rows = [e for d, s, e in tree[table:] if s == "/TR"]
    cells = [[str(c.get_object()["/S"]) for c in r["/K"]] for r in rows[:3]]
    assert cells == [["/TH", "/TH"], ["/TD", "/TD"], ["/TD", "/TD"]]
    reader = PdfReader(produced["lagesbild"].files["pdf"])
    links = [e for _, s, e in _tree(reader) if s == "/Link"]
    annots = [a.get_object() for p in reader.pages for a in (p.get("/Annots") or []) if a.get_object()["/Subtype"] == "/Link"]
    assert len(links) == len(annots) >= 2
    assert all(a.get("/Contents") for a in annots)  # every link has its text


def test_letterhead_logo_is_decorative_in_docx_and_pdf_and_contact_footer(produced):
    """The logo stands beside the organisation's name in the first page's header: decorative in the DOCX
    (Word's mark, no description), a pagination artifact in the PDF (no Figure), the same decision in both."""
    for name in ("uppdrag", "beslut"):
        with zipfile.ZipFile(produced[name].files["docx"]) as z:
            headers = {n: z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("word/header")}
            assert any(n.startswith("word/media/") for n in z.namelist())
        with_logo = [x for x in headers.values() if "<wp:docPr" in x]
        assert len(with_logo) == 1 and 'descr=""' in with_logo[0] and "decorative" in with_logo[0]
        assert re.search(r'<adec:decorative [^>]*val="1"', with_logo[0])
        reader = PdfReader(produced[name].files["pdf"])
        assert "/Figure" not in [s for _, s, _ in _tree(reader)]
        content = reader.pages[0].get_contents().get_data().decode("latin-1")
        drawn = [m.start() for m in re.finditer(r"/Im\w* Do", content)]
        assert drawn and all(content.rfind("/Artifact", 0, at) > content.rfind("EMC", 0, at) for at in drawn)
    text = "\n".join(p.extract_text() for p in PdfReader(produced["uppdrag"].files["pdf"]).pages)
    for words in ("Regionens hus, 461 80 Exempelby", "Telefon 010-000 00 00", "www.norrskog.example",
                  "Organisationsnummer 232100-0999"):
        assert words in text
    unit = "\n".join(p.extract_text() for p in PdfReader(produced["beslut"].files["pdf"]).pages)
    assert "Telefon 010-111 11 11" in unit and "010-000 00 00" not in unit  # the unit's own telephone
    with zipfile.ZipFile(produced["beslut"].files["docx"]) as z:
        assert any('name="Logotyp Region Norrskog, Regionstyrelsens kansli"' in z.read(n).decode("utf-8")
                   for n in z.namelist() if n.startswith("word/header"))


def test_digital_signature_line_chosen_by_type_and_input(office_ws, produced, pool):
    line = "Beslutet har fattats digitalt och saknar därför namnunderskrift."
    beslut = "\n".join(p.extract_text() for p in PdfReader(produced["beslut"].files["pdf"]).pages)
    uppdrag = "\n".join(p.extract_text() for p in PdfReader(produced["uppdrag"].files["pdf"]).pages)
    assert line in beslut.replace("\n", " ") and "digitalt" not in uppdrag  # the type's default
    with Engine(load_config(office_ws), pool=pool) as eng:
        paper = eng.process(write_yaml(office_ws / "inbox", "papper.yaml",
                                       example("beslut") | {"rubrik": "Beslut på papper", "digital_underskrift": False}))
        assert paper.ok
        assert "digitalt" not in "\n".join(p.extract_text() for p in PdfReader(paper.files["pdf"]).pages)


def test_fixed_headings_belong_to_the_organisation_and_sections_follow_them(produced):
    text = "\n".join(p.extract_text() for p in PdfReader(produced["lagesbild"].files["pdf"]).pages)
    assert "Kommunikativa åtgärder, urval" in text and "Kommunikationsinsatser" not in text
    assert text.index("Talesperson Norrskog") < text.index("Nästa lägesbild") < text.index("Kommer på fredag")


@pytest.mark.parametrize("extra, words", [
    ('[organisation]\nlogotyp = "finns-inte.png"\n', "logotyp"),
    ('[organisation.enhetsuppgifter."Okänd enhet"]\ntelefon = "1"\n', "Okänd enhet"),
])
def test_letterhead_configuration_errors(workspace, extra, words):
    toml = workspace / "docgen.toml"
    text = toml.read_text(encoding="utf-8")
    if extra.startswith("[organisation]\n"):
        set_setting(workspace, "organisation", "logotyp", "finns-inte.png")
    else:
        toml.write_text(text + "\n" + extra, encoding="utf-8")
    r = CliRunner().invoke(cli, ["-w", str(workspace), "types"])
    assert r.exit_code == 2 and words in r.output and "Traceback" not in r.output

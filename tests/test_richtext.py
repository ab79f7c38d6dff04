"""Free text (the Markdown subset of docgen.richtext) through the real Renderer and a real docxtpl template.

Every text is rendered into a DOCX and read back from its XML: it must come out exactly as written,
except the subset's own markup. Tables become Word tables with a repeating header row, and tagged
tables with header cells in the PDF.
"""
from __future__ import annotations

import io
import re
import threading
import time
import types
import zipfile
from pathlib import Path

import docx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxml import etree

from docgen import hookimpl, richtext
from docgen.config import load_config
from docgen.doctype import DocumentType
from docgen.plugins import Plugins
from docgen.steps.render import Renderer

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
START, END = "TEXTSTART", "TEXTSLUT"


# -- a document type of our own, with a template made here -----------------------------------------

def build_template(path: Path) -> None:
    d = docx.Document()
    d.sections[0].header.paragraphs[0].text = "Huvud: {{ rubrik }}"
    d.add_paragraph("{{ rubrik }}")
    d.add_paragraph(START)
    d.add_paragraph("{{p text|markdown }}")
    d.add_paragraph(END)
    d.save(path)


class Fritext(DocumentType):
    name = "fritexttest"
    title = "Fritexttest"
    template = "fritext.docx"
    template_dirs: list = []


@pytest.fixture(scope="module")
def renderer(tmp_path_factory):
    ws = tmp_path_factory.mktemp("ws")
    # a workspace of its own: the defaults, no plugin sections (only our type is loaded)
    (ws / "docgen.toml").write_text('[organisation]\nnamn = "Testregionen"\nenheter = ["Kansliet"]\n', encoding="utf-8")
    tdir = ws / "egna_mallar"
    tdir.mkdir()
    build_template(tdir / Fritext.template)
    cls = type("Fritext", (Fritext,), {"template_dirs": [tdir]})
    plugin = types.SimpleNamespace(docgen_document_types=hookimpl(lambda: [cls]))
    config = load_config(ws)
    plugins = Plugins(config, extra=[plugin], entry_points=False)
    return Renderer(config, plugins)


def make_doc(renderer, text: str, rubrik: str = "Rubrik"):
    data = {"dokumenttyp": Fritext.name, "rubrik": rubrik, "datum": "2026-02-09", "status": "utkast", "text": text}
    return types.SimpleNamespace(type=renderer.plugins.get(Fritext.name), data=data, is_draft=True, source="test")


def render(renderer, text: str, rubrik: str = "Rubrik") -> bytes:
    """The DOCX bytes of one draft document."""
    doc = make_doc(renderer, text, rubrik)
    return renderer.render(doc, []).finish().data


# -- reading the DOCX back ---------------------------------------------------------------------------

def part(blob: bytes, name: str):
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        return etree.fromstring(z.read(name))


def para_text(p) -> str:
    """A paragraph's text from its XML: w:t as is, w:tab a tab, w:br a line break."""
    out = []
    for el in p.iter(f"{W}t", f"{W}tab", f"{W}br"):
        out.append(el.text or "" if el.tag == f"{W}t" else "\t" if el.tag == f"{W}tab" else "\n")
    return "".join(out)


def body_blocks(blob: bytes) -> list:
    """The top-level body elements the free text became (between the START and END paragraphs)."""
    body = part(blob, "word/document.xml").find(f"{W}body")
    blocks = list(body)
    texts = [para_text(b) if b.tag == f"{W}p" else None for b in blocks]
    return blocks[texts.index(START) + 1:texts.index(END)]


def free_text(blob: bytes) -> list[str]:
    return [para_text(b) for b in body_blocks(blob) if b.tag == f"{W}p"]


def title_texts(blob: bytes) -> tuple[str, str]:
    """The rubrik as printed in the body (first paragraph) and in the header."""
    body = part(blob, "word/document.xml").find(f"{W}body")
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        headers = [n for n in z.namelist() if re.fullmatch(r"word/header\d*\.xml", n)]
    texts = ["".join(para_text(p) for p in part(blob, n).iter(f"{W}p")) for n in headers]
    return para_text(body.find(f"{W}p")), next(t for t in texts if t.startswith("Huvud: "))


# -- 1. text comes out as written ---------------------------------------------------------------------

TRICKY = [
    # (free text, the paragraphs it must become)
    ("{_{ x }_}", ["{_{ x }_}"]),
    ("{{ mall }} {% if x %} {# kommentar #} {_% y %_} {%- z -%}", None),
    ("{{", None),
    ("}_} och {_{", None),
    ("snake_case_namn, fil_namn_v2.docx och __init__.py", None),
    ("_kursiv?_ __fet?__ ___båda?___ a_b_c", None),
    ("&amp; &lt; &#123; &nbsp; & < > \" '", None),
    ("<b>fet</b> <br> <script>alert(1)</script> <!-- x -->", None),
    ("# Rubrik", None),
    ("## Rubrik ##", None),
    ("`kod` och ``mer kod``", None),
    ("```\nkod\n```", ["``` kod ```"]),
    ("    indragen rad", ["indragen rad"]),
    ("> citat", None),
    ("---", None),
    ("***", None),
    ("~~struken~~", None),
    ("a\\\\b", ["a\\b"]),
    ("C:\\Users\\x och \\d+", None),
    ("\\*inte kursiv\\* och \\_ och \\{", ["*inte kursiv* och _ och {"]),
    ("5 * 3 * 2 = 30", None),
    ("![bild](https://example.se/a.png)", None),
    ("[webb](www.example.se) [rel](/sida) [js](javascript:alert(1)) [tom]()", None),
    ("<eva.strand@example.se> <ftp://example.se/x> <www.example.se>", None),
    ("👍🏽 👨‍👩‍👧 ✅ 𝄞", None),
    ("مرحبا بالعالم — שלום עולם", None),
    ("a\tb\t\tc", None),
    ("a  \nb", ["a b"]),
    ("rad ett\\\nrad två", ["rad ett\nrad två"]),
    ("första\n\nandra", ["första", "andra"]),
    ("%}  }}  #}", None),
]


@pytest.mark.parametrize("text,expected", TRICKY, ids=[f"{i:02d}" for i in range(len(TRICKY))])
def test_tricky_text_comes_out_as_written(renderer, text, expected):
    assert free_text(render(renderer, text)) == (expected if expected is not None else [text])


@pytest.mark.parametrize("rubrik", [
    "{_{ x }_}", "{{ mall }}", "{_% x %_} {% y %}", "{# z #}", "Avtal & villkor <utkast> \"citat\" 'enkel'",
    "snake_case __init__", "&amp;", "flik\there", "👍🏽 שלום",
])
def test_ordinary_values_come_out_as_written(renderer, rubrik):
    """A plain {{ rubrik }} (body and header) goes through docxtpl's clean-up too."""
    assert title_texts(render(renderer, "x", rubrik=rubrik)) == (rubrik, "Huvud: " + rubrik)


def test_subset_markup_becomes_word_formatting(renderer):
    text = ("**fet** *kursiv* ***båda*** [regionens webb](https://www.example.se/sida) "
            "<https://example.se/a_b_c> [post](mailto:eva@example.se)\n\n"
            "- ett\n  - under\n- två\n\n3. tre\n4. fyra")
    blob = render(renderer, text)
    blocks = body_blocks(blob)
    first = blocks[0]
    runs = {para_text(r): r for r in first.iter(f"{W}r")}
    assert runs["fet"].find(f"{W}rPr/{W}b") is not None and runs["fet"].find(f"{W}rPr/{W}i") is None
    assert runs["kursiv"].find(f"{W}rPr/{W}i") is not None and runs["kursiv"].find(f"{W}rPr/{W}b") is None
    assert runs["båda"].find(f"{W}rPr/{W}i") is not None and runs["båda"].find(f"{W}rPr/{W}b") is not None
    assert para_text(first) == "fet kursiv båda regionens webb https://example.se/a_b_c post"
    rels = {r.get("Id"): r.get("Target") for r in part(blob, "word/_rels/document.xml.rels")}
    links = [(para_text(h), rels[h.get(R_ID)]) for h in first.iter(f"{W}hyperlink")]
    assert links == [("regionens webb", "https://www.example.se/sida"),
                     ("https://example.se/a_b_c", "https://example.se/a_b_c"),
                     ("post", "mailto:eva@example.se")]
    levels = {para_text(b): b.find(f"{W}pPr/{W}numPr/{W}ilvl") for b in blocks[1:]}
    assert {t: int(e.get(f"{W}val")) for t, e in levels.items()} == {"ett": 0, "under": 1, "två": 0, "tre": 0, "fyra": 0}


# text that has none of the subset's markup characters, on one line
PLAIN = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"),
                              blacklist_characters="\\*[<\ufffe\uffff"), min_size=1, max_size=40)
LIST_MARKER = re.compile(r"([-+]|\d{1,9}[.)])(\s|$)")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=PLAIN)
def test_text_without_markup_characters_is_unchanged(renderer, text):
    assume(text == text.strip() == richtext.mdTrim(text) and not LIST_MARKER.match(text))
    assert free_text(render(renderer, text)) == [text]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rubrik=st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\ufffe\uffff"),
                      min_size=1, max_size=40))
def test_any_ordinary_value_is_unchanged(renderer, rubrik):
    assert title_texts(render(renderer, "x", rubrik=rubrik))[0] == rubrik


# -- 2. threads ---------------------------------------------------------------------------------------

def test_each_thread_has_its_own_parsers():
    seen = []

    def grab():
        seen.append((richtext.markdown(), richtext.markdown(), richtext.parse_xml(f'<w:p xmlns:w="{W[1:-1]}"/>')))

    threads = [threading.Thread(target=grab) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(a is b for a, b, _ in seen), "one parser per thread, reused"
    assert len({id(a) for a, _, _ in seen}) == 3
    assert all(type(p).__name__ == "CT_P" for _, _, p in seen), "python-docx's element classes"


def test_fresh_parsers_in_many_threads_at_once():
    """What failed as "none of the block rules matched": a MarkdownIt compiles its rule chains on first use,
    and a thread parsing meanwhile with the same instance saw an empty chain. (With one instance shared by
    8 threads and a tiny switch interval this failed in about 1 of 20 rounds.) Now every thread has its own."""
    import sys

    errors: list[str] = []
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _ in range(60):
            barrier = threading.Barrier(8)

            def work():
                barrier.wait()
                try:
                    richtext.check("- a\n- **b**\n\n| x | y |\n|---|---|\n| 1 | 2 |")
                    inline = [t.content for t in richtext.markdown().parse("- a\n- **b**") if t.type == "inline"]
                    assert inline == ["a", "**b**"]
                except Exception as exc:  # noqa: BLE001
                    errors.append(f"{type(exc).__name__}: {exc}")

            threads = [threading.Thread(target=work) for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
    finally:
        sys.setswitchinterval(old)
    assert errors == [], f"{len(errors)} parses failed: {sorted(set(errors))[:4]}"


def test_eight_threads_render_forty_documents_each(renderer):
    """Every render checked: its own text, formatting, list numbering, link and table, nothing from another."""
    errors: list[str] = []
    barrier = threading.Barrier(8)

    def work(n: int) -> None:
        barrier.wait()  # all threads start together, each with a fresh Markdown parser
        for i in range(40):
            tag = f"T{n}-{i}"
            text = (f"Stycke {tag} med **fet** och [länk](https://example.se/{tag})\n\n"
                    f"- punkt {tag}\n  - under {tag}\n\n"
                    f"| Namn | Roll |\n|---|:-:|\n| {tag} | *ordf* |\n\n7. sju {tag}")
            try:
                blob = render(renderer, text, rubrik=f"Rubrik {tag}")
                assert title_texts(blob) == (f"Rubrik {tag}", f"Huvud: Rubrik {tag}")
                blocks = body_blocks(blob)
                assert [para_text(b) for b in blocks if b.tag == f"{W}p" and para_text(b)] == [
                    f"Stycke {tag} med fet och länk", f"punkt {tag}", f"under {tag}", f"sju {tag}"]
                tbl = next(b for b in blocks if b.tag == f"{W}tbl")
                assert [[para_text(c) for c in tr.iter(f"{W}tc")] for tr in tbl.iter(f"{W}tr")] == [
                    ["Namn", "Roll"], [tag, "ordf"]]
                rels = {r.get("Id"): r.get("Target") for r in part(blob, "word/_rels/document.xml.rels")}
                assert [rels[h.get(R_ID)] for h in blocks[0].iter(f"{W}hyperlink")] == [f"https://example.se/{tag}"]
                num = part(blob, "word/numbering.xml")
                starts = {n.get(f"{W}numId"): n.find(f"{W}lvlOverride/{W}startOverride").get(f"{W}val")
                          for n in num.iter(f"{W}num") if n.find(f"{W}lvlOverride/{W}startOverride") is not None}
                sju = next(b for b in blocks if para_text(b) == f"sju {tag}")
                assert starts[sju.find(f"{W}pPr/{W}numPr/{W}numId").get(f"{W}val")] == "7"
                docx.Document(io.BytesIO(blob))  # python-docx opens it
            except Exception as exc:  # noqa: BLE001 - collected and reported below
                errors.append(f"{tag}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [], f"{len(errors)} of 320 renders failed, e.g. {errors[:3]}"
    assert time.perf_counter() - t0 < 300


# -- 3. tables ----------------------------------------------------------------------------------------

TABLE = """Gruppen består av:

| Roll | Namn | Enhet |
|:-----|:----:|------:|
| **Sammankallande** | Johan Ekberg | Arkiv |
| Ledamot | Sara Holm | [Digitalisering](https://example.se/dig) |
| Sekreterare, snake_case | *vakant* | a \\| b |

Efter tabellen."""


def test_pipe_table_becomes_word_table(renderer):
    blob = render(renderer, TABLE)
    blocks = body_blocks(blob)
    assert [b.tag.split("}")[1] for b in blocks] == ["p", "tbl", "p", "p"]
    assert [para_text(b) for b in blocks if b.tag == f"{W}p"] == ["Gruppen består av:", "", "Efter tabellen."]
    tbl = blocks[1]
    tblw = tbl.find(f"{W}tblPr/{W}tblW")
    assert (tblw.get(f"{W}type"), tblw.get(f"{W}w")) == ("pct", "5000")
    assert tbl.find(f"{W}tblPr/{W}tblBorders/{W}insideH").get(f"{W}val") == "single"
    grid = [int(g.get(f"{W}w")) for g in tbl.iter(f"{W}gridCol")]
    section = docx.Document(io.BytesIO(blob)).sections[-1]
    assert sum(grid) == int((section.page_width - section.left_margin - section.right_margin) / 635)
    assert grid[0] > grid[2] > grid[1], "the grid follows the longest text of each column (23, 14+link, 12)"
    rows = tbl.findall(f"{W}tr")
    assert [r.find(f"{W}trPr/{W}tblHeader") is not None for r in rows] == [True, False, False, False]
    cells = [[para_text(c) for c in r.findall(f"{W}tc")] for r in rows]
    assert cells == [["Roll", "Namn", "Enhet"], ["Sammankallande", "Johan Ekberg", "Arkiv"],
                     ["Ledamot", "Sara Holm", "Digitalisering"], ["Sekreterare, snake_case", "vakant", "a | b"]]
    aligns = [[(c.find(f"{W}p/{W}pPr/{W}jc").get(f"{W}val") if c.find(f"{W}p/{W}pPr/{W}jc") is not None else None)
               for c in r.findall(f"{W}tc")] for r in rows]
    assert all(a == ["left", "center", "right"] for a in aligns)
    header_runs = [r for c in rows[0].findall(f"{W}tc") for r in c.iter(f"{W}r")]
    assert all(r.find(f"{W}rPr/{W}b") is not None for r in header_runs), "header text is bold"
    bold = next(r for r in rows[1].iter(f"{W}r") if para_text(r) == "Sammankallande")
    assert bold.find(f"{W}rPr/{W}b") is not None
    italic = next(r for r in rows[3].iter(f"{W}r") if para_text(r) == "vakant")
    assert italic.find(f"{W}rPr/{W}i") is not None
    rels = {r.get("Id"): r.get("Target") for r in part(blob, "word/_rels/document.xml.rels")}
    assert [rels[h.get(R_ID)] for h in rows[2].iter(f"{W}hyperlink")] == ["https://example.se/dig"]
    # python-docx reads it as a table too
    t = docx.Document(io.BytesIO(blob)).tables[0]
    assert [c.text for c in t.rows[0].cells] == ["Roll", "Namn", "Enhet"]


def test_table_in_list_item_and_two_tables_in_a_row(renderer):
    text = "- punkt\n  | a | b |\n  |---|---|\n  | 1 | 2 |\n- nästa\n\n| x |\n|---|\n| y |\n\n| z |\n|---|\n| w |"
    blocks = body_blocks(render(renderer, text))
    kinds = [b.tag.split("}")[1] + (":" + para_text(b) if b.tag == f"{W}p" else "") for b in blocks]
    assert kinds == ["p:punkt", "tbl", "p:", "p:nästa", "tbl", "p:", "tbl", "p:"]


@pytest.mark.parametrize("text,expected", [
    ("| a | b |\n|---|---|\n| 1 | 2 |", []),
    ("| a | b |\n|---|---|\n| 1 | 2 | 3 |\n| 4 |\n| 5 | 6 |", [(3, "3 celler", "2 celler"), (4, "1 cell ", "2 celler")]),
    ("Text\n\n- punkt\n  | a | b |\n  |---|---|\n  | 1 |", [(6, "1 cell ", "2 celler")]),
    ("| a | b |\n|---|\n| 1 | 2 |", [(2, "2 celler", "1 cell,")]),
    ("a | b | c\n--- | ---\n", [(2, "3 celler", "2 celler")]),
    ("| a | b |\n|---|---|\n| x \\| y | z |", []),
    ("Inget att se här: a | b\n\n---\n\n- lista\n- x | y", []),
    ("rad\r\n| a | b |\r\n|---|---|\r\n| 1 |", [(4, "1 cell ", "2 celler")]),
])
def test_check_reports_ragged_tables_with_their_line(text, expected):
    problems = richtext.check(text)
    assert [p.line for p in problems] == [line for line, _, _ in expected]
    for p, (_, row, header) in zip(problems, expected):
        assert row in p.sv and header in p.sv
        assert p.en and p.fix_sv and p.fix_en and "|" in p.fix_sv


def test_table_is_a_tagged_pdf_table_with_header_cells(renderer, pool, tmp_path):
    from pypdf import PdfReader

    text = "Före.\n\n" + "\n".join(
        ["| Roll | Namn | Enhet |", "|---|:-:|--:|"] + [f"| Roll {i} | Person {i} | Enhet {i} |" for i in range(60)]
    ) + "\n\nEfter."
    src = tmp_path / "tabell.docx"
    src.write_bytes(render(renderer, text))
    pdf = tmp_path / "tabell.pdf"
    pool.convert(src, pdf)
    reader = PdfReader(pdf)
    assert len(reader.pages) >= 2, "the table runs over a page break"

    def kids(node):
        k = node.get("/K")
        if k is None:
            return []
        k = k.get_object()
        items = k if isinstance(k, list) else [k]
        out = []
        for item in items:
            item = item.get_object() if hasattr(item, "get_object") else item
            if isinstance(item, dict) and "/S" in item:
                out.append(item)
        return out

    def walk(node):
        yield node
        for child in kids(node):
            yield from walk(child)

    root = reader.trailer["/Root"]["/StructTreeRoot"].get_object()
    role_map = {str(k): str(v) for k, v in (root.get("/RoleMap") or {}).items()}

    def role(el):
        s = str(el.get("/S"))
        return role_map.get(s, s)

    tables = [el for el in walk(root) if role(el) == "/Table"]
    assert tables, "a /Table structure element"
    rows = [r for t in tables for r in kids(t) if role(r) == "/TR"]
    cells = [[role(c) for c in kids(r)] for r in rows]
    headers = [c for c in cells if c == ["/TH"] * 3]
    assert cells[0] == ["/TH"] * 3, f"the first row's cells are /TH, not {cells[0]}"
    assert len([c for c in cells if c == ["/TD"] * 3]) == 60, "every body row has /TD cells"
    # LibreOffice 7.4 makes one /Table of the whole table; the header row repeated on the next page is
    # drawn there but not repeated in the structure tree: one /TH row per table.
    assert len(headers) == len(tables) == 1
    assert all(c in (["/TH"] * 3, ["/TD"] * 3) for c in cells)

"""The number filled into a rendered DOCX (render → stamp, issue 26): wherever a template puts
``{{ diarienummer }}`` (the body, every kind of page header and footer, a field's code, a document property)
the number stands and no placeholder is left; the DOCX is a sound zip with the parts python-docx itself would
write; a second document of the same template, whose unchanged parts are written from what the first one
compressed, is as sound and carries its own number.

Real python-docx, docxtpl and the Renderer, with a template made here."""
from __future__ import annotations

import io
import types
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml
from lxml import etree

from docgen import hookimpl
from docgen.config import load_config
from docgen.doctype import DocumentType
from docgen.plugins import Plugins
from docgen.rendering.docx import NUMBER_PLACEHOLDER
from docgen.steps.render import Renderer

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = "{%s}" % W_NS
TAG = "{{ diarienummer }}"
#: Where the template below puts the number: the zip member and a word around it.
PLACES = {
    "body": ("word/document.xml", "Kropp"),
    "default header": (None, "Huvud"),
    "first-page header": (None, "Förstasidehuvud"),
    "even-page header": (None, "Jämnsidehuvud"),
    "default footer": (None, "Fot"),
    "first-page footer": (None, "Förstasidefot"),
    "even-page footer": (None, "Jämnsidefot"),
}


def build_template(path: Path) -> None:
    d = docx.Document()
    section = d.sections[0]
    section.different_first_page_header_footer = True
    d.settings.odd_and_even_pages_header_footer = True
    for hf, word in ((section.header, "Huvud"), (section.first_page_header, "Förstasidehuvud"),
                     (section.even_page_header, "Jämnsidehuvud"), (section.footer, "Fot"),
                     (section.first_page_footer, "Förstasidefot"), (section.even_page_footer, "Jämnsidefot")):
        hf.paragraphs[0].text = f"{word} {TAG} slut"
    d.add_paragraph("{{ rubrik }}")
    d.add_paragraph(f"Kropp {TAG} slut")
    # a field whose code holds the number (as a page header's field or a QUOTE field would)
    field = d.add_paragraph()._p
    field.append(parse_xml(
        f'<w:r xmlns:w="{W_NS}"><w:fldChar w:fldCharType="begin"/></w:r>'))
    field.append(parse_xml(
        f'<w:r xmlns:w="{W_NS}"><w:instrText xml:space="preserve"> QUOTE "{TAG}" </w:instrText></w:r>'))
    field.append(parse_xml(f'<w:r xmlns:w="{W_NS}"><w:fldChar w:fldCharType="end"/></w:r>'))
    d.core_properties.identifier = TAG
    d.save(path)


class Stamptest(DocumentType):
    name = "stamptest"
    title = "Stämpeltest"
    template = "stamp.docx"
    template_dirs: list = []


@pytest.fixture(scope="module")
def renderer(tmp_path_factory):
    ws = tmp_path_factory.mktemp("ws")
    (ws / "docgen.toml").write_text('[organisation]\nnamn = "Testregionen"\nenheter = ["Kansliet"]\n', encoding="utf-8")
    tdir = ws / "egna_mallar"
    tdir.mkdir()
    build_template(tdir / Stamptest.template)
    cls = type("Stamptest", (Stamptest,), {"template_dirs": [tdir]})
    plugin = types.SimpleNamespace(docgen_document_types=hookimpl(lambda: [cls]))
    config = load_config(ws)
    return Renderer(config, Plugins(config, extra=[plugin], entry_points=False))


def stamped(renderer, number: str, rubrik: str = "Rubrik") -> bytes:
    data = {"dokumenttyp": Stamptest.name, "rubrik": rubrik, "datum": "2026-02-09"}
    doc = types.SimpleNamespace(type=renderer.plugins.get(Stamptest.name), data=data, is_draft=False, source="test")
    return renderer.render(doc, []).with_number(number).data


def texts(blob: bytes, member: str) -> list[str]:
    """The paragraphs' text of a part (w:t as is, a non-breaking hyphen as "-")."""
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        root = etree.fromstring(z.read(member))
    return ["".join(el.text or "" if el.tag == f"{W}t" else "-"
                    for el in p.iter(f"{W}t", f"{W}noBreakHyphen")) for p in root.iter(f"{W}p")]


def all_text(blob: bytes) -> dict[str, str]:
    """Every text part's paragraphs, by member name."""
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        names = [n for n in z.namelist() if n.startswith("word/") and n.endswith(".xml")]
    return {n: "\n".join(texts(blob, n)) for n in names}


@pytest.mark.parametrize("number", ["RS 2026-00042", "KS 2026-7 & <Ö>"])
def test_number_stands_wherever_the_template_puts_it(renderer, number):
    blob = stamped(renderer, number)
    found = all_text(blob)
    for place, (member, word) in PLACES.items():
        lines = [line for name, text in found.items() if member in (None, name) for line in text.splitlines()]
        assert f"{word} {number} slut" in lines, f"the number is not in the {place}: {found}"
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        assert z.testzip() is None
        document = etree.fromstring(z.read("word/document.xml"))
        codes = "".join(t.text or "" for t in document.iter(f"{W}instrText"))
        assert codes == f' QUOTE "{number}" ', "the field's code does not carry the number"
        core = etree.fromstring(z.read("docProps/core.xml"))
        identifier = core.find("{http://purl.org/dc/elements/1.1/}identifier")
        assert identifier is not None and identifier.text == number
        for name in z.namelist():
            assert NUMBER_PLACEHOLDER.encode() not in z.read(name), f"a placeholder is left in {name}"


def test_number_keeps_its_hyphen_together(renderer):
    """The number's hyphen is Word's non-breaking one in every header and in the body."""
    blob = stamped(renderer, "RS 2026-00042")
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        headers = [n for n in z.namelist() if n.startswith(("word/header", "word/footer"))]
        assert len(headers) == 6
        for name in headers + ["word/document.xml"]:
            root = etree.fromstring(z.read(name))
            assert root.find(f".//{W}noBreakHyphen") is not None, name


def test_documents_of_one_template_share_its_parts_not_their_numbers(renderer):
    """The second and third documents (their unchanged parts written as the first compressed them) are whole,
    carry their own number and title, and hold exactly the parts python-docx writes for the same document."""
    first = stamped(renderer, "RS 2026-00101", "Alfa")
    for number, title in (("RS 2026-00202", "Beta"), ("RS 2026-00303", "Gamma")):
        blob = stamped(renderer, number, title)
        with zipfile.ZipFile(io.BytesIO(blob)) as z, zipfile.ZipFile(io.BytesIO(first)) as z1:
            assert z.testzip() is None
            assert z.namelist() == z1.namelist()
            text = "\n".join(all_text(blob).values())
            assert number in text and title in text
            assert "RS 2026-00101" not in text and "Alfa" not in text, text
            same = [name for name in z.namelist() if z.read(name) == z1.read(name)]
            assert "word/styles.xml" in same and "word/document.xml" not in same


def test_saved_parts_are_those_python_docx_writes(renderer):
    """The DOCX docgen saves holds, member for member and byte for byte, what python-docx's own save of the same
    rendered document holds, with the number in the place of the placeholder."""
    data = {"dokumenttyp": Stamptest.name, "rubrik": "Rubrik", "datum": "2026-02-09"}
    doc = types.SimpleNamespace(type=renderer.plugins.get(Stamptest.name), data=data, is_draft=False, source="test")
    rendered = renderer.render(doc, [])
    tpl, placeholder = rendered._tpl, rendered._placeholder
    ours = rendered.with_number("RS 2026-00042").data
    theirs = io.BytesIO()
    tpl.save(theirs)
    with zipfile.ZipFile(io.BytesIO(ours)) as a, zipfile.ZipFile(theirs) as b:
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            expected = b.read(name).replace(placeholder.encode(), b"RS 2026-00042")
            assert a.read(name) == expected, name


def test_two_threads_share_a_template_not_their_documents(renderer):
    """The engine's two threads render documents of one template at once (its prepared package and compressed
    parts are shared): every document is whole and carries its own number and title only."""
    from concurrent.futures import ThreadPoolExecutor

    jobs = [(f"RS 2026-{n:05d}", f"Rubrik nummer {n}") for n in range(1, 21)]
    with ThreadPoolExecutor(2) as pool:
        blobs = list(pool.map(lambda job: stamped(renderer, *job), jobs))
    for (number, title), blob in zip(jobs, blobs):
        with zipfile.ZipFile(io.BytesIO(blob)) as z:
            assert z.testzip() is None
        found = all_text(blob)
        text = "\n".join(found.values())
        assert f"Huvud {number} slut" in found["word/header1.xml"].splitlines() and f"\n{title}\n" in f"\n{text}\n"
        others = [n for n, _ in jobs if n != number and n in text] + [t for _, t in jobs if t != title and f"\n{t}\n" in f"\n{text}\n"]
        assert not others, others

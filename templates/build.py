"""Builds the DOCX templates in this folder with python-docx: ``python templates/build.py``.

The templates are committed; run this after changing it and look at the rendered PDFs. Each
template is a docxtpl template: Jinja tags in the text, ``{%p ... %}`` for paragraph-level control
and ``{{p ... }}`` for Markdown blocks (the ``markdown`` filter).

Common context (given by docgen for every type): organisation, enhet, dokumenttitel, datum,
diarienummer, utkast, rubrik, skickas_till, skickas_till_rubrik, sekretess, bilagor.
"""
from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt, RGBColor

HERE = Path(__file__).resolve().parent
FONT = "Arial"  # LibreOffice substitutes the metric-compatible Liberation Sans

WATERMARK = (
    '<w:r %s><w:pict><v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800" '
    'path="m@7,l@8,m@5,21600l@6,21600e"><v:path textpathok="t" o:connecttype="custom"/>'
    '<v:textpath on="t" fitshape="t"/><o:lock v:ext="edit" text="t" shapetype="t"/></v:shapetype>'
    '<v:shape id="PowerPlusWaterMarkObject1" o:spid="_x0000_s2049" type="#_x0000_t136" '
    'style="position:absolute;margin-left:0;margin-top:0;width:440pt;height:110pt;rotation:315;'
    "z-index:-251654144;mso-position-horizontal:center;mso-position-horizontal-relative:margin;"
    'mso-position-vertical:center;mso-position-vertical-relative:margin" o:allowincell="f" '
    'fillcolor="#c0c0c0" stroked="f"><v:fill opacity=".5"/>'
    '<v:textpath style="font-family:&quot;Arial&quot;;font-size:1pt" string="UTKAST"/></v:shape></w:pict></w:r>'
) % (nsdecls("w") + ' xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"')


def _field(paragraph, instr: str) -> None:
    """A real Word field (PAGE, NUMPAGES) that LibreOffice updates when it lays out the pages."""
    for xml in (
        '<w:r %s><w:fldChar w:fldCharType="begin"/></w:r>' % nsdecls("w"),
        '<w:r %s><w:instrText xml:space="preserve"> %s </w:instrText></w:r>' % (nsdecls("w"), instr),
        '<w:r %s><w:fldChar w:fldCharType="separate"/></w:r>' % nsdecls("w"),
        '<w:r %s><w:t>1</w:t></w:r>' % nsdecls("w"),
        '<w:r %s><w:fldChar w:fldCharType="end"/></w:r>' % nsdecls("w"),
    ):
        paragraph._p.append(parse_xml(xml))


def _bottom_border(paragraph) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    ppr.append(parse_xml(
        '<w:pBdr %s><w:bottom w:val="single" w:sz="6" w:space="4" w:color="808080"/></w:pBdr>' % nsdecls("w")))


def _style(doc, name, size, bold=False, before=0, after=6, italic=False, keep_next=False):
    st = doc.styles[name]
    st.font.name = FONT
    st.font.size = Pt(size)
    st.font.bold = bold
    st.font.italic = italic
    st.font.color.rgb = RGBColor(0, 0, 0)
    rpr = st.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
        if fonts.get(qn(attr)) is not None:
            del fonts.attrib[qn(attr)]
    pf = st.paragraph_format
    pf.space_before = Pt(before)
    pf.space_after = Pt(after)
    pf.keep_with_next = keep_next
    return st


def base_document():
    """A4 page, the house styles, header (organisation, unit, type, date, number) and page footer."""
    doc = Document()
    sec = doc.sections[0]
    sec.page_height, sec.page_width = Cm(29.7), Cm(21.0)
    sec.left_margin = sec.right_margin = Cm(2.5)
    sec.top_margin, sec.bottom_margin = Cm(2.0), Cm(2.0)
    sec.header_distance, sec.footer_distance = Cm(1.0), Cm(1.0)

    _style(doc, "Normal", 11, after=6)
    doc.styles["Normal"].paragraph_format.line_spacing = 1.1
    title = _style(doc, "Title", 18, bold=True, before=6, after=12, keep_next=True)
    # python-docx's Title has a coloured bottom border; a plain title reads better here.
    for bdr in title.element.findall(".//" + qn("w:pBdr")):
        bdr.getparent().remove(bdr)
    _style(doc, "Heading 1", 14, bold=True, before=14, after=6, keep_next=True)
    _style(doc, "Heading 2", 12, bold=True, before=12, after=4, keep_next=True)
    _style(doc, "Heading 3", 11, bold=True, before=10, after=3, keep_next=True)
    from docx.enum.style import WD_STYLE_TYPE
    closing = doc.styles.add_style("Avslutning", WD_STYLE_TYPE.PARAGRAPH)
    closing.base_style = doc.styles["Normal"]
    closing.font.italic = True
    closing.font.size = Pt(10)
    closing.paragraph_format.space_before = Pt(12)
    for name in ("List Paragraph", "List Bullet", "List Number", "Header", "Footer", "Subtitle"):
        _style(doc, name, 11 if name.startswith("List") else 9, after=3 if name.startswith("List") else 0)

    props = doc.core_properties
    props.author = props.title = props.subject = props.keywords = props.comments = ""
    props.last_modified_by = "docgen"
    props.language = "sv-SE"
    return doc


def header_and_footer(doc, extra_header_lines: list[tuple[str, str]] = ()) -> None:
    sec = doc.sections[0]
    header = sec.header
    table = header.add_table(rows=1, cols=2, width=Cm(16))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = table.rows[0].cells
    left.width, right.width = Cm(9.5), Cm(6.5)
    p = left.paragraphs[0]
    r = p.add_run("{{ organisation }}")
    r.bold = True
    r.font.size = Pt(11)
    p = left.add_paragraph()
    p.add_run("{{ enhet }}").font.size = Pt(10)
    p = right.paragraphs[0]
    r = p.add_run("{{ dokumenttitel|upper }}")
    r.bold = True
    r.font.size = Pt(11)
    for label, value in [("Datum", "{{ datum|datum }}"), ("Diarienummer", "{{ diarienummer }}")] + list(extra_header_lines):
        p = right.add_paragraph()
        lr = p.add_run(label + " ")
        lr.font.size = Pt(9)
        lr.font.color.rgb = RGBColor(0x40, 0x40, 0x40)
        p.add_run(value).font.size = Pt(10)
    first = header.paragraphs[0]  # python-docx's empty header paragraph: move the table above it
    first._p.addprevious(table._tbl)
    _bottom_border(first)
    first.paragraph_format.space_after = Pt(12)
    header.add_paragraph("{%p if utkast %}")
    wm = header.add_paragraph()
    wm._p.append(parse_xml(WATERMARK))
    header.add_paragraph("{%p endif %}")

    footer = sec.footer
    fp = footer.paragraphs[0]
    fp.alignment = WD_ALIGN_PARAGRAPH.CENTER
    fp.add_run("Sida ")
    _field(fp, "PAGE")
    fp.add_run(" (")
    _field(fp, "NUMPAGES")
    fp.add_run(")")


def labelled(doc, label: str, value: str) -> None:
    p = doc.add_paragraph()
    p.add_run(label + " ").bold = True
    p.add_run(value)


def confidentiality(doc) -> None:
    """The secrecy marking (first page) when the input marks the document confidential."""
    doc.add_paragraph("{%p if sekretess %}")
    p = doc.add_paragraph()
    r = p.add_run("{{ sekretess.markering }}")
    r.bold = True
    r.font.size = Pt(12)
    p.paragraph_format.space_after = Pt(12)
    doc.add_paragraph("{%p endif %}")


def sections_loop(doc, var: str = "avsnitt", heading: str = "Heading 2") -> None:
    doc.add_paragraph("{%p for a in " + var + " %}")
    doc.add_paragraph("{{ a.rubrik }}", style=heading)
    doc.add_paragraph("{{p a.text|markdown }}")
    doc.add_paragraph("{%p endfor %}")


def signatures(doc, var: str = "underskrifter") -> None:
    doc.add_paragraph("{%p for u in " + var + " %}")
    p = doc.add_paragraph()
    p.paragraph_format.space_before = Pt(18)
    p.paragraph_format.keep_with_next = True
    p.add_run("{{ u.namn }}")
    p = doc.add_paragraph("{{ u.titel }}")
    doc.add_paragraph("{%p endfor %}")


def attachments(doc) -> None:
    doc.add_paragraph("{%p if bilagor %}")
    doc.add_paragraph("Bilagor", style="Heading 2")
    doc.add_paragraph("{%p for b in bilagor %}")
    doc.add_paragraph("Bilaga {{ b.nummer }}. {{ b.titel }}")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p endif %}")


def distribution(doc) -> None:
    doc.add_paragraph("{%p if skickas_till %}")
    doc.add_paragraph("{{ skickas_till_rubrik }}", style="Heading 2")
    doc.add_paragraph("{%p for g in skickas_till %}")
    p = doc.add_paragraph()
    p.add_run("{{ g.rubrik }}").bold = True
    p.paragraph_format.keep_with_next = True
    p.paragraph_format.space_before = Pt(6)
    doc.add_paragraph("{%p for m in g.mottagare %}")
    doc.add_paragraph("{{ m.rad }}", style="List Bullet")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p endif %}")


def uppdragshandling():
    doc = base_document()
    header_and_footer(doc)
    confidentiality(doc)
    doc.add_paragraph("{{ rubrik }}", style="Title")
    for label, var in (("Uppdragsgivare:", "uppdragsgivare"), ("Uppdragstagare:", "uppdragstagare")):
        doc.add_paragraph("{%p for p in " + var + " %}")
        p = doc.add_paragraph()
        pf = p.paragraph_format
        pf.space_after = Pt(2)
        pf.left_indent, pf.first_line_indent = Cm(3.6), Cm(-3.6)
        pf.tab_stops.add_tab_stop(Cm(3.6))
        p.add_run("{% if loop.first %}" + label + "{% endif %}").bold = True
        p.add_run("\t{{ p.namn }}{% if p.titel %}, {{ p.titel }}{% endif %}")
        doc.add_paragraph("{%p endfor %}")
    sections_loop(doc)
    doc.add_paragraph("{%p if beslutsdatum %}")
    p = doc.add_paragraph()
    p.paragraph_format.space_before = Pt(18)
    p.add_run("Datum för beslut: ").bold = True
    p.add_run("{{ beslutsdatum|datum }}")
    doc.add_paragraph("{%p endif %}")
    signatures(doc)
    attachments(doc)
    distribution(doc)
    return doc


def md_block(doc, var: str) -> None:
    doc.add_paragraph("{{p " + var + "|markdown }}")


def optional_section(doc, var: str, heading: str) -> None:
    doc.add_paragraph("{%p if " + var + " %}")
    doc.add_paragraph(heading, style="Heading 2")
    md_block(doc, var)
    doc.add_paragraph("{%p endif %}")


def beslut():
    doc = base_document()
    header_and_footer(doc)
    confidentiality(doc)
    doc.add_paragraph("{{ rubrik }}", style="Title")
    labelled(doc, "Beslutsinstans:", "{{ beslutsinstans }}")
    labelled(doc, "Typ av beslut:", "{{ beslutstyp_text }}")
    doc.add_paragraph("{%p if ersatter %}")
    p = doc.add_paragraph()
    p.paragraph_format.space_before = Pt(6)
    r = p.add_run("Detta beslut ersätter beslut {{ ersatter.diarienummer }} av den {{ ersatter.datum|langt_datum }}.")
    r.italic = True
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("Beslut", style="Heading 2")
    doc.add_paragraph("{{ beslutsinstans }} beslutar att")
    md_block(doc, "beslutspunkter_md")
    optional_section(doc, "sammanfattning", "Sammanfattning")
    optional_section(doc, "skal", "Skäl för beslutet")
    doc.add_paragraph("{%p if hanvisningar %}")
    doc.add_paragraph("Hänvisningar", style="Heading 2")
    doc.add_paragraph("{%p for h in hanvisningar %}")
    doc.add_paragraph("{{ h.diarienummer }}{% if h.beskrivning %} – {{ h.beskrivning }}{% endif %}", style="List Bullet")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p if foredragande %}")
    p = doc.add_paragraph()
    p.paragraph_format.space_before = Pt(12)
    p.add_run("Föredragande: ").bold = True
    p.add_run("{{ foredragande.namn }}{% if foredragande.titel %}, {{ foredragande.titel }}{% endif %}")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p if narvarande %}")
    p = doc.add_paragraph()
    p.add_run("Närvarande:").bold = True
    p.paragraph_format.keep_with_next = True
    doc.add_paragraph("{%p for n in narvarande %}")
    doc.add_paragraph("{{ n.namn }}{% if n.titel %}, {{ n.titel }}{% endif %}", style="List Bullet")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p endif %}")
    signatures(doc)
    optional_section(doc, "overklagande_text", "Hur man överklagar")
    attachments(doc)
    distribution(doc)
    return doc


def lagesrapport_program():
    doc = base_document()
    header_and_footer(doc, [("Version", "{{ version }}")])
    confidentiality(doc)
    for text, size, bold in (("{{ organisation }}", 11, False), ("{{ program }}{% if enhet %}, {{ enhet }}{% endif %}", 11, False),
                             ("Version {{ version }}", 10, False), ("{{ datum|datum }}", 10, False)):
        p = doc.add_paragraph()
        p.paragraph_format.space_after = Pt(0)
        r = p.add_run(text)
        r.font.size = Pt(size)
        r.bold = bold
    doc.add_paragraph("Lägesrapport {{ period_text }} {{ program }}", style="Title").paragraph_format.space_before = Pt(18)
    doc.add_paragraph("Inledning", style="Heading 1")
    md_block(doc, "inledning")
    doc.add_paragraph("{%p if sammanfattning %}")
    doc.add_paragraph("Sammanfattning {{ period_kort }}", style="Heading 1")
    md_block(doc, "sammanfattning")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("Lägessummering", style="Heading 1")
    doc.add_paragraph("{%p for a in arbetsomraden %}")
    doc.add_paragraph("{{ a.namn }}", style="Heading 2")
    doc.add_paragraph("Summering {{ period_kort }}", style="Heading 3")
    md_block(doc, "a.summering")
    doc.add_paragraph("{%p if a.planering %}")
    doc.add_paragraph("Planering {{ nasta_period }}", style="Heading 3")
    md_block(doc, "a.planering")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p endfor %}")
    attachments(doc)
    distribution(doc)
    return doc


def lagesrapport_lagesbild():
    doc = base_document()
    header_and_footer(doc)
    confidentiality(doc)
    doc.add_paragraph("{{ rubrik }}", style="Title")
    p = doc.add_paragraph()
    p.add_run("Sammanställd: ").bold = True
    p.add_run("{{ sammanstalld_text }}")
    doc.add_paragraph("{%p for a in avsnitt %}")
    doc.add_paragraph("{{ a.rubrik }}", style="Heading 2")
    md_block(doc, "a.text")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p if kommunikation_md %}")
    doc.add_paragraph("Kommunikationsinsatser", style="Heading 2")
    md_block(doc, "kommunikation_md")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p if lankar_md %}")
    doc.add_paragraph("Samlad information", style="Heading 2")
    md_block(doc, "lankar_md")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p if talesperson %}")
    doc.add_paragraph("Talesperson", style="Heading 2")
    doc.add_paragraph("{{ talesperson.namn }}{% if talesperson.titel %}, {{ talesperson.titel }}{% endif %}"
                      "{% if talesperson.epost %}, {{ talesperson.epost }}{% endif %}")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p if avslutning %}")
    doc.add_paragraph("{{p avslutning|markdown('Avslutning') }}")
    doc.add_paragraph("{%p endif %}")
    attachments(doc)
    distribution(doc)
    return doc


TEMPLATES = {
    "uppdragshandling.docx": uppdragshandling,
    "beslut.docx": beslut,
    "lagesrapport-program.docx": lagesrapport_program,
    "lagesrapport-lagesbild.docx": lagesrapport_lagesbild,
}


def main(argv: list[str]) -> int:
    names = argv or list(TEMPLATES)
    for name in names:
        path = HERE / name
        TEMPLATES[name]().save(path)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The DOCX after templating: the number filled in where the placeholder stands (``RenderedDocx``), the core
properties and keywords, the styles a tagged PDF needs, and the letterhead's logo (decorative)."""
from __future__ import annotations

import io
import threading
from functools import lru_cache
from pathlib import Path

from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx import Document
from docx.opc.constants import CONTENT_TYPE as CT
from docxtpl import InlineImage

from .. import nobreak
from . import package

DRAFT_NUMBER = "Tilldelas vid registrering"
#: Between the DOCX's keywords (a phrase may hold spaces and commas; docgen.office splits at this).
KEYWORD_SEPARATOR = "; "
LANGUAGE = "sv-SE"
LOGO_HEIGHT_CM = 1.6
#: Word's "decorative" mark of a picture (Office 2019+; LibreOffice reads it too).
DECORATIVE = ('<a:extLst xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
              '<a:ext uri="{C183D7F6-B498-43B3-948B-1728B52AA6E4}">'
              '<adec:decorative xmlns:adec="http://schemas.microsoft.com/office/drawing/2017/decorative" val="1"/>'
              '</a:ext></a:extLst>')
#: What a document is rendered with before its number is taken; replaced in the DOCX once it is.
#: Templates must print ``{{ diarienummer }}`` as it is (no filter that changes its letters).
NUMBER_PLACEHOLDER = "QXDNRPLATSHALLAREQX"  # + a random part per render: an input cannot contain it


class RenderedDocx:
    """A rendered document, kept in memory until its number is known: ``with_number`` fills the number
    into the XML and saves the DOCX once (a draft is saved with ``finish``)."""

    def __init__(self, tpl, template: str, template_sha256: str, keywords: list, data: bytes | None = None,
                 placeholder: str = NUMBER_PLACEHOLDER):
        self._tpl, self.template, self.template_sha256 = tpl, template, template_sha256
        self._placeholder = placeholder
        self._keywords = keywords
        self.data = data

    def with_number(self, diarienummer: str) -> "RenderedDocx":
        """The DOCX bytes with the placeholder replaced by the diarienummer it was given: in the text of the
        parts' trees first (so that its hyphen is kept together), then wherever else the saved XML has it
        (fields, attributes, footnotes, properties: ``package.members``)."""
        for part in self._tpl.docx.part.package.iter_parts():
            element = None if package.untouched(part) else getattr(part, "_element", None)
            if element is None:
                continue
            for t in element.iter(qn("w:t")):
                if t.text and self._placeholder in t.text:
                    t.text = t.text.replace(self._placeholder, diarienummer)
        return self._save(diarienummer, diarienummer)

    def finish(self) -> "RenderedDocx":
        """A draft's DOCX bytes (no number)."""
        return self._save(DRAFT_NUMBER, None)

    def _save(self, subject: str, number_keyword: str | None) -> "RenderedDocx":
        for part in self._tpl.docx.part.package.iter_parts():
            if part.content_type == CT.WML_STYLES and not package.untouched(part):
                accessible_styles(self._tpl.docx)  # rendering added a style (richtext's Hyperlink): Swedish too
            element = None if package.untouched(part) else getattr(part, "_element", None)
            if element is not None and str(part.partname).startswith(("/word/document", "/word/header", "/word/footer")):
                nobreak.keep_together(element, [number_keyword] if number_keyword else [])
        props = self._tpl.docx.core_properties
        props.subject = subject
        kw = list(self._keywords)
        kw.insert(1, number_keyword)
        # whole phrases, as written; the converter hands them to the PDF one by one (docgen.office)
        keywords = KEYWORD_SEPARATOR.join(k for k in kw if k)
        props.keywords = keywords if len(keywords) <= 255 else keywords[:254] + "…"  # the property's limit
        data = package.save(self._tpl.docx.part.package, self.template_sha256,
                            self._placeholder if number_keyword else None, number_keyword)
        return RenderedDocx(None, self.template, self.template_sha256, self._keywords, data)


_prepared: dict[str, package.PackageReader] = {}
_prepared_lock = threading.Lock()


def prepared(blob: bytes, sha256: str) -> package.PackageReader:
    """The template with what every document of it needs done once (``accessible_styles``), read once
    (``package.reader``) and kept by checksum."""
    done = _prepared.get(sha256)
    if done is None:
        document = Document(io.BytesIO(blob))
        accessible_styles(document)
        out = io.BytesIO()
        document.save(out)
        done = package.reader(out.getvalue())
        with _prepared_lock:
            if len(_prepared) >= 64:
                _prepared.clear()
            _prepared[sha256] = done
    return done


def accessible_styles(document) -> None:
    """What the tagged PDF needs from a template's styles: Swedish as the language of every style
    (the PDF's /Lang, and how a screen reader speaks), and the Title style as the first heading
    level, so the title is the H1 the section headings (Heading 1, 2, ...) follow in order."""
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is None:
        defaults = OxmlElement("w:docDefaults")
        styles.insert(0, defaults)
    for holder in [defaults] + styles.findall(qn("w:style")):
        rpr_parent = holder.find(qn("w:rPrDefault")) if holder is defaults else holder
        if holder is defaults and rpr_parent is None:
            rpr_parent = OxmlElement("w:rPrDefault")
            defaults.insert(0, rpr_parent)
        rpr = rpr_parent.find(qn("w:rPr"))
        if rpr is None:
            if holder is not defaults:
                continue  # a style without run properties inherits the default
            rpr = OxmlElement("w:rPr")
            rpr_parent.append(rpr)
        lang = rpr.find(qn("w:lang"))
        if lang is None:
            lang = OxmlElement("w:lang")
            rpr.append(lang)
        lang.set(qn("w:val"), LANGUAGE)
        lang.set(qn("w:eastAsia"), LANGUAGE)
        lang.set(qn("w:bidi"), LANGUAGE)
    for style in styles.findall(qn("w:style")):
        if style.get(qn("w:styleId")) == "Title":
            ppr = style.find(qn("w:pPr"))
            if ppr is None:
                ppr = OxmlElement("w:pPr")
                name = style.find(qn("w:name"))
                (name.addnext if name is not None else style.append)(ppr)
            if ppr.find(qn("w:outlineLvl")) is None:
                level = OxmlElement("w:outlineLvl")
                level.set(qn("w:val"), "0")
                ppr.append(level)


class Logo(InlineImage):
    """The letterhead's logo, marked decorative: the organisation's name stands as text beside it, and the
    letterhead is a page header, which the tagged PDF (PDF/UA) carries as a pagination artifact. Word's
    decorative mark and an empty description say the same in the DOCX (no alternative text to read twice)."""

    def __init__(self, tpl, image_descriptor, width=None, height=None, name: str = ""):
        super().__init__(tpl, image_descriptor, width, height)
        self.name = name

    def _insert_image(self):
        inline = self.tpl.current_rendering_part.new_pic_inline(self.image_descriptor, self.width, self.height)
        for el in inline.xpath(".//wp:docPr") + inline.xpath(".//pic:cNvPr"):
            el.set("name", self.name)
            el.set("descr", "")
        for doc_pr in inline.xpath(".//wp:docPr"):
            doc_pr.append(parse_xml(DECORATIVE))
        return ('</w:t></w:r><w:r><w:drawing>%s</w:drawing></w:r><w:r><w:t xml:space="preserve">' % inline.xml)


@lru_cache(maxsize=16)
def logo_image(path: Path, mtime_ns: int) -> bytes:
    """The logo's image as Word and LibreOffice place it (a bitmap): an SVG becomes a PNG 600 px high (print
    quality at 1.6 cm), with cairosvg, imported only then; read again when the file changes (``mtime_ns``)."""
    data = path.read_bytes()
    if path.suffix.lower() == ".svg":
        import cairosvg

        data = cairosvg.svg2png(bytestring=data, output_height=600)
    return data

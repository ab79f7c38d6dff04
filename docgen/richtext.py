"""Free text in inputs: a small Markdown subset turned into real Word paragraphs, lists, links and tables.

The subset, exactly:

- **Paragraphs**, separated by a blank line. A single line break inside a paragraph is a space.
- **Hard line break**: a backslash at the end of a line. (Trailing spaces are not a break.)
- **Lists**: ``-``, ``*`` or ``+`` and a space for bullets; ``1.`` or ``1)`` for numbered lists, which
  start at their first number. Nested by indenting the lines to the item's text (two spaces under
  ``- ``, three under ``1. ``).
- **Emphasis**: ``**bold**`` and ``*italic*``, asterisks only. ``_x_`` and ``__x__`` stay as written
  (snake_case names, file names).
- **Links**: ``[text](https://…)``, ``[text](http://…)``, ``[text](mailto:…)``, and ``<https://…>`` /
  ``<http://…>`` (the address is the text). A link to anything else (``[x](www.…)``, a relative
  path, ``javascript:``, an e-mail address in angle brackets) stays as written.
- **Backslash escapes**: a backslash before ASCII punctuation gives that character
  (``\\*`` gives ``*``, ``\\\\`` gives ``\\``); before anything else the backslash stays.
- **Tables** (GitHub pipe tables): a header row, a delimiter row (``---``; ``:---``, ``:---:`` and
  ``---:`` align the column left, centred, right) and body rows, each with the header's number of
  cells (``\\|`` for a bar inside a cell). Cells take the inline subset. A table becomes a Word table
  whose header row repeats on every page; a ragged row is an error that :func:`check` reports.

Everything else comes out exactly as written: headings (``# x``), code (backticks; an indented line is
an ordinary line), HTML (``<b>``), entity references (``&amp;``), blockquotes (``> x``), horizontal
rules (``---``), strikethrough, images, and template syntax (``{{ }}``, ``{% %}``, ``{#``, ``{_{``).
As in any Markdown, the whitespace at the start and end of a line is not kept; a tab inside a line is
a tab.

Thread safety: a Markdown parser and an XML parser per thread (:mod:`docgen.mdparse`); a
:class:`RichTextWriter` belongs to one document being rendered, and all its state is that document's.
Tables and :func:`check` are in :mod:`docgen.richtable`; both modules' public names are importable from here.
"""
from __future__ import annotations

import re

from markdown_it.common.utils import mdTrim  # noqa: F401 - importable from here (the tests use it)
from markupsafe import Markup
from markupsafe import escape as _markup_escape

from .mdparse import markdown, parse_xml
from .richtable import TextProblem, check, table_xml  # noqa: F401 - TextProblem and check are used from here

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

BULLET_ABSTRACT_ID = "9001"
DECIMAL_ABSTRACT_ID = "9002"
_BULLETS = ["•", "–", "▪"]
_DECIMAL_FORMATS = [("decimal", "%1."), ("lowerLetter", "%2)"), ("lowerRoman", "%3.")]
#: Text width of an A4 page with 2 cm margins, in twentieths of a point, if the template's section says nothing.
_DEFAULT_TEXT_WIDTH = 9638


# -- text and XML -------------------------------------------------------------------------------

def _xml_text(text: str) -> str:
    """Text for an XML text node or attribute, safe from docxtpl's post-processing.

    docxtpl turns ``{_{``, ``}_}``, ``{_%`` and ``%_}`` into ``{{``, ``}}``, ``{%``, ``%}`` in the
    rendered XML (that is how a template prints a literal ``{{``). Braces written as character
    references never match; the XML parser turns them back into braces.
    """
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
            .replace("{", "&#123;").replace("}", "&#125;"))


def xml_value(value) -> Markup:
    """Jinja ``finalize`` of the template environment: a printed value as XML text.

    Escapes like autoescaping does, and writes braces as character references so that a value
    holding ``{_{`` comes out as written (see :func:`_xml_text`). Markup (``WordXml``, docxtpl's
    RichText, a plugin's markup) is XML already; its braces are only inside text or attribute
    values, where a character reference means the same.
    """
    text = str(value.__html__()) if hasattr(value, "__html__") else str(_markup_escape(value))
    return Markup(text.replace("{", "&#123;").replace("}", "&#125;"))


class WordXml(str):
    """Raw WordprocessingML for a ``{{p ...}}`` tag; Jinja's autoescape leaves it alone."""

    def __html__(self) -> str:
        return str(self)


# -- numbering ----------------------------------------------------------------------------------

def _abstract_num(abstract_id: str, bullet: bool) -> str:
    levels = []
    for lvl in range(9):
        indent = 360 * (lvl + 1)
        if bullet:
            fmt, text = "bullet", _BULLETS[lvl % 3]
        else:
            fmt, pattern = _DECIMAL_FORMATS[lvl % 3]
            text = re.sub(r"%[123]", f"%{lvl + 1}", pattern)
        levels.append(
            f'<w:lvl w:ilvl="{lvl}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
            f'<w:lvlText w:val="{_xml_text(text)}"/><w:lvlJc w:val="left"/>'
            f'<w:pPr><w:ind w:left="{indent}" w:hanging="360"/></w:pPr></w:lvl>'
        )
    name = "docgen-punktlista" if bullet else "docgen-numrerad"
    return (
        f'<w:abstractNum xmlns:w="{W_NS}" w:abstractNumId="{abstract_id}">'
        f'<w:multiLevelType w:val="hybridMultilevel"/><w:name w:val="{name}"/>{"".join(levels)}</w:abstractNum>'
    )


# -- the writer ---------------------------------------------------------------------------------

class RichTextWriter:
    """Turns Markdown into WordprocessingML for one DocxTemplate being rendered.

    One writer per document rendering (never shared between documents or threads): it owns that
    document's list numbering (bullets share one numbering instance, each numbered list gets its
    own so that it starts at its own first number), its hyperlink style and its text width.
    """

    def __init__(self, tpl):
        self.tpl = tpl
        self._numbering = None
        self._bullet_num: str | None = None
        self._link_style_ok = False
        self._text_width: int | None = None

    # -- numbering ---------------------------------------------------------------------------
    def _numbering_el(self):
        if self._numbering is None:
            el = self.tpl.get_docx().part.numbering_part.element
            ids = {a.get(f"{{{W_NS}}}abstractNumId") for a in el.findall(f"{{{W_NS}}}abstractNum")}
            first_num = el.find(f"{{{W_NS}}}num")
            for aid, bullet in ((BULLET_ABSTRACT_ID, True), (DECIMAL_ABSTRACT_ID, False)):
                if aid not in ids:
                    node = parse_xml(_abstract_num(aid, bullet))
                    if first_num is not None:
                        first_num.addprevious(node)
                    else:
                        el.append(node)
            self._numbering = el
        return self._numbering

    def _new_num(self, abstract_id: str, start: int = 1) -> str:
        el = self._numbering_el()
        used = [int(n.get(f"{{{W_NS}}}numId")) for n in el.findall(f"{{{W_NS}}}num")]
        num_id = str(max(used + [0]) + 1)
        el.append(parse_xml(
            f'<w:num xmlns:w="{W_NS}" w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/>'
            f'<w:lvlOverride w:ilvl="0"><w:startOverride w:val="{start}"/></w:lvlOverride></w:num>'
        ))
        return num_id

    def _bullet(self) -> str:
        if self._bullet_num is None:
            self._bullet_num = self._new_num(BULLET_ABSTRACT_ID)
        return self._bullet_num

    def _ensure_hyperlink_style(self) -> None:
        """Links need a defined ``Hyperlink`` character style, or LibreOffice drops them from the PDF (tdf#146575)."""
        if self._link_style_ok:
            return
        styles = self.tpl.get_docx().styles.element
        if not any(s.get(f"{{{W_NS}}}styleId") == "Hyperlink" for s in styles.findall(f"{{{W_NS}}}style")):
            styles.append(parse_xml(
                f'<w:style xmlns:w="{W_NS}" w:type="character" w:styleId="Hyperlink"><w:name w:val="Hyperlink"/>'
                '<w:basedOn w:val="DefaultParagraphFont"/><w:uiPriority w:val="99"/><w:unhideWhenUsed/>'
                '<w:rPr><w:color w:val="0563C1"/><w:u w:val="single"/></w:rPr></w:style>'))
        self._link_style_ok = True

    def _width(self) -> int:
        """The text width of the document's last section, in twentieths of a point."""
        if self._text_width is None:
            width = _DEFAULT_TEXT_WIDTH
            try:
                sec = self.tpl.get_docx().sections[-1]
                if sec.page_width and sec.left_margin is not None and sec.right_margin is not None:
                    width = int((sec.page_width - sec.left_margin - sec.right_margin) / 635) or width
            except (IndexError, AttributeError, TypeError):
                pass
            self._text_width = max(width, 1440)
        return self._text_width

    # -- inline ------------------------------------------------------------------------------
    def _runs(self, children, bold_base: bool = False) -> str:
        out: list[str] = []
        bold = italic = 0
        link: str | None = None
        link_runs: list[str] = []

        def run(text: str, br: bool = False) -> str:
            props = ""
            if link is not None:
                props += '<w:rStyle w:val="Hyperlink"/>'
            if bold or bold_base:
                props += "<w:b/><w:bCs/>"
            if italic:
                props += "<w:i/><w:iCs/>"
            rpr = f"<w:rPr>{props}</w:rPr>" if props else ""
            body = "<w:br/>" if br else f'<w:t xml:space="preserve">{_xml_text(text)}</w:t>'
            return f"<w:r>{rpr}{body}</w:r>"

        def emit(x: str) -> None:
            (link_runs if link is not None else out).append(x)

        for tok in children or []:
            t = tok.type
            if t in ("text", "text_special"):
                if tok.content:
                    emit(run(tok.content))
            elif t == "softbreak":
                emit(run(" "))
            elif t == "hardbreak":
                emit(run("", br=True))
            elif t == "strong_open":
                bold += 1
            elif t == "strong_close":
                bold -= 1
            elif t == "em_open":
                italic += 1
            elif t == "em_close":
                italic -= 1
            elif t == "link_open":
                # the link rules only make links to allowed targets (the rest stays literal text)
                link = tok.attrGet("href") or ""
                link_runs = []
            elif t == "link_close":
                if link is not None:
                    self._ensure_hyperlink_style()
                    rid = self.tpl.build_url_id(link)
                    out.append(f'<w:hyperlink r:id="{rid}" w:history="1">{"".join(link_runs)}</w:hyperlink>')
                link = None
            elif tok.content:  # anything else: its literal text
                emit(run(tok.content))
        return "".join(out)

    # -- blocks ------------------------------------------------------------------------------
    def paragraphs(self, text: str | None, style: str | None = None) -> WordXml:
        """Markdown text as a sequence of ``<w:p>`` (and ``<w:tbl>``) elements."""
        if not text:
            return WordXml("")
        tokens = markdown().parse(str(text))
        out: list[str] = []
        lists: list[str] = []  # numId per open list level
        item_started: list[bool] = []
        style_xml = f'<w:pStyle w:val="{_xml_text(style)}"/>' if style else ""
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            t = tok.type
            if t == "table_open":
                end = next(j for j in range(i, len(tokens)) if tokens[j].type == "table_close")
                out.append(table_xml(tokens[i:end + 1], self._width, self._runs))
                i = end + 1
                continue
            if t == "bullet_list_open":
                lists.append(self._bullet())
            elif t == "ordered_list_open":
                start = int(tok.attrGet("start") or 1)
                lists.append(self._new_num(DECIMAL_ABSTRACT_ID, start))
            elif t in ("bullet_list_close", "ordered_list_close"):
                lists.pop()
            elif t == "list_item_open":
                item_started.append(False)
            elif t == "list_item_close":
                item_started.pop()
            elif t == "inline":
                runs = self._runs(tok.children)
                if lists:
                    level = len(lists) - 1
                    if not item_started[-1]:
                        ppr = (f'<w:pStyle w:val="ListParagraph"/><w:numPr><w:ilvl w:val="{level}"/>'
                               f'<w:numId w:val="{lists[-1]}"/></w:numPr><w:spacing w:after="60"/>')
                        item_started[-1] = True
                    else:  # a further paragraph of the same item: indented, no number
                        ppr = (f'<w:pStyle w:val="ListParagraph"/><w:spacing w:after="60"/>'
                               f'<w:ind w:left="{360 * (level + 1)}"/>')
                else:
                    ppr = style_xml
                out.append(f"<w:p><w:pPr>{ppr}</w:pPr>{runs}</w:p>")
            i += 1
        return WordXml("".join(out))

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

Thread safety: a Markdown parser and an XML parser per thread (``_local``); a :class:`RichTextWriter`
belongs to one document being rendered, and all its state is that document's.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from docx.oxml.parser import element_class_lookup
from lxml import etree
from markdown_it import MarkdownIt
from markdown_it.common.utils import mdTrim
from markdown_it.rules_block.table import escapedSplit
from markdown_it.rules_inline import emphasis as _emphasis
from markdown_it.rules_inline import link as _link
from markdown_it.rules_inline import newline as _newline
from markupsafe import Markup
from markupsafe import escape as _markup_escape

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

BULLET_ABSTRACT_ID = "9001"
DECIMAL_ABSTRACT_ID = "9002"
_BULLETS = ["•", "–", "▪"]
_DECIMAL_FORMATS = [("decimal", "%1."), ("lowerLetter", "%2)"), ("lowerRoman", "%3.")]
_LINK_SCHEMES = ("http://", "https://", "mailto:")
_AUTOLINK = re.compile(r"<(https?://[^<>\x00-\x20]*)>", re.IGNORECASE)
#: Text width of an A4 page with 2 cm margins, in twentieths of a point, if the template's section says nothing.
_DEFAULT_TEXT_WIDTH = 9638
_TABLE_BORDER = 'w:val="single" w:sz="4" w:space="0" w:color="auto"'
_HEADER_FILL = "F2F2F2"
_ALIGN = {"left": "left", "center": "center", "right": "right"}
#: A delimiter row of a pipe table: only |, -, : and spaces, at least one | and one -.
_DELIMITER_ROW = re.compile(r"\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?")


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


# -- per-thread parsers -------------------------------------------------------------------------

_local = threading.local()


def _star_emphasis(state, silent: bool) -> bool:
    """Emphasis with ``*`` only: an underscore is an ordinary character."""
    if state.src[state.pos] == "_":
        return False
    return _emphasis.tokenize(state, silent)


def _allowed_link(href: str) -> bool:
    return href.lower().startswith(_LINK_SCHEMES)


def _checked_link(state, silent: bool) -> bool:
    """``[text](target)`` only for an allowed target; any other stays literal text (not a link without its target)."""
    src, end = state.src, state.posMax
    if src[state.pos] != "[":
        return False
    if state.pos and src[state.pos - 1] == "!" and src[state.pos - 2:state.pos - 1] != "\\":
        return False  # an image: not part of the subset, stays as written
    label_end = state.md.helpers.parseLinkLabel(state, state.pos, True)
    if label_end < 0:
        return False
    pos = label_end + 1
    if pos >= end or src[pos] != "(":
        return False  # no reference links (no definitions in free text)
    pos += 1
    while pos < end and src[pos] in " \t\n":
        pos += 1
    dest = state.md.helpers.parseLinkDestination(src, pos, end)
    if not dest.ok or not _allowed_link(state.md.normalizeLink(dest.str)):
        return False
    return _link(state, silent)


def _web_autolink(state, silent: bool) -> bool:
    """``<https://…>`` and ``<http://…>``; the link text is the address exactly as written."""
    if state.src[state.pos] != "<":
        return False
    m = _AUTOLINK.match(state.src, state.pos, state.posMax)
    if not m:
        return False
    if not silent:
        tok = state.push("link_open", "a", 1)
        tok.attrs = {"href": state.md.normalizeLink(m.group(1))}
        tok.markup, tok.info = "autolink", "auto"
        state.push("text", "", 0).content = m.group(1)
        tok = state.push("link_close", "a", -1)
        tok.markup, tok.info = "autolink", "auto"
    state.pos = m.end()
    return True


def _soft_newline(state, silent: bool) -> bool:
    """A line end is a space; trailing spaces do not make a hard break (only a backslash does)."""
    first = len(state.tokens)
    if not _newline(state, silent):
        return False
    for tok in state.tokens[first:]:
        if tok.type == "hardbreak":
            tok.type = "softbreak"
    return True


def _new_markdown() -> MarkdownIt:
    md = MarkdownIt("zero").enable(["list", "table", "emphasis", "link", "autolink", "escape", "newline"])
    md.inline.ruler.at("emphasis", _star_emphasis)
    md.inline.ruler.at("link", _checked_link)
    md.inline.ruler.at("autolink", _web_autolink)
    md.inline.ruler.at("newline", _soft_newline)
    return md


def markdown() -> MarkdownIt:
    """This thread's Markdown parser.

    A ``MarkdownIt`` is not safe to share between threads: its rule chains are compiled lazily on
    first use (``Ruler.__compile__`` first sets an empty cache, then fills it), and a thread that
    parses meanwhile sees an empty or half-filled chain: "none of the block rules matched", or
    worse, silently wrong output (a list item lost, an empty document).
    """
    md = getattr(_local, "md", None)
    if md is None:
        md = _local.md = _new_markdown()
    return md


def parse_xml(xml: str):
    """An element of ours, parsed with python-docx's element classes by this thread's own parser."""
    parser = getattr(_local, "xml_parser", None)
    if parser is None:
        parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False)
        parser.set_element_class_lookup(element_class_lookup)
        _local.xml_parser = parser
    return etree.fromstring(xml, parser)


def _normalize(text: str) -> str:
    """The text as markdown-it sees it (its ``normalize`` rule): line ends as ``\\n``, NUL as U+FFFD."""
    return re.sub(r"\r\n?", "\n", text).replace("\0", "\ufffd")


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

    # -- tables ------------------------------------------------------------------------------
    def _table(self, tokens) -> str:
        """A GFM table's tokens (``table_open`` … ``table_close``) as a ``<w:tbl>`` and a small paragraph after it."""
        rows: list[tuple[bool, list[tuple[str, list]]]] = []
        in_head = False
        align = ""
        for tok in tokens:
            t = tok.type
            if t == "thead_open":
                in_head = True
            elif t == "thead_close":
                in_head = False
            elif t == "tr_open":
                rows.append((in_head, []))
            elif t in ("th_open", "td_open"):
                style = tok.attrGet("style") or ""
                align = _ALIGN.get(style.rpartition(":")[2], "")
            elif t == "inline" and rows:
                rows[-1][1].append((align, tok.children or []))
        ncols = max((len(cells) for _, cells in rows), default=0)
        if not ncols:
            return ""
        # column widths in proportion to the longest text of each column, within limits
        weights = [4] * ncols
        for _, cells in rows:
            for i, (_, children) in enumerate(cells):
                length = sum(len(c.content) if c.type in ("text", "text_special") else 1 for c in children)
                weights[i] = max(weights[i], min(length, 60))
        total = self._width()
        widths = [total * w // sum(weights) for w in weights]
        widths[-1] += total - sum(widths)

        sides = ("top", "left", "bottom", "right", "insideH", "insideV")
        borders = "".join(f"<w:{side} {_TABLE_BORDER}/>" for side in sides)
        xml = [
            "<w:tbl><w:tblPr>"
            '<w:tblW w:w="5000" w:type="pct"/>'
            f"<w:tblBorders>{borders}</w:tblBorders>"
            '<w:tblLayout w:type="fixed"/>'
            '<w:tblCellMar><w:top w:w="40" w:type="dxa"/><w:left w:w="100" w:type="dxa"/>'
            '<w:bottom w:w="40" w:type="dxa"/><w:right w:w="100" w:type="dxa"/></w:tblCellMar>'
            '<w:tblLook w:val="0420" w:firstRow="1" w:lastRow="0" w:firstColumn="0" w:lastColumn="0"'
            ' w:noHBand="1" w:noVBand="1"/>'
            "</w:tblPr><w:tblGrid>"
            + "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
            + "</w:tblGrid>"
        ]
        for header, cells in rows:
            cells = cells + [("", [])] * (ncols - len(cells))
            xml.append("<w:tr><w:trPr><w:cantSplit/>" + ("<w:tblHeader/>" if header else "") + "</w:trPr>")
            for (cell_align, children), width in zip(cells, widths):
                shd = f'<w:shd w:val="clear" w:color="auto" w:fill="{_HEADER_FILL}"/>' if header else ""
                jc = f'<w:jc w:val="{cell_align}"/>' if cell_align else ""
                xml.append(
                    f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{shd}</w:tcPr>'
                    f'<w:p><w:pPr><w:spacing w:before="0" w:after="0"/>{jc}</w:pPr>'
                    f"{self._runs(children, bold_base=header)}</w:p></w:tc>")
            xml.append("</w:tr>")
        xml.append("</w:tbl>")
        # A table needs a paragraph after it: two tables in a row would merge, a cell must end with
        # one, and the text after the table would touch its bottom border.
        xml.append('<w:p><w:pPr><w:spacing w:before="0" w:after="0"/>'
                   '<w:rPr><w:sz w:val="12"/><w:szCs w:val="12"/></w:rPr></w:pPr></w:p>')
        return "".join(xml)

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
                out.append(self._table(tokens[i:end + 1]))
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


def plain_text(text: str | None) -> str:
    """The text of a Markdown string without markup (for metadata, e-mail bodies, search).

    One line per paragraph, list item and table row; a row's cells are separated by `` | ``.
    """
    if not text:
        return ""
    lines: list[str] = []
    row: list[str] | None = None
    for tok in markdown().parse(str(text)):
        if tok.type == "tr_open":
            row = []
        elif tok.type == "tr_close":
            lines.append(" | ".join(row or []))
            row = None
        elif tok.type == "inline":
            part = "".join(c.content if c.type in ("text", "text_special") else " " if "break" in c.type else ""
                           for c in tok.children or [])
            (row if row is not None else lines).append(part)
    return "\n".join(lines)


# -- checks -------------------------------------------------------------------------------------

@dataclass
class TextProblem:
    """Something in a free-text field that would not come out as its writer meant.

    ``line`` is 1-based within the text (lines are separated by ``\\n``; ``\\r\\n`` counts as one).
    The validation stage adds the field and turns it into a line of the input file.
    """

    line: int
    sv: str
    en: str
    fix_sv: str = ""
    fix_en: str = ""


_FIX_ROW_SV = ("ge raden lika många celler som rubrikraden: | mellan cellerna, | | för en tom cell, "
               "\\| för ett lodstreck som hör till texten.")
_FIX_ROW_EN = ("give the row as many cells as the header row: | between cells, | | for an empty cell, "
               "\\| for a vertical bar that is part of the text.")


def _cells(n: int, lang: str) -> str:
    if lang == "sv":
        return f"{n} cell" if n == 1 else f"{n} celler"
    return f"{n} cell" if n == 1 else f"{n} cells"


def _cell_count(line: str) -> int:
    """Cells of a table row, counted the way markdown-it splits it (``\\|`` is not a separator)."""
    cells = escapedSplit(mdTrim(line))
    if cells and cells[0] == "":
        cells.pop(0)
    if cells and cells[-1] == "":
        cells.pop()
    return len(cells)


def check(text: str | None) -> list[TextProblem]:
    """Problems of a free-text field, in line order: tables whose rows do not match their header.

    - a body row with more or fewer cells than the header row (markdown-it would silently drop the
      extra cells or add empty ones);
    - a header row whose delimiter row (``| --- | --- |``) has another number of cells (it would not
      become a table at all, but stay text with bars and dashes).
    """
    if not text:
        return []
    src = _normalize(str(text))
    lines = src.split("\n")
    problems: list[TextProblem] = []
    table_lines: set[int] = set()
    columns = 0
    in_head = False
    for tok in markdown().parse(src):
        t = tok.type
        if t == "table_open":
            columns = 0
            if tok.map:
                table_lines.update(range(tok.map[0], tok.map[1]))
        elif t == "thead_open":
            in_head = True
        elif t == "thead_close":
            in_head = False
        elif t == "th_open":
            columns += 1
        elif t == "tr_open" and not in_head and tok.map:
            n = _cell_count(lines[tok.map[0]])
            if n != columns:
                problems.append(TextProblem(
                    tok.map[0] + 1,
                    f"tabellraden har {_cells(n, 'sv')} men tabellens rubrikrad har {_cells(columns, 'sv')}.",
                    f"the table row has {_cells(n, 'en')} but the table's header row has {_cells(columns, 'en')}.",
                    _FIX_ROW_SV, _FIX_ROW_EN))
    for idx in range(1, len(lines)):
        if idx in table_lines or idx - 1 in table_lines:
            continue
        delimiter = mdTrim(lines[idx])
        if "|" not in delimiter or not _DELIMITER_ROW.fullmatch(delimiter) or re.match(r"-[ \t]", delimiter):
            continue
        header = lines[idx - 1]
        if "|" not in header:
            continue
        h, d = _cell_count(header), _cell_count(delimiter)
        if h != d:
            problems.append(TextProblem(
                idx + 1,
                f"tabellens rubrikrad har {_cells(h, 'sv')} men raden under den (med ---) har {_cells(d, 'sv')}, "
                "så texten blir ingen tabell.",
                f"the table's header row has {_cells(h, 'en')} but the line below it (with ---) has "
                f"{_cells(d, 'en')}, so the text "
                "does not become a table.",
                "skriv en --- för varje cell i rubrikraden, t.ex. | --- | --- | för två kolumner.",
                "write one --- for each cell of the header row, e.g. | --- | --- | for two columns."))
    problems.sort(key=lambda p: p.line)
    return problems

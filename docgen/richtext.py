"""Free text in inputs: a small Markdown subset turned into real Word paragraphs, lists and links.

Supported: paragraphs, bullet (- * +) and numbered (1. or 1)) lists, nested by indentation,
**bold**, *italic*, [links](https://...) and <https://...>, hard line breaks (backslash at the end
of a line). Everything else (headings, HTML, code) stays literal text. Text is XML-escaped, so
``&``, ``<``, ``>``, quotes and ``{{ }}`` come out verbatim.
"""
from __future__ import annotations

from xml.sax.saxutils import escape

from docx.oxml import parse_xml
from markdown_it import MarkdownIt

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_md = MarkdownIt("zero").enable(["list", "emphasis", "link", "autolink", "escape", "newline"])

BULLET_ABSTRACT_ID = "9001"
DECIMAL_ABSTRACT_ID = "9002"
_BULLETS = ["•", "–", "▪"]
_DECIMAL_FORMATS = [("decimal", "%1."), ("lowerLetter", "%2)"), ("lowerRoman", "%3.")]
_ALLOWED_SCHEMES = ("http://", "https://", "mailto:")


class WordXml(str):
    """Raw WordprocessingML for a ``{{p ...}}`` tag; Jinja's autoescape leaves it alone."""

    def __html__(self) -> str:
        return str(self)


def _abstract_num(abstract_id: str, bullet: bool) -> str:
    levels = []
    for lvl in range(9):
        indent = 360 * (lvl + 1) + 0
        if bullet:
            fmt, text = "bullet", _BULLETS[lvl % 3]
        else:
            fmt, pattern = _DECIMAL_FORMATS[lvl % 3]
            text = pattern.replace("%1", f"%{lvl + 1}").replace("%2", f"%{lvl + 1}").replace("%3", f"%{lvl + 1}")
        levels.append(
            f'<w:lvl w:ilvl="{lvl}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
            f'<w:lvlText w:val="{escape(text)}"/><w:lvlJc w:val="left"/>'
            f'<w:pPr><w:ind w:left="{indent}" w:hanging="360"/></w:pPr></w:lvl>'
        )
    name = "docgen-punktlista" if bullet else "docgen-numrerad"
    return (
        f'<w:abstractNum xmlns:w="{W_NS}" w:abstractNumId="{abstract_id}">'
        f'<w:multiLevelType w:val="hybridMultilevel"/><w:name w:val="{name}"/>{"".join(levels)}</w:abstractNum>'
    )


class RichTextWriter:
    """Turns Markdown into WordprocessingML for one DocxTemplate being rendered.

    It owns the list numbering of that document: bullets share one numbering instance, each
    numbered list gets its own so that it starts at its own first number.
    """

    def __init__(self, tpl):
        self.tpl = tpl
        self._numbering = None
        self._bullet_num: str | None = None

    # -- numbering -------------------------------------------------------------------------
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
        if getattr(self, "_link_style_ok", False):
            return
        styles = self.tpl.get_docx().styles.element
        if not any(s.get(f"{{{W_NS}}}styleId") == "Hyperlink" for s in styles.findall(f"{{{W_NS}}}style")):
            styles.append(parse_xml(
                f'<w:style xmlns:w="{W_NS}" w:type="character" w:styleId="Hyperlink"><w:name w:val="Hyperlink"/>'
                '<w:basedOn w:val="DefaultParagraphFont"/><w:uiPriority w:val="99"/><w:unhideWhenUsed/>'
                '<w:rPr><w:color w:val="0563C1"/><w:u w:val="single"/></w:rPr></w:style>'))
        self._link_style_ok = True

    # -- inline ------------------------------------------------------------------------------
    def _runs(self, children) -> str:
        out: list[str] = []
        bold = italic = 0
        link: str | None = None
        link_runs: list[str] = []

        def run(text: str, br: bool = False) -> str:
            props = ""
            if bold:
                props += "<w:b/><w:bCs/>"
            if italic:
                props += "<w:i/><w:iCs/>"
            if link is not None:
                props = '<w:rStyle w:val="Hyperlink"/>' + props
            rpr = f"<w:rPr>{props}</w:rPr>" if props else ""
            body = "<w:br/>" if br else f'<w:t xml:space="preserve">{escape(text)}</w:t>'
            return f"<w:r>{rpr}{body}</w:r>"

        def emit(x: str) -> None:
            (link_runs if link is not None else out).append(x)

        for tok in children or []:
            t = tok.type
            if t == "text":
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
                href = tok.attrGet("href") or ""
                link = href if href.startswith(_ALLOWED_SCHEMES) else None
                if link is None:  # not a link we will make; keep its text
                    continue
                link_runs = []
            elif t == "link_close":
                if link is not None:
                    self._ensure_hyperlink_style()
                    rid = self.tpl.build_url_id(link)
                    out.append(f'<w:hyperlink r:id="{rid}" w:history="1">{"".join(link_runs)}</w:hyperlink>')
                link = None
            else:  # anything else: its literal text
                if tok.content:
                    emit(run(tok.content))
        return "".join(out)

    # -- blocks ------------------------------------------------------------------------------
    def paragraphs(self, text: str | None, style: str | None = None) -> WordXml:
        """Markdown text as a sequence of ``<w:p>`` elements."""
        if not text:
            return WordXml("")
        tokens = _md.parse(str(text))
        out: list[str] = []
        lists: list[str] = []  # numId per open list level
        item_started: list[bool] = []
        for i, tok in enumerate(tokens):
            t = tok.type
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
                        ppr = f'<w:pStyle w:val="ListParagraph"/><w:ind w:left="{360 * (level + 1)}"/><w:spacing w:after="60"/>'
                else:
                    ppr = f'<w:pStyle w:val="{style}"/>' if style else ""
                out.append(f"<w:p><w:pPr>{ppr}</w:pPr>{runs}</w:p>")
        return WordXml("".join(out))


def plain_text(text: str | None) -> str:
    """The text of a Markdown string without markup (for metadata, e-mail bodies, search)."""
    if not text:
        return ""
    parts = []
    for tok in _md.parse(str(text)):
        if tok.type == "inline":
            parts.append("".join(c.content if c.type in ("text",) else " " if "break" in c.type else "" for c in tok.children or []))
    return "\n".join(parts)

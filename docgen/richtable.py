"""GFM pipe tables of the free-text subset: a table's tokens as a Word table, and :func:`check` for ragged tables.

Re-exported by :mod:`docgen.richtext`, which uses :func:`table_xml` for the tables it writes.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from markdown_it.common.utils import mdTrim
from markdown_it.rules_block.table import escapedSplit

from .mdparse import markdown, normalize

_TABLE_BORDER = 'w:val="single" w:sz="4" w:space="0" w:color="auto"'
_HEADER_FILL = "F2F2F2"
_ALIGN = {"left": "left", "center": "center", "right": "right"}
#: A delimiter row of a pipe table: only |, -, : and spaces, at least one | and one -.
_DELIMITER_ROW = re.compile(r"\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?")


def table_xml(tokens, text_width: Callable[[], int], runs: Callable[..., str]) -> str:
    """A GFM table's tokens (``table_open`` … ``table_close``) as a ``<w:tbl>`` and a small paragraph after it.

    ``text_width()`` gives the text width in twentieths of a point (asked only for a table with cells);
    ``runs(children, bold_base=...)`` gives a cell's inline tokens as ``<w:r>`` runs.
    """
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
    total = text_width()
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
                f"{runs(children, bold_base=header)}</w:p></w:tc>")
        xml.append("</w:tr>")
    xml.append("</w:tbl>")
    # A table needs a paragraph after it: two tables in a row would merge, a cell must end with
    # one, and the text after the table would touch its bottom border.
    xml.append('<w:p><w:pPr><w:spacing w:before="0" w:after="0"/>'
               '<w:rPr><w:sz w:val="12"/><w:szCs w:val="12"/></w:rPr></w:pPr></w:p>')
    return "".join(xml)


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
    src = normalize(str(text))
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

"""Case numbers and dates never break at their hyphen: in a rendered DOCX, the hyphen of a diarienummer
(RS 2023-03709) or an ISO date (2024-11-28) becomes Word's non-breaking hyphen (``w:noBreakHyphen``).

Word and LibreOffice draw it as a hyphen and keep the parts on one line; LibreOffice's PDF maps the
glyph back to an ordinary hyphen, so a search or copy of the PDF finds the text as written.
"""
from __future__ import annotations

import functools
import re

from docx.oxml import OxmlElement
from docx.oxml.ns import qn

#: ISO dates and case numbers written as <series> <year>-<number> (the default format and its kin).
PATTERNS = [r"\d{4}-\d{2}-\d{2}", r"[A-ZÅÄÖ][A-ZÅÄÖ0-9]{0,9} \d{4}-\d{1,7}"]
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def _pattern(extra: list[str]) -> re.Pattern:
    """The pattern for the standard forms plus the ``extra`` numbers they do not already match (a number in
    the default format adds nothing, so the compiled pattern is reused from document to document)."""
    others = tuple(sorted({x for x in extra if x and "-" in x and not _STANDARD.fullmatch(x)}, key=len, reverse=True))
    return _compiled(others)


_STANDARD = re.compile("|".join(PATTERNS))


@functools.lru_cache(maxsize=64)
def _compiled(others: tuple[str, ...]) -> re.Pattern:
    alternatives = [re.escape(x) for x in others] + PATTERNS
    return re.compile(r"(?<![\w-])(?:" + "|".join(alternatives) + r")(?![\w-])")


def hyphens(text: str, pattern: re.Pattern) -> list[int]:
    """Positions of the hyphens inside the case numbers and dates of a text."""
    return [m.start() + i for m in pattern.finditer(text) for i, c in enumerate(m.group(0)) if c == "-"]


def keep_together(element, numbers: list[str]) -> int:
    """Make the hyphens of every case number and date in an XML part non-breaking (``numbers``: exact
    case numbers of other formats too); returns how many were changed."""
    pattern = _pattern(numbers)
    changed = 0
    for t in list(element.iter(qn("w:t"))):
        text = t.text or ""
        if "-" not in text:
            continue
        cut = hyphens(text, pattern)
        if not cut:
            continue
        pieces, start = [], 0
        for pos in cut:
            pieces.append(text[start:pos])
            start = pos + 1
        pieces.append(text[start:])
        new = []
        for i, piece in enumerate(pieces):
            if i:
                new.append(OxmlElement("w:noBreakHyphen"))
            if piece:
                node = OxmlElement("w:t")
                node.text = piece
                node.set(XML_SPACE, "preserve")
                new.append(node)
        for node in new:
            t.addprevious(node)
        t.getparent().remove(t)
        changed += len(cut)
    return changed

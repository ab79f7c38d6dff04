"""What a document decided in docgen prints: the decision line (the type's label ``beslutsrad`` with {namn},
{titel}, {datum}) in place of the plain ``digital_underskrift`` line, and the decision maker who decided as its
signature block (the context name the type gives it, ``DocumentType.signatures``). Without a decision the template
context is left as it is (today's line and signatures)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .datefmt import langt_datum
from .doctype import DECISION_LINE

if TYPE_CHECKING:
    from .model import Decision, Document
    from .plugins import LoadedType


def line(dtype: LoadedType, decision: Decision) -> str:
    """"Beslutet har fattats digitalt av Namn, Titel, 6 december 2026." (the type's wording)."""
    text = dtype.label_texts().get("beslutsrad") or DECISION_LINE
    titel = decision.titel or ""
    out = text.format(namn=decision.namn, titel=titel, datum=langt_datum(decision.datum))
    return out.replace(", ,", ",") if not titel else out


def context(doc: Document, decision: Decision | None) -> dict:
    """What the render context gets for a decided document: the line, the signature block and ``beslutat``."""
    if decision is None:
        return {}
    out = {"digital_underskrift": line(doc.type, decision),
           "beslutat": {"namn": decision.namn, "titel": decision.titel, "datum": decision.datum,
                        "beslutad": decision.beslutad}}
    if doc.type.cls.signatures:
        out[doc.type.cls.signatures] = [{"namn": decision.namn, **({"titel": decision.titel} if decision.titel else {})}]
    return out

"""The template context: what a type's ``context`` gives, and what the engine adds for every template
(organisation, unit, footer, labels, signature line, number or draft text, distribution, confidentiality)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..datefmt import datum
from .docx import DRAFT_NUMBER

if TYPE_CHECKING:
    from ..config import Config
    from ..model import Document

def secrecy(data: dict) -> dict | None:
    """The confidentiality marking shown on the first page, or None."""
    s = data.get("sekretess")
    if not s:
        return None
    return {"bestammelse": s["bestämmelse"], "datum": s["datum"],
            "markering": f"SEKRETESS enligt {s['bestämmelse']} (sekretessmarkering {datum(s['datum'])})"}


def footer_line(letterhead: dict) -> str:
    """The contact line of the page footer: address, telephone, web, organisation number (what is set)."""
    parts = [letterhead.get("postadress")]
    if letterhead.get("telefon"):
        parts.append(f"Telefon {letterhead['telefon']}")
    parts.append(letterhead.get("webbadress"))
    if letterhead.get("organisationsnummer"):
        parts.append(f"Organisationsnummer {letterhead['organisationsnummer']}")
    return "  ·  ".join(p for p in parts if p)


def context(config: Config, doc: Document, diarienummer: str | None, distribution: list, extra: dict | None = None,
            own: bool = True) -> dict:
    """The template context: the type's own (``own``) and what the engine adds."""
    data = doc.data
    ctx = dict(doc.type.instance.context(data)) if own else {}
    unit = data.get("enhet") or config.units[0]
    letterhead = config.letterhead(unit)
    labels = doc.type.label_texts()
    ctx.update(
        organisation=config.organisation,
        enhet=unit,
        sidfot=footer_line(letterhead),
        rubriker=labels,
        digital_underskrift=doc.type.signature_line(data),
        dokumenttyp=doc.type.name,
        dokumenttitel=doc.type.document_name(data),
        datumform=doc.type.date_form_of(),
        rubrik=data["rubrik"],
        datum=data["datum"],
        diarienummer=diarienummer or DRAFT_NUMBER,
        utkast=doc.is_draft,
        skickas_till=distribution,
        skickas_till_rubrik=labels["skickas_till"],
        sekretess=secrecy(data),
        bilagor=[],
    )
    ctx.update(extra or {})
    return ctx

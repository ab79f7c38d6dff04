"""Beslut: a decision by a steering group, a director (verkställighetsbeslut) or a delegated officer."""
from __future__ import annotations

import textwrap

from docgen import hookimpl
from docgen.config import Setting
from docgen.doctype import DocumentType, person_line

PERSON = {"$ref": "#/$defs/person"}
#: A date as the engine accepts it: YYYY-MM-DD, a real day, years 1900-2100 (the pattern says the years).
DATE = {"type": "string", "format": "date", "pattern": r"^(19[0-9]{2}|20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$",
        "description": "YYYY-MM-DD, years 1900-2100."}
DNR_REF = {"type": "string", "minLength": 1, "description": "A diarienummer, e.g. RS 2024-00042."}

BESLUTSTYPER = {
    "projektdirektiv": "Projektdirektiv",
    "projektplan": "Projektplan",
    "uppdrag": "Uppdrag",
    "införande av nytt arbetssätt": "Införande av nytt arbetssätt",
    "samarbete med extern aktör": "Samarbete med extern aktör",
    "ändrad omfattning eller inriktning": "Ändrad omfattning eller inriktning",
    "verkställighetsbeslut": "Verkställighetsbeslut",
    "delegationsbeslut": "Delegationsbeslut",
    "övrigt": "Övrigt",
}

DEFAULT_APPEAL = (
    "Beslutet kan överklagas. Överklagandet ska vara skriftligt och ha kommit in till registraturen "
    "inom tre veckor från den dag då du fick del av beslutet. Skriv vilket beslut som överklagas "
    "(ange diarienumret), varför du anser att det är fel och vilken ändring du vill ha."
)


class Beslut(DocumentType):
    name = "beslut"
    title = "Beslut"
    description = "Beslut: beslutsinstans, typ, numrerade beslutspunkter, skäl, underskrifter, överklagande."
    template = "beslut.docx"
    parties = {"föredragande": "Föredragande", "närvarande": "Närvarande"}
    distribution_heading = "Beslutet skickas till"
    digital_signature = True  # decisions are usually made digitally; `digital_underskrift: false` for one signed on paper
    date_form = "lang"  # dates in running text; [beslut] datumform = "kort" writes 26/2
    labels = {"beslutsinstans": "Beslutsinstans:", "beslutstyp": "Typ av beslut:", "beslut": "Beslut",
              "beslutar_att": "beslutar att", "sammanfattning": "Sammanfattning", "skal": "Skäl för beslutet",
              "hanvisningar": "Hänvisningar", "foredragande": "Föredragande:", "narvarande": "Närvarande:",
              "overklagande": "Hur man överklagar", "bilagor": "Bilagor", "skickas_till": "Beslutet skickas till",
              "digital_underskrift": "Beslutet har fattats digitalt och saknar därför namnunderskrift."}
    settings = [Setting("beslut", "overklagande", DEFAULT_APPEAL,
                        "The standard appeal notice (\"Hur man överklagar\") a beslut carries when its input says överklagande: true.")]
    schema = {
        "required": ["beslutsinstans", "beslutstyp", "beslutspunkter", "underskrifter"],
        "properties": {
            "beslutsinstans": {"type": "string", "minLength": 1,
                               "description": "Who decides: a named steering group, the regional director, a delegated officer."},
            "beslutstyp": {"enum": list(BESLUTSTYPER), "description": "The kind of decision."},
            "beslutspunkter": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/text", "minLength": 1},
                               "description": "The decision points, in order: \"<beslutsinstans> beslutar att 1. ... 2. ...\"."},
            "sammanfattning": {"$ref": "#/$defs/text"},
            "skäl": {"$ref": "#/$defs/text", "description": "Skäl för beslutet."},
            "hänvisningar": {"type": "array", "items": {
                "type": "object", "additionalProperties": False, "required": ["diarienummer"],
                "properties": {"diarienummer": DNR_REF, "beskrivning": {"type": "string"}}}},
            "föredragande": PERSON,
            "närvarande": {"type": "array", "items": PERSON},
            "underskrifter": {"type": "array", "minItems": 1, "items": PERSON},
            "digital_underskrift": {"type": "boolean", "description": "Whether the line \"Beslutet har fattats digitalt och "
                                    "saknar därför namnunderskrift\" stands under the signatures (default true)."},
            "överklagande": {"type": "boolean", "description": "true: add the appeal notice from docgen.toml [beslut] overklagande."},
            "ersätter": {"type": "object", "additionalProperties": False, "required": ["diarienummer", "datum"],
                         "description": "The earlier decision this one supersedes.",
                         "properties": {"diarienummer": DNR_REF, "datum": DATE}},
        },
    }

    def archive_metadata(self, data: dict) -> dict:
        return {"beslutad": data["datum"], "ansvariga": [person_line(p) for p in data["underskrifter"]]}

    def context(self, data: dict) -> dict:
        points = []
        for i, text in enumerate(data["beslutspunkter"], 1):
            lines = str(text).strip().splitlines() or [""]
            points.append(f"{i}. {lines[0]}" + "".join("\n" + textwrap.indent(l, "   ") if l.strip() else "\n" for l in lines[1:]))
        return {
            **data,
            "beslutstyp_text": BESLUTSTYPER[data["beslutstyp"]],
            "beslutspunkter_md": "\n".join(points),
            "sammanfattning": data.get("sammanfattning"),
            "skal": data.get("skäl"),
            "hanvisningar": data.get("hänvisningar") or [],
            "foredragande": data.get("föredragande"),
            "narvarande": data.get("närvarande") or [],
            "ersatter": data.get("ersätter"),
            "overklagande_text": self.setting("beslut", "overklagande", DEFAULT_APPEAL) if data.get("överklagande") else None,
        }



@hookimpl
def docgen_document_types():
    return [Beslut]

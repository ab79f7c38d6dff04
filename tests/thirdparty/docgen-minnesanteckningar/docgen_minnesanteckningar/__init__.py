"""Minnesanteckningar: notes from a meeting (not a decision: no signature line), as a docgen plugin."""
from __future__ import annotations

from datetime import date

from docgen import hookimpl
from docgen.doctype import DATE, DIARIENUMMER, PERSON, TEXT, DocumentType, person_line
from docgen.errors import problem

#: The plugin API this plugin is written for (docs/plugins.md, "The plugin API version").
DOCGEN_PLUGIN_API = (1, 0)

VECKODAGAR = ["måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"]


class Minnesanteckningar(DocumentType):
    name = "minnesanteckningar"
    title = "Minnesanteckningar"
    description = "Anteckningar från ett möte: närvarande, punkter, uppföljning och nästa möte."
    template = "minnesanteckningar.docx"
    parties = {"narvarande": "Mötesdeltagare"}
    labels = {"mote": "Möte:", "plats": "Plats:", "narvarande": "Närvarande", "antecknare": "Antecknat av:",
              "punkter": "Anteckningar", "uppfoljning": "Att följa upp", "nasta_mote": "Nästa möte:",
              "hanvisning": "Ärende:", "bilagor": "Bilagor", "skickas_till": "Anteckningarna skickas till"}
    message = ("Hej {namn},\n\n"
               "Här kommer {dokument} från mötet \"{rubrik}\" ({diarienummer}). {instruktion}\n\n"
               "Hälsningar\n{avsandare}\n")
    schema = {
        "required": ["mote", "narvarande", "antecknare", "punkter"],
        "properties": {
            "mote": {"type": "string", "minLength": 1, "title": "Möte", "x-title-en": "Meeting",
                     "description": "Vilket möte, t.ex. Samverkansgruppen för vårdnära IT.",
                     "x-description-en": "Which meeting."},
            "plats": {"type": "string", "title": "Plats", "x-title-en": "Place"},
            "narvarande": {"type": "array", "minItems": 1, "title": "Närvarande", "x-title-en": "Present",
                           "items": {**PERSON, "title": "Deltagare", "x-title-en": "Participant"}},
            "antecknare": {**PERSON, "title": "Antecknat av", "x-title-en": "Notes taken by"},
            "punkter": {"type": "array", "minItems": 1, "title": "Punkter", "x-title-en": "Items",
                        "description": "Mötets punkter i ordning.", "x-description-en": "The meeting's items in order.",
                        "items": {"type": "object", "additionalProperties": False, "required": ["rubrik", "text"],
                                  "title": "Punkt", "x-title-en": "Item",
                                  "properties": {"rubrik": {"type": "string", "minLength": 1, "title": "Punktens rubrik",
                                                            "x-title-en": "Heading"},
                                                 "text": {**TEXT, "title": "Anteckning", "x-title-en": "Note"}}}},
            "uppfoljning": {"type": "array", "title": "Att följa upp", "x-title-en": "Follow-up",
                            "items": {"type": "object", "additionalProperties": False, "required": ["vad", "vem"],
                                      "title": "Uppgift", "x-title-en": "Task",
                                      "properties": {"vad": {"type": "string", "minLength": 1, "title": "Vad", "x-title-en": "What"},
                                                     "vem": {"type": "string", "minLength": 1, "title": "Vem", "x-title-en": "Who"},
                                                     "senast": {**DATE, "title": "Senast", "x-title-en": "Due"}}}},
            "nasta_mote": {**DATE, "title": "Nästa möte", "x-title-en": "Next meeting",
                           "description": "Dagen för nästa möte, om den är bestämd."},
            "hanvisning": {**DIARIENUMMER, "title": "Ärende som mötet gällde", "x-title-en": "Case discussed"},
        },
    }

    def check(self, data: dict) -> list:
        if data.get("nasta_mote") and data["nasta_mote"] <= data["datum"]:
            return [problem("nasta_mote", "nästa möte ligger inte efter detta möte.",
                            "the next meeting is not after this one.",
                            "skriv ett datum efter dokumentets datum.", "give a date after the document's date.")]
        return []

    def context(self, data: dict) -> dict:
        return {**data, "plats": data.get("plats"), "nasta_mote": data.get("nasta_mote"),
                "hanvisning": data.get("hanvisning"), "uppfoljning": data.get("uppfoljning") or [],
                "narvarande_rader": [person_line(p) for p in data["narvarande"]]}

    def archive_metadata(self, data: dict) -> dict:
        return {"beslutad": None, "ansvariga": [person_line(data["antecknare"])], "egenskaper": {"möte": data["mote"]}}


def veckodag(value: str) -> str:
    """The Swedish weekday of a date YYYY-MM-DD."""
    return VECKODAGAR[date.fromisoformat(str(value)).weekday()]


@hookimpl
def docgen_document_types():
    return [Minnesanteckningar]


@hookimpl
def docgen_jinja_environment(env, config):
    env.filters["veckodag"] = veckodag

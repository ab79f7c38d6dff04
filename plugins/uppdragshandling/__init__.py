"""Uppdragshandling: an assignment from an uppdragsgivare to one or more uppdragstagare."""
from __future__ import annotations


from docgen import hookimpl
from docgen.doctype import DocumentType, person_line

PERSONS = {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/person"}}
#: A date as the engine accepts it: YYYY-MM-DD, a real day, years 1900-2100 (the pattern says the years).
DATE = {"type": "string", "format": "date", "pattern": r"^(19[0-9]{2}|20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$"}


class Uppdragshandling(DocumentType):
    name = "uppdragshandling"
    title = "Uppdragshandling"
    description = "Uppdrag: uppdragsgivare, uppdragstagare, avsnitt (bakgrund, uppdragsbeskrivning, ...), beslut."
    template = "uppdragshandling.docx"
    parties = {"uppdragsgivare": "Uppdragsgivaren", "uppdragstagare": "Uppdragstagaren"}
    distribution_heading = "Uppdraget skickas till"
    labels = {"uppdragsgivare": "Uppdragsgivare:", "uppdragstagare": "Uppdragstagare:", "beslutsdatum": "Datum för beslut:",
              "bilagor": "Bilagor", "skickas_till": "Uppdraget skickas till",
              "digital_underskrift": "Uppdraget har beslutats digitalt och saknar därför namnunderskrift."}
    schema = {
        "required": ["uppdragsgivare", "uppdragstagare", "avsnitt"],
        "properties": {
            "uppdragsgivare": {**PERSONS, "description": "Who gives the assignment (namn, titel)."},
            "uppdragstagare": {**PERSONS, "description": "Who carries it out; one or several (namn, titel)."},
            "avsnitt": {
                "type": "array",
                "minItems": 1,
                "description": "The document's sections in order: Bakgrund, Uppdragsbeskrivning, Arbetsorganisation, ...",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["rubrik", "text"],
                    "properties": {
                        "rubrik": {"type": "string", "minLength": 1},
                        "text": {"$ref": "#/$defs/text", "minLength": 1},
                    },
                },
            },
            "beslutsdatum": {**DATE, "description": "Datum för beslut, YYYY-MM-DD (år 1900-2100)."},
            "underskrifter": {**PERSONS, "description": "Who signs (namn, titel); default the uppdragsgivare."},
            "digital_underskrift": {"type": "boolean",
                                    "description": "true: a line under the signatures says the decision was made digitally."},
        },
    }

    def archive_metadata(self, data: dict) -> dict:
        signers = data.get("underskrifter") or data["uppdragsgivare"]
        return {"beslutad": data.get("beslutsdatum"),
                "ansvariga": [person_line(p) for p in signers]}

    def context(self, data: dict) -> dict:
        ctx = dict(data)
        ctx.setdefault("beslutsdatum", None)
        ctx["underskrifter"] = data.get("underskrifter") or data["uppdragsgivare"]
        return ctx



@hookimpl
def docgen_document_types():
    return [Uppdragshandling]

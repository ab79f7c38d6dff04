"""Uppdragshandling: an assignment from an uppdragsgivare to one or more uppdragstagare."""
from __future__ import annotations

from pathlib import Path

from docgen import hookimpl
from docgen.doctype import DocumentType

HERE = Path(__file__).resolve().parent
PERSONS = {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/person"}}


class Uppdragshandling(DocumentType):
    name = "uppdragshandling"
    title = "Uppdragshandling"
    description = "Uppdrag: uppdragsgivare, uppdragstagare, avsnitt (bakgrund, uppdragsbeskrivning, ...), beslut."
    template = "uppdragshandling.docx"
    template_dirs = [HERE.parent / "templates"]
    parties = {"uppdragsgivare": "Uppdragsgivaren", "uppdragstagare": "Uppdragstagaren"}
    distribution_heading = "Uppdraget skickas till"
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
            "beslutsdatum": {"type": "string", "format": "date", "description": "Datum för beslut, YYYY-MM-DD."},
            "underskrifter": {**PERSONS, "description": "Who signs (namn, titel); default the uppdragsgivare."},
        },
    }

    def context(self, data: dict) -> dict:
        ctx = dict(data)
        ctx.setdefault("beslutsdatum", None)
        ctx["underskrifter"] = data.get("underskrifter") or data["uppdragsgivare"]
        return ctx

    def example_text(self, variant=None) -> str:
        return (HERE / "examples" / "uppdragshandling.yaml").read_text(encoding="utf-8")


@hookimpl
def docgen_document_types():
    return [Uppdragshandling]

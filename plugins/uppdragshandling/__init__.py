"""Uppdragshandling: an assignment from an uppdragsgivare to one or more uppdragstagare."""
from __future__ import annotations


from docgen import hookimpl
from docgen.doctype import DATE, DECISION_MAKERS, PERSON, TEXT, DocumentType, person_line

PERSONS = {"type": "array", "minItems": 1, "items": PERSON}


class Uppdragshandling(DocumentType):
    name = "uppdragshandling"
    title = "Uppdragshandling"
    description = "Uppdrag: uppdragsgivare, uppdragstagare, avsnitt (bakgrund, uppdragsbeskrivning, ...), beslut."
    template = "uppdragshandling.docx"
    parties = {"uppdragsgivare": "Uppdragsgivaren", "uppdragstagare": "Uppdragstagaren"}
    signatures = "underskrifter"  # replaced by the decision maker who decided it in docgen
    decided = True  # the uppdragsgivare (named in beslutsfattare) gives the assignment in docgen
    labels = {"uppdragsgivare": "Uppdragsgivare:", "uppdragstagare": "Uppdragstagare:", "beslutsdatum": "Datum för beslut:",
              "bilagor": "Bilagor", "skickas_till": "Uppdraget skickas till",
              "digital_underskrift": "Uppdraget har beslutats digitalt och saknar därför namnunderskrift.",
              "beslutsrad": "Uppdraget har getts digitalt av {namn}, {titel}, {datum}."}
    form_layout = {
        "avsnitt": [("Uppdraget", ["rubrik", "datum", "uppdragsgivare", "uppdragstagare"]),
                    ("Innehåll", ["avsnitt"]),
                    ("Beslut och underskrifter", ["beslutsdatum", "beslutsfattare", "underskrifter", "digital_underskrift"]),
                    ("Sekretess och utskick", ["sekretess", "skickas_till"])],
        "fler": ["enhet", "diarienummer", "serie"],
    }
    schema = {
        "required": ["uppdragsgivare", "uppdragstagare", "avsnitt"],
        "properties": {
            "uppdragsgivare": {**PERSONS, "items": {**PERSON, "title": "Uppdragsgivare"}, "title": "Uppdragsgivare", "x-title-en": "Assigned by",
                               "description": "Den som ger uppdraget.", "x-description-en": "Who gives the assignment (namn, titel)."},
            "uppdragstagare": {**PERSONS, "items": {**PERSON, "title": "Uppdragstagare"}, "title": "Uppdragstagare", "x-title-en": "Assigned to",
                               "description": "Den eller de som ska utföra uppdraget.",
                               "x-description-en": "Who carries it out; one or several (namn, titel)."},
            "avsnitt": {
                "type": "array",
                "minItems": 1,
                "title": "Avsnitt", "x-title-en": "Sections",
                "description": "Dokumentets avsnitt i ordning, t.ex. Bakgrund, Uppdragsbeskrivning, Arbetsorganisation.",
                "x-description-en": "The document's sections in order: Bakgrund, Uppdragsbeskrivning, Arbetsorganisation, ...",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["rubrik", "text"],
                    "title": "Avsnitt", "x-title-en": "Section",
                    "properties": {
                        "rubrik": {"type": "string", "minLength": 1, "title": "Avsnittets rubrik", "x-title-en": "Heading"},
                        "text": {**TEXT, "minLength": 1},
                    },
                },
            },
            "beslutsdatum": {**DATE, "title": "Datum för beslut", "x-title-en": "Date of decision",
                             "description": "Dagen då uppdraget beslutades, om den skiljer sig från dokumentets datum.",
                             "x-description-en": "Datum för beslut, YYYY-MM-DD (år 1900-2100)."},
            "beslutsfattare": DECISION_MAKERS,
            "underskrifter": {**PERSONS, "items": {**PERSON, "title": "Undertecknare"}, "title": "Underskrifter", "x-title-en": "Signatures",
                              "description": "Vem som skriver under. Lämna tomt så skriver uppdragsgivaren under.",
                              "x-description-en": "Who signs (namn, titel); default the uppdragsgivare."},
            "digital_underskrift": {"type": "boolean", "title": "Beslutat digitalt", "x-title-en": "Decided digitally",
                                    "description": "Ja: under underskrifterna står att uppdraget har beslutats digitalt.",
                                    "x-description-en": "true: a line under the signatures says the decision was made digitally."},
        },
    }

    def archive_metadata(self, data: dict) -> dict:
        signers = data.get("underskrifter") or data["uppdragsgivare"]
        return {"beslutad": data.get("beslutsdatum"),
                "ansvariga": [person_line(p) for p in signers]}

    def context(self, data: dict) -> dict:
        ctx = dict(data)
        ctx.setdefault("beslutsdatum", None)
        ctx.setdefault("beslutat", None)  # decided in docgen: its date is the date of the decision
        ctx["underskrifter"] = data.get("underskrifter") or data["uppdragsgivare"]
        return ctx



@hookimpl
def docgen_document_types():
    return [Uppdragshandling]

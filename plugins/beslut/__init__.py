"""Beslut: a decision by a steering group, a director (verkställighetsbeslut) or a delegated officer."""
from __future__ import annotations

import textwrap

from docgen import hookimpl
from docgen.config import Setting
from docgen.doctype import DATE, DECISION_MAKERS, DIARIENUMMER, PERSON, TEXT, DocumentType, person_line

DNR_REF = {**DIARIENUMMER, "title": "Diarienummer", "x-title-en": "Diarienummer"}

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
    signatures = "underskrifter"  # replaced by the decision maker who decided it in docgen
    decided = True  # names its beslutsfattare, who decide it in docgen
    digital_signature = True  # decisions are usually made digitally; `digital_underskrift: false` for one signed on paper
    date_form = "lang"  # dates in running text; [beslut] datumform = "kort" writes 26/2
    labels = {"beslutsinstans": "Beslutsinstans:", "beslutstyp": "Typ av beslut:", "beslut": "Beslut",
              "beslutar_att": "beslutar att", "sammanfattning": "Sammanfattning", "skal": "Skäl för beslutet",
              "hanvisningar": "Hänvisningar", "foredragande": "Föredragande:", "narvarande": "Närvarande:",
              "overklagande": "Hur man överklagar", "bilagor": "Bilagor", "skickas_till": "Beslutet skickas till",
              "digital_underskrift": "Beslutet har fattats digitalt och saknar därför namnunderskrift.",
              "beslutsrad": "Beslutet har fattats digitalt av {namn}, {titel}, {datum}."}
    form_layout = {
        "avsnitt": [("Beslutet", ["rubrik", "datum", "beslutsinstans", "beslutstyp", "beslutspunkter"]),
                    ("Bakgrund och skäl", ["sammanfattning", "skäl"]),
                    ("Underskrifter", ["beslutsfattare", "underskrifter", "digital_underskrift", "föredragande", "närvarande"]),
                    ("Sekretess och utskick", ["sekretess", "skickas_till"])],
        "fler": ["överklagande", "hänvisningar", "ersätter", "enhet", "diarienummer", "serie"],
    }
    settings = [Setting("beslut", "overklagande", DEFAULT_APPEAL,
                        "The standard appeal notice (\"Hur man överklagar\") a beslut carries when its input says överklagande: true.")]
    schema = {
        "required": ["beslutsinstans", "beslutstyp", "beslutspunkter", "underskrifter"],
        "properties": {
            "beslutsinstans": {"type": "string", "minLength": 1, "title": "Beslutsinstans", "x-title-en": "Decision-maker",
                               "description": "Vem som beslutar, t.ex. styrgruppen för e-arkiv, regiondirektören eller en delegat.",
                               "x-description-en": "Who decides: a named steering group, the regional director, a delegated officer."},
            "beslutstyp": {"enum": list(BESLUTSTYPER), "x-enum-titles": BESLUTSTYPER, "title": "Typ av beslut", "x-title-en": "Kind of decision",
                           "x-description-en": "The kind of decision."},
            "beslutspunkter": {"type": "array", "minItems": 1, "items": {**TEXT, "minLength": 1, "title": "Beslutspunkt",
                                                                     "x-title-en": "Decision point"},
                               "title": "Beslutspunkter", "x-title-en": "Decision points",
                               "description": "Det som beslutas, en punkt i taget. Dokumentet skriver \"… beslutar att\" och numrerar punkterna.",
                               "x-description-en": "The decision points, in order: \"<beslutsinstans> beslutar att 1. ... 2. ...\"."},
            "sammanfattning": {**TEXT, "title": "Sammanfattning", "x-title-en": "Summary"},
            "skäl": {**TEXT, "title": "Skäl för beslutet", "x-title-en": "Reasons",
                     "x-description-en": "Skäl för beslutet."},
            "hänvisningar": {"type": "array", "title": "Hänvisningar", "x-title-en": "References",
                             "description": "Andra ärenden som beslutet hänvisar till.", "items": {
                "type": "object", "additionalProperties": False, "required": ["diarienummer"], "title": "Hänvisning",
                "x-title-en": "Reference",
                "properties": {"diarienummer": DNR_REF, "beskrivning": {"type": "string", "title": "Beskrivning",
                                                                       "x-title-en": "Description"}}}},
            "föredragande": {**PERSON, "title": "Föredragande", "x-title-en": "Rapporteur"},
            "närvarande": {"type": "array", "items": {**PERSON, "title": "Närvarande", "x-title-en": "Present"},
                           "title": "Närvarande", "x-title-en": "Present"},
            "beslutsfattare": DECISION_MAKERS,
            "underskrifter": {"type": "array", "minItems": 1, "items": {**PERSON, "title": "Undertecknare", "x-title-en": "Signatory"},
                              "title": "Underskrifter", "x-title-en": "Signatures",
                              "description": "Vem eller vilka som undertecknar beslutet."},
            "digital_underskrift": {"type": "boolean", "title": "Fattat digitalt", "x-title-en": "Decided digitally",
                                    "description": "Ja (standard): under underskrifterna står att beslutet har fattats digitalt "
                                    "och saknar namnunderskrift. Nej för ett beslut som skrivs under på papper.",
                                    "x-description-en": "Whether the line \"Beslutet har fattats digitalt och "
                                    "saknar därför namnunderskrift\" stands under the signatures (default true)."},
            "överklagande": {"type": "boolean", "title": "Hur man överklagar", "x-title-en": "Appeal notice",
                             "description": "Ja: beslutet får organisationens text om hur man överklagar.",
                             "x-description-en": "true: add the appeal notice from docgen.toml [beslut] overklagande."},
            "ersätter": {"type": "object", "additionalProperties": False, "required": ["diarienummer", "datum"],
                         "title": "Ersätter tidigare beslut", "x-title-en": "Supersedes",
                         "description": "Fyll i om beslutet ersätter ett tidigare beslut.",
                         "x-description-en": "The earlier decision this one supersedes.",
                         "properties": {"diarienummer": DNR_REF, "datum": {**DATE, "title": "Det tidigare beslutets datum",
                                                                          "x-title-en": "Date of the earlier decision"}}},
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

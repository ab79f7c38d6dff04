"""The document type of the plugin API: what a plugin sets to add a kind of document (see docs/plugins.md).

A plugin subclasses ``DocumentType``, sets its class attributes and may override ``check``, ``context`` and
``archive_metadata``; docgen wraps it in ``docgen.plugins.LoadedType``, which holds the engine's helpers.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

COMMON_SCHEMA_FILE = Path(__file__).with_name("common_schema.json")

#: Shared schema pieces for a type's own fields (references into docgen's common schema): add a ``title``
#: and ``description`` beside them, e.g. ``{**DATE, "title": "Beslutsdatum", "x-title-en": "Date of decision"}``.
DATE = {"$ref": "#/$defs/datum"}  # YYYY-MM-DD, a real day, years 1900-2100; a date input in the web form
PERSON = {"$ref": "#/$defs/person"}  # namn (required), titel, organisation, epost
TEXT = {"$ref": "#/$defs/text"}  # free text with docgen's Markdown subset; a text area in the web form
DIARIENUMMER = {"$ref": "#/$defs/diarienummer"}  # a reference to a case, e.g. RS 2024-00042
#: The field ``beslutsfattare`` of a decided type (``DocumentType.decided``): who may decide it, by user name.
DECISION_MAKERS = {
    "type": "array", "minItems": 1, "uniqueItems": True,
    "items": {"type": "string", "minLength": 1, "maxLength": 200, "title": "Beslutsfattare", "x-title-en": "Decision maker"},
    "title": "Beslutsfattare", "x-title-en": "Decision makers",
    "description": "Användarnamnen på dem som får fatta beslutet i docgen (rollen beslutsfattare). Dokumentet "
                   "väntar utan diarienummer tills en av dem har beslutat.",
    "x-description-en": "The user names of those who may decide it in docgen (role beslutsfattare). The document "
                        "waits without a diarienummer until one of them has decided.",
}

#: The e-mail text of a delivery unless a type sets its own ``message``. The fields: {namn} (the recipient),
#: {dokument} (the document's own name, lower case), {rubrik}, {diarienummer}, {instruktion} (why it is sent,
#: through whom, to whom to pass it on) and {avsandare} (organisation, unit).
DEFAULT_MESSAGE = ("Hej {namn},\n\n"
                   "Bifogat finns {dokument} \"{rubrik}\" med diarienummer {diarienummer}. {instruktion}\n\n"
                   "Med vänlig hälsning\n{avsandare}\n")


#: The line of a document decided in docgen unless its type sets the label ``beslutsrad``.
DECISION_LINE = "Beslutet har fattats digitalt av {namn}, {titel}, {datum}."


@lru_cache(maxsize=1)
def _common_text() -> str:
    return COMMON_SCHEMA_FILE.read_text(encoding="utf-8")


def common_schema() -> dict:
    """Fields every document type has (dokumenttyp, rubrik, datum, diarienummer/serie, status...) and the
    shared pieces in ``$defs`` (datum, person, text, diarienummer)."""
    return json.loads(_common_text())


def person_line(person: dict) -> str:
    """``Namn, titel`` of a person field (signatories, responsible people)."""
    return person["namn"] + (f", {person['titel']}" if person.get("titel") else "")


class DocumentType:
    """One kind of document: its input schema, its template(s), its texts, and how an input becomes a context.

    A type is a package: its templates and example inputs (``exempel.yaml`` or ``exempel-<variant>.yaml``)
    lie beside its module and ship as package data.
    """

    #: Unique across all plugins: the input's ``dokumenttyp``.
    name: ClassVar[str] = ""
    #: The type's name for people (web pages, `docgen types`) and the document's own name by default.
    title: ClassVar[str] = ""
    #: One line on what the type is for (web pages).
    description: ClassVar[str] = ""
    #: JSON Schema of the type's own fields, Swedish ``title``/``description`` and English ``x-title-en``/
    #: ``x-description-en`` on each; docgen merges in the common fields and the shared ``$defs``.
    schema: ClassVar[dict] = {"type": "object", "properties": {}}
    #: The DOCX template's file name (a type without variants).
    template: ClassVar[str] = ""
    #: {variant: template file name} for a type with several layouts; the input's ``variant`` chooses.
    variants: ClassVar[dict[str, str]] = {}
    #: What the web pages call each variant (default: its name).
    variant_titles: ClassVar[dict[str, str]] = {}
    #: The document's own name (dokumentbenämning) per variant where it differs from ``title``.
    document_names: ClassVar[dict[str, str]] = {}
    #: Folders to look for templates in after the workspace's and before the type's package.
    template_dirs: ClassVar[list[Path]] = []
    #: An example input (YAML) for a type whose package has no ``exempel.yaml``.
    example: ClassVar[str] = ""
    #: Party fields of the input (a person or a list of persons) a distribution group may name with ``part``:
    #: {field: what a recipient is called in the list, e.g. "Uppdragstagaren"}.
    parties: ClassVar[dict[str, str]] = {}
    #: The fixed headings and texts the templates print (``{{ rubriker.KEY }}``), each a setting
    #: ``[<type>] rubrik_KEY`` a workspace may change. Two keys docgen uses itself: ``skickas_till`` (the
    #: heading of the distribution, default "Skickas till") and ``digital_underskrift`` (the line under the
    #: signatures of a document decided digitally; a type without it never prints one).
    labels: ClassVar[dict[str, str]] = {}
    #: Whether the signature line is printed when the input does not say (its ``digital_underskrift``).
    digital_signature: ClassVar[bool] = False
    #: A decided type (plugin API 1.1): an input names its ``beslutsfattare`` (user names), waits unnumbered for
    #: one of them to decide it in docgen, and then prints the label ``beslutsrad`` (its {namn}, {titel},
    #: {datum} filled in; default ``DECISION_LINE``) in place of ``digital_underskrift``, the decision maker
    #: as its signature. A type that is not decided refuses ``beslutsfattare``.
    decided: ClassVar[bool] = False
    #: The context name of a decided type's signature block (a list of persons), which docgen replaces with the
    #: decision maker who decided it; None: the type prints no signatures of its own.
    signatures: ClassVar[str | None] = None
    #: The e-mail text sent with the document; the fields of ``DEFAULT_MESSAGE``.
    message: ClassVar[str] = DEFAULT_MESSAGE
    #: For dates in running text (templates: ``|textdatum``): "lang" (26 februari 2025) or "kort" (26/2), which a
    #: workspace may change with ``[<type>] datumform``. None: the type writes no such dates.
    date_form: ClassVar[str | None] = None
    #: The web form's layout: ``avsnitt`` [(heading, [field, ...]), ...], ``fler`` the fields behind "Fler val",
    #: ``utan`` {variant: [field, ...]} the fields a variant does not use; unnamed fields follow last.
    form_layout: ClassVar[dict] = {}
    #: Settings of the type's own docgen.toml section (``docgen.config.Setting``), checked like the engine's.
    settings: ClassVar[list] = []

    def __init__(self, config=None):
        #: The workspace configuration (docgen.toml); read it with ``setting``.
        self.config = config

    def setting(self, section: str, key: str, default=None):
        """A value from this workspace's docgen.toml (a plugin's own section), or the default."""
        if self.config is None:
            return default
        value = self.config.section(section).get(key)
        return default if value is None else value

    def check(self, data: dict) -> list:
        """Checks beyond the schema; return a list of ``docgen.errors.Problem`` (default: none)."""
        return []

    def context(self, data: dict) -> dict[str, Any]:
        """The template context for a validated input (default: the input itself)."""
        return dict(data)

    def archive_metadata(self, data: dict) -> dict:
        """What an archival package records of this type's own fields.

        ``beslutad``: the date a decision was made (YYYY-MM-DD) or None; ``ansvariga``: the people
        responsible, as lines "Namn, titel"; ``egenskaper``: other {name: text} worth keeping.
        """
        return {"beslutad": None, "ansvariga": [], "egenskaper": {}}

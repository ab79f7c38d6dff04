"""The base class of a document type. A plugin subclasses it and returns it from ``docgen_document_types``."""
from __future__ import annotations

import copy
import importlib.resources
import json
import sys
from pathlib import Path
from typing import Any, ClassVar

COMMON_SCHEMA_FILE = Path(__file__).with_name("common_schema.json")
_common_cache: dict | None = None


def common_schema() -> dict:
    """Fields every document type has (dokumenttyp, rubrik, datum, diarienummer/serie, status...)."""
    global _common_cache
    if _common_cache is None:
        _common_cache = json.loads(COMMON_SCHEMA_FILE.read_text(encoding="utf-8"))
    return copy.deepcopy(_common_cache)


def person_line(person: dict) -> str:
    """``Namn, titel`` of a person field (signatories, responsible people)."""
    return person["namn"] + (f", {person['titel']}" if person.get("titel") else "")


class DocumentType:
    """One kind of document: its input schema, its template, and how an input becomes a template context.

    Subclasses set ``name`` (unique, the input's ``dokumenttyp``), ``title`` (shown in the document
    header), ``schema`` (JSON Schema of the type's own fields; the common fields are merged in) and
    ``template`` (a .docx file name). ``variants`` maps a variant name to its template where one
    type has several layouts. A type is a package: its templates and example inputs
    (``exempel.yaml``, or ``exempel-<variant>.yaml``) lie beside its module and ship as package
    data. Templates are looked up in the workspace's templates folder first, then in
    ``template_dirs``, then in the type's own package.
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    description: ClassVar[str] = ""
    schema: ClassVar[dict] = {"type": "object", "properties": {}}
    template: ClassVar[str] = ""
    variants: ClassVar[dict[str, str]] = {}
    #: What the web pages call each variant (default: its name).
    variant_titles: ClassVar[dict[str, str]] = {}
    example: ClassVar[str] = ""
    template_dirs: ClassVar[list[Path]] = []
    #: Party fields of the input (a person or a list of persons) that a distribution group may name with `part`.
    parties: ClassVar[dict[str, str]] = {}
    #: Heading of the distribution section, e.g. "Uppdraget skickas till".
    distribution_heading: ClassVar[str] = "Skickas till"
    #: Settings of the type's own docgen.toml section (``docgen.config.Setting``), checked like the engine's.
    settings: ClassVar[list] = []
    #: The fixed headings and labels the type's templates print (``{{ rubriker.KEY }}``), with their defaults;
    #: each is a setting ``[<type>] rubrik_KEY`` an organisation may change.
    labels: ClassVar[dict[str, str]] = {}
    #: Whether a document of this type says, under its signatures, that it was decided digitally
    #: (the input's ``digital_underskrift`` chooses for one document).
    digital_signature: ClassVar[bool] = False
    #: The document's own name (dokumentbenämning) in its letterhead and message, per variant where it differs
    #: from ``title``; a workspace sets ``[<type>] dokumentnamn`` or ``dokumentnamn_<variant>``.
    document_names: ClassVar[dict[str, str]] = {}
    #: For a type that writes dates in running text (templates: ``|textdatum``): its form, "lang" (26 februari
    #: 2025) or "kort" (26/2), which a workspace may change with ``[<type>] datumform``. None: no such dates.
    date_form: ClassVar[str | None] = None
    #: The web form's layout: ``avsnitt`` [(heading, [field, ...]), ...] in order, ``fler`` the fields behind
    #: "Fler val", ``utan`` {variant: [field, ...]} the fields a variant does not use; fields it does not name follow last. Labels and help come from the schema's ``title``/``description``.
    form_layout: ClassVar[dict] = {}

    @classmethod
    def all_settings(cls) -> list:
        """The type's own settings and one per label."""
        from .config import Setting

        names = [Setting(cls.name, "dokumentnamn", cls.title or cls.name,
                         "The document's own name (dokumentbenämning) in its letterhead, e.g. Regional rapport.")]
        names += [Setting(cls.name, f"dokumentnamn_{v}", cls.document_names.get(v, ""),
                          f"The document's own name for variant {v}; unset, a set dokumentnamn applies.") for v in cls.variants]
        if cls.date_form:
            names.append(Setting(cls.name, "datumform", cls.date_form,
                                 "How the type writes dates in running text: lang (26 februari 2025) or kort (26/2).",
                                 choices=("lang", "kort")))
        return list(cls.settings) + names + [Setting(cls.name, f"rubrik_{key}", text, f'The heading or label "{text}".')
                                             for key, text in cls.labels.items()]

    def label_texts(self) -> dict[str, str]:
        """Every label of the type, as this workspace has set it."""
        return {key: self.setting(self.name, f"rubrik_{key}", text) for key, text in self.labels.items()}

    @classmethod
    def package_files(cls):
        """The folder of the type's package (a Traversable: templates and examples ship there)."""
        module = sys.modules[cls.__module__]
        if getattr(module, "__path__", None) is not None:  # a package: its own data files
            return importlib.resources.files(module)
        return Path(module.__file__).resolve().parent  # a single-module plugin: the folder it lies in

    @classmethod
    def template_names(cls) -> list[str]:
        """Every template file name the type uses (one per variant)."""
        return sorted(set(cls.variants.values())) if cls.variants else [cls.template]

    @classmethod
    def full_schema(cls) -> dict:
        """The JSON Schema of a complete input: the common fields plus this type's own."""
        base = common_schema()
        own = copy.deepcopy(cls.schema)
        base["title"] = f"docgen: {cls.name}"
        common = base["properties"]["dokumenttyp"]
        base["properties"]["dokumenttyp"] = {"const": cls.name, **{k: common[k] for k in ("description", "x-description-en") if k in common}}
        base["properties"].update(own.get("properties", {}))
        base["required"] = sorted(set(base.get("required", [])) | set(own.get("required", [])))
        base["$defs"].update(own.get("$defs", {}))
        if own.get("allOf"):
            base.setdefault("allOf", []).extend(own["allOf"])
        if cls.variants:
            base["properties"]["variant"] = {
                "enum": sorted(cls.variants),
                "description": "Layoutvariant: " + ", ".join(sorted(cls.variants)),
                "x-description-en": "Layout variant: " + ", ".join(sorted(cls.variants)),
            }
        return base

    def __init__(self, config=None):
        #: The workspace configuration (docgen.toml), for types that read their own section of it.
        self.config = config

    def setting(self, section: str, key: str, default=None):
        """A value from this workspace's docgen.toml (a plugin's own section), or the default."""
        if self.config is None:
            return default
        value = self.config.section(section).get(key)
        return default if value is None else value

    def variant_of(self, data: dict) -> str | None:
        """The input's variant (the first one if it names none), or None for a type without variants."""
        return (data.get("variant") or next(iter(self.variants))) if self.variants else None

    def document_name(self, data: dict) -> str:
        """The document's own name as this workspace writes it: ``dokumentnamn_<variant>`` or ``dokumentnamn``
        if docgen.toml sets them, else the variant's own name or the type's title."""
        variant = self.variant_of(data)
        for key in ([f"dokumentnamn_{variant}"] if variant else []) + ["dokumentnamn"]:
            if self.config is not None and self.config.sources.get((self.name, key)) not in (None, "standard"):
                if self.setting(self.name, key):
                    return self.setting(self.name, key)
        return self.document_names.get(variant) or self.title or self.name

    def date_form_of(self) -> str:
        """``lang`` or ``kort``: how this type writes dates in running text in this workspace."""
        return self.setting(self.name, "datumform", self.date_form) if self.date_form else "lang"

    def template_for(self, data: dict) -> str:
        """The template file name for this input (its variant's, if the type has variants)."""
        if self.variants:
            return self.variants[data.get("variant") or next(iter(self.variants))]
        return self.template

    def check(self, data: dict) -> list:
        """Checks beyond the schema; return a list of ``docgen.errors.Problem`` (default: none)."""
        return []

    def context(self, data: dict) -> dict[str, Any]:
        """The template context for a validated input (default: the input itself)."""
        return dict(data)

    def archive_metadata(self, data: dict) -> dict:
        """What an archival package records of this type's own fields.

        ``beslutad``: the date a decision was made (YYYY-MM-DD) or None; ``ansvariga``: the people
        responsible (signatories), as display lines "Namn, titel".
        """
        return {"beslutad": None, "ansvariga": []}

    def example_text(self, variant: str | None = None) -> str:
        """A commented example input (YAML): ``exempel[-<variant>].yaml`` from the type's package."""
        if self.variants:
            variant = variant or next(iter(self.variants))
        name = f"exempel-{variant}.yaml" if variant else "exempel.yaml"
        resource = self.package_files() / name
        if resource.is_file():
            return resource.read_text(encoding="utf-8")
        return self.example

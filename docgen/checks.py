"""The checks of an input before a number is taken, as a list of small functions the way the pipeline is a list of
steps (``steps.check`` runs them). Each takes the ``Checking`` (the input, its type, the document with its
defaults, the problems found so far) and returns the problems it finds; a check of a structured field runs
only when the earlier checks found that field well formed, so every problem is reported once, together.

``INPUT_CHECKS`` need only the input, its type and docgen.toml (``validate`` runs just these);
``WORKSPACE_CHECKS`` also ask the workspace's distribution lists and the diarium.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from . import attachments, decisionchecks, dnr, richtext, schemacheck
from .errors import InputError, Problem, problem, shorten
from .load import LoadedInput, join_path
from .model import Document, Group
from .recipients import expand
from .steps import number

if TYPE_CHECKING:
    from .config import Config
    from .model import Job
    from .plugins import LoadedType, Plugins
    from .steps.base import EngineView


@dataclass
class Checking:
    """One input under check: what the checks read, and what they found so far."""

    loaded: LoadedInput
    type: LoadedType
    doc: Document  # the input's data with its defaults (status, enhet, serie)
    config: Config
    problems: list[Problem] = field(default_factory=list)
    schema_problems: list[Problem] = field(default_factory=list)
    job: Job | None = None  # with the engine: for the workspace checks
    engine: EngineView | None = None
    distribution: list[Group] = field(default_factory=list)  # (the distribution check)

    @property
    def data(self) -> dict:
        """The data as the input gave it (the report names what the sender wrote, not the defaults)."""
        return self.loaded.data

    def well_formed(self, name: str) -> bool:
        """Whether the schema found the field ``name`` well formed (and the input as a whole)."""
        return not _touches(self.schema_problems, name)

    def untouched(self, name: str) -> bool:
        """Whether no check so far found a problem in the field ``name`` (or in the input as a whole)."""
        return not _touches(self.problems, name)

    def run(self, checks: list[Callable[[Checking], list[Problem]]]) -> None:
        for check in checks:
            self.problems.extend(check(self))


def _touches(problems: list[Problem], name: str) -> bool:
    return any(not p.field or p.field == name or p.field.startswith((name + ".", name + "[")) for p in problems)


def schema(c: Checking) -> list[Problem]:
    """The type's JSON Schema."""
    c.schema_problems = schemacheck.problems(c.type, c.loaded)
    return list(c.schema_problems)


def identifiers(c: Checking) -> list[Problem]:
    """What docgen.toml says of the diarienummer, the series and the unit."""
    out: list[Problem] = []
    num = c.config.settings.numrering
    if "diarienummer" in c.data and "serie" in c.data:
        out.append(problem("serie", "ange antingen diarienummer eller serie, inte båda.",
                           "give either diarienummer or serie, not both.",
                           "ta bort serie om dokumentet hör till ett befintligt ärende.",
                           "remove serie if the document belongs to an existing case.", c.loaded.line_of("serie")))
    if isinstance(c.data.get("diarienummer"), str):
        example = num.format.format(serie=num.standardserie, år=2024, nummer=42)
        if not dnr.is_well_formed(c.config, c.data["diarienummer"]):
            out.append(problem("diarienummer", f"{shorten(c.data['diarienummer'])} har inte formen för ett diarienummer.",
                               f"{shorten(c.data['diarienummer'])} is not in the form of a diarienummer.",
                               f"skriv det som {example}.", f"write it as {example}.", c.loaded.line_of("diarienummer")))
    if isinstance(c.data.get("serie"), str) and c.data["serie"] in num.externa_serier:
        example = num.format.format(serie=c.data["serie"], år=2024, nummer=5699)
        out.append(problem("serie", f"serien {shorten(c.data['serie'])} tilldelas av ett annat system (diariet), inte av docgen.",
                           f"numbers of the series {shorten(c.data['serie'])} are allocated by another system (the records "
                           "system), not by docgen.",
                           f"ta bort serie och ange ärendets diarienummer från diariet, t.ex. `diarienummer: {example}`.",
                           f"remove serie and give the case's diarienummer from the records system, e.g. "
                           f"`diarienummer: {example}`.", c.loaded.line_of("serie")))
    elif isinstance(c.data.get("serie"), str) and c.data["serie"] not in num.serier:
        known = ", ".join(num.serier)
        out.append(problem("serie", f"serien {shorten(c.data['serie'])} finns inte.", f"the series {shorten(c.data['serie'])} does not exist.",
                           f"använd en av: {known}.", f"use one of: {known}.", c.loaded.line_of("serie")))
    if isinstance(c.data.get("enhet"), str) and c.data["enhet"] not in c.config.units:
        known = ", ".join(c.config.units)
        out.append(problem("enhet", f"enheten {shorten(c.data['enhet'])} finns inte i docgen.toml.",
                           f"the unit {shorten(c.data['enhet'])} is not in docgen.toml.",
                           f"använd en av: {known}.", f"use one of: {known}.", c.loaded.line_of("enhet")))
    return out


def attachment_files(c: Checking) -> list[Problem]:
    """The attachments named are there, beside the input, of a kind docgen can append."""
    return attachments.check_references(c.data, c.loaded.base_dir, c.loaded.line_of) if c.well_formed("bilagor") else []


def _text_fields(schema: dict, defs: dict, value, path: str, out: list, depth: int = 0) -> None:
    """The free-text (Markdown) values of an input: fields whose schema is ``$defs/text``."""
    if depth > 30 or not isinstance(schema, dict):
        return
    ref = schema.get("$ref", "")
    if ref == "#/$defs/text":
        if isinstance(value, str):
            out.append((path, value))
        return
    if ref.startswith("#/$defs/"):
        schema = {**defs.get(ref.rsplit("/", 1)[1], {}), **{k: v for k, v in schema.items() if k != "$ref"}}
    if isinstance(value, dict):
        for key, sub in (schema.get("properties") or {}).items():
            if key in value:
                _text_fields(sub, defs, value[key], join_path(path, key), out, depth + 1)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            _text_fields(schema["items"], defs, item, join_path(path, i), out, depth + 1)


def _text_line(raw_lines: list[str], start: int, block: bool, text: str, n: int) -> int:
    """The file line of line ``n`` of a free text whose field starts on line ``start``: a block scalar's
    text (``text: |``) starts on the line after its key; a quoted or plain one folds its lines, so it
    is looked for."""
    guess = start + n - (0 if block else 1)
    lines = re.sub(r"\r\n?", "\n", str(text)).split("\n")
    wanted = lines[n - 1].strip() if 0 < n <= len(lines) else ""
    if not wanted or (0 < guess <= len(raw_lines) and raw_lines[guess - 1].strip() == wanted):
        return guess
    for i in range(start, len(raw_lines) + 1):
        if wanted in raw_lines[i - 1]:
            return i
    return guess



def _text_checks(dtype: LoadedType, data: dict, loaded: LoadedInput) -> list[Problem]:
    """Free text the Markdown writer cannot render as written (e.g. a ragged table), with field and line."""
    check = getattr(richtext, "check", None)
    if check is None:
        return []
    schema = schemacheck.validator(dtype.cls).schema  # built once per type; full_schema() deep-copies
    fields: list[tuple[str, str]] = []
    _text_fields(schema, schema.get("$defs", {}), data, "", fields)
    out = []
    raw_lines = loaded.raw.decode("utf-8", "replace").splitlines() if loaded.raw else []
    for path, text in fields:
        start = loaded.line_of(path)
        block = bool(start and start <= len(raw_lines) and re.search(r":\s*[|>][-+0-9]*\s*(#.*)?$", raw_lines[start - 1]))
        for tp in check(text):
            line = _text_line(raw_lines, start, block, text, tp.line) if start else None
            out.append(problem(path, tp.sv, tp.en, tp.fix_sv, tp.fix_en, line))
    return out


def free_text(c: Checking) -> list[Problem]:
    """Free text (Markdown) the writer cannot render as written, e.g. a ragged table, with field and line."""
    return _text_checks(c.type, c.data, c.loaded)


def recipients(c: Checking) -> list[Problem]:
    """Each recipient names exactly one of namn, lista or part, and a part the type has."""
    if not c.well_formed("skickas_till"):
        return []
    out: list[Problem] = []
    for gi, group in enumerate(c.data.get("skickas_till") or []):
        if not isinstance(group, dict):
            continue
        for ri, rec in enumerate(group.get("mottagare") or []):
            if not isinstance(rec, dict):
                continue
            path = join_path(join_path(join_path(join_path("", "skickas_till"), gi), "mottagare"), ri)
            kinds = [k for k in ("namn", "lista", "part") if k in rec]
            party = next(iter(c.type.cls.parties), "PART")
            if len(kinds) != 1:
                out.append(problem(path, "en mottagare ska ha precis ett av namn, lista eller part.",
                                   "a recipient must have exactly one of namn, lista or part.",
                                   f"skriv t.ex. `- namn: Anna Berg` eller `- lista: ledningsgruppen` eller `- part: {party}`.",
                                   f"write e.g. `- namn: Anna Berg` or `- lista: ledningsgruppen` or `- part: {party}`.",
                                   c.loaded.line_of(path)))
            elif kinds == ["part"] and rec["part"] not in c.type.cls.parties:
                known = ", ".join(sorted(c.type.cls.parties)) or "(inga)"
                out.append(problem(join_path(path, "part"), f"dokumenttypen har ingen part {shorten(rec['part'])}.",
                                   f"the document type has no party {shorten(rec['part'])}.",
                                   f"använd en av: {known}.", f"use one of: {known}.", c.loaded.line_of(join_path(path, "part"))))
    return out


def type_rules(c: Checking) -> list[Problem]:
    """The type's own checks (``DocumentType.check``), when the schema accepted the input (they rely on its shape)."""
    return c.type.instance.check(c.data) if not c.schema_problems else []


def distribution(c: Checking) -> list[Problem]:
    """The distribution expanded against the named lists: an unknown or broken list refuses the input."""
    if not c.untouched("skickas_till"):
        return []
    try:
        c.distribution = expand(c.doc, c.engine.lists)
    except InputError as exc:
        return exc.problems
    return []


def diarium(c: Checking) -> list[Problem]:
    """What the diarium can refuse without a number being taken: an unknown or voided case; a duplicate raises
    ``DuplicateInput`` (a document that keeps its number, a regeneration, is not asked)."""
    if c.job.reservation is not None or not c.untouched("diarienummer"):
        return []
    try:
        number.precheck(c.engine.store, c.doc, c.config)
    except InputError as exc:
        return exc.problems
    return []


INPUT_CHECKS = [schema, identifiers, attachment_files, free_text, recipients, type_rules, decisionchecks.required]
WORKSPACE_CHECKS = [distribution, decisionchecks.known, diarium]


def ordered(problems: list[Problem], loaded: LoadedInput) -> list[Problem]:
    """Problems without repeats, in the order of the file's lines."""
    unique: dict[tuple, Problem] = {}
    for p in problems:
        if p.line is None:
            p.line = loaded.line_of(p.field)
        unique.setdefault((p.field, p.sv), p)
    return sorted(unique.values(), key=lambda p: (p.line is None, p.line or 0, p.field))



def start(loaded: LoadedInput, plugins: Plugins, config: Config) -> Checking:
    """The input's type and its data with defaults filled in; InputError when the type is missing or unknown
    (then nothing else can be checked)."""
    data = loaded.data
    known = ", ".join(plugins.types) or "(inga)"
    name = data.get("dokumenttyp")
    if name is None:
        raise InputError(loaded.source, [problem(
            "dokumenttyp", "fältet dokumenttyp saknas, så typen av dokument är okänd.",
            "the field dokumenttyp is missing, so the kind of document is unknown.",
            f"lägg till `dokumenttyp:` med en av: {known}.", f"add `dokumenttyp:` with one of: {known}.", 1)])
    dtype = plugins.get(name) if isinstance(name, str) else None
    if dtype is None:
        close = difflib.get_close_matches(str(name), list(plugins.types), n=1, cutoff=0.5)
        hint = f"menade du `{close[0]}`? " if close else ""
        hint_en = f"did you mean `{close[0]}`? " if close else ""
        raise InputError(loaded.source, [problem(
            "dokumenttyp", f"okänd dokumenttyp {shorten(name)}.", f"unknown document type {shorten(name)}.",
            f"{hint}Kända typer: {known}.", f"{hint_en}Known types: {known}.", loaded.line_of("dokumenttyp"))])
    filled = dict(data)
    filled.setdefault("status", "slutlig")
    filled.setdefault("enhet", config.units[0])
    if "diarienummer" not in filled:
        filled.setdefault("serie", config.settings.numrering.standardserie)
    return Checking(loaded, dtype, Document(source=loaded.source, data=filled, type=dtype, loaded=loaded), config)


def validate(loaded: LoadedInput, plugins: Plugins, config: Config) -> Document:
    """Check an input by itself (``INPUT_CHECKS``); return the Document, or raise InputError with every problem found."""
    c = start(loaded, plugins, config)
    c.run(INPUT_CHECKS)
    if c.problems:
        raise InputError(loaded.source, ordered(c.problems, loaded))
    return c.doc

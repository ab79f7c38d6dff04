"""Step: validate. Everything that can refuse an input before a number is taken.

The input's document type and its JSON Schema, the checks a schema cannot express (docgen.toml,
attachments, free text), the distribution (named lists, parties), the diarium (an unknown case, a
duplicate), and the document itself: it is rendered here, with a placeholder for its number, so a
template that cannot render it costs no number (the render step fills the number in). Every
problem of a file is collected and reported together, each naming the field, the line (YAML),
what is wrong and how to fix it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import difflib
import re
import time
from functools import lru_cache

from datetime import date

from jsonschema import Draft202012Validator, FormatChecker

from .. import attachments, dnr, richtext
from ..addresses import email_address
from ..errors import InputError, Problem, problem, shorten
from ..load import LoadedInput, join_path
from ..model import Document, Job
from ..plugins import LoadedType, Plugins
from ..recipients import expand
from . import number

if TYPE_CHECKING:
    from ..config import Config

TYPE_NAMES = {
    "string": ("text", "text"),
    "array": ("en lista (rader som börjar med -)", "a list (lines starting with -)"),
    "object": ("fält (namn: värde)", "fields (name: value)"),
    "integer": ("ett heltal", "a whole number"),
    "number": ("ett tal", "a number"),
    "boolean": ("true eller false", "true or false"),
    "null": ("tomt", "empty"),
}


FORMATS = FormatChecker()


@FORMATS.checks("email")
def _is_email(value) -> bool:
    return not isinstance(value, str) or email_address(value) is not None


@FORMATS.checks("date")
def _is_date(value) -> bool:
    """YYYY-MM-DD in ASCII digits, a real day, years 1900-2100 (what a document can carry)."""
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return False
    try:
        return 1900 <= date.fromisoformat(value).year <= 2100
    except ValueError:
        return False


@lru_cache(maxsize=None)
def _validator(cls) -> Draft202012Validator:
    schema = cls.full_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FORMATS)


def description(schema: dict, lang: str) -> str:
    """A schema's description in one language: ``description`` is Swedish, ``x-description-en`` English. A schema
    with only one of them is quoted only in that language's message, never in the other's."""
    return (schema.get("description", "") if lang == "sv" else schema.get("x-description-en", "")) or ""


def _describe(schema: dict, name: str, lang: str) -> str:
    desc = description(schema.get("properties", {}).get(name) or {}, lang)
    return f" ({desc})" if desc else ""


def _translate(err, loaded: LoadedInput) -> list[Problem]:
    """Turn one jsonschema error into people's words."""
    path = ""
    for part in err.absolute_path:
        path = join_path(path, part)
    line = loaded.line_of(path)
    v, val, inst = err.validator, err.validator_value, err.instance
    if v == "pattern" and "format" in err.schema and not FORMATS.conforms(inst, err.schema["format"]):
        return []  # the format's message says it: one problem, not two
    if v in ("oneOf", "not"):
        return []  # the engine checks say these in words (exactly one of namn/lista/part; diarienummer or serie)
    if v == "required":
        out = []
        for name in val:
            if isinstance(inst, dict) and name not in inst:
                sub = join_path(path, name)
                out.append(problem(sub, "obligatoriskt fält saknas.", "required field is missing.",
                                   f"lägg till `{name}:`{_describe(err.schema, name, 'sv')}.",
                                   f"add `{name}:`{_describe(err.schema, name, 'en')}.", line))
        return out
    if v == "additionalProperties":
        allowed = sorted(err.schema.get("properties", {}))
        out = []
        for name in inst:
            if name in allowed:
                continue
            sub = join_path(path, name)
            close = difflib.get_close_matches(str(name), allowed, n=1, cutoff=0.6)
            if close:
                fix_sv, fix_en = f"menade du `{close[0]}`?", f"did you mean `{close[0]}`?"
            else:
                fix_sv = fix_en = ", ".join(allowed)
                fix_sv, fix_en = f"tillåtna fält här: {fix_sv}.", f"fields allowed here: {fix_en}."
            out.append(problem(sub, "okänt fält.", "unknown field.", fix_sv, fix_en, loaded.line_of(sub) or line))
        return out
    if v == "type":
        want = val if isinstance(val, list) else [val]
        sv = " eller ".join(TYPE_NAMES.get(t, (t, t))[0] for t in want)
        en = " or ".join(TYPE_NAMES.get(t, (t, t))[1] for t in want)
        if "string" in want and isinstance(inst, dict) and len(inst) == 1:  # `- text: …` where a plain text belongs
            key = next(iter(inst))
            fix_sv = f"skriv texten direkt, utan `{key}:` (t.ex. `- Texten här`)."
            fix_en = f"write the text itself, without `{key}:` (e.g. `- The text here`)."
        elif "string" in want:
            fix_sv = "sätt texten inom citattecken om den ser ut som ett tal eller datum."
            fix_en = "put the text in quotes if it looks like a number or a date."
        else:
            fix_sv, fix_en = "ändra värdet.", "change the value."
        return [problem(path, f"ska vara {sv}, inte {shorten(inst)}.", f"must be {en}, not {shorten(inst)}.", fix_sv, fix_en, line)]
    if v in ("enum", "const"):
        options = val if v == "enum" else [val]
        listed = ", ".join(str(o) for o in options)
        return [problem(path, f"värdet {shorten(inst)} är inte tillåtet.", f"the value {shorten(inst)} is not allowed.",
                        f"använd ett av: {listed}.", f"use one of: {listed}.", line)]
    if v == "format":
        if val == "date":
            return [problem(path, f"{shorten(inst)} är inget giltigt datum.", f"{shorten(inst)} is not a valid date.",
                            "skriv datumet som ÅÅÅÅ-MM-DD med ett år mellan 1900 och 2100, t.ex. 2024-03-05.",
                            "write the date as YYYY-MM-DD with a year from 1900 to 2100, e.g. 2024-03-05.", line)]
        if val == "email":
            return [problem(path, f"{shorten(inst)} är ingen giltig e-postadress.", f"{shorten(inst)} is not a valid e-mail address.",
                            "skriv adressen som namn@exempel.se (delen före @ med a-z, 0-9 och . _ -).",
                            "write the address as name@example.se (the part before @ in a-z, 0-9 and . _ -).", line)]
        if val == "uri":
            return [problem(path, f"{shorten(inst)} är ingen giltig länk.", f"{shorten(inst)} is not a valid link.",
                            "skriv hela adressen, t.ex. https://exempel.se/sida.", "write the full address, e.g. https://example.se/page.", line)]
    if v == "minLength":
        if val <= 1:
            return [problem(path, "får inte vara tomt.", "must not be empty.", "fyll i en text.", "fill in a text.", line)]
        return [problem(path, f"för kort (minst {val} tecken).", f"too short (at least {val} characters).", "", "", line)]
    if v == "maxLength":
        return [problem(path, f"för lång: {len(inst)} tecken (högst {val}).", f"too long: {len(inst)} characters (at most {val}).",
                        "korta texten.", "shorten the text.", line)]
    if v == "minItems":
        return [problem(path, f"listan behöver minst {val} rad(er).", f"the list needs at least {val} item(s).",
                        "lägg till en rad som börjar med -.", "add an item starting with -.", line)]
    if v == "maxItems":
        return [problem(path, f"listan får ha högst {val} rader.", f"the list may have at most {val} items.", "", "", line)]
    if v == "pattern":
        return [problem(path, f"{shorten(inst)} har fel form.", f"{shorten(inst)} has the wrong form.",
                        description(err.schema, "sv") or f"mönster: {val}", description(err.schema, "en") or f"pattern: {val}",
                        line)]
    if v in ("minimum", "maximum"):
        word = ("minst", "at least") if v == "minimum" else ("högst", "at most")
        return [problem(path, f"ska vara {word[0]} {val}.", f"must be {word[1]} {val}.", "", "", line)]
    return [problem(path, shorten(err.message, 200), shorten(err.message, 200), "", "", line)]


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
    schema = _validator(dtype.cls).schema  # built once per type; full_schema() deep-copies
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


def _engine_checks(data: dict, dtype: LoadedType, config: Config, loaded: LoadedInput, schema_problems: list[Problem]) -> list[Problem]:
    """Checks every type shares that a schema cannot express (they depend on docgen.toml and the files).

    Checks of a structured field (bilagor, skickas_till) run only when the schema found that field well formed.
    """
    out: list[Problem] = []

    def well_formed(name: str) -> bool:
        return not any(p.field == name or p.field.startswith((name + ".", name + "[")) or not p.field
                       for p in schema_problems)

    num = config.numbering
    if "diarienummer" in data and "serie" in data:
        out.append(problem("serie", "ange antingen diarienummer eller serie, inte båda.",
                           "give either diarienummer or serie, not both.",
                           "ta bort serie om dokumentet hör till ett befintligt ärende.",
                           "remove serie if the document belongs to an existing case.", loaded.line_of("serie")))
    if isinstance(data.get("diarienummer"), str):
        example = num["format"].format(serie=num["standardserie"], år=2024, nummer=42)
        if not dnr.is_well_formed(config, data["diarienummer"]):
            out.append(problem("diarienummer", f"{shorten(data['diarienummer'])} har inte formen för ett diarienummer.",
                               f"{shorten(data['diarienummer'])} is not in the form of a diarienummer.",
                               f"skriv det som {example}.", f"write it as {example}.", loaded.line_of("diarienummer")))
    if isinstance(data.get("serie"), str) and data["serie"] in num["externa_serier"]:
        example = num["format"].format(serie=data["serie"], år=2024, nummer=5699)
        out.append(problem("serie", f"serien {shorten(data['serie'])} tilldelas av ett annat system (diariet), inte av docgen.",
                           f"numbers of the series {shorten(data['serie'])} are allocated by another system (the records "
                           "system), not by docgen.",
                           f"ta bort serie och ange ärendets diarienummer från diariet, t.ex. `diarienummer: {example}`.",
                           f"remove serie and give the case's diarienummer from the records system, e.g. "
                           f"`diarienummer: {example}`.", loaded.line_of("serie")))
    elif isinstance(data.get("serie"), str) and data["serie"] not in num["serier"]:
        known = ", ".join(num["serier"])
        out.append(problem("serie", f"serien {shorten(data['serie'])} finns inte.", f"the series {shorten(data['serie'])} does not exist.",
                           f"använd en av: {known}.", f"use one of: {known}.", loaded.line_of("serie")))
    if isinstance(data.get("enhet"), str) and data["enhet"] not in config.units:
        known = ", ".join(config.units)
        out.append(problem("enhet", f"enheten {shorten(data['enhet'])} finns inte i docgen.toml.",
                           f"the unit {shorten(data['enhet'])} is not in docgen.toml.",
                           f"använd en av: {known}.", f"use one of: {known}.", loaded.line_of("enhet")))
    if well_formed("bilagor"):
        out.extend(attachments.check_references(data, loaded.base_dir, loaded.line_of))
    out.extend(_text_checks(dtype, data, loaded))
    if not well_formed("skickas_till"):
        return out
    for gi, group in enumerate(data.get("skickas_till") or []):
        if not isinstance(group, dict):
            continue
        for ri, rec in enumerate(group.get("mottagare") or []):
            if not isinstance(rec, dict):
                continue
            path = join_path(join_path(join_path(join_path("", "skickas_till"), gi), "mottagare"), ri)
            kinds = [k for k in ("namn", "lista", "part") if k in rec]
            party = next(iter(dtype.cls.parties), "PART")
            if len(kinds) != 1:
                out.append(problem(path, "en mottagare ska ha precis ett av namn, lista eller part.",
                                   "a recipient must have exactly one of namn, lista or part.",
                                   f"skriv t.ex. `- namn: Anna Berg` eller `- lista: ledningsgruppen` eller `- part: {party}`.",
                                   f"write e.g. `- namn: Anna Berg` or `- lista: ledningsgruppen` or `- part: {party}`.",
                                   loaded.line_of(path)))
            elif kinds == ["part"] and rec["part"] not in dtype.cls.parties:
                known = ", ".join(sorted(dtype.cls.parties)) or "(inga)"
                out.append(problem(join_path(path, "part"), f"dokumenttypen har ingen part {shorten(rec['part'])}.",
                                   f"the document type has no party {shorten(rec['part'])}.",
                                   f"använd en av: {known}.", f"use one of: {known}.", loaded.line_of(join_path(path, "part"))))
    return out


def _order(problems: list[Problem], loaded: LoadedInput) -> list[Problem]:
    """Problems without repeats, in the order of the file's lines."""
    unique: dict[tuple, Problem] = {}
    for p in problems:
        if p.line is None:
            p.line = loaded.line_of(p.field)
        unique.setdefault((p.field, p.sv), p)
    return sorted(unique.values(), key=lambda p: (p.line is None, p.line or 0, p.field))


def collect(loaded: LoadedInput, plugins: Plugins, config: Config) -> tuple[Document | None, list[Problem]]:
    """Check an input: the Document (None when its type is unknown) and every problem found.

    The type's own checks run when the schema accepted the input (they may rely on its shape)."""
    data = loaded.data
    known = ", ".join(plugins.types) or "(inga)"
    name = data.get("dokumenttyp")
    if name is None:
        return None, [problem(
            "dokumenttyp", "fältet dokumenttyp saknas, så typen av dokument är okänd.",
            "the field dokumenttyp is missing, so the kind of document is unknown.",
            f"lägg till `dokumenttyp:` med en av: {known}.", f"add `dokumenttyp:` with one of: {known}.", 1)]
    dtype = plugins.get(name) if isinstance(name, str) else None
    if dtype is None:
        close = difflib.get_close_matches(str(name), list(plugins.types), n=1, cutoff=0.5)
        hint = f"menade du `{close[0]}`? " if close else ""
        hint_en = f"did you mean `{close[0]}`? " if close else ""
        return None, [problem(
            "dokumenttyp", f"okänd dokumenttyp {shorten(name)}.", f"unknown document type {shorten(name)}.",
            f"{hint}Kända typer: {known}.", f"{hint_en}Known types: {known}.", loaded.line_of("dokumenttyp"))]
    problems: list[Problem] = []
    for err in sorted(_validator(dtype.cls).iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        problems.extend(_translate(err, loaded))
    schema_ok = not problems
    problems.extend(_engine_checks(data, dtype, config, loaded, list(problems)))
    if schema_ok:
        problems.extend(dtype.instance.check(data))
    filled = dict(data)
    filled.setdefault("status", "slutlig")
    filled.setdefault("enhet", config.units[0])
    if "diarienummer" not in filled:
        filled.setdefault("serie", config.numbering["standardserie"])
    return Document(source=loaded.source, data=filled, type=dtype, loaded=loaded), _order(problems, loaded)


def validate(loaded: LoadedInput, plugins: Plugins, config: Config) -> Document:
    """Check an input; return the Document, or raise InputError with every problem found."""
    doc, problems = collect(loaded, plugins, config)
    if problems:
        raise InputError(loaded.source, problems)
    return doc


def _touches(problems: list[Problem], name: str) -> bool:
    return any(not p.field or p.field == name or p.field.startswith((name + ".", name + "[")) for p in problems)


def run(job: Job, engine) -> Job:
    """Validate the loaded input, expand its distribution, ask the diarium, and render the document once.

    Every problem is reported at once: the schema's, the engine's, the distribution's (an unknown list) and
    the diarium's (an unknown case), as far as each part of the input is well formed."""
    t = time.perf_counter()
    doc, problems = collect(job.loaded, engine.plugins, engine.config)
    if doc is None:
        raise InputError(job.loaded.source, problems)
    o = job.outcome
    if not problems:
        o.dokumenttyp, o.rubrik, o.draft = doc.type.name, doc.data["rubrik"], doc.is_draft
        o.datum, o.enhet = doc.data["datum"], doc.data.get("enhet")
    distribution = []
    if not _touches(problems, "skickas_till"):
        try:
            distribution = expand(doc, engine.lists)
        except InputError as exc:
            problems.extend(exc.problems)
    if job.reservation is None and not _touches(problems, "diarienummer"):
        try:
            number.precheck(engine.store, doc, engine.config)
        except InputError as exc:
            if not problems:
                raise
            problems.extend(exc.problems)
    if problems:
        raise InputError(job.loaded.source, _order(problems, job.loaded))
    job.doc, job.distribution = doc, distribution
    o.timings["validate"] = round((time.perf_counter() - t) * 1000, 1)
    t = time.perf_counter()
    job.rendered = engine.renderer.render(doc, job.distribution, {"bilagor": attachments.listing(doc.data)})
    o.timings["render"] = round((time.perf_counter() - t) * 1000, 1)
    return job

"""The JSON Schema check of an input, in people's words: every jsonschema error becomes a Problem naming the
field, the line (YAML), what is wrong and how to fix it, in Swedish and English. The formats a document
carries (``date``: a real day of 1900-2100, ``email``: what SMTP carries) are checked here too."""
from __future__ import annotations

import difflib
import re
from datetime import date
from functools import lru_cache

from jsonschema import Draft202012Validator, FormatChecker

from .addresses import email_address
from .errors import Problem, problem, shorten
from .load import LoadedInput, join_path
from .plugins import full_schema

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
def validator(cls) -> Draft202012Validator:
    schema = full_schema(cls)
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


def problems(dtype, loaded: LoadedInput) -> list[Problem]:
    """What the type's schema finds wrong with the input, in people's words (in the order of the fields)."""
    out: list[Problem] = []
    for err in sorted(validator(dtype.cls).iter_errors(loaded.data), key=lambda e: [str(p) for p in e.absolute_path]):
        out.extend(_translate(err, loaded))
    return out

"""What is wrong with a form's input, per field, in officer Swedish: the schema's own errors in the field's words,
the engine's problems on the fields they name, and each message placed on the nearest field drawn."""
from __future__ import annotations

import re
from dataclasses import dataclass

from jsonschema import Draft202012Validator

from .formfields import kind, node_at, row_title, title_of


@dataclass
class FieldError:
    path: tuple
    text: str


def parse_path(text: str) -> tuple:
    """A problem's field (``skickas_till[1].mottagare[2].epost``, positions from 1) as a form path."""
    out: list = []
    for part in re.split(r"\.(?![^\[]*\])", text or ""):
        m = re.fullmatch(r"(.*?)((?:\[\d+\])*)", part)
        if m.group(1):
            out.append(m.group(1))
        out += [int(n) - 1 for n in re.findall(r"\[(\d+)\]", m.group(2))]
    return tuple(out)


def _officer_text(schema: dict, err) -> list[FieldError]:
    """GOV.UK-style messages for what the schema says is wrong, in the field's own words."""
    path = tuple(err.absolute_path)
    here = node_at(schema, path) or {}
    name = title_of(here, path[-1] if path else "")
    if err.validator == "required":
        out = []
        for key in err.validator_value:
            if isinstance(err.instance, dict) and key not in err.instance:
                out += _missing((here.get("properties") or {}).get(key, {}), key, path + (key,))
        return out
    if err.validator == "oneOf" and kind(here) == "recipient":
        return [FieldError(path, "Fyll i mottagarens namn, eller välj en sändlista eller en part.")]
    k = kind(here)
    if err.validator in ("pattern", "format"):
        text = {"date": f"{name} ska vara ett datum, till exempel 2026-04-02.",
                "month": f"{name} ska vara en månad, till exempel 2026-04.",
                "datetime": f"{name} ska vara en dag och en tid, till exempel 2026-04-02 14:30.",
                "email": f"{name} ska vara en e-postadress, till exempel namn@exempel.se."}.get(k)
        if text is None and "https?" in str(here.get("pattern", "")):
            text = f"{name} ska vara en webbadress som börjar med https://."
        return [FieldError(path, text or f"{name} har fel form.")]
    if err.validator == "minLength":
        return [FieldError(path, f"Fyll i {name.lower()}.")]
    if err.validator == "maxLength":
        return [FieldError(path, f"{name} får ha högst {err.validator_value} tecken (nu {len(err.instance)}).")]
    if err.validator == "minItems":
        return _missing(here, path[-1] if path else "", path)
    if err.validator == "type" and k == "number":
        return [FieldError(path, f"{name} ska vara ett tal.")]
    if err.validator in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        word = {"minimum": "minst", "exclusiveMinimum": "mer än", "maximum": "högst", "exclusiveMaximum": "mindre än"}
        return [FieldError(path, f"{name} ska vara {word[err.validator]} {err.validator_value}.")]
    if err.validator == "enum":
        return [FieldError(path, f"Välj ett av alternativen för {name.lower()}.")]
    return []


def _missing(s: dict, key, path: tuple) -> list[FieldError]:
    """What to say of a required field left empty, on the first input the officer should fill in."""
    k = kind(s)
    if k == "array":  # on the first row's first required field: "Fyll i namn för undertecknare 1."
        items = s.get("items", {})
        row = f"{row_title(s, key).lower()} 1"
        req = (items.get("required") or list(items.get("properties", {}))[:1]) if kind(items) == "object" else []
        if req:
            sub = items["properties"].get(req[0], {})
            return [FieldError(path + (0, req[0]), f"Fyll i {_lower(title_of(sub, req[0]))} för {row}.")]
        return [FieldError(path + (0,), f"{'Välj' if kind(items) == 'select' else 'Fyll i'} {row}.")]
    if k == "object":
        return [fe for sub in s.get("required", []) for fe in _missing(s["properties"].get(sub, {}), sub, path + (sub,))]
    verb = "Välj" if k in ("select", "bool") else "Fyll i"
    return [FieldError(path, f"{verb} {_lower(title_of(s, key))}.")]


def _lower(title: str) -> str:
    return title[:1].lower() + title[1:]


def schema_errors(schema: dict, data: dict) -> list[FieldError]:
    """What the form's schema finds wrong with the input, one officer message per field."""
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    out: dict[tuple, FieldError] = {}
    for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        for fe in _officer_text(schema, err):
            out.setdefault(fe.path, fe)
    return list(out.values())


def plain(text: str) -> str:
    """An engine message for the page: no code quotes; starts with a capital."""
    text = text.replace("`", "").strip()
    return text[:1].upper() + text[1:]


def merge(own: list[FieldError], problems: list[dict]) -> list[FieldError]:
    """The form's own messages, then each engine problem on a field that has none yet."""
    out = {fe.path: fe for fe in own}
    for p in problems:
        path = parse_path(p.get("field", ""))
        if any(path[:len(q)] == q or q[:len(path)] == path for q in out) and path:
            continue
        text = plain(p.get("sv", "")) + (" " + plain(p["fix_sv"]) if p.get("fix_sv") else "")
        out.setdefault(path, FieldError(path, text))
    return list(out.values())


def place_errors(errors: list[FieldError], drawn: dict) -> list[tuple[tuple, str]]:
    """Each error on the nearest drawn field of its path (the form root when none is drawn), in page order."""
    out = []
    for fe in errors:
        path = fe.path
        while path and path not in drawn:
            path = path[:-1]
        out.append((path, fe.text))
    order = {p: i for i, p in enumerate(drawn)}
    return sorted(out, key=lambda e: order.get(e[0], -1))

"""What the loaders share: limits, field paths, which values JSON can hold, and the errors they raise.

Used by :mod:`docgen.load` (files and JSON), :mod:`docgen.nesting` (the pre-scan) and
:mod:`docgen.yamlparse` (the YAML composer); it imports none of them.
"""
from __future__ import annotations

import math
import unicodedata

from .errors import InputError, Problem, problem, shorten

#: Nesting deeper than this is refused whatever ``max_djup`` says.
HARD_MAX_DEPTH = 200
#: Longest field name (key); a longer one is almost surely text put on the wrong side of the colon.
MAX_KEY_LENGTH = 200
#: Python cannot turn longer integers into text (sys.get_int_max_str_digits), so JSON cannot hold them.
MAX_INT_DIGITS = 4300
#: Problems reported from one file at most (the rest are usually the same mistake repeated).
MAX_PROBLEMS = 20


def join_path(base: str, key: str | int) -> str:
    """Field paths as people read them: ``skickas_till[1].mottagare[2].epost`` (list positions count from 1)."""
    if isinstance(key, int):
        return f"{base}[{key + 1}]"
    return f"{base}.{key}" if base else str(key)


def fail(source: str, *problems: Problem) -> InputError:
    return InputError(source, list(problems))


def too_deep(source: str, limit: int, line: int | None) -> InputError:
    return fail(source, problem(
        "", f"för djup nästling: fler än {limit} nivåer i varandra (högst {limit}).",
        f"nesting too deep: more than {limit} levels inside each other (at most {limit}).",
        "platta till strukturen (färre listor och fält i varandra).",
        "flatten the structure (fewer lists and fields inside each other).", line))


def depth_limit(limits: dict) -> int:
    return min(int(limits["max_djup"]), HARD_MAX_DEPTH)


class LongNumber(str):
    """A JSON integer too long for Python to read; reported with its field by ``docgen.load``."""


def number_too_long(text: str = "") -> tuple[str, str, str, str]:
    quoted = f" {shorten(text)}" if text else ""
    return (f"talet{quoted} är för långt (över {MAX_INT_DIGITS} siffror).",
            f"the number{quoted} is too long (more than {MAX_INT_DIGITS} digits).",
            "skriv det som text inom citattecken.", "write it as text in quotes.")


def unprintable_key(key: str) -> tuple[str, str, str, str] | None:
    """Why a field name cannot be printed or stored (a lone surrogate, a control, format or private-use
    character: Unicode category C*), or None."""
    for ch in key:
        if unicodedata.category(ch).startswith("C"):
            code = f"U+{ord(ch):04X}"
            return (f"fältnamnet {shorten(key)} innehåller ett tecken som inte kan skrivas ut ({code}).",
                    f"the field name {shorten(key)} holds a character that cannot be printed ({code}).",
                    "skriv fältnamnet med vanliga bokstäver, t.ex. rubrik.",
                    "write the field name in ordinary letters, e.g. rubrik.")
    return None


def bad_value(value) -> tuple[str, str, str, str] | None:
    """Why a loaded value cannot be stored as JSON, or None."""
    if isinstance(value, LongNumber):
        return number_too_long(value)
    if value is None or isinstance(value, (str, bool, dict, list)):
        return None
    if isinstance(value, int):
        if value.bit_length() > 3 * MAX_INT_DIGITS:
            try:
                str(value)
            except ValueError:
                return number_too_long()
        return None
    if isinstance(value, float):
        if math.isfinite(value):
            return None
        return ("talet är oändligt eller inget tal (inf/nan) och kan inte lagras.",
                "the number is infinite or not a number (inf/nan) and cannot be stored.",
                "skriv ett vanligt tal, eller text inom citattecken.", "write an ordinary number, or text in quotes.")
    name = type(value).__name__
    return (f"värdet har en typ som inte kan lagras ({name}).", f"the value has a type that cannot be stored ({name}).",
            "skriv värdet som text, tal, lista eller fält.", "write the value as text, number, list or fields.")

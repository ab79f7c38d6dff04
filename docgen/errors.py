"""Errors docgen reports to people: each says where, what is wrong and how to fix it (Swedish, then English)."""
from __future__ import annotations

from dataclasses import asdict, dataclass


class DocgenError(Exception):
    """Base class of every error docgen reports without a traceback."""


class ConfigError(DocgenError):
    """docgen.toml (or another workspace file) is wrong."""


class PluginError(DocgenError):
    """A plugin could not be loaded, or two plugins claim the same document type."""


class RegistryError(DocgenError):
    """The diarium refused an operation (unknown case, bad number, archived document...)."""


class ConversionError(DocgenError):
    """LibreOffice could not turn a DOCX into PDF/A."""


#: Longest text of one part of a Problem (what is wrong, how to fix it, each language); longer is cut with "…".
MAX_TEXT = 300
#: Longest field path kept in a Problem; longer is cut in the middle with "…".
MAX_FIELD = 200


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _clip_middle(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    half = (limit - 1) // 2
    return text[:half] + "…" + text[len(text) - (limit - 1 - half):]


@dataclass
class Problem:
    """One thing wrong with an input: the field (dotted path), the line (YAML), and bilingual text."""

    field: str
    sv: str
    en: str
    fix_sv: str = ""
    fix_en: str = ""
    line: int | None = None

    def __post_init__(self) -> None:
        # Hard ceiling: a hostile value quoted in a message must not make the message huge.
        self.field = _clip_middle(self.field, MAX_FIELD)
        self.sv, self.en = _clip(self.sv, MAX_TEXT), _clip(self.en, MAX_TEXT)
        self.fix_sv, self.fix_en = _clip(self.fix_sv, MAX_TEXT), _clip(self.fix_en, MAX_TEXT)

    def where(self, lang: str = "sv") -> str:
        parts = []
        if self.line:
            parts.append(("rad " if lang == "sv" else "line ") + str(self.line))
        if self.field:
            parts.append(("fält " if lang == "sv" else "field ") + self.field)
        return ", ".join(parts)

    def text(self, lang: str = "sv") -> str:
        where = self.where(lang)
        msg, fix = (self.sv, self.fix_sv) if lang == "sv" else (self.en, self.fix_en)
        out = f"{where}: {msg}" if where else msg
        if fix:
            out += (" Åtgärd: " if lang == "sv" else " Fix: ") + fix
        return out

    def to_dict(self) -> dict:
        return asdict(self)


class InputError(DocgenError):
    """An input file cannot be used; carries every problem found, not only the first."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        super().__init__(self.report())

    def report(self, lang: str | None = None) -> str:
        """All problems; ``lang`` None gives Swedish followed by English."""
        langs = [lang] if lang else ["sv", "en"]
        blocks = []
        for lg in langs:
            head = (
                f"{self.source}: {len(self.problems)} fel" if lg == "sv"
                else f"{self.source}: {len(self.problems)} error(s)"
            )
            lines = [head] + [f"  - {p.text(lg)}" for p in self.problems]
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks)

    def to_dict(self) -> dict:
        return {"file": self.source, "problems": [p.to_dict() for p in self.problems]}


def problem(field: str, sv: str, en: str, fix_sv: str = "", fix_en: str = "", line: int | None = None) -> Problem:
    return Problem(field=field, sv=sv, en=en, fix_sv=fix_sv, fix_en=fix_en, line=line)


def shorten(value, limit: int = 60) -> str:
    """A value quoted for a message: repr-like, long ones cut with "…" and their total length."""
    try:
        text = repr(value)
    except ValueError:  # an integer too long for Python to print
        return "<ett tal med över 4300 siffror / a number of more than 4300 digits>"
    if len(text) <= limit:
        return text
    n = len(value) if isinstance(value, (str, bytes, list, dict)) else len(text)
    quote = text[0] if text[:1] in ("'", '"') else ""
    return f"{text[:limit - 2]}…{quote} ({n} tecken/characters)"


def readable(text: str) -> str:
    """``text`` as valid UTF-8: bytes of a file name that is not UTF-8 (surrogate escapes) and lone
    surrogates become U+FFFD, so that messages, records and the diarium can hold it."""
    if text.isascii():
        return text
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that no file name byte explains
        raw = text.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "replace")


class ResourceUnavailable(DocgenError):
    """docgen cannot write now (a read-only or full folder); nothing is wrong with the input: it waits."""

"""What a docgen.toml section is: a typed pydantic model, and its errors said in Swedish and English.

The engine's sections are declared as models (docgen/settings.py); a document type declares its own section
as a list of ``Setting`` records, made into a model here. Either way one checker reads a table from
docgen.toml and turns pydantic's errors into messages naming the file, the table, the key, what is wrong
and how to fix it.
"""
from __future__ import annotations

import difflib
import typing
from dataclasses import dataclass
from typing import Any, Literal

import annotated_types
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from .errors import ConfigError

REQUIRED = object()


class Section(BaseModel):
    """One table of docgen.toml. Strict: 1 is no text, true is no number; an unknown key is an error."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    # A thin compatibility path for string-keyed readers (``section["key"]``, ``section.get("key")``).
    def __getitem__(self, key: str) -> Any:
        if key not in type(self).model_fields:
            raise KeyError(key)
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        value = getattr(self, key, None) if key in type(self).model_fields else None
        return default if value is None else value


@dataclass(frozen=True)
class Setting:
    """One key of docgen.toml: ``[section] key``, its type, default, allowed values and help text."""

    section: str
    key: str
    default: Any
    help: str
    type: type | None = None  # default: the default's type; for lists, ``item`` is the item type
    item: type | None = None
    min: float | None = None
    max: float | None = None
    choices: tuple | None = None

    @property
    def kind(self) -> type:
        return self.type or type(self.default)

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


def section_model(name: str, settings: list[Setting]) -> type[Section]:
    """A Section model for a document type's declared settings."""
    fields = {}
    for s in settings:
        kind: Any = s.kind
        if s.choices is not None:
            kind = Literal[tuple(s.choices)]
        elif kind is list and s.item is not None:
            kind = list[s.item]
        default = ... if s.required else s.default
        fields[s.key] = (kind, Field(default, description=s.help, ge=s.min, le=s.max))
    return create_model(f"Section_{name}", __base__=Section, **fields)


def settings_of(name: str, model: type[Section]) -> list[Setting]:
    """The model's fields as Setting records, in order (for `docgen init`, `docgen config` and the README check)."""
    out = []
    for key, f in model.model_fields.items():
        kind, item, choices = _kind(f.annotation)
        lo = next((m.ge for m in f.metadata if isinstance(m, annotated_types.Ge)), None)
        hi = next((m.le for m in f.metadata if isinstance(m, annotated_types.Le)), None)
        default = REQUIRED if f.is_required() else f.get_default(call_default_factory=True)
        out.append(Setting(name, key, default, f.description or "", type=kind, item=item, min=lo, max=hi,
                           choices=choices))
    return out


def _kind(annotation) -> tuple[type, type | None, tuple | None]:
    origin = typing.get_origin(annotation)
    if origin is Literal:
        args = typing.get_args(annotation)
        return type(args[0]), None, args
    if origin is list:
        return list, (typing.get_args(annotation) or (None,))[0], None
    if origin is dict:
        return dict, None, None
    return annotation, None, None


def type_name(kind: type | None, lang: str = "sv") -> str:
    names = {str: ("text", "text"), int: ("ett heltal", "a whole number"), float: ("ett tal", "a number"),
             bool: ("true eller false", "true or false"), list: ("en lista [..]", "a list [..]"),
             dict: ("en tabell", "a table")}
    sv, en = names.get(kind, (getattr(kind, "__name__", "?"),) * 2)
    return sv if lang == "sv" else en


def did_you_mean(name: str, known) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" Menade du / did you mean `{close[0]}`?" if close else f" Kända / known: {', '.join(sorted(known))}."


def check_section(model: type[Section], section: str, values: Any, where: str) -> Section:
    """The table checked against its model, or ConfigError for the first wrong key (in the file's order)."""
    if not isinstance(values, dict):
        raise ConfigError(f"{where}: [{section}] ska vara en tabell / must be a table")
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        order = list(values)
        errors = sorted(exc.errors(), key=lambda e: order.index(e["loc"][0]) if e["loc"] and e["loc"][0] in order
                        else len(order))
        raise ConfigError(_message(model, section, values, errors[0], where)) from None


def _message(model: type[Section], section: str, values: dict, error: dict, where: str) -> str:
    key = str(error["loc"][0]) if error["loc"] else ""
    name = f"[{section}] {key}"
    if error["type"] == "extra_forbidden":
        return f"{where}: okänd nyckel / unknown key {name}.{did_you_mean(key, model.model_fields)}"
    s = {x.key: x for x in settings_of(section, model)}[key]
    if error["type"] == "missing":
        return f"{where}: {name} saknas / is missing: {s.help}"
    value = values.get(key)
    if len(error["loc"]) > 1 and s.kind is list:
        bad = error["input"]
        return (f"{where}: {name}: varje värde ska vara {type_name(s.item)}, inte {bad!r} / "
                f"every item must be {type_name(s.item, 'en')}, not {bad!r}")
    if error["type"] in ("greater_than_equal", "less_than_equal"):
        lo = "" if s.min is None else f"minst {s.min:g}"
        hi = "" if s.max is None else f"högst {s.max:g}"
        lo_en = "" if s.min is None else f"at least {s.min:g}"
        hi_en = "" if s.max is None else f"at most {s.max:g}"
        return (f"{where}: {name} = {value!r} är utanför tillåtna värden ({', '.join(x for x in (lo, hi) if x)}) / "
                f"is out of range ({', '.join(x for x in (lo_en, hi_en) if x)})")
    if error["type"] == "literal_error" and s.choices is not None and isinstance(value, s.kind):
        return (f"{where}: {name} = {value!r} är inte tillåtet; använd ett av / is not allowed; use one of: "
                + ", ".join(map(repr, s.choices)))
    return (f"{where}: {name} ska vara {type_name(s.kind)}, inte {value!r} / "
            f"must be {type_name(s.kind, 'en')}, not {value!r}")

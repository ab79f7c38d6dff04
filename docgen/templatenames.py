"""The names a type's template may use: what the engine puts in every context, the type's schema fields,
and what the type's ``context()`` makes of its example input (and of a schema skeleton).

Checked at start, so a template that prints a name its context lacks (a typo, a field of another type) is
a configuration error naming the template and the name, not a traceback at the first input.
"""
from __future__ import annotations

from datetime import date, datetime

import yaml

from .model import Document
from .skeleton import skeleton_data

#: Names every template gets besides the type's own (set by the renderer).
RENDERER_NAMES = {"_richtext", "logotyp"}


def _as_text_dates(value):
    """Data as docgen's loader gives it: dates stay text."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return [_as_text_dates(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_text_dates(v) for k, v in value.items()}
    return value


def samples(dtype, variant: str | None) -> list[dict]:
    """Inputs of the type to ask its context() with: its example, and a skeleton of its schema."""
    out = []
    try:
        example = yaml.safe_load(dtype.example_text(variant) or "")
        if isinstance(example, dict):
            out.append(_as_text_dates(example))
    except yaml.YAMLError:
        pass
    out.append(skeleton_data(dtype, variant))
    return out


def known_names(renderer, dtype, template_name: str, env_globals) -> set[str]:
    """Every name a template of the type (for the variant that uses ``template_name``) may use."""
    variant = next((v for v, t in dtype.cls.variants.items() if t == template_name), None)
    names = set(env_globals) | RENDERER_NAMES | set(dtype.full_schema().get("properties", {}))
    if dtype.cls.decided:  # who decided it in docgen (docgen.decisionline), when it was
        names.add("beslutat")
    for data in samples(dtype, variant):
        data = dict(data, status="slutlig")
        data.setdefault("enhet", renderer.config.units[0])
        doc = Document(source="", data=data, type=dtype, loaded=None)
        for own in (False, True):  # the engine's names alone, then with the type's own
            try:
                names |= set(renderer.context(doc, None, [], own=own))
            except Exception:  # noqa: BLE001 - a sample the type's context() cannot take tells nothing
                continue
    return names

"""The JSON Schema a type's web form is generated from: the type's own schema (``docgen schema TYPE``),
adapted to what the browser's form library (@json-editor/json-editor) draws. Only the form changes:
the server checks every input against the type's full schema, like any inbox file.
"""
from __future__ import annotations

import copy
import json


#: Not in the form: attachments cannot be sent through the web yet, and the status is chosen by the button
#: (Förhandsgranska renders a draft, Registrera a final document).
FORM_LEAVES_OUT = ("bilagor", "status")
#: Shown first in every form.
FIRST = ("rubrik", "datum")


def _title(key: str) -> str:
    return key.replace("_", " ")[:1].upper() + key.replace("_", " ")[1:]


def _adapt(node):
    """Swedish labels from the field names, no English help texts, ``const`` as a fixed hidden value."""
    if isinstance(node, list):
        return [_adapt(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _adapt(v) for k, v in node.items() if k not in ("description", "$schema")}
    if "const" in out:
        out = {"type": "string", "enum": [out["const"]], "default": out["const"], "options": {"hidden": True}}
    if "enum" in out and "type" not in out and all(isinstance(v, str) for v in out["enum"]):
        out["type"] = "string"  # else the library offers a choice of types
    if out.get("type") == "boolean":
        out["format"] = "checkbox"
    props = out.get("properties") or {}
    required = [k for k in FIRST if k in props] + [k for k in props if k in out.get("required", []) and k not in FIRST]
    for order, key in enumerate(required + [k for k in props if k not in required], 1):
        if isinstance(props[key], dict):
            props[key].setdefault("title", _title(key))
            props[key]["propertyOrder"] = order  # required fields first, else the library sorts by name
    return out


def form_schema(full: dict, variant: str | None = None) -> dict:
    """The form's schema: ``$defs`` as ``definitions`` (what the library resolves), and for a type with variants
    the chosen variant fixed with the fields that variant requires."""
    schema = copy.deepcopy(full)
    required = list(schema.get("required", []))
    for cond in schema.pop("allOf", []):
        test = ((cond.get("if") or {}).get("properties") or {}).get("variant", {}).get("const")
        if test is None:
            continue
        branch = cond.get("then") if variant == test else cond.get("else")
        required += (branch or {}).get("required", [])
    schema.pop("not", None)
    if variant:
        schema["properties"]["variant"] = {"const": variant}
        required.append("variant")
    schema["required"] = sorted(set(required), key=required.index)
    text = json.dumps(schema, ensure_ascii=False).replace('"#/$defs/', '"#/definitions/')
    schema = json.loads(text)
    if "$defs" in schema:
        schema["definitions"] = schema.pop("$defs")
    for name in FORM_LEAVES_OUT:
        schema["properties"].pop(name, None)
    if "text" in schema.get("definitions", {}):
        schema["definitions"]["text"]["format"] = "textarea"  # free text: paragraphs and lists
    schema = _adapt(schema)
    schema["title"] = "Uppgifter i dokumentet"
    return schema

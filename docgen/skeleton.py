"""A skeleton input built from a document type's JSON Schema, for a type that ships no example."""
from __future__ import annotations

from datetime import date

import yaml


def _value(schema: dict, defs: dict, name: str, depth: int = 0):
    """A placeholder value the schema accepts where it can (required fields only, one list item)."""
    if depth > 20:
        return None
    ref = schema.get("$ref", "")
    if ref.startswith("#/$defs/"):
        schema = {**defs.get(ref.rsplit("/", 1)[1], {}), **{k: v for k, v in schema.items() if k != "$ref"}}
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("oneOf", "anyOf"):
        if schema.get(key):
            return _value(schema[key][0], defs, name, depth + 1)
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {k: _value(props.get(k, {}), defs, k, depth + 1) for k in schema.get("required", [])}
    if kind == "array":
        return [_value(schema.get("items", {}), defs, name, depth + 1) for _ in range(max(1, schema.get("minItems", 1)))]
    if kind == "integer":
        return max(0, schema.get("minimum", 0))
    if kind == "number":
        return float(max(0, schema.get("minimum", 0)))
    if kind == "boolean":
        return False
    if schema.get("format") == "date":
        return date.today().isoformat()
    if schema.get("format") == "email":
        return "namn@example.se"
    return f"{name.upper()}"


def skeleton_data(dtype, variant: str | None = None) -> dict:
    """The required fields of the input of ``dtype`` (a ``plugins.LoadedType``), each with a placeholder value."""
    schema = dtype.full_schema()
    values = _value(schema, schema.get("$defs", {}), "")
    first = [k for k in ("dokumenttyp", "rubrik", "datum") if k in values]
    data = {k: values[k] for k in first} | {k: v for k, v in values.items() if k not in first}
    if variant:
        data["variant"] = variant
    return data


def skeleton(dtype, variant: str | None = None) -> str:
    """The skeleton as YAML with a comment saying where it came from."""
    text = yaml.safe_dump(skeleton_data(dtype, variant), allow_unicode=True, sort_keys=False)
    return (f"# {dtype.name}: inget exempel finns; fälten som krävs, ur schemat (`docgen schema {dtype.name}`).\n"
            f"# {dtype.name}: no example; the required fields, from the schema.\n" + text)

"""A type's form as a model of fields, from its JSON Schema and ``form_layout``: the schema resolved for one variant,
what widget each node is, its label, name and id, and the sections the fields go in."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

#: Not in the form: the engine sets the type, the variant comes from the address, the buttons choose the
#: status, and attachments cannot be sent from the form yet.
LEAVES_OUT = ("dokumenttyp", "variant", "status", "bilagor")
#: Default "more options" of a type without its own layout.
MORE = ("diarienummer", "serie", "enhet")
KINDS = (("person", "Person"), ("lista", "Sändlista"), ("part", "Part"))
PERSON_KEYS = ("namn", "titel", "organisation", "epost", "intern")
MONTH_PATTERN = "(0[1-9]|1[0-2])$"


def key_title(key: str) -> str:
    """A label for a field with no ``title``: its name with spaces, capitalised (a third-party type's fallback)."""
    text = str(key).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def resolve(node, defs: dict):
    """A schema node with ``$ref``s into ``$defs`` replaced by their target (``x-ref`` keeps the name)."""
    if isinstance(node, list):
        return [resolve(n, defs) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: resolve(v, defs) for k, v in node.items() if k != "$ref"}
    ref = node.get("$ref", "")
    if ref.startswith("#/$defs/") and ref[8:] in defs:
        target = {k: v for k, v in resolve(defs[ref[8:]], defs).items() if k != "title"}  # the field names itself
        out = {**target, **out, "x-ref": ref[8:]}
    return out


def form_schema(full: dict, variant: str | None = None, layout: dict | None = None) -> dict:
    """The type's full schema resolved for the form, with the fields the chosen variant requires marked required
    and the fields the layout leaves out of that variant (``utan``) left out."""
    schema = copy.deepcopy(full)
    required = list(schema.get("required", []))
    for cond in schema.get("allOf", []):
        test = ((cond.get("if") or {}).get("properties") or {}).get("variant", {}).get("const")
        if test is not None:
            required += ((cond.get("then") if variant == test else cond.get("else")) or {}).get("required", [])
    out = resolve({k: v for k, v in schema.items() if k not in ("$defs", "allOf", "not")}, schema.get("$defs", {}))
    out["required"] = sorted(set(required), key=required.index)
    for key in ((layout or {}).get("utan") or {}).get(variant, []):
        out["properties"].pop(key, None)
    return out


def kind(s: dict) -> str:
    """What widget a schema node is drawn as."""
    if s.get("x-ref") == "mottagare" or ({"lista", "part", "namn"} <= set(s.get("properties", {})) and "oneOf" in s):
        return "recipient"
    t = s.get("type")
    if t == "object" or "properties" in s:
        return "object"
    if t == "array":
        return "array"
    if t == "boolean":
        return "bool"
    if t in ("integer", "number"):
        return "number"
    if "enum" in s:
        return "select"
    if s.get("format") == "date":
        return "date"
    if s.get("format") == "email":
        return "email"
    pattern = s.get("pattern", "")
    if pattern.endswith(MONTH_PATTERN):
        return "month"
    if "[01][0-9]|2[0-3]" in pattern:
        return "datetime"
    if s.get("x-ref") == "text":
        return "textarea"
    return "text"


def title_of(s: dict, key) -> str:
    return s.get("title") or key_title(key)


def name_of(path: tuple) -> str:
    return ".".join(str(p) for p in path)


def id_of(path: tuple) -> str:
    return "f-" + "-".join(str(p) for p in path) if path else "f"


def node_at(schema: dict, path: tuple) -> dict | None:
    node = schema
    for p in path:
        if isinstance(p, int):
            node = node.get("items") if isinstance(node, dict) else None
        else:
            node = (node.get("properties") or {}).get(p) if isinstance(node, dict) else None
        if node is None:
            return None
    return node


def row_title(s: dict, key) -> str:
    """What one row of a list is called: the items' own title, else the list's title."""
    return (s.get("items") or {}).get("title") or s.get("x-row") or title_of(s, key)


def sections(schema: dict, layout: dict) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """The form's sections (heading, field names) and its "more options", from the type's ``form_layout``;
    fields the layout does not name follow in a last section (a type without a layout: required fields first)."""
    props = [k for k in schema.get("properties", {}) if k not in LEAVES_OUT and "const" not in schema["properties"][k]]
    req = schema.get("required", [])
    named = [(head, [k for k in keys if k in props]) for head, keys in layout.get("avsnitt", [])]
    more = [k for k in layout.get("fler", MORE) if k in props]
    used = {k for _, keys in named for k in keys} | set(more)
    rest = [k for k in ("rubrik", "datum") if k in props and k not in used]
    rest += [k for k in props if k in req and k not in used and k not in rest]
    rest += [k for k in props if k not in used and k not in rest]
    if rest:
        named.append(("Uppgifter i dokumentet" if not named else "Övriga uppgifter", rest))
    return [(h, keys) for h, keys in named if keys], more


@dataclass
class Context:
    """What drawing one form needs besides the schema and the values."""
    lists: dict = field(default_factory=dict)      # named distribution lists: key -> {namn, medlemmar}
    parties: dict = field(default_factory=dict)    # the type's parties: key -> label
    units: list = field(default_factory=list)      # [organisation] enheter
    errors: dict = field(default_factory=dict)     # form path -> message
    drawn: dict = field(default_factory=dict)      # form paths drawn, in page order (to link errors to)

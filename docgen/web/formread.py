"""The posted form read back into an input (only what was filled in), and rows added to or removed from its lists."""
from __future__ import annotations

from .formfields import LEAVES_OUT, PERSON_KEYS, kind, node_at


def _nest(form) -> dict:
    """The posted fields (``a.0.b`` = value) as nested dicts; list positions stay dict keys (ints) until ``_clean``."""
    root: dict = {}
    for name, value in form.multi_items() if hasattr(form, "multi_items") else form.items():
        if name.startswith("_") or name in ("csrf", "atgard"):
            continue
        parts = [int(p) if p.isdigit() else p for p in name.split(".")]
        node = root
        for p in parts[:-1]:
            node = node.setdefault(p, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict):
            node[parts[-1]] = str(value)
    return root


def _clean(s: dict, raw):
    """The value of one field as the schema wants it, or None when nothing was filled in."""
    k = kind(s)
    if k == "recipient":
        if not isinstance(raw, dict):
            return None
        chosen = raw.get("slag") or next((c for c, key in (("person", "namn"), ("lista", "lista"), ("part", "part"))
                                          if str(raw.get(key, "")).strip()), "person")
        keep = {"person": PERSON_KEYS, "lista": ("lista",), "part": ("part",)}.get(chosen, ())
        props = s.get("properties", {})
        out = {key: v for key in (*keep, "via") if key in props and (v := _clean(props[key], raw.get(key))) is not None}
        return out or None
    if k == "object":
        if not isinstance(raw, dict):
            return None
        out = {key: v for key, sub in s.get("properties", {}).items()
               if key not in LEAVES_OUT and (v := _clean(sub, raw.get(key))) is not None}
        return out or None
    if k == "array":
        if not isinstance(raw, dict):
            return None
        items = [_clean(s.get("items", {}), raw[i]) for i in sorted(i for i in raw if isinstance(i, int))]
        items = [i for i in items if i is not None]
        return items or None
    if raw is None or isinstance(raw, dict):
        return None
    text = str(raw).replace("\r\n", "\n").strip()
    if not text:
        return None
    if k == "bool":
        return {"ja": True, "nej": False}.get(text)
    if k == "datetime":
        return text.replace("T", " ")
    if k == "number":
        try:
            return int(text) if s.get("type") == "integer" else float(text.replace(",", "."))
        except ValueError:
            return text  # the schema's check says it is not a number, beside the field
    return text


def read(schema: dict, form, typ: str, variant: str | None) -> dict:
    """The input the posted form describes: only what was filled in, empty rows and fields left out."""
    data = _clean(schema, _nest(form)) or {}
    out = {"dokumenttyp": typ}
    if variant:
        out["variant"] = variant
    return out | data


def _container(data: dict, path: tuple, make: bool = True):
    node = data
    for i, p in enumerate(path):
        nxt = path[i + 1] if i + 1 < len(path) else None
        if isinstance(node, list):
            if not isinstance(p, int) or p > len(node):  # only the next row can be made, never row 10 000
                return None
            if make and p == len(node):
                node.append({})
            node = node[p] if p < len(node) else None
        else:
            if not isinstance(node, dict):
                return None
            if p not in node or node[p] is None:
                if not make:
                    return None
                node[p] = [] if nxt is None or isinstance(nxt, int) else {}
            node = node[p]
        if node is None:
            return None
    return node


def add_row(schema: dict, data: dict, name: str) -> None:
    """One more (empty) row in the list at ``name``."""
    path = tuple(int(p) if p.isdigit() else p for p in name.split("."))
    s = node_at(schema, path)
    if s is None or kind(s) != "array":
        return
    rows = _container(data, path)
    least = max(s.get("minItems", 0), 1 if path[-1] in set((node_at(schema, path[:-1]) or {}).get("required", [])) else 0)
    while isinstance(rows, list) and len(rows) < least:
        rows.append(None)
    if isinstance(rows, list):
        rows.append(None)


def remove_row(data: dict, name: str) -> None:
    path = tuple(int(p) if p.isdigit() else p for p in name.split("."))
    if not path or not isinstance(path[-1], int):
        return
    rows = _container(data, path[:-1], make=False)
    if isinstance(rows, list) and path[-1] < len(rows):
        del rows[path[-1]]

"""The "check your answers" page's text: what the officer filled in, section by section, as lines of text."""
from __future__ import annotations

from .formfields import Context, kind, row_title, sections, title_of


def _lines(s: dict, key, value, ctx: Context, indent: str = "") -> list[str]:
    """A filled-in value as lines of text for the check page."""
    k = kind(s)
    if value is None:
        return []
    if k == "recipient":
        if "lista" in value:
            lst = ctx.lists.get(value["lista"], {})
            return [f"{indent}Sändlista: {lst.get('namn', value['lista'])}"]
        if "part" in value:
            return [f"{indent}Part: {ctx.parties.get(value['part'], value['part'])}"]
        return [indent + ", ".join(str(value[x]) for x in ("namn", "titel", "organisation", "epost") if value.get(x))]
    if k == "object":
        props = s.get("properties", {})
        if set(value) <= {"namn", "titel", "organisation", "epost"}:
            return [indent + ", ".join(str(value[x]) for x in ("namn", "titel", "organisation", "epost") if value.get(x))]
        out = []
        for sub_key, sub in props.items():
            if sub_key in value:
                sub_lines = _lines(sub, sub_key, value[sub_key], ctx, indent + "  ")
                if kind(sub) in ("object", "array", "recipient") or len(sub_lines) > 1:
                    out.append(f"{indent}{title_of(sub, sub_key)}:")
                    out += sub_lines
                elif sub_lines:
                    out.append(f"{indent}{title_of(sub, sub_key)}: {sub_lines[0].strip()}")
        return out
    if k == "array":
        out = []
        for i, item in enumerate(value, 1):
            item_lines = _lines(s.get("items", {}), key, item, ctx, indent)
            if len(value) > 1 and kind(s.get("items", {})) in ("object", "recipient") and len(item_lines) > 1:
                out.append(f"{indent}{row_title(s, key)} {i}:")
                out += ["  " + ln for ln in item_lines]
            else:
                out += item_lines
        return out
    if k == "bool":
        return [indent + ("Ja" if value else "Nej")]
    if k == "select":
        return [indent + (s.get("x-enum-titles") or {}).get(value, str(value))]
    return [indent + ln for ln in str(value).splitlines()] or [indent]


def answers(schema: dict, layout: dict, data: dict, ctx: Context) -> list[tuple[str, list[tuple[str, list[str]]]]]:
    """What the officer filled in, section by section: (heading, [(label, lines of text)])."""
    props = schema.get("properties", {})
    heads, more = sections(schema, layout)
    out = []
    for head, keys in heads + [(layout.get("fler_rubrik", "Fler val"), more)]:
        rows = [(title_of(props[k], k), _lines(props[k], k, data[k], ctx)) for k in keys if data.get(k) is not None]
        if rows:
            out.append((head, rows))
    return out

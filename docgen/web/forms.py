"""A type's web form, drawn on the server from its JSON Schema and its ``form_layout``: Swedish labels and help
(``title``/``description``), sections, "more options", repeatable rows, dates as date inputs, recipients as
Person / Sändlista / Part. ``read`` turns the posted fields back into an input; ``field_errors`` checks it
against the same schema as `docgen validate` and says in officer Swedish what is wrong, per field.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

from jsonschema import Draft202012Validator
from markupsafe import Markup, escape

#: Not in the form: the engine sets the type, the variant comes from the address, the buttons choose the
#: status, and attachments cannot be sent from the form yet.
LEAVES_OUT = ("dokumenttyp", "variant", "status", "bilagor")
#: Default "more options" of a type without its own layout.
MORE = ("diarienummer", "serie", "enhet")
KINDS = (("person", "Person"), ("lista", "Sändlista"), ("part", "Part"))
PERSON_KEYS = ("namn", "titel", "organisation", "epost", "intern")
DATE = re.compile(r"^\^?\(?.*-\[0-9\]\{2\}-\[0-9\]\{2\}\$?$")
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


# ---------------------------------------------------------------- reading the posted form


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


# ---------------------------------------------------------------- checking


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
        return [FieldError(path + (0,), f"Fyll i {row}.")]
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


# ---------------------------------------------------------------- drawing


@dataclass
class Context:
    """What drawing one form needs besides the schema and the values."""
    lists: dict = field(default_factory=dict)      # named distribution lists: key -> {namn, medlemmar}
    parties: dict = field(default_factory=dict)    # the type's parties: key -> label
    units: list = field(default_factory=list)      # [organisation] enheter
    errors: dict = field(default_factory=dict)     # form path -> message
    drawn: dict = field(default_factory=dict)      # form paths drawn, in page order (to link errors to)


def _error(ctx: Context, path: tuple) -> tuple[str, str]:
    """(the inline error's HTML, the id it has) of a field, or ("", "")."""
    text = ctx.errors.get(path)
    if not text:
        return "", ""
    eid = id_of(path) + "-fel"
    return f'<p class="falt-fel" id="{eid}"><span class="dold">Fel: </span>{escape(text)}</p>', eid


def _hint(s: dict, path: tuple) -> tuple[str, str]:
    text = s.get("description")
    if not text:
        return "", ""
    hid = id_of(path) + "-hjalp"
    return f'<p class="hjalptext" id="{hid}">{escape(text)}</p>', hid


def _described(*ids: str) -> str:
    ids = [i for i in ids if i]
    return f' aria-describedby="{" ".join(ids)}"' if ids else ""


def _scalar(s: dict, key, path: tuple, value, required: bool, ctx: Context, label: str | None = None) -> str:
    ctx.drawn.setdefault(path, None)
    k = kind(s)
    fid, name = id_of(path), name_of(path)
    label = label or title_of(s, key)
    hint, hid = _hint(s, path)
    err, eid = _error(ctx, path)
    opt = "" if required else ' <span class="valfritt">(valfritt)</span>'
    attrs = f'id="{fid}" name="{escape(name)}"{_described(hid, eid)}' + (' aria-invalid="true"' if eid else "")
    val = "" if value is None else value
    if k == "select" or (k == "text" and key == "enhet" and ctx.units):
        names = s.get("x-enum-titles") or {}
        choices = [(v, names.get(v, v)) for v in (s.get("enum") or ctx.units)]
        control = _select(attrs, choices, val, "Välj …")
    elif k == "bool":
        shown = {True: "ja", False: "nej"}.get(val, "")
        control = _select(attrs, [("ja", "Ja"), ("nej", "Nej")], shown, "Inget val (standard)")
    elif k == "textarea":
        control = f'<textarea {attrs} rows="5" data-markdown="ja">{escape(val)}</textarea>'
    else:
        typ = {"date": "date", "month": "month", "datetime": "datetime-local", "email": "email"}.get(k, "text")
        if k == "number":
            attrs += ' inputmode="decimal"' 
        shown = str(val).replace(" ", "T") if k == "datetime" else val
        extra = ' autocomplete="off"' if typ == "text" else ""
        control = f'<input type="{typ}" {attrs} value="{escape(shown)}"{extra}>'
    cls = "falt falt-med-fel" if eid else "falt"
    return f'<div class="{cls}"><label for="{fid}">{escape(label)}{opt}</label>{hint}{err}{control}</div>'


def _select(attrs: str, choices, value, empty: str) -> str:
    opts = [f'<option value="">{escape(empty)}</option>']
    for v, text in choices:
        sel = " selected" if str(v) == str(value) else ""
        opts.append(f'<option value="{escape(v)}"{sel}>{escape(text)}</option>')
    return f'<select {attrs}>{"".join(opts)}</select>'


def _group(s: dict, key, path: tuple, value, required: bool, ctx: Context, legend: str | None = None) -> str:
    """An object as a fieldset with a legend; its fields inside."""
    ctx.drawn.setdefault(path, None)
    props = s.get("properties", {})
    req = set(s.get("required", []))
    value = value if isinstance(value, dict) else {}
    hint, hid = _hint(s, path)
    err, eid = _error(ctx, path)
    inner = "".join(draw(sub, k, path + (k,), value.get(k), k in req and (required or bool(value)), ctx)
                    for k, sub in props.items() if k not in LEAVES_OUT)
    opt = "" if required else ' <span class="valfritt">(valfritt)</span>'
    legend = legend or title_of(s, key)
    return (f'<fieldset class="grupp" id="{id_of(path)}"{_described(hid, eid)}><legend>{escape(legend)}{opt}</legend>'
            f'{hint}{err}{inner}</fieldset>')


def _recipient(s: dict, path: tuple, value, ctx: Context, legend: str) -> str:
    ctx.drawn.setdefault(path, None)
    props = s.get("properties", {})
    value = value if isinstance(value, dict) else {}
    chosen = next((c for c, key in (("lista", "lista"), ("part", "part")) if value.get(key)), "person")
    err, eid = _error(ctx, path)
    radios = "".join(
        f'<div class="val"><input type="radio" id="{id_of(path + ("slag", c))}" name="{name_of(path + ("slag",))}" '
        f'value="{c}"{" checked" if c == chosen else ""} data-slag="{id_of(path)}">'
        f'<label for="{id_of(path + ("slag", c))}">{text}</label></div>'
        for c, text in KINDS if c != "part" or ctx.parties)
    person = "".join(_scalar(props[k], k, path + (k,), value.get(k), k == "namn" and chosen == "person", ctx)
                     for k in PERSON_KEYS if k in props)
    lists = [(k, f"{v['namn']} ({len(v['medlemmar'])} mottagare)") for k, v in ctx.lists.items()]
    lid = id_of(path + ("lista",))
    ctx.drawn.setdefault(path + ("lista",), None)
    lerr, leid = _error(ctx, path + ("lista",))
    lista = (f'<div class="falt"><label for="{lid}">Sändlista</label>'
             f'<p class="hjalptext" id="{lid}-hjalp">Vilka som är med på varje lista står under '
             f'<a href="#sandlistor">Sändlistor</a>.</p>{lerr}'
             + _select(f'id="{lid}" name="{name_of(path + ("lista",))}"{_described(lid + "-hjalp", leid)}',
                       lists, value.get("lista", ""), "Välj en lista …") + "</div>")
    ctx.drawn.setdefault(path + ("part",), None)
    pid = id_of(path + ("part",))
    perr, peid = _error(ctx, path + ("part",))
    part = (f'<div class="falt"><label for="{pid}">Part i dokumentet</label>{perr}'
            + _select(f'id="{pid}" name="{name_of(path + ("part",))}"{_described(peid)}',
                      list(ctx.parties.items()), value.get("part", ""), "Välj en part …") + "</div>") if ctx.parties else ""
    return (f'<fieldset class="grupp mottagare" id="{id_of(path)}"{_described(eid)}><legend>{escape(legend)}</legend>{err}'
            f'<fieldset class="slag"><legend>Vem eller vilka?</legend>{radios}</fieldset>'
            f'<div class="slag-del" data-del="person">{person}</div>'
            f'<div class="slag-del" data-del="lista">{lista}</div>'
            + (f'<div class="slag-del" data-del="part">{part}</div>' if part else "")
            + (_scalar(props["via"], "via", path + ("via",), value.get("via"), False, ctx) if "via" in props else "")
            + '</fieldset>')


def row_title(s: dict, key) -> str:
    """What one row of a list is called: the items' own title, else the list's title."""
    return (s.get("items") or {}).get("title") or s.get("x-row") or title_of(s, key)


def _array(s: dict, key, path: tuple, value, required: bool, ctx: Context) -> str:
    ctx.drawn.setdefault(path, None)
    items = s.get("items", {})
    rows = list(value) if isinstance(value, list) else []
    least = max(s.get("minItems", 0), 1 if required else 0)
    while len(rows) < least:
        rows.append(None)
    hint, hid = _hint(s, path)
    err, eid = _error(ctx, path)
    one = row_title(s, key)
    parts = []
    for i, row in enumerate(rows):
        p = path + (i,)
        label = f"{one} {i + 1}"
        remove = (f'<button type="submit" name="atgard" value="ta_bort:{name_of(p)}" class="liten" formnovalidate>'
                  f'Ta bort {escape(label.lower())}</button>') if len(rows) > least or not required else ""
        k = kind(items)
        if k == "recipient":
            body = _recipient(items, p, row, ctx, label)
        elif k == "object":
            body = _group(items, key, p, row, True, ctx, legend=label)
        else:
            body = _scalar(items, key, p, row, True, ctx, label=label)
        parts.append(f'<div class="rad">{body}{remove}</div>')
    opt = "" if required else ' <span class="valfritt">(valfritt)</span>'
    add = (f'<button type="submit" name="atgard" value="lagg_till:{name_of(path)}" class="liten" formnovalidate>'
           f'Lägg till {escape(one.lower())}</button>')
    return (f'<fieldset class="lista" id="{id_of(path)}"{_described(hid, eid)}><legend>{escape(title_of(s, key))}{opt}</legend>'
            f'{hint}{err}{"".join(parts)}{add}</fieldset>')


def draw(s: dict, key, path: tuple, value, required: bool, ctx: Context) -> str:
    """One field of the form (with everything under it) as HTML."""
    k = kind(s)
    if "const" in s:
        return ""
    if k == "array":
        return _array(s, key, path, value, required, ctx)
    if k == "recipient":
        return _recipient(s, path, value, ctx, title_of(s, key))
    if k == "object":
        return _group(s, key, path, value, required, ctx)
    return _scalar(s, key, path, value, required, ctx)


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


def render(schema: dict, layout: dict, data: dict, ctx: Context) -> Markup:
    """The form's fields: sections with headings, then the "more options" in a details block."""
    req = set(schema.get("required", []))
    props = schema.get("properties", {})
    heads, more = sections(schema, layout)
    out = []
    for n, (head, keys) in enumerate(heads, 1):
        body = "".join(draw(props[k], k, (k,), data.get(k), k in req, ctx) for k in keys)
        out.append(f'<section class="avsnitt" aria-labelledby="avsnitt-{n}"><h2 id="avsnitt-{n}">{escape(head)}</h2>{body}</section>')
    if more:
        body = "".join(draw(props[k], k, (k,), data.get(k), k in req, ctx) for k in more)
        is_open = " open" if any(e[:1] and e[0] in more for e in ctx.errors) or any(data.get(k) for k in more) else ""
        out.append(f'<details class="fler"{is_open}><summary>{escape(layout.get("fler_rubrik", "Fler val"))}</summary>{body}</details>')
    return Markup("".join(out))


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


def form_html(schema: dict, layout: dict, data: dict, ctx: Context, errors: list[FieldError]) -> tuple[Markup, list[dict]]:
    """The form's fields with their inline errors, and the error summary's entries (text, link)."""
    probe = Context(ctx.lists, ctx.parties, ctx.units)
    render(schema, layout, data, probe)
    placed = place_errors(errors, probe.drawn)
    ctx.errors = {}
    for path, text in placed:
        ctx.errors[path] = (ctx.errors[path] + " " + text) if path in ctx.errors else text
    html = render(schema, layout, data, ctx)
    summary = [{"text": text, "href": "#" + id_of(path) if path else "#dokumentformular"} for path, text in placed]
    return html, summary


# ---------------------------------------------------------------- rows added and removed


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


# ---------------------------------------------------------------- "check your answers"


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

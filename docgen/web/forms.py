"""A type's web form, drawn on the server from its JSON Schema and its ``form_layout``: Swedish labels and help
(``title``/``description``), sections, "more options", repeatable rows, dates as date inputs, recipients as
Person / Sändlista / Part. The field model is in ``formfields``; ``read`` (``formread``) turns the posted fields
back into an input; ``schema_errors`` (``formerrors``) checks it against the same schema as `docgen validate` and says
in officer Swedish what is wrong, per field; ``answers`` (``formanswers``) is the check page's text.
"""
from __future__ import annotations

from markupsafe import Markup, escape

from .formanswers import answers
from .formerrors import FieldError, merge, place_errors, schema_errors
from .formfields import KINDS, LEAVES_OUT, PERSON_KEYS, Context, form_schema, id_of, kind, name_of, row_title, \
    sections, title_of
from .formread import add_row, read, remove_row

__all__ = ["Context", "FieldError", "add_row", "answers", "draw", "form_html", "form_schema", "merge", "read",
           "remove_row", "render", "schema_errors"]


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

"""The officer's new-document pages: the type's form drawn on the server (``forms``), rows added and removed
without losing what was typed, errors next to their fields with a summary at the top, a draft preview beside
the form, and a "check your answers" step before the input is registered."""
from __future__ import annotations

import hmac
import json
import secrets
import threading
from collections import OrderedDict
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from ..mdparse import markdown
from ..store import desk
from . import formfiles, formpeople, forms, i18n
from .pages import csrf, not_found, page, signed_in
from .submit import Refused, checked, draft, submit

router = APIRouter(include_in_schema=False)
#: Draft PDFs of recent previews (token -> (user, pdf)), the newest kept; a preview is shown once beside its form.
PREVIEWS_KEPT = 32
_previews: OrderedDict[str, tuple[str, bytes]] = OrderedDict()
_previews_lock = threading.Lock()


def _keep_preview(user: str, pdf: bytes) -> str:
    token = secrets.token_urlsafe(18)
    with _previews_lock:
        _previews[token] = (user, pdf)
        while len(_previews) > PREVIEWS_KEPT:
            _previews.popitem(last=False)
    return token


def _type(request: Request, typ: str, variant: str | None):
    """(the loaded type, the variant), or None when there is no such type or variant."""
    t = request.app.state.engine.plugins.get(typ)
    if t is None or (variant and variant not in (t.cls.variants or {})):
        return None
    return t, (variant or (next(iter(t.cls.variants)) if t.cls.variants else None))


def type_title(t, variant: str | None) -> str:
    """The type's title as officers read it, with the variant's own name."""
    names = t.cls.variant_titles or {}
    return t.cls.title + (f" ({names.get(variant, variant)})" if variant else "")


def _context(request: Request, t) -> forms.Context:
    engine = request.app.state.engine
    units = list(request.app.state.config.settings.organisation.enheter or [])
    return forms.Context(lists=engine.lists, parties=dict(t.cls.parties), units=units)


def form_schema(t, variant: str | None, fixed=(), people=None) -> dict:
    """The type's form schema, less the fields ``fixed`` (kept as they are, not shown); ``people``
    (``people(request)``) are the choices of its ``beslutsfattare`` and whether one is required (``formpeople``)."""
    schema = forms.form_schema(t.full_schema(), variant, t.cls.form_layout)
    for key in fixed:
        schema["properties"].pop(key, None)
    return formpeople.offer(schema, *people) if people else schema


def people(request: Request) -> tuple[list, bool]:
    """The workspace's decision makers (the choices of a decided type's ``beslutsfattare``), and whether the
    workspace requires one (``[beslutsfattande] krav_godkannande``)."""
    return (formpeople.decision_makers(request.app.state.engine.store),
            request.app.state.config.settings.beslutsfattande.krav_godkannande)


#: Fields drawn by the page itself, not from the schema: an error's first path part -> the field's id.
OUTSIDE = {"_anledning": "f-anledning", "bilagor": "f-bilagor"}


def _uploads(request: Request, user):
    return formfiles.folder(request.app.state.config.workspace, user.namn)


def _form_page(request: Request, user, t, typ: str, variant: str | None, data: dict, errors=(), status_code: int = 200,
               preview: str | None = None, draft_id: int | None = None, saved: bool = False, version=None):
    """The form; ``version`` (``versions.NewVersion``) makes it the form of a new version of a registered document
    (no attachments field: its attachments stay as they are)."""
    schema = form_schema(t, variant, version.fixed if version else (), people(request))
    ctx = _context(request, t)
    lang = i18n.language(request.headers)
    errors = [forms.FieldError(e.path, i18n.field_error(lang, e.text)) for e in errors]
    outside = {k: " ".join(e.text for e in errors if e.path[:1] == (k,)) for k in OUTSIDE}
    html, summary = forms.form_html(schema, t.cls.form_layout, data, ctx, [e for e in errors if e.path[:1] not in
                                                                           [(k,) for k in OUTSIDE]])
    # the reason is the form's first field, the attachments its last
    summary = ([{"text": e.text, "href": "#f-anledning"} for e in errors if e.path[:1] == ("_anledning",)] + summary
               + [{"text": e.text, "href": "#f-bilagor"} for e in errors if e.path[:1] == ("bilagor",)])
    action = version.action if version else f"/ny/{quote(typ)}" + (f"?variant={quote(variant)}" if variant else "")
    html = Markup(i18n.form_words(lang, str(html)))
    return page(request, "ny_form.html", user, status_code, typ=typ, titel=type_title(t, variant), falt=html,
                sammanfattning=summary, action=action, forhandsvisning=preview, listor=ctx.lists, utkast=draft_id,
                sparat=saved, ny_version=version, utanfor_fel=outside,
                bilagor=None if version else formfiles.listing(_uploads(request, user), data),
                max_bilagor=formfiles.MAX_FILES, max_storlek=formfiles.MAX_FILE_SIZE // (1024 * 1024))


def _problems(schema: dict, data: dict, exc: Refused | None, lang: str = "sv") -> list[forms.FieldError]:
    own = forms.schema_errors(schema, data)
    return forms.merge(own, i18n.engine_problems(lang, exc.problems) if exc else [])


def _officer_and_type(request: Request, typ: str, variant: str | None):
    """(user, type, variant) for someone who may submit and a known type, or the page that answers instead."""
    user, refusal = signed_in(request, lambda u: u.may_submit)
    if refusal is not None:
        return refusal
    found = _type(request, typ, variant)
    if found is None:
        return not_found(request, user)
    return (user, *found)


@router.get("/ny/{typ}")
def new_form(request: Request, typ: str, variant: str | None = None, utkast: int | None = None):
    """The empty form, or one's saved draft (``utkast``) to go on with."""
    found = _officer_and_type(request, typ, variant)
    if isinstance(found, Response):
        return found
    user, t, variant = found
    data = {}
    if utkast is not None:
        with request.app.state.engine.store.read() as conn:
            kept = desk.draft(conn, user.namn, utkast)
        if kept is None or kept["dokumenttyp"] != typ:
            return not_found(request, user)
        data = kept["data"]
    return _form_page(request, user, t, typ, variant, data, draft_id=utkast)


def _draft_id(form) -> int | None:
    value = str(form.get("_utkast", ""))
    return int(value) if value.isdigit() else None


def _bad_token(request: Request, user):
    return page(request, "fel_sida.html", user, 400, status=400, detalj=None,
                text="Formuläret hade gått ut. Ladda om sidan och försök igen.")


async def _posted(request: Request, typ: str, variant: str | None):
    """A form post by someone who may submit, for a known type, with its token: (user, type, variant, form,
    schema), or the page that answers it instead."""
    found = _officer_and_type(request, typ, variant)
    if isinstance(found, Response):
        return found
    user, t, variant = found
    form = await request.form(max_files=formfiles.MAX_FILES + 1)
    if not hmac.compare_digest(str(form.get("csrf", "")), csrf(request, user)):
        return _bad_token(request, user)
    return user, t, variant, form, form_schema(t, variant, people=people(request))


def form_data(schema: dict, form, typ: str, variant: str | None) -> dict:
    """The input a form post carries: as it was checked (back from the check page), else as the fields say."""
    if form.get("indata"):
        try:
            data = json.loads(str(form["indata"]))
        except (ValueError, RecursionError):
            data = {}
        return data if isinstance(data, dict) else {}
    return forms.read(schema, form, typ, variant)


@router.post("/ny/{typ}")
async def form_action(request: Request, typ: str, variant: str | None = None) -> Response:
    """Every button of the form: add or remove a row, preview, or go on to "check and register"."""
    posted = await _posted(request, typ, variant)
    if isinstance(posted, Response):
        return posted
    user, t, variant, form, schema = posted
    data = form_data(schema, form, typ, variant)
    draft_id = _draft_id(form)
    kept = _uploads(request, user)

    def again(errors=(), status_code=200, **kw):
        return _form_page(request, user, t, typ, variant, data, errors, status_code, **({"draft_id": draft_id} | kw))

    if not form.get("indata"):  # the attachments kept so far and those uploaded now (back from the check page: in indata)
        refused = await formfiles.take(kept, form, data)
        if refused:
            return again(refused, 422)
    done = await act(request, user, form, schema, data, again, draft_id, files=formfiles.files(kept, data))
    if isinstance(done, Response):
        return done
    return page(request, "granska.html", user, typ=typ, titel=type_title(t, variant), action=f"/ny/{quote(typ)}"
                + (f"?variant={quote(variant)}" if variant else ""), indata=json.dumps(data, ensure_ascii=False),
                rader=forms.answers(schema, t.cls.form_layout, data, _context(request, t)),
                utskick=done.distribution, sekretess=data.get("sekretess"), utkast=draft_id,
                bilagor=formfiles.listing(kept, data))


async def act(request: Request, user, form, schema: dict, data: dict, again, draft_id: int | None = None, extra=(),
              files: dict[str, bytes] | None = None):
    """What a form button does short of the check page: the page to answer with, or the checked job (``checked``)
    when the input passed every check. ``extra`` are problems of fields outside the schema (a new version's reason);
    ``files`` the input's attachments (``formfiles``)."""
    action = str(form.get("atgard", ""))
    engine = request.app.state.engine
    if action == "ladda_upp" or action.startswith("ta_bort_bilaga:"):  # done by ``formfiles.take``
        return again()
    if action.startswith("lagg_till:"):
        forms.add_row(schema, data, action[10:])
        return again()
    if action.startswith("ta_bort:"):
        forms.remove_row(data, action[8:])
        return again()
    if action == "andra":
        return again()
    if action == "spara":
        with engine.store.tx() as conn:
            draft_id = desk.save_draft(conn, user.namn, str(data.get("dokumenttyp", "")), data.get("variant"), data, draft_id)
        return again(saved=True, draft_id=draft_id)
    own = list(extra) + forms.schema_errors(schema, data)
    if own:
        return again(own, 422)
    if action == "forhandsgranska":
        try:
            pdf = await run_in_threadpool(draft, engine, data, files)
        except Refused as exc:
            return again(_problems(schema, data, exc, i18n.language(request.headers)), 422)
        return again(preview=_keep_preview(user.namn, pdf))
    try:
        return await run_in_threadpool(checked, engine, data, files)
    except Refused as exc:
        return again(_problems(schema, data, exc, i18n.language(request.headers)), 422)


@router.post("/ny/{typ}/registrera")
async def register(request: Request, typ: str, variant: str | None = None) -> Response:
    """Register the checked input: it goes to the inbox like any file; the officer follows it on its status page."""
    posted = await _posted(request, typ, variant)
    if isinstance(posted, Response):
        return posted
    user, t, variant, form, schema = posted
    try:
        data = json.loads(str(form.get("indata", "")))
        if not isinstance(data, dict):
            raise ValueError
    except (ValueError, RecursionError):
        return _form_page(request, user, t, typ, variant, {}, [forms.FieldError((), "Formuläret kom inte fram. Fyll i det igen.")], 422)
    data = dict(data, dokumenttyp=typ, **({"variant": variant} if variant else {}))
    kept = _uploads(request, user)
    try:
        sid = await run_in_threadpool(submit, request.app.state.engine, user, json.dumps(data, ensure_ascii=False).encode("utf-8"),
                                      files=formfiles.files(kept, data))
    except Refused as exc:
        return _form_page(request, user, t, typ, variant, data, _problems(schema, data, exc, i18n.language(request.headers)), 422, draft_id=_draft_id(form))
    formfiles.forget(kept, data)  # in the inbox now
    if _draft_id(form) is not None:  # submitted: the saved draft has served its purpose
        with request.app.state.engine.store.tx() as conn:
            desk.delete_draft(conn, user.namn, _draft_id(form))
    return RedirectResponse(f"/inskickat/{sid}", status_code=303)


@router.post("/ny-text")
async def text_preview(request: Request) -> Response:
    """A free text as the document will show it (the same Markdown subset and parser as the templates), as HTML."""
    user, refusal = signed_in(request, lambda u: u.may_submit)
    if refusal is not None:
        return refusal
    form = await request.form()
    if not hmac.compare_digest(str(form.get("csrf", "")), csrf(request, user)):
        return Response(status_code=400)
    text = str(form.get("text", ""))[:20_000]
    html = await run_in_threadpool(lambda: markdown().render(text))
    return Response(html, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-store"})


@router.get("/forhandsvisning/{token}")
def preview_pdf(request: Request, token: str):
    user, refusal = signed_in(request, lambda u: u.may_submit)
    if refusal is not None:
        return refusal
    with _previews_lock:
        kept = _previews.get(token)
    if kept is None or kept[0] != user.namn:
        return not_found(request, user)
    return Response(kept[1], media_type="application/pdf",
                    headers={"Content-Disposition": 'inline; filename="utkast.pdf"', "Cache-Control": "no-store"})

"""The decision maker's pages: "Att besluta" (the documents that wait for this person's decision), a document's
decision page (the draft PDF, the input as "check your answers", decide or send back with a comment) and the
confirmation. The decisions themselves are ``docgen.decisions``'s: these pages show and ask, nothing more."""
from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from .. import decisions
from . import forms, i18n
from .desk import _context, form_schema, people
from .pages import csrf, form_expired, not_found, page, signed_in

router = APIRouter(include_in_schema=False)
CHOICES = (decisions.DECIDED, decisions.RETURNED)
COMMENT_MAX = 2000


def _decider(request: Request):
    """(user, None) for a signed-in beslutsfattare, or (user, the page to answer with)."""
    return signed_in(request, lambda u: u.decides)


def _named(request: Request, user, pid: int):
    """(the document, None) when this user is named to decide it, else (None, the page to answer with: 404 when
    there is no such document, 403 when it is someone else's to decide)."""
    found = decisions.get(request.app.state.engine.store, pid)
    if found is None:
        return None, not_found(request, user)
    if user.namn not in found.beslutsfattare:
        return None, page(request, "fel_sida.html", user, 403, status=403, detalj=None,
                          text="Du är inte utsedd att fatta beslut om det här dokumentet.")
    return found, None


def _named_decider(request: Request, pid: int):
    """(user, the document, None) for a signed-in beslutsfattare named to decide it, else (user, None, the page
    to answer with)."""
    user, refusal = _decider(request)
    if refusal is not None:
        return user, None, refusal
    p, refusal = _named(request, user, pid)
    return user, p, refusal


def _refused(request: Request, user, exc: decisions.DecisionError):
    """The page for a refused decision or draft, in the page's language."""
    return page(request, "fel_sida.html", user, exc.status, status=exc.status, detalj=None,
                text=said(exc, i18n.language(request.headers)))


@router.get("/att-besluta")
def to_decide(request: Request):
    user, refusal = _decider(request)
    if refusal is not None:
        return refusal
    waiting = decisions.pending_for(request.app.state.engine.store, user.namn)
    return page(request, "att_besluta.html", user, poster=waiting)


def _answers(request: Request, p) -> list:
    """The input as the officer's check page shows it."""
    t = request.app.state.engine.plugins.get(p.dokumenttyp)
    if t is None:
        return []
    data = dict(p.indata)
    schema = form_schema(t, data.get("variant"), people=people(request))
    return forms.answers(schema, t.cls.form_layout, data, _context(request, t))


def said(exc: decisions.DecisionError, lang: str) -> str:
    """A refused decision's text in the page's language, as a sentence."""
    text = exc.problem.en if lang == "en" else exc.problem.sv
    return text[:1].upper() + text[1:]


def _decision_page(request: Request, user, p, status_code: int = 200, errors: dict | None = None, valt: str = "",
                   kommentar: str = ""):
    lang = i18n.language(request.headers)
    errors = {k: i18n.field_error(lang, v) for k, v in (errors or {}).items()}
    href = {"val": "#f-val", "kommentar": "#f-kommentar"}
    summary = [{"text": text, "href": href[k]} for k, text in errors.items()]
    own = isinstance(decisions.may_decide(request.app.state.config, p, user), decisions.NotAllowed)
    return page(request, "besluta.html", user, status_code, p=p, rader=_answers(request, p), fel=errors,
                sammanfattning=summary, valt=valt, kommentar=kommentar, egen=own,
                beslutsrad=decisions.decision_line(request.app.state.engine, p, user))


@router.get("/att-besluta/{pid}")
def decision_page(request: Request, pid: int):
    user, p, refusal = _named_decider(request, pid)
    if refusal is not None:
        return refusal
    if not p.waiting:
        return RedirectResponse(f"/att-besluta/{pid}/klart", status_code=303)
    return _decision_page(request, user, p)


@router.get("/att-besluta/{pid}/utkast")
async def draft(request: Request, pid: int):
    """The draft PDF as it will read if this user decides (recorded as what they saw)."""
    user, p, refusal = _named_decider(request, pid)
    if refusal is not None:
        return refusal
    if not p.waiting:
        return not_found(request, user)
    try:
        pdf = await run_in_threadpool(decisions.draft_pdf, request.app.state.engine, pid, user)
    except decisions.DecisionError as exc:
        return _refused(request, user, exc)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": 'inline; filename="utkast.pdf"', "Cache-Control": "no-store"})


@router.post("/att-besluta/{pid}")
async def decide(request: Request, pid: int) -> Response:
    """Decide (``fattat``) or send back (``återvisat``, with a comment); the confirmation follows."""
    user, refusal = _decider(request)
    if refusal is not None:
        return refusal
    form = await request.form()
    if not hmac.compare_digest(str(form.get("csrf", "")), csrf(request, user)):
        return form_expired(request, user)
    p, refusal = _named(request, user, pid)
    if refusal is not None:
        return refusal
    choice = str(form.get("val", ""))
    comment = str(form.get("kommentar", "")).strip()
    errors = {}
    if choice not in CHOICES:
        errors["val"] = "Välj om du fattar beslutet eller återvisar dokumentet."
    if choice == decisions.RETURNED and not comment:
        errors["kommentar"] = "Skriv varför du återvisar dokumentet, så att den som skickade in det vet vad som ska ändras."
    if len(comment) > COMMENT_MAX:
        errors["kommentar"] = f"Kommentaren får ha högst {COMMENT_MAX} tecken (nu {len(comment)})."
    if errors:
        return _decision_page(request, user, p, 422, errors, choice, comment)
    try:
        await run_in_threadpool(decisions.decide, request.app.state.engine, pid, user, choice, comment or None, user.auth)
    except decisions.DecisionError as exc:
        if exc.status == 422:  # the draft was not fetched: the page shows it again
            return _decision_page(request, user, p, 422, {"val": said(exc, i18n.language(request.headers))},
                                  choice, comment)
        return _refused(request, user, exc)
    return RedirectResponse(f"/att-besluta/{pid}/klart", status_code=303)


@router.get("/att-besluta/{pid}/klart")
def decided(request: Request, pid: int):
    """What this user decided about the document (the document's number once it is registered)."""
    user, p, refusal = _named_decider(request, pid)
    if refusal is not None:
        return refusal
    if p.waiting:
        return RedirectResponse(f"/att-besluta/{pid}", status_code=303)
    if p.beslutad_av != user.namn:  # another named decision maker decided it
        return page(request, "fel_sida.html", user, 409, status=409, detalj=None,
                    text="Någon annan har redan beslutat om det här dokumentet.")
    return page(request, "beslutat.html", user, p=p)

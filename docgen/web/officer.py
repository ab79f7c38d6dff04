"""The officer's own pages: "Mina dokument" (drafts saved on the server, and what one submitted with its
status), and "Ny från denna" (a new document started from an earlier one's input)."""
from __future__ import annotations

import hmac
from datetime import date
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from .. import decisions
from ..store import access, desk
from ..store import decisions as decision_rows
from . import formfiles
from .cases import visible_case
from .pages import csrf, not_found, page, signed_in
from .submit import Refused, status

router = APIRouter(include_in_schema=False)
#: What a new document started from an earlier one does not take over: its number and status, and its date.
NOT_CARRIED_OVER = ("diarienummer", "status", "datum", "bilagor")


def form_url(typ: str, variant: str | None, **query) -> str:
    q = {"variant": variant, **query}
    args = "&".join(f"{k}={quote(str(v))}" for k, v in q.items() if v is not None)
    return f"/ny/{quote(typ)}" + (f"?{args}" if args else "")


@router.get("/mina")
def my_documents(request: Request):
    user, refusal = signed_in(request, lambda u: u.may_submit)
    if refusal is not None:
        return refusal
    engine = request.app.state.engine
    with engine.store.read() as conn:
        drafts = desk.drafts_of(conn, user.namn)
        sent = desk.submissions_of(conn, user.namn, limit=100)
        for s in sent:
            s["dokument"] = access.by_source(conn, s["id"])
    for s in sent:
        s["status"] = "registrerad" if s["dokument"] else status(engine, s["id"]).status
    for d in drafts:
        d["url"] = form_url(d["dokumenttyp"], d["variant"], utkast=d["id"])
    return page(request, "mina.html", user, utkast=drafts, inskickat=sent,
                beslut=decisions.submitted_by(engine.store, user.namn))


@router.post("/mina/utkast/{draft_id}/ta-bort")
async def delete_draft(request: Request, draft_id: int) -> Response:
    user, refusal = signed_in(request, lambda u: u.may_submit)
    if refusal is not None:
        return refusal
    form = await request.form()
    if not hmac.compare_digest(str(form.get("csrf", "")), csrf(request, user)):
        return not_found(request, user)
    with request.app.state.engine.store.tx() as conn:
        kept = desk.draft(conn, user.namn, draft_id)
        desk.delete_draft(conn, user.namn, draft_id)
    if kept:  # its uploaded attachments go with it
        formfiles.forget(formfiles.folder(request.app.state.config.workspace, user.namn), kept["data"])
    return RedirectResponse("/mina", status_code=303)


@router.get("/mina/beslut/{pid}/andra")
def change_returned(request: Request, pid: int):
    """A document the decision maker sent back, opened in its form (saved as a draft) to be changed and sent again."""
    user, refusal = signed_in(request, lambda u: u.may_submit)
    if refusal is not None:
        return refusal
    engine = request.app.state.engine
    p = decisions.get(engine.store, pid)
    if p is None or p.inskickad_av != user.namn or p.status != decisions.RETURNED:
        return not_found(request, user)
    data = {k: v for k, v in p.indata.items() if k not in ("diarienummer", "status")}
    if engine.plugins.get(data.get("dokumenttyp", "")) is None:
        return not_found(request, user)
    with engine.store.read() as conn:  # its attachments, kept as the form keeps uploaded ones
        stored = decision_rows.files(conn, pid)
    where = formfiles.folder(request.app.state.config.workspace, user.namn)
    data["bilagor"] = [dict(b, fil=formfiles.keep(where, b["fil"], stored[b["fil"]]))
                       for b in data.get("bilagor") or [] if isinstance(b, dict) and b.get("fil") in stored]
    if not data["bilagor"]:
        del data["bilagor"]
    with engine.store.tx() as conn:
        draft_id = desk.save_draft(conn, user.namn, data["dokumenttyp"], data.get("variant"), data)
    return RedirectResponse(form_url(data["dokumenttyp"], data.get("variant"), utkast=draft_id), status_code=303)


def visible_document(request: Request, dnr: str, lopnummer: int):
    """(user, case, document) for someone who may submit and may see this document, or the page to answer with."""
    user, refusal = signed_in(request, lambda u: u.may_submit)
    if refusal is not None:
        return refusal
    try:
        case = visible_case(request, user, dnr, log_views=False)
    except Refused:
        return not_found(request, user)
    doc = next((d for d in case["handlingar"] if d["lopnummer"] == lopnummer), None)
    return not_found(request, user) if doc is None else (user, case, doc)


@router.get("/ny-fran/{dnr}/{lopnummer}")
def new_from(request: Request, dnr: str, lopnummer: int):
    """Start a new document from an earlier one this user may see: its input less number, status and date,
    saved as a draft and opened in the form."""
    found = visible_document(request, dnr, lopnummer)
    if isinstance(found, Response):
        return found
    user, _, doc = found
    engine = request.app.state.engine
    with engine.store.read() as conn:
        data = desk.latest_input(conn, doc["id"])
    if not data or engine.plugins.get(data.get("dokumenttyp", "")) is None:
        return not_found(request, user)
    data = {k: v for k, v in data.items() if k not in NOT_CARRIED_OVER} | {"datum": date.today().isoformat()}
    with engine.store.tx() as conn:
        draft_id = desk.save_draft(conn, user.namn, data["dokumenttyp"], data.get("variant"), data)
    return RedirectResponse(form_url(data["dokumenttyp"], data.get("variant"), utkast=draft_id), status_code=303)

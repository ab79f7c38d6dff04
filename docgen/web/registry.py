"""The registrar's pages: the access and submission logs, the fixity check, archival packages built and
downloaded from the browser, and failed inputs dismissed with a reason."""
from __future__ import annotations

import hmac
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.background import BackgroundTask

from ..model import DocStatus
from ..registrar.archive import archive
from ..registrar.search import list_documents
from ..registrar.verify import verify_outbox
from ..store import access, desk, users
from .pages import csrf, not_found, page, signed_in
from .dismiss import dismiss as dismiss_entry
from .submit import Refused, failed_queue, status

router = APIRouter(include_in_schema=False)
#: What the access log's actions mean, in the pages' words.
ACTIONS = {"visning": "Visade", "nedladdning": "Laddade ned", users.SUBMITTED: "Skickade in", "avfardande": "Avfärdade från felkön",
           "arkivering": "Arkiverade", "kontroll": "Kontrollerade filerna", "ny_version": "Gjorde en ny version"}
PACKAGE = "[A-Za-z0-9._-]+"


def archive_dir(request: Request) -> Path:
    """Where packages built from the web are kept: ``arkiv/`` in the workspace."""
    return request.app.state.config.workspace / "arkiv"


def _registrar(request: Request):
    return signed_in(request, lambda u: u.registrator)


async def _posted(request: Request, user):
    form = await request.form()
    return form if hmac.compare_digest(str(form.get("csrf", "")), csrf(request, user)) else None


@router.get("/registratur")
def overview(request: Request, atgard: str = ""):
    user, refusal = _registrar(request)
    if refusal is not None:
        return refusal
    engine = request.app.state.engine
    with engine.store.read() as conn:
        log = desk.access_log(conn, 300, atgard or None)
        sent = desk.submissions_of(conn, None, limit=50)
        for s in sent:
            s["dokument"] = access.by_source(conn, s["id"])
    for s in sent:
        s["status"] = "registrerad" if s["dokument"] else status(engine, s["id"]).status
    cases = sorted({r["diarienummer"] for r in list_documents(engine.store, status=DocStatus.REGISTERED)})
    folder = archive_dir(request)
    packages = sorted((p.name for p in folder.iterdir() if p.is_dir()), reverse=True) if folder.is_dir() else []
    return page(request, "registratur.html", user, logg=log, atgarder=ACTIONS, vald=atgard, inskickat=sent,
                arenden=cases, paket=packages)


@router.post("/registratur/kontroll")
async def fixity(request: Request):
    """Recompute every registered file's checksum (as `docgen verify`) and show the result."""
    user, refusal = _registrar(request)
    if refusal is not None:
        return refusal
    if await _posted(request, user) is None:
        return not_found(request, user)
    engine = request.app.state.engine
    problems, checked = await run_in_threadpool(verify_outbox, engine.store, engine.config.outbox)
    with engine.store.tx() as conn:
        users.log(conn, user.namn, "kontroll", detalj=f"{checked} filer, {len(problems)} avvikelser")
    return page(request, "kontroll.html", user, avvikelser=problems, kontrollerade=checked,
                tid=datetime.now().astimezone().isoformat(timespec="seconds"))


@router.post("/registratur/arkiv")
async def build_archive(request: Request):
    """Build the archival package of one case (as `docgen archive --dnr`) and offer it for download."""
    user, refusal = _registrar(request)
    if refusal is not None:
        return refusal
    form = await _posted(request, user)
    if form is None:
        return not_found(request, user)
    engine = request.app.state.engine
    dnr = str(form.get("diarienummer", ""))
    if dnr not in {r["diarienummer"] for r in list_documents(engine.store, status=DocStatus.REGISTERED)}:
        return page(request, "fel_sida.html", user, 422, status=422, detalj=None,
                    text="Ärendet har inga registrerade handlingar som kan arkiveras.")
    use_docx = bool(engine.config.settings.arkiv.docx)
    done = await run_in_threadpool(archive, engine.store, engine.config, [dnr], archive_dir(request), use_docx, engine.plugins)
    with engine.store.tx() as conn:
        users.log(conn, user.namn, "arkivering", diarienummer=dnr, detalj=done[0]["paket"])
    return RedirectResponse("/registratur#arkiv", status_code=303)


@router.get("/registratur/arkiv/{paket}.zip")
def download_package(request: Request, paket: str):
    """An archival package as one ZIP file."""
    user, refusal = _registrar(request)
    if refusal is not None:
        return refusal
    folder = archive_dir(request) / paket
    if "/" in paket or paket.startswith(".") or not folder.is_dir():
        return not_found(request, user)
    tmp = tempfile.mkdtemp(prefix="docgen-paket-")
    zipped = shutil.make_archive(str(Path(tmp) / paket), "zip", root_dir=folder.parent, base_dir=paket)
    return FileResponse(zipped, media_type="application/zip", filename=f"{paket}.zip",
                        background=BackgroundTask(shutil.rmtree, tmp, ignore_errors=True))


@router.post("/fel/{mapp}/avfor")
async def dismiss(request: Request, mapp: str) -> Response:
    """Take a failed input out of the failed queue, with the reason (``docgen.web.dismiss``, as the API does)."""
    user, refusal = _registrar(request)
    if refusal is not None:
        return refusal
    form = await _posted(request, user)
    item = next((f for f in failed_queue(request.app.state.engine) if f["mapp"] == mapp), None)
    if form is None or item is None:
        return not_found(request, user)
    reason = " ".join(str(form.get("orsak", "")).split())
    if not reason:
        return page(request, "fel_post.html", user, 422, post=item, indata=item["indata"], problem=None,
                    avfor_fel="Skriv varför posten tas bort ur felkön.")
    try:  # the same dismissal as the API's: the folder moves whole to avfardade/, the access log says why
        dismiss_entry(request.app.state.engine, user, mapp, reason)
    except Refused:
        return not_found(request, user)
    return RedirectResponse("/fel", status_code=303)

"""A new version of one's own registered document from the web: "Ny version" opens the type's form filled with
the latest version's input; the officer changes it, says why, checks and registers. The version is made as the
registrar's regeneration makes one (``registrar.regenerate``): same diarienummer and running number, the next
version, its attachments kept, no new deliveries; the version names the officer, its record and the access log
(``ny_version``) the reason. Only the document's own submitter or a registrar may do it, and only while the
document is registered (not voided, not archived)."""
from __future__ import annotations

import hmac
import json
import logging
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from ..model import DocStatus
from ..registrar.regenerate import Item, regenerate_one, select
from ..store import desk as store
from ..store import users
from . import desk, forms
from .officer import visible_document
from .pages import csrf, not_found, page

log = logging.getLogger("docgen.web")
router = APIRouter(include_in_schema=False)
#: What a new version keeps from the registered one whatever the form says: the number and the attachments.
FIXED = ("dokumenttyp", "variant", "diarienummer", "serie", "bilagor")
REASON_FIELD = "_anledning"
REASON_MIN, REASON_MAX = 3, 500


@dataclass
class NewVersion:
    """The registered document a form makes a new version of."""

    diarienummer: str
    lopnummer: int
    version: int  # the version the form makes
    reason: str = ""
    fixed: tuple = ("diarienummer", "serie")  # fields not shown in the form

    @property
    def action(self) -> str:
        return f"/ny-version/{quote(self.diarienummer)}/{self.lopnummer}"


def _document(request: Request, dnr: str, lopnummer: int):
    """(user, the document's latest version row, the loaded type), or the page to answer with instead."""
    found = visible_document(request, dnr, lopnummer)
    if isinstance(found, Response):
        return found
    user, case, doc = found
    engine = request.app.state.engine
    with engine.store.read() as conn:
        own = user.registrator or doc["id"] in store.submitted(conn, user.namn, [doc["id"]])
    if not own:
        return page(request, "fel_sida.html", user, 403, status=403, detalj=None,
                    text="Bara den som skickade in handlingen, eller en registrator, kan göra en ny version av den.")
    if doc["status"] != DocStatus.REGISTERED:
        text = {DocStatus.VOIDED: "Handlingen är makulerad och kan inte få en ny version.",
                DocStatus.ARCHIVED: "Handlingen är arkiverad och kan inte få en ny version."}.get(
            doc["status"], "Handlingen är inte registrerad och kan inte få en ny version.")
        return page(request, "fel_sida.html", user, 409, status=409, text=text,
                    detalj=f"{case['diarienummer']}, handling {lopnummer}.")
    row = next((r for r in select(engine, dnr=case["diarienummer"]) if r["lopnummer"] == lopnummer), None)
    t = engine.plugins.get(row["dokumenttyp"]) if row else None
    if t is None:
        return not_found(request, user)
    return user, row, t


def _fixed(row: dict, data: dict, with_attachments: bool = False) -> dict:
    """The input with what a new version keeps from the registered one (its attachments only ``with_attachments``:
    the form's checks and preview run without them, they are in the outbox beside the document)."""
    stored = json.loads(row["indata"])
    out = {k: v for k, v in data.items() if k not in FIXED}
    keep = FIXED if with_attachments else tuple(k for k in FIXED if k != "bilagor")
    return {k: stored[k] for k in keep if k in stored} | out


def _reason(form) -> tuple[str, list[forms.FieldError]]:
    text = " ".join(str(form.get(REASON_FIELD, "")).split())
    if len(text) < REASON_MIN:
        return text, [forms.FieldError((REASON_FIELD,), "Skriv varför du gör en ny version, till exempel vad som var fel.")]
    if len(text) > REASON_MAX:
        return text, [forms.FieldError((REASON_FIELD,), f"Anledningen får ha högst {REASON_MAX} tecken (nu {len(text)}).")]
    return text, []


@router.get("/ny-version/{dnr}/{lopnummer}")
def version_form(request: Request, dnr: str, lopnummer: int):
    """The type's form, filled with the input of the document's latest version."""
    found = _document(request, dnr, lopnummer)
    if isinstance(found, Response):
        return found
    user, row, t = found
    data = _fixed(row, json.loads(row["indata"]))
    version = NewVersion(row["diarienummer"], lopnummer, row["version"] + 1)
    return desk._form_page(request, user, t, t.name, data.get("variant"), data, version=version)


async def _posted(request: Request, dnr: str, lopnummer: int):
    found = _document(request, dnr, lopnummer)
    if isinstance(found, Response):
        return found
    user, row, t = found
    form = await request.form()
    if not hmac.compare_digest(str(form.get("csrf", "")), csrf(request, user)):
        return desk._bad_token(request, user)
    reason, problems = _reason(form)
    version = NewVersion(row["diarienummer"], lopnummer, row["version"] + 1, reason)
    variant = json.loads(row["indata"]).get("variant")
    schema = desk.form_schema(t, variant, version.fixed, desk.people(request))
    data = _fixed(row, desk.form_data(schema, form, t.name, variant))
    return user, row, t, form, schema, data, version, problems


@router.post("/ny-version/{dnr}/{lopnummer}")
async def version_action(request: Request, dnr: str, lopnummer: int) -> Response:
    """The form's buttons (rows, preview, back from the check page), then "check and register" with the reason."""
    posted = await _posted(request, dnr, lopnummer)
    if isinstance(posted, Response):
        return posted
    user, row, t, form, schema, data, version, problems = posted
    variant = data.get("variant")

    def again(errors=(), status_code=200, **kw):
        return desk._form_page(request, user, t, t.name, variant, data, errors, status_code, version=version, **kw)

    if str(form.get("atgard", "")) == "spara":  # no drafts of a new version: the form has no such button
        return again()
    done = await desk.act(request, user, form, schema, data, again, extra=problems)
    if isinstance(done, Response):
        return done
    return page(request, "granska.html", user, typ=t.name, titel=desk.type_title(t, variant), action=version.action,
                indata=json.dumps(data, ensure_ascii=False), ny_version=version,
                rader=forms.answers(schema, t.cls.form_layout, data, desk._context(request, t)),
                utskick=done.distribution, sekretess=data.get("sekretess"), utkast=None)


@router.post("/ny-version/{dnr}/{lopnummer}/registrera")
async def register_version(request: Request, dnr: str, lopnummer: int) -> Response:
    """Register the checked input as the document's next version, with the reason, and show the case."""
    posted = await _posted(request, dnr, lopnummer)
    if isinstance(posted, Response):
        return posted
    user, row, t, form, schema, data, version, problems = posted
    variant = data.get("variant")
    if problems or not form.get("indata"):
        return desk._form_page(request, user, t, t.name, variant, data, problems, 422, version=version)
    engine = request.app.state.engine
    item = Item(dict(row, indata=json.dumps(_fixed(row, data, with_attachments=True), ensure_ascii=False)), "regenerate")
    item = await run_in_threadpool(regenerate_one, engine, item, f"{user.namn} (webben/API:t)", version.reason)
    if item.action != "regenerate":
        log.warning("a new version of %s handling %s failed: %s", row["diarienummer"], lopnummer, item.reason)
        error = forms.FieldError((), "Den nya versionen kunde inte registreras. Någon annan kan just ha gjort en ny version: "
                                     "öppna handlingen igen och försök på nytt. Kvarstår felet, kontakta registraturen.")
        return desk._form_page(request, user, t, t.name, variant, data, [error], 409, version=version)
    made = item.result.version
    with engine.store.tx() as conn:
        users.log(conn, user.namn, store.NEW_VERSION, diarienummer=row["diarienummer"], handling_id=row["handling_id"],
                  detalj=f"version {made}: {version.reason}")
    return RedirectResponse(f"/arende/{quote(row['diarienummer'])}#h{lopnummer}-v{made}", status_code=303)

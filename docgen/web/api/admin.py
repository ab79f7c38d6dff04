"""The failed queue (read, dismiss) and webhooks (register, list, remove, the delivery log)."""

from fastapi import APIRouter, Depends, Path as PathParam, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ...store import webhooks as webhook_rows
from .. import webhooks
from ..auth import User
from ..cases import PREFIX
from ..dismiss import dismiss
from ..problems import problems_for
from ..submit import Refused, failed_queue
from .common import current_user, errors, registrator, submitter
from .models import FailedModel

router = APIRouter()


@router.get("/fel", response_model=list[FailedModel], responses=errors(403), summary="Felkön / the failed queue")
def failed(request: Request, user: User = Depends(registrator)):
    """The inputs in fel/, newest first, each with its report (registrator only)."""
    return failed_queue(request.app.state.engine)


class DismissBody(BaseModel):
    orsak: str = Field(min_length=3, max_length=500, description="Varför / why (kept in the access log).")


class Dismissed(BaseModel):
    mapp: str
    orsak: str


@router.post("/fel/{mapp}/avfarda", response_model=Dismissed, responses=errors(400, 403, 404, 409, 422),
             summary="Avfärda en post i felkön / dismiss a failed input")
def dismiss_failed(request: Request, mapp: str, body: DismissBody, user: User = Depends(registrator)):
    """Takes the input out of the failed queue without deleting anything: its folder moves to avfardade/ with the
    reason, and the dismissal is kept in the access log (registrator only)."""
    dismiss(request.app.state.engine, user, mapp, body.orsak.strip())
    return Dismissed(mapp=mapp, orsak=body.orsak.strip())


class WebhookIn(BaseModel):
    url: str = Field(min_length=8, max_length=2000, description="Inom / within [webb] webhook_tillatna.")
    hemlighet: str = Field(min_length=16, max_length=200, description="Nyckeln för X-Docgen-Signature (HMAC-SHA256).")


class WebhookModel(BaseModel):
    id: int
    url: str
    agare: str
    skapad: str


class WebhookDelivery(BaseModel):
    id: int
    webhook_id: int
    url: str
    handelse: str
    inskickning: str
    status: str
    forsok: int
    senaste_svar: str | None
    skapad: str
    levererad: str | None


def _hook(row: dict) -> WebhookModel:
    return WebhookModel(id=row["id"], url=row["url"], agare=row["agare"], skapad=row["skapad"])


@router.post("/webhooks", status_code=201, response_model=WebhookModel, responses=errors(400, 403, 422),
             summary="Registrera en webhook / register a webhook")
def add_webhook(request: Request, body: WebhookIn, user: User = Depends(submitter)):
    """Events about this user's submissions (registrerad, fel, makulerad) are POSTed to the URL as JSON, signed
    with HMAC-SHA256 over the body under ``hemlighet`` (``X-Docgen-Signature: sha256=<hex>``), retried until
    answered 2xx. The URL must start with a prefix in ``[webb] webhook_tillatna``."""
    webhooks.check_url(request.app.state.config, body.url)
    with request.app.state.engine.store.tx() as conn:
        row = webhook_rows.add(conn, user.namn, body.url, body.hemlighet)
    return Response(_hook(row).model_dump_json(), status_code=201, media_type="application/json",
                    headers={"Location": f"{PREFIX}/webhooks/{row['id']}"})


@router.get("/webhooks", response_model=list[WebhookModel], responses=errors(), summary="Webhooks")
def list_webhooks(request: Request, user: User = Depends(current_user)):
    """Your webhooks (a registrator sees everyone's); secrets are never shown again."""
    with request.app.state.engine.store.read() as conn:
        rows = webhook_rows.listing(conn, None if user.registrator else user.namn)
    return [_hook(r) for r in rows]


@router.get("/webhooks/leveranser", response_model=list[WebhookDelivery], responses=errors(403),
            summary="Webhooks leveranslogg / delivery log")
def webhook_deliveries(request: Request, user: User = Depends(registrator)):
    """Every delivery, newest first: vantar (to be tried again), levererad, misslyckad (given up), with the number
    of tries and the last answer (registrator only)."""
    with request.app.state.engine.store.read() as conn:
        return [WebhookDelivery(**r) for r in webhook_rows.delivery_log(conn)]


@router.delete("/webhooks/{hook_id}", status_code=204, response_class=Response, responses=errors(404),
               summary="Ta bort en webhook / remove a webhook")
def remove_webhook(request: Request, hook_id: int = PathParam(ge=1, le=2**31 - 1), user: User = Depends(current_user)):
    with request.app.state.engine.store.tx() as conn:
        row = webhook_rows.one(conn, hook_id)
        if row is None or (row["agare"] != user.namn and not user.registrator):
            raise Refused(404, problems_for(404))
        webhook_rows.remove(conn, hook_id)
    return Response(status_code=204)

"""The HTTP API under /api/v1: submit inputs, follow their status, preview drafts (``documents``), decide documents
(``decisions``), search the diarium, read a case, download files (``diarium``), the failed queue and webhooks
(``admin``). Every route names the errors it can answer with, so the OpenAPI description is complete."""

from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ..cases import PREFIX
from ..problems import problems_for
from ..submit import Refused
from . import admin, decisions, diarium, documents
from .common import bearer

router = APIRouter(prefix=PREFIX, dependencies=[Depends(bearer)])
for part in (documents, decisions, diarium, admin):
    router.include_router(part.router)

legacy = APIRouter(include_in_schema=False)


@legacy.api_route("/api/{rest:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
def unversioned(request: Request, rest: str):
    """The first release's paths (``/api/…``) answer 308 to ``/api/v1/…`` (method and body kept) for one release."""
    if rest == "v1" or rest.startswith("v1/"):
        raise Refused(404, problems_for(404))
    target = f"{PREFIX}/{quote(rest)}" + (f"?{request.url.query}" if request.url.query else "")
    return Response(status_code=308, headers={"Location": target})

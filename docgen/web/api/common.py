"""What every API route shares: who is asking (and may they), the errors a route declares, ETags, JSON bodies."""
from __future__ import annotations

import hashlib

from fastapi import Depends, Request
from fastapi.responses import Response
from fastapi.security import HTTPBearer

from ..auth import User
from ..problems import problems_for
from ..security import cross_site
from ..submit import Refused, too_large
from .models import ErrorBody

bearer = HTTPBearer(auto_error=False, description="API-nyckeln som `docgen user add` skriver ut / the token `docgen user add` prints.")


def errors(*codes: int) -> dict:
    """The error answers of a route (401 always), for its OpenAPI description."""
    return {c: {"model": ErrorBody} for c in (401, *codes)}


def current_user(request: Request) -> User:
    """The request's user, or 401."""
    user = request.app.state.auth.identify(request.headers, request.cookies)
    if user is None:
        raise Refused(401, problems_for(401))
    if cross_site(request):
        raise Refused(403, problems_for(403, "Begäran kom från en annan webbplats.", "The request came from another site."))
    return user


def submitter(request: Request, user: User = Depends(current_user)) -> User:
    if not user.may_submit:
        raise Refused(403, problems_for(403, "Att skicka in kräver rollen handlaggare, beslutsfattare eller registrator.",
                                        "Submitting needs the role handlaggare, beslutsfattare or registrator."))
    return user


def registrator(request: Request, user: User = Depends(current_user)) -> User:
    if not user.registrator:
        raise Refused(403, problems_for(403))
    return user


NOT_MODIFIED = {304: {"description": "Oförändrad sedan If-None-Match / unchanged since If-None-Match."}}


def tagged(request: Request, body: bytes | None, etag: str, confidential: bool, **kw) -> Response:
    """``body`` as JSON with its ETag, or 304 when the client's If-None-Match names it (confidential answers are
    never cached by the browser or a proxy: the client keeps them itself)."""
    headers = {"ETag": etag, "Cache-Control": "no-store" if confidential else "private, no-cache"}
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers, **kw)


def json_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def json_body(request: Request) -> bytes:
    """The request body, refused as 415 unless JSON and 413 when larger than ``[granser] max_filstorlek``."""
    kind = media_type(request)
    if kind != "application/json":
        raise Refused(415, problems_for(415, f"Fick {kind or '(ingen)'}.", f"Got {kind or '(none)'}."))
    limit = request.app.state.config.settings.granser.max_filstorlek
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            break
    return bytes(body)


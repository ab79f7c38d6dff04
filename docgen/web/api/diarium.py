"""The diarium: search it, read a case, download a document's files, and the document types with their schemas."""

import datetime
import unicodedata
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Path as PathParam, Query, Request
from fastapi.responses import FileResponse, Response

from ...store import users
from ..auth import User
from ..cases import PREFIX, case_body, document_rows, visible_case
from ..problems import problems_for
from ..security import frameable_headers
from ..submit import Refused
from .common import NOT_MODIFIED, current_user, errors, json_etag, tagged
from .models import CaseBody, DocumentRow, TypeModel

router = APIRouter()
DATE = Query(None, description="ÅÅÅÅ-MM-DD")


LINK = {"Link": {"description": "`<…>; rel=\"next\"`: nästa sida / the next page (none on the last).",
                 "schema": {"type": "string"}}}


@router.get("/arenden", response_model=list[DocumentRow], responses={200: {"headers": LINK}, **errors()},
            summary="Sök i diariet / search")
def search(request: Request, response: Response, user: User = Depends(current_user), typ: str | None = None,
           serie: str | None = None, ar: int | None = Query(None, ge=1900, le=2100), fran: datetime.date | None = DATE,
           till: datetime.date | None = DATE,
           status: Literal["registrerad", "makulerad", "arkiverad"] | None = None,
           text: str | None = Query(None, max_length=200), limit: int = Query(200, ge=1, le=1000),
           efter: int | None = Query(None, ge=1, le=2**63 - 1, description="Markören från föregående sidas next-länk / the cursor "
                                                            "of the previous page's next link.")):
    """The registrar's filters (as `docgen registry list`); confidential documents only for those who may see them.
    Newest registered first, ``limit`` per page; the ``Link: <…>; rel="next"`` header leads to the next page (a
    document registered meanwhile never makes another appear twice or be skipped)."""
    rows = document_rows(request, user, typ=typ, serie=serie, ar=ar, fran=fran.isoformat() if fran else None,
                         till=till.isoformat() if till else None, status=status, text=text, limit=limit + 1,
                         before_id=efter, newest_first=True)
    if len(rows) > limit:
        rows = rows[:limit]
        query = [(k, v) for k, v in request.query_params.multi_items() if k != "efter"] + [("efter", rows[-1]["handling_id"])]
        response.headers["Link"] = f'<{request.url.path}?{urlencode(query)}>; rel="next"'
    return rows



@router.get("/arenden/{dnr}", response_model=CaseBody, responses={**NOT_MODIFIED, **errors(404)},
            summary="Ett ärende / one case")
def get_case(request: Request, dnr: str, user: User = Depends(current_user)):
    """The case, its documents, every version with checksums and files, deliveries; with an ETag
    (``If-None-Match`` answers 304 while nothing changed)."""
    case = case_body(visible_case(request, user, dnr, log_views=True))
    body = CaseBody.model_validate(case).model_dump_json().encode()
    return tagged(request, body, json_etag(body), any(d["sekretess"] for d in case["handlingar"]))


MEDIA = {"pdf": "application/pdf", "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


@router.get("/arenden/{dnr}/handlingar/{lopnummer}/{typ}", response_class=FileResponse,
            responses={200: {"content": {m: {} for m in MEDIA.values()}, "description": "Filen."}, **NOT_MODIFIED,
                       **errors(404)},
            summary="Hämta en fil / download a file")
def download(request: Request, dnr: str, typ: Literal["pdf", "docx"], lopnummer: int = PathParam(ge=1, le=99999),
             version: int | None = Query(None, ge=1, le=99999), inline: bool = False,
             user: User = Depends(current_user)):
    """A document's PDF or DOCX (the latest version unless ``version`` is given); ``inline`` for showing in the browser."""
    case = visible_case(request, user, dnr, log_views=False)
    doc = next((d for d in case["handlingar"] if d["lopnummer"] == lopnummer), None)
    versions = [v for v in (doc["versioner"] if doc else []) if version is None or v["version"] == version]
    stored = next((f for f in (versions[-1]["filer"] if versions else []) if f["typ"] == typ), None)
    outbox = request.app.state.config.outbox.resolve()
    path = (outbox / stored["sokvag"]).resolve() if stored else None
    if path is None or not path.is_relative_to(outbox) or not path.is_file():
        raise Refused(404, problems_for(404))
    if doc["sekretess"]:  # shown in a page (the case page's preview) or saved: the log tells which
        with request.app.state.engine.store.tx() as conn:
            users.log(conn, user.namn, "forhandsvisning" if inline else "nedladdning", diarienummer=case["diarienummer"],
                      handling_id=doc["id"], detalj=f"{typ} v{versions[-1]['version']}")
    headers = {"Content-Disposition": disposition("inline" if inline else "attachment", Path(stored["sokvag"]).name)}
    if inline:
        headers.update(frameable_headers())
    etag = f'"{stored["sha256"]}"'  # the file's recorded checksum: the same bytes, the same tag
    if not doc["sekretess"]:
        headers["Cache-Control"] = "private, no-cache"
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers={"ETag": etag, **{k: v for k, v in headers.items()
                                                                     if k == "Cache-Control"}})
    return FileResponse(path, media_type=MEDIA[typ], headers={**headers, "ETag": etag})


def disposition(kind: str, name: str) -> str:
    """Content-Disposition with a plain ``filename=`` (ASCII, what `curl -OJ` and old clients read) and
    ``filename*=`` (the exact UTF-8 name)."""
    plain = "".join(c if c.isascii() and c.isprintable() and c not in '"\\/;' else "_" for c in
                    unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode() or "fil")
    return f"{kind}; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"


@router.get("/typer", response_model=list[TypeModel], responses=errors(), summary="Dokumenttyper / document types")
def types(request: Request, user: User = Depends(current_user)):
    return [TypeModel(namn=name, titel=t.cls.title, varianter=list(t.cls.variants or []),
                      schema_url=f"{PREFIX}/typer/{name}/schema") for name, t in request.app.state.engine.plugins.types.items()]


@router.get("/typer/{typ}/schema", response_model=dict[str, Any], responses=errors(404),
            summary="En typs JSON Schema / a type's JSON Schema")
def type_schema(request: Request, typ: str, user: User = Depends(current_user)):
    """The same schema as `docgen schema TYP`."""
    t = request.app.state.engine.plugins.get(typ)
    if t is None:
        raise Refused(404, problems_for(404))
    return t.full_schema()

"""The HTTP API under /api: submit inputs, follow their status, preview drafts, search the diarium, read a case,
download files. Every route names the errors it can answer with, so the OpenAPI description is complete."""
import datetime
import hashlib
import unicodedata
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Header, Path as PathParam, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response
from fastapi.security import HTTPBearer
from pydantic import BaseModel, Field

from ..docrow import registry_part
from ..model import DocStatus
from ..registrar.search import show_case
from ..store import access, users, webhooks as webhook_rows
from .app import problems_for
from . import idempotency, uploads, webhooks
from .auth import User
from .dismiss import dismiss
from .security import cross_site, frameable_headers
from .submit import ID, Refused, draft, failed_queue, parse_json, status, submit, too_large

bearer = HTTPBearer(auto_error=False, description="API-nyckeln som `docgen user add` skriver ut / the token `docgen user add` prints.")
#: The API's versioned prefix; the unversioned paths of the first release redirect here (308).
PREFIX = "/api/v1"
router = APIRouter(prefix=PREFIX, dependencies=[Depends(bearer)])


class ProblemModel(BaseModel):
    field: str
    sv: str
    en: str
    fix_sv: str = ""
    fix_en: str = ""
    line: int | None = None


class ErrorBody(BaseModel):
    problem: list[ProblemModel]
    rapport: str | None = None
    id: str | None = None  # 409: the earlier submission
    status_url: str | None = None
    diarienummer: str | None = None


def errors(*codes: int) -> dict:
    return {c: {"model": ErrorBody} for c in (401, *codes)}


class Accepted(BaseModel):
    id: str
    status_url: str


class Files(BaseModel):
    pdf: str | None = None
    docx: str | None = None


class StatusBody(BaseModel):
    id: str
    status: Literal["väntar", "pågår", "registrerad", "fel"]
    diarienummer: str | None = None
    lopnummer: int | None = None
    filer: Files | None = None
    problem: list[ProblemModel] = []
    rapport: str | None = None
    makulerat: str | None = None  # fel: the number the input was given and that was voided, with the reason in rapport


class _DocumentFields(BaseModel):
    """What every description of a document carries."""
    lopnummer: int
    dokumenttyp: str
    rubrik: str
    datum: str
    status: str
    registrerad: str | None
    motpart: str | None
    beskrivning: str | None
    enhet: str | None
    sekretess: dict | None


class DocumentRow(_DocumentFields):
    diarienummer: str
    version: int | None
    extern: bool
    url: str
    pdf: str | None


class FileModel(BaseModel):
    typ: str
    sha256: str
    storlek: int
    url: str | None


class DeliveryModel(BaseModel):
    syfte: str
    namn: str
    epost: str | None
    status: str
    resultat: str | None
    expedierad: str | None


class VersionModel(BaseModel):
    version: int
    skapad: str
    skapad_av: str
    mall: str
    mall_sha256: str
    filer: list[FileModel]
    utskick: list[DeliveryModel]


class CaseDocument(_DocumentFields):
    makulerad_orsak: str | None
    arkivpaket: str | None
    versioner: list[VersionModel]


class CaseBody(BaseModel):
    diarienummer: str
    rubrik: str
    status: str
    skapad: str
    makulerad_orsak: str | None
    extern: bool
    handlingar: list[CaseDocument]


class TypeModel(BaseModel):
    namn: str
    titel: str
    varianter: list[str]
    schema_url: str


class FailedModel(BaseModel):
    mapp: str
    fil: str
    sammanfattning: str
    rapport: str
    indata: str


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
        raise Refused(403, problems_for(403, "Att skicka in kräver rollen handlaggare eller registrator.",
                                        "Submitting needs the role handlaggare or registrator."))
    return user


def registrator(request: Request, user: User = Depends(current_user)) -> User:
    if not user.registrator:
        raise Refused(403, problems_for(403))
    return user


def case_url(dnr: str) -> str:
    return f"{PREFIX}/arenden/{quote(dnr, safe='')}"


def file_url(dnr: str, lopnummer: int, typ: str, version: int | None = None) -> str:
    return f"{case_url(dnr)}/handlingar/{lopnummer}/{typ}" + (f"?version={version}" if version else "")


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
    limit = request.app.state.config.limits["max_filstorlek"]
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            break
    return bytes(body)


INPUT_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "description": "En indata som i en fil i inkorgen (`docgen schema TYP`, GET /api/v1/typer). / "
                                     "An input as in an inbox file."}}}}}
#: A submission may also carry its attachments: the input as the part ``indata``, each file as a file part whose
#: file name is the ``bilagor[].fil`` that names it.
SUBMIT_BODY = {"requestBody": {"required": True, "content": {
    **INPUT_BODY["requestBody"]["content"],
    "multipart/form-data": {"schema": {"type": "object", "required": ["indata"], "properties": {
        "indata": {"type": "string", "description": "Indata som JSON; bilagor[].fil namnger fildelarna. / The input as "
                                                    "JSON; bilagor[].fil names the file parts."},
        "bilaga": {"type": "array", "items": {"type": "string", "format": "binary"},
                   "description": "Bilagorna (PDF, DOCX), filnamnet = bilagor[].fil; delens namn är fritt. / The "
                                  "attachments, file name = bilagor[].fil; the part's name is free."}}}}}}}


@router.post("/dokument", status_code=202, response_model=Accepted, responses=errors(400, 403, 409, 413, 415, 422),
             openapi_extra=SUBMIT_BODY, summary="Skicka in ett dokument / submit a document")
async def post_document(request: Request, user: User = Depends(submitter),
                        idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=200,
                                                             description="Samma nyckel och indata inom 24 h ger samma "
                                                                         "svar / the same key and body within 24 h answer "
                                                                         "the first submission again.")):
    """Checked exactly like a file in the inbox (422 with the report if refused, and no number is taken), then
    put in the inbox for the watcher: numbering, rendering, registration and distribution follow as for any file.
    Content already registered, or submitted and on its way, answers 409 with its id (and diarienummer). Attachments:
    multipart/form-data, the input as the part ``indata`` and each file as a file part named by its bilagor[].fil."""
    limit = request.app.state.config.limits["max_filstorlek"]
    upload = None
    if media_type(request) == "multipart/form-data":
        upload = await uploads.read(request, limit)
        raw, files, digest = upload.raw, upload.files, upload.digest
    else:
        raw = await json_body(request)
        parse_json(raw, limit)
        files, digest = None, None
    engine = request.app.state.engine
    key = idempotency.key_of(request.headers)
    sid = await run_in_threadpool(idempotency.replay, engine, user.namn, key, digest or idempotency.body_hash(raw)) \
        if key else None
    headers = {"Idempotent-Replayed": "true"} if sid else {}
    if sid is None:
        try:
            sid = await run_in_threadpool(submit, engine, user, raw, ".json",
                                          idempotency.once_per_content(engine, digest), files)
        except Refused as exc:
            raise upload.restore_names(exc) if upload else exc
        finally:
            if key:
                await run_in_threadpool(idempotency.settle, engine, user.namn, key, sid)
    url = f"{PREFIX}/dokument/{sid}"
    return Response(Accepted(id=sid, status_url=url).model_dump_json(), status_code=202, media_type="application/json",
                    headers={"Location": url, **headers})


@router.get("/dokument/{sid}", response_model=StatusBody, responses={**NOT_MODIFIED, **errors(404)},
            summary="Status för inskickat / status")
def get_status(request: Request, sid: str, user: User = Depends(current_user)):
    """väntar (in the inbox), pågår (being processed), registrerad (with its number and files), fel (with the problems)."""
    engine = request.app.state.engine
    if ID.fullmatch(sid):
        with engine.store.read() as conn:
            owner = users.submitter(conn, sid)
    if not ID.fullmatch(sid) or owner is None or (owner != user.namn and not user.registrator):
        raise Refused(404, problems_for(404))
    st = status(engine, sid)
    files = Files(pdf=file_url(st.diarienummer, st.lopnummer, "pdf"),
                  docx=file_url(st.diarienummer, st.lopnummer, "docx")) if st.diarienummer else None
    body = StatusBody(id=sid, status=st.status, diarienummer=st.diarienummer, lopnummer=st.lopnummer, filer=files,
                      problem=st.problem, rapport=st.rapport, makulerat=st.makulerat).model_dump_json().encode()
    return tagged(request, body, json_etag(body), confidential=True)


@router.post("/utkast", responses={200: {"content": {"application/pdf": {}}, "description": "Utkastet som PDF."},
                                   **errors(400, 403, 413, 415, 422)},
             openapi_extra=INPUT_BODY, response_class=Response, summary="Förhandsgranska / preview a draft")
async def post_draft(request: Request, user: User = Depends(submitter)):
    """The input rendered as a draft (UTKAST watermark, no number, nothing registered or kept)."""
    raw = await json_body(request)
    data = parse_json(raw, request.app.state.config.limits["max_filstorlek"])
    pdf = await run_in_threadpool(draft, request.app.state.engine, data)
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": 'inline; filename="utkast.pdf"'})


def document_rows(request: Request, user: User, **filters) -> list[dict]:
    with request.app.state.engine.store.read() as conn:
        rows = access.documents(conn, user.roll, user.namn, **filters)
    return [dict(r, **registry_part(r), url=case_url(r["diarienummer"]),  # the diarium's part: docgen.docrow
                 pdf=file_url(r["diarienummer"], r["lopnummer"], "pdf") if r["status"] != DocStatus.VOIDED else None)
            for r in rows]


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
           efter: int | None = Query(None, ge=1, description="Markören från föregående sidas next-länk / the cursor "
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


#: The case title shown to someone who may not see every document of the case (it may name a confidential one).
WITHHELD_TITLE = "[ärendemeningen visas inte: ärendet har handlingar du inte får se] / [case title withheld]"


def visible_case(request: Request, user: User, dnr: str, log_views: bool) -> dict:
    """The case with the documents this user may see (404 if none); with ``log_views``, each confidential one
    shown is logged."""
    from ..dnr import from_slug

    store = request.app.state.engine.store
    case = show_case(store, dnr) or show_case(store, from_slug(request.app.state.config, dnr))
    if case is None:
        raise Refused(404, problems_for(404))
    with store.read() as conn:
        ids = access.visible_ids(conn, user.roll, user.namn, [d["id"] for d in case["handlingar"]])
    shown = [d for d in case["handlingar"] if d["id"] in ids]
    if len(shown) < len(case["handlingar"]):  # the case's title came from a document this user may not see
        case["rubrik"] = WITHHELD_TITLE
    case["handlingar"] = shown
    if not case["handlingar"] and not user.registrator:
        raise Refused(404, problems_for(404))
    secret = [d for d in case["handlingar"] if d["sekretess"]]
    if secret and log_views:
        with store.tx() as conn:
            for d in secret:
                users.log(conn, user.namn, "visning", diarienummer=case["diarienummer"], handling_id=d["id"],
                          detalj=request.url.path)
    return case


def case_body(case: dict) -> dict:
    dnr = case["diarienummer"]
    for d in case["handlingar"]:
        for v in d["versioner"]:
            for f in v["filer"]:
                f["url"] = file_url(dnr, d["lopnummer"], f["typ"], v["version"]) if f["typ"] in ("pdf", "docx") else None
    return dict(case, extern=bool(case["extern"]))


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
    return t.cls.full_schema()


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


legacy = APIRouter(include_in_schema=False)


@legacy.api_route("/api/{rest:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
def unversioned(request: Request, rest: str):
    """The first release's paths (``/api/…``) answer 308 to ``/api/v1/…`` (method and body kept) for one release."""
    if rest == "v1" or rest.startswith("v1/"):
        raise Refused(404, problems_for(404))
    target = f"{PREFIX}/{quote(rest)}" + (f"?{request.url.query}" if request.url.query else "")
    return Response(status_code=308, headers={"Location": target})

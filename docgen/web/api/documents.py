"""Submissions: send an input (JSON, or multipart with its attachments), follow its status, preview a draft."""

from fastapi import APIRouter, Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from ...store import users
from .. import idempotency, uploads
from ..auth import User
from ..cases import PREFIX, file_url
from ..problems import problems_for
from ..submit import ID, Refused, draft, parse_json, status, submit
from .common import NOT_MODIFIED, current_user, errors, json_body, json_etag, media_type, submitter, tagged
from .models import Accepted, Files, StatusBody

router = APIRouter()


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
    limit = request.app.state.config.settings.granser.max_filstorlek
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
    """väntar (in the inbox), pågår (being processed), registrerad (with its number and files), fel (with the problems);
    for a decided document type naming its beslutsfattare: väntar på beslut (unnumbered, ``beslut`` its decision's id)
    or återvisat (sent back, with ``kommentar``)."""
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
                      problem=st.problem, rapport=st.rapport, makulerat=st.makulerat, kommentar=st.kommentar,
                      beslutad_av=st.beslutad_av, beslut=st.beslut).model_dump_json().encode()
    return tagged(request, body, json_etag(body), confidential=True)


@router.post("/utkast", responses={200: {"content": {"application/pdf": {}}, "description": "Utkastet som PDF."},
                                   **errors(400, 403, 413, 415, 422)},
             openapi_extra=INPUT_BODY, response_class=Response, summary="Förhandsgranska / preview a draft")
async def post_draft(request: Request, user: User = Depends(submitter)):
    """The input rendered as a draft (UTKAST watermark, no number, nothing registered or kept)."""
    raw = await json_body(request)
    data = parse_json(raw, request.app.state.config.settings.granser.max_filstorlek)
    pdf = await run_in_threadpool(draft, request.app.state.engine, data)
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": 'inline; filename="utkast.pdf"'})


"""Decisions (issue 22): what the caller is named to decide, the draft they decide on, and the decision itself
(``docgen.decisions``). The id in these paths is the decision's id (``beslut`` in a submission's status), not a
submission id."""

from fastapi import APIRouter, Depends, Path as PathParam, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from ... import decisions
from ..auth import User
from ..cases import PREFIX
from ..submit import Refused
from .common import current_user, errors
from .models import DecisionBody, PendingBody

router = APIRouter()
ID = PathParam(ge=1, le=2**31 - 1, description="Beslutets id (`beslut` i statusen) / the decision's id.")


def _body(p: decisions.Pending) -> PendingBody:
    return PendingBody(id=p.id, dokumenttyp=p.dokumenttyp, rubrik=p.rubrik, status=p.status, inskickad_av=p.inskickad_av,
                       inskickad=p.inskickad, beslutsfattare=p.beslutsfattare, kommentar=p.kommentar,
                       beslutad_av=p.beslutad_av, beslutad=p.beslutad, autentisering=p.autentisering,
                       diarienummer=p.diarienummer, lopnummer=p.lopnummer,
                       utkast_url=f"{PREFIX}/att-besluta/{p.id}/utkast", indata=p.indata)


def _refused(exc: decisions.DecisionError) -> Refused:
    return Refused(exc.status, [exc.problem.to_dict()])


@router.get("/att-besluta", response_model=list[PendingBody], responses=errors(),
            summary="Att besluta / documents waiting for your decision")
def to_decide(request: Request, user: User = Depends(current_user)):
    """The documents that name the caller among their beslutsfattare and wait for a decision, oldest first."""
    return [_body(p) for p in decisions.pending_for(request.app.state.engine.store, user.namn)]


@router.get("/att-besluta/{pid}/utkast", responses={200: {"content": {"application/pdf": {}},
                                                          "description": "Utkastet som PDF / the draft as PDF."},
                                                    **errors(403, 404)},
            response_class=Response, summary="Utkastet att besluta / the draft to decide")
async def draft(request: Request, pid: int = ID, user: User = Depends(current_user)):
    """The draft as it will read if the caller decides now (UTKAST, no number). For a named decision maker its
    SHA-256 is kept as the draft they saw; deciding (fattat) requires having fetched it. The submitter and a
    registrator may look at it too."""
    try:
        pdf = await run_in_threadpool(decisions.draft_pdf, request.app.state.engine, pid, user)
    except decisions.DecisionError as exc:
        raise _refused(exc) from None
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="utkast-beslut-{pid}.pdf"', "Cache-Control": "no-store"})


@router.post("/dokument/{pid}/beslut", response_model=PendingBody, responses=errors(400, 403, 404, 409, 422),
             summary="Fatta beslut eller återvisa / decide or send back")
async def decide(request: Request, body: DecisionBody, pid: int = ID, user: User = Depends(current_user)):
    """The body's ``beslut`` ``fattat`` decides the document (it is then numbered, registered and sent as any input,
    with the caller named in its decision line and record); ``återvisat``, with a ``kommentar``, sends it back to
    the officer. Only a named beslutsfattare (403), not on their own submission unless ``[beslutsfattande]
    egen_beslut`` (403), once (409); återvisat needs a comment and fattat the draft fetched first (422). The id is
    the decision's (``beslut`` in the submission's status, ``id`` in GET /att-besluta)."""
    try:
        p = await run_in_threadpool(decisions.decide, request.app.state.engine, pid, user, body.beslut, body.kommentar)
    except decisions.DecisionError as exc:
        raise _refused(exc) from None
    return _body(p)

"""A case and the documents in the diarium as one user may see them, with the API's URLs of their files: shared by
the API and the pages (search, the case page, the officer's own cases)."""
from __future__ import annotations

from urllib.parse import quote

from fastapi import Request

from ..docrow import registry_part
from ..model import DocStatus
from ..registrar.search import find_case
from ..store import access, users
from .auth import User
from .problems import problems_for
from .submit import Refused

#: The API's versioned prefix; the unversioned paths of the first release redirect here (308).
PREFIX = "/api/v1"
#: The case title shown to someone who may not see every document of the case (it may name a confidential one).
WITHHELD_TITLE = "[ärendemeningen visas inte: ärendet har handlingar du inte får se] / [case title withheld]"


def case_url(dnr: str) -> str:
    return f"{PREFIX}/arenden/{quote(dnr, safe='')}"


def file_url(dnr: str, lopnummer: int, typ: str, version: int | None = None) -> str:
    return f"{case_url(dnr)}/handlingar/{lopnummer}/{typ}" + (f"?version={version}" if version else "")


def document_rows(request: Request, user: User, **filters) -> list[dict]:
    """The documents matching ``filters`` (as `docgen registry list`) that this user may see, with their URLs."""
    with request.app.state.engine.store.read() as conn:
        rows = access.documents(conn, user.roll, user.namn, **filters)
    return [dict(r, **registry_part(r), url=case_url(r["diarienummer"]),  # the diarium's part: docgen.docrow
                 pdf=file_url(r["diarienummer"], r["lopnummer"], "pdf") if r["status"] != DocStatus.VOIDED else None)
            for r in rows]


def visible_case(request: Request, user: User, dnr: str, log_views: bool) -> dict:
    """The case with the documents this user may see (404 if none); with ``log_views``, each confidential one
    shown is logged."""
    store = request.app.state.engine.store
    case = find_case(store, request.app.state.config, dnr)
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
    """The case with the URL of each version's PDF and DOCX."""
    dnr = case["diarienummer"]
    for d in case["handlingar"]:
        for v in d["versioner"]:
            for f in v["filer"]:
                f["url"] = file_url(dnr, d["lopnummer"], f["typ"], v["version"]) if f["typ"] in ("pdf", "docx") else None
    return dict(case, extern=bool(case["extern"]))

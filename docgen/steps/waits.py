"""Step: waits (new inputs). A decided document (``DocumentType.decided``) that names its ``beslutsfattare``
is numbered only once one of them has decided it in docgen (``docgen.decisions``). Until then its input (and
the attachments it names) is stored in the diarium as waiting for a decision and the job ends here: checked
and rendered, nothing numbered ("väntar på beslut"). The same input submitted again while it waits is the
same waiting row. An input that was decided (fattat) comes again and goes on: ``recall``, before render,
finds its decision, so it is rendered once, with its decision line."""
from __future__ import annotations

import logging
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from ..model import Decision, Job
from ..store import access, decisions, users
from .register import produced_by

if TYPE_CHECKING:
    from .base import EngineView

log = logging.getLogger("docgen")
FIELD = "beslutsfattare"


def as_decision(row: dict) -> Decision:
    """The decision of a decided (fattat) row."""
    return Decision(row["id"], row["beslutad_av"], row["beslutad_titel"], row["beslutad"], row["autentisering"],
                    row["utkast_sha256"], row["inskickad_av"])


def submission_of(source: str) -> str | None:
    """The web's or API's submission id of an ``api-<id>.json`` input, or None."""
    name = Path(source).name
    return name[len(access.API_PREFIX):].split(".", 1)[0] if name.startswith(access.API_PREFIX) else None


def _names_deciders(doc) -> bool:
    """A document of a decided type that names its beslutsfattare: it waits for one of them."""
    return bool(doc.type.cls.decided) and FIELD in doc.data


def will_wait(store, doc) -> bool:
    """Whether a new input of ``doc`` stops at this step (a decided type naming its beslutsfattare, not yet
    decided): the job queue's submission then reserves no number for it (``steps.number.at_submission``)."""
    if not _names_deciders(doc):
        return False
    with store.read() as conn:
        return decisions.decided_for(conn, doc.sha256) is None


def run(job: Job, engine: EngineView) -> Job:
    """Store an input that names its beslutsfattare and has no decision (``recall`` found none) and end its job."""
    doc = job.doc
    if not _names_deciders(doc) or job.decision is not None:
        return job
    sid = submission_of(job.source)
    person = None
    if sid:
        with engine.store.read() as conn:
            person = users.submitter(conn, sid)
    if person is None:  # the inbox: the account and command that took the file
        person = produced_by()
    files = attachments(job)
    loaded = job.loaded
    pid = engine.store.transact(lambda conn: decisions.add_waiting(
        conn, dokumenttyp=doc.type.name, rubrik=doc.data["rubrik"], indata=loaded.raw, filnamn=Path(job.source).name,
        sha256=doc.sha256, inskickad_av=person, kalla=("webb/api: " if sid else "inkorg: ") + job.source,
        inskickning=sid, beslutsfattare=list(doc.data[FIELD]), files=files), retry_integrity=True)
    job.outcome.waiting = pid
    job.outcome.warnings.append(f"väntar på beslut ({', '.join(doc.data[FIELD])}) / waits for a decision")
    log.info("%s waits for a decision by %s (beslut %s)", job.source, ", ".join(doc.data[FIELD]), pid)
    return job


def attachments(job: Job) -> dict[str, bytes]:
    """The files the input's attachments name (the checks found them inside its folder)."""
    base = job.loaded.base_dir
    out: dict[str, bytes] = {}
    for item in job.doc.data.get("bilagor") or []:
        name = item.get("fil")
        if name and name not in out:
            out[name] = (base / PurePosixPath(name.replace("\\", "/"))).read_bytes()
    return out


def recall(job: Job, engine: EngineView) -> Job:
    """The decision made in docgen that the document is rendered with (its line, its signature, its record),
    looked up before it is rendered: a new input's by its content (decided, not registered yet), a
    regeneration's by its number (a new version keeps its decision)."""
    doc, res = job.doc, job.reservation
    if job.decision is not None or not doc.type.cls.decided:
        return job
    if job.regenerating:
        if res is None:
            return job
        with engine.store.read() as conn:
            row = decisions.for_document(conn, res.diarienummer, res.lopnummer)
    elif FIELD in doc.data:
        with engine.store.read() as conn:
            row = decisions.decided_for(conn, doc.sha256)
    else:
        return job
    job.decision = as_decision(row) if row else None
    return job


def recorded(job: Job, engine: EngineView) -> Job:
    """After registration: the decision's row names the number and version it became (the version's record of
    who decided; a row left without it is still found by the input's content)."""
    if job.decision is not None and job.reservation is not None and job.version_id is not None:
        res = job.reservation
        engine.store.transact(lambda conn: decisions.registered(conn, job.decision.id, res.diarienummer, res.lopnummer,
                                                                job.version_id), idempotent=True)
    return job

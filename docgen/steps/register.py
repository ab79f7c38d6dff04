"""Step: register. Record the document: for a numbered document, its version in the diarium — the
input snapshot, the template's identity, who produced it, the SHA-256 of every file, its deliveries —
and its JSON record in the outbox. The record is written in full into the attempt's staging tree
(``steps.publish``) before the diarium's transaction, and the whole tree is renamed into the outbox only
after that transaction committed, the record last, so the record never says "registrerad" about a
document the diarium does not hold, and its presence means the folder is complete. The transaction
registers only while this attempt still holds the reservation and, in the job queue, its job (the fences;
``steps.fence``: the queue's outcome is written in the same transaction): an attempt whose job another node
took over registers nothing and places nothing (``TakenOver``). A process stopped between the commit
and the renames leaves the version in its staging folder, placed later by ``publish.complete``'s callers;
records of older releases left under a hidden pending name are put in place by ``complete_pending``."""
from __future__ import annotations

from typing import TYPE_CHECKING

import getpass
import json
import os
import socket
import sys
from datetime import datetime
from pathlib import Path

from .. import __version__, attachments
from ..files import write_json
from ..model import DocStatus, Job
from ..owners import owner_id
from ..store import access, documents, users
from . import fence, publish

if TYPE_CHECKING:
    from .base import EngineView


def produced_by() -> str:
    """Who and what produced a version: user@host and the command."""
    try:
        user = getpass.getuser()
    except Exception:
        user = "okänd"
    cmd = " ".join([sys.argv[0].rsplit("/", 1)[-1]] + sys.argv[1:2])
    return f"{user}@{socket.gethostname()} ({cmd})"


def submitted_by(job: Job, engine) -> str:
    """Who a version is recorded as made by: the person or system account that submitted it through the web
    or the API (``api-<id>`` inputs, or ``job.made_by``), else the OS user and command (`produced_by`)."""
    if job.made_by:
        return job.made_by
    name = Path(job.source).name
    if name.startswith(access.API_PREFIX) and not job.regenerating:
        with engine.store.read() as conn:
            person = users.submitter(conn, name[len(access.API_PREFIX):].split(".", 1)[0])
        if person:
            return f"{person} (webben/API:t)"
    return produced_by()


def record(job: Job, made_by: str | None = None) -> dict:
    """The JSON record of one version, beside its files."""
    doc, res, rendered = job.doc, job.reservation, job.rendered
    out = {
        "diarienummer": res.diarienummer if res else None,
        "lopnummer": res.lopnummer if res else None,
        "version": job.version_no if res else None,
        "status": str(DocStatus.REGISTERED) if res else "utkast",
        "dokumenttyp": doc.type.name,
        "rubrik": doc.data["rubrik"],
        "datum": doc.data["datum"],
        "enhet": doc.data.get("enhet"),
        "mall": rendered.template,
        "mall_sha256": rendered.template_sha256,
        "kalla": job.source,
        "skapad": datetime.now().astimezone().isoformat(timespec="seconds"),
        "skapad_av": made_by or produced_by(),
        "filer": {f.typ: {"namn": Path(f.path).name, "sha256": f.sha256, "storlek": f.size} for f in job.files},
        "bilagor": attachments.listing(doc.data),
        "varningar": job.outcome.warnings,
        "skickas_till": [{"syfte": g.syfte, "mottagare": [m.rad for m in g.mottagare]} for g in job.distribution],
    }
    if job.reason:
        out["anledning"] = job.reason
    if job.sealed:
        out["sigill"] = job.sealed
    if job.decision is not None:  # decided in docgen (docgen.decisions)
        d = job.decision
        out["beslutat"] = {"beslutad_av": d.namn, "titel": d.titel, "beslutad": d.beslutad,
                         "autentisering": d.autentisering, "utkast_sha256": d.utkast_sha256, "inskickad_av": d.inskickad_av}
    if res is not None and not job.regenerating:
        out["utskick"] = [{"syfte": d.syfte, "namn": d.namn, "epost": d.epost, "status": str(d.status),
                           "resultat": d.resultat, "meddelande": d.meddelande} for d in job.deliveries]
    return out


PENDING = ".registreras"


def pending_name(final: Path) -> Path:
    """Where a record waits, complete, for the diarium's commit: ``.<name>.registreras`` (hidden)."""
    return final.with_name(f".{final.name}{PENDING}")


def complete_pending(folder: Path) -> list[Path]:
    """Put in place the records of a folder whose process died between the diarium's commit and the
    rename (called when the same input comes back and the diarium says it is registered)."""
    done = []
    for pending in folder.glob(f".*.json{PENDING}") if folder.is_dir() else []:
        final = folder / pending.name[1:-len(PENDING)]
        if not final.exists():
            os.replace(pending, final)
            done.append(final)
        else:
            pending.unlink(missing_ok=True)
    return done


def run(job: Job, engine: EngineView) -> Job:
    outbox = engine.config.outbox
    made_by = submitted_by(job, engine)
    write_json(publish.staged(job, outbox, job.folder / f"{job.stem}.json"), record(job, made_by))  # before the commit
    _register(job, engine, made_by)
    publish.place(job.staging, outbox)  # renames need no space; a kill before them is completed later
    job.outcome.version = job.version_no
    return job


def _register(job: Job, engine, made_by: str | None = None) -> None:
    """The version in the diarium (drafts are not registered)."""
    res, doc = job.reservation, job.doc
    if res is not None:
        # OSL 5 kap.: sender or recipient. Recipients if the document is sent; otherwise who drew it up.
        motpart = "; ".join(m.rad for g in job.distribution for m in g.mottagare) or (
            f"upprättad av {engine.config.organisation}, {doc.data.get('enhet') or engine.config.units[0]}")
        secret = doc.data.get("sekretess")
        pdf = next(f for f in job.files if f.typ == "pdf")
        owner = fence.current()  # the queue's attempt: its fence and outcome go into this transaction

        def register(conn) -> int:
            if owner is not None and not job.regenerating and not owner.registering(conn, job):
                raise documents.TakenOver(job.source, None, None)
            return documents.register_version(
                conn, handling_id=res.handling_id, case_id=res.case_id, version_no=job.version_no,
                first=not job.regenerating, indata=json.dumps(doc.data, ensure_ascii=False, sort_keys=True),
                source=job.source, template=job.rendered.template, template_sha256=job.rendered.template_sha256,
                plugin=doc.type.source, docgen_version=__version__, made_by=made_by or produced_by(), files=job.files,
                deliveries=job.deliveries, motpart=motpart, beskrivning=doc.data["rubrik"],
                sekretess=json.dumps(secret, ensure_ascii=False) if secret else None,
                owner=(owner.holder if owner is not None else None) or owner_id())

        # run again if the connection is lost (a database restart); a committed attempt is not repeated
        job.version_id = engine.store.transact(
            register, committed=lambda conn: documents.version_with_pdf(conn, res.handling_id, job.version_no, pdf.sha256))

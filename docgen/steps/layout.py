"""Step: layout. Where this version's files go: its staging folder (``<outbox>/.staging/<owner>``), its folder
in the outbox and its file stem (``RS-2026-00042-01 Titel v1``, or ``UTKAST Titel`` in ``utkast/`` for a
draft), and for a number taken up again (held), its version."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from .. import owners
from ..dnr import document_basename
from ..files import safe_name
from ..model import Job

if TYPE_CHECKING:
    from .base import EngineView

STAGING = ".staging"


def run(job: Job, engine: EngineView) -> Job:
    outbox = engine.config.outbox
    job.staging = outbox / STAGING / owners.as_name(suffix=uuid.uuid4().hex[:12])
    job.staging.mkdir(parents=True)
    doc, res = job.doc, job.reservation
    if res is not None:
        if job.version_no is None:
            job.version_no = engine.next_version(res.handling_id)
        base = document_basename(res.diarienummer, res.lopnummer, doc.data["rubrik"])
        job.folder, job.stem = outbox / base, f"{base} v{job.version_no}"
    else:
        base = safe_name(doc.data["rubrik"])
        job.folder = outbox / "utkast" / f"{base} {datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:4]}"
        job.stem = f"UTKAST {base}"
    return job

"""Step: convert. The DOCX becomes PDF/A-2b (and PDF/UA) through the warm LibreOffice pool; the
attachments are converted (DOCX), stamped "Bilaga N till <diarienummer>" and appended. Files are built
in the job's staging folder; publish moves them to the outbox."""
from __future__ import annotations

import shutil
import time
from datetime import datetime
from pathlib import Path

from .. import attachments, owners
from ..dnr import document_basename
from ..files import safe_name
from ..model import Job

STAGING = ".staging"


def prepare_folders(job: Job, engine) -> None:
    """The staging folder, the outbox folder and the file stem of this version."""
    import uuid

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


def run(job: Job, engine) -> Job:
    t = time.perf_counter()
    prepare_folders(job, engine)
    doc, res = job.doc, job.reservation
    docx, pdf = job.staging / f"{job.stem}.docx", job.staging / f"{job.stem}.pdf"
    docx.write_bytes(job.rendered.data)
    engine.pool.convert(docx, pdf)
    if doc.data.get("bilagor"):
        job.outcome.warnings += attachments.append(
            pdf, doc.data, doc.loaded.base_dir, res.diarienummer if res else "(utkast)", job.staging,
            engine.pool.convert, doc.source)
    engine.plugins.hook.docgen_pdf_written(path=pdf, document=doc.data, diarienummer=res.diarienummer if res else None,
                                           config=engine.config)
    job.built = {"docx": docx, "pdf": pdf}
    # attachments are kept beside the document, so a later version can be made from them
    for item in doc.data.get("bilagor") or []:
        copy = job.staging / "bilagor" / item["fil"]
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(doc.loaded.base_dir) / item["fil"], copy)
        job.kept.append(copy)
    job.outcome.timings["convert"] = round((time.perf_counter() - t) * 1000, 1)
    return job

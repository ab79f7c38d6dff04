"""Step: convert. The DOCX becomes PDF/A-2b (and PDF/UA) through the warm LibreOffice pool; the
attachments are converted (DOCX), stamped "Bilaga N till <diarienummer>" and appended. Files are built
in the job's staging folder (layout); publish moves them to the outbox."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import attachments
from ..model import Job

if TYPE_CHECKING:
    from .base import EngineView


def run(job: Job, engine: EngineView) -> Job:
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
    return job

"""Step: stamp. The rendered DOCX gets its number where the placeholder stands (a draft keeps "Tilldelas vid
registrering") and is saved once, with its properties and keywords; the parts rendering left as the template
had them are written as compressed for the template's earlier documents (``rendering.package``)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..model import Job

if TYPE_CHECKING:
    from .base import EngineView


def run(job: Job, engine: EngineView) -> Job:
    job.rendered = job.rendered.with_number(job.reservation.diarienummer) if job.reservation else job.rendered.finish()
    return job

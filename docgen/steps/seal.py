"""Step: seal. A registered document's PDF gets the organisation's seal (PAdES), the last change made to
it: after conversion and the attachments, before it is published and its checksum registered. Drafts
are not sealed (the pipeline's list says so), and nothing is when no seal is configured."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..model import Job

if TYPE_CHECKING:
    from .base import EngineView


def run(job: Job, engine: EngineView) -> Job:
    if engine.seal is None:
        return job
    job.sealed = engine.seal.sign(job.built["pdf"], job.reservation.diarienummer)
    return job

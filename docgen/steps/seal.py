"""Step: seal. A registered document's PDF gets the organisation's seal (PAdES), the last change made to
it: after conversion and the attachments, before it is published and its checksum registered. Drafts
are not sealed, and nothing is when no seal is configured."""
from __future__ import annotations

import time

from ..model import Job


def run(job: Job, engine) -> Job:
    if engine.seal is None or job.reservation is None:
        return job
    t = time.perf_counter()
    job.sealed = engine.seal.sign(job.built["pdf"], job.reservation.diarienummer)
    job.outcome.timings["seal"] = round((time.perf_counter() - t) * 1000, 1)
    return job

"""Step: load. Read the input file safely into a dict with line numbers (``docgen.load`` does the reading)."""
from __future__ import annotations

import time

from ..load import load_input
from ..model import Job


def run(job: Job, engine) -> Job:
    t = time.perf_counter()
    job.loaded = load_input(job.path, engine.config.limits, source=job.source)
    job.outcome.timings["load"] = round((time.perf_counter() - t) * 1000, 1)
    return job

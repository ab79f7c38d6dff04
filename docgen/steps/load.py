"""Step: load. Read the input file safely into a dict with line numbers (``docgen.load`` does the reading)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..load import load_input
from ..model import Job

if TYPE_CHECKING:
    from .base import EngineView


def run(job: Job, engine: EngineView) -> Job:
    job.loaded = load_input(job.path, engine.config.limits, source=job.source)
    return job

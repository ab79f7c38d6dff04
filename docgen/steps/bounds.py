"""Step: bounds. An input whose document would take LibreOffice longer than the conversion deadline is
refused here, before a number is taken (``docgen.workload``: text, list items, table cells, links)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import workload
from ..model import Job

if TYPE_CHECKING:
    from .base import EngineView


def run(job: Job, engine: EngineView) -> Job:
    # what the input holds, as its report names it (the defaults validation fills in are not the sender's)
    loaded = job.loaded if job.loaded is not None else job.doc.loaded
    workload.check(loaded, loaded.data, engine.config.limits)
    return job

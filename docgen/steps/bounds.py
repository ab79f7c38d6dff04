"""Step: bounds. An input whose document would take LibreOffice longer than the conversion deadline is
refused here, before a number is taken (``docgen.workload``: text, list items, table cells, links)."""
from __future__ import annotations

from .. import workload
from ..model import Job


def run(job: Job, engine) -> Job:
    workload.check(job.loaded, job.doc.data, engine.config.limits)
    return job

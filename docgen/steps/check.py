"""Step: check. Everything that can refuse an input before a number is taken, as the list of small checks in
``docgen.checks``: its type and JSON Schema, docgen.toml's identifiers, attachments, free text, recipients,
the type's own rules, then the distribution (named lists) and the diarium (an unknown case, a duplicate).
Every problem of a file is reported together, each naming the field, the line (YAML), what is wrong and
how to fix it."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import checks
from ..errors import InputError
from ..model import Job

if TYPE_CHECKING:
    from .base import EngineView


def run(job: Job, engine: EngineView) -> Job:
    """The Document and its distribution, or InputError with every problem found."""
    c = checks.start(job.loaded, engine.plugins, engine.config)
    c.job, c.engine = job, engine
    c.run(checks.INPUT_CHECKS)
    if not c.problems:
        o, data = job.outcome, c.doc.data
        o.dokumenttyp, o.rubrik, o.draft = c.type.name, data["rubrik"], c.doc.is_draft
        o.datum, o.enhet = data["datum"], data.get("enhet")
    c.run(checks.WORKSPACE_CHECKS)
    if c.problems:
        raise InputError(job.loaded.source, checks.ordered(c.problems, job.loaded))
    job.doc, job.distribution = c.doc, c.distribution
    return job

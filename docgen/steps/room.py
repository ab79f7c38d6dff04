"""Step: room. Before a number is taken: the folders the document will be written to (the outbox, the
diarium's folder, the temporary folder) are writable, with space and inodes left; otherwise the input
waits (the ``resource`` kind) and no number is taken.

``take_held`` (the step "held", before check): a number this process kept from an earlier attempt at the same
input that failed for want of room (``Engine.hold_on_resource``) is taken up again, instead of being voided and
a new one taken.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import writable
from ..errors import ResourceUnavailable
from ..model import Job

if TYPE_CHECKING:
    from .base import EngineView


def run(job: Job, engine: EngineView) -> Job:
    why = writable.trouble(engine.disks())
    if why:
        raise ResourceUnavailable(why)
    return job


def take_held(job: Job, engine: EngineView) -> Job:
    """Take up the number kept for this input (by content), if any."""
    if job.reservation is None and engine.holds_any():
        held = engine.take_held(job.loaded.sha256)
        if held is not None:
            job.reservation = held
            job.outcome.diarienummer, job.outcome.lopnummer = held.diarienummer, held.lopnummer
    return job

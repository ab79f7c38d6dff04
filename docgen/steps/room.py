"""Step: room. Before a number is taken: the folders the document will be written to (the outbox, the
diarium's folder, the temporary folder) are writable, with space and inodes left; otherwise the input
waits (the ``resource`` kind) and no number is taken.

``HELD`` (before validate): a number this process kept from an earlier attempt at the same input that
failed for want of room (``Engine.hold``) is taken up again, instead of being voided and a new one taken.
"""
from __future__ import annotations

from .. import writable
from ..errors import ResourceUnavailable
from ..model import Job


def run(job: Job, engine) -> Job:
    why = writable.trouble(engine.disks())
    if why:
        raise ResourceUnavailable(why)
    return job


class _Held:
    """Take up the number kept for this input (by content), if any."""

    @staticmethod
    def run(job: Job, engine) -> Job:
        if job.reservation is None and engine.holds_any():
            held = engine.take_held(job.loaded.sha256)
            if held is not None:
                job.reservation = held
                job.outcome.diarienummer, job.outcome.lopnummer = held.diarienummer, held.lopnummer
        return job


HELD = _Held()

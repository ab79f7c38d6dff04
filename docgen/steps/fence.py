"""The attempt a document is made in, when something outside the pipeline owns it (the job queue: one job's
attempt on one worker). Its writes go into the transactions the steps already make, so they cost no commit
of their own: the reservation's transaction (``number.reserve``) also says the input is in progress, the
registering transaction (``register``) also records its outcome, and each of them first checks that the
attempt still has its job (the fence). An attempt that lost its job writes nothing (``TakenOver``)."""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol


class Attempt(Protocol):
    #: Who holds the document's reservation in the diarium, when not this process (the queue's job, for a
    #: number reserved at submission), else None.
    holder: str | None

    def reserving(self, conn) -> bool:
        """In the transaction that reserves (or takes over) the number: whether this attempt still has its job,
        with what that says written."""

    def registering(self, conn, job) -> bool:
        """In the transaction that registers the first version: the same, with the outcome written."""

    def holds(self, conn) -> bool:
        """In a transaction that voids the number: whether this attempt still has its job."""

    def abandoned(self, owner: str | None) -> bool:
        """Whether a reservation of this attempt's input held by ``owner`` is abandoned, for this attempt to
        take over (the queue: another job's of the same input, which cannot run while this one does)."""


_current: ContextVar[Attempt | None] = ContextVar("docgen_attempt", default=None)


@contextmanager
def attempt(a: Attempt):
    """Within the block, the steps' transactions carry ``a``'s fence and writes."""
    token = _current.set(a)
    try:
        yield a
    finally:
        _current.reset(token)


def current() -> Attempt | None:
    return _current.get()

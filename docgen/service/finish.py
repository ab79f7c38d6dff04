"""The one way a claimed input ends (``Finisher.done``: counted, its claim folder moved to behandlade/ or
fel/ with its report, a log line), and the inputs kept in the work folder to try again later for want of
a resource (``Retries``: a full disk, the database away).
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from ..files import disk_trouble
from ..model import Outcome
from .. import retry
from .claims import Claims
from .observer import ClaimHandles
from .reports import Complaints, document_entry, report_text

log = logging.getLogger("docgen.watch")

#: Backoff (seconds) for inputs that failed for want of a resource (a full disk): 2, 4, 8 ... at most 60.
RETRY_FIRST, RETRY_MAX = 2.0, 60.0

#: ``done``'s default: the report made from the outcome (none for a success).
FROM_OUTCOME = object()


class Finisher:
    """Counts the inputs processed and failed and moves their claim folders out of the work folder; a move
    that fails (a full disk) is tried again at the next turn (``finish_later``)."""

    def __init__(self, claims: Claims, handles: ClaimHandles, complain: Complaints):
        self.claims, self.handles, self.complain = claims, handles, complain
        self._lock = threading.Lock()
        self._unfinished: list[tuple[Path, Outcome, str | None]] = []  # processed, not yet moved out of arbete/
        self.processed = 0
        self.failed = 0

    def done(self, claimed: Path, result: Outcome, report=FROM_OUTCOME, total_ms: float = 0.0,
             recovered: bool = False) -> None:
        """An input has its outcome: count it, move its claim folder (with ``report``), log its line."""
        if report is FROM_OUTCOME:
            report = None if result.ok else report_text(result, claimed.name)
        with self._lock:
            if result.ok:
                self.processed += 1
            else:
                self.failed += 1
        self._finish(claimed, result, report)
        self.logged(result, claimed, total_ms, recovered)

    @staticmethod
    def logged(result: Outcome, claimed: Path, total_ms: float = 0.0, recovered: bool = False) -> None:
        """The log line of one input's attempt."""
        log.info("document", extra={"doc": document_entry(result, claimed.name, total_ms, recovered)})

    def _finish(self, claimed: Path, result: Outcome, report: str | None) -> None:
        try:
            self.claims.finish(self.handles.where(claimed), result, report)
            self.handles.drop(claimed)
        except OSError as exc:
            self.complain("finish", "could not move %s out of the work folder (%s); trying again shortly", claimed,
                          disk_trouble(exc, [claimed.parent]) or exc)
            with self._lock:
                self._unfinished.append((claimed, result, report))

    def finish_later(self) -> None:
        """Try again the moves that failed."""
        with self._lock:
            todo, self._unfinished = self._unfinished, []
        for claimed, result, report in todo:
            self._finish(claimed, result, report)

    @property
    def count(self) -> int:
        return self.processed + self.failed


class Retries:
    """Claimed inputs to be processed again later, each after a growing pause (``RETRY_FIRST`` doubled per
    attempt, at most ``RETRY_MAX``)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._due: dict[Path, tuple[float, int]] = {}  # claimed input -> (when, attempts)
        self._pause = retry.exponential(RETRY_FIRST, RETRY_MAX)

    def later(self, claimed: Path, why: str) -> None:
        with self._lock:
            attempts = self._due.get(claimed, (0.0, 0))[1] + 1
            delay = self._pause(attempts)
            self._due[claimed] = (time.monotonic() + delay, attempts)
        log.warning("%s waits in %s and is tried again in %.0f s (attempt %d): %s", claimed.name,
                    claimed.parent, delay, attempts, why)

    def forget(self, claimed: Path) -> None:
        with self._lock:
            self._due.pop(claimed, None)

    def due(self) -> list[Path]:
        """The inputs whose time has come; each is in flight until ``later`` or ``forget``."""
        now = time.monotonic()
        with self._lock:
            due = [p for p, (when, _) in self._due.items() if when <= now]
            for p in due:
                self._due[p] = (float("inf"), self._due[p][1])
        return due

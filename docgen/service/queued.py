"""The queue runner: with a PostgreSQL diarium the watcher is an ingest node. It submits each claimed
input to the job queue (``docgen.queue``: checked, stored with its attachments, queued) and finishes the
claim when its job ends, on whichever node the job ran; unless ``submit_only``, a worker runs beside it.
"""
from __future__ import annotations

import json
import threading
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING

from .. import liveness
from ..files import disk_trouble
from ..model import ErrorKind, Outcome
from ..store import Store, submissions
from .claims import Folders, source_of
from .finish import Finisher, Retries
from .reports import Complaints
from .supervisor import WorkerSupervisor

if TYPE_CHECKING:
    from ..config import Config

#: At most this many inputs claimed and waiting for their jobs.
QUEUED_CLAIMS = 200


def outcome_of(source: str, row: dict) -> Outcome:
    """The outcome of a submission's job, from the queue (its stored result)."""
    data = json.loads(row["resultat"]) if row["resultat"] else {}
    known = {f.name for f in fields(Outcome)}
    result = Outcome(**{k: v for k, v in data.items() if k in known and k != "source"}, source=source)
    if row["status"] == submissions.DONE:
        result.ok = True
    elif not result.error:
        result.ok = False
        result.error = f"jobbet {row['jobb_id']} misslyckades / job {row['jobb_id']} failed ({row['jobb_status']})"
        result.error_kind = ErrorKind.ERROR
    return result


class QueueRunner:
    """Submits claimed inputs (``process`` runs in the watcher's worker threads) and, each turn, finishes
    the claims whose jobs have ended."""

    def __init__(self, config: Config, store: Store, workers: int, submit_only: bool, folders: Folders,
                 finisher: Finisher, retries: Retries, complain: Complaints, stopping: threading.Event):
        from ..queue.submit import Submitter

        self.store = store
        self.submitter = Submitter(config, store)
        self.heartbeat = liveness.Heartbeat(store, "watch", str(config.inbox))
        self.supervisor = None if submit_only else WorkerSupervisor(config.workspace, workers, complain, stopping)
        self.folders, self.finisher, self.retries, self.complain = folders, finisher, retries, complain
        self._lock = threading.Lock()
        self._submissions: dict[Path, int] = {}  # claimed input -> its submission

    def start(self) -> None:
        self.heartbeat.start()
        if self.supervisor is not None:
            self.supervisor.keep_running()

    def example_type(self) -> str:
        return next(iter(self.submitter.checker.plugins.types), "TYP")

    def turn(self) -> None:
        self._collect()
        if self.supervisor is not None:
            self.supervisor.keep_running()

    def room(self, free: int) -> int:
        """Inputs waiting in the queue stay claimed here: bound them too."""
        with self._lock:
            return min(free, QUEUED_CLAIMS - len(self._submissions))

    def process(self, claimed: Path, recovered: bool = False) -> None:
        """Submit a claimed input, or (taken over from a dead watcher) follow its submission."""
        source = source_of(claimed)
        sid = None
        if recovered:
            with self.store.read() as conn:
                sid = submissions.latest_for_source(conn, source)
        if sid is None:
            try:
                r = self.submitter.submit(claimed, source)
            except Exception as exc:
                why = disk_trouble(exc, [self.folders.work_root]) or f"{type(exc).__name__}: {exc}"
                self.retries.later(claimed, why)  # the database is away, or the disk full: try again
                return
            if r["status"] == submissions.REFUSED:
                result = Outcome(source=source, error=r["fel"], error_kind=r["felsort"], problems=r["problem"])
                self.finisher.done(claimed, result, recovered=recovered)
                return
            sid = r["inlamning"]
        self.retries.forget(claimed)
        with self._lock:
            self._submissions[claimed] = sid

    def _collect(self) -> None:
        """Finish the claims whose jobs have ended (on any node)."""
        with self._lock:
            waiting = dict(self._submissions)
        if not waiting:
            return
        try:
            with self.store.read() as conn:
                rows = {r["id"]: r for r in submissions.with_job_status(conn, sorted(set(waiting.values())))}
        except Exception as exc:
            self.complain("collect", "cannot read the queue (%s); trying again", exc)
            return
        for claimed, sid in waiting.items():
            row = rows.get(sid)
            if row is None:
                continue
            gave_up = row["jobb_status"] in ("failed", "cancelled", "aborted")
            if row["status"] not in submissions.FINAL and not gave_up:
                continue
            with self._lock:
                self._submissions.pop(claimed, None)
            self.finisher.done(claimed, outcome_of(source_of(claimed), row))

    def close(self) -> None:
        if self.supervisor is not None:
            self.supervisor.stop()
        self.submitter.close()
        self.heartbeat.stop()
        self.store.close()

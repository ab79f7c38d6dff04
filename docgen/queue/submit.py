"""Submitting inputs to the queue (`docgen submit`; the interface `docgen watch` calls on PostgreSQL).

    with Submitter(config) as sub:          # or Submitter(config, store) to share a Store
        result = sub.submit(path, source)   # dict, see Submitter.submit
    final = wait_for(store, [result["inlamning"]], timeout=600)

An input is loaded and validated where it is (every check `docgen validate` makes, including the diarium's
precheck), so a refused input is reported at once and never queued. A valid one is stored in the diarium
with the attachment files it names (the worker, on another node, reads nothing from this one) and queued
as a ``render_input`` job whose lock and queueing lock are the input's content hash, in one transaction
(``submissions.add_queued``), which also reserves the number of an input that opens a new case
(``steps.number.at_submission``), owned by the job.
"""
from __future__ import annotations

import json
import logging
import time
from pathlib import Path, PurePosixPath

from ..model import Job, Outcome
from ..owners import owner_id
from ..store import Store, submissions
from . import ensure_schema, require_postgres

RENDER_TASK = "docgen:render_input"

log = logging.getLogger("docgen")


class _Checker:
    """What the load and validate steps need of an engine (no LibreOffice, no heartbeat)."""

    def __init__(self, config, store: Store):
        from ..plugins import Plugins
        from ..recipients import ListsFile
        from ..steps.render import Renderer

        self.config, self.store = config, store
        self.plugins = Plugins(config)
        self.renderer = Renderer(config, self.plugins)
        self.renderer.check_templates()
        self._lists = ListsFile(config)

    @property
    def lists(self) -> dict:
        return self._lists.lists


class Submitter:
    """Submits inputs to the queue of a PostgreSQL diarium. One per process (thread-safe for ``submit``)."""

    def __init__(self, config, store: Store | None = None):
        self.config = config
        self._own_store = store is None
        self.store = store or Store(config.registry_url)
        require_postgres(self.store)
        ensure_schema(self.store)
        self.checker = _Checker(config, self.store)
        self.by = owner_id()

    def close(self) -> None:
        if self._own_store:
            self.store.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def submit(self, path: str | Path, source: str | None = None) -> dict:
        """Check one input and queue it. Returns ``{"kalla", "status", "inlamning", "jobb", "fel", "problem",
        "felsort"}``: status ``koad`` (queued: ``jobb`` is the job id, ``inlamning`` the submission id) or
        ``nekad`` (refused: ``fel`` is the report for the person who wrote it, ``problem`` its problems,
        ``felsort`` the ErrorKind: input / duplicate / error / internal)."""
        from ..pipeline import CHECK, failed

        path = Path(path)
        source = source or str(path)
        job = Job(source, path)
        try:
            for step in CHECK:
                job = step.run(job, self.checker)
            files = self._attachments(job)
        except Exception as exc:  # a refused input: the same report `docgen validate` gives
            failed(job.outcome, exc)
            return self._refused(job.outcome)
        sha = job.doc.sha256
        from sqlalchemy.exc import IntegrityError

        from ..steps.number import at_submission
        from ..steps.waits import will_wait
        from ..store.schema import LIVE_INPUT_INDEX

        fields = dict(source=source, filename=path.name, raw=job.loaded.raw, sha256=sha, files=files, by=self.by)

        def add(number: dict | None) -> tuple[int, int]:
            # one statement without attachments; a connection lost at its COMMIT: the queue's job says whether it was
            return self.store.transact(
                lambda conn: submissions.add_queued(conn, task=RENDER_TASK, number=number, **fields),
                single=not files, committed=lambda conn: submissions.queued_as(conn, sha, self.by))

        try:  # stored, queued and (a new case) numbered in one transaction
            # an input that will wait for its decision costs no number until it is decided
            number = None if will_wait(self.store, job.doc) else at_submission(self.store, job.doc, self.config)
            try:
                sid, job_id = add(number)
            except IntegrityError as exc:  # a live document of this input (a dead process's reservation, or a
                if number is None or _constraint(exc) != LIVE_INPUT_INDEX:  # race): the worker's number step decides
                    raise
                sid, job_id = add(None)
        except IntegrityError as exc:
            if _constraint(exc) != submissions.QUEUEING_LOCK_INDEX:
                raise
            with self.store.read() as conn:
                other = submissions.waiting_job(conn, sha)
            msg = (f"{source}: samma indata väntar redan i kön (jobb {other}). / the same input is already queued "
                   f"(job {other}).")
            o = Outcome(source=source, error=msg, error_kind="duplicate")

            def refused(conn) -> int:
                sid = submissions.add(conn, **fields)
                submissions.finish(conn, sid, submissions.REFUSED, _json(o))
                return sid

            return self._refused(o, self.store.transact(refused))
        return {"kalla": source, "status": submissions.QUEUED, "inlamning": sid, "jobb": job_id, "fel": None,
                "problem": [], "felsort": None}

    @staticmethod
    def _attachments(job: Job) -> dict[str, bytes]:
        """The files the input's attachments name (validate has checked they are inside its folder)."""
        base = job.loaded.base_dir
        out = {}
        for item in job.doc.data.get("bilagor") or []:
            name = item.get("fil")
            if name and name not in out:
                out[name] = (base / PurePosixPath(name.replace("\\", "/"))).read_bytes()
        return out

    @staticmethod
    def _refused(o: Outcome, sid: int | None = None) -> dict:
        return {"kalla": o.source, "status": submissions.REFUSED, "inlamning": sid, "jobb": None, "fel": o.error,
                "problem": o.problems, "felsort": str(o.error_kind) if o.error_kind else None}


def _constraint(exc) -> str | None:
    """The constraint (or unique index) an IntegrityError names."""
    return getattr(getattr(exc.orig, "diag", None), "constraint_name", None)


def _json(outcome: Outcome) -> str:
    import dataclasses

    return json.dumps(dataclasses.asdict(outcome), ensure_ascii=False, default=str)


def wait_for(store: Store, submission_ids: list[int], timeout: float | None = None, every: float = 0.5) -> dict[int, dict]:
    """Wait until each submission is final (klar / nekad / fel) or its job failed for good; returns
    ``{id: {"status", "resultat" (the outcome as a dict), "jobb"}}``; those not final by ``timeout`` keep
    their current status. One query per look, whatever the number of submissions."""
    deadline = None if timeout is None else time.monotonic() + timeout
    pending, done = set(submission_ids), {}
    while pending:
        with store.read() as conn:
            rows = submissions.with_job_status(conn, sorted(pending))
        for row in rows:
            if row["status"] in submissions.FINAL or row["jobb_status"] in ("failed", "cancelled", "aborted"):
                pending.discard(row["id"])
                done[row["id"]] = _final(row, row["jobb_status"])
        pending &= {r["id"] for r in rows}
        if not pending or (deadline is not None and time.monotonic() > deadline):
            break
        time.sleep(every)
    if pending:
        with store.read() as conn:
            for row in submissions.with_job_status(conn, sorted(pending)):
                done[row["id"]] = _final(row, row["jobb_status"])
    return done


def _final(row: dict, job_status: str | None) -> dict:
    result = json.loads(row["resultat"]) if row["resultat"] else {}
    status = row["status"]
    if status not in submissions.FINAL and job_status in ("failed", "cancelled", "aborted"):
        status = submissions.FAILED
    return {"status": status, "resultat": result, "jobb": row["jobb_id"]}


def requeue_orphans(store: Store, defer, older_than: float) -> list[int]:
    """Queue the submissions stored as queued without a job (their submitter stopped between storing the
    input and queueing it) that are older than ``older_than`` seconds and whose submitter no longer runs
    (``defer(submission_id, sha256)`` queues one and returns the job id, or raises AlreadyEnqueued); one whose input already waits in the queue is refused as a duplicate, with the reason. Returns the
    submission ids queued."""
    from datetime import datetime

    from procrastinate.exceptions import AlreadyEnqueued

    from .. import liveness

    with store.read() as conn:
        rows = submissions.unqueued(conn)
    queued = []
    for row in rows:
        try:
            age = time.time() - datetime.fromisoformat(row["skapad"]).timestamp()
        except ValueError:
            age = older_than
        if age < older_than or liveness.alive(store, row["inlamnad_av"]):
            continue
        try:
            job_id = defer(row["id"], row["sha256"])
        except AlreadyEnqueued:
            o = Outcome(source=row["kalla"], error_kind="duplicate", error=(
                f"{row['kalla']}: lämnades in men köades aldrig (processen som lämnade in avbröts); samma indata "
                "väntar redan i kön. / submitted but never queued (the submitting process stopped); the same "
                "input already waits in the queue."))
            store.transact(lambda conn: submissions.finish(conn, row["id"], submissions.REFUSED, _json(o)))
            continue
        store.transact(lambda conn: submissions.set_job(conn, row["id"], job_id))
        log.warning("submission %s (%s) was stored but never queued (its submitter stopped): queued as job %s",
                    row["id"], row["kalla"], job_id)
        queued.append(row["id"])
    return queued

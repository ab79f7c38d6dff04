"""The queue's tasks: ``render_input`` (one submitted input through the pipeline) and the periodic ones
(sending pending deliveries, the fixity check, clearing finished jobs). They run in `docgen worker`, which
sets ``RUNTIME`` (its engine: config, store, warm LibreOffice pool) before taking jobs."""
from __future__ import annotations

import dataclasses
import json
import logging
import tempfile
import time
from pathlib import Path, PurePosixPath

import procrastinate

from ..model import ErrorKind
from ..owners import owner_id
from ..store import events, numbers, submissions, transient

log = logging.getLogger("docgen")

#: How long an attempt that was taken over waits for the worker that took its job over to finish it (s).
LOST_WAIT = 600.0
#: Attempts of a job before it fails for good (transient failures only; a refused input is never retried).
MAX_ATTEMPTS = 5
#: Attempts of a job that fails for want of room (a read-only or full outbox, no inodes) before it fails for
#: good, the pause between them doubling up to ROOM_PAUSE seconds: about a day. It keeps its number meanwhile.
ROOM_ATTEMPTS = 300
ROOM_PAUSE = 300
#: The names of exceptions (in an outcome's error text) that mean the database was away: try again.
_DB_AWAY = ("OperationalError", "InterfaceError", "DisconnectionError", "AdminShutdown", "PoolTimeout",
            "ConnectionTimeout", "CannotConnectNow")

SEND_CRON = "* * * * *"  # every minute
FIXITY_CRON = "17 2 * * *"  # nightly
CLEANUP_CRON = "41 * * * *"  # hourly
#: Finished (succeeded) jobs are kept this long for `docgen status`, then removed.
KEEP_FINISHED_HOURS = 72


class Transient(Exception):
    """A failure worth another attempt later (LibreOffice crashed, the database was away)."""


class WaitingForRoom(Transient):
    """The input could not be written for want of room; it keeps its number and is tried again later."""


class Retry(procrastinate.BaseRetryStrategy):
    """When a failed job runs again: a transient failure after 2, 4, 8 … s (the task stops after MAX_ATTEMPTS);
    a failure for want of room after 2, 4, 8 … s up to ROOM_PAUSE (the task stops after ROOM_ATTEMPTS);
    anything else never."""

    def get_retry_decision(self, *, exception: BaseException, job) -> procrastinate.RetryDecision | None:
        if not isinstance(exception, Transient) or job.attempts + 1 >= ROOM_ATTEMPTS:
            return None
        pause = 2 ** min(job.attempts + 1, 16)
        return procrastinate.RetryDecision(retry_in={"seconds": min(pause, ROOM_PAUSE)
                                                     if isinstance(exception, WaitingForRoom) else pause})


class Failed(Exception):
    """The job failed for good (the submission's outcome says why)."""


class Runtime:
    """What the tasks of one worker process share: the engine (config, store, LibreOffice pool)."""

    def __init__(self, engine):
        self.engine = engine
        self.config = engine.config
        self.store = engine.store


RUNTIME: Runtime | None = None


def runtime() -> Runtime:
    if RUNTIME is None:
        raise RuntimeError("docgen's tasks run in `docgen worker` (no engine in this process)")
    return RUNTIME


def outcome_json(outcome) -> str:
    return json.dumps(dataclasses.asdict(outcome), ensure_ascii=False, default=str)


def is_transient(outcome) -> bool:
    """Whether a failed outcome is worth another attempt: LibreOffice failed, the database was away, a disk full."""
    if outcome.error_kind in (ErrorKind.CONVERSION, ErrorKind.RESOURCE):
        return True
    return outcome.error_kind in (ErrorKind.INTERNAL, ErrorKind.ERROR) and any(n in (outcome.error or "") for n in _DB_AWAY)


def materialise(folder: Path, sub: dict) -> Path:
    """The submitted input and its attachments as files in ``folder`` (as the loader reads them); the input's path."""
    suffix = PurePosixPath(sub["filnamn"]).suffix.lower()
    path = folder / ("indata" + (suffix if suffix in (".yaml", ".yml", ".json") else ".yaml"))
    path.write_bytes(sub["indata"])
    for ref, data in sub["filer"].items():
        rel = PurePosixPath(ref.replace("\\", "/"))
        if rel.is_absolute() or ".." in rel.parts:
            continue  # refused at submission; never written outside the folder
        target = folder.joinpath(*rel.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return path


def _db(fn, *args, single: bool = True):
    """Writes of the task itself (idempotent: run again after a connection lost at COMMIT, they leave what
    they left), each committed by itself (``single``; else in one transaction); a database that is away
    makes the job try again later."""
    rt = runtime()
    try:
        return rt.store.transact(lambda conn: fn(conn, *args), idempotent=True, single=single)
    except Exception as exc:
        if transient(exc):
            raise Transient(f"the diarium is not reachable: {exc}") from exc
        raise


def _read(fn, *args):
    """A read of the task itself; a database that is away makes the job try again later."""
    rt = runtime()
    try:
        with rt.store.read() as conn:
            return fn(conn, *args)
    except Exception as exc:
        if transient(exc):
            raise Transient(f"the diarium is not reachable: {exc}") from exc
        raise


class QueueAttempt:
    """One attempt at a job (``steps.fence.Attempt``): its writes to the submission ride in the transactions
    that reserve the number and register the document, each fenced by the job (the worker and attempt
    that fetched it, in procrastinate's job row). ``written`` is what the registering transaction recorded
    (status and outcome), so that the task writes the outcome again only if it turned out otherwise."""

    def __init__(self, submission_id: int, job, owner: str):
        self.submission_id, self.owner = submission_id, owner
        self.fence = {"job": job.id, "worker": job.worker_id, "attempts": job.attempts}
        self.written: tuple[str, str] | None = None
        self.holder: str | None = None  # the job, once it is given the number reserved at submission

    def reserving(self, conn) -> bool:
        return submissions.claim(conn, self.submission_id, self.owner, self.fence)

    def registering(self, conn, job) -> bool:
        outcome = dataclasses.replace(job.outcome, ok=True, version=job.version_no)
        if job.deliveries:  # as the send step leaves it when nothing is sent on the way
            outcome.deliveries = [d.summary() for d in job.deliveries]
        result = outcome_json(outcome)
        if not submissions.finish_attempt(conn, self.submission_id, submissions.DONE, result, self.owner, self.fence):
            return False
        self.written = (submissions.DONE, _material(result))
        return True

    def holds(self, conn) -> bool:
        return submissions.holds_job(conn, self.fence)

    def abandoned(self, owner: str | None) -> bool:
        return submissions.job_of(owner) not in (None, self.fence["job"])

    def unchanged(self, status: str, result: str) -> bool:
        """Whether the registering transaction already wrote this status and outcome (timings aside)."""
        return self.written == (status, _material(result))


def _material(result: str) -> str:
    """An outcome's JSON without its timings (the steps after registering add theirs)."""
    d = json.loads(result)
    d.pop("timings", None)
    return json.dumps(d, sort_keys=True)


def render_input(context, submission_id: int) -> dict:
    """Produce one submitted input: number, DOCX, PDF/A, outbox, diarium, messages. Returns its outcome.

    Its writes cost no commits of their own when all goes well: the submission is read, the reservation's
    transaction says it is in progress, the registering transaction records the outcome (``QueueAttempt``).
    A failure, or an outcome that changed after registering, is written at the end, fenced by the job too."""
    from ..model import Job
    from ..pipeline import NEW_INPUT
    from ..steps.fence import attempt
    from ..steps.number import checked_at_submission, presumed_dead

    rt = runtime()
    me = owner_id()
    sub = _read(submissions.take, submission_id)
    if sub is None:
        log.warning("job %s: submission %s does not exist", context.job.id, submission_id)
        return {"ok": False, "error": "no such submission"}
    if sub["status"] in submissions.FINAL:  # an attempt that finished, in a worker that died before telling the queue
        if sub["status"] == submissions.DONE:  # its files, if it stopped before placing them
            from ..liveness import clean_staging

            clean_staging(rt.config, rt.store)
        return json.loads(sub["resultat"] or "{}")
    previous = sub["tidigare_agare"]
    taken = _taken_over(sub, context.job.attempts, me)
    if taken:  # a stalled or dead worker's attempt
        _db(lambda conn: events.record(conn, events.TAKEN_OVER, me, submission_id=submission_id, other=taken[0],
                                       detail=sub["kalla"]))
    this = QueueAttempt(submission_id, context.job, me)
    ours = _reserved_for_job(sub)  # the number reserved at submission, the job's whichever worker runs it
    with tempfile.TemporaryDirectory(prefix="docgen-job-") as tmp:
        path = materialise(Path(tmp), sub)
        job = Job(sub["kalla"], path, retry=bool(previous))
        if ours is not None:
            this.holder = submissions.job_owner(context.job.id)
            job.reservation, job.version_no = ours, 1
            job.outcome.diarienummer, job.outcome.lopnummer = ours.diarienummer, ours.lopnummer
        # The queue runs one job per input at a time: a reservation of this input held by the worker of the
        # previous attempt (dead: its job was put back as stalled; or this process, after a transient failure)
        # is this job's to take over, with its number.
        with presumed_dead(previous), checked_at_submission(), attempt(this):
            # a previous attempt that registered it and died before saying so made this input's document (retry)
            outcome = rt.engine.run(job, NEW_INPUT)
    # A number kept for want of room (the worker's engine holds it, not voided) stays this worker's in the
    # diarium: the job's next attempt, on whichever node, takes it over from there (``presumed_dead``).
    held = rt.engine.take_held(sub["sha256"])
    attempts = context.job.attempts + 1
    room = outcome.error_kind == ErrorKind.RESOURCE
    if outcome.ok:
        status = submissions.DONE
    elif outcome.error_kind in (ErrorKind.INPUT, ErrorKind.DUPLICATE):
        status = submissions.REFUSED
    elif is_transient(outcome) and attempts < (ROOM_ATTEMPTS if room else MAX_ATTEMPTS):
        if not _end(this, submissions.QUEUED, outcome):
            return _lost(context, sub, me)
        if room and held is not None:
            log.info("job %s: %s keeps %s-%02d while it waits for room (attempt %d)", context.job.id, sub["kalla"],
                     held.diarienummer, held.lopnummer, attempts)
        raise (WaitingForRoom if room else Transient)(outcome.error)
    else:
        status = submissions.FAILED
        if held is not None:  # out of attempts for want of room: the kept number is voided, and said so
            _void_held(rt, held, outcome)
    void = ours if ours is not None and not outcome.ok and job.version_id is None else None
    if void is not None:  # the job's number, not registered: voided with the reason, with the outcome
        outcome.voided = f"{void.diarienummer} handling {void.lopnummer}"
    if not _end(this, status, outcome, void):
        return _lost(context, sub, me)
    log.info("job %s: %s %s", context.job.id, sub["kalla"],
             f"{outcome.diarienummer}-{outcome.lopnummer:02d}" if outcome.ok and outcome.lopnummer else status,
             extra={"doc": {"input": sub["kalla"], "status": status, "diarienummer": outcome.diarienummer}})
    if status == submissions.FAILED:
        raise Failed(outcome.error)
    return {"ok": outcome.ok, "diarienummer": outcome.diarienummer, "lopnummer": outcome.lopnummer}


def _void_held(rt, held, outcome) -> None:
    from ..steps.number import void

    reason = (outcome.error or "okänt fel / unknown error")[:2000]
    if void(rt.store, held, reason):
        outcome.voided = f"{held.diarienummer} handling {held.lopnummer}"


def _end(this: QueueAttempt, status: str, outcome, void=None) -> bool:
    """The submission's outcome at the end of the attempt, unless the registering transaction wrote it already;
    with ``void`` (the job's reservation) the number is voided in the same transaction. False: the attempt
    lost its job."""
    if void is None and this.unchanged(status, outcome_json(outcome)):
        return True
    try:
        return _db(_finish, this, status, outcome, void, single=void is None)
    except _Lost:
        return _db(_record_lost, this, outcome)


def _finish(conn, this: QueueAttempt, status: str, outcome, void=None) -> bool:
    """The submission's outcome, if this attempt still has its job (else ``_Lost``), and the job's number
    voided (``void``); a failure is recorded as the node's."""
    result = outcome_json(outcome)
    if not submissions.finish_attempt(conn, this.submission_id, status, result, this.owner, this.fence):
        raise _Lost()
    if void is not None:
        reason = (outcome.error or "okänt fel / unknown error")[:2000]
        numbers.void(conn, void.handling_id, void.case_id, void.new_case, reason,
                     submissions.job_owner(this.fence["job"]))
    if status == submissions.FAILED:
        events.record(conn, events.FAILED, this.owner, submission_id=this.submission_id, detail=outcome.error)
    return True


class _Lost(Exception):
    """The attempt lost its job (nothing of it written)."""


def _record_lost(conn, this: QueueAttempt, outcome) -> bool:
    """A lost attempt, recorded as its node's (False)."""
    events.record(conn, events.LOST, this.owner, submission_id=this.submission_id,
                  other=submissions.holder(conn, this.submission_id), detail=outcome.error)
    return False


def _taken_over(sub: dict, attempts: int, me: str) -> tuple[str | None] | None:
    """Whether this attempt takes over one that stalled or died (``(its owner or None,)``), else None: the
    submission is in progress in another process (it reserved a number and did not finish), or the job's
    previous attempt ended without writing its outcome (each attempt that ends writes its number, ``forsok``)."""
    if sub["status"] == submissions.RUNNING and sub["tidigare_agare"] not in (None, me):
        return (sub["tidigare_agare"],)
    if attempts > 0 and (sub["forsok"] or 0) < attempts:
        return (None,)
    return None


def _reserved_for_job(sub: dict):
    """The number the submission reserved for its job, still reserved (a Reservation), or None."""
    from ..model import CaseStatus, Reservation

    if sub.get("handling_id") is None:
        return None
    return Reservation(sub["arende_id"], sub["handling_id"], sub["diarienummer"], 1,
                       new_case=sub["arende_status"] == CaseStatus.RESERVED)


def _lost(context, sub: dict, me: str) -> dict:
    """An attempt whose job another worker took over (this one stalled): it changed nothing visible (the
    diarium's fence refused its registration) and ends quietly; the submission is the winner's."""
    store = runtime().store
    with store.read() as conn:
        winner = submissions.holder(conn, sub["id"])
    log.warning("job %s: %s taken over by %s; this attempt ends without changing anything", context.job.id,
                sub["kalla"], winner or "another worker")
    # The queue marks a job finished when its task returns, whoever runs it now: wait (bounded) while
    # the worker that took it over still runs it, so that this attempt does not mark that one's job done.
    deadline = time.monotonic() + LOST_WAIT
    while time.monotonic() < deadline:
        with store.read() as conn:
            state = submissions.job_state(conn, context.job.id)
        if state is None or state[0] != "doing" or state[1] == context.job.worker_id:
            break
        time.sleep(1.0)
    return {"ok": False, "taken_over_by": winner}


def send_pending(timestamp: int) -> int:
    """Send the deliveries not yet sent (each claimed before it is sent, so none goes twice)."""
    from ..steps.send import send_unsent

    rt = runtime()
    if not rt.config.settings.smtp.server:
        return 0
    outcomes = send_unsent(rt.store, rt.config)
    if outcomes:
        log.info("sent %d deliveries (%d failed)", sum(o["status"] == "skickad" for o in outcomes),
                 sum(o["status"] != "skickad" for o in outcomes))
    return len(outcomes)


def fixity(timestamp: int) -> int:
    """The nightly fixity check of the outbox: every file the diarium lists, present and unchanged."""
    from ..registrar.verify import verify_outbox

    rt = runtime()
    problems, checked = verify_outbox(rt.store, rt.config.outbox)
    for p in problems:
        log.error("fixity: %s", p)
    log.info("fixity: %d files checked, %d problems", checked, len(problems))
    if problems:
        raise Failed(f"fixity: {len(problems)} problems of {checked} files, e.g. {problems[0]}")
    return checked


async def clear_finished(context, timestamp: int) -> None:
    """Remove jobs that succeeded more than KEEP_FINISHED_HOURS ago (failed ones stay for `docgen status`)."""
    await context.app.job_manager.delete_old_jobs(nb_hours=KEEP_FINISHED_HOURS)


def make_blueprint(send_cron: str = SEND_CRON, fixity_cron: str = FIXITY_CRON,
                   cleanup_cron: str = CLEANUP_CRON) -> procrastinate.Blueprint:
    """docgen's tasks. Periodic tasks are deferred once per slot across all nodes (procrastinate records each
    deferral), and a queueing lock keeps at most one of each waiting; a lock runs at most one at a time."""
    bp = procrastinate.Blueprint()
    bp.task(name="render_input", pass_context=True, retry=Retry())(render_input)
    for func, cron in ((send_pending, send_cron), (fixity, fixity_cron)):
        task = bp.task(name=func.__name__, queue="periodic", lock=func.__name__, queueing_lock=func.__name__)(func)
        bp.periodic(cron=cron)(task)
    task = bp.task(name="clear_finished", queue="periodic", pass_context=True, queueing_lock="clear_finished")(
        clear_finished)
    bp.periodic(cron=cleanup_cron)(task)
    return bp

"""Statements of the job queue's inputs (`docgen submit`, `docgen worker`): the snapshot of a submitted
input and its attachments, which worker has it, and what became of it."""
from __future__ import annotations

from sqlalchemy import func, select, text, update

from ..model import CaseStatus, DocStatus
from .schema import inlamning, inlamning_fil, now

QUEUED, RUNNING, DONE, REFUSED, FAILED = "koad", "pagar", "klar", "nekad", "fel"
FINAL = (DONE, REFUSED, FAILED)


def add(conn, *, source: str, filename: str, raw: bytes, sha256: str, files: dict[str, bytes], by: str) -> int:
    """Store a validated input and the attachment files it names; returns the submission's id."""
    stamp = now()
    sid = conn.execute(inlamning.insert().values(
        kalla=source, filnamn=filename, indata=raw, sha256=sha256, status=QUEUED, inlamnad_av=by, skapad=stamp,
        andrad=stamp)).inserted_primary_key[0]
    if files:
        conn.execute(inlamning_fil.insert(), [dict(inlamning_id=sid, namn=name, data=data) for name, data in files.items()])
    return sid


#: procrastinate's unique index of waiting jobs by queueing lock (a job with the same lock already waits).
QUEUEING_LOCK_INDEX = "procrastinate_jobs_queueing_lock_idx_v1"

_ADD_QUEUED = text(
    "WITH s AS (SELECT nextval(pg_get_serial_sequence('inlamning', 'id')) AS id), "
    "j AS (SELECT (procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, 0, :lock, :lock, "
    "jsonb_build_object('submission_id', s.id), NULL)::procrastinate_job_to_defer_v1]))[1] AS id FROM s) "
    "INSERT INTO inlamning (id, kalla, filnamn, indata, sha256, status, inlamnad_av, skapad, andrad, jobb_id) "
    "SELECT s.id, :kalla, :filnamn, :indata, :sha256, :status, :by, :stamp, :stamp, j.id FROM s, j "
    "RETURNING id, jobb_id")

#: The same, with the input's number reserved as a new case with its first document, owned by the job
#: (``JOB_OWNER`` + its id). The series row is created or incremented by one upsert, whose row lock is
#: held only by this statement and its commit.
_ADD_QUEUED_NUMBERED = text(
    "WITH s AS (SELECT nextval(pg_get_serial_sequence('inlamning', 'id')) AS id), "
    "j AS (SELECT (procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, 0, :lock, :lock, "
    "jsonb_build_object('submission_id', s.id), NULL)::procrastinate_job_to_defer_v1]))[1] AS id FROM s), "
    "i AS (INSERT INTO inlamning (id, kalla, filnamn, indata, sha256, status, inlamnad_av, skapad, andrad, jobb_id) "
    "SELECT s.id, :kalla, :filnamn, :indata, :sha256, :status, :by, :stamp, :stamp, j.id FROM s, j "
    "RETURNING id, jobb_id), "
    "n AS (INSERT INTO nummerserie (serie, ar, senaste) VALUES (:serie, :ar, 1) "
    "ON CONFLICT (serie, ar) DO UPDATE SET senaste = nummerserie.senaste + 1 RETURNING senaste), "
    "a AS (INSERT INTO arende (diarienummer, serie, ar, nummer, rubrik, status, skapad, extern) "
    "SELECT :pre || CASE WHEN length(n.senaste::text) >= :width THEN n.senaste::text "
    "ELSE lpad(n.senaste::text, :width, '0') END || :suf, :serie, :ar, n.senaste, :rubrik, :case_status, :stamp, 0 "
    "FROM n RETURNING id, diarienummer), "
    "h AS (INSERT INTO handling (arende_id, lopnummer, dokumenttyp, rubrik, datum, enhet, status, input_sha256, agare) "
    "SELECT a.id, 1, :dokumenttyp, :rubrik, :datum, :enhet, :doc_status, :sha256, :job_owner || j.id FROM a, j "
    "RETURNING id) "
    "SELECT i.id, i.jobb_id, a.diarienummer FROM i, a, h")

#: The owner of a number reserved at submission: the job (``jobb:<id>``), whichever worker runs it.
JOB_OWNER = "jobb:"


def job_owner(job_id: int) -> str:
    return f"{JOB_OWNER}{job_id}"


def job_of(owner: str | None) -> int | None:
    """The job that owns a reservation, if its owner is a job (not a process)."""
    if owner and owner.startswith(JOB_OWNER) and owner[len(JOB_OWNER):].isdigit():
        return int(owner[len(JOB_OWNER):])
    return None


def job_pending(conn, job_id: int) -> bool:
    """Whether a job, or another job of the same input (its lock), waits or runs: one of their attempts
    registers or voids the job's reservation (the queue runs one job per input at a time, and that job's
    attempt takes over a reservation another job of its input left)."""
    return conn.execute(text(
        "SELECT EXISTS (SELECT 1 FROM procrastinate_jobs own JOIN procrastinate_jobs j "
        "ON j.id = own.id OR j.lock = own.lock WHERE own.id = :j AND j.status IN ('todo', 'doing'))"),
        {"j": job_id}).scalar()


def add_queued(conn, *, source: str, filename: str, raw: bytes, sha256: str, files: dict[str, bytes], by: str,
               task: str, queue: str = "default", number: dict | None = None) -> tuple[int, int]:
    """PostgreSQL: store a validated input and queue its job (procrastinate's own deferral function, the
    job's lock and queueing lock the input's hash) in one statement, and the attachment files in a second:
    a submission is never stored without its job. With ``number`` (the series, year, diarienummer format
    and the document's fields, see ``Submitter``), the same statement reserves the input's number as a new
    case owned by the job. Returns (submission id, job id). If the same input already waits in the queue the
    statement fails on ``QUEUEING_LOCK_INDEX``, if it has a live document on ``schema.LIVE_INPUT_INDEX``
    (IntegrityErrors)."""
    params = dict(queue=queue, task=task, lock=sha256, kalla=source, filnamn=filename, indata=raw, sha256=sha256,
                  status=QUEUED, by=by, stamp=now())
    if number is not None:
        params.update(number, job_owner=JOB_OWNER, case_status=CaseStatus.RESERVED, doc_status=DocStatus.RESERVED)
    row = conn.execute(_ADD_QUEUED if number is None else _ADD_QUEUED_NUMBERED, params).first()
    if files:
        conn.execute(inlamning_fil.insert().values([dict(inlamning_id=row.id, namn=name, data=data)
                                                    for name, data in files.items()]))
    return row.id, row.jobb_id


def queued_as(conn, sha256: str, by: str) -> tuple[int, int] | None:
    """(submission id, job id) of the input with this hash that ``by`` submitted and whose job waits or runs
    (after a connection lost at the COMMIT of ``add_queued``: whether it committed), or None."""
    row = conn.execute(text(
        "SELECT i.id, i.jobb_id FROM inlamning i JOIN procrastinate_jobs j ON j.id = i.jobb_id WHERE i.sha256 = :s "
        "AND i.inlamnad_av = :by AND j.status IN ('todo', 'doing') ORDER BY i.id DESC LIMIT 1"),
        {"s": sha256, "by": by}).first()
    return (row.id, row.jobb_id) if row else None


def waiting_job(conn, lock: str) -> int | None:
    """The job waiting in the queue with this queueing lock, if any."""
    return conn.execute(text("SELECT id FROM procrastinate_jobs WHERE queueing_lock = :q AND status = 'todo'"),
                        {"q": lock}).scalar()


def job_state(conn, job_id: int) -> tuple[str, int | None] | None:
    """A queue job's status and the queue worker that has it (procrastinate's ``worker_id``), or None."""
    row = conn.execute(text("SELECT status::text AS status, worker_id FROM procrastinate_jobs WHERE id = :j"),
                       {"j": job_id}).first()
    return (row.status, row.worker_id) if row else None


def set_job(conn, submission_id: int, job_id: int | None) -> None:
    conn.execute(update(inlamning).where(inlamning.c.id == submission_id).values(jobb_id=job_id, andrad=now()))


def get(conn, submission_id: int) -> dict | None:
    """A submission without its bytes."""
    row = conn.execute(select(inlamning.c.id, inlamning.c.kalla, inlamning.c.filnamn, inlamning.c.sha256,
                              inlamning.c.status, inlamning.c.jobb_id, inlamning.c.agare, inlamning.c.forsok,
                              inlamning.c.resultat, inlamning.c.skapad, inlamning.c.andrad)
                       .where(inlamning.c.id == submission_id)).first()
    return dict(row._mapping) if row else None


_TAKE = text(
    "SELECT i.id, i.kalla, i.filnamn, i.indata, i.sha256, i.jobb_id, i.forsok, i.resultat, i.inlamnad_av, i.skapad, "
    "i.status, i.agare AS tidigare_agare, h.id AS handling_id, h.arende_id, a.diarienummer, "
    "a.status AS arende_status, "
    "EXISTS (SELECT 1 FROM inlamning_fil f WHERE f.inlamning_id = i.id) AS har_filer FROM inlamning i "
    "LEFT JOIN handling h ON h.input_sha256 = i.sha256 AND h.status = :reserved AND h.agare = :job_owner || i.jobb_id "
    "LEFT JOIN arende a ON a.id = h.arende_id WHERE i.id = :id")


def take(conn, submission_id: int) -> dict | None:
    """What a worker's attempt reads of a submission, without writing: its bytes, its status, the owner of the
    attempt that last reserved a number for it or finished it (``tidigare_agare``: the queue gives a job to
    one worker at a time, so an attempt of another process that did not finish belongs to a worker that died
    or stalled), the number reserved for its job at submission if it is still reserved (``handling_id``,
    ``arende_id``, ``diarienummer``, ``arende_status``; None if not), and its attachments (a second
    statement, only if it has any). The attempt's writes are
    fenced by the queue's job (``claim``, ``finish_attempt``). PostgreSQL (the queue's database)."""
    row = conn.execute(_TAKE, {"id": submission_id, "reserved": DocStatus.RESERVED, "job_owner": JOB_OWNER}).first()
    if row is None:
        return None
    out = dict(row._mapping)
    out["filer"] = {r.namn: bytes(r.data) for r in conn.execute(
        select(inlamning_fil.c.namn, inlamning_fil.c.data).where(inlamning_fil.c.inlamning_id == submission_id))
    } if out.pop("har_filer") else {}
    out["indata"] = bytes(out["indata"])
    return out


#: The fence of a job's attempt: the queue's job is still in progress in the worker and attempt that fetched
#: it (procrastinate's ``worker_id`` and ``attempts``: a stalled job put back and fetched again has another
#: worker, or one more attempt). The job's row is share-locked to the end of the transaction, so the queue
#: cannot put the job back (``procrastinate_retry_job``) until the attempt's write has committed.
_FENCE = ("EXISTS (SELECT 1 FROM procrastinate_jobs j WHERE j.id = :job AND j.status = 'doing' "
          "AND j.worker_id = :worker AND j.attempts = :attempts FOR SHARE OF j)")


def holds_job(conn, fence: dict) -> bool:
    """Whether the attempt ``fence`` ({"job", "worker", "attempts"}) still has its job (inside a write
    transaction: the job stays its own until the commit)."""
    return bool(conn.execute(text(f"SELECT {_FENCE}"), fence).scalar())


def claim(conn, submission_id: int, owner: str, fence: dict) -> bool:
    """The submission is in progress in ``owner``'s attempt (written in the transaction that reserves its
    number), if that attempt still has its job; False: another worker took the job over."""
    return conn.execute(text(
        f"UPDATE inlamning SET status = :running, agare = :owner, forsok = :attempt, andrad = :now "
        f"WHERE id = :id AND {_FENCE}"),
        dict(fence, running=RUNNING, owner=owner, attempt=fence["attempts"] + 1, now=now(), id=submission_id)
    ).rowcount == 1


def finish_attempt(conn, submission_id: int, status: str, result: str, owner: str, fence: dict) -> bool:
    """What became of the submission in ``owner``'s attempt (its outcome as JSON), if that attempt still has
    its job; False: another worker took the job over."""
    return conn.execute(text(
        f"UPDATE inlamning SET status = :status, resultat = :result, agare = :owner, forsok = :attempt, andrad = :now "
        f"WHERE id = :id AND {_FENCE}"),
        dict(fence, status=status, result=result, owner=owner, attempt=fence["attempts"] + 1, now=now(),
             id=submission_id)).rowcount == 1


def finish(conn, submission_id: int, status: str, result: str) -> bool:
    """What became of the submission (its outcome as JSON), outside a worker's attempt (a refused submission)."""
    return conn.execute(update(inlamning).where(inlamning.c.id == submission_id)
                        .values(status=status, resultat=result, andrad=now())).rowcount == 1


def holder(conn, submission_id: int) -> str | None:
    """The worker that has the submission now."""
    return conn.execute(select(inlamning.c.agare).where(inlamning.c.id == submission_id)).scalar()


def unqueued(conn) -> list[dict]:
    """Submissions stored as queued but without a job (the submitting process stopped in between)."""
    rows = conn.execute(select(inlamning.c.id, inlamning.c.kalla, inlamning.c.sha256, inlamning.c.inlamnad_av,
                               inlamning.c.skapad).where(inlamning.c.status == QUEUED, inlamning.c.jobb_id.is_(None)))
    return [dict(r._mapping) for r in rows]


def with_job_status(conn, submission_ids: list[int]) -> list[dict]:
    """Submissions (without bytes) with the status of their job in the queue (``jobb_status``)."""
    if not submission_ids:
        return []
    rows = conn.execute(text(
        "/* docgen wait_for */ SELECT i.id, i.status, i.resultat, i.jobb_id, j.status::text AS jobb_status "
        "FROM inlamning i LEFT JOIN procrastinate_jobs j ON j.id = i.jobb_id WHERE i.id = ANY(:ids)"),
        {"ids": list(submission_ids)})
    return [dict(r._mapping) for r in rows]


def running_owners(conn) -> set[str]:
    """The workers that hold a submission in progress (their reservations wait for the queue's retry)."""
    return {r[0] for r in conn.execute(select(inlamning.c.agare).where(inlamning.c.status == RUNNING,
                                                                         inlamning.c.agare.is_not(None)).distinct())}


def counts(conn) -> dict[str, int]:
    """How many submissions are in each status."""
    return {r[0]: r[1] for r in conn.execute(select(inlamning.c.status, func.count()).group_by(inlamning.c.status))}


def by_job(conn, job_ids: list[int]) -> dict[int, dict]:
    if not job_ids:
        return {}
    rows = conn.execute(select(inlamning.c.id, inlamning.c.kalla, inlamning.c.jobb_id, inlamning.c.status,
                               inlamning.c.agare).where(inlamning.c.jobb_id.in_(job_ids)))
    return {r.jobb_id: dict(r._mapping) for r in rows}


def latest_for_source(conn, source: str) -> int | None:
    """The latest submission of an input by its name (a watcher taking over a dead one's claim follows it)."""
    return conn.execute(select(func.max(inlamning.c.id)).where(inlamning.c.kalla == source)).scalar()

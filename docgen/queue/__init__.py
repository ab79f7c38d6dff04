"""The job queue (procrastinate, on the diarium's PostgreSQL): inputs submitted on any node, produced by
workers on any node.

``docgen submit`` loads and validates an input where it is, stores the input's bytes and the attachment
files it names in the diarium (``inlamning``, ``inlamning_fil``) and queues a ``render_input`` job with a
per-input lock and queueing lock (the input's content hash): the same input is never queued twice nor
produced twice at once. An input that opens a new case gets its number in the same statement, reserved
for the job. ``docgen worker`` runs jobs: each concurrency slot has a warm LibreOffice, the
job rebuilds the input in a temporary folder and runs the pipeline's NEW_INPUT steps. Transient failures
(a LibreOffice crash, a lost database connection) are retried with backoff; a failure for want of room (a
read-only or full outbox) keeps the input's number and is retried for about a day (``tasks.Retry``); a
refused input is not retried. A
worker that dies mid-job stops beating; another worker puts its job back in the queue (procrastinate's
stalled-job recovery, by heartbeat) and the job's next attempt keeps its number (the job's own, or the
dead worker's reservation taken over). Every write of an attempt is fenced by the job (``steps.fence``,
``tasks.QueueAttempt``): a stalled attempt that comes back changes nothing.
Periodic work (sending pending deliveries, the nightly fixity check, clearing old jobs) is deferred once
per slot across all nodes.

On SQLite there is no queue: everything stays in one process (``docgen render``, ``docgen watch``).

Modules: ``tasks`` (the tasks), ``worker`` (``docgen worker``), ``submit`` (``docgen submit``, and the
interface for the watcher), this module (the app, the schema, ``queue_status``).
"""
from __future__ import annotations

import logging
import time

from sqlalchemy import text
from sqlalchemy.engine import make_url

from ..errors import DocgenError

log = logging.getLogger("docgen")


class QueueUnavailable(DocgenError):
    """The job queue needs a PostgreSQL diarium."""


def require_postgres(store) -> None:
    if not store.is_postgres:
        raise QueueUnavailable(
            "kön (submit/worker) kräver ett PostgreSQL-diarium: sätt [sokvagar] register till en URL "
            "postgresql+psycopg://användare@värd/databas; med SQLite körs allt i en process (`docgen render`, "
            "`docgen watch`). / the job queue (submit, worker) needs a PostgreSQL diarium: set [sokvagar] register "
            "to postgresql+psycopg://user@host/db; on SQLite everything runs in one process (`docgen render`, "
            "`docgen watch`).")


def conninfo(url: str) -> str:
    """The libpq connection string of a SQLAlchemy PostgreSQL URL (what procrastinate's connector takes)."""
    u = make_url(url)
    return u.set(drivername="postgresql").render_as_string(hide_password=False)


def _autocommit(conn):
    """The pools' ``configure``: procrastinate's async pool awaits what it returns, its sync pool (used from
    synchronous code such as `docgen submit`) does not, so a sync connection is set directly."""
    import psycopg

    if isinstance(conn, psycopg.AsyncConnection):
        return conn.set_autocommit(True)
    conn.autocommit = True
    return None


def make_app(url: str, **crons):
    """The procrastinate app on the diarium's database, with docgen's tasks (``tasks.blueprint``). Its
    connections are in autocommit: each of procrastinate's statements (fetch a job, finish it) is one function
    call and its own transaction, without a BEGIN and a COMMIT around it."""
    import procrastinate

    from .tasks import make_blueprint

    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=conninfo(url), kwargs={"application_name": "docgen-queue"},
                                                 min_size=1, max_size=3, configure=_autocommit),
        import_paths=["docgen.queue.tasks"])
    app.add_tasks_from(make_blueprint(**crons), namespace="docgen")
    return app


def ensure_schema(store) -> bool:
    """procrastinate's tables, created once (idempotent) under the same advisory lock as docgen's own
    migrations: nodes starting together on an empty database create them one after the other. Returns
    whether it created them."""
    from procrastinate.schema import SchemaManager

    from ..store import MIGRATION_LOCK

    require_postgres(store)
    with store.read() as conn:
        if conn.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar() is not None:
            return False

    def create(conn) -> bool:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
        # Not to_regclass here: it reads the catalog cache, which waiting for an advisory lock does not
        # refresh; a query of pg_class sees what the process that held the lock committed.
        if conn.execute(text("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
                             "ON n.oid = c.relnamespace WHERE c.relname = 'procrastinate_jobs' "
                             "AND n.nspname = current_schema())")).scalar():
            return False
        # the schema is many statements: run it on the driver connection, inside this transaction
        conn.connection.driver_connection.execute(SchemaManager.get_schema())
        return True

    created = store.transact(create)
    if created:
        log.info("created the job queue's tables (procrastinate) in the diarium")
    return created


def _host(owner: str | None) -> str:
    return owner.rsplit(":", 2)[0] if owner and owner.count(":") >= 2 else (owner or "?")


def queue_status(store) -> dict:
    """The queue at a glance: jobs waiting, running, retrying (waiting for their next attempt) and failed,
    succeeded; per node (host) its live workers, their running, retrying and failed jobs, and the node's
    lost attempts (a stalled attempt whose job another node took over), takeovers (of other nodes' jobs)
    and failures; processes found dead, with when they were last seen (until forgotten); the latest
    failures. On SQLite: ``{"available": False}`` (no queue)."""
    from ..liveness import DEAD_AFTER
    from ..store import events, submissions
    from ..store.processes import listing

    if not store.is_postgres:
        return {"available": False}
    out = {"available": True, "queued": 0, "running": 0, "retrying": 0, "failed": 0, "succeeded": 0, "cancelled": 0,
           "oldest_queued_s": None, "nodes": {}, "failures": [], "submissions": {}}
    with store.read() as conn:
        if conn.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar() is None:
            out["available"] = False
            return out
        rows = conn.execute(text(
            "SELECT status::text AS status, (status = 'todo' AND attempts > 0) AS retrying, COUNT(*) AS n, "
            "EXTRACT(EPOCH FROM NOW() - MIN(scheduled_at)) AS age FROM procrastinate_jobs GROUP BY 1, 2")).all()
        for r in rows:
            key = {"todo": "queued", "doing": "running", "failed": "failed", "succeeded": "succeeded",
                   "cancelled": "cancelled", "aborted": "cancelled", "aborting": "running"}.get(r.status, r.status)
            if r.status == "todo" and r.retrying:
                key = "retrying"
            out[key] = out.get(key, 0) + r.n
        age = conn.execute(text(
            "SELECT EXTRACT(EPOCH FROM NOW() - MIN(e.at)) FROM procrastinate_jobs j JOIN procrastinate_events e "
            "ON e.job_id = j.id AND e.type = 'deferred' WHERE j.status = 'todo' AND j.attempts = 0")).scalar()
        out["oldest_queued_s"] = round(float(age), 1) if age is not None else None
        # per node: the docgen worker processes (heartbeat) and what their jobs are doing
        nodes: dict[str, dict] = {}

        def node(host: str) -> dict:
            return nodes.setdefault(host, {"workers": 0, "running": 0, "retrying": 0, "failed": 0, "lost": 0,
                                           "takeovers": 0, "failures": 0, "dead": []})

        for host, e in events.per_host(conn).items():
            node(host).update(e)
        for p in listing(conn):
            if p["roll"] == "worker":
                n = node(p["vard"])
                if time.time() - p["puls"] > DEAD_AFTER:  # not yet forgotten by a worker's recovery
                    n["dead"].append({"owner": p["agare"], "last_seen": p["puls"]})
                    continue
                n["workers"] += 1
                n["heartbeat_age_s"] = min(n.get("heartbeat_age_s", 1e9), int(time.time() - p["puls"]))
        for r in conn.execute(text(
                "SELECT j.status::text AS status, j.attempts, i.agare FROM procrastinate_jobs j "
                "JOIN inlamning i ON i.jobb_id = j.id WHERE j.status IN ('doing', 'failed') "
                "OR (j.status = 'todo' AND j.attempts > 0)")):
            key = {"doing": "running", "failed": "failed"}.get(r.status, "retrying")
            if r.agare is None:  # a first attempt at a number reserved at submission writes no owner before its end
                continue
            node(_host(r.agare))[key] += 1
        out["nodes"] = nodes
        out["failures"] = [dict(r._mapping) for r in conn.execute(text(
            "SELECT j.id AS job, j.task_name AS task, j.attempts, i.kalla AS input, i.agare AS owner, "
            "i.resultat AS result FROM procrastinate_jobs j LEFT JOIN inlamning i ON i.jobb_id = j.id "
            "WHERE j.status = 'failed' ORDER BY j.id DESC LIMIT 10"))]
        for f in out["failures"]:
            f["error"] = _error_of(f.pop("result"))
        out["submissions"] = submissions.counts(conn)
    return out


def _error_of(result: str | None) -> str | None:
    import json

    if not result:
        return None
    try:
        return (json.loads(result).get("error") or "")[:300] or None
    except ValueError:
        return result[:300]


def format_status(st: dict) -> str:
    """``queue_status`` as text, for `docgen status`."""
    if not st.get("available"):
        return "Kö / queue:              ingen (SQLite: allt i en process) / none (SQLite: one process)"
    lines = [
        f"Kö / queue:              {st['queued']} väntar / queued"
        + (f" (äldsta {st['oldest_queued_s']:.0f} s / oldest {st['oldest_queued_s']:.0f} s)"
           if st.get("oldest_queued_s") is not None else ""),
        f"  pågår / running:       {st['running']}",
        f"  försöker igen / retrying: {st['retrying']}",
        f"  misslyckade / failed:  {st['failed']}",
        f"  klara / succeeded:     {st['succeeded']}",
    ]
    for host, n in sorted(st["nodes"].items()):
        beat = f", puls {n['heartbeat_age_s']} s / heartbeat {n['heartbeat_age_s']} s ago" if "heartbeat_age_s" in n else ""
        lines.append(f"  nod / node {host}: {n['workers']} worker(s){beat}; pågår / running {n['running']}, "
                     f"försöker igen / retrying {n['retrying']}, misslyckade / failed {n['failed']}; "
                     f"förlorade försök / lost attempts {n.get('lost', 0)}, övertagna jobb / takeovers "
                     f"{n.get('takeovers', 0)}, fel / failures {n.get('failures', 0)}")
        for d in n.get("dead", []):
            seen = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(d["last_seen"]))
            lines.append(f"    död / dead: {d['owner']} (senast sedd / last seen {seen})")
    for f in st["failures"]:
        lines.append(f"  jobb / job {f['job']} {f['task']} {f['input'] or ''} (försök / attempts {f['attempts']}): "
                     f"{f['error'] or ''}")
    return "\n".join(lines)

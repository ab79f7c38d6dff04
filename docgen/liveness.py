"""Liveness across hosts: every docgen process that holds reservations, claims or deliveries registers
in the diarium (table ``process``) and renews a heartbeat every ``BEAT`` seconds from a daemon thread.

``alive(store, owner)``: on this host the pid and its start time are checked (``docgen.owners``); an
owner on another host is alive while its heartbeat is younger than ``DEAD_AFTER`` seconds.

What dead processes leave is cleared at every start (``void_dead_reservations``, ``clean_staging``) and,
in a queue worker, periodically (``recover``): their staging folders in the outbox (a version they had
registered but not yet placed is placed first), their ``process`` rows (recorded as a dead node's event,
shown by `docgen status` until forgotten).
"""
from __future__ import annotations

import logging
import shutil
import socket
import threading
import time

from . import owners
from .model import CaseStatus
from .store import Store, documents, events, numbers, processes, reservations, submissions

log = logging.getLogger("docgen")

BEAT = 10.0
DEAD_AFTER = 60.0


class Heartbeat:
    """Registers this process with its role while in use (a context manager, or start()/stop())."""

    def __init__(self, store: Store, role: str, inbox: str | None = None, every: float = BEAT):
        self.store, self.role, self.inbox, self.every = store, role, inbox, every
        self.owner = owners.owner_id()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "Heartbeat":
        if self._thread is None:
            with self.store.tx() as conn:
                processes.register(conn, self.owner, socket.gethostname(), self.role, self.inbox)
            self._thread = threading.Thread(target=self._run, name="docgen-heartbeat", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                with self.store.tx() as conn:
                    if not processes.beat(conn, self.owner):
                        processes.register(conn, self.owner, socket.gethostname(), self.role, self.inbox)
            except Exception as exc:  # the database is away: beat again next time
                log.warning("heartbeat not written (%s); trying again in %.0f s", exc, self.every)

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout=self.every + 5)
        self._thread = None
        try:
            with self.store.tx() as conn:
                processes.remove(conn, self.owner)
        except Exception as exc:
            log.warning("could not unregister %s (%s); it counts as dead after %.0f s", self.owner, exc, DEAD_AFTER)

    def __enter__(self) -> "Heartbeat":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def alive(store: Store, owner: str | None, dead_after: float = DEAD_AFTER) -> bool:
    """Whether the process that holds something still runs (pid on this host, heartbeat elsewhere); for a
    number reserved at submission, owned by the queue's job, whether that job or another job of its input
    waits or runs (``submissions.job_pending``)."""
    if not owner:
        return False
    job = submissions.job_of(owner)
    if job is not None:
        with store.read() as conn:
            return submissions.job_pending(conn, job)
    if owners.on_this_host(owner):
        return owners.owner_alive(owner)
    with store.read() as conn:
        beat = processes.last_beat(conn, owner)
    return beat is not None and time.time() - beat < dead_after


def void_dead_reservations(config, store: Store, starter: str = "") -> list[dict]:
    """What every docgen start does: void the reservations of processes that died before registering
    (with the reason), except those someone will finish under the same number (``_taken_over_later``).
    Returns what was voided."""
    keep = _taken_over_later(config, store)
    with store.read() as conn:
        rows = reservations.in_progress(conn)
    voided = []
    for row in rows:
        owner = row["agare"]
        if alive(store, owner) or (owner and keep(owner)):
            continue
        reason = (f"processen {owner or '(okänd)'} som reserverade numret avbröts innan handlingen registrerades; "
                  f"makulerat vid start av {starter or owners.owner_id()}. Lämna in indata igen. / the process that "
                  "reserved the number stopped before the document was registered; submit the input again.")
        with store.tx() as conn:
            if not reservations.still_held_by(conn, row["handling_id"], owner):
                continue  # taken over meanwhile
            numbers.void(conn, row["handling_id"], row["arende_id"], row["arende_status"] == CaseStatus.RESERVED, reason)
        log.warning("voided %s-%02d (%s): its process %s stopped before registering it", row["diarienummer"],
                    row["lopnummer"], row["rubrik"], owner)
        voided.append(row)
    return voided


def _taken_over_later(config, store: Store):
    """Whether a dead owner's reservation will be taken over: its claim folder is still in this inbox's
    work folder (the next watcher takes it over and finishes the document under the same number), or, on
    PostgreSQL, a worker whose submission is still running (the queue retries its job, which takes the
    reservation over)."""
    work_root = config.inbox / config.settings.bevakning.arbete
    running: set[str] = set()
    if store.is_postgres:
        with store.read() as conn:
            running = submissions.running_owners(conn)
    return lambda owner: owner in running or (work_root / owners.as_name(owner)).is_dir()


def clean_staging(config, store: Store) -> dict:
    """The staging folders in the outbox (``.staging/<owner>~<id>``): a version the diarium holds but whose
    process stopped before placing it is placed (also for a live but stalled process: the bytes are the
    registered ones, and it tolerates finding them placed); the folders of dead processes are removed.
    Returns ``{"placed": [files], "removed": [folders]}``."""
    from .steps import publish
    from .steps.layout import STAGING

    root = config.outbox / STAGING
    out = {"placed": [], "removed": []}
    if not root.is_dir():
        return out
    for folder in sorted(root.iterdir()):
        if not folder.is_dir():
            continue
        m = publish.manifest(folder)
        if m:
            try:
                with store.read() as conn:
                    held = documents.holds_version(conn, m["handling_id"], m["version"], m["pdf"], m["pdf_sha256"])
            except (KeyError, TypeError):
                held = False
            if held:
                out["placed"] += publish.place(folder, config.outbox, replace=False)
        owner = owners.from_name(folder.name)
        if owner and not alive(store, owner):
            shutil.rmtree(folder, ignore_errors=True)
            out["removed"].append(folder)
    for f in out["placed"]:
        log.warning("placed %s: registered by a process that stopped before placing it", f)
    if out["removed"]:
        log.info("removed %d staging folder(s) of processes that no longer run", len(out["removed"]))
    return out


#: How long a dead node stays listed (its events kept) by default, seconds.
FORGET_AFTER = 7 * 24 * 3600.0


def forget_dead(store: Store, forget_after: float = FORGET_AFTER) -> list[dict]:
    """Remove the ``process`` rows of processes that no longer run, each recorded as a dead node's event
    (with when it was last seen); forget events older than ``forget_after`` seconds. Returns the rows removed."""
    with store.read() as conn:
        rows = processes.listing(conn)
    gone = []
    for row in rows:
        if alive(store, row["agare"]):
            continue

        def remove(conn, row=row) -> bool:
            if processes.last_beat(conn, row["agare"]) != row["puls"]:
                return False  # it beat again meanwhile (it was stalled, not dead)
            processes.remove(conn, row["agare"])
            events.record(conn, events.DEAD, row["agare"], last_beat=row["puls"], detail=row["roll"])
            return True

        if store.transact(remove):
            log.warning("process %s (%s) no longer runs; last seen %.0f s ago", row["agare"], row["roll"],
                        time.time() - row["puls"])
            gone.append(row)
    store.transact(lambda conn: events.forget_older_than(conn, int(time.time() - forget_after)))
    return gone


def recover(config, store: Store, forget_after: float = FORGET_AFTER) -> dict:
    """A worker's periodic recovery: dead processes forgotten (recorded as dead nodes), their staging
    folders cleared."""
    dead = forget_dead(store, forget_after)
    staging = clean_staging(config, store)
    return {"dead": dead, **staging}

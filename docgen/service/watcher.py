"""The service loop: a file observer whose events are hints, a rescan every few minutes, and a pool of
workers that process what is claimed. Stopping finishes in-flight documents and gives queued claims
back to the inbox.

Faults it rides out without a restart: a full disk (claims, documents and reports are retried with
backoff while the claim stays in the work folder), an inbox deleted and re-created (the observer is
re-armed at once), a peer watcher on the same inbox that died (its claims are taken over while this
one runs; on another host, judged by its heartbeat).

With a PostgreSQL diarium the watcher is an ingest node: it claims inputs as always, submits each to
the job queue (``docgen.queue``: checked, stored with its attachments, queued) and moves it to
behandlade/ or fel/ when its job ends, on whichever node the job ran. Unless ``submit_only``, it also
starts a ``docgen worker`` beside it, so that one machine alone still converts.
"""
from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.inotify_move_event_grouper import InotifyMoveEventGrouper
from watchdog.observers.polling import PollingObserver

from .. import liveness
from ..errors import ConfigError, InputError, readable
from ..files import disk_trouble
from ..model import ErrorKind, Outcome
from ..pipeline import THREADS_PER_WORKER, Engine
from ..store import Store, submissions
from .claims import Claims, folders_of, source_of
from .reports import document_entry, removed_report, report_text
from .scan import Candidates

if TYPE_CHECKING:
    from ..config import Config

log = logging.getLogger("docgen.watch")

MOVE_PAIRING_DELAY = 0.02
#: Seconds between looks at whether the inbox folder is still the one being watched, and at dead peers.
INBOX_CHECK_EVERY = 0.5
PEER_CHECK_EVERY = 15.0
#: Backoff (seconds) for inputs that failed for want of a resource (a full disk): 2, 4, 8 ... at most 60.
RETRY_FIRST, RETRY_MAX = 2.0, 60.0
#: Queue mode: at most this many inputs claimed and waiting for their jobs.
QUEUED_CLAIMS = 200


def _outcome(source: str, row: dict) -> Outcome:
    """The outcome of a submission's job, from the queue (its stored result)."""
    import json
    from dataclasses import fields

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


def _give_back_memory() -> None:
    """Return the heap that worker threads freed to the system (glibc keeps it per thread arena, so
    the watcher's RSS would otherwise stay at its busiest moment: about 250 MB instead of 130 MB)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc


class _Handler(FileSystemEventHandler):
    def __init__(self, candidates: Candidates, polling: bool, inbox: Path | None = None, gone=None):
        self.candidates = candidates
        self.polling = polling
        self.inbox = os.fsencode(str(inbox)) if inbox is not None else None
        self.gone = gone  # called when the watched inbox itself is deleted (inotify IN_DELETE_SELF)

    def on_any_event(self, event):
        # An exception here would kill the observer thread silently: catch everything.
        try:
            if (event.event_type == "deleted" and event.is_directory and self.gone is not None
                    and os.fsencode(event.src_path) == self.inbox):
                self.gone()  # the folder being watched is gone: its watch ends with it
                return
            if event.is_directory or event.event_type == "deleted":
                return  # never act on deletes (a dropped share looks like everything was deleted)
            if event.event_type == "moved":
                self.candidates.hint(Path(os.fsdecode(event.dest_path)), complete=True)
            elif event.event_type == "closed":
                self.candidates.hint(Path(os.fsdecode(event.src_path)), complete=True)
            elif event.event_type == "opened":
                self.candidates.opened(Path(os.fsdecode(event.src_path)))
            elif event.event_type in ("created", "modified"):
                self.candidates.hint(Path(os.fsdecode(event.src_path)), complete=False,
                                     created=event.event_type == "created" and not self.polling)
        except Exception:
            log.exception("watcher event handler failed (continuing)")


class Watcher:
    """Watches the inbox and processes what arrives with a pool of workers."""

    def __init__(self, config: Config, engine: Engine | None = None, workers: int | None = None, polling: bool | None = None,
                 submit_only: bool = False):
        w = config.section("bevakning")
        self.config = config
        self.workers = workers or w["arbetare"] or os.cpu_count() or 1
        self.polling = w["polling"] if polling is None else polling
        self.stable_time = float(w["stabil_tid"])
        self.rescan_every = float(w["omsokning_minuter"]) * 60
        self.recursive = bool(w["undermappar"])
        self.folders = folders_of(config)
        store = engine.store if engine is not None else Store(config.registry_url)
        self.queued = store.is_postgres
        self.submit_only = submit_only
        self._worker_proc: subprocess.Popen | None = None
        self._submissions: dict[Path, int] = {}  # claimed input -> its submission (queue mode)
        if self.queued:
            from ..queue.submit import Submitter

            self.engine = None
            self.store = store
            self.submitter = Submitter(config, store)
            self.heartbeat = liveness.Heartbeat(store, "watch", str(config.inbox))
        else:
            if submit_only:
                store.close()
                raise ConfigError("--submit-only needs a PostgreSQL diarium ([sokvagar] register); with SQLite the "
                                  "watcher converts in its own process")
            self.engine = engine or Engine(config, workers=self.workers, role="watch", store=store)
            self.store = self.engine.store
        self._own_engine = engine is None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self.candidates = Candidates(self.folders, self.recursive, self.stable_time, self._wake)
        self.claims = Claims(config, self.folders, self.stable_time, float(w["bilagor_vantetid"]))
        self._pending: dict[Future, tuple[Path, str]] = {}
        self._retry: dict[Path, tuple[float, int]] = {}  # claimed input -> (when, attempts): resource failures
        self._unfinished: list[tuple[Path, Outcome, str | None]] = []  # processed, not yet moved out of arbete/
        self._inbox_id: tuple | None = None
        self._inbox_gone = threading.Event()
        #: claimed input -> an open handle on its claim folder, which finds the folder if the inbox is moved
        self._handles: dict[Path, int] = {}
        self._moved_seen: set[Path] = set()
        self._last_complaint: dict[str, float] = {}
        self._executor: ThreadPoolExecutor | None = None
        self._observer = None
        self.processed = 0
        self.failed = 0

    def recover(self) -> list[Path]:
        """Take over files claimed by processes that died (another host's: judged by its heartbeat), and
        clean their staging folders."""
        return self.claims.recover(alive=lambda owner: liveness.alive(self.store, owner))

    def submit(self, claimed: Path, recovered: bool = False) -> None:
        with self._lock:
            if claimed not in self._handles:
                try:
                    self._handles[claimed] = os.open(claimed.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
                except OSError:
                    pass
        fut = self._executor.submit(self.process, claimed, recovered)
        with self._lock:
            self._pending[fut] = (claimed, claimed.name)
        fut.add_done_callback(self._forget)

    def _where(self, claimed: Path) -> Path:
        """Where a claimed input is now: its claim folder follows the inbox if the inbox was moved away (or
        renamed) while it was being processed; ``claimed`` itself when it is there, or gone."""
        with self._lock:
            fd = self._handles.get(claimed)
        if fd is None:
            return claimed
        try:
            st, here = os.fstat(fd), claimed.parent.stat()
            if (st.st_dev, st.st_ino) == (here.st_dev, here.st_ino):
                return claimed
        except OSError:
            pass
        try:
            now = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            return claimed
        if now.endswith(" (deleted)"):
            return claimed
        moved = Path(now) / claimed.name
        if claimed not in self._moved_seen:
            self._moved_seen.add(claimed)
            log.warning("the inbox was moved while %s was processed; its claim folder is now %s", claimed.name,
                        moved.parent)
        return moved

    def _drop_handle(self, claimed: Path) -> None:
        with self._lock:
            fd = self._handles.pop(claimed, None)
        if fd is not None:
            os.close(fd)

    def _forget(self, fut: Future) -> None:
        with self._lock:
            self._pending.pop(fut, None)

    def process(self, claimed: Path, recovered: bool = False) -> Outcome | None:
        """Process one claimed input; move its claim folder to behandlade/ or fel/ (with a report), or keep
        it in the work folder to try again later when a resource (disk, diarium) was missing. In queue
        mode: submit it (the claim is finished when its job ends)."""
        if self.queued:
            return self._submit(claimed, recovered)
        try:
            return self._process(claimed, recovered)
        except Exception as exc:  # a bug must not leave the input in the work folder with no word
            log.error("internal error with %s; it is moved to the failed folder", claimed, exc_info=exc)
            result = Outcome(source=source_of(claimed), error_kind=ErrorKind.INTERNAL,
                             error=f"internt fel / internal error: {type(exc).__name__}: {readable(str(exc))[:300]}")
            self.failed += 1
            self._finish(claimed, result, report_text(result, claimed.name))
            return result

    def _process(self, claimed: Path, recovered: bool) -> Outcome:
        t0 = time.perf_counter()
        source = source_of(claimed)
        result = self.engine.process(self._where(claimed), source=source)
        if not result.ok and result.error_kind == "duplicate" and result.registered_from == source:
            result.ok, result.error, result.error_kind = True, None, None  # registered before a crash: done
        total = round((time.perf_counter() - t0) * 1000, 1)
        where = self._where(claimed)
        if result.error_kind == ErrorKind.RESOURCE and (where.exists() or not where.parent.is_dir()):
            self._retry_later(claimed, result.error)
        else:
            self._retry.pop(claimed, None)
            if result.ok:
                self.processed += 1
            else:
                self.failed += 1
            if result.error_kind == ErrorKind.INPUT and not where.exists() and where.parent.is_dir():
                # someone removed the file from the work folder meanwhile: say so, not "does not exist"
                report = removed_report(claimed.name, where.parent)
                result.error = report.split("\n", 1)[0]
            else:
                report = None if result.ok else report_text(result, claimed.name)
            self._finish(claimed, result, report)
        log.info("document", extra={"doc": document_entry(result, claimed.name, total, recovered)})
        return result

    def _submit(self, claimed: Path, recovered: bool) -> None:
        """Queue mode: submit a claimed input, or (taken over from a dead watcher) follow its submission."""
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
                self._retry_later(claimed, why)  # the database is away, or the disk full: try again
                return
            if r["status"] == submissions.REFUSED:
                result = Outcome(source=source, error=r["fel"], error_kind=r["felsort"], problems=r["problem"])
                self.failed += 1
                self._finish(claimed, result, report_text(result, claimed.name))
                log.info("document", extra={"doc": document_entry(result, claimed.name, 0.0, recovered)})
                return
            sid = r["inlamning"]
        with self._lock:
            self._retry.pop(claimed, None)
            self._submissions[claimed] = sid

    def _collect(self) -> None:
        """Queue mode: finish the claims whose jobs have ended (on any node)."""
        with self._lock:
            waiting = dict(self._submissions)
        if not waiting:
            return
        try:
            with self.store.read() as conn:
                rows = {r["id"]: r for r in submissions.with_job_status(conn, sorted(set(waiting.values())))}
        except Exception as exc:
            self._complain("collect", "cannot read the queue (%s); trying again", exc)
            return
        for claimed, sid in waiting.items():
            row = rows.get(sid)
            if row is None:
                continue
            gave_up = row["jobb_status"] in ("failed", "cancelled", "aborted")
            if row["status"] not in submissions.FINAL and not gave_up:
                continue
            result = _outcome(source_of(claimed), row)
            with self._lock:
                self._submissions.pop(claimed, None)
            if result.ok:
                self.processed += 1
            else:
                self.failed += 1
            self._finish(claimed, result, None if result.ok else report_text(result, claimed.name))
            log.info("document", extra={"doc": document_entry(result, claimed.name, 0.0, False)})

    def _retry_later(self, claimed: Path, why: str) -> None:
        with self._lock:
            attempts = self._retry.get(claimed, (0.0, 0))[1] + 1
            delay = min(RETRY_MAX, RETRY_FIRST * 2 ** (attempts - 1))
            self._retry[claimed] = (time.monotonic() + delay, attempts)
        log.warning("%s waits in %s and is tried again in %.0f s (attempt %d): %s", claimed.name,
                    claimed.parent, delay, attempts, why)

    def _finish(self, claimed: Path, result: Outcome, report: str | None) -> None:
        """Move a claim folder out of the work folder; if that fails (a full disk), try again later."""
        try:
            self.claims.finish(self._where(claimed), result, report)
            self._drop_handle(claimed)
        except OSError as exc:
            self._complain("finish", "could not move %s out of the work folder (%s); trying again shortly", claimed,
                           disk_trouble(exc, [claimed.parent]) or exc)
            with self._lock:
                self._unfinished.append((claimed, result, report))

    def _finish_later(self) -> None:
        with self._lock:
            todo, self._unfinished = self._unfinished, []
        for claimed, result, report in todo:
            self._finish(claimed, result, report)

    def _due_retries(self) -> list[Path]:
        now = time.monotonic()
        with self._lock:
            due = [p for p, (when, _) in self._retry.items() if when <= now]
            for p in due:
                self._retry[p] = (float("inf"), self._retry[p][1])  # in flight; process() sets the next time
        return due

    def _refuse(self, path: Path, problems) -> None:
        """Claim an input alone and fail it at once (attachments it must not move), no number taken."""
        claimed = self.claims.claim(path)
        if claimed is None:
            return
        err = InputError(claimed.name, problems)
        result = Outcome(source=source_of(claimed), error=err.report(), error_kind=ErrorKind.INPUT,
                         problems=[p.to_dict() for p in problems])
        self.failed += 1
        self._finish(claimed, result, report_text(result, claimed.name))
        log.info("document", extra={"doc": document_entry(result, claimed.name, 0.0, False)})

    def _watch_worker(self) -> None:
        """Queue mode without ``submit_only``: keep a `docgen worker` running beside the watcher."""
        if self.submit_only or self._stop.is_set():
            return
        if self._worker_proc is not None and self._worker_proc.poll() is None:
            return
        if self._worker_proc is not None:
            self._complain("worker", "the worker beside the watcher stopped (exit code %s); starting it again",
                           self._worker_proc.returncode)
        self._worker_proc = subprocess.Popen(
            [sys.executable, "-m", "docgen.cli", "-w", str(self.config.workspace), "worker",
             "--concurrency", str(self.workers)], stdin=subprocess.DEVNULL)
        log.info("worker started beside the watcher (pid %d, %d slot(s))", self._worker_proc.pid, self.workers)

    def _stop_worker(self) -> None:
        proc = self._worker_proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)  # it finishes the jobs in hand
        try:
            proc.wait(timeout=300)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def _complain(self, key: str, message: str, *args) -> None:
        """A warning at most every 30 s per kind (a full disk would otherwise log at every turn)."""
        now = time.monotonic()
        if now - self._last_complaint.get(key, -1e9) >= 30:
            self._last_complaint[key] = now
            log.warning(message, *args)

    def _inbox_identity(self) -> tuple | None:
        try:
            st = self.folders.inbox.stat()
        except OSError:
            return None
        return (st.st_dev, st.st_ino)

    def _on_inbox_gone(self) -> None:
        self._inbox_gone.set()
        self._wake.set()

    def _inbox_replaced(self) -> str | None:
        """Why the observer no longer watches the inbox folder that is there now, or None: the watched folder
        was deleted (its watch ended: a new folder may get the same inode number, so that is not enough),
        or another folder, or another file system, is at the inbox's path."""
        if self._observer is None or not self._observer.is_alive():
            return None
        if self._inbox_gone.is_set() or any(not e.is_alive() for e in self._observer.emitters):
            return "deleted"
        if self._inbox_identity() != self._inbox_id:
            return "replaced"
        return None

    def _start_observer(self) -> None:
        if not self.polling:
            # Every claim renames a file out of the inbox: an unpaired IN_MOVED_FROM, which watchdog
            # holds for `delay` (0.5 s) to pair it, and its queue is FIFO, so every later event waited
            # behind it. A rename's two halves arrive in the same read, and the watcher never acts on
            # moved-from, so a short pairing window costs nothing and removes up to 0.5 s of latency.
            InotifyMoveEventGrouper.delay = MOVE_PAIRING_DELAY
        observer = PollingObserver(timeout=max(0.2, min(self.stable_time / 2, 1.0))) if self.polling else Observer()
        observer.schedule(_Handler(self.candidates, self.polling, self.folders.inbox, self._on_inbox_gone),
                          str(self.folders.inbox), recursive=self.recursive)
        observer.daemon = True
        observer.start()
        self._observer = observer
        self._inbox_id = self._inbox_identity()

    def run(self) -> int:
        """Run until stop(); returns the exit code."""
        self.folders.inbox.mkdir(parents=True, exist_ok=True)
        for d in (self.folders.done, self.folders.failed, self.folders.work_root):
            d.mkdir(parents=True, exist_ok=True)
        if self.queued:
            self.heartbeat.start()
            self._watch_worker()
        else:
            self.engine.pool.start()
        # Two threads per warm LibreOffice: one renders the next document while the other converts.
        self._executor = ThreadPoolExecutor(max_workers=self.workers * THREADS_PER_WORKER, thread_name_prefix="docgen-worker")
        self._take_over_dead_peers()  # at start: a previous run of this service, or a peer, that died
        log.info("watching %s (%s, %d workers)", self.folders.inbox, "polling" if self.polling else "inotify", self.workers)
        log.info("lägg indatafiler (YAML/JSON) i / drop input files into %s; dokument / documents: %s; "
                 "behandlade indata / processed inputs: %s; fel med rapporter / failures with reports: %s. "
                 "Exempel / example: docgen new %s > %s",
                 self.folders.inbox, self.config.outbox, self.folders.done, self.folders.failed,
                 next(iter((self.engine or self.submitter.checker).plugins.types), "TYP"), self.folders.inbox / "ny.yaml")
        self.candidates.scan()
        last_scan = last_inbox_check = last_peer_check = time.monotonic()
        observer_ok = True
        trimmed_at = 0
        try:
            while not self._stop.is_set():
                now = time.monotonic()
                if self._inbox_gone.is_set() or now - last_inbox_check >= INBOX_CHECK_EVERY:
                    last_inbox_check = now
                    why = self._inbox_replaced()
                    if why:
                        # deleted (and perhaps re-created), moved away or remounted: inotify watched the old folder
                        log.warning("the inbox %s was %s (deleted and re-created, moved, or remounted); watching the "
                                    "folder at its path as soon as there is one", self.folders.inbox, why)
                        self._observer.stop()
                        self._observer = None
                        self._inbox_gone.clear()
                        observer_ok = True
                if self._observer is None or not self._observer.is_alive():
                    if self._observer is not None and observer_ok:
                        log.warning("the file observer stopped; restarting it and rescanning")
                    try:
                        if self.folders.inbox.is_dir():
                            for d in (self.folders.done, self.folders.failed, self.folders.work_root):
                                d.mkdir(parents=True, exist_ok=True)
                            self._start_observer()
                            self.candidates.scan()
                            observer_ok = True
                        else:
                            observer_ok = False
                    except OSError as exc:
                        observer_ok = False
                        self._complain("observer", "cannot watch %s (%s); retrying", self.folders.inbox, exc)
                if now - last_scan >= self.rescan_every:
                    self.candidates.scan()
                    last_scan = now
                if now - last_peer_check >= PEER_CHECK_EVERY:
                    last_peer_check = now
                    self._take_over_dead_peers()
                if self._unfinished:
                    self._finish_later()
                if self.queued:
                    self._collect()
                    self._watch_worker()
                for claimed in self._due_retries():
                    self.submit(claimed)
                with self._lock:
                    room = self.workers * THREADS_PER_WORKER * 2 - len(self._pending)
                    if self.queued:  # inputs waiting in the queue stay claimed here: bound them too
                        room = min(room, QUEUED_CLAIMS - len(self._submissions))
                for path in self.candidates.ready(room):
                    if self._stop.is_set():
                        break
                    self._take(path)
                if not self._pending and self.processed + self.failed != trimmed_at:
                    trimmed_at = self.processed + self.failed
                    _give_back_memory()
                self._wake.wait(0.05)
                self._wake.clear()
        finally:
            self._shutdown()
        return 0

    def _take(self, path: Path) -> None:
        """Claim one ready input (with its attachments) and queue it; a full disk leaves it in the inbox."""
        try:
            ok, attachments, refused = self.claims.attachments_ready(path)
            if refused:
                self._refuse(path, refused)
                return
            if not ok:
                self.candidates.hint(path, complete=True)  # look again next round
                return
            claimed = self.claims.claim(path, attachments)
        except OSError as exc:
            self.candidates.hint(path, complete=True)
            self._complain("claim", "cannot take %s yet (%s); it stays in the inbox and is tried again", path,
                           disk_trouble(exc, [self.folders.work_root]) or exc)
            self._wake.wait(1.0)
            return
        if claimed is not None:
            self.submit(claimed)

    def _take_over_dead_peers(self) -> None:
        """Claims of a watcher on this inbox that stopped (killed, or its host went down), at start and
        every ``PEER_CHECK_EVERY`` seconds."""
        try:
            taken = self.recover()
        except OSError as exc:
            self._complain("peers", "cannot take over a stopped watcher's files (%s)", exc)
            return
        if taken:
            log.info("taking over %d file(s) of a stopped process", len(taken), extra={"doc": {"recovered": len(taken)}})
        for f in taken:
            self.submit(f, recovered=True)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def _shutdown(self) -> None:
        if self._observer is not None:
            self._observer.stop()
        with self._lock:
            pending = dict(self._pending)
        for fut, (claimed, original) in pending.items():
            if fut.cancel() and claimed.exists():  # not started: give it (and its attachments) back to the inbox
                self.claims.give_back(claimed)
        self._executor.shutdown(wait=True, cancel_futures=True)
        self.claims.release()
        if self.queued:
            self._stop_worker()
            self.submitter.close()
            self.heartbeat.stop()
            self.store.close()
        elif self._own_engine:
            self.engine.close()
        log.info("stopped: %d processed, %d failed", self.processed, self.failed)

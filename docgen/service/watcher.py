"""The service loop: a file observer whose events are hints, a rescan every few minutes, and a pool of
workers that process what is claimed. Stopping finishes in-flight documents and gives queued claims
back to the inbox.

Faults it rides out without a restart: a full disk (claims, documents and reports are retried with
backoff while the claim stays in the work folder), an inbox deleted and re-created (the observer is
re-armed at once), a peer watcher on the same inbox that died (its claims are taken over while this
one runs; on another host, judged by its heartbeat).

What a claimed input goes through depends on the diarium: with SQLite the ``LocalRunner`` processes it
here; with PostgreSQL the ``QueueRunner`` submits it to the job queue and finishes it when its job ends.
"""
from __future__ import annotations

import ctypes
import logging
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from .. import decisions, liveness
from ..errors import ConfigError, InputError
from ..files import disk_trouble
from ..model import ErrorKind, Outcome
from ..pipeline import THREADS_PER_WORKER, Engine
from ..store import Store
from .claims import Claims, folders_of, source_of
from .finish import Finisher, Retries
from .local import LocalRunner
from .observer import ClaimHandles, InboxObserver
from .queued import QueueRunner
from .reports import Complaints
from .scan import Candidates

if TYPE_CHECKING:
    from ..config import Config

log = logging.getLogger("docgen.watch")

#: Seconds between looks for dead peers whose claims to take over.
PEER_CHECK_EVERY = 15.0


def _give_back_memory() -> None:
    """Return the heap that worker threads freed to the system (glibc keeps it per thread arena, so
    the watcher's RSS would otherwise stay at its busiest moment: about 250 MB instead of 130 MB)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc


class Watcher:
    """Watches the inbox and processes what arrives with a pool of workers."""

    def __init__(self, config: Config, engine: Engine | None = None, workers: int | None = None, polling: bool | None = None,
                 submit_only: bool = False):
        w = config.settings.bevakning
        self.config = config
        self.workers = workers or w.arbetare or os.cpu_count() or 1
        self.polling = w.polling if polling is None else polling
        self.stable_time = float(w.stabil_tid)
        self.rescan_every = float(w.omsokning_minuter) * 60
        self.folders = folders_of(config)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self.complain = Complaints(log)
        self.candidates = Candidates(self.folders, bool(w.undermappar), self.stable_time, self._wake)
        self.claims = Claims(config, self.folders, self.stable_time, float(w.bilagor_vantetid))
        self.observer = InboxObserver(self.folders, self.candidates, self.polling, bool(w.undermappar),
                                      self.stable_time, self._wake, self.complain)
        self.handles = ClaimHandles()
        self.finisher = Finisher(self.claims, self.handles, self.complain)
        self.retries = Retries()
        store = engine.store if engine is not None else Store(config.registry_url)
        if store.is_postgres:
            self.runner = QueueRunner(config, store, self.workers, submit_only, self.folders, self.finisher,
                                      self.retries, self.complain, self._stop)
        elif submit_only:
            store.close()
            raise ConfigError("--submit-only needs a PostgreSQL diarium ([sokvagar] register); with SQLite the "
                              "watcher converts in its own process")
        else:
            self.runner = LocalRunner(config, engine, store, self.workers, self.finisher, self.retries, self.handles)
        self.store = self.runner.store
        self._lock = threading.Lock()
        self._pending: dict[Future, Path] = {}
        self._executor: ThreadPoolExecutor | None = None

    @property
    def processed(self) -> int:
        return self.finisher.processed

    @property
    def failed(self) -> int:
        return self.finisher.failed

    def recover(self) -> list[Path]:
        """Take over files claimed by processes that died (another host's: judged by its heartbeat), and
        clean their staging folders."""
        return self.claims.recover(alive=lambda owner: liveness.alive(self.store, owner))

    def submit(self, claimed: Path, recovered: bool = False) -> None:
        self.handles.hold(claimed)
        fut = self._executor.submit(self.runner.process, claimed, recovered)
        with self._lock:
            self._pending[fut] = claimed
        fut.add_done_callback(self._forget)

    def _forget(self, fut: Future) -> None:
        with self._lock:
            self._pending.pop(fut, None)

    def _refuse(self, path: Path, problems) -> None:
        """Claim an input alone and fail it at once (attachments it must not move), no number taken."""
        claimed = self.claims.claim(path)
        if claimed is None:
            return
        err = InputError(claimed.name, problems)
        self.finisher.done(claimed, Outcome(source=source_of(claimed), error=err.report(), error_kind=ErrorKind.INPUT,
                                            problems=[p.to_dict() for p in problems]))

    def _start(self) -> None:
        for d in (self.folders.inbox, self.folders.done, self.folders.failed, self.folders.work_root):
            d.mkdir(parents=True, exist_ok=True)
        self.runner.start()
        # Two threads per warm LibreOffice: one renders the next document while the other converts.
        self._executor = ThreadPoolExecutor(max_workers=self.workers * THREADS_PER_WORKER, thread_name_prefix="docgen-worker")
        self._take_over_dead_peers()  # at start: a previous run of this service, or a peer, that died
        log.info("watching %s (%s, %d workers)", self.folders.inbox, "polling" if self.polling else "inotify", self.workers)
        log.info("lägg indatafiler (YAML/JSON) i / drop input files into %s; dokument / documents: %s; "
                 "behandlade indata / processed inputs: %s; fel med rapporter / failures with reports: %s. "
                 "Exempel / example: docgen new %s > %s",
                 self.folders.inbox, self.config.outbox, self.folders.done, self.folders.failed,
                 self.runner.example_type(), self.folders.inbox / "ny.yaml")
        self.candidates.scan()

    def run(self) -> int:
        """Run until stop(); returns the exit code."""
        self._start()
        last_scan = last_peer_check = time.monotonic()
        trimmed_at = 0
        try:
            while not self._stop.is_set():
                now = time.monotonic()
                self.observer.keep_watching(now)
                if now - last_scan >= self.rescan_every:
                    self.candidates.scan()
                    last_scan = now
                if now - last_peer_check >= PEER_CHECK_EVERY:
                    last_peer_check = now
                    self._take_over_dead_peers()
                self.finisher.finish_later()
                self.runner.turn()
                for claimed in self.retries.due():
                    self.submit(claimed)
                self._take_ready()
                if not self._pending and self.finisher.count != trimmed_at:
                    trimmed_at = self.finisher.count
                    _give_back_memory()
                self._wake.wait(0.05)
                self._wake.clear()
        finally:
            self._shutdown()
        return 0

    def _take_ready(self) -> None:
        with self._lock:
            room = self.runner.room(self.workers * THREADS_PER_WORKER * 2 - len(self._pending))
        for path in self.candidates.ready(room):
            if self._stop.is_set():
                break
            self._take(path)

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
            self.complain("claim", "cannot take %s yet (%s); it stays in the inbox and is tried again", path,
                          disk_trouble(exc, [self.folders.work_root]) or exc)
            self._wake.wait(1.0)
            return
        if claimed is not None:
            self.submit(claimed)

    def _take_over_dead_peers(self) -> None:
        """Claims of a watcher on this inbox that stopped (killed, or its host went down), and decided documents
        a stopped process left on their way to the inbox (``decisions.hand_on_stranded``), at start and every
        ``PEER_CHECK_EVERY`` seconds."""
        try:
            taken = self.recover()
        except OSError as exc:
            self.complain("peers", "cannot take over a stopped watcher's files (%s)", exc)
            return
        if taken:
            log.info("taking over %d file(s) of a stopped process", len(taken), extra={"doc": {"recovered": len(taken)}})
        for f in taken:
            self.submit(f, recovered=True)
        try:  # a decision whose process stopped before it put the input into the inbox
            for name in decisions.hand_on_stranded(self.config, self.store):
                log.info("handed on %s, decided in docgen by a process that stopped before it reached the inbox", name)
        except Exception as exc:  # the diarium or the inbox cannot be read now: next time
            self.complain("decisions", "cannot look for decided documents left behind (%s)", exc)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def _shutdown(self) -> None:
        self.observer.stop()
        with self._lock:
            pending = dict(self._pending)
        for fut, claimed in pending.items():
            if fut.cancel() and claimed.exists():  # not started: give it (and its attachments) back to the inbox
                self.claims.give_back(claimed)
        self._executor.shutdown(wait=True, cancel_futures=True)
        self.claims.release()
        self.runner.close()
        log.info("stopped: %d processed, %d failed", self.processed, self.failed)

"""The service loop: a file observer whose events are hints, a rescan every few minutes, and a pool of
workers that process what is claimed. Stopping finishes in-flight documents and gives queued claims
back to the inbox.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.inotify_move_event_grouper import InotifyMoveEventGrouper
from watchdog.observers.polling import PollingObserver

from ..pipeline import THREADS_PER_WORKER, Engine
from .claims import Claims, folders_of, source_of
from .reports import document_entry, report_text
from .scan import Candidates

if TYPE_CHECKING:
    from ..config import Config
    from ..model import Outcome

log = logging.getLogger("docgen.watch")

MOVE_PAIRING_DELAY = 0.02


class _Handler(FileSystemEventHandler):
    def __init__(self, candidates: Candidates, polling: bool):
        self.candidates = candidates
        self.polling = polling

    def on_any_event(self, event):
        # An exception here would kill the observer thread silently: catch everything.
        try:
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

    def __init__(self, config: Config, engine: Engine | None = None, workers: int | None = None, polling: bool | None = None):
        w = config.section("bevakning")
        self.config = config
        self.workers = workers or w["arbetare"] or os.cpu_count() or 1
        self.polling = w["polling"] if polling is None else polling
        self.stable_time = float(w["stabil_tid"])
        self.rescan_every = float(w["omsokning_minuter"]) * 60
        self.recursive = bool(w["undermappar"])
        self.folders = folders_of(config)
        self.engine = engine or Engine(config, workers=self.workers)
        self._own_engine = engine is None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self.candidates = Candidates(self.folders, self.recursive, self.stable_time, self._wake)
        self.claims = Claims(config, self.folders, self.stable_time, float(w["bilagor_vantetid"]))
        self._pending: dict[Future, tuple[Path, str]] = {}
        self._executor: ThreadPoolExecutor | None = None
        self._observer = None
        self.processed = 0
        self.failed = 0

    def recover(self) -> list[Path]:
        """Take over files claimed by processes that died (same host), and clean their staging folders."""
        return self.claims.recover()

    def submit(self, claimed: Path, recovered: bool = False) -> None:
        fut = self._executor.submit(self.process, claimed, recovered)
        with self._lock:
            self._pending[fut] = (claimed, claimed.name)
        fut.add_done_callback(self._forget)

    def _forget(self, fut: Future) -> None:
        with self._lock:
            self._pending.pop(fut, None)

    def process(self, claimed: Path, recovered: bool = False) -> Outcome:
        """Process one claimed input; move its claim folder to behandlade/ or fel/ (with a report)."""
        t0 = time.perf_counter()
        source = source_of(claimed)
        result = self.engine.process(claimed, source=source)
        if not result.ok and result.error_kind == "duplicate" and result.registered_from == source:
            result.ok, result.error, result.error_kind = True, None, None  # registered before a crash: done
        total = round((time.perf_counter() - t0) * 1000, 1)
        try:
            if result.ok:
                self.processed += 1
                self.claims.finish(claimed, result)
            else:
                self.failed += 1
                self.claims.finish(claimed, result, report_text(result, claimed.name))
        except OSError:
            log.exception("could not move %s out of the work folder; it stays there and is retried at next start", claimed)
        log.info("document", extra={"doc": document_entry(result, claimed.name, total, recovered)})
        return result

    def _start_observer(self) -> None:
        if not self.polling:
            # Every claim renames a file out of the inbox: an unpaired IN_MOVED_FROM, which watchdog
            # holds for `delay` (0.5 s) to pair it, and its queue is FIFO, so every later event waited
            # behind it. A rename's two halves arrive in the same read, and the watcher never acts on
            # moved-from, so a short pairing window costs nothing and removes up to 0.5 s of latency.
            InotifyMoveEventGrouper.delay = MOVE_PAIRING_DELAY
        observer = PollingObserver(timeout=max(0.2, min(self.stable_time / 2, 1.0))) if self.polling else Observer()
        observer.schedule(_Handler(self.candidates, self.polling), str(self.folders.inbox), recursive=self.recursive)
        observer.daemon = True
        observer.start()
        self._observer = observer

    def run(self) -> int:
        """Run until stop(); returns the exit code."""
        self.folders.inbox.mkdir(parents=True, exist_ok=True)
        for d in (self.folders.done, self.folders.failed, self.folders.work_root):
            d.mkdir(parents=True, exist_ok=True)
        self.engine.pool.start()
        # Two threads per warm LibreOffice: one renders the next document while the other converts.
        self._executor = ThreadPoolExecutor(max_workers=self.workers * THREADS_PER_WORKER, thread_name_prefix="docgen-worker")
        recovered = self.recover()
        if recovered:
            log.info("taking over %d file(s) left by a stopped process", len(recovered), extra={"doc": {"recovered": len(recovered)}})
        for f in recovered:
            self.submit(f, recovered=True)
        log.info("watching %s (%s, %d workers)", self.folders.inbox, "polling" if self.polling else "inotify", self.workers)
        log.info("lägg indatafiler (YAML/JSON) i / drop input files into %s; dokument / documents: %s; "
                 "behandlade indata / processed inputs: %s; fel med rapporter / failures with reports: %s. "
                 "Exempel / example: docgen new %s > %s",
                 self.folders.inbox, self.config.outbox, self.folders.done, self.folders.failed,
                 next(iter(self.engine.plugins.types), "TYP"), self.folders.inbox / "ny.yaml")
        self.candidates.scan()
        last_scan = time.monotonic()
        observer_ok = True
        try:
            while not self._stop.is_set():
                if self._observer is None or not self._observer.is_alive():
                    if self._observer is not None and observer_ok:
                        log.warning("the file observer stopped; restarting it and rescanning")
                    try:
                        if self.folders.inbox.is_dir():
                            self._start_observer()
                            self.candidates.scan()
                            observer_ok = True
                        else:
                            observer_ok = False
                    except OSError as exc:
                        observer_ok = False
                        log.warning("cannot watch %s (%s); retrying", self.folders.inbox, exc)
                if time.monotonic() - last_scan >= self.rescan_every:
                    self.candidates.scan()
                    last_scan = time.monotonic()
                with self._lock:
                    room = self.workers * THREADS_PER_WORKER * 2 - len(self._pending)
                for path in self.candidates.ready(room):
                    if self._stop.is_set():
                        break
                    ok, attachments = self.claims.attachments_ready(path)
                    if not ok:
                        self.candidates.hint(path, complete=True)  # look again next round
                        continue
                    claimed = self.claims.claim(path, attachments)
                    if claimed is not None:
                        self.submit(claimed)
                self._wake.wait(0.05)
                self._wake.clear()
        finally:
            self._shutdown()
        return 0

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
        if self._own_engine:
            self.engine.close()
        log.info("stopped: %d processed, %d failed", self.processed, self.failed)

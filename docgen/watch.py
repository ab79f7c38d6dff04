"""The inbox watcher: officers drop files, documents appear, nothing is ever lost.

Filesystem events are hints, never a ledger: the whole inbox is scanned at start and every few
minutes, and an event only means "look now". A file is taken when it is complete: on
close-after-write or on being renamed into the inbox (inotify), otherwise when its size and
modification time have been stable for ``stabil_tid`` seconds (polling, network shares, files
moved in from elsewhere). It is claimed by an atomic rename into this process's work folder
(``inbox/arbete/<host>_<pid>/``), so two workers or two services never take the same file.

Success moves the input to ``inbox/behandlade/`` (date and diarienummer in the name); failure
moves it to ``inbox/fel/`` beside a report (``.fel.txt``) in Swedish and English. Nothing is
deleted. After a crash, files left in a dead process's work folder are taken over at start; the
diarium's reservation for the same input is taken over too, so each input ends with exactly one
number.
"""
from __future__ import annotations

import fnmatch
import json
import logging
import os
import shutil
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.inotify_move_event_grouper import InotifyMoveEventGrouper
from watchdog.observers.polling import PollingObserver

from .attachments import check_references
from .load import INPUT_SUFFIXES, load_input
from .files import atomic_write, dnr_slug
from .pipeline import STAGING, THREADS_PER_WORKER, Engine, Result
from . import owners
from .owners import owner_alive

log = logging.getLogger("docgen.watch")

IGNORED = [".*", "~$*", "*.tmp", "*.temp", "*.part", "*.partial", "*.crdownload", "*.swp", "*.swx", "*~",
           ".~lock.*#", "Thumbs.db", "desktop.ini", "@eaDir", "__MACOSX", "*.fel.txt"]


def ignored(name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, pat) for pat in IGNORED)


@dataclass
class Candidate:
    """A file the watcher has been told about and is waiting to become complete."""

    sig: tuple | None = None
    stable_since: float = 0.0
    complete_sig: tuple | None = None
    created_at: float | None = None  # inotify "created" seen
    created_sig: tuple | None = None
    opened: bool = False  # inotify "opened" seen: someone is writing it


#: A file that inotify reports created but nobody opens within this window was renamed into the
#: inbox whole (a writer's open arrives together with the create), so it is complete.
MOVED_IN_WINDOW = 0.05
MOVE_PAIRING_DELAY = 0.02


@dataclass
class Folders:
    inbox: Path
    work_root: Path
    done: Path
    failed: Path
    own_work: Path = field(init=False)

    def __post_init__(self):
        self.own_work = self.work_root / owners.as_name()

    def owned(self) -> set[Path]:
        return {self.work_root, self.done, self.failed}


def folders_of(config) -> Folders:
    w = config.section("bevakning")
    inbox = config.inbox
    return Folders(inbox, inbox / w["arbete"], inbox / w["behandlade"], inbox / w["fel"])


def _sig(path: Path) -> tuple | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: "Watcher"):
        self.watcher = watcher

    def on_any_event(self, event):
        # An exception here would kill the observer thread silently: catch everything.
        try:
            if event.is_directory or event.event_type == "deleted":
                return  # never act on deletes (a dropped share looks like everything was deleted)
            if event.event_type == "moved":
                self.watcher.hint(Path(os.fsdecode(event.dest_path)), complete=True)
            elif event.event_type == "closed":
                self.watcher.hint(Path(os.fsdecode(event.src_path)), complete=True)
            elif event.event_type == "opened":
                self.watcher.opened(Path(os.fsdecode(event.src_path)))
            elif event.event_type in ("created", "modified"):
                self.watcher.hint(Path(os.fsdecode(event.src_path)), complete=False,
                                  created=event.event_type == "created" and not self.watcher.polling)
        except Exception:
            log.exception("watcher event handler failed (continuing)")


class Watcher:
    """Watches the inbox and processes what arrives with a pool of workers."""

    def __init__(self, config, engine: Engine | None = None, workers: int | None = None, polling: bool | None = None):
        w = config.section("bevakning")
        self.config = config
        self.workers = workers or w["arbetare"] or os.cpu_count() or 1
        self.polling = w["polling"] if polling is None else polling
        self.stable_time = float(w["stabil_tid"])
        self.rescan_every = float(w["omsokning_minuter"]) * 60
        self.recursive = bool(w["undermappar"])
        self.attachment_grace = float(w["bilagor_vantetid"])
        self._waiting_since: dict[Path, float] = {}
        self.folders = folders_of(config)
        self.engine = engine or Engine(config, workers=self.workers)
        self._own_engine = engine is None
        self._candidates: dict[Path, Candidate] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._pending: dict[Future, tuple[Path, str]] = {}
        self._executor: ThreadPoolExecutor | None = None
        self._observer = None
        self.processed = 0
        self.failed = 0

    # -- events and scanning ---------------------------------------------------------------------
    def _wanted(self, path: Path) -> bool:
        try:
            rel = path.relative_to(self.folders.inbox)
        except ValueError:
            return False
        if len(rel.parts) != 1 and not self.recursive:
            return False
        if any(ignored(part) for part in rel.parts):
            return False
        if rel.parts[0] in {p.name for p in self.folders.owned()}:
            return False
        return path.suffix.lower() in INPUT_SUFFIXES

    def opened(self, path: Path) -> None:
        with self._lock:
            cand = self._candidates.get(path)
            if cand is not None:
                cand.opened = True

    def hint(self, path: Path, complete: bool, created: bool = False) -> None:
        """An event or a scan says: look at this file."""
        if not self._wanted(path):
            return
        sig = _sig(path)
        if sig is None:
            return
        with self._lock:
            cand = self._candidates.setdefault(path, Candidate())
            if created:
                cand.created_at, cand.created_sig, cand.opened = time.monotonic(), sig, False
            if complete:
                cand.complete_sig = sig
            elif cand.complete_sig is not None and cand.complete_sig != sig:
                cand.complete_sig = None  # written again after the close
        self._wake.set()

    def scan(self) -> None:
        """Look at every file in the inbox (events are only hints)."""
        try:
            paths = self.folders.inbox.rglob("*") if self.recursive else self.folders.inbox.iterdir()
            for path in paths:
                if path.is_file():
                    self.hint(path, complete=False)
        except OSError as exc:
            log.warning("inbox %s cannot be read (%s); will try again", self.folders.inbox, exc)

    def _ready(self, limit: int) -> list[Path]:
        """Up to ``limit`` complete files; the others stay candidates (so other services can share them)."""
        if limit <= 0:
            return []
        now = time.monotonic()
        wall = time.time()
        ready = []
        with self._lock:
            for path, cand in list(self._candidates.items()):
                sig = _sig(path)
                if sig is None:
                    del self._candidates[path]
                    continue
                if cand.complete_sig == sig:
                    ready.append(path)
                elif (cand.created_at is not None and not cand.opened and sig == cand.created_sig
                      and now - cand.created_at >= MOVED_IN_WINDOW):
                    ready.append(path)  # renamed in from elsewhere: complete
                elif sig != cand.sig:
                    cand.sig, cand.stable_since = sig, now
                    if wall - sig[1] / 1e9 >= self.stable_time:
                        ready.append(path)  # not modified for the whole window already
                elif now - cand.stable_since >= self.stable_time:
                    ready.append(path)
            ready = ready[:limit]
            for path in ready:
                del self._candidates[path]
        return ready

    # -- claiming and processing -----------------------------------------------------------------
    def attachments_of(self, path: Path) -> list[str]:
        """The attachment names an input refers to (best effort: a broken input refers to none)."""
        try:
            loaded = load_input(path, self.config.limits)
        except Exception:
            return []
        refs = loaded.data.get("bilagor") if isinstance(loaded.data, dict) else None
        if not isinstance(refs, list):
            return []
        names = [r.get("fil") for r in refs if isinstance(r, dict) and isinstance(r.get("fil"), str)]
        return [n for n in names if not check_references({"bilagor": [{"fil": n}]}, None, lambda _: None)]

    def attachments_ready(self, path: Path) -> tuple[bool, list[Path]]:
        """Whether the input's attachments are all there and stable (or the grace period is over)."""
        names = self.attachments_of(path)
        present, waiting = [], False
        for name in names:
            f = path.parent / name
            if f.is_file():
                present.append(f)
                if time.time() - f.stat().st_mtime < self.stable_time:
                    waiting = True
            else:
                waiting = True
        if not waiting:
            return True, present
        first = self._waiting_since.setdefault(path, time.monotonic())
        if time.monotonic() - first >= self.attachment_grace:
            return True, present  # give up waiting: processing reports what is missing
        return False, present

    def claim(self, path: Path, attachments: list[Path] = ()) -> Path | None:
        """Atomically rename a waiting input (and its attachments) into a claim folder; None if another took it."""
        claim_id = f"{datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
        folder = self.folders.own_work / claim_id
        folder.mkdir(parents=True)
        dest = folder / path.name
        try:
            os.rename(path, dest)
        except FileNotFoundError:
            folder.rmdir()
            return None
        for f in attachments:
            target = folder / f.relative_to(path.parent)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.rename(f, target)
            except FileNotFoundError:
                pass  # reported as missing when the input is processed
        self._waiting_since.pop(path, None)
        return dest

    def submit(self, claimed: Path, recovered: bool = False) -> None:
        fut = self._executor.submit(self.process, claimed, recovered)
        with self._lock:
            self._pending[fut] = (claimed, claimed.name)
        fut.add_done_callback(self._forget)

    def _forget(self, fut: Future) -> None:
        with self._lock:
            self._pending.pop(fut, None)

    def process(self, claimed: Path, recovered: bool = False) -> Result:
        """Process one claimed input; move its claim folder to behandlade/ or fel/ (with a report)."""
        t0 = time.perf_counter()
        claim_id = claimed.parent.name
        source = f"{claim_id}/{claimed.name}"  # unique per drop: how a takeover recognises its own registration
        result = self.engine.process(claimed, source=source)
        if not result.ok and result.error_kind == "duplicate" and result.registered_from == source:
            result.ok, result.error, result.error_kind = True, None, None  # registered before a crash: done
        total = round((time.perf_counter() - t0) * 1000, 1)
        try:
            if result.ok:
                self.processed += 1
                label = f"{dnr_slug(result.diarienummer)}-{result.lopnummer:02d}" if result.diarienummer else "UTKAST"
                self._move(claimed.parent, self.folders.done / f"{claim_id} {label}")
            else:
                self.failed += 1
                report = claimed.with_name(claimed.name + ".fel.txt")
                atomic_write(report, report_text(result, claimed.name).encode("utf-8"))
                self._move(claimed.parent, self.folders.failed / f"{claim_id} {claimed.stem}")
        except OSError:
            log.exception("could not move %s out of the work folder; it stays there and is retried at next start", claimed)
        self._log(result, claimed.name, total, recovered)
        return result

    @staticmethod
    def _move(src: Path, dest: Path) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.exists():
            dest = dest.with_name(f"{uuid.uuid4().hex[:6]}-{dest.name}")
        os.rename(src, dest)

    def _log(self, result: Result, original: str, total_ms: float, recovered: bool) -> None:
        entry = {
            "input": original, "type": result.dokumenttyp, "diarienummer": result.diarienummer,
            "lopnummer": result.lopnummer, "version": result.version,
            "result": "ok" if result.ok else (result.error_kind or "error"),
            "stages_ms": result.timings, "total_ms": total_ms,
        }
        if recovered:
            entry["recovered"] = True
        if not result.ok:
            entry["error"] = (result.error or "").splitlines()[0][:300]
        log.info("document", extra={"doc": entry})

    # -- recovery --------------------------------------------------------------------------------
    def recover(self) -> list[Path]:
        """Take over files claimed by processes that died (same host), and clean their staging folders."""
        taken: list[Path] = []
        root = self.folders.work_root
        if root.is_dir():
            for d in sorted(root.iterdir()):
                if not d.is_dir() or d == self.folders.own_work:
                    continue
                owner = owners.from_name(d.name)
                if not owner or not owners.on_this_host(owner) or owner_alive(owner):
                    continue
                self.folders.own_work.mkdir(parents=True, exist_ok=True)
                for claim in sorted(d.iterdir()):
                    dest = self.folders.own_work / claim.name
                    os.rename(claim, dest)
                    inputs = [f for f in dest.iterdir() if f.is_file() and f.suffix.lower() in INPUT_SUFFIXES]
                    taken.extend(inputs[:1])
                try:
                    d.rmdir()
                except OSError:
                    pass
        staging = self.config.outbox / STAGING
        if staging.is_dir():
            for d in staging.iterdir():
                owner = owners.from_name(d.name)
                if owner and owners.on_this_host(owner) and not owner_alive(owner):
                    shutil.rmtree(d, ignore_errors=True)
        return taken

    # -- the service loop --------------------------------------------------------------------------
    def _start_observer(self) -> None:
        if not self.polling:
            # Every claim renames a file out of the inbox: an unpaired IN_MOVED_FROM, which watchdog
            # holds for `delay` (0.5 s) to pair it, and its queue is FIFO, so every later event waited
            # behind it. A rename's two halves arrive in the same read, and the watcher never acts on
            # moved-from, so a short pairing window costs nothing and removes up to 0.5 s of latency.
            InotifyMoveEventGrouper.delay = MOVE_PAIRING_DELAY
        observer = PollingObserver(timeout=max(0.2, min(self.stable_time / 2, 1.0))) if self.polling else Observer()
        observer.schedule(_Handler(self), str(self.folders.inbox), recursive=self.recursive)
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
                 "Exempel / example: docgen new uppdragshandling > %s",
                 self.folders.inbox, self.config.outbox, self.folders.done, self.folders.failed,
                 self.folders.inbox / "uppdrag.yaml")
        self.scan()
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
                            self.scan()
                            observer_ok = True
                        else:
                            observer_ok = False
                    except OSError as exc:
                        observer_ok = False
                        log.warning("cannot watch %s (%s); retrying", self.folders.inbox, exc)
                if time.monotonic() - last_scan >= self.rescan_every:
                    self.scan()
                    last_scan = time.monotonic()
                with self._lock:
                    room = self.workers * THREADS_PER_WORKER * 2 - len(self._pending)
                for path in self._ready(room):
                    if self._stop.is_set():
                        break
                    ok, attachments = self.attachments_ready(path)
                    if not ok:
                        self.hint(path, complete=True)  # look again next round
                        continue
                    claimed = self.claim(path, attachments)
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
                folder = claimed.parent
                files = [f for f in folder.rglob("*") if f.is_file()]
                if not any((self.folders.inbox / f.relative_to(folder)).exists() for f in files):
                    for f in files:
                        back = self.folders.inbox / f.relative_to(folder)
                        back.parent.mkdir(parents=True, exist_ok=True)
                        os.rename(f, back)
                    shutil.rmtree(folder, ignore_errors=True)
        self._executor.shutdown(wait=True, cancel_futures=True)
        # Remove this process's work folder if nothing is left in it (a claim still there is retried at next start).
        leftovers = list(self.folders.own_work.iterdir()) if self.folders.own_work.is_dir() else []
        for folder in leftovers + [self.folders.own_work]:
            try:
                folder.rmdir()
            except OSError:
                pass
        if self._own_engine:
            self.engine.close()
        log.info("stopped: %d processed, %d failed", self.processed, self.failed)


def report_text(result: Result, original: str) -> str:
    """The .fel.txt an officer reads: Swedish first, English below."""
    if result.error_kind == "input" and result.error:
        body = result.error.replace(result.source, original)
    elif result.error_kind == "duplicate":
        body = (f"{original}: dubblett. Samma innehåll är redan registrerat som {result.diarienummer} handling "
                f"{result.lopnummer}. Inget nytt dokument skapades.\n\n"
                f"{original}: duplicate. The same content is already registered as {result.diarienummer} document "
                f"{result.lopnummer}. No new document was made.")
    else:
        body = (f"{original}: filen kunde inte behandlas: {result.error}\nLägg filen i inkorgen igen; kvarstår felet, "
                f"kontakta administratören.\n\n{original}: the file could not be processed: {result.error}\n"
                f"Drop the file in the inbox again; if the error remains, contact the administrator.")
    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    return (f"{body}\n\n-- \ndocgen {stamp}. Rätta filen och lägg den i inkorgen igen. / "
            f"Correct the file and drop it in the inbox again.\n")


class LogFormatter(logging.Formatter):
    """One line per document: text for people, or JSON (``--log-format json``)."""

    def __init__(self, as_json: bool = False):
        super().__init__()
        self.as_json = as_json

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="seconds")
        doc = getattr(record, "doc", None)
        if self.as_json:
            out = {"time": stamp, "level": record.levelname.lower()}
            out.update(doc if doc and record.msg == "document" else {"message": record.getMessage()})
            if record.exc_info:
                out["exception"] = self.formatException(record.exc_info)
            return json.dumps(out, ensure_ascii=False)
        if doc and record.msg == "document":
            stages = " ".join(f"{k}={v}ms" for k, v in doc["stages_ms"].items())
            number = f"{doc['diarienummer']}/{doc['lopnummer']} v{doc['version']}" if doc.get("diarienummer") else "-"
            line = (f"{stamp} {doc['result'].upper():<9} {doc['input']} {doc.get('type') or '-'} {number} "
                    f"{stages} total={doc['total_ms']}ms")
            if doc.get("error"):
                line += f" | {doc['error']}"
            return line
        line = f"{stamp} {record.levelname.lower()}: {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def status(config) -> dict:
    """What waits, what is in progress (and whether its process lives), what failed."""
    f = folders_of(config)
    waiting = sorted(p.name for p in f.inbox.iterdir()
                     if p.is_file() and not ignored(p.name) and p.suffix.lower() in INPUT_SUFFIXES) if f.inbox.is_dir() else []
    in_progress = []
    if f.work_root.is_dir():
        for d in sorted(f.work_root.iterdir()):
            if d.is_dir():
                owner = owners.from_name(d.name)
                alive = owner_alive(owner)
                for claim in sorted(d.iterdir()):
                    for p in sorted(claim.iterdir()) if claim.is_dir() else []:
                        if p.suffix.lower() in INPUT_SUFFIXES:
                            in_progress.append({"file": p.name, "owner": owner, "alive": alive})
    failed = []
    if f.failed.is_dir():
        for d in sorted(f.failed.iterdir()):
            reports = sorted(d.glob("*.fel.txt")) if d.is_dir() else []
            if reports:
                lines = reports[0].read_text(encoding="utf-8").splitlines()
                problems = [line.strip()[2:] for line in lines if line.startswith("  - ")]
                failed.append({"folder": d.name, "file": reports[0].name[: -len(".fel.txt")],
                               "report": str(reports[0]), "summary": problems[0] if problems else (lines[0] if lines else "")})
    done = sum(1 for p in f.done.iterdir() if p.is_dir()) if f.done.is_dir() else 0
    return {"waiting": waiting, "in_progress": in_progress, "failed": failed, "processed": done}

"""The file observer and the identity of folders: events are hints for ``Candidates``; the observer is
re-armed when the inbox folder it watches is deleted, replaced, moved or remounted (``InboxObserver``);
a claimed input is found again when the inbox was moved while it was processed (``ClaimHandles``).
"""
from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.inotify_move_event_grouper import InotifyMoveEventGrouper
from watchdog.observers.polling import PollingObserver

from .claims import Folders
from .reports import Complaints
from .scan import Candidates

log = logging.getLogger("docgen.watch")

MOVE_PAIRING_DELAY = 0.02
#: Seconds between looks at whether the inbox folder is still the one being watched.
INBOX_CHECK_EVERY = 0.5


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


def _inbox_identity(inbox: Path) -> tuple | None:
    try:
        st = inbox.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


class InboxObserver:
    """Keeps a watchdog observer on the folder at the inbox's path: started when there is one, re-armed
    (with a rescan) when the watched folder was deleted, replaced or stopped."""

    def __init__(self, folders: Folders, candidates: Candidates, polling: bool, recursive: bool,
                 stable_time: float, wake: threading.Event, complain: Complaints):
        self.folders, self.candidates, self.polling, self.recursive = folders, candidates, polling, recursive
        self.stable_time, self.wake, self.complain = stable_time, wake, complain
        self._observer = None
        self._inbox_id: tuple | None = None
        self._gone = threading.Event()
        self._ok = True
        self._checked = time.monotonic()

    def _on_gone(self) -> None:
        self._gone.set()
        self.wake.set()

    def _replaced(self) -> str | None:
        """Why the observer no longer watches the inbox folder that is there now, or None: the watched folder
        was deleted (its watch ended: a new folder may get the same inode number, so that is not enough),
        or another folder, or another file system, is at the inbox's path."""
        if self._observer is None or not self._observer.is_alive():
            return None
        if self._gone.is_set() or any(not e.is_alive() for e in self._observer.emitters):
            return "deleted"
        if _inbox_identity(self.folders.inbox) != self._inbox_id:
            return "replaced"
        return None

    def _start(self) -> None:
        if not self.polling:
            # Every claim renames a file out of the inbox: an unpaired IN_MOVED_FROM, which watchdog
            # holds for `delay` (0.5 s) to pair it, and its queue is FIFO, so every later event waited
            # behind it. A rename's two halves arrive in the same read, and the watcher never acts on
            # moved-from, so a short pairing window costs nothing and removes up to 0.5 s of latency.
            InotifyMoveEventGrouper.delay = MOVE_PAIRING_DELAY
        observer = PollingObserver(timeout=max(0.2, min(self.stable_time / 2, 1.0))) if self.polling else Observer()
        observer.schedule(_Handler(self.candidates, self.polling, self.folders.inbox, self._on_gone),
                          str(self.folders.inbox), recursive=self.recursive)
        observer.daemon = True
        observer.start()
        self._observer = observer
        self._inbox_id = _inbox_identity(self.folders.inbox)

    def keep_watching(self, now: float) -> None:
        """One turn of the service loop: re-arm on a replaced inbox, (re)start a missing observer."""
        if self._gone.is_set() or now - self._checked >= INBOX_CHECK_EVERY:
            self._checked = now
            why = self._replaced()
            if why:
                # deleted (and perhaps re-created), moved away or remounted: inotify watched the old folder
                log.warning("the inbox %s was %s (deleted and re-created, moved, or remounted); watching the "
                            "folder at its path as soon as there is one", self.folders.inbox, why)
                self._observer.stop()
                self._observer = None
                self._gone.clear()
                self._ok = True
        if self._observer is not None and self._observer.is_alive():
            return
        if self._observer is not None and self._ok:
            log.warning("the file observer stopped; restarting it and rescanning")
        try:
            if self.folders.inbox.is_dir():
                for d in (self.folders.done, self.folders.failed, self.folders.work_root):
                    d.mkdir(parents=True, exist_ok=True)
                self._start()
                self.candidates.scan()
                self._ok = True
            else:
                self._ok = False
        except OSError as exc:
            self._ok = False
            self.complain("observer", "cannot watch %s (%s); retrying", self.folders.inbox, exc)

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()


class ClaimHandles:
    """An open handle on each claimed input's claim folder, which finds the folder if the inbox is moved
    (or renamed) while the input is processed."""

    def __init__(self):
        self._lock = threading.Lock()
        self._handles: dict[Path, int] = {}
        self._moved_seen: set[Path] = set()

    def hold(self, claimed: Path) -> None:
        with self._lock:
            if claimed not in self._handles:
                try:
                    self._handles[claimed] = os.open(claimed.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
                except OSError:
                    pass

    def where(self, claimed: Path) -> Path:
        """Where a claimed input is now: its claim folder followed the inbox if that was moved away (or
        renamed); ``claimed`` itself when it is there, or gone."""
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

    def drop(self, claimed: Path) -> None:
        with self._lock:
            fd = self._handles.pop(claimed, None)
        if fd is not None:
            os.close(fd)

"""Which files in the inbox are wanted, and when each is complete enough to take.

Events and scans only hint that a file is there. A file is ready on close-after-write or on being
renamed into the inbox (inotify), otherwise once its size and modification time have been stable
for ``stabil_tid`` seconds (polling, network shares).
"""
from __future__ import annotations

import fnmatch
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..load import INPUT_SUFFIXES

log = logging.getLogger("docgen.watch")  # the watcher's logger: its name stays what log settings may name

IGNORED = [".*", "~$*", "*.tmp", "*.temp", "*.part", "*.partial", "*.crdownload", "*.swp", "*.swx", "*~",
           ".~lock.*#", "Thumbs.db", "desktop.ini", "@eaDir", "__MACOSX", "*.fel.txt"]

#: A file that inotify reports created but nobody opens within this window was renamed into the
#: inbox whole (a writer's open arrives together with the create), so it is complete.
MOVED_IN_WINDOW = 0.05


def ignored(name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, pat) for pat in IGNORED)


def signature(path: Path) -> tuple | None:
    """(size, mtime in ns), or None if the file is gone."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)


@dataclass
class Candidate:
    """A file the watcher has been told about and is waiting to become complete."""

    sig: tuple | None = None
    stable_since: float = 0.0
    complete_sig: tuple | None = None
    created_at: float | None = None  # inotify "created" seen
    created_sig: tuple | None = None
    opened: bool = False  # inotify "opened" seen: someone is writing it


class Candidates:
    """The wanted files seen and not yet taken, fed by events and scans."""

    def __init__(self, folders, recursive: bool, stable_time: float, wake: threading.Event):
        self.folders = folders
        self.recursive = recursive
        self.stable_time = stable_time
        self._wake = wake
        self._items: dict[Path, Candidate] = {}
        self._lock = threading.Lock()

    def wanted(self, path: Path) -> bool:
        """An input file in the inbox (or a sub-folder, when watched), not ignored, not in a folder the watcher owns."""
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
            cand = self._items.get(path)
            if cand is not None:
                cand.opened = True

    def hint(self, path: Path, complete: bool, created: bool = False) -> None:
        """An event or a scan says: look at this file."""
        if not self.wanted(path):
            return
        sig = signature(path)
        if sig is None:
            return
        with self._lock:
            cand = self._items.setdefault(path, Candidate())
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

    def ready(self, limit: int) -> list[Path]:
        """Up to ``limit`` complete files; the others stay candidates (so other services can share them)."""
        if limit <= 0:
            return []
        now = time.monotonic()
        wall = time.time()
        ready = []
        with self._lock:
            for path, cand in list(self._items.items()):
                sig = signature(path)
                if sig is None:
                    del self._items[path]
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
                del self._items[path]
        return ready

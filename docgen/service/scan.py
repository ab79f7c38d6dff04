"""Which files in the inbox are wanted, and when each is complete enough to take.

Events and scans only hint that a file is there. A file is ready on close-after-write or on being
renamed into the inbox (inotify), otherwise once its size and modification time have been stable
for ``stabil_tid`` seconds (polling, network shares). Whatever the route, a file that any process on
this machine holds open for writing is never ready (``open_for_writing``, from /proc). Only regular
files are wanted: links, FIFOs, sockets and devices in the inbox are left alone, and so is anything
under a folder reached through a link.
"""
from __future__ import annotations

import fnmatch
import logging
import os
import stat
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
    """(size, mtime in ns), or None if the file is gone or is not a regular file (never followed if a link)."""
    try:
        st = path.lstat()
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return (st.st_size, st.st_mtime_ns)


def open_for_writing(paths: list[Path]) -> set[Path]:
    """Those of ``paths`` that some process on this machine holds open for writing (from /proc: every
    process's open files and their flags). Processes of other users are seen when docgen runs as root
    or as the writers' user; writers on other machines (network shares) are not seen at all."""
    keys = {}
    for p in paths:
        try:
            st = p.lstat()
        except OSError:
            continue
        keys[(st.st_dev, st.st_ino)] = p
    found: set[Path] = set()
    if not keys:
        return found
    try:
        pids = [d for d in os.listdir("/proc") if d.isdigit()]
    except OSError:
        return found
    for pid in pids:
        fd_dir = f"/proc/{pid}/fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue  # gone, or not ours to see
        for fd in fds:
            try:
                st = os.stat(f"{fd_dir}/{fd}")
            except OSError:
                continue
            path = keys.get((st.st_dev, st.st_ino))
            if path is None or path in found:
                continue
            try:
                with open(f"/proc/{pid}/fdinfo/{fd}") as info:
                    flags = next((int(line.split()[1], 8) for line in info if line.startswith("flags:")), 0)
            except (OSError, ValueError):
                continue
            if flags & os.O_ACCMODE in (os.O_WRONLY, os.O_RDWR):
                found.add(path)
    return found


def under_link(root: Path, path: Path) -> bool:
    """Whether a folder between ``root`` and ``path`` is a symbolic link (or cannot be looked at)."""
    try:
        rel = path.relative_to(root)
    except ValueError:
        return True
    cur = root
    for part in rel.parts[:-1]:
        cur = cur / part
        try:
            if stat.S_ISLNK(cur.lstat().st_mode):
                return True
        except OSError:
            return True
    return False


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
        self._warned: set[Path] = set()
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
        if path.suffix.lower() not in INPUT_SUFFIXES:
            return False
        return len(rel.parts) == 1 or not under_link(self.folders.inbox, path)

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
            self._not_regular(path)
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

    def _not_regular(self, path: Path) -> None:
        """Say once that a wanted name is a link, FIFO, socket or device, which the watcher never opens."""
        try:
            mode = path.lstat().st_mode
        except OSError:
            return  # gone
        with self._lock:
            if path in self._warned:
                return
            self._warned.add(path)
        what = "a symbolic link" if stat.S_ISLNK(mode) else "a FIFO" if stat.S_ISFIFO(mode) else "not a regular file"
        log.warning("%s is %s: left alone (only regular files are taken; copy the content into a file)", path, what)

    def scan(self) -> None:
        """Look at every file in the inbox (events are only hints); folders reached through links are not entered."""
        try:
            owned = {p.name for p in self.folders.owned()}
            for top, dirs, files in os.walk(self.folders.inbox):  # os.walk never follows links to folders
                if not self.recursive:
                    dirs[:] = []
                elif Path(top) == self.folders.inbox:
                    dirs[:] = [d for d in dirs if d not in owned]
                for name in files:
                    self.hint(Path(top) / name, complete=False)
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
        # Never take a file someone is still writing, whatever the events said.
        busy = open_for_writing(ready[:limit]) if ready else set()
        with self._lock:
            ready = [p for p in ready if p not in busy][:limit]
            for path in ready:
                self._items.pop(path, None)
            for path in busy:
                cand = self._items.get(path)
                if cand is not None:
                    cand.complete_sig, cand.created_at, cand.stable_since = None, None, time.monotonic()
        return ready

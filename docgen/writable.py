"""Whether docgen can write now: the folders it writes to are writable, with space and inodes left.

"Cannot write now" (a read-only file system, a full disk, a quota, no inodes left, and LibreOffice's or
SQLite's I/O errors caused by them) is never the input's fault: such a failure is the ``resource``
kind, the input waits and is tried again when the condition clears. ``trouble`` looks at the folders
(before a number is taken), ``explain`` says whether a failure was one and what to tell people.
"""
from __future__ import annotations

import errno
import os
from pathlib import Path

from .files import LOW_SPACE, disk_trouble, mount_point

#: Fewer free inodes than this on a file system with an inode limit counts as full (a document makes a
#: handful of files: staging folder, DOCX, PDF, record, temporary names, SQLite's journal).
LOW_INODES = 64
#: Errors that mean "cannot write there now" whatever the message.
WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}


def _existing(path: Path) -> Path:
    p = Path(os.path.abspath(path))
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def trouble(paths: list[Path]) -> str | None:
    """What keeps docgen from writing into one of ``paths`` now, naming the folder (Swedish / English), or None."""
    for path in paths:
        here = _existing(path)
        try:
            st = os.statvfs(here)
        except OSError:
            continue
        mp = mount_point(here)
        if st.f_flag & os.ST_RDONLY or not os.access(here, os.W_OK | os.X_OK):
            what = "skrivskyddad" if st.f_flag & os.ST_RDONLY else "inte skrivbar för docgen"
            what_en = "read-only" if st.f_flag & os.ST_RDONLY else "not writable for docgen"
            return (f"mappen {path} ({mp}) är {what}. Gör den skrivbar; docgen försöker igen av sig självt. / "
                    f"the folder {path} (on {mp}) is {what_en}. Make it writable; docgen tries again by itself.")
        free = st.f_bavail * st.f_frsize
        if free < LOW_SPACE:
            return (f"disken {mp} (för {path}) är full: {free // 1024} kB ledigt. Frigör utrymme; docgen försöker "
                    f"igen av sig självt. / the disk {mp} (holding {path}) is full: {free // 1024} kB free. Free some "
                    "space; docgen tries again by itself.")
        if st.f_files > 0 and st.f_favail < LOW_INODES:
            return (f"disken {mp} (för {path}) har slut på inoder (filplatser): {st.f_favail} kvar. Ta bort filer; "
                    f"docgen försöker igen av sig självt. / the disk {mp} (holding {path}) is out of inodes (room for "
                    f"files): {st.f_favail} left. Remove some files; docgen tries again by itself.")
    return None


#: LibreOffice's words for a file it could not write (it never says why).
_OFFICE_IO = ("ioexception", "0x507", "0x20d", "0x51a")


def _nearly_full(paths: list[Path]) -> str | None:
    """``trouble`` with margins 64 times as wide: after a write failed, the space it would have used is free again."""
    for path in paths:
        try:
            st = os.statvfs(_existing(path))
        except OSError:
            continue
        if st.f_bavail * st.f_frsize < 64 * LOW_SPACE or (st.f_files > 0 and st.f_favail < 64 * LOW_INODES):
            mp = mount_point(_existing(path))
            return (f"disken {mp} (för {path}) är nästan full ({st.f_bavail * st.f_frsize // 1024} kB, {st.f_favail} "
                    f"inoder ledigt) och LibreOffice kunde inte skriva; docgen försöker igen av sig självt. / the disk "
                    f"{mp} (holding {path}) is nearly full ({st.f_bavail * st.f_frsize // 1024} kB, {st.f_favail} "
                    "inodes free) and LibreOffice could not write; docgen tries again by itself.")
    return None


def explain(exc: BaseException, paths: list[Path]) -> str | None:
    """If ``exc`` is a "cannot write now" failure, what to tell people (which folder, what is wrong), else None.

    The folders are looked at first (a LibreOffice I/O error says nothing of the cause); an error that is a
    write error by itself but whose folder now looks fine (the condition cleared) is still one."""
    found = trouble(paths)
    if found:
        return found
    full = disk_trouble(exc, paths)
    if full:
        return full
    if any(w in str(exc).lower() for w in _OFFICE_IO):
        nearly = _nearly_full(paths)
        if nearly:
            return nearly
    e, seen = exc, 0
    while e is not None and seen < 10:
        if getattr(e, "errno", None) in WRITE_ERRNOS:
            where = getattr(e, "filename", None) or "?"
            return (f"kunde inte skriva {where}: {os.strerror(e.errno)}; docgen försöker igen av sig självt. / "
                    f"could not write {where}: {os.strerror(e.errno)}; docgen tries again by itself.")
        e, seen = e.__cause__ or e.__context__, seen + 1
    return None

"""Files: safe names from free text, atomic writes and moves, checksums. No reader ever sees a
half-written file: each file is written to a hidden temporary name in its final folder (the name
says which process writes it), flushed, then renamed.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import tempfile
import unicodedata
from pathlib import Path

from . import owners

_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


MAX_NAME_BYTES = 120  # a name part; the whole file name (number, version, suffix) stays far below 255 bytes


def safe_name(text: str, max_len: int = 60) -> str:
    """A file or folder name from free text: no separators, no ``..``, no control, bidi or invisible characters,
    at most ``max_len`` characters and MAX_NAME_BYTES bytes of UTF-8."""
    name = unicodedata.normalize("NFC", str(text))
    # Unicode categories C* (controls, bidi and zero-width format characters, private use, unassigned) never
    # reach a file name: they hide or reorder what a person sees.
    name = "".join(" " if unicodedata.category(ch) in ("Zl", "Zp") else ch for ch in name
                   if not unicodedata.category(ch).startswith("C") or ch in "\t\n")
    name = _UNSAFE.sub("-", name)
    name = re.sub(r"\s+", " ", name).strip()
    name = re.sub(r"\.{2,}", ".", name).strip(" .-")
    while len(name) > max_len or len(name.encode("utf-8")) > MAX_NAME_BYTES:
        limit = min(max_len, len(name) - 1)
        cut = name[:limit]
        name = (cut.rsplit(" ", 1)[0] if " " in cut[limit // 2:] else cut).rstrip(" .-")
    if not name or name.upper().split(".")[0] in _RESERVED:
        name = "_" + name
    return name


def stale_temp_files(folder: Path) -> list[Path]:
    """Temporary files in ``folder`` left by writers that no longer run (a killed process's half-written files)."""
    out = []
    for tmp in folder.glob(".tmp-*") if folder.is_dir() else []:
        owner = owners.from_name(tmp.name[len(".tmp-"):])
        if owner and owners.on_this_host(owner) and not owners.owner_alive(owner):
            out.append(tmp)
    return out


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _umask() -> int:
    """The process's umask, read without changing it (os.umask would race with other threads)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


#: Every file docgen writes gets the mode a plain open() would give it (0644 with the usual umask),
#: whether it was written in place, renamed from a temporary file or made by LibreOffice.
FILE_MODE = 0o666 & ~_umask()


def atomic_write(path: Path, data: bytes) -> None:
    """Write a file whole or not at all: a temporary file beside it, fsynced, then renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".tmp-{owners.as_name()}~", dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_move(src: Path, dest: Path) -> None:
    """Move a finished file into place (same file system: a rename; otherwise copy then rename)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(src, dest)
    except OSError:
        atomic_write(dest, Path(src).read_bytes())
        os.unlink(src)


def write_json(path: Path, record: dict) -> None:
    atomic_write(path, (json.dumps(record, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))


#: Below this much free space a file system counts as full (LibreOffice reports a full disk only as
#: "0x20d", SQLite as "disk I/O error").
LOW_SPACE = 2 * 1024 * 1024
_FULL_WORDS = ("database or disk is full", "disk i/o error", "no space left", "disk quota exceeded")


def mount_point(path: Path) -> Path:
    p = Path(os.path.abspath(path))
    while not p.exists():
        p = p.parent
    while not os.path.ismount(p):
        p = p.parent
    return p


def free_bytes(path: Path) -> int | None:
    try:
        st = os.statvfs(mount_point(path))
    except OSError:
        return None
    return st.f_bavail * st.f_frsize


def disk_trouble(exc: BaseException, paths: list[Path]) -> str | None:
    """If ``exc`` comes from a full disk, what to tell people: which disk, for which path, how much is free."""
    chain, e = [], exc
    while e is not None and len(chain) < 10:
        chain.append(e)
        e = e.__cause__ or e.__context__
    errnos = {getattr(e, "errno", None) for e in chain}
    words = " ".join(str(e).lower() for e in chain)
    full_error = bool(errnos & {errno.ENOSPC, errno.EDQUOT}) or any(w in words for w in _FULL_WORDS)
    for path in paths:
        free = free_bytes(path)
        if free is not None and (free < LOW_SPACE or (full_error and free < 64 * LOW_SPACE)):
            mp = mount_point(path)
            return (f"disken {mp} (för {path}) är full: {free // 1024} kB ledigt. Frigör utrymme; docgen försöker "
                    f"igen av sig självt. / the disk {mp} (holding {path}) is full: {free // 1024} kB free. Free some "
                    "space; docgen tries again by itself.")
    if full_error:
        return (f"disken är full ({type(exc).__name__}: {exc}). Frigör utrymme; docgen försöker igen av sig självt. / "
                "the disk is full. Free some space; docgen tries again by itself.")
    return None

"""Stage 8, outbox: safe names and atomic writes. No reader ever sees a half-written file.

Each file is written to a hidden temporary name in its final folder, flushed, then renamed.
The document's JSON record is written last, so its presence means the set is complete.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
import unicodedata
from pathlib import Path

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


def dnr_slug(diarienummer: str) -> str:
    return safe_name(diarienummer.replace(" ", "-"), 40)


def document_basename(diarienummer: str, lopnummer: int, rubrik: str) -> str:
    """``RS-2026-00001-01 Samordningsgrupp för arkivfrågor``."""
    return f"{dnr_slug(diarienummer)}-{lopnummer:02d} {safe_name(rubrik)}"


#: Set by the process (its owner id) so a temporary file left by a killed writer names who left it.
TEMP_OWNER = ""


def temp_prefix() -> str:
    return f".tmp-{TEMP_OWNER.replace(':', '_')}-" if TEMP_OWNER else ".tmp-"


def stale_temp_files(folder: Path, alive) -> list[Path]:
    """Temporary files in ``folder`` left by writers that no longer run (``alive(owner)`` says which run)."""
    out = []
    for tmp in folder.glob(".tmp-*") if folder.is_dir() else []:
        parts = tmp.name[len(".tmp-"):].rsplit("-", 1)[0].rsplit("_", 2)
        owner = ":".join(parts) if len(parts) == 3 else ""
        if owner and not alive(owner):
            out.append(tmp)
    return out


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(), dir=path.parent)
    try:
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

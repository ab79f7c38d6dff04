"""Attachments uploaded in the web form. Each file is checked as it arrives, with the inbox's and the API's checks
(a PDF or DOCX by name, at most ``uploads.MAX_FILES`` files of at most ``uploads.MAX_FILE_SIZE`` bytes, a content
``attachments.content_problem`` accepts), and kept on the server under a name of its own
(``.docgen/webbilagor/<officer>/<random>-<name>``) that the input's ``bilagor[].fil`` names: the form carries
only that name, so the officer never uploads a file twice — not after an error, not after a draft is saved and
resumed. The checks, the preview and the submission get the files by those names (``files``); once the input is
in the inbox they are removed (``forget``)."""
from __future__ import annotations

import hashlib
import re
import secrets
from pathlib import Path, PurePosixPath

from starlette.datastructures import UploadFile

from ..attachments import SUFFIXES, content_problem
from ..files import atomic_write, safe_name
from .forms import FieldError
from .uploads import MAX_FILE_SIZE, MAX_FILES

FIELD = "_bilagor_filer"  # the file input
KEPT = re.compile(r"_bilaga\.(\d+)\.(fil|titel)")  # the kept attachments: stored name and title
STORED = re.compile(r"[0-9a-f]{16}-[^/\\\x00]+")
PATH = ("bilagor",)


def folder(workspace: Path, user: str) -> Path:
    """Where one officer's uploaded attachments are kept."""
    return workspace / ".docgen" / "webbilagor" / hashlib.sha256(user.encode("utf-8")).hexdigest()[:24]


def _own(where: Path, name) -> bool:
    """Whether ``name`` is a file this officer uploaded (a name posted back is never trusted further)."""
    if not isinstance(name, str) or STORED.fullmatch(name) is None or len(name.encode("utf-8")) > 255:
        return False
    try:
        return (where / name).is_file()
    except (OSError, ValueError):
        return False


def shown_name(stored: str) -> str:
    """The file's name as the officer uploaded it (less the random part)."""
    return stored.split("-", 1)[-1]


async def take(where: Path, form, data: dict) -> list[FieldError]:
    """The posted form's attachments into ``data["bilagor"]``: those kept from earlier posts (with their titles, one
    removed if its button was pressed) and the files uploaded now, each checked; what is wrong, per file."""
    rows: dict[int, dict] = {}
    for key, value in form.multi_items():
        m = KEPT.fullmatch(key)
        if m and isinstance(value, str):
            rows.setdefault(int(m.group(1)), {})[m.group(2)] = value.strip()
    drop = str(form.get("atgard", ""))
    drop = int(drop[15:]) if drop.startswith("ta_bort_bilaga:") and drop[15:].isdigit() else None
    kept = [{"fil": r["fil"], "titel": r.get("titel") or PurePosixPath(shown_name(r["fil"])).stem}
            for i, r in sorted(rows.items()) if i != drop and _own(where, r.get("fil"))]
    errors = []
    for upload in form.getlist(FIELD):
        if not isinstance(upload, UploadFile) or not upload.filename:
            continue
        name = PurePosixPath(upload.filename.replace("\\", "/")).name
        suffix = PurePosixPath(name).suffix.lower()
        if suffix not in SUFFIXES:
            errors.append(FieldError(PATH, f"Filen {name} är varken PDF eller Word (DOCX). Spara den som PDF eller DOCX."))
            continue
        if upload.size is not None and upload.size > MAX_FILE_SIZE:
            errors.append(FieldError(PATH, f"Filen {name} är större än {MAX_FILE_SIZE // (1024 * 1024)} MB. Dela upp den "
                                           "eller minska den."))
            continue
        if len(kept) >= MAX_FILES:
            errors.append(FieldError(PATH, f"Filen {name} kom inte med: ett dokument får ha högst {MAX_FILES} bilagor."))
            continue
        stored = f"{secrets.token_hex(8)}-{safe_name(PurePosixPath(name).stem, 80) or 'bilaga'}{suffix}"
        atomic_write(where / stored, await upload.read())
        found = content_problem(where / stored)
        if found:
            (where / stored).unlink(missing_ok=True)
            said = re.sub(r" \([A-Za-z]+\)\.$", ".", found[0])  # not the parser's exception name
            errors.append(FieldError(PATH, f"Filen {name} {said} {found[2][:1].upper() + found[2][1:]}"))
            continue
        kept.append({"fil": stored, "titel": PurePosixPath(name).stem})
    if kept:
        data["bilagor"] = kept
    else:
        data.pop("bilagor", None)
    return errors


def keep(where: Path, name: str, data: bytes) -> str:
    """An attachment that is already checked (one sent back with its document) kept as if uploaded: its stored name."""
    path = PurePosixPath(name.replace("\\", "/"))
    stored = f"{secrets.token_hex(8)}-{safe_name(path.stem, 80) or 'bilaga'}{path.suffix.lower()}"
    atomic_write(where / stored, data)
    return stored


def files(where: Path, data: dict) -> dict[str, bytes]:
    """The kept files the input's attachments name (a name that is not one's own is left to the checks to report)."""
    out = {}
    for item in data.get("bilagor") or []:
        name = item.get("fil") if isinstance(item, dict) else None
        if _own(where, name):
            out[name] = (where / name).read_bytes()
    return out


def listing(where: Path, data: dict) -> list[dict]:
    """The attachments as the form and the check page show them: stored name, title, file name, size."""
    return [{"fil": item["fil"], "titel": item.get("titel") or "", "namn": shown_name(item["fil"]),
             "storlek": (where / item["fil"]).stat().st_size}
            for item in data.get("bilagor") or [] if isinstance(item, dict) and _own(where, item.get("fil"))]


def forget(where: Path, data: dict) -> None:
    """Remove the kept files of a submitted input (they are in the inbox now)."""
    for name in files(where, data):
        (where / name).unlink(missing_ok=True)

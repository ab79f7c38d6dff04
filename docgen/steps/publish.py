"""Step: publish. Lay out the built files in the attempt's own staging folder exactly as they will stand in
the outbox (``<staging>/utkorg/<document folder>/…``) and note their checksums; nothing in the outbox
changes yet. Distribute writes its messages into the same tree, register the JSON record; only after the
diarium's transaction has registered the version — which succeeds only while this attempt still holds
the reservation (the fence, ``store.documents.register_version``) — does ``place`` rename the files into
the outbox, the JSON record last. An attempt that lost its job to another node therefore never changes a
visible file, and a registered document's files are never replaced except by a new version.

A process stopped between the commit and the renames leaves a registered version in its staging folder;
``complete`` (called by the next start, a worker's periodic recovery, and the next attempt at the same
input) puts it in place: the folder's ``publicera.json`` names the document, version and PDF checksum,
and the files are placed only if the diarium holds exactly that version.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import json
import os
from pathlib import Path

from ..files import atomic_move, sha256_file, stale_temp_files, write_json
from ..model import Job, OutputFile

if TYPE_CHECKING:
    from .base import EngineView

TREE = "utkorg"  # inside a staging folder: the files as they will stand in the outbox
MANIFEST = "publicera.json"


def staged(job: Job, outbox: Path, final: Path) -> Path:
    """Where the attempt builds a file whose place in the outbox is ``final``."""
    return job.staging / TREE / final.relative_to(outbox)


def run(job: Job, engine: EngineView) -> Job:
    outbox = engine.config.outbox
    for tmp in stale_temp_files(job.folder):  # a killed writer's half-written file
        tmp.unlink(missing_ok=True)
    built = [("docx", job.built["docx"]), ("pdf", job.built["pdf"])] + [("bilaga", k) for k in job.kept]
    finals = [job.folder / p.relative_to(job.staging) for _, p in built]
    moved = []
    for (kind, p), final in zip(built, finals):
        dest = staged(job, outbox, final)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(p, dest)
        moved.append((kind, dest))
    job.built = {"docx": moved[0][1], "pdf": moved[1][1]}
    job.kept = [p for _, p in moved[2:]]
    job.files = [OutputFile(kind, str(final.relative_to(outbox)), sha256_file(p), p.stat().st_size)
                 for (kind, p), final in zip(moved, finals)]
    if job.reservation is not None:
        pdf = next(f for f in job.files if f.typ == "pdf")
        write_json(job.staging / MANIFEST, {"handling_id": job.reservation.handling_id, "version": job.version_no,
                                            "pdf": pdf.path, "pdf_sha256": pdf.sha256})
    o = job.outcome
    o.folder = str(job.folder)
    o.files = {"docx": str(job.folder / finals[0].name), "pdf": str(job.folder / finals[1].name),
               "json": str(job.folder / f"{job.stem}.json")}
    return job


def place(staging: Path, outbox: Path, replace: bool = True) -> list[Path]:
    """Rename the files of a staging folder's tree into the outbox, JSON records last. An unchanged file
    (same checksum) stays as it is; with ``replace`` False (completing another process's version) an
    existing file is never replaced. A file another process placed first is no error. Returns the files
    placed."""
    tree = staging / TREE
    if not tree.is_dir():
        return []
    files = sorted((p for p in tree.rglob("*") if p.is_file() and not p.name.startswith(".tmp-")),
                   key=lambda p: (p.suffix == ".json", str(p)))
    done = []
    for src in files:
        dest = outbox / src.relative_to(tree)
        if dest.exists() and (not replace or sha256_file(dest) == _sha_or_none(src)):
            continue
        try:
            atomic_move(src, dest)
        except FileNotFoundError:
            if dest.exists():
                continue  # placed by another process (completing this version) meanwhile
            raise
        done.append(dest)
    return done


def _sha_or_none(path: Path) -> str | None:
    try:
        return sha256_file(path)
    except FileNotFoundError:
        return None


def manifest(staging: Path) -> dict | None:
    """What a staging folder was building (``publicera.json``), or None (a draft, or not that far)."""
    try:
        return json.loads((staging / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None

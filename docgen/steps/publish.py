"""Step: publish. Move the built files from staging into the document's outbox folder (atomic renames;
an attachment unchanged since an earlier version stays as it is). The JSON record that completes the
folder is written by register, after the messages."""
from __future__ import annotations

import time

from ..files import atomic_move, sha256_file, stale_temp_files
from ..model import Job, OutputFile


def run(job: Job, engine) -> Job:
    t = time.perf_counter()
    outbox = engine.config.outbox
    for tmp in stale_temp_files(job.folder):  # a killed writer's half-written file
        tmp.unlink(missing_ok=True)
    built = [("docx", job.built["docx"]), ("pdf", job.built["pdf"])] + [("bilaga", k) for k in job.kept]
    job.files = [OutputFile(kind, str((job.folder / p.relative_to(job.staging)).relative_to(outbox)), sha256_file(p),
                            p.stat().st_size) for kind, p in built]
    for (_, p), f in zip(built, job.files):
        target = outbox / f.path
        if not (target.exists() and sha256_file(target) == f.sha256):
            atomic_move(p, target)
    o = job.outcome
    o.folder = str(job.folder)
    o.files = {"docx": str(job.folder / job.built["docx"].name), "pdf": str(job.folder / job.built["pdf"].name),
               "json": str(job.folder / f"{job.stem}.json")}
    o.timings["publish"] = round((time.perf_counter() - t) * 1000, 1)
    return job

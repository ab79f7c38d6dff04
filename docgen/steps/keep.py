"""Step: keep. The input's attachments are copied into the staging folder (``bilagor/``), to stand beside the
document in the outbox, so a later version can be made from them."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from ..model import Job

if TYPE_CHECKING:
    from .base import EngineView


def run(job: Job, engine: EngineView) -> Job:
    doc = job.doc
    for item in doc.data.get("bilagor") or []:
        copy = job.staging / "bilagor" / item["fil"]
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(doc.loaded.base_dir) / item["fil"], copy)
        job.kept.append(copy)
    return job

"""Claims: an input (with its attachments) is taken by an atomic rename into a claim folder under this
process's work folder, ``inbox/arbete/<owners.as_name()>/<claim id>/``, so two workers or two services
never take the same file. A finished claim folder moves to ``behandlade/`` or ``fel/``; nothing is
deleted. Unstarted claims go back to the inbox at shutdown; a dead process's claims (and its staging
folders in the outbox) are taken over at start.
"""
from __future__ import annotations

import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .. import owners
from ..attachments import check_references
from ..files import atomic_write, dnr_slug
from ..load import INPUT_SUFFIXES, load_input
from ..pipeline import STAGING

if TYPE_CHECKING:
    from ..config import Config
    from ..model import Outcome


@dataclass
class Folders:
    inbox: Path
    work_root: Path
    done: Path
    failed: Path
    own_work: Path = field(init=False)

    def __post_init__(self):
        self.own_work = self.work_root / owners.as_name()

    def owned(self) -> set[Path]:
        return {self.work_root, self.done, self.failed}


def folders_of(config: Config) -> Folders:
    w = config.section("bevakning")
    inbox = config.inbox
    return Folders(inbox, inbox / w["arbete"], inbox / w["behandlade"], inbox / w["fel"])


def source_of(claimed: Path) -> str:
    """``<claim id>/<name>``: unique per drop, how a takeover recognises its own registration."""
    return f"{claimed.parent.name}/{claimed.name}"


def move(src: Path, dest: Path) -> None:
    """Rename ``src`` to ``dest``, under a prefixed name if ``dest`` exists."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        dest = dest.with_name(f"{uuid.uuid4().hex[:6]}-{dest.name}")
    os.rename(src, dest)


class Claims:
    """Taking inputs with their attachments, finishing them, giving them back, taking over a dead process's."""

    def __init__(self, config: Config, folders: Folders, stable_time: float, attachment_grace: float):
        self.config = config
        self.folders = folders
        self.stable_time = stable_time
        self.attachment_grace = attachment_grace
        self._waiting_since: dict[Path, float] = {}

    def attachments_of(self, path: Path) -> list[str]:
        """The attachment names an input refers to (best effort: a broken input refers to none)."""
        try:
            loaded = load_input(path, self.config.limits)
        except Exception:
            return []
        refs = loaded.data.get("bilagor") if isinstance(loaded.data, dict) else None
        if not isinstance(refs, list):
            return []
        names = [r.get("fil") for r in refs if isinstance(r, dict) and isinstance(r.get("fil"), str)]
        return [n for n in names if not check_references({"bilagor": [{"fil": n}]}, None, lambda _: None)]

    def attachments_ready(self, path: Path) -> tuple[bool, list[Path]]:
        """Whether the input's attachments are all there and stable (or the grace period is over)."""
        names = self.attachments_of(path)
        present, waiting = [], False
        for name in names:
            f = path.parent / name
            if f.is_file():
                present.append(f)
                if time.time() - f.stat().st_mtime < self.stable_time:
                    waiting = True
            else:
                waiting = True
        if not waiting:
            return True, present
        first = self._waiting_since.setdefault(path, time.monotonic())
        if time.monotonic() - first >= self.attachment_grace:
            return True, present  # give up waiting: processing reports what is missing
        return False, present

    def claim(self, path: Path, attachments: list[Path] = ()) -> Path | None:
        """Atomically rename a waiting input (and its attachments) into a claim folder; None if another took it."""
        claim_id = f"{datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
        folder = self.folders.own_work / claim_id
        folder.mkdir(parents=True)
        dest = folder / path.name
        try:
            os.rename(path, dest)
        except FileNotFoundError:
            folder.rmdir()
            return None
        for f in attachments:
            target = folder / f.relative_to(path.parent)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.rename(f, target)
            except FileNotFoundError:
                pass  # reported as missing when the input is processed
        self._waiting_since.pop(path, None)
        return dest

    def finish(self, claimed: Path, result: Outcome, report: str | None = None) -> None:
        """Move a processed claim folder to behandlade/ (named with its number) or to fel/ with its report."""
        claim_id = claimed.parent.name
        if result.ok:
            label = f"{dnr_slug(result.diarienummer)}-{result.lopnummer:02d}" if result.diarienummer else "UTKAST"
            move(claimed.parent, self.folders.done / f"{claim_id} {label}")
        else:
            atomic_write(claimed.with_name(claimed.name + ".fel.txt"), report.encode("utf-8"))
            move(claimed.parent, self.folders.failed / f"{claim_id} {claimed.stem}")

    def give_back(self, claimed: Path) -> None:
        """Return an unstarted claim (and its attachments) to the inbox, unless that would overwrite a file."""
        folder = claimed.parent
        files = [f for f in folder.rglob("*") if f.is_file()]
        if not any((self.folders.inbox / f.relative_to(folder)).exists() for f in files):
            for f in files:
                back = self.folders.inbox / f.relative_to(folder)
                back.parent.mkdir(parents=True, exist_ok=True)
                os.rename(f, back)
            shutil.rmtree(folder, ignore_errors=True)

    def release(self) -> None:
        """Remove this process's work folder if nothing is left in it (a claim still there is retried at next start)."""
        own = self.folders.own_work
        leftovers = list(own.iterdir()) if own.is_dir() else []
        for folder in leftovers + [own]:
            try:
                folder.rmdir()
            except OSError:
                pass

    def recover(self) -> list[Path]:
        """Take over files claimed by processes that died (same host), and clean their staging folders."""
        taken: list[Path] = []
        root = self.folders.work_root
        if root.is_dir():
            for d in sorted(root.iterdir()):
                if not d.is_dir() or d == self.folders.own_work or not _dead_here(d.name):
                    continue
                self.folders.own_work.mkdir(parents=True, exist_ok=True)
                for claim in sorted(d.iterdir()):
                    dest = self.folders.own_work / claim.name
                    os.rename(claim, dest)
                    inputs = [f for f in dest.iterdir() if f.is_file() and f.suffix.lower() in INPUT_SUFFIXES]
                    taken.extend(inputs[:1])
                try:
                    d.rmdir()
                except OSError:
                    pass
        staging = self.config.outbox / STAGING
        if staging.is_dir():
            for d in staging.iterdir():
                if _dead_here(d.name):
                    shutil.rmtree(d, ignore_errors=True)
        return taken


def _dead_here(name: str) -> bool:
    """Whether a folder name (``owners.as_name``) names a process on this host that no longer runs."""
    owner = owners.from_name(name)
    return bool(owner) and owners.on_this_host(owner) and not owners.owner_alive(owner)

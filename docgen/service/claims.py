"""Claims: an input (with its attachments) is taken by an atomic rename into a claim folder under this
process's work folder, ``inbox/arbete/<owners.as_name()>/<claim id>/``, so two workers or two services
never take the same file. A finished claim folder moves to ``behandlade/`` or ``fel/``; nothing is
deleted. Unstarted claims go back to the inbox at shutdown; a dead process's claims (and its staging
folders in the outbox) are taken over at start.
"""
from __future__ import annotations

import errno
import logging
import os
import shutil
import stat
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from .. import owners
from ..attachments import check_references
from ..errors import Problem, problem
from ..dnr import slug as dnr_slug
from ..load import INPUT_SUFFIXES, join_path, load_input
from ..pipeline import STAGING
from .outcome import write_report

if TYPE_CHECKING:
    from ..config import Config
    from ..model import Outcome

log = logging.getLogger("docgen.watch")


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
    w = config.settings.bevakning
    inbox = config.inbox
    return Folders(inbox, inbox / w.arbete, inbox / w.behandlade, inbox / w.fel)


def readable_name(name: str) -> str:
    """A file name that is valid UTF-8: bytes that are not (a name from another system's encoding)
    become U+FFFD, so that records, reports and the diarium can hold it; the content is unchanged."""
    fixed = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if fixed != name:
        log.warning("the file name %r is not UTF-8; it is processed as %r", os.fsencode(name), fixed)
    return fixed


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

    def attachments_of(self, path: Path) -> tuple[list[str], list[Problem]]:
        """The attachment names an input refers to that the watcher may move with it, and the problems of
        those it must never move: reached through a link, not a regular file, or in a folder the watcher
        owns (best effort: a broken input refers to none; processing reports what is wrong with it)."""
        try:
            loaded = load_input(path, self.config.limits)
        except Exception:
            return [], []
        refs = loaded.data.get("bilagor") if isinstance(loaded.data, dict) else None
        if not isinstance(refs, list):
            return [], []
        names, problems = [], []
        for i, ref in enumerate(refs):
            name = ref.get("fil") if isinstance(ref, dict) else None
            if not isinstance(name, str) or check_references({"bilagor": [{"fil": name}]}, None, lambda _: None):
                continue  # processing reports it
            why = self._unsafe(path.parent, name)
            if why is None:
                names.append(name)
            else:
                field = join_path(join_path("bilagor", i), "fil")
                problems.append(problem(field, f"bilagan {name!r} {why[0]}", f"the attachment {name!r} {why[1]}",
                                        "lägg en kopia av bilagan bredvid indatafilen i inkorgen.",
                                        "put a copy of the attachment beside the input in the inbox.",
                                        loaded.line_of(field)))
        return names, problems

    def _unsafe(self, base: Path, name: str) -> tuple[str, str] | None:
        """Why the watcher must not move the file ``name`` (relative to the input's folder ``base``), or None."""
        cur = base
        for part in PurePosixPath(name.replace("\\", "/")).parts:
            cur = cur / part
            try:
                st = cur.lstat()
            except FileNotFoundError:
                return None  # not there (yet): the grace period and processing deal with it
            except OSError:
                return ("kan inte läsas.", "cannot be read.")
            if stat.S_ISLNK(st.st_mode):
                return ("nås via en symbolisk länk; tjänsten flyttar aldrig filer utanför inkorgen.",
                        "is reached through a symbolic link; the service never moves files from outside the inbox.")
        if not stat.S_ISREG(st.st_mode):
            return ("är ingen vanlig fil.", "is not a regular file.")
        rel = cur.relative_to(self.folders.inbox) if cur.is_relative_to(self.folders.inbox) else None
        if rel is None or rel.parts[0] in {p.name for p in self.folders.owned()}:
            return ("ligger i en mapp som tjänsten själv förvaltar (arbete/behandlade/fel).",
                    "lies in a folder the service itself keeps (work/processed/failed).")
        return None

    def attachments_ready(self, path: Path) -> tuple[bool, list[Path], list[Problem]]:
        """Whether the input's attachments are all there and stable (or the grace period is over), the
        files to move with it, and the references it must refuse without moving anything."""
        names, refused = self.attachments_of(path)
        if refused:
            return True, [], refused
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
            return True, present, []
        first = self._waiting_since.setdefault(path, time.monotonic())
        if time.monotonic() - first >= self.attachment_grace:
            return True, present, []  # give up waiting: processing reports what is missing
        return False, present, []

    def claim(self, path: Path, attachments: list[Path] = ()) -> Path | None:
        """Atomically rename a waiting input (and its attachments) into a claim folder; None if another took it.

        Attachments are renamed through folder handles opened without following links, so a folder
        swapped for a link after the check still moves nothing from outside the inbox."""
        claim_id = f"{datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
        folder = self.folders.own_work / claim_id
        folder.mkdir(parents=True)
        dest = folder / readable_name(path.name)
        try:
            os.rename(path, dest)
        except FileNotFoundError:
            folder.rmdir()
            return None
        for f in attachments:
            rel = f.relative_to(path.parent)
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                _rename_nofollow(path.parent, rel, target)
            except (FileNotFoundError, NotADirectoryError):
                pass  # reported as missing when the input is processed
            except OSError as exc:
                if exc.errno != errno.ELOOP:
                    raise
                log.warning("attachment %s became a link; left where it is", f)
        self._waiting_since.pop(path, None)
        return dest

    def finish(self, claimed: Path, result: Outcome, report: str | None = None) -> None:
        """Move a processed claim folder to behandlade/ (named with its number) or to fel/ with its report."""
        claim_id = claimed.parent.name
        if result.ok:
            label = f"{dnr_slug(result.diarienummer)}-{result.lopnummer:02d}" if result.diarienummer else (
                f"BESLUT-{result.waiting}" if result.waiting is not None else "UTKAST")  # waits for its decision
            move(claimed.parent, self.folders.done / f"{claim_id} {label}")
        else:
            write_report(claimed, result, report)
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

    def recover(self, alive=None) -> list[Path]:
        """Take over files claimed by processes that died, and clean their staging folders. ``alive(owner)``
        judges owners on other hosts (their heartbeats); without it only this host's are judged."""
        taken: list[Path] = []
        root = self.folders.work_root
        if root.is_dir():
            for d in sorted(root.iterdir()):
                if not d.is_dir() or d == self.folders.own_work or not _dead(d.name, alive):
                    continue
                self.folders.own_work.mkdir(parents=True, exist_ok=True)
                for claim in sorted(d.iterdir()):
                    dest = self.folders.own_work / claim.name
                    try:
                        os.rename(claim, dest)
                    except FileNotFoundError:
                        continue  # another watcher took it over first
                    inputs = [f for f in dest.iterdir() if f.is_file() and f.suffix.lower() in INPUT_SUFFIXES]
                    taken.extend(inputs[:1])
                try:
                    d.rmdir()
                except OSError:
                    pass
        staging = self.config.outbox / STAGING
        if staging.is_dir():
            for d in staging.iterdir():  # a registered version not yet placed: liveness.clean_staging places it
                if _dead(d.name, alive) and not (d / "publicera.json").exists():
                    shutil.rmtree(d, ignore_errors=True)
        return taken


def _rename_nofollow(base: Path, rel: Path, target: Path) -> None:
    """Rename ``base/rel`` to ``target``, opening each folder of ``rel`` with O_NOFOLLOW (ELOOP on a link)."""
    fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for part in rel.parts[:-1]:
            nxt = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = nxt
        if stat.S_ISLNK(os.lstat(rel.parts[-1], dir_fd=fd).st_mode):
            raise OSError(errno.ELOOP, "a symbolic link", str(base / rel))
        os.rename(rel.parts[-1], target, src_dir_fd=fd)
    finally:
        os.close(fd)


def _dead(name: str, alive=None) -> bool:
    """Whether a folder name (``owners.as_name``) names a process that no longer runs (on another host:
    only when ``alive`` is given, judged by it)."""
    owner = owners.from_name(name)
    if not owner:
        return False
    if owners.on_this_host(owner):
        return not owners.owner_alive(owner)
    return alive is not None and not alive(owner)

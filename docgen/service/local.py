"""The local runner: with SQLite the watcher processes each claimed input itself, with its own engine
and LibreOffice pool."""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import readable
from ..model import ErrorKind, Outcome
from ..pipeline import Engine
from ..store import Store
from .claims import source_of
from .finish import Finisher, Retries
from .observer import ClaimHandles
from .reports import removed_report, report_text

if TYPE_CHECKING:
    from ..config import Config

log = logging.getLogger("docgen.watch")


class LocalRunner:
    """Processes claimed inputs in this process (``process`` runs in the watcher's worker threads)."""

    def __init__(self, config: Config, engine: Engine | None, store: Store, workers: int,
                 finisher: Finisher, retries: Retries, handles: ClaimHandles):
        self.engine = engine or Engine(config, workers=workers, role="watch", store=store)
        self.store = self.engine.store
        self._own_engine = engine is None
        self.finisher, self.retries, self.handles = finisher, retries, handles

    def start(self) -> None:
        self.engine.pool.start()

    def example_type(self) -> str:
        return next(iter(self.engine.plugins.types), "TYP")

    def turn(self) -> None:
        """Nothing to look after between inputs."""

    def room(self, free: int) -> int:
        return free

    def process(self, claimed: Path, recovered: bool = False) -> Outcome:
        """Process one claimed input; move its claim folder to behandlade/ or fel/ (with a report), or keep
        it in the work folder to try again later when a resource (disk, diarium) was missing."""
        try:
            return self._process(claimed, recovered)
        except Exception as exc:  # a bug must not leave the input in the work folder with no word
            log.error("internal error with %s; it is moved to the failed folder", claimed, exc_info=exc)
            result = Outcome(source=source_of(claimed), error_kind=ErrorKind.INTERNAL,
                             error=f"internt fel / internal error: {type(exc).__name__}: {readable(str(exc))[:300]}")
            self.finisher.done(claimed, result, recovered=recovered)
            return result

    def _process(self, claimed: Path, recovered: bool) -> Outcome:
        t0 = time.perf_counter()
        source = source_of(claimed)
        # retry: a copy registered from this same input (before a crash) is this input's document (Engine.run)
        result = self.engine.process(self.handles.where(claimed), source=source, retry=True)
        total = round((time.perf_counter() - t0) * 1000, 1)
        where = self.handles.where(claimed)
        if result.error_kind == ErrorKind.RESOURCE and (where.exists() or not where.parent.is_dir()):
            self.retries.later(claimed, result.error)
            self.finisher.logged(result, claimed, total, recovered)
            return result
        self.retries.forget(claimed)
        if result.error_kind == ErrorKind.INPUT and not where.exists() and where.parent.is_dir():
            # someone removed the file from the work folder meanwhile: say so, not "does not exist"
            report = removed_report(claimed.name, where.parent)
            result.error = report.split("\n", 1)[0]
        else:
            report = None if result.ok else report_text(result, claimed.name)
        self.finisher.done(claimed, result, report, total, recovered)
        return result

    def close(self) -> None:
        if self._own_engine:
            self.engine.close()

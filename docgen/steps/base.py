"""What a step is: a named piece of work on a ``Job`` for the kinds of job it applies to (``Step``), and
what a step may use of the engine that runs it (``EngineView``)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Protocol

from ..model import Job, Kind, Reservation

if TYPE_CHECKING:
    from ..config import Config
    from ..office import OfficePool
    from ..plugins import Plugins
    from ..seal import Seal
    from ..store import Store
    from .render import Renderer


class EngineView(Protocol):
    """The part of ``pipeline.Engine`` a step may use."""

    config: Config
    plugins: Plugins
    store: Store
    pool: OfficePool
    renderer: Renderer
    seal: Seal | None

    @property
    def lists(self) -> dict: ...

    def disks(self) -> list[Path]: ...

    def holds_any(self) -> bool: ...

    def take_held(self, sha256: str) -> Reservation | None: ...

    def next_version(self, handling_id: int) -> int: ...


EVERY_KIND = frozenset(Kind)


@dataclass(frozen=True)
class Step:
    """One step of a path: ``work(job, engine)`` returns the job with its part filled in; it runs only for the
    kinds of job in ``on`` (a new input, a draft, a regeneration), so the list shows what applies when."""

    name: str
    work: Callable[[Job, EngineView], Job]
    on: frozenset[Kind] = EVERY_KIND

    def applies(self, job: Job) -> bool:
        return job.kind in self.on

    def run(self, job: Job, engine: EngineView) -> Job:
        return self.work(job, engine) if self.applies(job) else job

    def __str__(self) -> str:
        return self.name if self.on == EVERY_KIND else f"{self.name} ({', '.join(k for k in Kind if k in self.on)})"

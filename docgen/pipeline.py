"""Every path an input can take, as lists of steps (``docgen.steps``), and the engine that runs them.

Each step does one job and says which kinds of job it applies to (``steps.base.Step``: a new input, a draft, a
regeneration); ``describe(NEW_INPUT)`` writes a list out. A new input:

    load → held (new) → check → bounds → recall (new, regeneration) → render → waits (new) → room → number (new)
    → stamp → layout → convert → keep → seal (new, regeneration) → publish → distribute (new) → register
    → decided (new) → send (new)

load reads the file; held takes up a number this process kept for the same input when it last waited for
room; check runs every check that can refuse the input (``docgen.checks``: schema, docgen.toml's identifiers,
attachments, free text, recipients, the type's rules, the distribution lists, the diarium); bounds refuses a
document LibreOffice could not convert in time; recall finds the decision made in docgen that the document
is rendered with (``steps.waits``); render makes the whole DOCX with a placeholder for its number, so a
template that cannot render the input costs no number; waits ends the job of a decided document that names
its beslutsfattare and has no decision yet (stored in the diarium, "väntar på beslut", nothing numbered;
once decided it comes again and recall finds its decision); room makes sure the
disks have space; number takes the diarienummer; stamp fills it in; layout chooses the staging folder, the outbox folder, the
file stem and the version; convert makes the PDF/A with its attachments appended; keep copies the
attachments beside it; seal signs the PDF; publish lays the files out as they will stand in the outbox;
distribute writes a message per recipient; register records the version in the diarium and only then
places the files; decided links a decision to the version it became; send sends the messages. A draft stops short of a number, a seal and messages;
``CHECK`` (`docgen validate`, the web's and the queue's checks) stops after render; a ``REGENERATION`` (a
new version of a registered document, same number) is neither numbered nor distributed again, and one decided
in docgen keeps its decision (recall, by its number); a
``PREVIEW`` (the web's draft) ends with the PDF in memory.

For crash safety, files are built in a staging folder laid out as they will stand in the outbox, the
document is registered (only while this attempt still holds its reservation), and only then are the
files renamed into the outbox (``steps.publish``). A crash before registration leaves a reservation whose
process is gone; the next attempt at the same input takes it over and builds the files again, so every
input ends with exactly one diarienummer, and an attempt that was taken over changes no visible file. A
failure after the number was taken voids it (the watcher keeps it for a failure for want of room), with
the reason; anything that can refuse an input is checked before the number.
"""
from __future__ import annotations

import glob
import logging
import shutil
import tempfile
import threading
import time
from pathlib import Path

from . import liveness
from . import seal as sealing
from . import writable
from .config import Config
from .dnr import slug as dnr_slug
from .errors import ConversionError, DocgenError, InputError, ResourceUnavailable, readable, shorten
from .model import ErrorKind, Job, Kind, Outcome, Reservation
from .office import OfficePool
from .plugins import Plugins
from .recipients import ListsFile
from .steps import (bounds, check, convert, distribute, keep, layout, load, number, publish, register, render, room,
                    seal, send, stamp, waits)
from .steps.base import Step
from .steps.number import DuplicateInput
from .steps.render import Renderer
from .store import Store, documents, transient

log = logging.getLogger("docgen")

#: The kinds of job a step applies to, when not every kind (``steps.base.Step``).
NEW = frozenset({Kind.NEW})
REGISTERED = frozenset({Kind.NEW, Kind.REGENERATION})  # a document with a number: not a draft

LOAD = Step("load", load.run)
HELD = Step("held", room.take_held, NEW)
CHECK_STEP = Step("check", check.run)
BOUNDS = Step("bounds", bounds.run)
RENDER = Step("render", render.run)
WAITS = Step("waits", waits.run, NEW)
ROOM = Step("room", room.run)
NUMBER = Step("number", number.run, NEW)
STAMP = Step("stamp", stamp.run)
LAYOUT = Step("layout", layout.run)
CONVERT = Step("convert", convert.run)
KEEP = Step("keep", keep.run)
SEAL = Step("seal", seal.run, REGISTERED)
PUBLISH = Step("publish", publish.run)
DISTRIBUTE = Step("distribute", distribute.run, NEW)
REGISTER = Step("register", register.run)
DECIDED = Step("decided", waits.recorded, NEW)
RECALL = Step("recall", waits.recall, REGISTERED)
SEND = Step("send", send.run, NEW)


def _keep_pdf(job: Job, engine) -> Job:
    """The built PDF, read into the job before the staging folder is removed."""
    job.pdf = job.built["pdf"].read_bytes()
    return job


KEEP_PDF = Step("keep_pdf", _keep_pdf)

#: A new input (the inbox, `docgen render`, the queue's job).
NEW_INPUT = [LOAD, HELD, CHECK_STEP, BOUNDS, RECALL, RENDER, WAITS, ROOM, NUMBER, STAMP, LAYOUT, CONVERT, KEEP, SEAL, PUBLISH,
             DISTRIBUTE, REGISTER, DECIDED, SEND]
#: `docgen validate`, the web's and the queue's checks: every step before a number is taken, the DOCX rendered too.
CHECK = [LOAD, CHECK_STEP, BOUNDS, RENDER]
#: A new version of a registered document (`docgen regenerate`): the job comes loaded, with its reservation.
REGENERATION = [CHECK_STEP, BOUNDS, RECALL, RENDER, STAMP, LAYOUT, CONVERT, KEEP, SEAL, PUBLISH, REGISTER]
#: The web's preview of a draft: the PDF in ``job.pdf``; nothing numbered, written to the outbox or registered.
PREVIEW = [LOAD, CHECK_STEP, BOUNDS, RENDER, STAMP, LAYOUT, CONVERT, KEEP_PDF]
#: A worker is one warm LibreOffice fed by this many threads, so that Python's part of one document
#: (load, render, register) overlaps LibreOffice converting another.
THREADS_PER_WORKER = 2
STAGING = layout.STAGING


def describe(steps: list[Step]) -> str:
    """A list of steps as one line: ``load → held (new) → check → …``."""
    return " → ".join(str(step) for step in steps)


class Engine:
    """Everything one process needs to produce documents; safe to share between worker threads."""

    def __init__(self, config: Config, plugins: Plugins | None = None, pool: OfficePool | None = None,
                 store: Store | None = None, workers: int = 1, role: str = "render", hold_on_resource: bool | None = None):
        self.config = config
        self.plugins = plugins or Plugins(config)
        self.store = store or Store(config.registry_url)
        self._own_pool = pool is None
        self.pool = pool or OfficePool.from_config(config, size=workers)
        self.renderer = Renderer(config, self.plugins)
        self.renderer.check_templates()  # a broken template is a configuration error, before any number
        self._lists = ListsFile(config)  # a broken distribution.yaml is a startup error
        self.seal = sealing.from_config(config)  # an expired or untrusted seal certificate is a startup error
        if self.seal is not None:
            log.info("%s", self.seal.describe())
        self._pending_voids: list[tuple[Reservation, str]] = []
        #: A long-running process (the watcher) keeps the number of an input that failed for want of room,
        #: and gives it back to the next attempt (``take_held``); a one-shot command voids it.
        self.hold_on_resource = role == "watch" if hold_on_resource is None else hold_on_resource
        self._held: dict[str, Reservation] = {}
        self._pending_lock = threading.Lock()
        # This process's heartbeat (its reservations are its own while it beats); then void what dead
        # processes reserved and nobody will finish.
        self.heartbeat = liveness.Heartbeat(self.store, role, str(config.inbox) if role == "watch" else None).start()
        liveness.void_dead_reservations(config, self.store, starter=role)
        liveness.clean_staging(config, self.store)

    @property
    def lists(self) -> dict:
        """The named distribution lists, re-read when their file changes."""
        return self._lists.lists

    def holds_any(self) -> bool:
        return bool(self._held)

    def take_held(self, sha256: str) -> Reservation | None:
        """The reservation kept for an input (by content) whose earlier attempt failed for want of room, or None."""
        with self._pending_lock:
            return self._held.pop(sha256, None)

    def next_version(self, handling_id: int) -> int:
        with self.store.read() as conn:
            return documents.next_version(conn, handling_id)

    def close(self) -> None:
        """Close what this engine opened (a pool passed in belongs to the caller)."""
        if self._own_pool:
            self.pool.close()
        self.heartbeat.stop()
        self.store.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def disks(self) -> list[Path]:
        """Where this engine writes: the outbox, the diarium's folder (SQLite), the temporary folder."""
        paths = [self.config.outbox, Path(tempfile.gettempdir())]
        if self.config.registry_url.startswith("sqlite:///"):
            paths.insert(1, Path(self.config.registry_url[len("sqlite:///"):]).parent)
        return paths

    def run(self, job: Job, steps: list[Step]) -> Outcome:
        """Run the steps that apply to the job, timing each; never raises for a bad input (the outcome says
        what went wrong).

        A duplicate whose registered copy came from this same source is the earlier attempt's work: its
        record and files are put in place if it stopped before, and for a retry (``job.retry``: the watcher's
        inbox file, the queue's job) it is this input's document, a success."""
        numbered_here = job.reservation is None
        try:
            self._void_pending()
            for step in steps:
                if step.applies(job):
                    t = time.perf_counter()
                    job = step.work(job, self)
                    job.outcome.timings[step.name] = round((time.perf_counter() - t) * 1000, 1)
                    if job.outcome.waiting is not None:  # stored for its decision: nothing more now
                        break
            job.outcome.ok = True
        except Exception as exc:  # never lose an input to a bug: report it like any failure
            failed(job.outcome, exc, self.disks())
            if isinstance(exc, DuplicateInput) and exc.registered_from == job.source:
                self._complete_earlier_attempt(exc)
                if job.retry:
                    registered_before(job.outcome)
        finally:
            # registered, but its files not all placed (the outbox refused a rename after the commit): the staging
            # folder is what the diarium holds, placed by the next attempt or start (liveness.clean_staging)
            placing = not job.outcome.ok and job.version_id is not None
            if placing:
                log.warning("%s is registered as %s but its files are not all in the outbox yet (%s); they stay in %s "
                            "and are placed by the next attempt", job.source, job.outcome.diarienummer,
                            (job.outcome.error or "")[:300], job.staging)
            elif job.staging is not None:
                shutil.rmtree(job.staging, ignore_errors=True)
        # a number this attempt took and did not register (a registered document is neither held nor voided:
        # the next attempt finds it registered)
        unused = not job.outcome.ok and job.reservation is not None and numbered_here and not placing
        if unused and self.hold_on_resource and job.outcome.error_kind == ErrorKind.RESOURCE:
            with self._pending_lock:  # kept, not voided: the input waits and its next attempt takes it up
                self._held[job.doc.sha256] = job.reservation
            log.info("%s keeps %s-%02d while it waits: %s", job.source, job.reservation.diarienummer,
                     job.reservation.lopnummer, (job.outcome.error or "")[:300])
        elif unused:
            reason = (job.outcome.error or "okänt fel")[:2000]
            job.outcome.voided = f"{job.reservation.diarienummer} handling {job.reservation.lopnummer}"
            try:
                number.void(self.store, job.reservation, reason)
            except Exception as exc:  # the diarium cannot be written (a full disk): void it as soon as it can
                log.warning("could not void %s-%02d yet (%s); it is voided before the next document",
                            job.reservation.diarienummer, job.reservation.lopnummer, exc)
                with self._pending_lock:
                    self._pending_voids.append((job.reservation, reason))
        return job.outcome

    def _void_pending(self) -> None:
        """Void the reservations a failure could not void when it happened; raises while it still cannot
        (the next input would otherwise meet its own reservation and be taken for a duplicate)."""
        with self._pending_lock:
            while self._pending_voids:
                res, reason = self._pending_voids[0]
                number.void(self.store, res, reason)
                self._pending_voids.pop(0)

    def _complete_earlier_attempt(self, dup: DuplicateInput) -> None:
        """The same input's earlier attempt registered its document and died before its record was in
        place: put the record in place (and its files, if it stopped before placing them)."""
        liveness.clean_staging(self.config, self.store)
        for folder in self.config.outbox.glob(f"{glob.escape(dnr_slug(dup.diarienummer))}-{dup.lopnummer:02d} *"):
            for final in register.complete_pending(folder):
                log.info("completed %s, registered by an earlier attempt that stopped", final)

    def process(self, path: str | Path, source: str | None = None, retry: bool = False) -> Outcome:
        """Produce one input file: number, DOCX, PDF, outbox, diarium, messages (``retry``: see ``run``)."""
        return self.run(Job(readable(source or str(path)), Path(path), retry=retry), NEW_INPUT)

    def check(self, path: str | Path, source: str | None = None) -> Outcome:
        """Every check ``process`` makes before it takes a number, and nothing else (`docgen validate`)."""
        job = Job(readable(source or str(path)), Path(path))
        outcome = self.run(job, CHECK)
        if outcome.ok:
            outcome.diarienummer = job.doc.data.get("diarienummer")
        return outcome


def registered_before(outcome: Outcome) -> None:
    """The duplicate an earlier attempt at the same input registered is this input's document: a success."""
    outcome.ok, outcome.error, outcome.error_kind = True, None, None
    outcome.warnings.append("registrerad av ett tidigare försök / registered by an earlier attempt")


def failed(outcome: Outcome, exc: Exception, disks: list[Path] = ()) -> None:
    """Record why an input failed, in words for the person who dropped it."""
    trouble = None if isinstance(exc, (InputError, DuplicateInput)) else (
        str(exc) if isinstance(exc, ResourceUnavailable) else writable.explain(exc, list(disks)))
    if trouble:
        outcome.error, outcome.error_kind = f"{outcome.source}: {trouble}", ErrorKind.RESOURCE
    elif transient(exc):
        outcome.error = (f"{outcome.source}: diariet svarar inte ({type(exc).__name__}); försöks igen. / the diarium "
                         f"does not answer ({shorten(str(exc).splitlines()[0] if str(exc) else '', 200)}); tried again.")
        outcome.error_kind = ErrorKind.RESOURCE
    elif isinstance(exc, InputError):
        outcome.error, outcome.error_kind = exc.report(), ErrorKind.INPUT
        outcome.problems = [p.to_dict() for p in exc.problems]
    elif isinstance(exc, DuplicateInput):
        outcome.error, outcome.error_kind = str(exc), ErrorKind.DUPLICATE
        outcome.problems = [exc.problem().to_dict()]  # each text in one language (the API's problem, --json)
        outcome.diarienummer, outcome.lopnummer = exc.diarienummer, exc.lopnummer
        outcome.registered_from = exc.registered_from
    elif isinstance(exc, ConversionError):
        outcome.error, outcome.error_kind = str(exc), ErrorKind.CONVERSION
    elif isinstance(exc, DocgenError):
        outcome.error, outcome.error_kind = str(exc), ErrorKind.ERROR
    else:
        log.error("internal error processing %s", outcome.source, exc_info=exc)
        outcome.error = (f"{outcome.source}: internt fel / internal error: {type(exc).__name__}: {shorten(str(exc), 300)}. "
                         "Indatafilen är oförändrad; ge den här rapporten till administratören. / The input file is "
                         "unchanged; give this report to the administrator.")
        outcome.error_kind = ErrorKind.INTERNAL

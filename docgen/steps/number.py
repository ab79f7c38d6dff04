"""Step: number. Give a document its diarienummer and running number, or take the case it names.

A reservation is made in one write transaction: the series counter is incremented, the case (new
numbers only) and the document are inserted as ``reserverad``. It becomes ``registrerad`` when the
document is registered, or ``makulerad`` with a reason when it fails, so every number handed out is
accounted for. A reservation whose process died is taken over by the next attempt at the same input
instead of allocating a second number. A number of an external series (``[numrering]
externa_serier``) is never allocated: a case docgen has not seen is opened as it is named.

Under concurrency (several threads, processes or machines on one diarium) the reservation is one
transaction run through ``Store.transact``: the database refuses a second live document for the same input
(a unique index), and the loser of that race, run again, finds the winner's document and reports a
duplicate; a lost connection or a database restart before the commit runs it again from nothing.
Whether the process holding a reservation is dead is ``liveness.alive`` (the pid on this host, the
heartbeat in the diarium for another host); the job queue also names the owner of a job's previous
attempt (``presumed_dead``), which procrastinate has already found dead, so the retried job takes its
reservation over at once. The reservation's owner is the fence: only the attempt that holds it registers
the document (``store.documents.register_version``) or voids it (``void``), so a stalled attempt that
was taken over and comes back changes nothing. In the job queue the reservation's and the registering
transactions are also fenced by the job (``steps.fence``), and ``docgen submit`` reserves a new case's
number itself, owned by the job (``at_submission``); the worker then takes no number.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date

from sqlalchemy.exc import IntegrityError

from ..errors import DocgenError, InputError, problem
from .. import liveness
from ..dnr import external_case, format_dnr, parse
from ..model import CaseStatus, DocStatus, Job, Reservation
from ..owners import owner_id
from ..store import Store, numbers
from ..store.documents import TakenOver
from . import fence

if TYPE_CHECKING:
    from .base import EngineView
    from ..config import Config


class DuplicateInput(DocgenError):
    """The same input (by content) is already registered, or is being processed right now."""

    def __init__(self, source: str, diarienummer: str, lopnummer: int, status: str, registered_from: str | None = None):
        self.source, self.diarienummer, self.lopnummer, self.status = source, diarienummer, lopnummer, status
        #: the source (input name) of the version already registered for this input
        self.registered_from = registered_from
        if status == DocStatus.RESERVED:
            self.sv = f"samma indata behandlas redan som {diarienummer} handling {lopnummer}."
            self.en = f"the same input is already being processed as {diarienummer} document {lopnummer}."
            self.fix_sv = self.fix_en = ""
        else:
            self.sv = f"dubblett — samma indata är redan registrerad som {diarienummer} handling {lopnummer}."
            self.en = f"duplicate: the same input is already registered as {diarienummer} document {lopnummer}."
            self.fix_sv, self.fix_en = ("använd `docgen regenerate` för en ny version.",
                                        "use `docgen regenerate` for a new version.")
        cap = lambda text: text[:1].upper() + text[1:]  # noqa: E731 - a sentence after a full stop
        msg = f"{source}: {self.sv} {cap(self.fix_sv)}".rstrip() + "\n" + f"{source}: {self.en} {cap(self.fix_en)}".rstrip()
        super().__init__(msg)

    def problem(self):
        """The duplicate as a Problem: each text in one language."""
        return problem("", self.sv, self.en, self.fix_sv, self.fix_en)


#: When set (an input from the web), decides whether the person submitting may see a case: ``(conn, case id)``
#: -> bool. A case they may not see is answered exactly as one that does not exist.
_may_see_case: ContextVar = ContextVar("docgen_may_see_case", default=None)


@contextmanager
def submitted_by(may_see_case):
    """Within the block, ``precheck`` refuses a case ``may_see_case(conn, case_id)`` says is not the submitter's."""
    token = _may_see_case.set(may_see_case)
    try:
        yield
    finally:
        _may_see_case.reset(token)


#: Owners known to be dead in this context (the job queue's previous attempt at this input).
_presumed_dead: ContextVar[frozenset] = ContextVar("docgen_presumed_dead", default=frozenset())


@contextmanager
def presumed_dead(*owners: str | None):
    """Within the block, reservations held by these owners count as abandoned and are taken over
    (the queue calls this with the worker of a job's previous attempt, which it found stalled)."""
    token = _presumed_dead.set(_presumed_dead.get() | {o for o in owners if o})
    try:
        yield
    finally:
        _presumed_dead.reset(token)


#: Set by the job queue: the input was checked against the diarium when it was submitted.
_checked: ContextVar[bool] = ContextVar("docgen_checked_at_submission", default=False)


@contextmanager
def checked_at_submission():
    """Within the block, ``precheck`` does not look again for a duplicate of an input that takes a new number on
    PostgreSQL: ``reserve`` does (the unique index on live inputs refuses one), a round trip fewer."""
    token = _checked.set(True)
    try:
        yield
    finally:
        _checked.reset(token)


def holder_alive(store: Store, owner: str | None) -> bool:
    """Whether the process holding a reservation still works on it."""
    if owner in _presumed_dead.get():
        return False
    attempt = fence.current()
    if attempt is not None and attempt.abandoned(owner):
        return False
    return liveness.alive(store, owner)


def _duplicate(conn, doc, prior) -> DuplicateInput:
    return DuplicateInput(doc.source, prior.diarienummer, prior.lopnummer, prior.status,
                          numbers.first_source(conn, prior.id))


def _case_problem(doc, case, config: Config) -> InputError:
    dnr = doc.data["diarienummer"]
    m = parse(config, dnr)
    series = m["serie"] if m else None
    if case is None and series is not None and series not in config.settings.numrering.serier:
        # a series docgen does not allocate in: most often the records system's own, not yet configured
        return InputError(doc.source, [problem(
            "diarienummer", f"ärendet {dnr} finns inte i diariet, och serien {series} är okänd för docgen: den finns "
            "varken i [numrering] serier eller i [numrering] externa_serier.",
            f"the case {dnr} is not in the diarium, and the series {series} is unknown to docgen: it is in neither "
            "[numrering] serier nor [numrering] externa_serier.",
            f"om numret kommer från diariet (ärendet finns där), lägg till serien i docgen.toml: "
            f"`externa_serier = [\"{series}\"]` under [numrering]; då ansluter dokumentet till det ärendet. "
            "Ta inte bort diarienumret: med serie i stället får dokumentet ett nytt ärende.",
            f"if the number comes from the records system (the case exists there), add the series to docgen.toml: "
            f"`externa_serier = [\"{series}\"]` under [numrering]; the document then joins that case. "
            "Do not remove the diarienummer: with serie instead, the document gets a new case.",
            doc.loaded.line_of("diarienummer"))])
    what_sv = "är makulerat" if case is not None else "finns inte i diariet"
    what_en = "is voided" if case is not None else "is not in the diarium"
    return InputError(doc.source, [problem(
        "diarienummer", f"ärendet {dnr} {what_sv}.", f"the case {dnr} {what_en}.",
        "kontrollera numret (`docgen registry list`), eller ta bort diarienummer och ange serie för ett nytt ärende.",
        "check the number (`docgen registry list`), or remove diarienummer and give serie for a new case.",
        doc.loaded.line_of("diarienummer"))])


def precheck(store: Store, doc, config: Config) -> None:
    """What the diarium can refuse, checked without taking a number: an unknown or voided case, a duplicate.

    ``reserve`` checks the same again inside its transaction (another process may have acted meanwhile).
    """
    if doc.is_draft or (_checked.get() and store.is_postgres and "diarienummer" not in doc.data):
        return
    with store.read() as conn:
        prior = numbers.prior_for_input(conn, doc.sha256)
        if prior is not None and (prior.status != DocStatus.RESERVED or holder_alive(store, prior.agare)):
            raise _duplicate(conn, doc, prior)
        if "diarienummer" in doc.data:
            case = numbers.case_by_number(conn, doc.data["diarienummer"])
            may_see = _may_see_case.get()
            if case is not None and may_see is not None and not may_see(conn, case.id):
                raise _case_problem(doc, None, config)
            if case is None and external_case(config, doc.data["diarienummer"]):
                return  # a case of the records system docgen has not seen: opened when the number is reserved
            if case is None or case.status == CaseStatus.VOIDED:
                raise _case_problem(doc, case, config)


def sql_template(config: Config, serie: str, year: int) -> tuple[str, int, str] | None:
    """The diarienummer format of a series and year as (prefix, zero-padded width, suffix), if it is of that
    form (``{serie} {år}-{nummer:05d}`` and the like), so that the database can write it; else None."""
    big = 123456789
    sample = format_dnr(config, serie, year, big)
    if sample.count(str(big)) != 1:
        return None
    pre, suf = sample.split(str(big))
    seven = format_dnr(config, serie, year, 7)
    middle = seven[len(pre):len(seven) - len(suf)] if seven.startswith(pre) and seven.endswith(suf) else ""
    if not middle.isdigit() or int(middle) != 7:
        return None
    width = len(middle)
    if any(format_dnr(config, serie, year, n) != pre + str(n).zfill(width) + suf for n in (1, 42, 99999, 100000, 1234567)):
        return None
    return pre, width, suf


def at_submission(store: Store, doc, config: Config) -> dict | None:
    """What the job queue's submission reserves in its own statement (``submissions.add_queued``): for a
    checked input that opens a new case in a series whose format the database can write, the series, year,
    format and the document's fields; None for the rest (a draft, an input that names its case), which the
    worker numbers (``reserve``). The submission has passed every check ``reserve`` needs: a later failure
    voids the number with its reason."""
    data = doc.data
    if not store.is_postgres or doc.is_draft or "diarienummer" in data:
        return None
    year = date.today().year
    template = sql_template(config, data["serie"], year)
    if template is None:
        return None
    pre, width, suf = template
    return dict(serie=data["serie"], ar=year, pre=pre, width=width, suf=suf, dokumenttyp=doc.type.name,
                rubrik=data["rubrik"], datum=data["datum"], enhet=data.get("enhet"))


def reserve(store: Store, doc, config: Config) -> Reservation:
    """Reserve the diarienummer and running number for a checked, non-draft document.

    On PostgreSQL a document of a new case is reserved in one statement (``numbers.reserve_new_case``) without
    first looking for an earlier document of the same input: the unique index on live inputs refuses it if
    there is one, and the transaction, run again, looks (and takes over or reports the duplicate)."""
    data = doc.data
    me = owner_id()
    owner = fence.current()  # the queue's attempt: the reservation's transaction also carries its fence
    fast, year = None, date.today().year
    if store.is_postgres and "diarienummer" not in data:
        fast = sql_template(config, data["serie"], year)

    def held(conn) -> Reservation | None:  # after a connection lost at COMMIT: whether this process holds it
        prior = numbers.prior_for_input(conn, doc.sha256)
        if prior is None or prior.status != DocStatus.RESERVED or prior.agare != me:
            return None
        return Reservation(prior.arende_id, prior.id, prior.diarienummer, prior.lopnummer,
                           new_case=prior.arende_status == CaseStatus.RESERVED)

    def fenced(conn) -> None:
        if owner is not None and not owner.reserving(conn):
            raise TakenOver(doc.source, None, None)

    if fast is not None and not _presumed_dead.get():
        def new_case(conn) -> Reservation:
            fenced(conn)
            case_id, dnr, hid = numbers.reserve_new_case(
                conn, data["serie"], year, fast, dokumenttyp=doc.type.name, rubrik=data["rubrik"],
                datum=data["datum"], enhet=data.get("enhet"), input_sha256=doc.sha256, owner=me)
            return Reservation(case_id, hid, dnr, 1, True)
        try:  # one statement, committed by itself (with an attempt's fence: two, in one transaction)
            return store.transact(new_case, single=owner is None, committed=held)
        except IntegrityError:
            pass  # the input is reserved or registered already: the attempt below finds it

    def attempt(conn) -> Reservation:
        fenced(conn)
        prior = numbers.prior_for_input(conn, doc.sha256)
        if prior is not None:
            if prior.status != DocStatus.RESERVED or holder_alive(store, prior.agare):
                raise _duplicate(conn, doc, prior)
            if not numbers.take_over(conn, prior.id, prior.agare, me):
                raise _Raced()  # another process took it over between the read and the update
            return Reservation(prior.arende_id, prior.id, prior.diarienummer, prior.lopnummer,
                               new_case=prior.arende_status == CaseStatus.RESERVED)
        if "diarienummer" in data:
            dnr, new_case = data["diarienummer"], False
            case = numbers.case_by_number(conn, dnr)
            ext = external_case(config, dnr) if case is None else None
            if ext is not None:
                case_id = numbers.open_external_case(conn, dnr, data["rubrik"], **ext)
            elif case is None or case.status == CaseStatus.VOIDED:
                raise _case_problem(doc, case, config)
            else:
                case_id = case.id
        else:
            case_id, dnr = numbers.allocate(conn, data["serie"], date.today().year, data["rubrik"],
                                            lambda s, y, n: format_dnr(config, s, y, n))
            new_case = True
        hid, lop = numbers.reserve_document(
            conn, case_id, dokumenttyp=doc.type.name, rubrik=data["rubrik"], datum=data["datum"], enhet=data.get("enhet"),
            input_sha256=doc.sha256, owner=me)
        return Reservation(case_id, hid, dnr, lop, new_case)

    # A unique-key conflict is a concurrent transaction that reserved the same input (or opened the same
    # external case) first: run again, this attempt sees what it committed.
    for _ in range(3):
        try:
            return store.transact(attempt, retry_integrity=True, committed=held)
        except _Raced:
            continue
    return store.transact(attempt, retry_integrity=True, committed=held)


class _Raced(Exception):
    """A takeover lost to another process's: read again."""


def void(store: Store, res: Reservation, reason: str) -> bool:
    """Mark a reservation's document (and its case, if the case was new) voided, with the reason, while this
    process still holds it (a reservation another process took over is theirs); whether it voided."""
    me = owner_id()
    owner = fence.current()  # an attempt that lost its job leaves the number to the attempt that has it

    def do(conn) -> bool:
        if owner is not None and not owner.holds(conn):
            return False
        return numbers.void(conn, res.handling_id, res.case_id, res.new_case, reason, me)

    return store.transact(do)


def run(job: Job, engine: EngineView) -> Job:
    """Take a number for the document, unless a number held for it was taken up (step held)."""
    if job.reservation is not None:
        return job
    job.reservation = reserve(engine.store, job.doc, engine.config)
    job.version_no = 1  # a reserved document has no version yet (registering the first one registers it)
    job.outcome.diarienummer, job.outcome.lopnummer = job.reservation.diarienummer, job.reservation.lopnummer
    return job


def allocate_number(store: Store, config: Config, serie: str, rubrik: str, year: int | None = None) -> tuple[int, str]:
    """Hand out the next number of a series as a new reserved case; returns (case id, diarienummer)."""
    return store.transact(lambda conn: numbers.allocate(conn, serie, year or date.today().year, rubrik,
                                                        lambda s, y, n: format_dnr(config, s, y, n)))

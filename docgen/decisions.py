"""The digital decision: documents waiting for their beslutsfattare (``steps.waits`` stores them), the draft a
decision maker is shown, and the decision itself.

    pending_for(store, "Maja Beslutsam")       # what she may decide (status väntar), oldest first
    pdf = draft_pdf(engine, pid, user)          # the draft as it will read if she decides; its SHA-256 recorded
    decide(engine, pid, user, "fattat", None)   # or "återvisat" with a comment

Only a named decision maker decides, not one who submitted the input themselves unless ``[beslutsfattande]
egen_beslut``; a decision needs the draft fetched first; of two concurrent decisions exactly one wins. A
decided (fattat) input goes back into the inbox as it came (a web or API submission under its own id, so its
status follows it), and the watcher (or the queue) numbers, renders, registers and distributes it with the
decision in its record and its line. A sent-back (återvisat) one keeps the comment for the officer, and an
inbox input also gets a report in the inbox's fel/ folder.
"""
from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Protocol

from . import decisionline
from .errors import DocgenError, problem
from .files import atomic_write
from .load import canonical_sha256, parse_input
from .model import Decision, Job
from .service.claims import folders_of
from .settings import Granser
from .store import access, decisions as rows
from .store.decisions import DECIDED, RETURNED, STATUSES, WAITING

if TYPE_CHECKING:
    from .pipeline import Engine
    from .store import Store

__all__ = ["DECIDED", "RETURNED", "STATUSES", "WAITING", "Pending", "DecisionError", "NotFound", "NotAllowed",
           "AlreadyDecided", "Incomplete", "pending_for", "submitted_by", "get", "by_submission", "may_decide",
           "decision_line", "draft_pdf", "decide", "hand_on", "hand_on_stranded"]


class Person(Protocol):
    """Who acts (``docgen.web.auth.User``): name, role, title and how they were authenticated."""

    namn: str
    roll: str
    titel: str | None
    auth: str


@dataclass
class Pending:
    """A document submitted for decision, in any status (väntar / fattat / återvisat)."""

    id: int
    dokumenttyp: str
    rubrik: str
    inskickad_av: str
    inskickad: str  # local time with offset, to the second
    kalla: str  # "webb/api: api-<id>.json" or "inkorg: <file>"
    inskickning: str | None  # the web's or API's submission id
    beslutsfattare: list[str]
    status: str
    kommentar: str | None = None
    beslutad_av: str | None = None
    beslutad_titel: str | None = None
    beslutad: str | None = None
    autentisering: str | None = None
    utkast_sha256: str | None = None  # the draft the decision was made on
    diarienummer: str | None = None
    lopnummer: int | None = None
    filnamn: str = ""
    indata: dict = field(default_factory=dict)  # the input's data, as read (for the summary)

    @property
    def waiting(self) -> bool:
        return self.status == WAITING


class DecisionError(Exception):
    """A decision refused: ``status`` the HTTP status the web and the API answer with, ``problem`` its text."""

    status = 400

    def __init__(self, sv: str, en: str, fix_sv: str = "", fix_en: str = "", field_name: str = ""):
        super().__init__(f"{sv} / {en}")
        self.problem = problem(field_name, sv, en, fix_sv, fix_en)

    @property
    def text(self) -> str:
        """The Swedish text (``problem.en`` the English)."""
        return self.problem.sv


class NotFound(DecisionError):
    status = 404


class NotAllowed(DecisionError):
    """Not a named decision maker, or their own submission while ``egen_beslut`` is false."""

    status = 403


class AlreadyDecided(DecisionError):
    status = 409


class Incomplete(DecisionError):
    """återvisat without a comment, fattat without having fetched the draft, an unknown beslut."""

    status = 422


#: Reading back a stored input: it passed the workspace's limits when it was stored, so none stops it here.
_NO_LIMITS = Granser.model_construct(**{**Granser().model_dump(), "max_filstorlek": 1 << 40, "max_djup": 10_000,
                                        "max_noder": 1 << 40, "max_expanderad": 1 << 40})


def _pending(row: dict) -> Pending:
    try:
        data = parse_input(row["filnamn"], row["indata"], Path(row["filnamn"]).suffix.lower() or ".json",
                           _NO_LIMITS).data
    except DocgenError:  # checked when it was stored; a listing never fails on one input
        data = {}
    keep = {k: row[k] for k in Pending.__dataclass_fields__ if k in row and k != "indata"}
    return Pending(**keep, indata=data)


def pending_for(store: Store, user_name: str) -> list[Pending]:
    """What ``user_name`` is named to decide and still waits, oldest first."""
    with store.read() as conn:
        return [_pending(r) for r in rows.waiting(conn) if user_name in r["beslutsfattare"]]


def submitted_by(store: Store, user_name: str) -> list[Pending]:
    """What ``user_name`` submitted for decision, any status, newest first (with the comment of a sent-back one)."""
    with store.read() as conn:
        return [_pending(r) for r in rows.by_submitter(conn, user_name)]


def get(store: Store, pid: int) -> Pending | None:
    with store.read() as conn:
        row = rows.get(conn, pid)
    return _pending(row) if row else None


def by_submission(store: Store, sid: str) -> Pending | None:
    """The decision of a web or API submission, or None (not one that waits or waited for a decision)."""
    with store.read() as conn:
        row = rows.by_submission(conn, sid)
    return _pending(row) if row else None


def may_decide(config, p: Pending, user: Person) -> DecisionError | None:
    """Why ``user`` may not decide ``p`` (NotAllowed, AlreadyDecided), or None if they may."""
    if user.namn not in p.beslutsfattare:
        return NotAllowed(f"{user.namn} är inte namngiven beslutsfattare för detta dokument.",
                          f"{user.namn} is not a named decision maker of this document.",
                          "bara de som står i dokumentets fält beslutsfattare kan besluta det.",
                          "only those listed in the document's beslutsfattare can decide it.")
    if p.inskickad_av == user.namn and not config.settings.beslutsfattande.egen_beslut:
        return NotAllowed("du har själv skickat in dokumentet och kan inte besluta det.",
                          "you submitted this document yourself and cannot decide it.",
                          "en annan namngiven beslutsfattare beslutar det ([beslutsfattande] egen_beslut = false).",
                          "another named decision maker decides it ([beslutsfattande] egen_beslut = false).")
    if not p.waiting:
        return AlreadyDecided(f"dokumentet är redan {p.status} ({p.beslutad_av}, {p.beslutad}).",
                              f"the document has already been {_english(p.status)} ({p.beslutad_av}, {p.beslutad}).")
    return None


def decision_line(engine: Engine, p: Pending, user: Person) -> str:
    """The line the document will print if ``user`` decides it now ("Beslutet har fattats digitalt av …")."""
    dtype = engine.plugins.get(p.dokumenttyp)
    now = datetime.now().astimezone().isoformat(timespec="seconds")
    return decisionline.line(dtype, Decision(p.id, user.namn, user.titel, now, user.auth, None, p.inskickad_av))


def _english(status: str) -> str:
    return {DECIDED: "decided", RETURNED: "sent back", WAITING: "waiting"}.get(status, status)


def _found(store: Store, pid: int) -> Pending:
    p = get(store, pid)
    if p is None:
        raise NotFound(f"inget dokument väntar på beslut med id {pid}.", f"no document waits for a decision with id {pid}.")
    return p


def _attachments_into(store: Store, pid: int, folder: Path) -> None:
    """The attachments stored with a waiting input, written into ``folder`` as the input names them."""
    with store.read() as conn:
        files = rows.files(conn, pid)
    for rel, data in files.items():
        target = folder / PurePosixPath(rel.replace("\\", "/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def draft_pdf(engine: Engine, pid: int, viewer: Person) -> bytes:
    """The draft PDF of a waiting document (``pipeline.PREVIEW``: UTKAST, no number, nothing registered), with the
    decision line as it will read if ``viewer`` decides now. For a named decision maker its SHA-256 is recorded as
    the draft they saw (``decide`` requires it). The submitter and a registrator may look too (nothing recorded);
    anyone else gets NotAllowed."""
    from .pipeline import PREVIEW

    p = _found(engine.store, pid)
    named = viewer.namn in p.beslutsfattare
    if not (named or viewer.namn == p.inskickad_av or viewer.roll == "registrator"):
        raise NotAllowed("du kan inte se detta utkast.", "you cannot see this draft.")
    now = datetime.now().astimezone().isoformat(timespec="seconds")
    who = Decision(pid, viewer.namn, viewer.titel, now, viewer.auth, None, p.inskickad_av) if named else None
    with tempfile.TemporaryDirectory(prefix="docgen-beslut-") as tmp:
        _attachments_into(engine.store, pid, Path(tmp))
        # the stored input's data, marked utkast (no number, the UTKAST marking), with its attachments beside it
        path = Path(tmp) / "utkast.json"
        path.write_bytes(json.dumps(dict(p.indata, status="utkast"), ensure_ascii=False, default=str).encode("utf-8"))
        job = Job(f"beslut-{pid}.json", path, decision=who)
        outcome = engine.run(job, PREVIEW)
    if not outcome.ok:
        raise Incomplete(f"utkastet kunde inte göras: {outcome.error}", f"the draft could not be made: {outcome.error}")
    if named and p.waiting:
        sha = hashlib.sha256(job.pdf).hexdigest()
        engine.store.transact(lambda conn: rows.shown(conn, pid, viewer.namn, sha))
    return job.pdf


def decide(engine: Engine, pid: int, user: Person, beslut: str, kommentar: str | None = None,
           auth: str | None = None) -> Pending:
    """Decide a waiting document: ``beslut`` "fattat" (it goes on to its number) or "återvisat" (back to the
    officer with ``kommentar``, required). ``auth``: how ``user`` was authenticated (default ``user.auth``).
    Raises NotFound (404), NotAllowed (403), AlreadyDecided (409) or Incomplete (422)."""
    kommentar = (kommentar or "").strip() or None
    if beslut not in (DECIDED, RETURNED):
        raise Incomplete(f"beslut ska vara \"{DECIDED}\" eller \"{RETURNED}\", inte {beslut!r}.",
                         f"beslut must be \"{DECIDED}\" or \"{RETURNED}\", not {beslut!r}.")
    p = _found(engine.store, pid)
    refused = may_decide(engine.config, p, user)
    if refused is not None:
        raise refused
    if beslut == RETURNED and not kommentar:
        raise Incomplete("skriv en kommentar till handläggaren om varför dokumentet återvisas.",
                         "write a comment to the officer on why the document is sent back.",
                         "fyll i kommentar.", "fill in kommentar.", field_name="kommentar")
    with engine.store.read() as conn:
        seen = rows.last_shown(conn, pid, user.namn)
    if beslut == DECIDED and seen is None:
        raise Incomplete("öppna utkastet innan du fattar beslutet: beslutet gäller det utkast du har sett.",
                         "open the draft before you decide: the decision is on the draft you have seen.",
                         "hämta utkastet (GET /api/v1/att-besluta/{id}/utkast) och besluta sedan.",
                         "fetch the draft (GET /api/v1/att-besluta/{id}/utkast), then decide.")
    titel = user.titel
    decided = engine.store.transact(lambda conn: rows.decide(conn, pid, beslut, user.namn, titel, auth or user.auth,
                                                             kommentar, seen))
    if decided is None:  # another decision came first
        raise AlreadyDecided("dokumentet har just beslutats av någon annan.", "the document has just been decided by someone else.")
    p = _pending(decided)
    if beslut == DECIDED:
        hand_on(engine.config, engine.store, p)
    elif p.inskickning is None:
        _report_returned(engine, p)
    return p


def _inbox_name(p: Pending) -> str:
    if p.inskickning:
        return f"{access.API_PREFIX}{p.inskickning}{Path(p.filnamn).suffix or '.json'}"
    return p.filnamn


def hand_on(config, store: Store, p: Pending) -> str:
    """The decided input back into the inbox, as it came (attachments first, so the watcher finds it complete);
    returns its file name. (The watcher does it again for one a stopped process left behind,
    ``hand_on_stranded``; so does `docgen att-besluta vidare`.)"""
    inbox = config.inbox
    name = _inbox_name(p)
    if (inbox / name).exists():  # never overwrite a file someone dropped meanwhile
        name = f"beslut-{p.id}-{name}"
    with store.read() as conn:
        files = rows.files(conn, p.id)
        raw = rows.get(conn, p.id)["indata"]
    for rel, data in files.items():
        target = inbox / PurePosixPath(rel.replace("\\", "/"))
        if not target.exists():
            atomic_write(target, data)
    atomic_write(inbox / name, raw)
    return name


#: A decision is handed on by the process that made it right after its commit; one older than this without its
#: input anywhere in the inbox was left behind by a process that stopped in between.
STRANDED_AFTER = 60.0


def hand_on_stranded(config, store: Store, older_than: float = STRANDED_AFTER) -> list[str]:
    """Hand on again every decided input that a process stopped between its decision and the inbox: decided
    (fattat) more than ``older_than`` seconds ago, not registered (no live document of its content), and its
    input nowhere in the inbox's folders (not waiting or claimed, nor failed with the same content). Returns the names written;
    the watcher calls it at start and with its other checks for stopped processes."""
    from .store import numbers

    with store.read() as conn:
        rows_ = [r for r in rows.decided_unregistered(conn) if numbers.prior_for_input(conn, r["sha256"]) is None]
    now = datetime.now().astimezone()
    rows_by_id = {r["id"]: r for r in rows_}
    stranded = [_pending(r) for r in rows_ if (now - datetime.fromisoformat(r["beslutad"])).total_seconds() >= older_than]
    if not stranded:
        return []
    folders = folders_of(config)
    # on its way: in the inbox or claimed under the name it was handed on as; failed after its decision: in fel/
    # with the same content (the failed queue's to handle)
    present = {f.name for f in config.inbox.iterdir() if f.is_file()}
    if folders.work_root.is_dir():
        present.update(f.name for f in folders.work_root.rglob("*") if f.is_file())
    failed = {}
    if folders.failed.is_dir():
        for f in folders.failed.rglob("*"):
            if f.is_file() and not f.name.endswith((".fel.txt", ".fel.ndjson")):
                failed.setdefault(f.name, []).append(f)
    names = []
    for p in stranded:
        name = _inbox_name(p)
        if name in present or f"beslut-{p.id}-{name}" in present:
            continue
        sha = rows_by_id[p.id]["sha256"]
        if any(_content_sha(f) == sha for f in failed.get(name, []) + failed.get(f"beslut-{p.id}-{name}", [])):
            continue
        names.append(hand_on(config, store, p))
    return names


def _content_sha(path: Path) -> str | None:
    """The input checksum of a file (``LoadedInput.sha256``: its data's, however written), or None if unreadable."""
    try:
        return canonical_sha256(parse_input(path.name, path.read_bytes(), path.suffix.lower(), _NO_LIMITS).data)
    except (DocgenError, OSError):
        return None


def _report_returned(engine: Engine, p: Pending) -> None:
    """An inbox input sent back: its input and a report in the inbox's fel/ folder, as for a refused input."""
    folder = folders_of(engine.config).failed / f"{datetime.now():%Y%m%d-%H%M%S} beslut-{p.id} {Path(p.filnamn).stem}"
    with engine.store.read() as conn:
        raw = rows.get(conn, p.id)["indata"]
    report = (f"{p.filnamn}: återvisat av {p.beslutad_av} {p.beslutad} / sent back by {p.beslutad_av}\n\n"
              f"Kommentar / comment:\n{p.kommentar}\n\n"
              "Rätta indata efter kommentaren och lägg den i inkorgen igen; inget diarienummer har tagits. / Correct "
              "the input as the comment says and drop it into the inbox again; no diarienummer was taken.\n")
    atomic_write(folder / p.filnamn, raw)
    atomic_write(folder / (p.filnamn + ".fel.txt"), report.encode("utf-8"))

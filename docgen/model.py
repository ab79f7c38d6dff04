"""Typed data, no I/O: what an input becomes on its way through the steps, and the status values.

A ``Job`` is what one input carries through the pipeline's steps; each step fills in its part
(``loaded`` by load, ``doc`` and ``distribution`` by check, ``reservation`` by number, ...); its ``kind``
(new, draft, regeneration) decides which steps apply.
The ``Outcome`` is what the caller (CLI, watcher, registrar) is told.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .load import LoadedInput
    from .plugins import LoadedType
    from .rendering.docx import RenderedDocx


class DocStatus(StrEnum):
    """A document (handling) in the diarium."""

    RESERVED = "reserverad"  # number taken, document in progress
    REGISTERED = "registrerad"
    VOIDED = "makulerad"  # with the reason
    ARCHIVED = "arkiverad"  # in an archival package; never changed again


class CaseStatus(StrEnum):
    RESERVED = "reserverad"
    OPEN = "oppen"
    VOIDED = "makulerad"


class DeliveryStatus(StrEnum):
    CREATED = "skapad"  # a message is written; to be sent
    SENDING = "skickas"  # claimed by one sender (leverans.agare); no other process sends it
    SENT = "skickad"
    FAILED = "misslyckad"  # kept; sent again by `docgen send`
    UNCERTAIN = "oklar"  # the sender died while sending: check with the recipient, then `docgen send --again ID`
    NO_ADDRESS = "ej_levererad"
    REFUSED = "nekad"  # confidential document, address outside the internal domains


class ErrorKind(StrEnum):
    INPUT = "input"  # the input is refused: a report for the person who wrote it
    DUPLICATE = "duplicate"
    CONVERSION = "conversion"
    ERROR = "error"  # configuration or diarium
    RESOURCE = "resource"  # a full disk, an unreachable diarium: nothing wrong with the input; try again later
    INTERNAL = "internal"  # a bug


@dataclass
class Recipient:
    """One person a document is sent to (from the input, a party of the document, or a named list)."""

    namn: str
    titel: str | None = None
    organisation: str | None = None
    epost: str | None = None
    intern: bool | None = None
    via: str | None = None  # whom the document reaches the recipient through
    roll: str | None = None  # the party's role, for a party of the document
    distribuerar_till: str | None = None  # the group the recipient passes the document on to

    @property
    def rad(self) -> str:
        """``Namn, titel, organisation[ via X], e-post[, för distribution till G]`` (the distribution section)."""
        line = ", ".join(p for p in (self.namn, self.titel, self.organisation) if p) + (f" via {self.via}" if self.via else "")
        line += f", {self.epost}" if self.epost else ""
        return line + (f", för distribution till {self.distribuerar_till}" if self.distribuerar_till else "")


@dataclass
class Group:
    """Recipients with one purpose (syfte): "för genomförande", "för kännedom", ..."""

    syfte: str
    mottagare: list[Recipient]

    @property
    def rubrik(self) -> str:
        return self.syfte[:1].upper() + self.syfte[1:]


@dataclass
class Delivery:
    """One recipient's copy of a document: a message to send, or why there is none."""

    syfte: str
    namn: str
    epost: str | None
    status: DeliveryStatus
    resultat: str | None = None
    meddelande: str | None = None  # the .eml file, relative to the outbox
    id: int | None = None  # the diarium's row, once registered

    def summary(self) -> dict:
        return {"syfte": self.syfte, "namn": self.namn, "epost": self.epost, "status": str(self.status),
                "resultat": self.resultat}


@dataclass
class Document:
    """A checked input: its data (defaults filled in), its document type (a ``plugins.LoadedType``),
    and the loaded input it came from."""

    source: str
    data: dict
    type: LoadedType
    loaded: LoadedInput

    @property
    def is_draft(self) -> bool:
        return self.data.get("status") == "utkast"

    @property
    def sha256(self) -> str:
        return self.loaded.sha256


@dataclass
class Reservation:
    """A diarienummer and running number held for a document in progress."""

    case_id: int
    handling_id: int
    diarienummer: str
    lopnummer: int
    new_case: bool


@dataclass(frozen=True)
class Decision:
    """Who decided a document in docgen (docgen.decisions), as its record and its decision line say."""

    id: int  # the row in the diarium's ``beslut``
    namn: str
    titel: str | None
    beslutad: str  # local time with its offset, to the second
    autentisering: str  # lösenord / proxyrubrik / api-token
    utkast_sha256: str | None  # the draft PDF the decision maker saw
    inskickad_av: str

    @property
    def datum(self) -> str:
        """The day of the decision (YYYY-MM-DD)."""
        return self.beslutad[:10]


@dataclass
class OutputFile:
    typ: str  # docx / pdf / bilaga
    path: str  # relative to the outbox
    sha256: str
    size: int


@dataclass
class Outcome:
    """What happened to one input (or one regenerated document)."""

    source: str
    ok: bool = False
    diarienummer: str | None = None
    lopnummer: int | None = None
    version: int | None = None
    dokumenttyp: str | None = None
    rubrik: str | None = None
    datum: str | None = None
    enhet: str | None = None
    draft: bool = False
    folder: str | None = None
    files: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    error_kind: ErrorKind | None = None
    registered_from: str | None = None  # for a duplicate: the source its registered version came from
    voided: str | None = None  # the number taken for this input and voided when it failed ("RS 2026-00042 handling 1")
    problems: list[dict] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    deliveries: list[dict] = field(default_factory=list)
    #: problems with delivery (refused recipients of a confidential document); the document itself is fine
    delivery_errors: list[str] = field(default_factory=list)
    #: the id of the decision this input waits for (``steps.waits``): checked and stored, not numbered
    waiting: int | None = None


class Kind(StrEnum):
    """What a job is, which decides the steps that apply to it."""

    NEW = "new"  # an input to be numbered, registered and distributed (before it is checked, every input)
    DRAFT = "draft"  # status: utkast: rendered, never numbered, registered or sent
    REGENERATION = "regeneration"  # a new version of a registered document: same number, not distributed again


@dataclass
class Job:
    """One input on its way through the steps; each field names the step that fills it in."""

    source: str
    path: Path | None = None
    outcome: Outcome | None = None
    loaded: LoadedInput | None = None  # (load)
    doc: Document | None = None  # (check)
    distribution: list[Group] = field(default_factory=list)  # (check)
    rendered: RenderedDocx | None = None  # (render: with a placeholder for the number; stamp: saved with it)
    reservation: Reservation | None = None  # (held, number; a regeneration's is given)
    version_no: int | None = None  # (number, layout)
    regenerating: bool = False  # a new version of a registered document: same number, no new deliveries
    made_by: str | None = None  # who the version is recorded as made by, if not its input's submitter
    reason: str | None = None  # why a new version was made (kept in its record)
    #: an attempt after an earlier one at the same input (the watcher's inbox file, the queue's job): a
    #: registered copy from this same source is this input's document, not a duplicate (``Engine.run``)
    retry: bool = False
    staging: Path | None = None  # where files are built before they are published (layout)
    folder: Path | None = None  # the document's folder in the outbox (layout)
    stem: str = ""  # file name stem: "RS-2026-00042-01 Titel v1" or "UTKAST Titel" (layout)
    built: dict[str, Path] = field(default_factory=dict)  # kind -> file in staging: docx, pdf (convert)
    kept: list[Path] = field(default_factory=list)  # attachments kept beside the document (keep)
    files: list[OutputFile] = field(default_factory=list)  # (publish)
    deliveries: list[Delivery] = field(default_factory=list)  # (distribute)
    sealed: dict | None = None  # how the PDF was sealed (seal)
    version_id: int | None = None  # (register)
    pdf: bytes | None = None  # the PDF itself, for a preview (keep_pdf)
    #: who decided it in docgen (given by ``decisions.draft_pdf`` for a preview; else found by waits)
    decision: Decision | None = None

    def __post_init__(self):
        if self.outcome is None:
            self.outcome = Outcome(source=self.source)

    @property
    def kind(self) -> Kind:
        if self.regenerating:
            return Kind.REGENERATION
        return Kind.DRAFT if self.doc is not None and self.doc.is_draft else Kind.NEW

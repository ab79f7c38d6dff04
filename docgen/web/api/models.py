"""What the API answers with, as pydantic models: the OpenAPI description names every field. A problem is
docgen's own ``Problem`` dataclass (``docgen.errors``), not a copy of it."""

from typing import Literal

from pydantic import BaseModel

from ...errors import Problem


class ErrorBody(BaseModel):
    problem: list[Problem]
    rapport: str | None = None
    id: str | None = None  # 409: the earlier submission
    status_url: str | None = None
    diarienummer: str | None = None


def errors(*codes: int) -> dict:
    return {c: {"model": ErrorBody} for c in (401, *codes)}


class Accepted(BaseModel):
    id: str
    status_url: str


class Files(BaseModel):
    pdf: str | None = None
    docx: str | None = None


class StatusBody(BaseModel):
    id: str
    status: Literal["väntar", "pågår", "registrerad", "fel", "väntar på beslut", "återvisat"]
    diarienummer: str | None = None
    lopnummer: int | None = None
    filer: Files | None = None
    problem: list[Problem] = []
    rapport: str | None = None
    makulerat: str | None = None  # fel: the number the input was given and that was voided, with the reason in rapport
    kommentar: str | None = None  # återvisat: the decision maker's comment
    beslutad_av: str | None = None  # väntar på beslut: who may decide it; återvisat: who sent it back
    beslut: int | None = None  # the id of its decision, for /att-besluta/{id} and /dokument/{id}/beslut


class PendingBody(BaseModel):
    """A document waiting for a decision (or decided), as its decision maker sees it."""
    id: int
    dokumenttyp: str
    rubrik: str
    status: Literal["väntar", "fattat", "återvisat"]
    inskickad_av: str
    inskickad: str
    beslutsfattare: list[str]
    kommentar: str | None = None
    beslutad_av: str | None = None
    beslutad: str | None = None
    autentisering: str | None = None
    diarienummer: str | None = None
    lopnummer: int | None = None
    utkast_url: str
    indata: dict


class DecisionBody(BaseModel):
    beslut: Literal["fattat", "återvisat"]
    kommentar: str | None = None


class _DocumentFields(BaseModel):
    """What every description of a document carries."""
    lopnummer: int
    dokumenttyp: str
    rubrik: str
    datum: str
    status: str
    registrerad: str | None
    motpart: str | None
    beskrivning: str | None
    enhet: str | None
    sekretess: dict | None


class DocumentRow(_DocumentFields):
    diarienummer: str
    version: int | None
    extern: bool
    url: str
    pdf: str | None


class FileModel(BaseModel):
    typ: str
    sha256: str
    storlek: int
    url: str | None


class DeliveryModel(BaseModel):
    syfte: str
    namn: str
    epost: str | None
    status: str
    resultat: str | None
    expedierad: str | None


class VersionModel(BaseModel):
    version: int
    skapad: str
    skapad_av: str
    mall: str
    mall_sha256: str
    filer: list[FileModel]
    utskick: list[DeliveryModel]


class CaseDocument(_DocumentFields):
    makulerad_orsak: str | None
    arkivpaket: str | None
    versioner: list[VersionModel]


class CaseBody(BaseModel):
    diarienummer: str
    rubrik: str
    status: str
    skapad: str
    makulerad_orsak: str | None
    extern: bool
    handlingar: list[CaseDocument]


class TypeModel(BaseModel):
    namn: str
    titel: str
    varianter: list[str]
    schema_url: str


class FailedModel(BaseModel):
    mapp: str
    fil: str
    sammanfattning: str
    rapport: str
    indata: str


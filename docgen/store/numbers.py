"""Statements of numbering: the series counter, reservations (a document with a number, in progress),
taking over a dead process's reservation, opening external cases, voiding."""
from __future__ import annotations

from sqlalchemy import func, select

from ..model import CaseStatus, DocStatus
from .schema import arende, handling, now, nummerserie, version

LIVE = (DocStatus.RESERVED, DocStatus.REGISTERED, DocStatus.ARCHIVED)


def prior_for_input(conn, input_sha256: str):
    """The latest live document made from the same input (by content), with its case, or None."""
    return conn.execute(
        select(handling.c.id, handling.c.arende_id, handling.c.lopnummer, handling.c.status, handling.c.agare,
               arende.c.diarienummer, arende.c.status.label("arende_status"))
        .join(arende, arende.c.id == handling.c.arende_id)
        .where(handling.c.input_sha256 == input_sha256, handling.c.status.in_(LIVE))
        .order_by(handling.c.id.desc()).limit(1)
    ).first()


def first_source(conn, handling_id: int) -> str | None:
    """The input name (kalla) the first version of a document was made from."""
    return conn.execute(select(version.c.kalla).where(version.c.handling_id == handling_id)
                        .order_by(version.c.version).limit(1)).scalar()


def case_by_number(conn, diarienummer: str):
    return conn.execute(select(arende.c.id, arende.c.status).where(arende.c.diarienummer == diarienummer)).first()


def take_over(conn, handling_id: int, owner: str) -> None:
    conn.execute(handling.update().where(handling.c.id == handling_id).values(agare=owner))


def allocate(conn, serie: str, year: int, rubrik: str, fmt) -> tuple[int, str]:
    """The next number of a series as a new reserved case; ``fmt(serie, year, number)`` writes the diarienummer."""
    row = conn.execute(
        select(nummerserie.c.senaste).where(nummerserie.c.serie == serie, nummerserie.c.ar == year).with_for_update()
    ).first()
    if row is None:
        number = 1
        conn.execute(nummerserie.insert().values(serie=serie, ar=year, senaste=number))
    else:
        number = row[0] + 1
        conn.execute(nummerserie.update().where(nummerserie.c.serie == serie, nummerserie.c.ar == year)
                     .values(senaste=number))
    dnr = fmt(serie, year, number)
    case_id = conn.execute(arende.insert().values(
        diarienummer=dnr, serie=serie, ar=year, nummer=number, rubrik=rubrik, status=CaseStatus.RESERVED, skapad=now(),
    )).inserted_primary_key[0]
    return case_id, dnr


def open_external_case(conn, diarienummer: str, rubrik: str, serie: str, ar: int, nummer: int) -> int:
    """A case numbered by another system, opened as it is named (never voided with a document)."""
    return conn.execute(arende.insert().values(
        diarienummer=diarienummer, rubrik=rubrik, status=CaseStatus.OPEN, skapad=now(), extern=1, serie=serie, ar=ar, nummer=nummer,
    )).inserted_primary_key[0]


def reserve_document(conn, case_id: int, *, dokumenttyp: str, rubrik: str, datum: str, enhet: str | None,
                     input_sha256: str, owner: str) -> tuple[int, int]:
    """The case's next running number as a reserved document; returns (document id, lopnummer)."""
    lop = (conn.execute(select(func.max(handling.c.lopnummer)).where(handling.c.arende_id == case_id)).scalar() or 0) + 1
    hid = conn.execute(handling.insert().values(
        arende_id=case_id, lopnummer=lop, dokumenttyp=dokumenttyp, rubrik=rubrik, datum=datum, enhet=enhet,
        status=DocStatus.RESERVED, input_sha256=input_sha256, agare=owner,
    )).inserted_primary_key[0]
    return hid, lop


def void(conn, handling_id: int, case_id: int, new_case: bool, reason: str) -> None:
    """Mark a reserved document (and its case, if the case was new) voided, with the reason."""
    conn.execute(handling.update().where(handling.c.id == handling_id, handling.c.status == DocStatus.RESERVED)
                 .values(status=DocStatus.VOIDED, makulerad_orsak=reason, agare=None))
    if new_case:
        conn.execute(arende.update().where(arende.c.id == case_id, arende.c.status == CaseStatus.RESERVED)
                     .values(status=CaseStatus.VOIDED, makulerad_orsak=reason))

"""Statements of numbering: the series counter, reservations (a document with a number, in progress),
taking over a dead process's reservation, opening external cases, voiding.

Concurrency (the same on SQLite, where BEGIN IMMEDIATE serialises writers, and on PostgreSQL, READ
COMMITTED): the series row is created with ``INSERT ... ON CONFLICT DO NOTHING`` and incremented with one
``UPDATE ... RETURNING`` (the row lock is held to the commit, so the next allocation of the series waits
for it and reads the committed value); the case row is locked (``SELECT ... FOR UPDATE``) before its
highest running number is read; a live document's input is unique (index ``ux_handling_input_levande``),
so of two transactions reserving the same input at once one fails on that index, and run again (see
``steps.number.reserve``) it finds the other's document.
"""
from __future__ import annotations

from sqlalchemy import func, select, text, update

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


def take_over(conn, handling_id: int, previous: str | None, owner: str) -> bool:
    """Make ``owner`` the holder of a reservation still held by ``previous``; False if someone else took it."""
    q = handling.update().where(handling.c.id == handling_id, handling.c.status == DocStatus.RESERVED)
    q = q.where(handling.c.agare.is_(None) if previous is None else handling.c.agare == previous)
    return conn.execute(q.values(agare=owner)).rowcount == 1


def allocate(conn, serie: str, year: int, rubrik: str, fmt) -> tuple[int, str]:
    """The next number of a series as a new reserved case; ``fmt(serie, year, number)`` writes the diarienummer.

    One ``UPDATE ... RETURNING`` takes the series row's lock and the number; the first number of a series
    or a year first creates the row (``ON CONFLICT DO NOTHING``: of two processes creating it at once,
    one inserts it and the other waits for that row and then increments it)."""
    number = _increment(conn, serie, year)
    if number is None:
        conn.execute(_insert_ignore(conn, nummerserie).values(serie=serie, ar=year, senaste=0))
        number = _increment(conn, serie, year)
    dnr = fmt(serie, year, number)
    case_id = conn.execute(arende.insert().values(
        diarienummer=dnr, serie=serie, ar=year, nummer=number, rubrik=rubrik, status=CaseStatus.RESERVED, skapad=now(),
    )).inserted_primary_key[0]
    return case_id, dnr


def _increment(conn, serie: str, year: int) -> int | None:
    return conn.execute(
        update(nummerserie).where(nummerserie.c.serie == serie, nummerserie.c.ar == year)
        .values(senaste=nummerserie.c.senaste + 1).returning(nummerserie.c.senaste)).scalar()


def _insert_ignore(conn, table):
    """``INSERT ... ON CONFLICT DO NOTHING`` in the connection's dialect (SQLite and PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).on_conflict_do_nothing()


_RESERVE_NEW = text("""
WITH n AS (UPDATE nummerserie SET senaste = senaste + 1 WHERE serie = :serie AND ar = :ar RETURNING senaste),
a AS (INSERT INTO arende (diarienummer, serie, ar, nummer, rubrik, status, skapad, extern)
      SELECT :pre || CASE WHEN length(n.senaste::text) >= :width THEN n.senaste::text
                          ELSE lpad(n.senaste::text, :width, '0') END || :suf,
             :serie, :ar, n.senaste, :rubrik, :case_status, :skapad, 0 FROM n
      RETURNING id, diarienummer),
h AS (INSERT INTO handling (arende_id, lopnummer, dokumenttyp, rubrik, datum, enhet, status, input_sha256, agare)
      SELECT a.id, 1, :dokumenttyp, :rubrik, :datum, :enhet, :doc_status, :input_sha256, :owner FROM a
      RETURNING id)
SELECT a.id AS case_id, a.diarienummer, h.id AS handling_id FROM a, h""")


def reserve_new_case(conn, serie: str, year: int, template: tuple[str, int, str], *, dokumenttyp: str, rubrik: str,
                     datum: str, enhet: str | None, input_sha256: str, owner: str) -> tuple[int, str, int]:
    """PostgreSQL: the next number of a series as a new reserved case with its first document, in one
    statement — the series row's lock is taken by that statement and held only to the COMMIT that follows.
    ``template`` is the diarienummer format as (prefix, zero-padded width, suffix). Returns (case id,
    diarienummer, document id). A unique-key conflict (the same input reserved by another transaction, or
    a live document of it) fails the statement; the caller's transaction is run again."""
    pre, width, suf = template
    params = dict(serie=serie, ar=year, pre=pre, width=width, suf=suf, rubrik=rubrik, case_status=CaseStatus.RESERVED,
                  skapad=now(), dokumenttyp=dokumenttyp, datum=datum, enhet=enhet, doc_status=DocStatus.RESERVED,
                  input_sha256=input_sha256, owner=owner)
    row = conn.execute(_RESERVE_NEW, params).first()
    if row is None:  # the first number of this series and year: create its row, then take the number
        conn.execute(_insert_ignore(conn, nummerserie).values(serie=serie, ar=year, senaste=0))
        row = conn.execute(_RESERVE_NEW, params).first()
    return row.case_id, row.diarienummer, row.handling_id


def lock_case(conn, case_id: int) -> None:
    """Hold the case's row until the commit: running numbers inside one case are taken one at a time."""
    conn.execute(select(arende.c.id).where(arende.c.id == case_id).with_for_update())


def open_external_case(conn, diarienummer: str, rubrik: str, serie: str, ar: int, nummer: int) -> int:
    """A case numbered by another system, opened as it is named (never voided with a document)."""
    return conn.execute(arende.insert().values(
        diarienummer=diarienummer, rubrik=rubrik, status=CaseStatus.OPEN, skapad=now(), extern=1, serie=serie, ar=ar, nummer=nummer,
    )).inserted_primary_key[0]


def reserve_document(conn, case_id: int, *, dokumenttyp: str, rubrik: str, datum: str, enhet: str | None,
                     input_sha256: str, owner: str) -> tuple[int, int]:
    """The case's next running number as a reserved document; returns (document id, lopnummer).

    The case row is locked first, so that concurrent reservations in one case read each other's numbers."""
    lock_case(conn, case_id)
    lop = (conn.execute(select(func.max(handling.c.lopnummer)).where(handling.c.arende_id == case_id)).scalar() or 0) + 1
    hid = conn.execute(handling.insert().values(
        arende_id=case_id, lopnummer=lop, dokumenttyp=dokumenttyp, rubrik=rubrik, datum=datum, enhet=enhet,
        status=DocStatus.RESERVED, input_sha256=input_sha256, agare=owner,
    )).inserted_primary_key[0]
    return hid, lop


def void(conn, handling_id: int, case_id: int, new_case: bool, reason: str, owner: str | None = None) -> bool:
    """Mark a reserved document (and its case, if the case was new) voided, with the reason. With ``owner``,
    only while that process holds the reservation (an attempt that was taken over voids nothing). Whether
    it voided."""
    q = handling.update().where(handling.c.id == handling_id, handling.c.status == DocStatus.RESERVED)
    if owner is not None:
        q = q.where(handling.c.agare == owner)
    if conn.execute(q.values(status=DocStatus.VOIDED, makulerad_orsak=reason, agare=None)).rowcount != 1:
        return False
    if new_case:
        conn.execute(arende.update().where(arende.c.id == case_id, arende.c.status == CaseStatus.RESERVED)
                     .values(status=CaseStatus.VOIDED, makulerad_orsak=reason))
    return True

"""Statements about reservations in progress: numbers handed out whose document is not registered yet."""
from __future__ import annotations

from sqlalchemy import select

from ..model import DocStatus
from .schema import arende, handling


def in_progress(conn) -> list[dict]:
    """Every reserved document with its number, case and owner, oldest first."""
    q = (select(handling.c.id.label("handling_id"), handling.c.arende_id, handling.c.lopnummer, handling.c.agare,
                handling.c.dokumenttyp, handling.c.rubrik, arende.c.diarienummer,
                arende.c.status.label("arende_status"))
         .join(arende, arende.c.id == handling.c.arende_id)
         .where(handling.c.status == DocStatus.RESERVED).order_by(handling.c.id))
    return [dict(r._mapping) for r in conn.execute(q)]


def still_held_by(conn, handling_id: int, owner: str | None) -> bool:
    """Whether a document is still reserved by ``owner`` (inside a write transaction: nobody took it over)."""
    row = conn.execute(select(handling.c.status, handling.c.agare).where(handling.c.id == handling_id)
                       .with_for_update()).first()
    return row is not None and row.status == DocStatus.RESERVED and row.agare == owner

"""Statements of sending: the deliveries not yet sent, and the outcome of each attempt."""
from __future__ import annotations

from sqlalchemy import select

from ..model import DeliveryStatus
from .schema import arende, handling, leverans, now, version

UNSENT = (DeliveryStatus.CREATED, DeliveryStatus.FAILED)


def unsent(conn, only_version: int | None = None, diarienummer: str | None = None) -> list[dict]:
    """Deliveries waiting to be sent (created, or failed before), oldest first."""
    q = (select(leverans.c.id, leverans.c.meddelande, leverans.c.namn, leverans.c.epost)
         .join(version, version.c.id == leverans.c.version_id)
         .join(handling, handling.c.id == version.c.handling_id)
         .join(arende, arende.c.id == handling.c.arende_id)
         .where(leverans.c.status.in_(UNSENT)).order_by(leverans.c.id))
    if only_version is not None:
        q = q.where(leverans.c.version_id == only_version)
    if diarienummer:
        q = q.where(arende.c.diarienummer == diarienummer)
    return [dict(r._mapping) for r in conn.execute(q)]


def record(conn, delivery_id: int, status: str, result: str) -> None:
    """The outcome of one attempt: skickad (with when it was expedited) or misslyckad."""
    conn.execute(leverans.update().where(leverans.c.id == delivery_id).values(
        status=status, resultat=result[:1000], expedierad=now() if status == DeliveryStatus.SENT else None))

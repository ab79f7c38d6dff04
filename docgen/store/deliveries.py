"""Statements of sending: the deliveries not yet sent, claiming one before it is sent (so that two
senders never send the same message), and the outcome of each attempt."""
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


def claim(conn, delivery_id: int, owner: str) -> bool:
    """Mark an unsent delivery as being sent by ``owner``; False if another sender has it (or it was sent)."""
    return conn.execute(leverans.update().where(leverans.c.id == delivery_id, leverans.c.status.in_(UNSENT))
                        .values(status=DeliveryStatus.SENDING, agare=owner, paborjad=now())).rowcount == 1


def record(conn, delivery_id: int, status: str, result: str, owner: str | None = None) -> None:
    """The outcome of one attempt: skickad (with when it was expedited) or misslyckad; with ``owner``, only
    while that sender still holds the claim."""
    q = leverans.update().where(leverans.c.id == delivery_id)
    if owner is not None:
        q = q.where(leverans.c.agare == owner, leverans.c.status == DeliveryStatus.SENDING)
    conn.execute(q.values(status=status, resultat=result[:1000], agare=None,
                          expedierad=now() if status == DeliveryStatus.SENT else None))


def being_sent(conn) -> list[dict]:
    """Deliveries claimed by a sender and not yet recorded: (id, owner, since)."""
    return [dict(r._mapping) for r in conn.execute(
        select(leverans.c.id, leverans.c.agare, leverans.c.paborjad).where(leverans.c.status == DeliveryStatus.SENDING))]


def mark_uncertain(conn, delivery_id: int, owner: str, result: str) -> bool:
    """A delivery whose sender died mid-send: it may or may not have gone out; never sent again by itself."""
    return conn.execute(leverans.update().where(leverans.c.id == delivery_id, leverans.c.agare == owner,
                                                 leverans.c.status == DeliveryStatus.SENDING)
                        .values(status=DeliveryStatus.UNCERTAIN, resultat=result[:1000], agare=None)).rowcount == 1


def send_again(conn, delivery_id: int) -> bool:
    """Make an uncertain delivery sendable again (a person checked that it did not arrive)."""
    return conn.execute(leverans.update().where(leverans.c.id == delivery_id,
                                                 leverans.c.status == DeliveryStatus.UNCERTAIN)
                        .values(status=DeliveryStatus.FAILED)).rowcount == 1


def status_of(conn, delivery_id: int) -> str | None:
    """The status of one delivery, or None when there is no delivery with that id."""
    return conn.execute(select(leverans.c.status).where(leverans.c.id == delivery_id)).scalar()

"""Statements about webhooks (``webhook``) and their deliveries (``webhook_leverans``), and the API submissions
whose outcome a webhook is still to be told."""
from __future__ import annotations

import time

from sqlalchemy import and_, delete, exists, select, update

from ..model import DocStatus
from .access import API_PREFIX
from .schema import arende, atkomst, handling, now, version, webhook, webhook_leverans
from .users import SUBMITTED


def add(conn, agare: str, url: str, hemlighet: str) -> dict:
    t = int(time.time())
    new_id = conn.execute(webhook.insert().values(agare=agare, url=url, hemlighet=hemlighet, skapad=now(),
                                                  skapad_epok=t)).inserted_primary_key[0]
    return one(conn, new_id)


def one(conn, webhook_id: int) -> dict | None:
    row = conn.execute(select(webhook).where(webhook.c.id == webhook_id)).first()
    return dict(row._mapping) if row else None


def listing(conn, agare: str | None = None) -> list[dict]:
    """The webhooks (one user's, if named), oldest first."""
    q = select(webhook).order_by(webhook.c.id)
    if agare is not None:
        q = q.where(webhook.c.agare == agare)
    return [dict(r._mapping) for r in conn.execute(q)]


def remove(conn, webhook_id: int) -> bool:
    """Remove a webhook; its deliveries still waiting are dropped (the log keeps those already tried)."""
    conn.execute(delete(webhook_leverans).where(webhook_leverans.c.webhook_id == webhook_id,
                                                webhook_leverans.c.forsok == 0))
    conn.execute(update(webhook_leverans).where(webhook_leverans.c.webhook_id == webhook_id,
                                                webhook_leverans.c.status == "vantar")
                 .values(status="misslyckad", senaste_svar="webhooken togs bort / the webhook was removed"))
    return conn.execute(delete(webhook).where(webhook.c.id == webhook_id)).rowcount == 1


def unannounced(conn, hook: dict, limit: int = 200) -> list[str]:
    """Submission ids of the hook's owner since the hook was made whose outcome (registrerad or fel) the hook has
    not been told yet."""
    told = exists(select(webhook_leverans.c.id).where(webhook_leverans.c.webhook_id == hook["id"],
                                                      webhook_leverans.c.handelse.in_(("registrerad", "fel")),
                                                      webhook_leverans.c.inskickning == atkomst.c.detalj))
    q = (select(atkomst.c.detalj).where(atkomst.c.atgard == SUBMITTED, atkomst.c.anvandare == hook["agare"],
                                        atkomst.c.tid >= hook["skapad"], ~told)
         .order_by(atkomst.c.id).limit(limit))
    return [r[0] for r in conn.execute(q)]


def announced(conn, hook_id: int, handelse: str, since: str) -> list[str]:
    """Submission ids a hook was told ``handelse`` about since ``since``."""
    q = select(webhook_leverans.c.inskickning).where(webhook_leverans.c.webhook_id == hook_id,
                                                     webhook_leverans.c.handelse == handelse,
                                                     webhook_leverans.c.skapad >= since)
    return [r[0] for r in conn.execute(q)]


def voided_source(conn, submission_id: str) -> str | None:
    """The diarienummer of the document made from this submission, if it is voided."""
    q = (select(arende.c.diarienummer).select_from(version.join(handling, handling.c.id == version.c.handling_id)
                                                   .join(arende, arende.c.id == handling.c.arende_id))
         .where(version.c.kalla.like(f"%/{API_PREFIX}{submission_id}.%"), handling.c.status == DocStatus.VOIDED)
         .limit(1))
    return conn.execute(q).scalar()


def enqueue(conn, hook: dict, handelse: str, inskickning: str, kropp: str) -> bool:
    """A delivery to make (once per hook, submission and event); False if it was there already."""
    if conn.execute(select(webhook_leverans.c.id).where(webhook_leverans.c.webhook_id == hook["id"],
                                                        webhook_leverans.c.inskickning == inskickning,
                                                        webhook_leverans.c.handelse == handelse)).first():
        return False
    conn.execute(webhook_leverans.insert().values(webhook_id=hook["id"], url=hook["url"], handelse=handelse,
                                                  inskickning=inskickning, kropp=kropp, status="vantar", forsok=0,
                                                  nasta=int(time.time()), skapad=now()))
    return True


def due(conn, limit: int = 20) -> list[dict]:
    """Deliveries whose next attempt is due, with their hook's secret."""
    q = (select(webhook_leverans, webhook.c.hemlighet)
         .select_from(webhook_leverans.join(webhook, webhook.c.id == webhook_leverans.c.webhook_id))
         .where(webhook_leverans.c.status == "vantar", webhook_leverans.c.nasta <= int(time.time()))
         .order_by(webhook_leverans.c.id).limit(limit))
    return [dict(r._mapping) for r in conn.execute(q)]


def claim(conn, delivery: dict, hold: int) -> bool:
    """Take a due delivery for ``hold`` seconds (another process sees it as not due); False if another took it."""
    q = (update(webhook_leverans).where(and_(webhook_leverans.c.id == delivery["id"],
                                             webhook_leverans.c.status == "vantar",
                                             webhook_leverans.c.nasta == delivery["nasta"]))
         .values(nasta=int(time.time()) + hold))
    return conn.execute(q).rowcount == 1


def attempted(conn, delivery_id: int, ok: bool, answer: str, next_at: int | None) -> None:
    """Record an attempt: delivered, to try again at ``next_at``, or (``next_at`` None) given up."""
    values = {"forsok": webhook_leverans.c.forsok + 1, "senaste_svar": answer[:500]}
    if ok:
        values.update(status="levererad", levererad=now())
    elif next_at is None:
        values.update(status="misslyckad")
    else:
        values.update(nasta=next_at)
    conn.execute(update(webhook_leverans).where(webhook_leverans.c.id == delivery_id).values(**values))


def delivery_log(conn, limit: int = 500) -> list[dict]:
    """The latest deliveries, newest first."""
    q = select(webhook_leverans).order_by(webhook_leverans.c.id.desc()).limit(limit)
    return [dict(r._mapping) for r in conn.execute(q)]

"""Statements of the nodes' events (table ``nodhandelse``): lost attempts, takeovers, failures and dead
processes, counted per host for `docgen status`, forgotten after a while."""
from __future__ import annotations

import time

from sqlalchemy import case, delete, func, select

from .schema import nodhandelse

LOST, TAKEN_OVER, FAILED, DEAD = "forlorad", "overtagen", "fel", "dod"


def host_of(owner: str | None) -> str:
    """The host of an owner (``host:pid:start``)."""
    return owner.rsplit(":", 2)[0] if owner and owner.count(":") >= 2 else (owner or "?")


def record(conn, kind: str, owner: str | None, *, submission_id: int | None = None, other: str | None = None,
           last_beat: int | None = None, detail: str | None = None) -> None:
    conn.execute(nodhandelse.insert().values(
        tid=int(time.time()), vard=host_of(owner), agare=owner, typ=kind, inlamning_id=submission_id, annan=other,
        puls=last_beat, detalj=(detail or "")[:1000] or None))


def per_host(conn) -> dict[str, dict]:
    """Per host: how many lost attempts, takeovers (of other nodes' jobs, by this host) and failures it had,
    and its processes found dead (``dead``: [{"owner", "last_seen"}], newest first)."""
    out: dict[str, dict] = {}
    rows = conn.execute(select(
        nodhandelse.c.vard,
        func.sum(case((nodhandelse.c.typ == LOST, 1), else_=0)).label("lost"),
        func.sum(case((nodhandelse.c.typ == TAKEN_OVER, 1), else_=0)).label("takeovers"),
        func.sum(case((nodhandelse.c.typ == FAILED, 1), else_=0)).label("failures"),
    ).group_by(nodhandelse.c.vard))
    for r in rows:
        out[r.vard] = {"lost": int(r.lost or 0), "takeovers": int(r.takeovers or 0), "failures": int(r.failures or 0),
                       "dead": []}
    for r in conn.execute(select(nodhandelse.c.vard, nodhandelse.c.agare, nodhandelse.c.puls, nodhandelse.c.tid)
                          .where(nodhandelse.c.typ == DEAD).order_by(nodhandelse.c.tid.desc())):
        out[r.vard]["dead"].append({"owner": r.agare, "last_seen": r.puls or r.tid})
    return out


def latest(conn, kind: str, limit: int = 10) -> list[dict]:
    """The latest events of one kind, newest first."""
    q = select(nodhandelse).where(nodhandelse.c.typ == kind).order_by(nodhandelse.c.id.desc()).limit(limit)
    return [dict(r._mapping) for r in conn.execute(q)]


def forget_older_than(conn, before: int) -> int:
    """Remove events older than ``before`` (seconds since the epoch); how many."""
    return conn.execute(delete(nodhandelse).where(nodhandelse.c.tid < before)).rowcount

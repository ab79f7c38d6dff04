"""Statements of liveness: each docgen process that holds something registers itself and beats."""
from __future__ import annotations

import time

from sqlalchemy import delete, select, update

from .schema import now, process


def register(conn, owner: str, host: str, role: str, inbox: str | None = None) -> None:
    """This process, with a heartbeat of now (replacing a row of a process that had the same owner id)."""
    conn.execute(delete(process).where(process.c.agare == owner))
    conn.execute(process.insert().values(agare=owner, vard=host, roll=role, startad=now(), puls=int(time.time()),
                                         inkorg=inbox))


def beat(conn, owner: str) -> bool:
    """Renew the heartbeat; False if the row is gone (another process judged this one dead)."""
    return conn.execute(update(process).where(process.c.agare == owner).values(puls=int(time.time()))).rowcount == 1


def remove(conn, owner: str) -> None:
    conn.execute(delete(process).where(process.c.agare == owner))


def last_beat(conn, owner: str) -> int | None:
    """When the owner last beat (seconds since the epoch), or None if it is not registered."""
    return conn.execute(select(process.c.puls).where(process.c.agare == owner)).scalar()


def listing(conn) -> list[dict]:
    """Every registered process, oldest first."""
    return [dict(r._mapping) for r in conn.execute(select(process).order_by(process.c.startad))]


def forget_older_than(conn, before: int) -> int:
    """Remove processes whose last heartbeat is older than ``before``; how many."""
    return conn.execute(delete(process).where(process.c.puls < before)).rowcount

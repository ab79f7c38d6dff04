"""Statements about web logins held on the server (``webbsession``) and Idempotency-Keys (``idempotens``)."""
from __future__ import annotations

import time

from sqlalchemy import delete, select

from .schema import idempotens, now, sessionstabell


def open_session(conn, id_sha256: str, namn: str, expires: int) -> None:
    """A new login; expired ones of anybody are removed on the way."""
    conn.execute(delete(sessionstabell).where(sessionstabell.c.utgar < int(time.time())))
    conn.execute(sessionstabell.insert().values(id_sha256=id_sha256, namn=namn, skapad=now(), utgar=expires))


def session_user(conn, id_sha256: str) -> str | None:
    """The name of the login with this id hash, if it has not expired or ended."""
    return conn.execute(select(sessionstabell.c.namn).where(sessionstabell.c.id_sha256 == id_sha256,
                                                            sessionstabell.c.utgar >= int(time.time()))).scalar()


def end_session(conn, id_sha256: str) -> None:
    conn.execute(delete(sessionstabell).where(sessionstabell.c.id_sha256 == id_sha256))


def end_sessions_of(conn, namn: str) -> int:
    """End every login of a user (new password, removed account); returns how many."""
    return conn.execute(delete(sessionstabell).where(sessionstabell.c.namn == namn)).rowcount


def idempotent(conn, anvandare: str, nyckel: str, since: int) -> dict | None:
    """The submission an Idempotency-Key of this user answered since ``since`` (epoch seconds)."""
    row = conn.execute(select(idempotens).where(idempotens.c.anvandare == anvandare, idempotens.c.nyckel == nyckel,
                                                idempotens.c.skapad >= since)).first()
    return dict(row._mapping) if row else None


def remember_key(conn, anvandare: str, nyckel: str, sha256: str, inskickning: str, since: int) -> None:
    """Keep a key's answer (an expired row under the same key is replaced)."""
    conn.execute(delete(idempotens).where(idempotens.c.anvandare == anvandare, idempotens.c.nyckel == nyckel,
                                          idempotens.c.skapad < since))
    conn.execute(idempotens.insert().values(anvandare=anvandare, nyckel=nyckel, sha256=sha256, inskickning=inskickning,
                                            skapad=int(time.time())))

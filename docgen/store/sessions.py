"""Statements about web logins held on the server (``webbsession``), Idempotency-Keys (``idempotens``) and the
contents submitted through the API (``api_inskickning``)."""
from __future__ import annotations

import time

from sqlalchemy import delete, select

from .schema import api_inskickning, idempotens, now, sessionstabell


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


def claim_key(conn, anvandare: str, nyckel: str, sha256: str, since: int) -> None:
    """Hold a key while its request is answered (an expired row under the same key is replaced); a second request
    with the key meanwhile fails on the primary key (IntegrityError)."""
    conn.execute(delete(idempotens).where(idempotens.c.anvandare == anvandare, idempotens.c.nyckel == nyckel,
                                          idempotens.c.skapad < since))
    conn.execute(idempotens.insert().values(anvandare=anvandare, nyckel=nyckel, sha256=sha256, inskickning="",
                                            skapad=int(time.time())))


def settle_key(conn, anvandare: str, nyckel: str, inskickning: str | None) -> None:
    """The submission a held key answers with from now on; None: the request was refused, the key is free."""
    where = (idempotens.c.anvandare == anvandare, idempotens.c.nyckel == nyckel)
    if inskickning is None:
        conn.execute(delete(idempotens).where(*where))
    else:
        conn.execute(idempotens.update().where(*where).values(inskickning=inskickning))


def submitted_content(conn, sha256: str) -> str | None:
    """The submission id an input with this content was last submitted as."""
    return conn.execute(select(api_inskickning.c.id).where(api_inskickning.c.sha256 == sha256)).scalar()


def record_content(conn, submission_id: str, sha256: str, replaces: str | None) -> None:
    """Record a submission's content (replacing an earlier one that failed); IntegrityError if another holds it."""
    if replaces:
        conn.execute(delete(api_inskickning).where(api_inskickning.c.id == replaces))
    conn.execute(api_inskickning.insert().values(id=submission_id, sha256=sha256, skapad=now()))

"""Statements about the people and systems of the web pages and the HTTP API (``anvandare``) and the
access log (``atkomst``): every view or download of a confidential document, and who submitted which
input through the API (action ``inskickning``, the submission id in ``detalj``)."""
from __future__ import annotations

from sqlalchemy import delete, select, update

from .schema import anvandare, atkomst, now, sessionstabell as webbsession

ROLES = ("handlaggare", "registrator", "lasare", "beslutsfattare")
#: The role of a person who decides documents (docgen.decisions); they may also submit like a handläggare.
DECISION_MAKER = "beslutsfattare"
SUBMITTED = "inskickning"


def add(conn, namn: str, roll: str, token_sha256: str, losenord: str | None, titel: str | None = None) -> int:
    """A new active user (``titel``: a beslutsfattare's title); returns its id."""
    return conn.execute(anvandare.insert().values(namn=namn, roll=roll, token_sha256=token_sha256, losenord=losenord,
                                                  aktiv=1, skapad=now(), titel=titel)).inserted_primary_key[0]


def remove(conn, namn: str) -> bool:
    """Remove a user and end its web logins (its access log rows stay); False if there was none."""
    conn.execute(delete(webbsession).where(webbsession.c.namn == namn))
    return conn.execute(delete(anvandare).where(anvandare.c.namn == namn)).rowcount == 1


def set_password(conn, namn: str, losenord: str | None) -> bool:
    """A new password hash (None: no web password) and every web login of the user ended; False if no such user."""
    conn.execute(delete(webbsession).where(webbsession.c.namn == namn))
    return conn.execute(update(anvandare).where(anvandare.c.namn == namn).values(losenord=losenord)).rowcount == 1


def listing(conn) -> list[dict]:
    """Every user, by name, without secrets."""
    q = select(anvandare.c.namn, anvandare.c.roll, anvandare.c.titel, anvandare.c.aktiv, anvandare.c.skapad,
               anvandare.c.losenord.is_not(None).label("har_losenord")).order_by(anvandare.c.namn)
    return [dict(r._mapping) for r in conn.execute(q)]


def by_token(conn, token_sha256: str) -> dict | None:
    """The active user whose API token hashes to ``token_sha256``."""
    row = conn.execute(select(anvandare).where(anvandare.c.token_sha256 == token_sha256, anvandare.c.aktiv == 1)).first()
    return dict(row._mapping) if row else None


def by_name(conn, namn: str) -> dict | None:
    """The active user called ``namn``."""
    row = conn.execute(select(anvandare).where(anvandare.c.namn == namn, anvandare.c.aktiv == 1)).first()
    return dict(row._mapping) if row else None


def log(conn, anvandare_namn: str, atgard: str, *, diarienummer: str | None = None, handling_id: int | None = None,
        detalj: str | None = None) -> None:
    """One row of the access log, stamped now."""
    conn.execute(atkomst.insert().values(tid=now(), anvandare=anvandare_namn, diarienummer=diarienummer,
                                         handling_id=handling_id, atgard=atgard, detalj=detalj))


def access_log(conn, diarienummer: str | None = None) -> list[dict]:
    """The access log, oldest first (one case's, if named)."""
    q = select(atkomst).order_by(atkomst.c.id)
    if diarienummer:
        q = q.where(atkomst.c.diarienummer == diarienummer)
    return [dict(r._mapping) for r in conn.execute(q)]


def submitter(conn, submission_id: str) -> str | None:
    """Who submitted the input with this id through the API."""
    return conn.execute(select(atkomst.c.anvandare).where(atkomst.c.atgard == SUBMITTED,
                                                          atkomst.c.detalj == submission_id)).scalar()

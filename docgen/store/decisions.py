"""Statements about documents waiting for a decision (tables ``beslutsunderlag``, ``beslutsunderlag_fil``, ``beslutsunderlag_utkast``): storing a waiting input once,
listing, recording the draft shown, deciding (a guarded UPDATE: exactly one decision wins), and the number it
got once registered."""
from __future__ import annotations

import json

from sqlalchemy import select, update

from .schema import beslut, beslut_fil, beslut_utkast, now

WAITING, DECIDED, RETURNED = "väntar", "fattat", "återvisat"
STATUSES = (WAITING, DECIDED, RETURNED)


def _row(row) -> dict:
    out = dict(row._mapping)
    out["beslutsfattare"] = json.loads(out["beslutsfattare"])
    return out


def add_waiting(conn, *, dokumenttyp: str, rubrik: str, indata: bytes, filnamn: str, sha256: str, inskickad_av: str,
                kalla: str, inskickning: str | None, beslutsfattare: list[str], files: dict[str, bytes]) -> int:
    """Store an input waiting for its decision, with its attachments; returns its id. The input already waiting
    (same ``sha256``) is not stored again: its id is returned."""
    found = waiting_id(conn, sha256)
    if found is not None:
        return found
    pid = conn.execute(beslut.insert().values(
        dokumenttyp=dokumenttyp, rubrik=rubrik, indata=indata, filnamn=filnamn, sha256=sha256,
        inskickad_av=inskickad_av, inskickad=now(), kalla=kalla, inskickning=inskickning,
        beslutsfattare=json.dumps(beslutsfattare, ensure_ascii=False), status=WAITING)).inserted_primary_key[0]
    for name, data in files.items():
        conn.execute(beslut_fil.insert().values(beslut_id=pid, namn=name, data=data))
    return pid


def waiting_id(conn, sha256: str) -> int | None:
    """The id of the input with this content that waits for its decision, or None."""
    return conn.execute(select(beslut.c.id).where(beslut.c.sha256 == sha256, beslut.c.status == WAITING)).scalar()


def decided_for(conn, sha256: str) -> dict | None:
    """The latest decision (fattat) on an input with this content that is not registered yet, or None."""
    row = conn.execute(select(beslut).where(beslut.c.sha256 == sha256, beslut.c.status == DECIDED,
                                            beslut.c.diarienummer.is_(None)).order_by(beslut.c.id.desc()).limit(1)).first()
    return _row(row) if row else None


def decided_unregistered(conn) -> list[dict]:
    """Decided (fattat) inputs whose row names no number yet, oldest decision first."""
    rows = conn.execute(select(beslut).where(beslut.c.status == DECIDED, beslut.c.diarienummer.is_(None))
                        .order_by(beslut.c.id))
    return [_row(r) for r in rows]


def for_document(conn, diarienummer: str, lopnummer: int) -> dict | None:
    """The decision (fattat) a registered document came from, or None."""
    row = conn.execute(select(beslut).where(beslut.c.diarienummer == diarienummer, beslut.c.lopnummer == lopnummer,
                                            beslut.c.status == DECIDED).order_by(beslut.c.id.desc()).limit(1)).first()
    return _row(row) if row else None


def get(conn, pid: int) -> dict | None:
    row = conn.execute(select(beslut).where(beslut.c.id == pid)).first()
    return _row(row) if row else None


def files(conn, pid: int) -> dict[str, bytes]:
    """The attachments stored with a waiting input, by the name the input gives them."""
    return {r.namn: r.data for r in conn.execute(select(beslut_fil.c.namn, beslut_fil.c.data)
                                                 .where(beslut_fil.c.beslut_id == pid).order_by(beslut_fil.c.id))}


def waiting(conn) -> list[dict]:
    """Every input waiting for a decision, oldest first (the caller picks those a person may decide)."""
    return [_row(r) for r in conn.execute(select(beslut).where(beslut.c.status == WAITING).order_by(beslut.c.id))]


def every(conn) -> list[dict]:
    """Every input submitted for a decision, any status, oldest first."""
    return [_row(r) for r in conn.execute(select(beslut).order_by(beslut.c.id))]


def by_submitter(conn, namn: str) -> list[dict]:
    """The inputs one person submitted for decision, any status, newest first."""
    return [_row(r) for r in conn.execute(select(beslut).where(beslut.c.inskickad_av == namn)
                                          .order_by(beslut.c.id.desc()))]


def by_submission(conn, sid: str) -> dict | None:
    """The latest decision row of a web or API submission id, or None."""
    row = conn.execute(select(beslut).where(beslut.c.inskickning == sid).order_by(beslut.c.id.desc()).limit(1)).first()
    return _row(row) if row else None


def by_inputs(conn, sha256s: list[str]) -> list[dict]:
    """The decisions (fattat) on inputs with these contents (a case's documents), oldest first."""
    if not sha256s:
        return []
    return [_row(r) for r in conn.execute(select(beslut).where(beslut.c.sha256.in_(sha256s), beslut.c.status == DECIDED)
                                          .order_by(beslut.c.id))]


def for_versions(conn, version_ids: list[int]) -> dict[int, dict]:
    """The decision (fattat) each of these registered versions came from, by version id (those without none)."""
    if not version_ids:
        return {}
    return {r.version_id: _row(r) for r in conn.execute(select(beslut).where(beslut.c.version_id.in_(version_ids),
                                                                             beslut.c.status == DECIDED))}


def shown(conn, pid: int, viewer: str, sha256: str) -> None:
    """Record a draft PDF shown to a decision maker."""
    conn.execute(beslut_utkast.insert().values(beslut_id=pid, anvandare=viewer, sha256=sha256, visat=now()))


def last_shown(conn, pid: int, viewer: str) -> str | None:
    """The SHA-256 of the last draft PDF shown to ``viewer``, or None if they were shown none."""
    return conn.execute(select(beslut_utkast.c.sha256).where(beslut_utkast.c.beslut_id == pid,
                                                             beslut_utkast.c.anvandare == viewer)
                        .order_by(beslut_utkast.c.id.desc()).limit(1)).scalar()


def decide(conn, pid: int, status: str, namn: str, titel: str | None, autentisering: str,
           kommentar: str | None, utkast_sha256: str | None) -> dict | None:
    """Decide a waiting input (fattat or återvisat) on the draft ``utkast_sha256``: only while it still waits, so
    of two concurrent decisions exactly one changes the row. Returns the row as decided, or None if it no longer
    waited."""
    assert status in (DECIDED, RETURNED)
    changed = conn.execute(update(beslut).where(beslut.c.id == pid, beslut.c.status == WAITING).values(
        status=status, beslutad_av=namn, beslutad_titel=titel, beslutad=now(), autentisering=autentisering,
        kommentar=kommentar, utkast_sha256=utkast_sha256)).rowcount
    return get(conn, pid) if changed == 1 else None


def registered(conn, pid: int, diarienummer: str, lopnummer: int, version_id: int | None) -> None:
    """The number a decided input got when it was registered."""
    conn.execute(update(beslut).where(beslut.c.id == pid).values(diarienummer=diarienummer, lopnummer=lopnummer,
                                                                 version_id=version_id))

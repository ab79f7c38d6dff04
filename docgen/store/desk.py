"""What the web desk keeps and reads: drafts an officer saved, one's own submissions, and the access and
submission logs for registrators."""
from __future__ import annotations

import json

from sqlalchemy import delete, select, update

from .access import submitted_by
from .schema import atkomst, handling, now, utkast, version
from .users import SUBMITTED

#: The access log's action for a new version made from the web (its detail: "version N: the reason").
NEW_VERSION = "ny_version"


def save_draft(conn, anvandare: str, dokumenttyp: str, variant: str | None, data: dict, draft_id: int | None = None) -> int:
    """Keep a form as far as it was filled in (a new draft, or the officer's own draft ``draft_id`` replaced)."""
    values = dict(anvandare=anvandare, dokumenttyp=dokumenttyp, variant=variant, rubrik=str(data.get("rubrik") or ""),
                  indata=json.dumps(data, ensure_ascii=False), andrad=now())
    if draft_id is not None:
        done = conn.execute(update(utkast).where(utkast.c.id == draft_id, utkast.c.anvandare == anvandare).values(**values))
        if done.rowcount:
            return draft_id
    return conn.execute(utkast.insert().values(**values)).inserted_primary_key[0]


def drafts_of(conn, anvandare: str) -> list[dict]:
    rows = conn.execute(select(utkast).where(utkast.c.anvandare == anvandare).order_by(utkast.c.andrad.desc(), utkast.c.id.desc()))
    return [dict(r._mapping) for r in rows]


def draft(conn, anvandare: str, draft_id: int) -> dict | None:
    """One's own draft, with its input as data."""
    row = conn.execute(select(utkast).where(utkast.c.id == draft_id, utkast.c.anvandare == anvandare)).first()
    return dict(row._mapping, data=json.loads(row.indata)) if row else None


def delete_draft(conn, anvandare: str, draft_id: int) -> None:
    conn.execute(delete(utkast).where(utkast.c.id == draft_id, utkast.c.anvandare == anvandare))


def submissions_of(conn, anvandare: str | None, limit: int = 200) -> list[dict]:
    """What was submitted through the web or the API (one's own, or everyone's for ``None``), newest first:
    time, who, submission id."""
    q = select(atkomst.c.tid, atkomst.c.anvandare, atkomst.c.detalj.label("id")).where(atkomst.c.atgard == SUBMITTED)
    if anvandare is not None:
        q = q.where(atkomst.c.anvandare == anvandare)
    return [dict(r._mapping) for r in conn.execute(q.order_by(atkomst.c.id.desc()).limit(limit))]


def access_log(conn, limit: int = 500, atgard: str | None = None) -> list[dict]:
    """The access log, newest first: time, who, what was done, to which case, and the detail."""
    q = select(atkomst)
    if atgard:
        q = q.where(atkomst.c.atgard == atgard)
    return [dict(r._mapping) for r in conn.execute(q.order_by(atkomst.c.id.desc()).limit(limit))]


def latest_input(conn, handling_id: int) -> dict | None:
    """The input of a document's latest version (what "Ny från denna" starts from)."""
    row = conn.execute(select(version.c.indata).where(version.c.handling_id == handling_id)
                       .order_by(version.c.version.desc()).limit(1)).first()
    return json.loads(row.indata) if row else None


def submitted(conn, anvandare: str, handling_ids: list[int]) -> set[int]:
    """Those of the documents ``handling_ids`` this user submitted (through the web or the API)."""
    if not handling_ids:
        return set()
    q = select(handling.c.id).where(handling.c.id.in_(handling_ids), submitted_by(anvandare))
    return {r[0] for r in conn.execute(q)}


def version_reasons(conn, handling_ids: list[int]) -> dict[tuple[int, int], str]:
    """Why each new version made from the web was made, by (document id, version)."""
    if not handling_ids:
        return {}
    q = select(atkomst.c.handling_id, atkomst.c.detalj).where(atkomst.c.atgard == NEW_VERSION,
                                                              atkomst.c.handling_id.in_(handling_ids))
    out = {}
    for hid, detail in conn.execute(q):
        number, _, reason = (detail or "").partition(": ")
        if number.startswith("version ") and number[8:].isdigit():
            out[(hid, int(number[8:]))] = reason
    return out

"""What a user may see of the diarium, decided in SQL: a confidential document (``handling.sekretess``
set) is visible to a registrator, to the handläggare who submitted it through the API, and to nobody
else; a voided document only to a registrator. The search here is the registrar's (``search``) with that condition added."""
from __future__ import annotations

from sqlalchemy import and_, exists, literal, or_, select, true

from ..model import DocStatus
from .schema import arende, atkomst, handling, version
from .search import _filtered, latest_version
from .users import SUBMITTED

#: The API's input files are named ``api-<submission id>.<suffix>``; the watcher records them as ``<claim>/<name>``.
API_PREFIX = "api-"


def visible(roll: str, namn: str):
    """The condition on ``handling`` under which a user with this role and name may see a document."""
    if roll == "registrator":
        return true()
    # A voided document never got its confidentiality recorded (that happens at registration): registrators only.
    public = and_(handling.c.sekretess.is_(None), handling.c.status != DocStatus.VOIDED)
    if roll != "handlaggare":
        return public
    return or_(public, submitted_by(namn))


def submitted_by(namn: str):
    """The condition on ``handling`` that this user submitted the document through the web or the API."""
    return exists(select(version.c.id).select_from(version.join(atkomst, and_(
        atkomst.c.atgard == SUBMITTED, atkomst.c.anvandare == namn,
        version.c.kalla.like(literal(f"%/{API_PREFIX}") + atkomst.c.detalj + literal(".%")))))
        .where(version.c.handling_id == handling.c.id))


def documents(conn, roll: str, namn: str, *, limit: int | None = None, before_id: int | None = None,
              newest_first: bool = False, **filters) -> list[dict]:
    """The registrar's search (``search.documents``) limited to what this user may see; with ``newest_first``
    ordered by the document's id, newest first (a stable order for paging: ``before_id`` is the last one seen)."""
    q = (select(arende.c.diarienummer, arende.c.serie, arende.c.ar, arende.c.extern, handling.c.id.label("handling_id"),
                handling.c.lopnummer, handling.c.dokumenttyp, handling.c.rubrik, handling.c.datum, handling.c.status,
                handling.c.registrerad, handling.c.motpart, handling.c.beskrivning, handling.c.enhet, handling.c.sekretess,
                handling.c.arkivpaket, latest_version().label("version"))
         .select_from(handling.join(arende, arende.c.id == handling.c.arende_id))
         .where(handling.c.status != DocStatus.RESERVED, visible(roll, namn))
         .order_by(*((handling.c.id.desc(),) if newest_first else
                     (arende.c.ar.desc(), arende.c.nummer.desc(), handling.c.lopnummer))))
    if before_id is not None:
        q = q.where(handling.c.id < before_id)
    q = _filtered(q, **filters)
    if limit:
        q = q.limit(int(limit))
    return [dict(r._mapping) for r in conn.execute(q)]


def visible_ids(conn, roll: str, namn: str, handling_ids: list[int]) -> set[int]:
    """Those of the documents ``handling_ids`` this user may see."""
    if not handling_ids:
        return set()
    q = select(handling.c.id).where(handling.c.id.in_(handling_ids), visible(roll, namn))
    return {r[0] for r in conn.execute(q)}


def sees_case(conn, roll: str, namn: str, arende_id: int) -> bool:
    """Whether this user may see the case: a registrator always, anyone else through a document they may see."""
    if roll == "registrator":
        return True
    q = select(handling.c.id).where(handling.c.arende_id == arende_id, handling.c.status != DocStatus.RESERVED,
                                    visible(roll, namn)).limit(1)
    return conn.execute(q).first() is not None


def by_source(conn, submission_id: str) -> dict | None:
    """The registered document made from the API input with this id: number, running number, latest files."""
    q = (select(handling.c.id.label("handling_id"), handling.c.lopnummer, handling.c.status, arende.c.diarienummer)
         .select_from(version.join(handling, handling.c.id == version.c.handling_id)
                      .join(arende, arende.c.id == handling.c.arende_id))
         .where(version.c.kalla.like(f"%/{API_PREFIX}{submission_id}.%"),
                handling.c.status.in_([DocStatus.REGISTERED, DocStatus.ARCHIVED]))
         .limit(1))
    row = conn.execute(q).first()
    return dict(row._mapping) if row else None

"""Statements of registering: a reservation becomes a registered document with a version, its files and
its deliveries; a later version is added to it; packaged documents are marked archived."""
from __future__ import annotations

from sqlalchemy import func, select

from ..errors import DocgenError
from ..model import CaseStatus, DocStatus
from .schema import arende, fil, handling, leverans, now, version


class TakenOver(DocgenError):
    """This attempt lost its reservation to another process (which took the job over): it registers nothing."""

    def __init__(self, source: str, holder: str | None, status: str | None):
        self.holder, self.status = holder, status
        who = holder or "(en annan process / another process)"
        super().__init__(
            f"{source}: försöket togs över av {who} och avslutas utan att ändra något (dokumentets status är den "
            f"som {who} gav det). / this attempt was taken over by {who} and ends without changing anything (the "
            f"document's status is what {who} made it).")


def next_version(conn, handling_id: int) -> int:
    return (conn.execute(select(func.max(version.c.version)).where(version.c.handling_id == handling_id)).scalar() or 0) + 1


def register_version(conn, *, handling_id: int, case_id: int, version_no: int, first: bool, indata: str, source: str,
                     template: str, template_sha256: str, plugin: str, docgen_version: str, made_by: str,
                     files: list, deliveries: list, motpart: str, beskrivning: str, sekretess: str | None,
                     owner: str | None = None) -> int:
    """Store a version with its files and deliveries; the first one also registers the document.

    The first version is the fence of a reservation: it registers only while ``owner`` (the process that
    reserved the number or took the reservation over) still holds it, in the statement that takes the
    document's row lock; otherwise ``TakenOver`` and nothing is written.
    A later version (regeneration) leaves the document's registration (date, motpart) as it was.
    Returns the version id; each delivery's ``id`` is set to its row's.
    """
    stamp = now()
    if first:
        q = handling.update().where(handling.c.id == handling_id)
        if owner is not None:
            q = q.where(handling.c.status == DocStatus.RESERVED, handling.c.agare == owner)
        if conn.execute(q.values(status=DocStatus.REGISTERED, registrerad=stamp, agare=None, motpart=motpart,
                                 beskrivning=beskrivning, sekretess=sekretess)).rowcount != 1:
            row = conn.execute(select(handling.c.agare, handling.c.status).where(handling.c.id == handling_id)).first()
            raise TakenOver(source, row.agare if row else None, row.status if row else None)
    conn.execute(arende.update().where(arende.c.id == case_id, arende.c.status == CaseStatus.RESERVED)
                 .values(status=CaseStatus.OPEN))
    vid = conn.execute(version.insert().values(
        handling_id=handling_id, version=version_no, indata=indata, kalla=source, mall=template,
        mall_sha256=template_sha256, plugin=plugin, docgen_version=docgen_version, skapad_av=made_by, skapad=stamp,
    )).inserted_primary_key[0]
    if files:  # one statement for all the files, one for all the deliveries
        conn.execute(fil.insert().values([dict(version_id=vid, typ=f.typ, sokvag=f.path, sha256=f.sha256,
                                               storlek=f.size) for f in files]))
    if deliveries:
        ids = conn.execute(leverans.insert().values([dict(
            version_id=vid, syfte=d.syfte, namn=d.namn, epost=d.epost, meddelande=d.meddelande, status=str(d.status),
            resultat=d.resultat) for d in deliveries]).returning(leverans.c.id)).scalars().all()
        # ids are handed out in the order of the VALUES rows (one statement, one sequence or rowid range)
        for d, i in zip(deliveries, sorted(ids)):
            d.id = i
    return vid


def mark_archived(conn, handling_ids: list[int], package_id: str) -> None:
    conn.execute(handling.update().where(handling.c.id.in_(handling_ids)).values(
        status=DocStatus.ARCHIVED, arkivpaket=package_id, arkiverad=now()))


def version_with_pdf(conn, handling_id: int, version_no: int, pdf_sha256: str) -> int | None:
    """The id of this version of the document if the diarium holds it with exactly this PDF (after a connection
    lost at the COMMIT that registers it: whether it committed), else None."""
    return conn.execute(select(version.c.id).join(fil, fil.c.version_id == version.c.id).where(
        version.c.handling_id == handling_id, version.c.version == version_no, fil.c.typ == "pdf",
        fil.c.sha256 == pdf_sha256)).scalar()


def holds_version(conn, handling_id: int, version_no: int, pdf_path: str, pdf_sha256: str) -> bool:
    """Whether the diarium holds this version of the document with exactly this PDF (a staging folder's
    version was registered)."""
    return conn.execute(
        select(fil.c.id).join(version, version.c.id == fil.c.version_id)
        .where(version.c.handling_id == handling_id, version.c.version == version_no, fil.c.typ == "pdf",
               fil.c.sokvag == pdf_path, fil.c.sha256 == pdf_sha256).limit(1)).first() is not None

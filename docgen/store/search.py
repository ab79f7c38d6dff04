"""The registrar's queries: search the register, one case in full, what regeneration, fixity checks and
archival packages read. The "latest version of a document" is defined once, in ``latest_version``."""
from __future__ import annotations

from sqlalchemy import and_, func, select

from ..model import DocStatus
from .schema import arende, fil, handling, leverans, version


def latest_version():
    """A correlated subquery: the highest version number of the document ``handling``."""
    v2 = version.alias("v2")
    return select(func.max(v2.c.version)).where(v2.c.handling_id == handling.c.id).scalar_subquery()


def _filtered(q, *, typ=None, serie=None, ar=None, fran=None, till=None, status=None, text=None, dnr=None):
    """The registrar's filters, as in `docgen registry list`."""
    for column, value in ((handling.c.dokumenttyp, typ), (arende.c.serie, serie), (arende.c.ar, ar),
                          (handling.c.status, status), (arende.c.diarienummer, dnr)):
        if value is not None:
            q = q.where(column == value)
    if fran:
        q = q.where(handling.c.datum >= fran)
    if till:
        q = q.where(handling.c.datum <= till)
    if text:
        q = q.where(func.lower(handling.c.rubrik).like(f"%{text.lower()}%"))
    return q


def documents(conn, *, limit: int | None = None, **filters) -> list[dict]:
    """Registered, voided and archived documents, newest first, with their latest version number."""
    q = (select(arende.c.diarienummer, arende.c.serie, arende.c.ar, arende.c.extern, handling.c.lopnummer,
                handling.c.dokumenttyp, handling.c.rubrik, handling.c.datum, handling.c.status, handling.c.registrerad,
                handling.c.motpart, handling.c.beskrivning, handling.c.enhet, handling.c.sekretess, handling.c.arkivpaket,
                latest_version().label("version"))
         .select_from(handling.join(arende, arende.c.id == handling.c.arende_id))
         .where(handling.c.status != DocStatus.RESERVED)
         .order_by(arende.c.ar.desc(), arende.c.nummer.desc(), handling.c.lopnummer))
    q = _filtered(q, **filters)
    if limit:
        q = q.limit(int(limit))
    return [dict(r._mapping) for r in conn.execute(q)]


def case(conn, diarienummer: str) -> dict | None:
    """One case: its documents, every version with its files and checksums, and every delivery."""
    row = conn.execute(select(arende).where(arende.c.diarienummer == diarienummer)).first()
    if row is None:
        return None
    out = dict(row._mapping)
    docs = [dict(r._mapping) for r in conn.execute(
        select(handling).where(handling.c.arende_id == out["id"]).order_by(handling.c.lopnummer))]
    for d in docs:
        d["versioner"] = [dict(r._mapping) for r in conn.execute(
            select(version.c.id, version.c.version, version.c.kalla, version.c.mall, version.c.mall_sha256,
                   version.c.plugin, version.c.docgen_version, version.c.skapad_av, version.c.skapad)
            .where(version.c.handling_id == d["id"]).order_by(version.c.version))]
        for v in d["versioner"]:
            v["filer"] = [dict(r._mapping) for r in conn.execute(
                select(fil.c.typ, fil.c.sokvag, fil.c.sha256, fil.c.storlek).where(fil.c.version_id == v["id"])
                .order_by(fil.c.typ))]
            v["utskick"] = [dict(r._mapping) for r in conn.execute(
                select(leverans.c.id, leverans.c.syfte, leverans.c.namn, leverans.c.epost, leverans.c.status, leverans.c.resultat,
                       leverans.c.expedierad, leverans.c.meddelande).where(leverans.c.version_id == v["id"])
                .order_by(leverans.c.id))]
    out["handlingar"] = docs
    return out


def latest_versions(conn, **filters) -> list[dict]:
    """Registered and archived documents with their latest version's snapshot and PDF (for regeneration)."""
    pdf = (select(fil.c.sokvag).where(fil.c.version_id == version.c.id, fil.c.typ == "pdf").limit(1)
           .scalar_subquery())
    q = (select(handling.c.id.label("handling_id"), handling.c.arende_id, handling.c.lopnummer, handling.c.status,
                handling.c.dokumenttyp, handling.c.rubrik, handling.c.arkivpaket, arende.c.diarienummer,
                version.c.version, version.c.indata, version.c.mall, version.c.mall_sha256, version.c.plugin,
                version.c.docgen_version, pdf.label("pdf"))
         .select_from(handling.join(arende, arende.c.id == handling.c.arende_id)
                      .join(version, and_(version.c.handling_id == handling.c.id, version.c.version == latest_version())))
         .where(handling.c.status.in_([DocStatus.REGISTERED, DocStatus.ARCHIVED]))
         .order_by(arende.c.ar, arende.c.nummer, handling.c.lopnummer))
    return [dict(r._mapping) for r in conn.execute(_filtered(q, **filters))]


def all_files(conn) -> list[dict]:
    """Every file of every version, for the fixity check."""
    q = (select(arende.c.diarienummer, handling.c.lopnummer, version.c.version, fil.c.typ, fil.c.sokvag, fil.c.sha256)
         .select_from(fil.join(version, version.c.id == fil.c.version_id)
                      .join(handling, handling.c.id == version.c.handling_id)
                      .join(arende, arende.c.id == handling.c.arende_id))
         .order_by(arende.c.diarienummer, handling.c.lopnummer, version.c.version))
    return [dict(r._mapping) for r in conn.execute(q)]


def packages(conn) -> set[str]:
    """The ids of the archival packages the diarium knows."""
    return {r[0] for r in conn.execute(select(handling.c.arkivpaket).where(handling.c.arkivpaket.is_not(None)).distinct())}


def for_package(conn, diarienummer: str) -> tuple[dict | None, list[dict]]:
    """A case and its registered (not yet archived) documents at their latest version, each with its
    deliveries (every version's) and its latest version's files."""
    row = conn.execute(select(arende).where(arende.c.diarienummer == diarienummer)).first()
    if row is None:
        return None, []
    the_case = dict(row._mapping)
    docs = [dict(r._mapping) for r in conn.execute(
        select(handling, version.c.version, version.c.indata, version.c.id.label("version_id"))
        .select_from(handling.join(version, and_(version.c.handling_id == handling.c.id,
                                                 version.c.version == latest_version())))
        .where(handling.c.arende_id == the_case["id"], handling.c.status == DocStatus.REGISTERED)
        .order_by(handling.c.lopnummer))]
    for d in docs:
        d["leveranser"] = [dict(r._mapping) for r in conn.execute(
            select(leverans.c.namn, leverans.c.epost, leverans.c.status, leverans.c.expedierad)
            .join(version, version.c.id == leverans.c.version_id).where(version.c.handling_id == d["id"]))]
        d["filer"] = [dict(r._mapping) for r in conn.execute(
            select(fil.c.typ, fil.c.sokvag, fil.c.sha256).where(fil.c.version_id == d["version_id"]))]
    return the_case, docs

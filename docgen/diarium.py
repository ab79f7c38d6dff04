"""The registrar's view of the diarium: search the register and show one case in full.

For every registered document the four things Swedish public-records practice (OSL 5 kap.)
asks for are recorded and shown: the date it was registered, its diarienummer, the sender or
recipient (motpart), and a short description of what it concerns.
"""
from __future__ import annotations

import json

from .registry import Registry


def filter_sql(*, typ=None, serie=None, ar=None, fran=None, till=None, status=None, text=None, dnr=None) -> tuple[list[str], dict]:
    """``and ...`` clauses and parameters for the registrar's filters (tables aliased h = handling, a = arende)."""
    sql: list[str] = []
    params: dict = {}
    for column, key, value in (("h.dokumenttyp", "typ", typ), ("a.serie", "serie", serie), ("a.ar", "ar", ar),
                               ("h.status", "status", status), ("a.diarienummer", "dnr", dnr)):
        if value is not None:
            sql.append(f"and {column} = :{key}")
            params[key] = value
    if fran:
        sql.append("and h.datum >= :fran")
        params["fran"] = fran
    if till:
        sql.append("and h.datum <= :till")
        params["till"] = till
    if text:
        sql.append("and lower(h.rubrik) like :text")
        params["text"] = f"%{text.lower()}%"
    return sql, params


def list_documents(registry: Registry, *, limit: int | None = None, **filters) -> list[dict]:
    """Registered documents, newest first, filtered by type, series, year, date range, status, title text, case."""
    sql = ["select a.diarienummer, a.serie, a.ar, h.lopnummer, h.dokumenttyp, h.rubrik, h.datum, h.status,",
           "h.registrerad, h.motpart, h.beskrivning, h.enhet, h.sekretess, h.arkivpaket, a.extern,",
           "(select max(v.version) from version v where v.handling_id = h.id) as version",
           "from handling h join arende a on a.id = h.arende_id where h.status != 'reserverad'"]
    where, params = filter_sql(**filters)
    sql += where
    sql.append("order by a.ar desc, a.nummer desc, h.lopnummer")
    if limit:
        sql.append(f"limit {int(limit)}")
    return registry.query(" ".join(sql), **params)


def show_case(registry: Registry, diarienummer: str) -> dict | None:
    """One case: its documents, every version with its files and checksums, and every delivery."""
    cases = registry.query("select * from arende where diarienummer = :d", d=diarienummer)
    if not cases:
        return None
    case = cases[0]
    docs = registry.query("select * from handling where arende_id = :a order by lopnummer", a=case["id"])
    for d in docs:
        d["sekretess"] = json.loads(d["sekretess"]) if d.get("sekretess") else None
        d["versioner"] = registry.query(
            "select id, version, kalla, mall, mall_sha256, plugin, docgen_version, skapad_av, skapad from version "
            "where handling_id = :h order by version", h=d["id"])
        for v in d["versioner"]:
            v["filer"] = registry.query("select typ, sokvag, sha256, storlek from fil where version_id = :v order by typ", v=v["id"])
            v["utskick"] = registry.query(
                "select syfte, namn, epost, status, resultat, expedierad, meddelande from leverans where version_id = :v order by id",
                v=v["id"])
    case["handlingar"] = docs
    return case


def format_case(case: dict) -> str:
    extern = "  [externt diarienummer / numbered by the records system]" if case.get("extern") else ""
    out = [f"Ärende {case['diarienummer']}  ({case['status']})  {case['rubrik']}{extern}",
           f"  skapat {case['skapad']}" + (f", makulerat: {case['makulerad_orsak']}" if case.get("makulerad_orsak") else "")]
    for d in case["handlingar"]:
        out.append("")
        out.append(f"  Handling {d['lopnummer']}: {d['dokumenttyp']} — {d['rubrik']}  [{d['status']}]")
        out.append(f"    datum {d['datum']}, registrerad {d['registrerad'] or '-'}, enhet {d['enhet'] or '-'}")
        out.append(f"    motpart (avsändare/mottagare): {d['motpart'] or '-'}")
        out.append(f"    beskrivning: {d['beskrivning'] or d['rubrik']}")
        if d.get("sekretess"):
            out.append(f"    sekretess: {d['sekretess']['bestämmelse']} ({d['sekretess']['datum']})")
        if d.get("makulerad_orsak"):
            out.append(f"    makulerad: {d['makulerad_orsak']}")
        if d.get("arkivpaket"):
            out.append(f"    arkiverad {d['arkiverad']} i paket {d['arkivpaket']}")
        for v in d["versioner"]:
            out.append(f"    version {v['version']}  {v['skapad']}  av {v['skapad_av']}  mall {v['mall']} ({v['mall_sha256'][:12]}…)")
            for f in v["filer"]:
                out.append(f"      {f['typ']:<5} sha256 {f['sha256']}  {f['storlek']} B  {f['sokvag']}")
            for u in v["utskick"]:
                when = f" {u['expedierad']}" if u.get("expedierad") else ""
                out.append(f"      utskick {u['status']:<12}{when} {u['syfte']}: {u['namn']} {u['epost'] or ''}"
                           + (f" — {u['resultat']}" if u.get("resultat") and u["status"] != "skickad" else ""))
    return "\n".join(out)

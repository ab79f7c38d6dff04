"""The registrar's view of the diarium: search the register and show one case in full.

For every registered document the four things Swedish public-records practice (OSL 5 kap.)
asks for are recorded and shown: the date it was registered, its diarienummer, the sender or
recipient (motpart), and a short description of what it concerns.
"""
from __future__ import annotations

import json

from ..config import Config
from ..dnr import from_slug
from ..model import DeliveryStatus
from ..store import Store, decisions, search

#: What a case shows of a version's decision (docgen.decisions).
DECISION_RECORD = ("inskickad_av", "inskickad", "beslutad_av", "beslutad_titel", "beslutad", "autentisering",
                   "utkast_sha256", "beslutsfattare")


def list_documents(store: Store, *, limit: int | None = None, **filters) -> list[dict]:
    """Registered, voided and archived documents, newest first, filtered by type, series, year, date range,
    status, title text or case."""
    with store.read() as conn:
        return search.documents(conn, limit=limit, **filters)


def show_case(store: Store, diarienummer: str) -> dict | None:
    """One case: its documents, every version with its files and checksums, and every delivery."""
    with store.read() as conn:
        case = search.case(conn, diarienummer)
        versions = [v for d in case["handlingar"] for v in d["versioner"]] if case else []
        decided = decisions.for_versions(conn, [v["id"] for v in versions])
    for d in case["handlingar"] if case else []:
        d["sekretess"] = json.loads(d["sekretess"]) if d.get("sekretess") else None
    for v in versions:  # decided in docgen: who submitted, who decided, when, how authenticated, on which draft
        row = decided.get(v["id"])
        v["beslutat"] = {k: row[k] for k in DECISION_RECORD} if row else None
    return case


def find_case(store: Store, config: Config, text: str) -> dict | None:
    """The case ``text`` names, written as configured (``RS 2026-00042``) or as in folder names (``RS-2026-00042``)."""
    configured = from_slug(config, text)
    return show_case(store, text) or (show_case(store, configured) if configured != text else None)


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
            if v.get("beslutat"):
                b = v["beslutat"]
                who = b["beslutad_av"] + (f", {b['beslutad_titel']}" if b.get("beslutad_titel") else "")
                out.append(f"      beslutat av / decided by {who}  {b['beslutad']}  ({b['autentisering']})")
                out.append(f"      inskickat av / submitted by {b['inskickad_av']}  {b['inskickad']}")
                out.append(f"      utkastet som visades / draft shown: sha256 {b['utkast_sha256']}")
            for f in v["filer"]:
                out.append(f"      {f['typ']:<5} sha256 {f['sha256']}  {f['storlek']} B  {f['sokvag']}")
            for u in v["utskick"]:
                when = f" {u['expedierad']}" if u.get("expedierad") else ""
                out.append(f"      utskick {u['status']:<12}{when} {u['syfte']}: {u['namn']} {u['epost'] or ''}"
                           + (f" — {u['resultat']}" if u.get("resultat") and u["status"] != DeliveryStatus.SENT else "")
                           + f"  [id {u['id']}]")
    return "\n".join(out)

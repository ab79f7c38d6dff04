"""Stage 6, distribute: expand an input's distribution ("skickas till") into recipients by purpose.

A group names its purpose (syfte) and recipients: inline persons, the document's own parties
(``part: uppdragstagare``) or named lists (``lista: ...``, from the workspace's distribution lists).
Recipients are de-duplicated by e-mail address (the first group that names an address keeps it).
"""
from __future__ import annotations

from .errors import InputError, problem
from .load import join_path

PERSON_KEYS = ("namn", "titel", "organisation", "epost", "intern", "via")


def recipient_line(r: dict) -> str:
    """``Namn, titel, organisation, e-post`` (what the document's distribution section shows)."""
    parts = [r.get("namn", "")] + [r[k] for k in ("titel", "organisation", "epost") if r.get(k)]
    line = ", ".join(p for p in parts if p)
    if r.get("via"):
        line += f" (via {r['via']})"
    return line


def group_heading(syfte: str) -> str:
    return syfte[:1].upper() + syfte[1:]


def expand(doc, lists: dict | None = None) -> list[dict]:
    """The document's distribution groups with every recipient spelled out; raises InputError."""
    lists = lists or {}
    data = doc.data
    problems = []
    seen: set[str] = set()
    groups = []
    for gi, group in enumerate(data.get("skickas_till") or []):
        gpath = join_path(join_path("", "skickas_till"), gi)
        members: list[dict] = []
        for ri, rec in enumerate(group["mottagare"]):
            rpath = join_path(join_path(gpath, "mottagare"), ri)
            if "part" in rec:
                party = data.get(rec["part"]) or []
                people = [dict(p, roll=doc.type.cls.parties[rec["part"]]) for p in ([party] if isinstance(party, dict) else party)]
            elif "lista" in rec:
                if rec["lista"] not in lists:
                    known = ", ".join(sorted(lists)) or "(inga listor är definierade / none defined)"
                    problems.append(problem(
                        join_path(rpath, "lista"), f"okänd sändlista {rec['lista']!r}.", f"unknown distribution list {rec['lista']!r}.",
                        f"kända listor: {known}.", f"known lists: {known}.", doc.loaded.line_of(join_path(rpath, "lista"))))
                    continue
                people = [dict(p) for p in lists[rec["lista"]]["medlemmar"]]
            else:
                people = [{k: rec[k] for k in PERSON_KEYS if k in rec}]
            for person in people:
                if rec.get("via") and "via" not in person:
                    person["via"] = rec["via"]
                key = (person.get("epost") or "").lower()
                if key and key in seen:
                    continue
                if key:
                    seen.add(key)
                person["rad"] = recipient_line(person)
                members.append(person)
        groups.append({"syfte": group["syfte"], "rubrik": group_heading(group["syfte"]), "mottagare": members})
    if problems:
        raise InputError(doc.source, problems)
    return [g for g in groups if g["mottagare"]]

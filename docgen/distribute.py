"""Stage 6, distribute: expand an input's distribution ("skickas till") into recipients by purpose.

A group names its purpose (syfte) and recipients: inline persons, the document's own parties
(``part: uppdragstagare``) or named lists (``lista: ...``, from the workspace's distribution lists).
Recipients are de-duplicated by e-mail address (the first group that names an address keeps it).
"""
from __future__ import annotations

from email import policy
from email.parser import BytesParser
from pathlib import Path

import yaml

from .errors import ConfigError, InputError, problem
from .load import join_path
from .mail import SmtpSender, build_message
from .files import atomic_write, safe_name

PERSON_KEYS = ("namn", "titel", "organisation", "epost", "intern", "via")


def email_address(value: str) -> str | None:
    from .validate import email_address as check
    return check(value)


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


# -- named lists ---------------------------------------------------------------------------------

def load_lists(path: Path | None) -> dict:
    """Named distribution lists from the workspace file, with included lists expanded.

    Format: ``listor: {name: {namn: display name, medlemmar: [person | {lista: other}]}}``.
    Errors (unknown included list, a cycle, a member without name, a malformed address) name
    the file, the list and the member.
    """
    if path is None or not path.exists():
        return {}
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    lists = raw.get("listor") if isinstance(raw, dict) else None
    if not isinstance(lists, dict):
        raise ConfigError(f"{path}: expected `listor:` with one entry per list")
    errors = []
    for name, lst in lists.items():
        if not isinstance(lst, dict) or not isinstance(lst.get("medlemmar"), list):
            errors.append(f"list {name!r}: needs `namn:` and `medlemmar:` (a list)")
            continue
        for i, m in enumerate(lst["medlemmar"], 1):
            where = f"list {name!r}, member {i}"
            if not isinstance(m, dict):
                errors.append(f"{where}: must be a person (namn, titel, epost, ...) or `lista: NAME`")
            elif "lista" in m:
                if m["lista"] not in lists:
                    errors.append(f"{where}: includes unknown list {m['lista']!r} (known: {', '.join(sorted(lists))})")
            elif not m.get("namn"):
                errors.append(f"{where}: has no namn")
            elif m.get("epost") and email_address(str(m["epost"])) is None:
                errors.append(f"{where} ({m['namn']}): malformed e-mail address {m['epost']!r}")
    if errors:
        raise ConfigError(f"{path}: " + "; ".join(errors))

    expanded: dict[str, dict] = {}

    def expand_list(name: str, chain: list[str]) -> list[dict]:
        if name in chain:
            raise ConfigError(f"{path}: list {name!r} includes itself: {' → '.join(chain + [name])}")
        out = []
        for m in lists[name]["medlemmar"]:
            if "lista" in m:
                out.extend(expand_list(m["lista"], chain + [name]))
            else:
                out.append({k: m[k] for k in PERSON_KEYS if k in m})
        return out

    for name, lst in lists.items():
        expanded[name] = {"namn": lst.get("namn", name), "medlemmar": expand_list(name, [])}
    return expanded


# -- applying the distribution ------------------------------------------------------------------

def is_internal(address: str, domains: list[str]) -> bool:
    domain = address.rpartition("@")[2].lower()
    return any(domain == d.lower() or domain.endswith("." + d.lower()) for d in domains)


def plan_deliveries(doc, distribution: list[dict], config) -> list[dict]:
    """One delivery per recipient: status skapad (to send), ej_levererad (no address) or nekad."""
    internal = config.section("distribution").get("interna_domaner", [])
    confidential = bool(doc.data.get("sekretess"))
    out = []
    for g in distribution:
        for m in g["mottagare"]:
            d = {"syfte": g["syfte"], "namn": m.get("namn", ""), "epost": m.get("epost"), "status": "skapad", "resultat": None}
            if not d["epost"]:
                d["status"], d["resultat"] = "ej_levererad", "ingen e-postadress / no e-mail address"
            elif confidential and not is_internal(d["epost"], internal):
                d["status"] = "nekad"
                d["resultat"] = "sekretess: adressen är inte intern / confidential: address outside the internal domains"
            out.append(d)
    return out


def write_messages(deliveries: list[dict], doc, diarienummer: str, pdf: Path, folder: Path, outbox: Path, config) -> None:
    """Write an RFC 5322 message with the PDF for every delivery to send (``utskick/NN-name.eml``)."""
    dist = config.section("distribution")
    sender = dist.get("avsandare", "registrator@example.se")
    title = doc.type.cls.title or doc.type.name
    unit = doc.data.get("enhet") or config.units[0]
    for n, d in enumerate(deliveries, 1):
        if d["status"] != "skapad":
            continue
        body = (
            f"Hej {d['namn']},\n\n"
            f"Bifogat finns {title.lower()} \"{doc.data['rubrik']}\" med diarienummer {diarienummer}. "
            f"Den skickas till dig {d['syfte']}.\n\n"
            f"Med vänlig hälsning\n{config.organisation}, {unit}\n"
        )
        ascii_address = email_address(d["epost"]) or d["epost"]  # IDN domains as punycode: what SMTP carries
        msg = build_message(sender=sender, recipient={**d, "epost": ascii_address}, subject=f"{diarienummer} {doc.data['rubrik']}", body=body, pdf=pdf)
        path = folder / "utskick" / f"{n:02d}-{safe_name(d['namn'], 40)}.eml"
        atomic_write(path, msg.as_bytes(policy=policy.SMTP.clone(cte_type="7bit")))
        d["meddelande"] = str(path.relative_to(outbox))


def send_pending(registry, config, only_version: int | None = None, diarienummer: str | None = None) -> list[dict]:
    """Send every delivery not yet sent (status skapad or misslyckad); record the outcome of each."""
    from .registry import leverans, now

    sender = SmtpSender(config.section("smtp"))
    if not sender.enabled:
        return []
    sql = ("select l.id, l.meddelande, l.namn, l.epost from leverans l join version v on v.id=l.version_id "
           "join handling h on h.id=v.handling_id join arende a on a.id=h.arende_id "
           "where l.status in ('skapad','misslyckad')")
    params = {}
    if only_version is not None:
        sql += " and l.version_id = :vid"
        params["vid"] = only_version
    if diarienummer:
        sql += " and a.diarienummer = :dnr"
        params["dnr"] = diarienummer
    outcomes = []
    for row in registry.query(sql + " order by l.id", **params):
        path = config.outbox / row["meddelande"]
        try:
            msg = BytesParser(policy=policy.SMTP).parse(path.open("rb"))
            outcome, status = sender.send(msg), "skickad"
        except Exception as exc:  # the message file stays; the next run tries again
            outcome, status = f"{type(exc).__name__}: {exc}", "misslyckad"
        with registry.tx() as conn:
            conn.execute(leverans.update().where(leverans.c.id == row["id"]).values(
                status=status, resultat=outcome[:1000], expedierad=now() if status == "skickad" else None))
        outcomes.append({"namn": row["namn"], "epost": row["epost"], "status": status, "resultat": outcome})
    return outcomes

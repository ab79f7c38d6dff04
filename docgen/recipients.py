"""Recipients: the workspace's named distribution lists, and an input's distribution ("skickas till")
expanded into typed recipients by purpose.

A group names its purpose (syfte) and recipients: inline persons, the document's own parties
(``part: <one of the type's parties>``) or named lists (``lista: ...``). Recipients are de-duplicated by e-mail
address (the first group that names an address keeps it). Expanding is one of the checks (``checks.distribution``): an
unknown list refuses the input before a number is taken.
"""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from .addresses import email_address
from .errors import ConfigError, InputError, problem
from .load import join_path
from .model import Group, Recipient

PERSON_KEYS = ("namn", "titel", "organisation", "epost", "intern", "via", "distribuerar_till")
#: A ``via`` written as an instruction ("för distribution till <grupp>", optionally after whom it goes through).
_VIA_INSTRUCTION = re.compile(r"^(?P<via>.*?)[\s,]*\bför\s+(?:vidare\s*)?distribution\s+till\s+(?P<grupp>.+?)\s*\.?$",
                              re.IGNORECASE | re.DOTALL)


def read_via(person: dict) -> dict:
    """A recipient's ``via`` split into whom it goes through and the group it is to be distributed to."""
    found = _VIA_INSTRUCTION.match(person.get("via") or "")
    if found:
        person["via"] = found["via"].strip() or None
        person.setdefault("distribuerar_till", found["grupp"].strip())
    return person


def expand(doc, lists: dict | None = None) -> list[Group]:
    """The document's distribution groups with every recipient spelled out; raises InputError."""
    lists = lists or {}
    data = doc.data
    problems = []
    seen: set[str] = set()
    groups = []
    for gi, group in enumerate(data.get("skickas_till") or []):
        gpath = join_path(join_path("", "skickas_till"), gi)
        members: list[Recipient] = []
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
                if "fel" in lists[rec["lista"]]:
                    why_sv, why_en = lists[rec["lista"]]["fel"]
                    problems.append(problem(
                        join_path(rpath, "lista"), f"sändlistan {rec['lista']!r} kan inte användas: {why_sv}.",
                        f"the distribution list {rec['lista']!r} cannot be used: {why_en}.",
                        "rätta listan i distribution.yaml eller välj en annan lista.",
                        "correct the list in distribution.yaml or choose another list.",
                        doc.loaded.line_of(join_path(rpath, "lista"))))
                    continue
                people = [dict(p) for p in lists[rec["lista"]]["medlemmar"]]
            else:
                people = [{k: rec[k] for k in PERSON_KEYS if k in rec}]
            for person in people:
                for key in ("via", "distribuerar_till"):
                    if rec.get(key) and key not in person:
                        person[key] = rec[key]
                read_via(person)
                key = (person.get("epost") or "").lower()
                if key and key in seen:
                    continue
                if key:
                    seen.add(key)
                members.append(Recipient(**{k: person.get(k) for k in PERSON_KEYS + ("roll",)}))
        groups.append(Group(group["syfte"], members))
    if problems:
        raise InputError(doc.source, problems)
    return [g for g in groups if g.mottagare]


# -- named lists ---------------------------------------------------------------------------------

class ListsFile:
    """The workspace's named distribution lists (``[sokvagar] sandlistor``), re-read when the file changes;
    a broken file is an error at creation (a startup error)."""

    def __init__(self, config):
        self.config = config
        self._cached: tuple[float | None, dict] = (None, {})
        _ = self.lists

    @property
    def lists(self) -> dict:
        path = self.config.path("sandlistor")
        mtime = path.stat().st_mtime if path and path.exists() else None
        if mtime != self._cached[0]:
            self._cached = (mtime, load_lists(path) if mtime is not None else {})
        return self._cached[1]


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
        raise ConfigError(f"{path}: ogiltig YAML / not valid YAML: {exc}") from None
    lists = raw.get("listor") if isinstance(raw, dict) else None
    if not isinstance(lists, dict):
        raise ConfigError(f"{path}: `listor:` med en post per lista väntades / expected `listor:` with one entry per list")
    errors = []
    broken: dict[str, tuple[str, str]] = {}  # a list that cannot be expanded: why (sv, en); only its users fail
    for name, lst in lists.items():
        if not isinstance(lst, dict) or not isinstance(lst.get("medlemmar"), list):
            errors.append((f"listan {name!r} behöver `namn:` och `medlemmar:` (en lista)",
                           f"list {name!r}: needs `namn:` and `medlemmar:` (a list)"))
            continue
        for i, m in enumerate(lst["medlemmar"], 1):
            where_sv, where_en = f"listan {name!r}, medlem {i}", f"list {name!r}, member {i}"
            if not isinstance(m, dict):
                errors.append((f"{where_sv}: ska vara en person (namn, titel, epost, …) eller `lista: NAMN`",
                               f"{where_en}: must be a person (namn, titel, epost, ...) or `lista: NAME`"))
            elif "lista" in m:
                if m["lista"] not in lists:
                    known = ", ".join(sorted(lists))
                    broken[name] = (f"listan {name!r} tar med den okända listan {m['lista']!r} (kända: {known})",
                                    f"list {name!r} includes the unknown list {m['lista']!r} (known: {known})")
            elif not m.get("namn"):
                errors.append((f"{where_sv}: saknar namn", f"{where_en}: has no namn"))
            elif m.get("epost") and email_address(str(m["epost"])) is None:
                errors.append((f"{where_sv} ({m['namn']}): felaktig e-postadress {m['epost']!r}",
                               f"{where_en} ({m['namn']}): malformed e-mail address {m['epost']!r}"))
    if errors:
        raise ConfigError(f"{path}: " + "; ".join(sv for sv, _ in errors) + f"\n{path}: " + "; ".join(en for _, en in errors))

    expanded: dict[str, dict] = {}

    def expand_list(name: str, chain: list[str]) -> list[dict]:
        if name in chain:
            raise ConfigError(f"{path}: listan {name!r} tar med sig själv: {' → '.join(chain + [name])}\n"
                              f"{path}: list {name!r} includes itself: {' → '.join(chain + [name])}")
        if name in broken:
            raise _Broken(broken[name])
        out = []
        for m in lists[name]["medlemmar"]:
            if "lista" in m:
                out.extend(expand_list(m["lista"], chain + [name]))
            else:
                out.append({k: m[k] for k in PERSON_KEYS if k in m})
        return out

    for name, lst in lists.items():
        try:
            expanded[name] = {"namn": lst.get("namn", name), "medlemmar": expand_list(name, [])}
        except _Broken as exc:
            expanded[name] = {"namn": lst.get("namn", name), "medlemmar": [], "fel": exc.args[0]}
    return expanded


class _Broken(Exception):
    """A list that includes an unknown list: an input naming it is refused, nothing else is affected."""

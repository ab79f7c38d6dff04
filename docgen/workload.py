"""How much work an input is, and the limits that keep every accepted input convertible in time.

LibreOffice's time grows with the document: its text, its paragraphs (list items), table cells and
links. ``measure`` counts them in the input; ``check`` refuses an input over a limit of ``[granser]``
(``max_tecken``, ``max_listposter``, ``max_tabellceller``, ``max_lankar``; and ``max_stycke`` for the longest
paragraph), naming the field that holds most of it, before any number is taken. Each limit is set below what `make bench` (bench/limits.py)
found to convert in half the conversion deadline (about half of it), and since the kinds add up, their
shares of their limits must also add up to at most ``BUDGET``. The default limits and the measurement behind
them are in the README ("Limits").
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import InputError, problem
from .loadrules import join_path

#: The kinds of bulk, their setting in [granser], and how each is named in a report (sv, en).
KINDS = {
    "tecken": ("max_tecken", "tecken text", "characters of text"),
    "listposter": ("max_listposter", "listposter", "list items"),
    "tabellceller": ("max_tabellceller", "tabellceller", "table cells"),
    "lankar": ("max_lankar", "länkar", "links"),
}
#: Each limit is about half of what converts in half the deadline alone; the shares of their limits of all
#: kinds together may reach this (what converts in half the deadline, the kinds' costs being about additive).
BUDGET = 2.0
_MD_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s", re.M)
_LINK = re.compile(r"\]\(|<(?:https?|mailto):|^(?:https?|mailto):", re.I | re.M)
_TABLE_ROW = re.compile(r"^\s*\|.*$", re.M)
_SEPARATOR = re.compile(r"^\s*\|?[\s:|-]+\|?\s*$")


@dataclass
class Work:
    """Amounts of each kind in one input, and per kind the field holding most of it (path, amount)."""

    tecken: int = 0
    listposter: int = 0
    tabellceller: int = 0
    lankar: int = 0
    stycke: int = 0  # the longest paragraph, in characters (LibreOffice lays a paragraph out as one whole)
    most: dict[str, tuple[str, int]] = field(default_factory=dict)

    def add(self, kind: str, path: str, amount: int) -> None:
        if amount:
            setattr(self, kind, getattr(self, kind) + amount)
            if amount > self.most.get(kind, ("", 0))[1]:
                self.most[kind] = (path, amount)


def _cells(text: str) -> int:
    cells = 0
    for m in _TABLE_ROW.finditer(text):
        row = m.group()
        if _SEPARATOR.match(row):
            continue
        bars = len(re.findall(r"(?<!\\)\|", row.strip()))
        cells += max(1, bars - 1)
    return cells


def _longest_paragraph(text: str) -> int:
    """Characters of the longest paragraph: a blank line ends one, and a table row or list item is one of its own."""
    longest = current = 0
    for line in text.split("\n"):
        if not line.strip() or line.lstrip().startswith("|") or _MD_ITEM.match(line + " "):
            longest, current = max(longest, current), 0
        current += len(line) + 1
    return max(longest, current) - 1 if text else 0


def measure(data) -> Work:
    """Count the text, list items, table cells and links of an input (iteratively; any nesting)."""
    work = Work()
    stack = [(data, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            work.add("tecken", path, len(value))
            longest = _longest_paragraph(value) if "\n" in value else len(value)
            if longest > work.stycke:
                work.stycke, work.most["stycke"] = longest, (path, longest)
            if "\n" in value:
                work.add("listposter", path, len(_MD_ITEM.findall(value)))
            if "|" in value:
                work.add("tabellceller", path, _cells(value))
            if ":" in value:
                work.add("lankar", path, len(_LINK.findall(value)))
        elif isinstance(value, dict):
            stack.extend((v, join_path(path, k)) for k, v in value.items())
        elif isinstance(value, list):
            work.add("listposter", path, len(value))
            stack.extend((v, join_path(path, i)) for i, v in enumerate(value))
    return work


def check(loaded, data: dict, limits: dict) -> None:
    """Refuse an input whose document would take LibreOffice too long (InputError naming field and limit)."""
    work = measure(data)
    problems = []
    shares = {}
    for kind, (key, sv, en) in KINDS.items():
        limit = int(limits[key])
        amount = getattr(work, kind)
        shares[kind] = amount / limit if limit else 0.0
        if amount > limit:
            where, most = work.most.get(kind, ("", amount))
            problems.append(problem(
                where, f"för stort: {amount} {sv} i indata (högst {limit}, [granser] {key}); {most} i detta fält.",
                f"too large: {amount} {en} in the input (at most {limit}, [granser] {key}); {most} in this field.",
                "dela upp innehållet på flera dokument, eller lägg det som bilaga.",
                "split the content over several documents, or attach it as a file.", loaded.line_of(where)))
    limit = int(limits["max_stycke"])
    if work.stycke > limit:
        where = work.most["stycke"][0]
        problems.append(problem(
            where, f"ett stycke är för långt: {work.stycke} tecken utan tomrad (högst {limit}, [granser] max_stycke).",
            f"a paragraph is too long: {work.stycke} characters without a blank line (at most {limit}, [granser] "
            "max_stycke).", "dela upp texten i stycken med tomma rader.", "split the text into paragraphs with blank lines.",
            loaded.line_of(where)))
    if not problems and sum(shares.values()) > BUDGET:
        top = sorted(shares, key=shares.get, reverse=True)[:2]
        parts_sv = " och ".join(f"{getattr(work, k)} {KINDS[k][1]} ({shares[k]:.0%} av {KINDS[k][0]})" for k in top)
        parts_en = " and ".join(f"{getattr(work, k)} {KINDS[k][2]} ({shares[k]:.0%} of {KINDS[k][0]})" for k in top)
        where = work.most.get(top[0], ("", 0))[0]
        problems.append(problem(
            where, f"för stort sammantaget: {parts_sv}; alla slag tillsammans {sum(shares.values()):.0%} av sina gränser "
                   f"(högst {BUDGET:.0%} sammanlagt).",
            f"too large taken together: {parts_en}; all kinds together {sum(shares.values()):.0%} of their limits "
            f"(at most {BUDGET:.0%} in all).",
            "korta texten eller dela upp innehållet på flera dokument.",
            "shorten the text or split the content over several documents.", loaded.line_of(where)))
    if problems:
        raise InputError(loaded.source, problems)

"""A failed input's outcome as data, beside the report people read: ``<input>.fel.ndjson`` next to
``<input>.fel.txt`` (one JSON line; not ``.json``, which would be an input). The web's status reads it instead of
parsing the text; reports written before it existed are read from their text."""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import problem, readable
from ..files import atomic_write

if TYPE_CHECKING:
    from ..model import Outcome

SUFFIX = ".fel.ndjson"
REPORT_SUFFIX = ".fel.txt"


def write_report(claimed: Path, result: Outcome, report: str) -> None:
    """The report beside a failed input: the outcome as data first, then the text people read."""
    record = readable(json.dumps(record_of(result, report), ensure_ascii=False))
    atomic_write(claimed.with_name(claimed.name + SUFFIX), (record + "\n").encode("utf-8"))
    atomic_write(claimed.with_name(claimed.name + REPORT_SUFFIX), report.encode("utf-8"))


def record_of(result: Outcome, report: str) -> dict:
    """What a report says, as data: its problems (the input's own, with their fields, when the report lists them),
    the kind of error, the number voided for the input, and the number a duplicate has."""
    listed = problems_in(report)
    own = result.problems if result.problems and len(result.problems) == len(listed) else None
    return {"problem": own or listed, "felslag": str(result.error_kind) if result.error_kind else None,
            "makulerat": result.voided, "diarienummer": result.diarienummer, "lopnummer": result.lopnummer}


def read_record(report: Path) -> dict | None:
    """The record beside a ``.fel.txt``, or None (written before records were, or unreadable)."""
    path = report.with_name(report.name[: -len(REPORT_SUFFIX)] + SUFFIX)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("problem"), list) else None


def problems_in(report: str) -> list[dict]:
    """The problems a report's text lists (Swedish block, then English): one per ``  - `` line, else one for the
    whole text."""
    body = report.split("\n\n-- \n", 1)[0]
    blocks = body.split("\n\n")
    lines = [[ln[4:] for ln in b.splitlines() if ln.startswith("  - ")] for b in blocks]
    if len(blocks) >= 2 and lines[0] and len(lines[0]) == len(lines[1]):
        return [problem("", sv, en).to_dict() for sv, en in zip(lines[0], lines[1])]
    sv, en = blocks[0], "\n\n".join(blocks[1:]) or blocks[0]
    return [problem("", sv, en).to_dict()]

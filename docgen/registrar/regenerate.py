"""Batch regeneration: re-render registered documents from their stored input snapshots.

Same diarienummer and running number, a new version; the old versions stay with their files and
checksums. A document whose template, plugin and docgen version are all what made its latest
version is unchanged and skipped (``force`` renders it anyway). An archived document is never
changed.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..errors import DocgenError
from ..load import LoadedInput
from ..model import DocStatus, Job, Outcome, Reservation
from ..pipeline import REGENERATION, Engine
from ..store import search


@dataclass
class Item:
    """One registered document considered for regeneration, and what is to be done with it."""

    row: dict
    action: str  # regenerate / unchanged / archived / failed
    reason: str = ""
    result: Outcome | None = None

    @property
    def label(self) -> str:
        return f"{self.row['diarienummer']} handling {self.row['lopnummer']}"


def select(engine: Engine, **filters) -> list[dict]:
    """Registered and archived documents with their latest version, filtered as in `docgen registry list`."""
    with engine.store.read() as conn:
        return search.latest_versions(conn, **filters)


def _snapshot(engine: Engine, row: dict) -> LoadedInput:
    folder = engine.config.outbox / Path(row["pdf"]).parent if row["pdf"] else engine.config.outbox
    return LoadedInput(source=f"{row['diarienummer']} handling {row['lopnummer']} v{row['version']}",
                       data=json.loads(row["indata"]), base_dir=folder / "bilagor")


def plan(engine: Engine, rows: list[dict], force: bool = False) -> list[Item]:
    """Decide per document: regenerate, unchanged (nothing that makes it has changed) or archived."""
    items = []
    for row in rows:
        if row["status"] == DocStatus.ARCHIVED:
            items.append(Item(row, "archived", f"levererad till arkivet ({row['arkivpaket']}) / delivered to the archive"))
            continue
        dtype = engine.plugins.get(row["dokumenttyp"])
        if dtype is None:
            items.append(Item(row, "failed", f"dokumenttypen {row['dokumenttyp']!r} finns inte längre / type no longer installed"))
            continue
        try:
            data = json.loads(row["indata"])
            _, template_sha = engine.renderer.template(engine.renderer.template_path(dtype, data))
        except DocgenError as exc:
            items.append(Item(row, "failed", str(exc)))
            continue
        changed = [what for what, old, new in (("mall", row["mall_sha256"], template_sha), ("plugin", row["plugin"], dtype.source),
                                               ("docgen", row["docgen_version"], __version__)) if old != new]
        if changed or force:
            items.append(Item(row, "regenerate", ("ändrat / changed: " + ", ".join(changed)) if changed else "--force"))
        else:
            items.append(Item(row, "unchanged", "mall, plugin och docgen oförändrade / template, plugin and docgen unchanged"))
    return items


def regenerate_one(engine: Engine, item: Item, made_by: str | None = None, reason: str | None = None) -> Item:
    """Produce a new version of one document (``made_by`` someone other than the OS user, for ``reason``); never
    raises (the item says what went wrong)."""
    row = item.row
    job = Job(f"{row['diarienummer']} handling {row['lopnummer']}", loaded=_snapshot(engine, row),
              reservation=Reservation(row["arende_id"], row["handling_id"], row["diarienummer"], row["lopnummer"],
                                      new_case=False),
              version_no=row["version"] + 1, regenerating=True, made_by=made_by, reason=reason)
    job.outcome.diarienummer, job.outcome.lopnummer = row["diarienummer"], row["lopnummer"]
    outcome = engine.run(job, REGENERATION)
    if outcome.ok:
        item.result = outcome
    else:
        item.action = "failed"
        item.reason = (outcome.error or "").replace("\n", " ")
    return item

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

from .attachments import listing
from .diarium import filter_sql
from .errors import DocgenError, InputError
from .load import LoadedInput
from .number import Reservation
from .pipeline import Engine, Result


@dataclass
class Item:
    """One registered document considered for regeneration, and what is to be done with it."""

    row: dict
    action: str  # regenerate / unchanged / archived / failed
    reason: str = ""
    result: Result | None = None

    @property
    def label(self) -> str:
        return f"{self.row['diarienummer']} handling {self.row['lopnummer']}"


def select(engine: Engine, **filters) -> list[dict]:
    """Registered and archived documents with their latest version, filtered as in `docgen registry list`."""
    sql = ["select h.id as handling_id, h.arende_id, h.lopnummer, h.status, h.dokumenttyp, h.rubrik, h.arkivpaket,",
           "a.diarienummer, v.version, v.indata, v.mall, v.mall_sha256, v.plugin, v.docgen_version,",
           "(select f.sokvag from fil f where f.version_id = v.id and f.typ = 'pdf') as pdf",
           "from handling h join arende a on a.id = h.arende_id",
           "join version v on v.handling_id = h.id and v.version = (select max(version) from version where handling_id = h.id)",
           "where h.status in ('registrerad', 'arkiverad')"]
    where, params = filter_sql(**filters)
    sql += where
    sql.append("order by a.ar, a.nummer, h.lopnummer")
    return engine.registry.query(" ".join(sql), **params)


def _snapshot(engine: Engine, row: dict) -> LoadedInput:
    folder = engine.config.outbox / Path(row["pdf"]).parent if row["pdf"] else engine.config.outbox
    return LoadedInput(source=f"{row['diarienummer']} handling {row['lopnummer']} v{row['version']}",
                       data=json.loads(row["indata"]), base_dir=folder / "bilagor")


def plan(engine: Engine, rows: list[dict], force: bool = False) -> list[Item]:
    """Decide per document: regenerate, unchanged (nothing that makes it has changed) or archived."""
    from . import __version__

    items = []
    for row in rows:
        if row["status"] == "arkiverad":
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


def regenerate_one(engine: Engine, item: Item) -> Item:
    """Produce a new version of one document; never raises (the item says what went wrong)."""
    row = item.row
    result = Result(source=f"{row['diarienummer']} handling {row['lopnummer']}", ok=False)
    try:
        doc, distribution = engine.validate(_snapshot(engine, row))
        res = Reservation(row["arende_id"], row["handling_id"], row["diarienummer"], row["lopnummer"], new_case=False)
        result.diarienummer, result.lopnummer = res.diarienummer, res.lopnummer
        rendered = engine.renderer.render(doc, distribution, {"bilagor": listing(doc.data)}).with_number(res.diarienummer)
        engine.produce(doc, distribution, res, result, rendered, version_no=row["version"] + 1, regenerating=True)
        result.ok = True
        item.result = result
    except InputError as exc:
        item.action, item.reason = "failed", exc.report("sv").replace("\n", " ")
    except Exception as exc:  # one failure does not stop the batch
        item.action, item.reason = "failed", f"{type(exc).__name__}: {exc}"
    return item

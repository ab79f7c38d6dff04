"""Stage 7, register: record a produced version of a document in the diarium.

The reservation made when numbering becomes a registered document; the version row keeps the
input snapshot, the template's identity, who produced it, and the SHA-256 of every output file.
"""
from __future__ import annotations

import getpass
import json
import socket
import sys
from dataclasses import dataclass

from sqlalchemy import func, select

from . import __version__
from .number import Reservation
from .registry import Registry, arende, fil, handling, leverans, now, version


@dataclass
class OutputFile:
    typ: str  # docx / pdf / json / eml
    path: str  # relative to the outbox
    sha256: str
    size: int


def produced_by() -> str:
    """Who and what produced a version: user@host and the command."""
    try:
        user = getpass.getuser()
    except Exception:
        user = "okänd"
    cmd = " ".join([sys.argv[0].rsplit("/", 1)[-1]] + sys.argv[1:2])
    return f"{user}@{socket.gethostname()} ({cmd})"


def next_version(registry: Registry, handling_id: int) -> int:
    with registry.engine.connect() as conn:
        return (conn.execute(select(func.max(version.c.version)).where(version.c.handling_id == handling_id)).scalar() or 0) + 1


def register(registry: Registry, res: Reservation, doc, *, template: str, template_sha256: str, plugin: str,
             files: list[OutputFile], version_no: int, motpart: str, source: str, deliveries: list[dict] = (),
             first_version: bool = True) -> int:
    """Mark the reservation registered and store the version with its files; returns the version id.

    A later version (regeneration) leaves the document's registration (date, motpart) as it was.
    """
    with registry.tx() as conn:
        stamp = now()
        if first_version:
            conn.execute(handling.update().where(handling.c.id == res.handling_id).values(
                status="registrerad", registrerad=stamp, agare=None, motpart=motpart, beskrivning=doc.data["rubrik"],
                sekretess=json.dumps(doc.data["sekretess"], ensure_ascii=False) if doc.data.get("sekretess") else None,
            ))
        conn.execute(arende.update().where(arende.c.id == res.case_id, arende.c.status == "reserverad").values(status="oppen"))
        vid = conn.execute(version.insert().values(
            handling_id=res.handling_id, version=version_no, indata=json.dumps(doc.data, ensure_ascii=False, sort_keys=True),
            kalla=source, mall=template, mall_sha256=template_sha256, plugin=plugin, docgen_version=__version__,
            skapad_av=produced_by(), skapad=stamp,
        )).inserted_primary_key[0]
        if files:
            conn.execute(fil.insert(), [dict(version_id=vid, typ=f.typ, sokvag=f.path, sha256=f.sha256, storlek=f.size) for f in files])
        if deliveries:
            conn.execute(leverans.insert(), [dict(version_id=vid, syfte=d["syfte"], namn=d["namn"], epost=d.get("epost"),
                                                  meddelande=d.get("meddelande"), status=d["status"], resultat=d.get("resultat"))
                                             for d in deliveries])
        return vid

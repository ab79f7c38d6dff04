"""Fixity: recompute checksums of outbox files and archival packages and compare with the record."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

from .pipeline import sha256_file
from .registry import Registry

METS = "{http://www.loc.gov/METS/}"
XLINK = "{http://www.w3.org/1999/xlink}"


def verify_outbox(registry: Registry, outbox: Path) -> tuple[list[str], int]:
    """Every file the diarium lists for a version: present, and with the recorded SHA-256."""
    problems, checked = [], 0
    rows = registry.query(
        "select a.diarienummer, h.lopnummer, v.version, f.typ, f.sokvag, f.sha256 from fil f "
        "join version v on v.id = f.version_id join handling h on h.id = v.handling_id "
        "join arende a on a.id = h.arende_id order by a.diarienummer, h.lopnummer, v.version")
    for r in rows:
        path = outbox / r["sokvag"]
        where = f"{r['diarienummer']} handling {r['lopnummer']} v{r['version']} {r['typ']} {r['sokvag']}"
        checked += 1
        if not path.is_file():
            problems.append(f"{where}: saknas / missing")
        elif sha256_file(path) != r["sha256"]:
            problems.append(f"{where}: kontrollsumman stämmer inte / checksum differs")
    return problems, checked


def verify_package(package: Path) -> tuple[list[str], int]:
    """Every file a package's METS.xml lists (and those of its representations): present, checksum as stated."""
    problems, checked = [], 0
    mets_files = [package / "METS.xml"] + sorted(package.glob("representations/*/METS.xml"))
    for mets in mets_files:
        if not mets.is_file():
            problems.append(f"{package.name}: {mets.relative_to(package)} saknas / missing")
            continue
        root = ET.parse(mets).getroot()
        for el in root.iter():
            if el.tag not in (f"{METS}file", f"{METS}mdRef"):
                continue
            href = el.get(f"{XLINK}href") or (el.find(f"{METS}FLocat").get(f"{XLINK}href") if el.find(f"{METS}FLocat") is not None else None)
            if not href or not el.get("CHECKSUM"):
                continue
            path = mets.parent / unquote(href)
            checked += 1
            where = f"{package.name}/{path.relative_to(package)}"
            if not path.is_file():
                problems.append(f"{where}: saknas / missing")
            elif sha256_file(path) != el.get("CHECKSUM").lower():
                problems.append(f"{where}: kontrollsumman stämmer inte mot METS / checksum differs from METS")
    return problems, checked


def verify_archive(registry: Registry, archive: Path) -> tuple[list[str], int]:
    problems, checked = [], 0
    packages = [p for p in sorted(archive.iterdir()) if (p / "METS.xml").is_file()]
    known = {r["arkivpaket"] for r in registry.query("select distinct arkivpaket from handling where arkivpaket is not null")}
    for package in packages:
        more, n = verify_package(package)
        problems += more
        checked += n
        if package.name not in known:
            problems.append(f"{package.name}: paketet finns inte i diariet / package not recorded in the diarium")
    return problems, checked

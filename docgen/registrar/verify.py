"""Fixity: recompute checksums of outbox files and archival packages and compare with the record."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

from ..files import sha256_file
from ..store import Store, search

METS = "{http://www.loc.gov/METS/}"
XLINK = "{http://www.w3.org/1999/xlink}"


def verify_outbox(store: Store, outbox: Path, roots: list | None = None) -> tuple[list[str], int]:
    """Every file the diarium lists for a version: present, and with the recorded SHA-256; every sealed PDF's
    seal valid (chained to ``roots`` when there are any)."""
    from ..seal import check_pdf

    problems, checked = [], 0
    with store.read() as conn:
        rows = search.all_files(conn)
    for r in rows:
        path = outbox / r["sokvag"]
        where = f"{r['diarienummer']} handling {r['lopnummer']} v{r['version']} {r['typ']} {r['sokvag']}"
        checked += 1
        if not path.is_file():
            problems.append(f"{where}: saknas / missing")
        elif sha256_file(path) != r["sha256"]:
            problems.append(f"{where}: kontrollsumman stämmer inte / checksum differs")
        if r["typ"] == "pdf" and path.is_file():
            problems += [f"{where}: {p}" for p in check_pdf(path, roots or []).problems]
    return problems, checked


def _local_path(base: Path, package: Path, ref: str) -> Path | None:
    """The file a METS reference (a URL-encoded relative path) names, or None if it points outside the package."""
    rel = unquote(ref)
    if not rel or "://" in ref or rel.startswith(("/", "\\")) or ".." in Path(rel).parts:
        return None
    path = base / rel
    try:
        path.relative_to(package)
    except ValueError:
        return None
    return path


def verify_package(package: Path) -> tuple[list[str], int]:
    """Every file a package's METS.xml lists (and those of its representations): present, checksum as stated."""
    problems, checked = [], 0
    mets_files = [package / "METS.xml"] + sorted(package.glob("representations/*/METS.xml"))
    for mets in mets_files:
        if not mets.is_file():
            problems.append(f"{package.name}: {mets.relative_to(package)} saknas / missing")
            continue
        try:
            root = ET.parse(mets).getroot()
        except ET.ParseError as exc:
            problems.append(f"{package.name}/{mets.relative_to(package)}: kan inte läsas / not readable XML: {exc}")
            continue
        for el in (e for e in root.iter() if e.tag in (f"{METS}file", f"{METS}mdRef")):
            loc = el if el.tag == f"{METS}mdRef" else el.find(f"{METS}FLocat")
            ref = loc.get(f"{XLINK}href") if loc is not None else None
            if not ref or not el.get("CHECKSUM"):
                continue
            checked += 1
            path = _local_path(mets.parent, package, ref)
            if path is None:
                problems.append(f"{package.name}/{mets.relative_to(package)}: {ref}: pekar utanför paketet / "
                                "points outside the package")
                continue
            where = f"{package.name}/{path.relative_to(package).as_posix()}"
            if not path.is_file():
                problems.append(f"{where}: saknas / missing")
            elif sha256_file(path) != el.get("CHECKSUM").lower():
                problems.append(f"{where}: kontrollsumman stämmer inte mot METS / checksum differs from METS")
    return problems, checked


def verify_archive(store: Store, archive: Path) -> tuple[list[str], int]:
    """Every package in an archive folder (hidden ones are still being built): fixity, and known to the diarium."""
    problems, checked = [], 0
    packages = [p for p in sorted(archive.iterdir()) if not p.name.startswith(".") and (p / "METS.xml").is_file()]
    with store.read() as conn:
        known = search.packages(conn)
    for package in packages:
        more, n = verify_package(package)
        problems += more
        checked += n
        if package.name not in known:
            problems.append(f"{package.name}: paketet finns inte i diariet / package not recorded in the diarium")
    return problems, checked

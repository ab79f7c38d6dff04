"""Archival packages: one submission information package per case, following FGS Paketstruktur 2.0
(= E-ARK CSIP 2.1.0 + E-ARK SIP 2.1.0).

    <package id>/
        METS.xml                          CSIP/SIP root METS: header, agents, dmdSec, fileSec, structMap
        metadata/descriptive/arende.xml   the case and its documents (in the spirit of FGS Ärendehantering / CITS ERMS)
        representations/rep1/data/        the PDF/A files (and attachments kept with them)
        representations/rep2/data/        the DOCX files (when [arkiv] docx_representation = true)
        schemas/                          the XSDs the package uses, shipped with docgen
        documentation/                    a description of the package

Packaged documents are marked archived in the diarium (package id, date) and are never changed
again (regeneration skips them).
"""
from __future__ import annotations

import shutil
import uuid
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from . import __version__
from .errors import RegistryError
from .outbox import dnr_slug
from .pipeline import sha256_file
from .registry import Registry, handling, now

SCHEMAS = Path(__file__).with_name("schemas")
PROFILE = "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml"
ERMS_NS = "https://docgen.invalid/xml/erms/1"
MIME = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xml": "text/xml",
    ".xsd": "text/xml",
    ".txt": "text/plain",
}


def _ts(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime).astimezone().isoformat(timespec="seconds")


def _a(value) -> str:
    return quoteattr(str(value))


def _file_entry(package: Path, path: Path, file_id: str) -> str:
    rel = path.relative_to(package).as_posix()
    return (f'<mets:file ID="{file_id}" MIMETYPE="{MIME.get(path.suffix.lower(), "application/octet-stream")}" '
            f'SIZE="{path.stat().st_size}" CREATED="{_ts(path)}" CHECKSUM="{sha256_file(path)}" CHECKSUMTYPE="SHA-256">'
            f'<mets:FLocat LOCTYPE="URL" xlink:type="simple" xlink:href={_a(rel)}/></mets:file>')


def _descriptive(case: dict, docs: list[dict], config, files_by_doc: dict[int, list[tuple[str, Path]]], package: Path) -> str:
    """Case and document metadata: identifiers, titles, types, dates, agents, confidentiality."""
    out = [f'<?xml version="1.0" encoding="UTF-8"?>',
           f'<erms:arende xmlns:erms="{ERMS_NS}" diarienummer={_a(case["diarienummer"])}>',
           f"<erms:rubrik>{escape(case['rubrik'])}</erms:rubrik>",
           f"<erms:status>{escape(case['status'])}</erms:status>",
           f"<erms:skapad>{escape(case['skapad'])}</erms:skapad>",
           f"<erms:organisation>{escape(config.organisation)}</erms:organisation>"]
    for d in docs:
        data = d["indata"]
        out.append(f'<erms:handling lopnummer="{d["lopnummer"]}" version="{d["version"]}">')
        out.append(f"<erms:rubrik>{escape(d['rubrik'])}</erms:rubrik>")
        out.append(f"<erms:dokumenttyp>{escape(d['dokumenttyp'])}</erms:dokumenttyp>")
        out.append("<erms:datum>")
        out.append(f"<erms:upprattad>{escape(d['datum'])}</erms:upprattad>")
        out.append(f"<erms:registrerad>{escape(d['registrerad'] or '')}</erms:registrerad>")
        decided = data.get("beslutsdatum") or (d["datum"] if d["dokumenttyp"] == "beslut" else None)
        if decided:
            out.append(f"<erms:beslutad>{escape(decided)}</erms:beslutad>")
        if d.get("expedierad"):
            out.append(f"<erms:expedierad>{escape(d['expedierad'])}</erms:expedierad>")
        out.append("</erms:datum>")
        out.append("<erms:agenter>")
        out.append(f'<erms:agent roll="upprattare">{escape(config.organisation)}, {escape(d["enhet"] or "")}</erms:agent>')
        for signer in data.get("underskrifter") or data.get("uppdragsgivare") or []:
            label = signer["namn"] + (f", {signer['titel']}" if signer.get("titel") else "")
            out.append(f'<erms:agent roll="ansvarig">{escape(label)}</erms:agent>')
        for r in d["mottagare"]:
            out.append(f'<erms:agent roll="mottagare">{escape(r)}</erms:agent>')
        out.append("</erms:agenter>")
        if d.get("sekretess"):
            s = data.get("sekretess") or {}
            out.append(f'<erms:sekretess bestammelse={_a(s.get("bestämmelse", ""))} datum={_a(s.get("datum", ""))}/>')
        for rep, path in files_by_doc.get(d["id"], []):
            out.append(f'<erms:fil representation="{rep}" href={_a(path.relative_to(package).as_posix())} '
                       f'sha256="{sha256_file(path)}"/>')
        out.append("</erms:handling>")
    out.append("</erms:arende>")
    return "\n".join(out) + "\n"


CONTENT_TYPE = 'csip:CONTENTINFORMATIONTYPE="OTHER" csip:OTHERCONTENTINFORMATIONTYPE="FGS Ärendehantering"'
CREATOR_AGENT = (f'<mets:agent ROLE="CREATOR" TYPE="OTHER" OTHERTYPE="SOFTWARE"><mets:name>docgen</mets:name>'
                 f'<mets:note csip:NOTETYPE="SOFTWARE VERSION">{__version__}</mets:note></mets:agent>')
NAMESPACES = ('xmlns:mets="http://www.loc.gov/METS/" xmlns:xlink="http://www.w3.org/1999/xlink" '
              'xmlns:csip="https://DILCIS.eu/XML/METS/CSIPExtensionMETS" xmlns:sip="https://DILCIS.eu/XML/METS/SIPExtensionMETS"')


def _representation_mets(package: Path, rep: str, paths: list[Path], package_id: str, stamp: str) -> Path:
    """The METS.xml of one representation: its data files with checksums."""
    folder = package / "representations" / rep
    entries = []
    for i, p in enumerate(paths, 1):
        rel = p.relative_to(folder).as_posix()
        entries.append(f'<mets:file ID="{rep}-file-{i}" MIMETYPE="{MIME.get(p.suffix.lower(), "application/octet-stream")}" '
                       f'SIZE="{p.stat().st_size}" CREATED="{_ts(p)}" CHECKSUM="{sha256_file(p)}" CHECKSUMTYPE="SHA-256">'
                       f'<mets:FLocat LOCTYPE="URL" xlink:type="simple" xlink:href={_a(rel)}/></mets:file>')
    fptrs = "".join(f'<mets:fptr FILEID="{rep}-file-{i}"/>' for i in range(1, len(paths) + 1))
    label = "PDF/A-2b" if rep == "rep1" else "DOCX"
    mets = f"""<?xml version="1.0" encoding="UTF-8"?>
<mets:mets {NAMESPACES} OBJID="{package_id}-{rep}" LABEL="{label}" TYPE="Textual works – Digital"
  csip:CONTENTINFORMATIONTYPE="MIXED" PROFILE="{PROFILE}">
 <mets:metsHdr CREATEDATE="{stamp}" LASTMODDATE="{stamp}" RECORDSTATUS="NEW" csip:OAISPACKAGETYPE="SIP">
  {CREATOR_AGENT}
 </mets:metsHdr>
 <mets:fileSec ID="{rep}-filesec">
  <mets:fileGrp ID="{rep}-data" USE="Data" {CONTENT_TYPE}>{"".join(entries)}</mets:fileGrp>
 </mets:fileSec>
 <mets:structMap ID="{rep}-structmap" TYPE="PHYSICAL" LABEL="CSIP">
  <mets:div ID="{rep}-root" LABEL="{package_id}-{rep}"><mets:div ID="{rep}-div-data" LABEL="Data">{fptrs}</mets:div></mets:div>
 </mets:structMap>
</mets:mets>
"""
    path = folder / "METS.xml"
    path.write_text(mets, encoding="utf-8")
    return path


def _documentation(case: dict, package_id: str, docs: list[dict]) -> str:
    lines = [f"Arkivpaket {package_id}", "",
             f"Ärende {case['diarienummer']}: {case['rubrik']}",
             f"Skapat av docgen {__version__} {now()}.", "",
             "Paketet följer FGS Paketstruktur 2.0 (E-ARK CSIP 2.1.0 och E-ARK SIP 2.1.0).",
             "representations/rep1/data: handlingarna som PDF/A-2b (med bilagor).",
             "representations/rep2/data: samma handlingar som DOCX (om den representationen finns).",
             "metadata/descriptive/arende.xml: ärendet och dess handlingar (schemas/docgen-erms.xsd).", "",
             "Handlingar:"]
    lines += [f"  {d['lopnummer']}. {d['dokumenttyp']}: {d['rubrik']} (version {d['version']})" for d in docs]
    return "\n".join(lines) + "\n"


def build_package(registry: Registry, config, diarienummer: str, out_dir: Path, docx: bool) -> tuple[str, list[int]]:
    """Build one package for a case; returns (package id, ids of the documents in it)."""
    import json

    cases = registry.query("select * from arende where diarienummer = :d", d=diarienummer)
    if not cases:
        raise RegistryError(f"no case {diarienummer!r}")
    case = cases[0]
    docs = registry.query(
        "select h.*, v.version, v.indata, v.id as version_id from handling h join version v on v.handling_id = h.id "
        "and v.version = (select max(version) from version where handling_id = h.id) "
        "where h.arende_id = :a and h.status = 'registrerad' order by h.lopnummer", a=case["id"])
    if not docs:
        raise RegistryError(f"{diarienummer}: no registered document to archive (archived ones are not packaged twice)")
    package_id = f"{dnr_slug(diarienummer)}_{uuid.uuid4().hex[:12]}"
    tmp = out_dir / f".{package_id}.tmp"
    package = tmp
    (package / "metadata" / "descriptive").mkdir(parents=True)
    (package / "schemas").mkdir()
    (package / "documentation").mkdir()
    files_by_doc: dict[int, list[tuple[str, Path]]] = {}
    reps: dict[str, list[Path]] = {"rep1": [], "rep2": []}
    for d in docs:
        d["indata"] = json.loads(d["indata"])
        deliveries = registry.query("select namn, epost, status, expedierad from leverans where version_id in "
                                    "(select id from version where handling_id = :h)", h=d["id"])
        d["mottagare"] = [r["namn"] + (f" <{r['epost']}>" if r["epost"] else "") for r in deliveries]
        sent = [r["expedierad"] for r in deliveries if r["expedierad"]]
        d["expedierad"] = min(sent) if sent else None
        for f in registry.query("select typ, sokvag, sha256 from fil where version_id = :v", v=d["version_id"]):
            rep = "rep2" if f["typ"] == "docx" else "rep1"
            if rep == "rep2" and not docx:
                continue
            src = config.outbox / f["sokvag"]
            if sha256_file(src) != f["sha256"]:
                raise RegistryError(f"{f['sokvag']}: checksum differs from the diarium; run `docgen verify` before archiving")
            sub = Path(f["sokvag"]).name if f["typ"] != "bilaga" else f"{Path(f['sokvag']).parent.parent.name} bilaga {Path(f['sokvag']).name}"
            dest = package / "representations" / rep / "data" / sub
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
            reps[rep].append(dest)
            files_by_doc.setdefault(d["id"], []).append((rep, dest))
    for xsd in sorted(SCHEMAS.glob("*.xsd")):
        shutil.copyfile(xsd, package / "schemas" / xsd.name)
    (package / "documentation" / "README.txt").write_text(_documentation(case, package_id, docs), encoding="utf-8")
    desc = package / "metadata" / "descriptive" / "arende.xml"
    desc.write_text(_descriptive(case, docs, config, files_by_doc, package), encoding="utf-8")

    stamp = now()
    grp, struct = [], []
    n = 0

    def file_ids(paths: list[Path]) -> list[str]:
        nonlocal n
        ids = []
        for p in paths:
            n += 1
            ids.append(f"file-{n}")
            grp.append(_file_entry(package, p, ids[-1]))
        return ids

    rep_mets = {rep: _representation_mets(package, rep, paths, package_id, stamp) for rep, paths in reps.items() if paths}
    groups, rep_divs, rep_fptrs = [], [], []
    for use, paths in (("Documentation", sorted((package / "documentation").iterdir())),
                       ("Schemas", sorted((package / "schemas").iterdir())),
                       ("Representations/rep1", [rep_mets["rep1"]] if "rep1" in rep_mets else []),
                       ("Representations/rep2", [rep_mets["rep2"]] if "rep2" in rep_mets else [])):
        if not paths:
            continue
        grp.clear()
        ids = file_ids(paths)
        gid = "grp-" + use.replace("/", "-").lower()
        groups.append(f'<mets:fileGrp ID="{gid}" USE="{use}" {CONTENT_TYPE}>{"".join(grp)}</mets:fileGrp>')
        if use.startswith("Representations/"):
            rep_divs.append(f'<mets:div ID="div-{gid}" LABEL="{use}"><mets:mptr LOCTYPE="URL" xlink:type="simple" '
                            f'xlink:href="{paths[0].relative_to(package).as_posix()}" xlink:title="{gid}"/></mets:div>')
            rep_fptrs.append(f'<mets:fptr FILEID="{gid}"/>')
        else:
            struct.append(f'<mets:div ID="div-{gid}" LABEL="{use}">' + "".join(f'<mets:fptr FILEID="{i}"/>' for i in ids) + "</mets:div>")
    if rep_divs:
        struct.append('<mets:div ID="div-representations" LABEL="Representations">' + "".join(rep_fptrs) + "".join(rep_divs) + "</mets:div>")

    org = config.organisation
    mets = f"""<?xml version="1.0" encoding="UTF-8"?>
<mets:mets xmlns:mets="http://www.loc.gov/METS/" xmlns:xlink="http://www.w3.org/1999/xlink"
  xmlns:csip="https://DILCIS.eu/XML/METS/CSIPExtensionMETS" xmlns:sip="https://DILCIS.eu/XML/METS/SIPExtensionMETS"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.loc.gov/METS/ schemas/mets.xsd http://www.w3.org/1999/xlink schemas/xlink.xsd https://DILCIS.eu/XML/METS/CSIPExtensionMETS schemas/DILCISExtensionMETS.xsd https://DILCIS.eu/XML/METS/SIPExtensionMETS schemas/DILCISExtensionSIPMETS.xsd"
  OBJID="{package_id}" LABEL={_a(f"{diarienummer} {case['rubrik']}")} TYPE="Textual works – Digital"
  csip:CONTENTINFORMATIONTYPE="MIXED" PROFILE="{PROFILE}">
 <mets:metsHdr CREATEDATE="{stamp}" LASTMODDATE="{stamp}" RECORDSTATUS="NEW" csip:OAISPACKAGETYPE="SIP">
  {CREATOR_AGENT}
  <mets:agent ROLE="OTHER" OTHERROLE="SUBMITTER" TYPE="ORGANIZATION"><mets:name>{escape(org)}</mets:name></mets:agent>
  <mets:agent ROLE="ARCHIVIST" TYPE="ORGANIZATION"><mets:name>{escape(org)}</mets:name></mets:agent>
 </mets:metsHdr>
 <mets:dmdSec ID="dmd-1" CREATED="{stamp}" STATUS="CURRENT">
  <mets:mdRef LOCTYPE="URL" xlink:type="simple" xlink:href="metadata/descriptive/arende.xml" MDTYPE="OTHER" OTHERMDTYPE="docgen-erms"
   MIMETYPE="text/xml" SIZE="{desc.stat().st_size}" CREATED="{_ts(desc)}" CHECKSUM="{sha256_file(desc)}" CHECKSUMTYPE="SHA-256"/>
 </mets:dmdSec>
 <mets:fileSec ID="filesec-1">
  {"".join(groups)}
 </mets:fileSec>
 <mets:structMap ID="structmap-1" TYPE="PHYSICAL" LABEL="CSIP">
  <mets:div ID="div-root" LABEL="{package_id}">
   <mets:div ID="div-metadata" LABEL="Metadata" DMDID="dmd-1"/>
   {"".join(struct)}
  </mets:div>
 </mets:structMap>
</mets:mets>
"""
    (package / "METS.xml").write_text(mets, encoding="utf-8")
    final = out_dir / package_id
    tmp.rename(final)  # a package appears whole or not at all
    return package_id, [d["id"] for d in docs]


def archive(registry: Registry, config, diarienummer_list: list[str], out_dir: Path, docx: bool = False) -> list[dict]:
    """Package each case and mark its documents archived; returns one summary per package."""
    out_dir.mkdir(parents=True, exist_ok=True)
    done = []
    for dnr in diarienummer_list:
        package_id, ids = build_package(registry, config, dnr, out_dir, docx)
        with registry.tx() as conn:
            conn.execute(handling.update().where(handling.c.id.in_(ids)).values(
                status="arkiverad", arkivpaket=package_id, arkiverad=now()))
        done.append({"diarienummer": dnr, "paket": package_id, "handlingar": len(ids), "sokvag": str(out_dir / package_id)})
    return done

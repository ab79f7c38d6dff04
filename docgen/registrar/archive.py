"""Archival packages: one submission information package per case, following FGS Paketstruktur 2.0
(= E-ARK CSIP 2.1.0 + E-ARK SIP 2.1.0).

    <package id>/
        METS.xml                          CSIP/SIP root METS: header, agents, dmdSec, fileSec, structMap
        metadata/descriptive/arende.xml   the case and its documents (in the spirit of FGS Ärendehantering / CITS ERMS)
        representations/rep1/data/        the PDF/A files (and attachments kept with them)
        representations/rep2/data/        the DOCX files (with --docx or [arkiv] docx = true)
        schemas/                          the XSDs the package uses, shipped with docgen
        documentation/                    a description of the package

Packaged documents are marked archived in the diarium (package id, date) and are never changed
again (regeneration skips them).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import json
import shutil
import uuid
from pathlib import Path

from lxml import etree

from .. import __version__
from ..errors import PluginError, RegistryError
from ..dnr import slug as dnr_slug
from ..seal import check_pdf, trust_roots
from ..store import Store, documents, now, search
from ..store import decisions as decision_rows
from .mets import (SCHEMAS, PROFILE, ERMS_NS, NS, METS_NSMAP, SCHEMA_FILES, PACKAGE_TYPE, CONTENT_TYPE, _el,
                   href, _write_xml, _copy_hashed, _Digests, _file_attrs, _file)

if TYPE_CHECKING:
    from ..config import Config


def type_metadata(plugins, dokumenttyp: str, data: dict) -> dict:
    """What the document type records for archiving; nothing for a type no longer installed."""
    loaded = plugins.get(dokumenttyp) if plugins is not None else None
    if loaded is None:
        return {"beslutad": None, "ansvariga": [], "egenskaper": {}}
    try:
        meta = loaded.instance.archive_metadata(data) or {}
    except Exception as exc:  # a plugin bug must name the plugin
        raise PluginError(f"dokumenttypen {dokumenttyp!r} ({loaded.source}): archive_metadata misslyckades: "
                          f"{type(exc).__name__}: {exc}\n"
                          f"document type {dokumenttyp!r} ({loaded.source}): archive_metadata failed: "
                          f"{type(exc).__name__}: {exc}") from exc
    return {"beslutad": str(meta["beslutad"]) if meta.get("beslutad") else None,
            "ansvariga": [str(a) for a in meta.get("ansvariga") or []],
            "egenskaper": {str(k): str(v) for k, v in (meta.get("egenskaper") or {}).items() if v is not None}}


def _descriptive(case: dict, docs: list[dict], config: Config, files_by_doc: dict[int, list[tuple[str, Path]]],
                 package: Path, digests: _Digests) -> etree._Element:
    """Case and document metadata: identifiers, titles, types, dates, agents, confidentiality, seals."""
    roots = trust_roots(config)
    org = config.organisation
    orgnr = organisation_number(config)
    root = _el(None, "erms:arende", {"diarienummer": case["diarienummer"]}, nsmap={"erms": ERMS_NS})
    _el(root, "erms:rubrik", text=case["rubrik"])
    _el(root, "erms:status", text=case["status"])
    _el(root, "erms:skapad", text=case["skapad"])
    _el(root, "erms:organisation", text=org)
    if orgnr:
        _el(root, "erms:organisationsnummer", text=orgnr)
    for d in docs:
        data, meta = d["indata"], d["arkivmetadata"]
        h = _el(root, "erms:handling", {"lopnummer": d["lopnummer"], "version": d["version"]})
        _el(h, "erms:rubrik", text=d["rubrik"])
        _el(h, "erms:dokumenttyp", text=d["dokumenttyp"])
        dates = _el(h, "erms:datum")
        _el(dates, "erms:upprattad", text=d["datum"])
        _el(dates, "erms:registrerad", text=d["registrerad"] or "")
        decided = d.get("fattat")
        if decided or meta["beslutad"]:  # a decision made in docgen is dated by the diarium, not the input
            _el(dates, "erms:beslutad", text=decided["beslutad"] if decided else meta["beslutad"])
        if d.get("expedierad"):
            _el(dates, "erms:expedierad", text=d["expedierad"])
        agents = _el(h, "erms:agenter")
        _el(agents, "erms:agent", {"roll": "upprattare"}, f"{org}, {d['enhet'] or ''}")
        for label in meta["ansvariga"]:
            _el(agents, "erms:agent", {"roll": "ansvarig"}, label)
        if decided:
            who = decided["beslutad_av"] + (f", {decided['beslutad_titel']}" if decided["beslutad_titel"] else "")
            _el(agents, "erms:agent", {"roll": "beslutsfattare"}, who)
            _el(h, "erms:fattat_digitalt", {"av": decided["beslutad_av"], "tid": decided["beslutad"],
                                           "autentisering": decided["autentisering"] or "",
                                           "inskickat_av": decided["inskickad_av"] or "",
                                           "utkast_sha256": decided["utkast_sha256"] or ""})
        for r in d["mottagare"]:
            _el(agents, "erms:agent", {"roll": "mottagare"}, r)
        if d.get("sekretess"):
            s = data.get("sekretess") or {}
            _el(h, "erms:sekretess", {"bestammelse": s.get("bestämmelse", ""), "datum": s.get("datum", "")})
        for name, value in meta.get("egenskaper", {}).items():  # what the type keeps of its own fields
            _el(h, "erms:egenskap", {"namn": name}, value)
        for rep, path in files_by_doc.get(d["id"], []):
            attrs = {"representation": rep, "href": href(path, package), "sha256": digests(path)}
            if path.suffix.lower() == ".pdf":
                attrs |= _seal_attrs(path, roots)
            _el(h, "erms:fil", attrs)
    return root


def _seal_attrs(pdf: Path, roots: list) -> dict:
    """The seal's validation result at packaging time, for arende.xml (nothing for an unsealed PDF)."""
    check = check_pdf(pdf, roots)
    if not check.sealed:
        return {}
    attrs = {"sigill": "ogiltigt" if check.problems else "giltigt", "sigill_niva": f"PAdES {check.level}",
             "sigill_certifikat": check.signer}
    if check.signed_at:
        attrs["sigill_tidpunkt"] = check.signed_at
    if check.problems:
        attrs["sigill_avvikelse"] = "; ".join(check.problems)[:2000]
    return attrs


def organisation_number(config: Config) -> str:
    """[organisation] organisationsnummer, or "" when it is not set."""
    return str(config.settings.organisation.organisationsnummer or "").strip()


def _mets_root(objid: str, label: str, schemas: str, stamp: str):
    """A METS root with its header; schemas is the relative path to the package's schemas/ folder."""
    location = " ".join(f"{NS[p]} {schemas}/{f}" for p, f in SCHEMA_FILES.items())
    root = _el(None, "mets:mets", {"xsi:schemaLocation": location, "OBJID": objid, "LABEL": label, "TYPE": PACKAGE_TYPE,
                                   "csip:CONTENTINFORMATIONTYPE": "MIXED", "PROFILE": PROFILE}, nsmap=METS_NSMAP)
    hdr = _el(root, "mets:metsHdr", {"CREATEDATE": stamp, "LASTMODDATE": stamp, "RECORDSTATUS": "NEW",
                                     "csip:OAISPACKAGETYPE": "SIP"})
    creator = _el(hdr, "mets:agent", {"ROLE": "CREATOR", "TYPE": "OTHER", "OTHERTYPE": "SOFTWARE"})
    _el(creator, "mets:name", text="docgen")
    _el(creator, "mets:note", {"csip:NOTETYPE": "SOFTWARE VERSION"}, __version__)
    return root, hdr


def _representation_mets(package: Path, rep: str, paths: list[Path], package_id: str, stamp: str,
                         digests: _Digests) -> Path:
    """The METS.xml of one representation: its data files with checksums."""
    folder = package / "representations" / rep
    label = "PDF/A-2b" if rep == "rep1" else "DOCX"
    root, _ = _mets_root(f"{package_id}-{rep}", label, "../../schemas", stamp)
    grp = _el(_el(root, "mets:fileSec", {"ID": f"{rep}-filesec"}), "mets:fileGrp",
              {"ID": f"{rep}-data", "USE": "Data", **CONTENT_TYPE})
    for i, p in enumerate(paths, 1):
        _file(grp, f"{rep}-file-{i}", p, folder, digests)
    smap = _el(root, "mets:structMap", {"ID": f"{rep}-structmap", "TYPE": "PHYSICAL", "LABEL": "CSIP"})
    data = _el(_el(smap, "mets:div", {"ID": f"{rep}-root", "LABEL": f"{package_id}-{rep}"}), "mets:div",
               {"ID": f"{rep}-div-data", "LABEL": "Data"})
    for i in range(1, len(paths) + 1):
        _el(data, "mets:fptr", {"FILEID": f"{rep}-file-{i}"})
    path = folder / "METS.xml"
    _write_xml(root, path)
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


def package_label(case: dict, docs: list[dict]) -> str:
    """The package's LABEL: the diarienummer and the case's title, unless a document of the case is
    confidential (the title may name it): then the number and a note that the title is left out."""
    if any(d.get("sekretess") for d in docs):
        return f"{case['diarienummer']} (sekretess: rubriken utelämnad / confidential: title left out)"
    return f"{case['diarienummer']} {case['rubrik']}"


def _root_mets(package: Path, package_id: str, case: dict, docs: list[dict], config: Config, desc: Path,
               rep_mets: dict[str, Path], stamp: str, digests: _Digests):
    """The package's root METS: agents, the descriptive metadata, every file group, the structMap."""
    org, orgnr = config.organisation, organisation_number(config)
    root, hdr = _mets_root(package_id, package_label(case, docs), "schemas", stamp)
    submitter = _el(hdr, "mets:agent", {"ROLE": "OTHER", "OTHERROLE": "SUBMITTER", "TYPE": "ORGANIZATION"})
    _el(submitter, "mets:name", text=org)
    archivist = _el(hdr, "mets:agent", {"ROLE": "ARCHIVIST", "TYPE": "ORGANIZATION"})
    _el(archivist, "mets:name", text=org)
    if orgnr:
        _el(archivist, "mets:note", {"csip:NOTETYPE": "IDENTIFICATIONCODE"}, orgnr)
    dmd = _el(root, "mets:dmdSec", {"ID": "dmd-1", "CREATED": stamp, "STATUS": "CURRENT"})
    _el(dmd, "mets:mdRef", {"LOCTYPE": "URL", "xlink:type": "simple", "xlink:href": href(desc, package),
                            "MDTYPE": "OTHER", "OTHERMDTYPE": "docgen-erms", **_file_attrs(desc, digests(desc))})
    filesec = _el(root, "mets:fileSec", {"ID": "filesec-1"})
    smap = _el(root, "mets:structMap", {"ID": "structmap-1", "TYPE": "PHYSICAL", "LABEL": "CSIP"})
    top = _el(smap, "mets:div", {"ID": "div-root", "LABEL": package_id})
    _el(top, "mets:div", {"ID": "div-metadata", "LABEL": "Metadata", "DMDID": "dmd-1"})
    reps = None
    n = 0
    for use, paths in (("Documentation", sorted((package / "documentation").iterdir())),
                       ("Schemas", sorted((package / "schemas").iterdir())),
                       ("Representations/rep1", [rep_mets["rep1"]] if "rep1" in rep_mets else []),
                       ("Representations/rep2", [rep_mets["rep2"]] if "rep2" in rep_mets else [])):
        if not paths:
            continue
        gid = "grp-" + use.replace("/", "-").lower()
        grp = _el(filesec, "mets:fileGrp", {"ID": gid, "USE": use, **CONTENT_TYPE})
        ids = []
        for p in paths:
            n += 1
            ids.append(f"file-{n}")
            _file(grp, ids[-1], p, package, digests)
        if use.startswith("Representations/"):
            if reps is None:
                reps = _el(top, "mets:div", {"ID": "div-representations", "LABEL": "Representations"})
            _el(reps, "mets:fptr", {"FILEID": gid})
        else:
            div = _el(top, "mets:div", {"ID": f"div-{gid}", "LABEL": use})
            for i in ids:
                _el(div, "mets:fptr", {"FILEID": i})
    for rep, path in rep_mets.items():  # after the fptrs: a div's fptr elements precede its child divs
        gid = f"grp-representations-{rep}"
        div = _el(reps, "mets:div", {"ID": f"div-{gid}", "LABEL": f"Representations/{rep}"})
        _el(div, "mets:mptr", {"LOCTYPE": "URL", "xlink:type": "simple", "xlink:href": href(path, package),
                               "xlink:title": gid})
    return root


def build_package(store: Store, config: Config, diarienummer: str, out_dir: Path, docx: bool,
                  plugins=None) -> tuple[str, list[int]]:
    """Build one package for a case; returns (package id, ids of the documents in it).

    Per-type metadata comes from ``plugins.get(dokumenttyp).instance.archive_metadata`` (none without plugins).
    """
    with store.read() as conn:
        case, docs = search.for_package(conn, diarienummer)
    if case is None:
        raise RegistryError(f"inget ärende {diarienummer!r}\nno case {diarienummer!r}")
    if not docs:
        raise RegistryError(f"{diarienummer}: ingen registrerad handling att arkivera (arkiverade paketeras inte två gånger)\n"
                            f"{diarienummer}: no registered document to archive (archived ones are not packaged twice)")
    package_id = f"{dnr_slug(diarienummer)}_{uuid.uuid4().hex[:12]}"
    package = out_dir / f".{package_id}.tmp"
    try:
        _build(store, config, case, docs, package, package_id, docx, plugins)
        package.rename(out_dir / package_id)  # a package appears whole or not at all
    except BaseException:
        shutil.rmtree(package, ignore_errors=True)
        raise
    return package_id, [d["id"] for d in docs]


def _build(store: Store, config: Config, case: dict, docs: list[dict], package: Path, package_id: str, docx: bool,
           plugins) -> None:
    (package / "metadata" / "descriptive").mkdir(parents=True)
    (package / "schemas").mkdir()
    (package / "documentation").mkdir()
    digests = _Digests()
    files_by_doc: dict[int, list[tuple[str, Path]]] = {}
    reps: dict[str, list[Path]] = {"rep1": [], "rep2": []}
    for d in docs:
        d["indata"] = json.loads(d["indata"])
        d["arkivmetadata"] = type_metadata(plugins, d["dokumenttyp"], d["indata"])
        with store.read() as conn:  # decided in docgen: who decided, when, how signed in, on which draft
            d["fattat"] = decision_rows.for_document(conn, case["diarienummer"], d["lopnummer"])
        deliveries = d["leveranser"]
        d["mottagare"] = [r["namn"] + (f" <{r['epost']}>" if r["epost"] else "") for r in deliveries]
        sent = [r["expedierad"] for r in deliveries if r["expedierad"]]
        d["expedierad"] = min(sent) if sent else None
        for f in d["filer"]:
            rep = "rep2" if f["typ"] == "docx" else "rep1"
            if rep == "rep2" and not docx:
                continue
            src = Path(f["sokvag"])
            sub = src.name if f["typ"] != "bilaga" else f"{src.parent.parent.name} bilaga {src.name}"
            dest = package / "representations" / rep / "data" / sub
            dest.parent.mkdir(parents=True, exist_ok=True)
            digests[dest] = _copy_hashed(config.outbox / src, dest)
            if digests[dest] != f["sha256"]:
                raise RegistryError(f"{f['sokvag']}: kontrollsumman skiljer sig från diariets; kör `docgen verify` före arkiveringen\n"
                                    f"{f['sokvag']}: checksum differs from the diarium; run `docgen verify` before archiving")
            reps[rep].append(dest)
            files_by_doc.setdefault(d["id"], []).append((rep, dest))
    for xsd in sorted(SCHEMAS.glob("*.xsd")):
        shutil.copyfile(xsd, package / "schemas" / xsd.name)
    (package / "documentation" / "README.txt").write_text(_documentation(case, package_id, docs), encoding="utf-8")
    desc = package / "metadata" / "descriptive" / "arende.xml"
    _write_xml(_descriptive(case, docs, config, files_by_doc, package, digests), desc)
    stamp = now()
    rep_mets = {rep: _representation_mets(package, rep, paths, package_id, stamp, digests)
                for rep, paths in reps.items() if paths}
    _write_xml(_root_mets(package, package_id, case, docs, config, desc, rep_mets, stamp, digests), package / "METS.xml")


def archive_warnings(config: Config) -> list[str]:
    """What the packages will lack with this configuration (the caller shows them; archiving goes ahead)."""
    if organisation_number(config):
        return []
    return ["varning: [organisation] organisationsnummer saknas i docgen.toml; arkivbildaren får ingen "
            "IDENTIFICATIONCODE och paketen klarar inte E-ARK SIP14 / warning: [organisation] "
            "organisationsnummer is not set; the packages will not pass E-ARK SIP14"]


def archive(store: Store, config: Config, diarienummer_list: list[str], out_dir: Path, docx: bool = False,
            plugins=None) -> list[dict]:
    """Package each case and mark its documents archived; returns one summary per package.

    Prints nothing: ``archive_warnings(config)`` says what the packages will lack.
    plugins (a ``docgen.plugins.Plugins``) supplies per-type metadata; None loads the workspace's plugins.
    """
    if plugins is None:
        from ..plugins import Plugins
        plugins = Plugins(config)
    out_dir.mkdir(parents=True, exist_ok=True)
    done = []
    for dnr in diarienummer_list:
        package_id, ids = build_package(store, config, dnr, out_dir, docx, plugins)
        with store.tx() as conn:
            documents.mark_archived(conn, ids, package_id)
        done.append({"diarienummer": dnr, "paket": package_id, "handlingar": len(ids), "sokvag": str(out_dir / package_id)})
    return done

"""Archival packages (FGS Paketstruktur 2.0 / E-ARK SIP): eark-validator, the METS XSDs, odd names,
the organisation number, per-type metadata, fixity of packages."""
from __future__ import annotations

import json
import re
import shutil
import tomllib
from pathlib import Path
from urllib.parse import unquote

import pytest
from lxml import etree

import docgen.registrar.archive as archive_mod
import docgen.registrar.mets as mets_mod
from conftest import ROOT, example, run, set_setting, write_yaml
from docgen.registrar.verify import verify_package
from eark import schema_errors, validate

ORGNR = "232100-0123"  # an invented organisationsnummer
NS = {"mets": "http://www.loc.gov/METS/", "xlink": "http://www.w3.org/1999/xlink",
      "csip": "https://DILCIS.eu/XML/METS/CSIPExtensionMETS", "erms": "https://docgen.invalid/xml/erms/1"}
HREF = "{http://www.w3.org/1999/xlink}href"
ODD_TITLE = "Tvärs ] # % & < \"citat\" 'enkel' 😀 åäö ÅÄÖ"




def set_organisation_number(workspace: Path, value: str) -> None:
    """Write [organisation] organisationsnummer into the workspace's docgen.toml."""
    set_setting(workspace, "organisation", "organisationsnummer", value)
    assert tomllib.loads((workspace / "docgen.toml").read_text(encoding="utf-8"))["organisation"]["organisationsnummer"] == value


@pytest.fixture
def orgnr(workspace) -> str:
    set_organisation_number(workspace, ORGNR)
    return ORGNR


def archive_json(workspace, out: Path, *args) -> list[dict]:
    r = run(workspace, "archive", "--out", str(out), "--json", *args)
    assert r.exit_code == 0, r.output
    return [json.loads(line) for line in r.stdout.splitlines()]


def assert_valid(pkg: Path, organisationsnummer: str) -> None:
    """Every METS and arende.xml valid against the package's XSDs; eark-validator: no error but the known SIP14."""
    assert schema_errors(pkg) == {"METS.xml": [], "metadata/descriptive/arende.xml": [],
                                  **{p.relative_to(pkg).as_posix(): [] for p in pkg.glob("representations/*/METS.xml")}}
    result = validate(pkg, organisationsnummer)
    assert (result.structure, result.schema) == ("WellFormed", "VALID"), result
    assert result.errors == [], result.errors
    # set aside: SIP14 once per note of the software CREATOR agent (it has one), nothing else
    assert [rule for rule, _ in result.set_aside] == ["SIP14"], result.set_aside


def test_archive_packages_pass_the_eark_validator(workspace, orgnr, registered, tmp_path):
    packages = archive_json(workspace, tmp_path / "arkiv", "--docx", "--alla")
    assert len(packages) == 2 and {p["handlingar"] for p in packages} == {1, 2}
    for p in packages:
        pkg = Path(p["sokvag"])
        assert_valid(pkg, orgnr)
        assert (pkg / "schemas" / "mets.xsd").is_file() and (pkg / "documentation" / "README.txt").is_file()
        assert list((pkg / "representations" / "rep1" / "data").glob("*.pdf"))
        assert list((pkg / "representations" / "rep2" / "data").glob("*.docx"))
        desc = (pkg / "metadata" / "descriptive" / "arende.xml").read_text(encoding="utf-8")
        assert p["diarienummer"] in desc and "<erms:registrerad>" in desc and 'roll="mottagare"' in desc
        assert f"<erms:organisationsnummer>{orgnr}</erms:organisationsnummer>" in desc
        mets = (pkg / "METS.xml").read_text(encoding="utf-8")
        assert 'csip:OAISPACKAGETYPE="SIP"' in mets and 'CHECKSUMTYPE="SHA-256"' in mets and 'LABEL="CSIP"' in mets
        notes = etree.parse(str(pkg / "METS.xml")).findall("mets:metsHdr/mets:agent[@ROLE='ARCHIVIST']/mets:note", NS)
        assert [(n.get(f"{{{NS['csip']}}}NOTETYPE"), n.text) for n in notes] == [("IDENTIFICATIONCODE", orgnr)]
    # per-type metadata, from the installed document types
    docs = {}
    for p in packages:
        desc = etree.parse(str(Path(p["sokvag"]) / "metadata" / "descriptive" / "arende.xml")).getroot()
        for h in desc.findall("erms:handling", NS):
            docs[h.findtext("erms:dokumenttyp", namespaces=NS)] = (
                h.findtext("erms:datum/erms:beslutad", namespaces=NS),
                [a.text for a in h.findall("erms:agenter/erms:agent[@roll='ansvarig']", NS)])
    assert docs["beslut"] == ("2026-03-12", ["Helena Sjö, Ordförande"])
    assert docs["uppdragshandling"][0] == "2026-02-16" and docs["uppdragshandling"][1]
    assert docs["lagesrapport"] == (None, [])
    secret = [p for p in packages if p["handlingar"] == 1][0]
    desc = (Path(secret["sokvag"]) / "metadata" / "descriptive" / "arende.xml").read_text(encoding="utf-8")
    assert 'bestammelse="25 kap. 1 § OSL"' in desc
    # archived documents are marked, and regeneration leaves them alone
    rows = [json.loads(line) for line in run(workspace, "registry", "list", "--json").output.splitlines()]
    assert {r["status"] for r in rows} == {"arkiverad"} and len(rows) == 3
    for p in packages:
        case = json.loads(run(workspace, "registry", "show", "--json", p["diarienummer"]).output)
        assert [h["arkivpaket"] for h in case["handlingar"]] == [p["paket"]] * p["handlingar"]
    again = run(workspace, "regenerate", "--force")
    assert "Arkiverade, orörda / archived, left alone: 3" in again.output and "Regenererade / regenerated: 0" in again.output
    assert run(workspace, "verify", "--archive", str(tmp_path / "arkiv")).exit_code == 0


def test_odd_title_gives_valid_encoded_links_that_round_trip(workspace, orgnr, tmp_path):
    src = write_yaml(workspace / "inbox", "odd.yaml", example("uppdragshandling") | {"rubrik": ODD_TITLE})
    assert run(workspace, "render", str(src)).exit_code == 0
    [p] = archive_json(workspace, tmp_path / "arkiv", "--docx", "--alla")
    pkg = Path(p["sokvag"])
    data = [f.name for f in pkg.glob("representations/*/data/*")]
    assert data and all(c in name for name in data for c in "]#%&'😀åÄ")
    assert_valid(pkg, orgnr)
    for mets in [pkg / "METS.xml", *pkg.glob("representations/*/METS.xml")]:
        root = etree.parse(str(mets)).getroot()
        refs = [el.get(HREF) for el in root.iter() if el.get(HREF) is not None]
        assert refs
        for ref in refs:  # percent-encoded, and decoding gives the file
            assert re.fullmatch(r"[A-Za-z0-9._~%/-]+", ref), ref
            assert (mets.parent / unquote(ref)).is_file(), ref
    root = etree.parse(str(pkg / "METS.xml")).getroot()
    assert root.get("LABEL") == f"{p['diarienummer']} {ODD_TITLE}"
    desc = etree.parse(str(pkg / "metadata" / "descriptive" / "arende.xml")).getroot()
    assert desc.findtext("erms:rubrik", namespaces=NS) == ODD_TITLE
    assert all((pkg / unquote(f.get("href"))).is_file() for f in desc.iter(f"{{{NS['erms']}}}fil"))
    assert run(workspace, "verify", "--archive", str(tmp_path / "arkiv")).exit_code == 0
    # the XSD check catches what docgen used to write: a raw file name as the link
    broken = tmp_path / "broken"
    shutil.copytree(pkg, broken)
    rep = broken / "representations" / "rep1" / "METS.xml"
    tree = etree.parse(str(rep))
    loc = tree.find(".//mets:FLocat", NS)
    loc.set(HREF, unquote(loc.get(HREF)))
    tree.write(str(rep), xml_declaration=True, encoding="UTF-8")
    assert schema_errors(broken)["representations/rep1/METS.xml"]


def test_no_organisation_number_warns_and_leaves_the_note_out(workspace, tmp_path):
    set_organisation_number(workspace, "")
    src = write_yaml(workspace / "inbox", "b.yaml", example("beslut"))
    assert run(workspace, "render", str(src)).exit_code == 0
    r = run(workspace, "archive", "--out", str(tmp_path / "arkiv"), "--json", "--alla")
    assert r.exit_code == 0, r.output
    assert "organisationsnummer" in r.stderr and "SIP14" in r.stderr
    [p] = [json.loads(line) for line in r.stdout.splitlines()]
    pkg = Path(p["sokvag"])
    archivist = etree.parse(str(pkg / "METS.xml")).find("mets:metsHdr/mets:agent[@ROLE='ARCHIVIST']", NS)
    assert archivist is not None and archivist.find("mets:note", NS) is None
    assert "organisationsnummer" not in (pkg / "metadata" / "descriptive" / "arende.xml").read_text(encoding="utf-8")
    assert all(not errors for errors in schema_errors(pkg).values())
    result = validate(pkg, "")
    assert [rule for rule, _ in result.errors] == ["SIP14"], result.errors  # the specification's SIP14


def test_the_archive_library_prints_nothing_and_returns_its_warning(workspace, tmp_path, capfd):
    from docgen.config import load_config
    from docgen.registrar.archive import archive, archive_warnings
    from docgen.registrar.search import list_documents
    from docgen.store import Store

    set_organisation_number(workspace, "")
    src = write_yaml(workspace / "inbox", "b.yaml", example("beslut"))
    assert run(workspace, "render", str(src)).exit_code == 0
    config = load_config(workspace)
    [warning] = archive_warnings(config)
    assert "organisationsnummer" in warning and "SIP14" in warning
    reg = Store(config.registry_url)
    capfd.readouterr()
    try:
        [row] = list_documents(reg)
        [p] = archive(reg, config, [row["diarienummer"]], tmp_path / "arkiv")
    finally:
        reg.close()
    assert Path(p["sokvag"]).is_dir()
    assert capfd.readouterr() == ("", "")
    set_organisation_number(workspace, ORGNR)
    assert archive_warnings(load_config(workspace)) == []


def test_per_type_metadata_comes_from_the_document_type(workspace, orgnr, registered, tmp_path, monkeypatch):
    from docgen.registrar.archive import archive
    from docgen.config import load_config
    from docgen.plugins import Plugins
    from docgen.store import Store

    seen = []

    def archive_metadata(self, data):
        seen.append(data["rubrik"])
        return {"beslutad": "2026-03-12", "ansvariga": ["Anna Berg, regiondirektör"],
                "egenskaper": {"beslutsinstans": "Styrgruppen för e-arkiv", "ej_angiven": None}}

    monkeypatch.setattr(Plugins(load_config(workspace)).get("beslut").cls, "archive_metadata", archive_metadata)
    beslut = [r for r in registered if r["dokumenttyp"] == "beslut"][0]
    [p] = archive_json(workspace, tmp_path / "arkiv", "--dnr", beslut["diarienummer"])
    assert seen == [beslut["rubrik"]]
    desc = etree.parse(str(Path(p["sokvag"]) / "metadata" / "descriptive" / "arende.xml")).getroot()
    [doc] = desc.findall("erms:handling", NS)
    assert doc.findtext("erms:datum/erms:beslutad", namespaces=NS) == "2026-03-12"
    assert [a.text for a in doc.findall("erms:agenter/erms:agent[@roll='ansvarig']", NS)] == ["Anna Berg, regiondirektör"]
    assert [(e.get("namn"), e.text) for e in doc.findall("erms:egenskap", NS)] == [("beslutsinstans", "Styrgruppen för e-arkiv")]
    assert all(not errors for errors in schema_errors(Path(p["sokvag"])).values())

    # types no longer installed: the package is built, without per-type metadata
    class NoTypes:
        def get(self, name):
            return None

    config = load_config(workspace)
    reg = Store(config.registry_url)
    try:
        other = [r["diarienummer"] for r in registered if r["diarienummer"] != beslut["diarienummer"]][0]
        [q] = archive(reg, config, [other], tmp_path / "arkiv2", plugins=NoTypes())
    finally:
        reg.close()
    pkg = Path(q["sokvag"])
    desc = etree.parse(str(pkg / "metadata" / "descriptive" / "arende.xml")).getroot()
    assert len(desc.findall("erms:handling", NS)) == 2
    assert not desc.findall(".//erms:beslutad", NS) and not desc.findall(".//erms:agent[@roll='ansvarig']", NS)
    assert all(not errors for errors in schema_errors(pkg).values())


def test_archive_engine_names_no_document_type():
    source = (ROOT / "docgen" / "registrar" / "archive.py").read_text(encoding="utf-8")
    for word in ('"beslut"', "'beslut'", "underskrifter", "uppdragsgivare", "beslutsdatum", "uppdragshandling"):
        assert word not in source, word


def test_no_engine_module_names_a_document_type_or_its_fields():
    """Everything a document type knows comes from the type; the engine names none of them."""
    words = ('"beslut"', "'beslut'", "underskrifter", "uppdragsgivare", "uppdragstagare", "beslutsdatum",
             "uppdragshandling", "lagesrapport", "talesperson", "beslutsinstans", "arbetsomraden")
    found = [f"{p.relative_to(ROOT)}: {w}" for p in sorted((ROOT / "docgen").rglob("*.py"))
             for w in words if w in p.read_text(encoding="utf-8")]
    assert found == []


def test_each_file_is_hashed_once(workspace, orgnr, registered, tmp_path, monkeypatch):
    reads: dict[str, int] = {}
    real_open = open

    def counting_open(file, mode="r", *args, **kwargs):
        if "r" in mode:
            reads[str(file)] = reads.get(str(file), 0) + 1
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(mets_mod, "open", counting_open, raising=False)  # the package's files are read there
    packages = archive_json(workspace, tmp_path / "arkiv", "--docx", "--alla")
    assert reads and max(reads.values()) == 1, reads
    outbox = [f for f in reads if f.startswith(str(workspace / "outbox"))]
    assert len(outbox) == len([f for p in packages for f in Path(p["sokvag"]).glob("representations/*/data/*")])


def test_failed_build_leaves_no_package(workspace, orgnr, registered, tmp_path):
    pdf = Path(registered[1]["filer"]["pdf"])
    pdf.write_bytes(pdf.read_bytes() + b"%tampered")
    out = tmp_path / "arkiv"
    r = run(workspace, "archive", "--out", str(out), "--dnr", registered[1]["diarienummer"])
    assert r.exit_code != 0 and "checksum differs from the diarium" in r.output
    assert list(out.iterdir()) == []  # not even the temporary folder
    rows = [json.loads(line) for line in run(workspace, "registry", "list", "--json").output.splitlines()]
    assert {r["status"] for r in rows} == {"registrerad"}


def test_verify_finds_changed_file_in_package(workspace, registered, tmp_path):
    run(workspace, "archive", "--out", str(tmp_path / "arkiv"), "--dnr", registered[1]["diarienummer"])
    pkg = next((tmp_path / "arkiv").iterdir())
    target = next((pkg / "representations" / "rep1" / "data").glob("*.pdf"))
    target.write_bytes(b"not the archived file")
    out = run(workspace, "verify", "--archive", str(tmp_path / "arkiv"))
    assert out.exit_code == 1 and "checksum differs from METS" in out.output


def test_verify_decodes_links_and_refuses_links_out_of_the_package(tmp_path):
    import hashlib

    pkg = tmp_path / "pkg"
    (pkg / "data").mkdir(parents=True)
    name = "a ] # %41 & + ' 😀 å.pdf"
    (pkg / "data" / name).write_bytes(b"x")
    (tmp_path / "secret.txt").write_bytes(b"s")
    digest = hashlib.sha256(b"x").hexdigest()
    files = "".join(
        f'<mets:file ID="f{i}" CHECKSUM="{digest}" CHECKSUMTYPE="SHA-256"><mets:FLocat LOCTYPE="URL" xlink:href="{h}"/></mets:file>'
        for i, h in enumerate([archive_mod.href(pkg / "data" / name, pkg), "../secret.txt", "%2E%2E/secret.txt", "/etc/hostname"]))
    (pkg / "METS.xml").write_text(
        '<mets:mets xmlns:mets="http://www.loc.gov/METS/" xmlns:xlink="http://www.w3.org/1999/xlink">'
        f'<mets:fileSec><mets:fileGrp>{files}</mets:fileGrp></mets:fileSec></mets:mets>', encoding="utf-8")
    problems, checked = verify_package(pkg)
    assert checked == 4
    assert len(problems) == 3 and all("outside the package" in p for p in problems), problems

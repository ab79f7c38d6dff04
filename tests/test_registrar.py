"""The registrar: diarium search, batch regeneration, verify. Archival packages: test_archive.py."""
from __future__ import annotations

import json
from pathlib import Path

import docx

from conftest import ROOT, run




def test_registry_list_filters_and_osl_fields(workspace, registered):
    rows = [json.loads(line) for line in run(workspace, "registry", "list", "--json").output.splitlines()]
    assert len(rows) == 3
    for r in rows:  # OSL 5 kap.: date, diarienummer, sender/recipient, short description
        assert r["registrerad"] and r["diarienummer"] and r["motpart"] and r["beskrivning"]
    only = [json.loads(line) for line in run(workspace, "registry", "list", "--json", "--typ", "beslut").output.splitlines()]
    assert [r["dokumenttyp"] for r in only] == ["beslut"]
    text = [json.loads(line) for line in run(workspace, "registry", "list", "--json", "--text", "arkivfrågor").output.splitlines()]
    assert [r["rubrik"] for r in text] == ["Samordningsgrupp för regionens arkivfrågor"]
    dated = [json.loads(line) for line in run(workspace, "registry", "list", "--json", "--fran", "2026-03-01").output.splitlines()]
    assert {r["dokumenttyp"] for r in dated} == {"beslut"}
    show = run(workspace, "registry", "show", registered[0]["diarienummer"])
    assert "Handling 1: uppdragshandling" in show.output and "Handling 2: lagesrapport" in show.output
    assert "sha256" in show.output and "motpart" in show.output
    data = json.loads(run(workspace, "registry", "show", "--json", registered[0]["diarienummer"]).output)
    assert [h["lopnummer"] for h in data["handlingar"]] == [1, 2]


def test_regenerate_after_template_change(workspace, registered):
    dry = run(workspace, "regenerate", "--dry-run")
    assert [line.split()[0] for line in dry.output.splitlines()[:3]] == ["unchanged"] * 3
    assert "0 would be regenerated, 3 left as they are" in dry.output
    # an administrator changes the uppdragshandling template: copy it into the workspace templates folder
    (workspace / "templates").mkdir()
    d = docx.Document(ROOT / "plugins" / "uppdragshandling" / "uppdragshandling.docx")
    d.add_paragraph("Mallen är uppdaterad.")
    d.save(workspace / "templates" / "uppdragshandling.docx")
    dry = run(workspace, "regenerate", "--dry-run")
    assert "1 would be regenerated" in dry.output and "mall" in dry.output
    out = run(workspace, "regenerate", "--jobs", "2")
    assert out.exit_code == 0, out.output
    assert "Regenererade / regenerated: 1" in out.output and "Oförändrade / unchanged:    2" in out.output
    dnr = registered[0]["diarienummer"]
    case = json.loads(run(workspace, "registry", "show", "--json", dnr).output)
    versions = case["handlingar"][0]["versioner"]
    assert [v["version"] for v in versions] == [1, 2]
    for v in versions:  # both versions keep their files, and the files match their checksums
        for f in v["filer"]:
            assert (workspace / "outbox" / f["sokvag"]).is_file()
    from pypdf import PdfReader
    new_pdf = [f for f in versions[1]["filer"] if f["typ"] == "pdf"][0]
    text = "\n".join(p.extract_text() for p in PdfReader(workspace / "outbox" / new_pdf["sokvag"]).pages)
    assert "Mallen är uppdaterad." in text and dnr in text
    assert case["handlingar"][0]["registrerad"] == registered_date(workspace, dnr), "registration date unchanged"
    assert run(workspace, "verify").exit_code == 0


def registered_date(workspace, dnr):
    return json.loads(run(workspace, "registry", "show", "--json", dnr).output)["handlingar"][0]["registrerad"]


def test_regenerate_one_failure_does_not_stop_the_batch(workspace, registered):
    from docgen.store import Store
    reg = Store(f"sqlite:///{workspace / 'docgen.sqlite'}")
    with reg.tx() as conn:  # a snapshot that no longer validates (e.g. after a schema change)
        conn.exec_driver_sql("update version set indata = json_remove(indata, '$.uppdragstagare') where handling_id = "
                             "(select id from handling where dokumenttyp = 'uppdragshandling')")
    out = run(workspace, "regenerate", "--force")
    assert out.exit_code == 1
    assert "Regenererade / regenerated: 2" in out.output and "Misslyckade / failed:       1" in out.output
    assert "uppdragstagare" in out.output


def test_verify_finds_changed_and_missing_files(workspace, registered, tmp_path):
    assert run(workspace, "verify").exit_code == 0
    pdf = Path(registered[0]["filer"]["pdf"])
    pdf.write_bytes(pdf.read_bytes() + b"%tampered")
    Path(registered[1]["filer"]["docx"]).unlink()
    out = run(workspace, "verify")
    assert out.exit_code == 1
    assert "kontrollsumman stämmer inte" in out.output and "saknas" in out.output and "2 avvikelser" in out.output

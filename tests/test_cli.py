"""The docgen command line, as an officer or administrator uses it."""
from __future__ import annotations

import json

import yaml
from click.testing import CliRunner

from conftest import example, outbox_files, write_yaml
from docgen.cli import cli


def run(workspace, *args):
    return CliRunner().invoke(cli, ["-w", str(workspace), *args], catch_exceptions=False)


def test_new_prints_an_example_that_validates(workspace):
    r = run(workspace, "new", "uppdragshandling")
    assert r.exit_code == 0 and r.output.startswith("#")
    (workspace / "ny.yaml").write_text(r.output, encoding="utf-8")
    v = run(workspace, "validate", str(workspace / "ny.yaml"))
    assert v.exit_code == 0 and "OK" in v.output
    assert run(workspace, "new", "finns-inte").exit_code == 2


def test_schema_is_json_schema_with_swedish_fields(workspace):
    r = run(workspace, "schema", "uppdragshandling")
    schema = json.loads(r.output)
    assert {"dokumenttyp", "rubrik", "datum", "uppdragsgivare", "uppdragstagare", "avsnitt"} <= set(schema["properties"])
    assert schema["$schema"].endswith("2020-12/schema")


def test_validate_reports_all_errors_and_exit_code(workspace):
    bad = write_yaml(workspace, "fel.yaml", {"dokumenttyp": "uppdragshandling", "rubrik": "x", "datum": "2024-99-01"})
    r = run(workspace, "validate", "--json", str(bad))
    assert r.exit_code == 1
    out = json.loads(r.output)
    assert out["status"] == "fel" and {"datum", "avsnitt", "uppdragsgivare", "uppdragstagare"} <= {p["field"] for p in out["problem"]}
    assert outbox_files(workspace) == []


def test_render_json_continues_after_a_failing_input(workspace):
    good = write_yaml(workspace, "bra.yaml", example("uppdragshandling"))
    bad = write_yaml(workspace, "fel.yaml", {"dokumenttyp": "uppdragshandling"})
    other = example("uppdragshandling") | {"rubrik": "Ett andra uppdrag"}
    good2 = write_yaml(workspace, "bra2.yaml", other)
    r = run(workspace, "render", "--json", str(good), str(bad), str(good2))
    assert r.exit_code == 1
    lines = [json.loads(line) for line in r.output.strip().splitlines()]
    assert [x["status"] for x in lines] == ["registrerad", "fel", "registrerad"]
    assert lines[0]["diarienummer"] != lines[2]["diarienummer"]
    assert lines[1]["problem"]
    pdfs = [p for p in outbox_files(workspace) if p.suffix == ".pdf"]
    assert len(pdfs) == 2


def test_render_plain_output_names_number_and_paths(workspace):
    good = write_yaml(workspace, "bra.yaml", example("uppdragshandling"))
    r = run(workspace, "render", str(good))
    assert r.exit_code == 0
    assert "handling 1 v1" in r.output and ".pdf" in r.output


def test_bad_config_is_a_clear_error(workspace):
    (workspace / "docgen.toml").write_text("[numrering]\nformatt = 1\n", encoding="utf-8")
    r = CliRunner().invoke(cli, ["-w", str(workspace), "types"])
    assert r.exit_code == 2 and "unknown key [numrering] formatt" in r.output


def test_validate_knows_the_workspace_distribution_lists(workspace):
    (workspace / "distribution.yaml").write_text(
        "listor:\n  kansliet:\n    namn: Kansliet\n    medlemmar:\n      - namn: Per Ek\n        epost: per.ek@example.se\n",
        encoding="utf-8")
    data = example("uppdragshandling") | {"skickas_till": [{"syfte": "för kännedom", "mottagare": [{"lista": "kansliet"}]}]}
    ok = run(workspace, "validate", str(write_yaml(workspace, "med-lista.yaml", data)))
    assert ok.exit_code == 0 and "OK" in ok.output
    data["skickas_till"][0]["mottagare"] = [{"lista": "kanslie"}]
    bad = run(workspace, "validate", "--json", str(write_yaml(workspace, "fel-lista.yaml", data)))
    assert bad.exit_code == 1 and "kansliet" in json.loads(bad.output)["problem"][0]["fix_sv"]

"""A workspace is explicit, settings are declared once, templates are checked, and the CLI is consistent."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import click
import docx
import pytest
from click.testing import CliRunner

from conftest import ROOT, example, set_setting, write_yaml
from docgen.cli import cli
from docgen.docrow import KEYS as DOC_KEYS
from docgen.config import SETTINGS, load_config


def run(args, cwd: Path | None = None, env: dict | None = None):
    old = os.getcwd()
    try:
        if cwd:
            os.chdir(cwd)
        return CliRunner().invoke(cli, args, env=env or {"DOCGEN_WORKSPACE": None})
    finally:
        os.chdir(old)


def test_init_creates_a_workspace_that_documents_every_setting(tmp_path):
    ws = tmp_path / "nytt"
    r = run(["init", str(ws), "--organisation", "Kommunförbundet Exempel"])
    assert r.exit_code == 0, r.output
    assert {p.name for p in ws.iterdir()} >= {"docgen.toml", "distribution.yaml", "inbox", "outbox", "templates"}
    text = (ws / "docgen.toml").read_text(encoding="utf-8")
    for s in SETTINGS:
        assert f"{s.key} = " in text, s.key
    assert "overklagande" in text  # a document type's own setting is listed too
    cfg = load_config(ws)
    assert cfg.organisation == "Kommunförbundet Exempel"
    assert cfg.sources[("organisation", "namn")] == "docgen.toml" and cfg.sources[("smtp", "port")] == "standard"
    again = run(["init", str(ws), "--organisation", "Annan"])
    assert again.exit_code == 2 and "finns redan" in again.output
    assert load_config(ws).organisation == "Kommunförbundet Exempel"


def test_init_without_organisation_and_no_terminal_is_refused(tmp_path):
    r = run(["init", str(tmp_path / "x")])
    assert r.exit_code == 2 and "--organisation" in r.output
    assert not (tmp_path / "x").exists()


def test_commands_outside_a_workspace_exit_2_and_create_nothing(tmp_path):
    empty = tmp_path / "tom"
    empty.mkdir()
    for args in (["render", "x.yaml"], ["registry", "list"], ["types"], ["watch"], ["status"]):
        r = run(args, cwd=empty)
        assert r.exit_code == 2, (args, r.output)
        assert "inget arbetsområde" in r.output and str(empty) in r.output and "docgen init" in r.output
        assert "Traceback" not in r.output
    assert list(empty.iterdir()) == []
    r = run(["-w", str(empty), "registry", "list"])
    assert r.exit_code == 2 and "is not a workspace" in r.output and list(empty.iterdir()) == []


def test_a_parent_folder_workspace_is_found(workspace):
    sub = workspace / "inbox"
    r = run(["config"], cwd=sub)
    assert r.exit_code == 0 and str(workspace / "docgen.toml") in r.output


@pytest.mark.parametrize("section, key, value, words", [
    ("bevakning", "arbetare", -1, "utanför tillåtna värden"),
    ("bevakning", "stabil_tid", "snabb", "ska vara ett tal"),
    ("smtp", "port", 70000, "högst 65535"),
    ("bevakning", "arbetar", 2, "did you mean `arbetare`"),
    ("numrering", "serier", [1, 2], "varje värde ska vara text"),
    ("beslut", "overklagandet", "x", "did you mean `overklagande`"),
    ("bevaking", "polling", True, "unknown section [bevaking]"),
    ("smtp", "port", True, "ska vara ett heltal, inte True / must be a whole number"),
    ("smtp", "starttls", 1, "ska vara true eller false"),
    ("smtp", "timeout", 0.01, "(minst 0.1, högst 600) / is out of range (at least 0.1, at most 600)"),
    ("organisation", "enheter", "Kansliet", "ska vara en lista [..]"),
    ("lagesrapport", "datumform", "mellan", "använd ett av / is not allowed; use one of: 'lang', 'kort'"),
    ("numrering", "standardserie", "XX", "standardserie 'XX' finns inte i serier"),
])
def test_bad_settings_are_configuration_errors(workspace, section, key, value, words):
    set_setting(workspace, section, key, value)
    r = run(["-w", str(workspace), "types"])
    assert r.exit_code == 2 and words in r.output and "Traceback" not in r.output, r.output
    assert f"{workspace / 'docgen.toml'}: " in r.output and f"[{section}]" in r.output


def test_a_missing_required_setting_says_what_it_is_for(workspace):
    import tomlkit

    toml = workspace / "docgen.toml"
    doc = tomlkit.parse(toml.read_text(encoding="utf-8"))
    del doc["organisation"]["namn"]
    toml.write_text(tomlkit.dumps(doc), encoding="utf-8")
    r = run(["-w", str(workspace), "types"])
    assert r.exit_code == 2 and "[organisation] namn saknas / is missing: The organisation's name" in r.output, r.output


def test_config_set_keeps_comments_and_fills_in_the_commented_default(tmp_path):
    ws = tmp_path / "ws"
    assert run(["init", str(ws), "--organisation", "Region Exempel"]).exit_code == 0
    toml = ws / "docgen.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("[smtp]\n", "[smtp]  # vår egen anteckning\n"),
                    encoding="utf-8")
    before = toml.read_text(encoding="utf-8").splitlines()
    assert run(["-w", str(ws), "config", "set", "smtp.port", "25"]).exit_code == 0
    assert run(["-w", str(ws), "config", "set", "beslut.overklagande", '"""Rad ett.\nRad två."""']).exit_code == 0
    after = toml.read_text(encoding="utf-8").splitlines()
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert changed[0] == ("# port = 587", "port = 25")
    assert changed[1][0].startswith("# overklagande = ") and changed[1][1] == 'overklagande = """Rad ett.'
    assert "[smtp]  # vår egen anteckning" in after and len(after) == len(before) + 1
    assert tomllib.loads(toml.read_text(encoding="utf-8"))["beslut"]["overklagande"] == "Rad ett.\nRad två."


def test_config_prints_effective_settings_and_their_source(workspace):
    set_setting(workspace, "bevakning", "arbetare", 3)
    r = run(["-w", str(workspace), "config", "--json"])
    rows = [json.loads(line) for line in r.output.splitlines() if line.strip()]
    by_key = {(x["sektion"], x["nyckel"]): x for x in rows}
    assert by_key[("bevakning", "arbetare")] == {**by_key[("bevakning", "arbetare")], "varde": 3, "kalla": "docgen.toml"}
    assert by_key[("smtp", "forsok")]["kalla"] == "standard" and by_key[("beslut", "overklagande")]["varde"]
    text = run(["-w", str(workspace), "config"]).output
    assert "[bevakning]" in text and "arbetare = 3    # docgen.toml" in text


def test_root_docgen_toml_is_a_valid_workspace():
    cfg = load_config(ROOT)
    assert cfg.organisation and "Västra" not in cfg.organisation
    with open(ROOT / "docgen.toml", "rb") as f:
        tomllib.load(f)


def _override_template(workspace: Path, transform) -> None:
    d = docx.Document(ROOT / "plugins" / "beslut" / "beslut.docx")
    transform(d)
    (workspace / "templates").mkdir(exist_ok=True)
    d.save(workspace / "templates" / "beslut.docx")


def test_a_template_that_lacks_a_required_tag_is_a_configuration_error(workspace):
    d = docx.Document()
    d.sections[0].header.paragraphs[0].text = "{{ diarienummer }}"
    d.add_paragraph("{{ rubrik }}{% if utkast %}UTKAST{% endif %}{% if sekretess %}{{ sekretess.markering }}{% endif %}")
    d.add_paragraph("{% for b in bilagor %}{{ b.titel }}{% endfor %}")
    (workspace / "templates").mkdir()
    d.save(workspace / "templates" / "beslut.docx")
    r = run(["-w", str(workspace), "render", str(write_yaml(workspace, "b.yaml", example("beslut")))])
    assert r.exit_code == 2 and "beslut.docx" in r.output and "skickas_till" in r.output
    assert not (workspace / "docgen.sqlite").exists() or run(["-w", str(workspace), "registry", "list"]).output.startswith("0")


def test_a_template_with_an_unknown_filter_costs_no_number(workspace):
    def bad_filter(d):
        d.add_paragraph("{{ rubrik|finnsinte }}")
    _override_template(workspace, bad_filter)
    src = write_yaml(workspace, "b.yaml", example("beslut"))
    r = run(["-w", str(workspace), "render", str(src)])
    assert r.exit_code == 2 and "finnsinte" in r.output and "Traceback" not in r.output
    (workspace / "templates" / "beslut.docx").unlink()
    ok = run(["-w", str(workspace), "render", "--json", str(src)])
    assert json.loads(ok.output)["diarienummer"].endswith("-00001")  # the broken template spent no number


def test_dates_are_checked_and_hyphenated_numbers_are_understood(workspace):
    r = run(["-w", str(workspace), "registry", "list", "--fran", "notadate"])
    assert r.exit_code == 2 and "ÅÅÅÅ-MM-DD" in r.output
    out = run(["-w", str(workspace), "render", "--json", str(write_yaml(workspace, "u.yaml", example("uppdragshandling")))])
    dnr = json.loads(out.output)["diarienummer"]
    for form in (dnr, dnr.replace(" ", "-")):
        shown = run(["-w", str(workspace), "registry", "show", "--json", form])
        assert shown.exit_code == 0 and json.loads(shown.output)["diarienummer"] == dnr
    assert run(["-w", str(workspace), "registry", "show", "RS-1999-99999"]).exit_code == 2


def test_json_lines_have_the_same_keys_everywhere(workspace):
    good = write_yaml(workspace, "u.yaml", example("uppdragshandling"))
    bad = write_yaml(workspace, "f.yaml", {"dokumenttyp": "beslut"})
    outputs = [run(["-w", str(workspace), "validate", "--json", str(good), str(bad)]).output,
               run(["-w", str(workspace), "render", "--json", str(good), str(bad)]).output,
               run(["-w", str(workspace), "registry", "list", "--json"]).output]
    lines = [json.loads(line) for out in outputs for line in out.splitlines()]
    assert len(lines) == 5 and all(list(x) == list(DOC_KEYS) for x in lines)


def test_every_option_has_help():
    missing = []

    def walk(cmd, path):
        for p in cmd.params:
            if isinstance(p, click.Option) and not p.help and not p.hidden and p.name not in ("version", "help"):
                missing.append(f"{path} {p.opts[0]}")
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, f"{path} {name}")
    walk(cli, "docgen")
    assert missing == []


def test_watch_tells_a_new_user_where_to_drop_files(workspace):
    env = dict(os.environ, DOCGEN_WORKSPACE=str(workspace))
    proc = subprocess.Popen([sys.executable, "-m", "docgen.cli", "watch", "--workers", "1"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if "drop input files" in line:
                break
        text = "".join(lines)
        assert str(workspace / "inbox") in text and str(workspace / "outbox") in text and "fel" in text
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def test_template_copy_puts_the_built_in_template_in_the_workspace(workspace):
    r = run(["-w", str(workspace), "template", "copy", "lagesrapport", "--variant", "lagesbild"])
    assert r.exit_code == 0, r.output
    copied = workspace / "templates" / "lagesrapport-lagesbild.docx"
    assert copied.read_bytes() == (ROOT / "plugins" / "lagesrapport" / "lagesrapport-lagesbild.docx").read_bytes()
    again = run(["-w", str(workspace), "template", "copy", "lagesrapport", "--variant", "lagesbild"])
    assert again.exit_code == 2 and "finns redan" in again.output


def test_readme_documents_every_setting():
    from docgen.plugins import Plugins

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [f"[{s.section}] {s.key}" for s in SETTINGS + Plugins(None).settings() if f"`[{s.section}] {s.key}`" not in readme]
    assert missing == []

"""Cases numbered by the region's records system ([numrering] externa_serier)."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from conftest import example, set_setting, write_yaml
from docgen.cli import cli
from docgen.config import load_config
from docgen.errors import ConfigError


@pytest.fixture
def ext_engine(workspace, make_engine):
    set_setting(workspace, "numrering", "externa_serier", ["RD"])
    return make_engine(workspace)


def _input(workspace, name, **fields):
    data = example("beslut") | fields
    data.pop("serie", None) if "diarienummer" in fields else None
    return write_yaml(workspace / "inbox", name, data)


def test_an_unseen_external_number_opens_a_case_and_takes_no_number(ext_engine, workspace):
    first = ext_engine.process(_input(workspace, "a.yaml", diarienummer="RD 2024-05699", rubrik="Beslut om arkivplan"))
    assert first.ok, first.error
    assert (first.diarienummer, first.lopnummer) == ("RD 2024-05699", 1)
    second = ext_engine.process(_input(workspace, "b.yaml", diarienummer="RD 2024-05699", rubrik="Ett andra beslut"))
    assert second.ok and (second.diarienummer, second.lopnummer) == ("RD 2024-05699", 2)
    assert ext_engine.store.query("select * from nummerserie where serie = 'RD'") == []  # docgen allocated nothing
    case = ext_engine.store.query("select extern, status, nummer, ar from arende where diarienummer = 'RD 2024-05699'")
    assert case == [{"extern": 1, "status": "oppen", "nummer": 5699, "ar": 2024}]
    own = ext_engine.process(_input(workspace, "c.yaml", rubrik="Eget ärende"))
    assert own.ok and own.diarienummer.startswith("RS ")  # docgen's own series work as before
    runner = CliRunner()
    listed = [json.loads(x) for x in runner.invoke(cli, ["-w", str(workspace), "registry", "list", "--json"]).output.splitlines()]
    assert {(x["diarienummer"], x["extern"]) for x in listed} == {("RD 2024-05699", True), (own.diarienummer, False)}
    shown = runner.invoke(cli, ["-w", str(workspace), "registry", "show", "RD-2024-05699"]).output
    assert "externt diarienummer" in shown


@pytest.mark.parametrize("fields, field, words", [
    ({"serie": "RD"}, "serie", "annat system"),
    ({"diarienummer": "RD 2024-5699"}, "diarienummer", "inte formen"),
    ({"diarienummer": "RD 24-05699"}, "diarienummer", "inte formen"),
    ({"diarienummer": "XX 2024-05699"}, "diarienummer", "finns inte i diariet"),
])
def test_external_numbers_are_refused_clearly_and_cost_nothing(ext_engine, workspace, fields, field, words):
    result = ext_engine.process(_input(workspace, "x.yaml", **fields))
    assert not result.ok and result.error_kind == "input"
    assert result.problems[0]["field"] == field and words in result.problems[0]["sv"], result.problems
    assert ext_engine.store.query("select * from handling") == [] and ext_engine.store.query("select * from arende") == []


def test_a_series_cannot_be_both_internal_and_external(workspace):
    set_setting(workspace, "numrering", "externa_serier", ["RS"])
    with pytest.raises(ConfigError, match="både serier och externa_serier"):
        load_config(workspace)

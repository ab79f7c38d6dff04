"""Every class of bad input gets a clear error (file, field, line, what, how to fix) and writes nothing."""
from __future__ import annotations

import json

import pytest

from conftest import example, outbox_files, write_yaml
from docgen.errors import InputError
from docgen.load import load_input, parse_input

LIMITS = {"max_filstorlek": 1024 * 1024, "max_djup": 20, "max_noder": 20000}

GOOD_HEAD = "dokumenttyp: uppdragshandling\nrubrik: Test\ndatum: 2024-03-05\n"


def problems_of(exc: InputError) -> list[tuple]:
    return [(p.field, p.line) for p in exc.problems]


def test_too_large_file(tmp_path):
    path = tmp_path / "stor.yaml"
    path.write_text(GOOD_HEAD + "# " + "x" * 2000 + "\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_input(path, LIMITS | {"max_filstorlek": 1000})
    assert "för stor" in e.value.report() and "too large" in e.value.report()


def test_alias_bomb_is_refused_without_eating_memory():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i, name in enumerate("bcdefghij"):
        prev = "abcdefghij"[i]
        bomb += f"{name}: &{name} [{', '.join(['*' + prev] * 10)}]\n"
    with pytest.raises(InputError) as e:
        parse_input("bomb.yaml", bomb.encode(), ".yaml", LIMITS)
    assert "alias" in e.value.report()


def test_recursive_alias_is_refused():
    with pytest.raises(InputError) as e:
        parse_input("rec.yaml", b"a: &a [1, *a]\n", ".yaml", LIMITS)
    assert "sig självt" in e.value.report()


def test_deep_nesting_is_refused():
    deep = "a: " + "[" * 50 + "]" * 50 + "\n"
    with pytest.raises(InputError) as e:
        parse_input("deep.yaml", deep.encode(), ".yaml", LIMITS)
    assert "nästling" in e.value.report() and "nesting" in e.value.report()
    with pytest.raises(InputError):
        parse_input("deep.json", ("[" * 5000 + "]" * 5000).encode(), ".json", LIMITS)


def test_control_characters_name_line_and_field():
    with pytest.raises(InputError) as e:
        parse_input("ctl.yaml", (GOOD_HEAD + "enhet: Kon\x07cern\n").encode(), ".yaml", LIMITS)
    assert problems_of(e.value) == [("", 4)] and "U+0007" in e.value.report()
    with pytest.raises(InputError) as e:
        parse_input("ctl.json", b'{"rubrik": "a\\u0001b"}', ".json", LIMITS)
    assert problems_of(e.value) == [("rubrik", None)]


def test_not_utf8_and_not_yaml_and_not_json():
    with pytest.raises(InputError) as e:
        parse_input("latin1.yaml", (GOOD_HEAD + "enhet: Göteborg\n").encode("latin-1"), ".yaml", LIMITS)
    assert problems_of(e.value) == [("", 4)] and "UTF-8" in e.value.report()
    with pytest.raises(InputError) as e:
        parse_input("broken.yaml", (GOOD_HEAD + "avsnitt: [a\n  b: c\n").encode(), ".yaml", LIMITS)
    assert "YAML" in e.value.report() and e.value.problems[0].line
    with pytest.raises(InputError) as e:
        parse_input("broken.json", b'{"a": 1,\n "b": }', ".json", LIMITS)
    assert e.value.problems[0].line == 2
    with pytest.raises(InputError):
        parse_input("list.yaml", b"- a\n- b\n", ".yaml", LIMITS)
    with pytest.raises(InputError):
        parse_input("x.txt", b"a: b", ".txt", LIMITS)


def test_duplicate_keys_are_reported():
    with pytest.raises(InputError) as e:
        parse_input("dup.yaml", (GOOD_HEAD + "rubrik: Igen\n").encode(), ".yaml", LIMITS)
    assert problems_of(e.value) == [("rubrik", 4)] and "rad 2" in e.value.report()


def test_dates_stay_text_and_bad_dates_are_reported(engine, workspace):
    loaded = parse_input("d.yaml", GOOD_HEAD.encode(), ".yaml", LIMITS)
    assert loaded.data["datum"] == "2024-03-05"


@pytest.mark.parametrize("change, field, line_expected, words", [
    (lambda d: d.pop("rubrik"), "rubrik", False, "obligatoriskt fält saknas"),
    (lambda d: d.update(datum="2024-02-30"), "datum", True, "giltigt datum"),
    (lambda d: d.update(rubrk="x"), "rubrk", True, "menade du `rubrik`"),
    (lambda d: d["uppdragstagare"][1].update(epost="inte-en-adress"), "uppdragstagare[2].epost", True, "e-postadress"),
    (lambda d: d.update(uppdragsgivare={"namn": "A"}), "uppdragsgivare", True, "lista"),
    (lambda d: d.update(status="klar"), "status", True, "utkast, slutlig"),
    (lambda d: d.update(serie="XYZ"), "serie", True, "RS"),
    (lambda d: d.update(diarienummer="RS-2024-1"), "diarienummer", True, "RS 2024-00042"),
    (lambda d: d.update(enhet="Okänd enhet"), "enhet", True, "Regionkansliet"),
    (lambda d: d.update(dokumenttyp="uppdragshandlng"), "dokumenttyp", True, "menade du `uppdragshandling`"),
    (lambda d: d["skickas_till"][0]["mottagare"].append({"part": "chef"}), "skickas_till[1].mottagare[2].part", True, "uppdragstagare"),
    (lambda d: d["skickas_till"][0]["mottagare"].append({"titel": "utan namn"}), "skickas_till[1].mottagare[2]", True, "precis ett av"),
    (lambda d: d["skickas_till"][0]["mottagare"].append({"lista": "okand"}), "skickas_till[1].mottagare[2].lista", True, "sändlista"),
])
def test_bad_field_gets_clear_error_and_writes_nothing(engine, workspace, change, field, line_expected, words):
    data = example("uppdragshandling")
    change(data)
    src = write_yaml(workspace / "inbox", "fel.yaml", data)
    result = engine.process(src)
    assert not result.ok and result.error_kind == "input"
    fields = [p["field"] for p in result.problems]
    assert field in fields, result.error
    p = result.problems[fields.index(field)]
    assert words in p["sv"] + p["fix_sv"], p
    assert p["en"] and (p["line"] if line_expected else True)
    assert str(src) in result.error
    assert outbox_files(workspace) == []
    assert engine.store.query("select count(*) as n from arende")[0]["n"] == 0


def test_all_errors_of_a_file_are_reported_together(engine, workspace):
    data = example("uppdragshandling")
    data.pop("avsnitt")
    data["datum"] = "igår"
    data["rubrik"] = ""
    result = engine.process(write_yaml(workspace / "inbox", "fel.yaml", data))
    assert {"avsnitt", "datum", "rubrik"} <= {p["field"] for p in result.problems}


def test_json_input_works_like_yaml(engine, workspace):
    data = example("uppdragshandling")
    data["datum"] = str(data["datum"])
    data["beslutsdatum"] = str(data["beslutsdatum"])
    src = workspace / "inbox" / "u.json"
    src.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = engine.process(src)
    assert result.ok, result.error

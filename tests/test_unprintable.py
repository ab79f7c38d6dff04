"""Text docgen cannot print (a lone surrogate in a JSON key, a file name that is not UTF-8) is refused
clearly everywhere, and never stops the command line from printing the other inputs' results."""
from __future__ import annotations

import json
import os
import subprocess

import yaml

from conftest import example, write_yaml
from docgen.store import Store
from helpers import DOCGEN, SURROGATE_KEY, failed, report_of, wait_for


def cli(ws, *args) -> subprocess.CompletedProcess:
    """docgen as a separate process, printing to a real pipe (as a script that reads its output does)."""
    return subprocess.run(DOCGEN + ["-w", str(ws), *args], capture_output=True, timeout=600)


def reserved_or_voided(ws) -> list[dict]:
    store = Store(f"sqlite:///{ws / 'docgen.sqlite'}")
    try:
        return store.query("SELECT status FROM handling WHERE status != 'registrerad'")
    finally:
        store.close()


def test_surrogate_key_in_a_batch_of_three_gets_a_line_and_the_others_theirs(workspace):
    good = write_yaml(workspace, "bra.yaml", example("uppdragshandling"))
    bad = workspace / "nyckel.json"
    bad.write_bytes(SURROGATE_KEY)
    good2 = write_yaml(workspace, "bra2.yaml", example("beslut"))
    for command in ("validate", "render"):
        r = cli(workspace, command, "--json", str(good), str(bad), str(good2))
        assert r.returncode == 1, r.stderr.decode(errors="replace")
        assert b"Traceback" not in r.stderr
        lines = [json.loads(line) for line in r.stdout.decode("utf-8").splitlines()]
        assert [x["kalla"] for x in lines] == [str(good), str(bad), str(good2)]
        assert [x["status"] for x in lines][1] == "fel"
        assert [x["status"] for x in lines][::2] == (["ok", "ok"] if command == "validate" else ["registrerad"] * 2)
        problem = lines[1]["problem"][0]
        assert "U+D800" in problem["sv"] and "U+D800" in problem["en"] and problem["fix_en"]
    assert reserved_or_voided(workspace) == []  # the refused input took no number


def test_file_name_that_is_not_utf8_renders_and_prints(workspace):
    name = os.fsencode(str(workspace)) + b"/beslut-\xe5r.yaml"  # Latin-1 "år"
    with open(name, "wb") as f:
        f.write(yaml.safe_dump(example("beslut"), allow_unicode=True).encode("utf-8"))
    r = subprocess.run([os.fsencode(a) for a in DOCGEN] + [b"-w", os.fsencode(str(workspace)), b"render", b"--json", name],
                       capture_output=True, timeout=600)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    line = json.loads(r.stdout.decode("utf-8"))
    assert line["status"] == "registrerad" and line["kalla"].endswith("beslut-\ufffdr.yaml")
    r = subprocess.run([os.fsencode(a) for a in DOCGEN] + [b"-w", os.fsencode(str(workspace)), b"render", name],
                       capture_output=True, timeout=600)
    assert r.returncode == 1 and b"Traceback" not in r.stderr  # the same content again: a duplicate, said plainly
    assert reserved_or_voided(workspace) == []  # no number left reserved, none voided


def test_surrogate_key_dropped_in_the_inbox_gets_a_report(workspace, service):
    service()
    (workspace / "inbox" / ".nyckel.json.part").write_bytes(SURROGATE_KEY)
    os.rename(workspace / "inbox" / ".nyckel.json.part", workspace / "inbox" / "nyckel.json")
    folder = wait_for(lambda: failed(workspace), 60, what="the report")[0]
    name, report = report_of(folder)
    assert name == "nyckel.json" and "U+D800" in report
    assert not list((workspace / "inbox" / "arbete").rglob("*.json"))
    r = cli(workspace, "status")
    assert r.returncode == 0 and b"nyckel.json" in r.stdout

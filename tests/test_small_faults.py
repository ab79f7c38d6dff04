"""Smaller faults of issue 28, item 7, with the real watcher: duplicate reports, a file removed from the
work folder, the inbox moved away while an input is in progress, and addresses with no real top-level domain."""
from __future__ import annotations

import json
import os
import subprocess

from conftest import example, write_yaml
from helpers import DOCGEN, done, drop, failed, mount, new_workspace, numbers, report_of, start_watcher, stop_watcher, wait_for, waiting_lines


def test_duplicate_report_does_not_advise_dropping_the_file_again(workspace, service):
    service(workers=1)
    data = example("beslut")
    drop(workspace, "forsta.yaml", data)
    wait_for(lambda: len(done(workspace)) == 1, 120, what="the first")
    drop(workspace, "andra.yaml", data)
    folder = wait_for(lambda: failed(workspace), 60, what="the duplicate's report")[0]
    name, report = report_of(folder)
    assert name == "andra.yaml" and "duplicate" in report and "dubblett" in report
    assert "drop it in the inbox again" not in report and "lägg den i inkorgen igen" not in report
    assert "regenerate" in report


def _waiting_input(tmp_path, mounts, name: str):
    """A watcher whose outbox is read-only, with one input waiting for it in the work folder."""
    points, procs = mounts
    ws = new_workspace(tmp_path)
    outbox = ws / "outbox"
    mount("-t", "tmpfs", "-o", "size=64m", "tmpfs", str(outbox))
    points.append(outbox)
    mount("-o", "remount,ro", str(outbox))
    proc = start_watcher(ws, workers=1)
    procs.append(proc)
    drop(ws, name, example("beslut") | {"rubrik": f"Väntar: {name}"})
    wait_for(lambda: waiting_lines(ws), 60, what="the input waiting")
    claimed = next((ws / "inbox" / "arbete").rglob(name))
    return ws, outbox, proc, claimed


def test_file_removed_from_the_work_folder_is_reported_as_removed(tmp_path, mounts):
    ws, outbox, proc, claimed = _waiting_input(tmp_path, mounts, "bortagen.yaml")
    claimed.unlink()  # the officer takes it back
    mount("-o", "remount,rw", str(outbox))
    folder = wait_for(lambda: failed(ws), 120, what="the report")[0]
    report = next(folder.glob("*.fel.txt")).read_text(encoding="utf-8")
    assert "removed from the work folder" in report and "togs bort" in report
    assert "written in pieces" not in report and "does not exist" not in report
    assert stop_watcher(proc) == 0
    assert numbers(ws) == {}


def test_input_in_progress_when_the_inbox_is_moved_away_ends_in_the_new_inbox(tmp_path, mounts):
    ws, outbox, proc, claimed = _waiting_input(tmp_path, mounts, "flyttad.yaml")
    os.rename(ws / "inbox", ws / "inbox-gammal")
    (ws / "inbox").mkdir()
    mount("-o", "remount,rw", str(outbox))
    wait_for(lambda: len(done(ws)) == 1, 180, what="the input registered and moved to the new inbox's behandlade/")
    assert stop_watcher(proc) == 0
    assert numbers(ws) == {"registrerad": 1}
    assert not list((ws / "inbox-gammal" / "arbete").rglob("*.yaml")), "nothing left in the old work folder"
    assert (done(ws)[0] / "flyttad.yaml").is_file()


def test_addresses_without_a_real_top_level_domain_are_refused(workspace):
    for address in ("a@b.c", "a@example.s"):
        data = example("uppdragshandling")
        data["uppdragstagare"][0]["epost"] = address
        path = write_yaml(workspace, "adress.yaml", data)
        r = subprocess.run(DOCGEN + ["-w", str(workspace), "validate", "--json", str(path)], capture_output=True,
                           text=True, timeout=300)
        line = json.loads(r.stdout)
        assert r.returncode == 1 and line["status"] == "fel", address
        assert any(p["field"].endswith("epost") for p in line["problem"]), line["problem"]
    data = example("uppdragshandling")
    data["uppdragstagare"][0]["epost"] = "a.b@example.se"
    r = subprocess.run(DOCGEN + ["-w", str(workspace), "validate", str(write_yaml(workspace, "ok.yaml", data))],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr

"""The inbox watcher as a real service: real files, real watchdog, real LibreOffice, real SQLite."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import yaml

from conftest import set_setting, example, write_yaml
from helpers import DOCGEN, done, drop, failed, inputs, report_of, stop_watcher, wait_for
from docgen.store import Store


def test_good_bad_and_duplicate_files(workspace, service):
    proc = service()
    drop(workspace, "bra.yaml", example("uppdragshandling"))
    wait_for(lambda: len(done(workspace)) == 1, what="good file processed")
    drop(workspace, "fel.yaml", {"dokumenttyp": "uppdragshandling", "rubrik": "Saknar det mesta", "datum": "2026-13-01"})
    drop(workspace, "igen.yaml", example("uppdragshandling"))
    wait_for(lambda: len(failed(workspace)) == 2, what="bad and duplicate files in fel/")
    assert stop_watcher(proc) == 0

    processed = done(workspace)[0]
    assert "RS-" in processed.name and processed.name[:8].isdigit() and (processed / "bra.yaml").is_file()
    reports = dict(report_of(p) for p in failed(workspace))
    bad = reports["fel.yaml"]
    assert "fält datum" in bad and "field datum" in bad and bad.index("fel") < bad.index("error")
    assert "uppdragsgivare" in bad and "rad 3" in bad
    dup = reports["igen.yaml"]
    assert "dubblett" in dup and "duplicate" in dup
    reg = Store(f"sqlite:///{workspace / 'docgen.sqlite'}")
    dnr = reg.query("select diarienummer from arende")[0]["diarienummer"]
    assert dnr in dup
    assert reg.query("select count(*) as n from handling where status='registrerad'")[0]["n"] == 1
    # the corrected file dropped again just works
    proc = service()
    fixed = example("uppdragshandling") | {"rubrik": "Nu med allt"}
    drop(workspace, "fel.yaml", fixed)
    wait_for(lambda: len(done(workspace)) == 2, what="corrected file processed")
    assert stop_watcher(proc) == 0
    assert not list((workspace / "inbox").glob("*.yaml"))


def test_slowly_written_file_is_not_taken_before_it_is_complete(workspace, service):
    proc = service()
    text = yaml.safe_dump(example("uppdragshandling"), allow_unicode=True, sort_keys=False).encode("utf-8")
    path = workspace / "inbox" / "langsam.yaml"
    chunks = [text[i:i + 200] for i in range(0, len(text), 200)]
    with open(path, "wb") as f:
        for chunk in chunks:
            f.write(chunk)
            f.flush()
            time.sleep(0.25)  # a clock by design: a writer that is slow (no event marks "still writing")
            assert path.exists(), "taken while still being written"
    wait_for(lambda: len(done(workspace)) == 1, what="file processed after close")
    assert failed(workspace) == []
    assert stop_watcher(proc) == 0


def test_fifty_files_dropped_at_once_all_come_out(workspace, service):
    for i, data in enumerate(inputs(50)):
        write_yaml(workspace / "inbox", f"u{i:02d}.yaml", data)  # waiting before the service starts
    proc = service()
    wait_for(lambda: len(done(workspace)) == 50, timeout=240, what="50 documents")
    assert stop_watcher(proc) == 0
    assert failed(workspace) == []
    reg = Store(f"sqlite:///{workspace / 'docgen.sqlite'}")
    numbers = [r["nummer"] for r in reg.query("select nummer from arende order by nummer")]
    assert numbers == list(range(1, 51))
    pdfs = list((workspace / "outbox").glob("*/*.pdf"))
    assert len(pdfs) == 50


def test_ignored_names_are_left_alone(workspace, service):
    proc = service()
    for name in ("~$utkast.yaml", ".dold.yaml", "pagar.yaml.part", "x.tmp", "anteckning.txt"):
        (workspace / "inbox" / name).write_text("dokumenttyp: uppdragshandling\n", encoding="utf-8")
    drop(workspace, "bra.yaml", example("uppdragshandling"))
    wait_for(lambda: len(done(workspace)) == 1, what="the real input")
    # written the same way as the ignored names, after them: once it is taken, they had every chance
    (workspace / "inbox" / "efter.yaml").write_text(yaml.safe_dump(example("uppdragshandling") | {"rubrik": "Efter"},
                                                                   allow_unicode=True), encoding="utf-8")
    wait_for(lambda: len(done(workspace)) == 2, what="a real input written after the ignored ones")
    assert stop_watcher(proc) == 0
    left = sorted(p.name for p in (workspace / "inbox").iterdir() if p.is_file())
    assert left == sorted(["~$utkast.yaml", ".dold.yaml", "pagar.yaml.part", "x.tmp", "anteckning.txt"])
    assert failed(workspace) == []


def test_polling_observer_takes_stable_files(workspace, service):
    proc = service("--polling")
    write_yaml(workspace / "inbox", "delad.yaml", example("uppdragshandling"))
    wait_for(lambda: len(done(workspace)) == 1, what="file seen by polling")
    assert stop_watcher(proc) == 0


def test_kill_9_mid_batch_then_restart_processes_every_input_exactly_once(workspace, service):
    n = 30
    for i, data in enumerate(inputs(n)):
        write_yaml(workspace / "inbox", f"k{i:02d}.yaml", data)
    proc = service()
    wait_for(lambda: len(done(workspace)) >= 5, what="some progress")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    in_work = list((workspace / "inbox" / "arbete").rglob("*.yaml"))
    proc = service()
    wait_for(lambda: len(done(workspace)) == n, timeout=240, what="all inputs after restart")
    assert stop_watcher(proc) == 0
    assert failed(workspace) == []
    reg = Store(f"sqlite:///{workspace / 'docgen.sqlite'}")
    rows = reg.query("select a.nummer, a.status as astatus, h.status, h.rubrik from arende a join handling h on h.arende_id=a.id order by a.nummer")
    assert [r["nummer"] for r in rows] == list(range(1, n + 1)), "numbers distinct and without gaps"
    assert {r["status"] for r in rows} == {"registrerad"} and {r["astatus"] for r in rows} == {"oppen"}
    assert sorted(r["rubrik"] for r in rows) == sorted(f"Uppdrag nummer {i + 1}" for i in range(n))
    records = list((workspace / "outbox").glob("*/*.json"))
    assert len(records) == n, "one complete output set per input"
    assert not list((workspace / "outbox").rglob("*.registreras")), "no record left pending"
    assert not list((workspace / "outbox").glob("*/.tmp-*"))
    assert not list((workspace / "inbox" / "arbete").rglob("*.yaml"))
    log = (workspace / "watch.log").read_text()
    if in_work:
        assert "taking over" in log


def test_sigterm_finishes_or_returns_in_flight_files(workspace, service):
    n = 12
    for i, data in enumerate(inputs(n, "Avbrott")):
        write_yaml(workspace / "inbox", f"s{i:02d}.yaml", data)
    proc = service(workers=1)
    wait_for(lambda: len(done(workspace)) >= 1, what="first document")
    assert stop_watcher(proc) == 0
    waiting = [p for p in (workspace / "inbox").glob("*.yaml")]
    assert len(done(workspace)) + len(waiting) == n, "every input is processed or back in the inbox"
    assert not list((workspace / "inbox" / "arbete").rglob("*.yaml"))
    reg = Store(f"sqlite:///{workspace / 'docgen.sqlite'}")
    assert reg.query("select count(*) as n from handling where status != 'registrerad'")[0]["n"] == 0


def test_status_and_json_log(workspace, service):
    proc = service("--log-format", "json")
    drop(workspace, "bra.yaml", example("uppdragshandling"))
    drop(workspace, "fel.yaml", {"dokumenttyp": "okand"})
    wait_for(lambda: len(done(workspace)) == 1 and len(failed(workspace)) == 1, what="both handled")
    assert stop_watcher(proc) == 0
    lines = [json.loads(line) for line in (workspace / "watch.log").read_text().splitlines() if line.startswith("{")]
    docs = {d["input"]: d for d in lines if "input" in d}
    assert docs["bra.yaml"]["result"] == "ok" and docs["bra.yaml"]["diarienummer"]
    # every step that ran is timed once, by its name in the step list (pipeline.NEW_INPUT)
    assert set(docs["bra.yaml"]["stages_ms"]) >= {"load", "check", "render", "number", "stamp", "layout", "convert", "publish",
                                                  "distribute", "register"}
    assert docs["fel.yaml"]["result"] == "input"
    out = subprocess.run(DOCGEN + ["-w", str(workspace), "status", "--json"], capture_output=True, text=True, check=True)
    st = json.loads(out.stdout)
    assert st["processed"] == 1 and st["waiting"] == [] and st["in_progress"] == []
    assert [f["file"] for f in st["failed"]] == ["fel.yaml"] and "okänd dokumenttyp" in st["failed"][0]["summary"]


def test_input_waits_for_its_attachments_and_moves_with_them(workspace, service, pool):
    from docgen.office import OfficePool  # noqa: F401  (the session pool made the attachment below)
    from docx import Document

    proc = service()
    data = example("uppdragshandling") | {"bilagor": [{"fil": "bilaga.docx", "titel": "Tidplan"}]}
    drop(workspace, "med-bilaga.yaml", data)
    drop(workspace, "trasig.yaml", {"dokumenttyp": "uppdragshandling", "rubrik": "Saknar det mesta"})
    # dropped after it and refused at once: by then the watcher has looked at the input that waits
    wait_for(lambda: failed(workspace), 60, what="the input dropped after it")
    assert done(workspace) == [] and [report_of(f)[0] for f in failed(workspace)] == ["trasig.yaml"], \
        "taken before its attachment arrived"
    d = Document()
    d.add_paragraph("Tidplan för arbetet")
    d.save(workspace / ".bilaga.tmp")
    os.rename(workspace / ".bilaga.tmp", workspace / "inbox" / "bilaga.docx")
    wait_for(lambda: len(done(workspace)) == 1, what="input with attachment")
    assert stop_watcher(proc) == 0
    folder = done(workspace)[0]
    assert sorted(p.name for p in folder.iterdir()) == ["bilaga.docx", "med-bilaga.yaml"]
    from pypdf import PdfReader
    pdf = next((workspace / "outbox").glob("*/*.pdf"))
    last = PdfReader(pdf).pages[-1].extract_text()
    assert "Tidplan för arbetet" in last and "Bilaga 1 till RS" in last


def test_missing_attachment_fails_after_grace_period(workspace, service):
    set_setting(workspace, "bevakning", "bilagor_vantetid", 1.0)
    proc = service()
    drop(workspace, "saknas.yaml", example("uppdragshandling") | {"bilagor": [{"fil": "finns-inte.pdf"}]})
    wait_for(lambda: len(failed(workspace)) == 1, what="failure after grace period")
    assert stop_watcher(proc) == 0
    name, text = report_of(failed(workspace)[0])
    assert name == "saknas.yaml" and "finns-inte.pdf" in text and "bilagor[1].fil" in text


def test_subfolders_are_watched_when_configured(workspace, service):
    set_setting(workspace, "bevakning", "undermappar", True)
    (workspace / "inbox" / "enhet-a").mkdir()
    proc = service()
    tmp = write_yaml(workspace, ".u.part", example("uppdragshandling"))
    os.rename(tmp, workspace / "inbox" / "enhet-a" / "uppdrag.yaml")
    wait_for(lambda: len(done(workspace)) == 1, what="file in a sub-folder")
    assert stop_watcher(proc) == 0
    assert (done(workspace)[0] / "uppdrag.yaml").is_file()


def test_work_folder_of_a_dead_process_with_a_reused_pid_is_taken_over(config, engine, workspace):
    from docgen.owners import owner_id
    from docgen.service import Watcher

    w = Watcher(config, engine=engine, workers=1)
    host, pid, start = owner_id().split(":")
    stale = w.folders.work_root / f"{host}_{pid}_{int(start) - 1}" / "20260101-000000-abcdef"
    stale.mkdir(parents=True)
    write_yaml(stale, "kvar.yaml", example("uppdragshandling"))
    taken = w.recover()
    assert [p.name for p in taken] == ["kvar.yaml"] and taken[0].parent.parent == w.folders.own_work
    assert not stale.parent.exists()


def test_inbox_that_vanishes_and_returns_is_watched_again(workspace, service):
    set_setting(workspace, "bevakning", "omsokning_minuter", 0.02)
    proc = service()
    os.rename(workspace / "inbox", workspace / "inbox-borta")  # the share went away
    # it says so (which words depends on what it sees first: the folder replaced, or not there to watch)
    wait_for(lambda: "warning:" in (workspace / "watch.log").read_text(encoding="utf-8") or proc.poll() is not None,
             30, what="the watcher noticing the inbox is gone")
    assert proc.poll() is None, "the service survives a vanished inbox"
    (workspace / "inbox").mkdir()  # ... and came back
    drop(workspace, "tillbaka.yaml", example("uppdragshandling"))
    wait_for(lambda: len(done(workspace)) == 1, what="file in the returned inbox")
    assert stop_watcher(proc) == 0


def test_inbox_deleted_and_recreated_twenty_times_each_drop_is_taken_by_its_event(workspace, service):
    """A new folder often gets the inode number of the one just deleted: the watcher must notice the
    deletion itself (the watch on the old folder ended), re-arm on the new folder and take each drop on its
    event, long before the rescan (set to an hour here, so that only the events can take the file)."""
    import shutil

    set_setting(workspace, "bevakning", "omsokning_minuter", 60)
    proc = service(workers=1)
    inbox = workspace / "inbox"
    made = []
    for i in range(20):
        shutil.rmtree(inbox)
        inbox.mkdir()
        made.append(inbox.stat().st_ino)
        name = f"omgang{i}.yaml"
        drop(workspace, name, example("uppdragshandling") | {"rubrik": f"Ny inkorg {i}"})
        wait_for(lambda: not (inbox / name).exists(), 30, what=f"drop {i} taken (the rescan is an hour away)")
        wait_for(lambda: len(list((workspace / "outbox").glob("*/*.json"))) == i + 1, 120, what=f"document {i}")
        # its claim folder is moved to behandlade/ just after the record is written: deleting the inbox before
        # that would delete the claim under the watcher's hands (a race of the test, not of the service)
        wait_for(lambda: list((inbox / "behandlade").glob(f"*/{name}")), 30, what=f"drop {i} finished")
        assert proc.poll() is None
    assert stop_watcher(proc) == 0
    log = (workspace / "watch.log").read_text(encoding="utf-8")
    assert log.count("the inbox") >= 20 and "Traceback" not in log
    print(f"inode numbers of the 20 new inboxes: {len(set(made))} distinct")

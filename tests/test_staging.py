"""Staging folders in the outbox (SQLite, real LibreOffice): a killed `docgen render` leaves one, and the
next start removes it; a version registered by a process that stopped before placing its files is placed
from its staging folder, byte for byte what the diarium holds."""
from __future__ import annotations

import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from docgen import liveness, owners
from docgen.model import Job
from docgen.pipeline import NEW_INPUT, REGISTER
from docgen.steps import number, publish, register
from tests.conftest import DOCGEN, ROOT, example, run, wait_until, write_yaml




def test_a_killed_render_leaves_a_staging_folder_the_next_start_removes(workspace):
    staging = workspace / "outbox" / ".staging"

    def own_folder(pid):
        for d in staging.glob("*") if staging.is_dir() else []:
            if owners.from_name(d.name).split(":")[1:2] == [str(pid)]:
                return d
        return None

    for i in range(6):
        path = write_yaml(workspace / "inbox", f"d{i}.yaml", example("beslut") | {"rubrik": f"Dödad körning {i}"})
        proc = subprocess.Popen([*DOCGEN, "-w", str(workspace), "render", str(path)], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        folder = wait_until(lambda: own_folder(proc.pid) or proc.poll() is not None, 120, every=0.01)
        if isinstance(folder, type(staging)):
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            if folder.exists():
                break
        proc.wait(120)
    else:
        pytest.fail("the render finished before it could be killed")
    assert folder.exists()
    # the next start (any docgen command that opens an engine) removes it
    other = write_yaml(workspace / "inbox", "annan.yaml", example("beslut") | {"rubrik": "Nästa körning"})
    assert run(workspace, "render", str(other)).exit_code == 0
    assert not folder.exists()
    assert not [d for d in staging.iterdir() if owners.from_name(d.name)] if staging.is_dir() else True


def test_a_version_registered_but_not_placed_is_placed_from_its_staging_folder(engine, workspace):
    path = write_yaml(workspace / "inbox", "p.yaml", example("beslut") | {"rubrik": "Registrerad men inte utlagd"})
    job = Job(str(path), path)
    # every step up to the register step; then the register step's commit without its renames (a process
    # stopped between the diarium's commit and placing the files)
    for step in NEW_INPUT[:NEW_INPUT.index(REGISTER)]:
        job = step.run(job, engine)
    outbox = engine.config.outbox
    register.write_json(publish.staged(job, outbox, job.folder / f"{job.stem}.json"), register.record(job))
    register._register(job, engine)
    assert not (job.folder / f"{job.stem}.pdf").exists()  # nothing visible yet

    done = liveness.clean_staging(engine.config, engine.store)
    assert {p.name for p in done["placed"]} >= {f"{job.stem}.pdf", f"{job.stem}.docx", f"{job.stem}.json"}
    # the staging folder belongs to this (live) process: it stays until the process is done with it
    assert job.staging.is_dir()
    r = run(workspace, "verify")
    assert r.exit_code == 0 and " 0 avvikelser" in r.output, r.output
    assert engine.store.query("SELECT status FROM handling WHERE id = :h",
                              h=job.reservation.handling_id)[0]["status"] == "registrerad"


def test_a_version_whose_files_cannot_be_placed_after_its_commit_is_kept_and_placed_by_the_next_attempt(engine, workspace):
    """The outbox refuses a rename after the diarium's commit (here: a folder where the JSON record goes): the
    document stays registered (never voided), its staging folder is kept, and the next attempt at the same
    input places the files and is this input's document."""
    path = write_yaml(workspace / "inbox", "q.yaml", example("beslut") | {"rubrik": "Registrerad före ett fel"})
    probe = Job(str(path), path)
    for step in NEW_INPUT[:NEW_INPUT.index(REGISTER)]:  # where the files will go, then void that trial number
        probe = step.run(probe, engine)
    trial = str(probe.folder / f"{probe.stem}.json")  # e.g. …/RS-2026-00001-01 Titel/RS-2026-00001-01 Titel v1.json
    slug = probe.reservation.diarienummer.replace(" ", "-")
    nxt = slug[:-5] + f"{int(slug[-5:]) + 1:05d}"
    blocked = Path(trial.replace(slug, nxt))
    assert number.void(engine.store, probe.reservation, "test: only to learn the file names")
    shutil.rmtree(probe.staging)
    blocked.mkdir(parents=True)  # the next number's record cannot be renamed into place

    first = engine.process(path)
    assert not first.ok and first.voided is None, first
    rows = engine.store.query("SELECT h.status FROM handling h JOIN arende a ON a.id = h.arende_id "
                              "WHERE a.diarienummer = :d", d=first.diarienummer)
    assert [r["status"] for r in rows] == ["registrerad"], (first.diarienummer, rows)
    kept = list((workspace / "outbox" / ".staging").glob("*"))
    assert kept and any(kept[0].rglob("*.json")), "the registered version's staging folder is kept"

    blocked.rmdir()
    again = engine.process(path, retry=True)
    assert again.ok and again.diarienummer == first.diarienummer, again
    assert blocked.is_file()
    r = run(workspace, "verify")
    assert r.exit_code == 0 and " 0 avvikelser" in r.output, r.output

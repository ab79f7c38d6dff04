"""Staging folders in the outbox (SQLite, real LibreOffice): a killed `docgen render` leaves one, and the
next start removes it; a version registered by a process that stopped before placing its files is placed
from its staging folder, byte for byte what the diarium holds."""
from __future__ import annotations

import signal
import subprocess

import pytest

from docgen import liveness, owners
from docgen.model import Job
from docgen.pipeline import NEW_INPUT, REGISTER
from docgen.steps import publish, register
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

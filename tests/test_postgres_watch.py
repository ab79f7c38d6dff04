"""`docgen watch` on a PostgreSQL diarium: an ingest node that claims inputs and submits them to the job
queue, finishing each claim (behandlade/ or fel/ with its report) when its job ends; a watcher that also
starts a worker beside it; a killed ingest watcher's claims taken over by the next one, its queued jobs run once."""
from __future__ import annotations

import os
import signal

from docgen.store import Store
from tests.conftest import example, set_setting
from tests.pgserver import pg_server, pg_url  # noqa: F401  (fixtures)
from helpers import done, drop, failed, report_of, start_watcher, stop_watcher, wait_for


def test_ingest_watchers_submit_and_a_killed_ones_claims_are_taken_over(pg_server, pg_url, workspace):
    set_setting(workspace, "sokvagar", "register", pg_url)
    set_setting(workspace, "bevakning", "stabil_tid", 0.2)
    # The ingest watcher runs alone first, so that nothing finishes its claims before it is killed: its jobs
    # wait in the queue. The converting watcher, started after the kill, must take its claims over.
    ingest = start_watcher(workspace, "--submit-only", workers=1)
    procs = [ingest]
    try:
        log = workspace / "watch.log"
        drop(workspace, "trasig.yaml", {"dokumenttyp": "uppdragshandling", "rubrik": "Saknar fält", "datum": "2026-13-01"})
        for i in range(8):
            drop(workspace, f"k{i}.yaml", example("uppdragshandling") | {"rubrik": f"Kö {i}"})
        work = workspace / "inbox" / "arbete"
        mine = f"{os.uname().nodename}_{ingest.pid}_"

        def ingest_holds():
            held = [f for d in work.iterdir() if d.name.startswith(mine) for f in d.rglob("k*.yaml")] if work.is_dir() else []
            return len(held) == 8
        wait_for(ingest_holds, 60, what="the ingest watcher holding the 8 valid inputs")
        os.kill(ingest.pid, signal.SIGKILL)
        ingest.wait()
        converter = start_watcher(workspace, workers=1)  # converts: starts `docgen worker` beside it
        procs.append(converter)
        wait_for(lambda: len(done(workspace)) == 8 and len(failed(workspace)) == 1, 180,
                 what="every input finished, the killed watcher's claims too")
        assert stop_watcher(converter) == 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    [(name, report)] = [report_of(f) for f in failed(workspace)]
    assert name == "trasig.yaml" and "datum" in report and "field datum" in report
    reg = Store(pg_url)
    rows = reg.query("select h.status, v.kalla from handling h join version v on v.handling_id = h.id")
    assert sorted(r["kalla"].split("/")[-1] for r in rows) == [f"k{i}.yaml" for i in range(8)], "each exactly once"
    assert all(r["status"] == "registrerad" for r in rows)
    assert not list(work.rglob("*.yaml")), "nothing left in progress"
    text = log.read_text()
    assert "worker started beside the watcher" in text and "Traceback" not in text
    assert "taking over" in text, "the running watcher took over the killed one's claims"

"""Numbers reserved at submission (`docgen submit` on the suite's PostgreSQL, real `docgen worker` nodes and
LibreOffice): the statement that queues an input that opens a new case also reserves its number, owned by
the job; a start does not void it while the job waits; the worker registers that number; a worker that
refuses the input voids it with the reason; an input whose live reservation belongs to a job that will not
run is queued without a number and the worker takes that reservation over."""
from __future__ import annotations

import json
import subprocess

from docgen import liveness
from docgen.config import load_config
from docgen.queue.submit import Submitter, wait_for
from docgen.store import Store
from tests.conftest import DOCGEN, ROOT, example, set_setting, start_worker, wait_until, write_yaml
from tests.pgserver import pg_server, pg_url  # noqa: F401  (fixtures)


def _setup(workspace, pg_url):
    set_setting(workspace, "sokvagar", "register", pg_url)
    cfg = load_config(workspace)
    return cfg, Store(cfg.registry_url)


def _docs(st, sid: int) -> list[dict]:
    return st.query("SELECT h.id, h.status, h.agare, h.makulerad_orsak, a.diarienummer, a.status AS arende_status "
                    "FROM handling h JOIN arende a ON a.id = h.arende_id JOIN inlamning i ON i.sha256 = h.input_sha256 "
                    "WHERE i.id = :s ORDER BY h.id", s=sid)


def _stop(worker, log) -> None:
    worker.terminate()
    worker.wait(60)
    print(f"--- worker log (tail) ---\n{log.read_text()[-3000:]}")


def test_the_number_reserved_at_submission_is_the_one_registered(pg_server, pg_url, workspace, tmp_path):
    cfg, st = _setup(workspace, pg_url)
    worker = None
    try:
        path = write_yaml(workspace / "inbox", "n1.yaml", example("beslut") | {"rubrik": "Numrerad vid inlämning"})
        with Submitter(cfg, st) as sub:
            queued = sub.submit(path)
        assert queued["status"] == "koad", queued
        # reserved with the submission, owned by its job; a start does not void it while the job waits
        [doc] = _docs(st, queued["inlamning"])
        assert doc["status"] == "reserverad" and doc["agare"] == f"jobb:{queued['jobb']}", doc
        assert liveness.void_dead_reservations(cfg, st) == []
        assert _docs(st, queued["inlamning"]) == [doc]

        log = tmp_path / "worker.log"
        worker = start_worker(workspace, log)
        final = wait_for(st, [queued["inlamning"]], timeout=300)[queued["inlamning"]]
        assert final["status"] == "klar", (final, log.read_text()[-3000:])
        assert final["resultat"]["diarienummer"] == doc["diarienummer"] and final["resultat"]["ok"]
        [after] = _docs(st, queued["inlamning"])
        assert after["id"] == doc["id"] and after["status"] == "registrerad" and after["agare"] is None
        assert after["arende_status"] == "oppen"
        assert st.query("SELECT senaste FROM nummerserie")[0]["senaste"] == 1
        v = subprocess.run([*DOCGEN, "-w", str(workspace), "verify"], cwd=ROOT, capture_output=True, text=True,
                           timeout=120)
        assert v.returncode == 0 and " 0 avvikelser" in v.stdout, v.stdout + v.stderr
    finally:
        if worker is not None:
            _stop(worker, tmp_path / "worker.log")
        st.close()


def test_a_number_reserved_at_submission_is_voided_with_the_reason_when_the_worker_refuses(
        pg_server, pg_url, workspace, tmp_path):
    cfg, st = _setup(workspace, pg_url)
    worker = None
    try:
        path = write_yaml(workspace / "inbox", "n2.yaml", example("beslut") | {"rubrik": "Nekas av noden"})
        with Submitter(cfg, st) as sub:
            queued = sub.submit(path)
        assert queued["status"] == "koad", queued
        [doc] = _docs(st, queued["inlamning"])
        assert doc["status"] == "reserverad"
        # the node's docgen.toml no longer has the input's series: its check refuses the input
        set_setting(workspace, "numrering", "serier", ["AB"])
        set_setting(workspace, "numrering", "standardserie", "AB")
        log = tmp_path / "worker.log"
        worker = start_worker(workspace, log)
        final = wait_for(st, [queued["inlamning"]], timeout=300)[queued["inlamning"]]
        assert final["status"] == "nekad", (final, log.read_text()[-3000:])
        assert final["resultat"]["voided"] == f"{doc['diarienummer']} handling 1", final["resultat"]
        [after] = _docs(st, queued["inlamning"])
        assert after["status"] == "makulerad" and after["arende_status"] == "makulerad", after
        assert "RS" in after["makulerad_orsak"], after  # the worker's report: why
        assert after["makulerad_orsak"] == final["resultat"]["error"][:2000]
        assert st.query("SELECT senaste FROM nummerserie")[0]["senaste"] == 1  # nothing else numbered
    finally:
        if worker is not None:
            _stop(worker, tmp_path / "worker.log")
        st.close()


def test_an_input_whose_reservation_belongs_to_a_job_that_will_not_run_keeps_its_number(
        pg_server, pg_url, workspace, tmp_path):
    cfg, st = _setup(workspace, pg_url)
    worker = None
    try:
        path = write_yaml(workspace / "inbox", "n3.yaml", example("beslut") | {"rubrik": "Jobbet avbröts"})
        with Submitter(cfg, st) as sub:
            first = sub.submit(path)
            [doc] = _docs(st, first["inlamning"])
            # its job is cancelled before any worker ran it: the reservation's owner will never register it
            with st.read() as conn:
                conn.exec_driver_sql(f"SELECT procrastinate_cancel_job_v1({int(first['jobb'])}, false, false)")
            again = subprocess.run([*DOCGEN, "-w", str(workspace), "submit", "--json", str(path)], cwd=ROOT,
                                   capture_output=True, text=True, timeout=120)
        second = json.loads(again.stdout.splitlines()[0])
        assert second["status"] == "koad", again.stdout + again.stderr
        # queued without a number of its own (the input's live reservation refused a second one)
        assert st.query("SELECT senaste FROM nummerserie")[0]["senaste"] == 1
        log = tmp_path / "worker.log"
        worker = start_worker(workspace, log)
        final = wait_for(st, [second["inlamning"]], timeout=300)[second["inlamning"]]
        assert final["status"] == "klar", (final, log.read_text()[-3000:])
        # the worker took the abandoned reservation over: the same number, registered once
        docs = _docs(st, second["inlamning"])
        assert [(d["id"], d["status"], d["diarienummer"]) for d in docs] == [
            (doc["id"], "registrerad", doc["diarienummer"])], docs
        assert st.query("SELECT senaste FROM nummerserie")[0]["senaste"] == 1
    finally:
        if worker is not None:
            _stop(worker, tmp_path / "worker.log")
        st.close()

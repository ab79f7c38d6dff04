"""A `docgen worker` on the suite's PostgreSQL that cannot write for want of room after the number was taken (the
outbox's staging folder turned read-only: a real read-only bind mount) keeps the number, and the queue tries the
job again later (procrastinate's retry) until the folder is writable: the same number is registered, none is
voided, the series has no gap. Needs root (mount)."""
from __future__ import annotations

import json
import os
import subprocess

import pytest

from docgen.config import load_config
from docgen.store import Store
from tests.conftest import DOCGEN, ROOT, example, set_setting, start_worker, wait_until, write_yaml
from tests.pgserver import pg_server, pg_url  # noqa: F401  (fixtures)


def test_a_worker_keeps_the_number_while_the_outbox_cannot_be_written(pg_server, pg_url, workspace, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting needs root")
    set_setting(workspace, "sokvagar", "register", pg_url)
    staging = workspace / "outbox" / ".staging"
    staging.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "--bind", str(staging), str(staging)], check=True)
    mounted = True
    st = Store(load_config(workspace).registry_url)
    worker = None
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(staging)], check=True)
        path = write_yaml(workspace / "inbox", "rum.yaml", example("beslut") | {"rubrik": "Väntar på skrivbar utkorg"})
        r = subprocess.run([*DOCGEN, "-w", str(workspace), "submit", "--json", str(path)], cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
        sub = json.loads(r.stdout.splitlines()[0])
        assert sub["status"] == "koad", r.stdout + r.stderr
        worker = start_worker(workspace, tmp_path / "worker.log")

        def attempts() -> int:
            return st.query("SELECT forsok FROM inlamning WHERE id = :i", i=sub["inlamning"])[0]["forsok"]

        # two attempts that could not write, the second one after the queue's retry
        assert wait_until(lambda: attempts() >= 2, 120, every=0.5), (tmp_path / "worker.log").read_text()
        held = st.query("SELECT h.status, h.agare, a.diarienummer FROM handling h JOIN arende a ON a.id = h.arende_id")
        assert [h["status"] for h in held] == ["reserverad"], held  # kept, not voided
        row = st.query("SELECT status, resultat FROM inlamning WHERE id = :i", i=sub["inlamning"])[0]
        assert row["status"] in ("koad", "pagar")
        job = st.query("SELECT j.status::text AS status FROM procrastinate_jobs j JOIN inlamning i ON i.jobb_id = j.id "
                       "WHERE i.id = :i", i=sub["inlamning"])[0]["status"]
        assert job in ("todo", "doing")  # waiting for its next attempt, not failed
        if row["resultat"]:
            assert json.loads(row["resultat"])["error_kind"] == "resource"

        subprocess.run(["umount", str(staging)], check=True)
        mounted = False

        def final():
            rows = st.query("SELECT status, resultat FROM inlamning WHERE id = :i", i=sub["inlamning"])
            return rows[0] if rows[0]["status"] in ("klar", "nekad", "fel") else None

        done = wait_until(final, 180, every=0.5)
        assert done and done["status"] == "klar", (done, (tmp_path / "worker.log").read_text()[-3000:])
        outcome = json.loads(done["resultat"])
        assert outcome["diarienummer"] == held[0]["diarienummer"]  # the number it kept
        docs = st.query("SELECT status FROM handling")
        cases = st.query("SELECT nummer, status FROM arende")
        assert [d["status"] for d in docs] == ["registrerad"] and [c["status"] for c in cases] == ["oppen"]
        assert st.query("SELECT senaste FROM nummerserie")[0]["senaste"] == 1  # no gap: one number handed out
        r = subprocess.run([*DOCGEN, "-w", str(workspace), "verify"], cwd=ROOT, capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(60)
        if mounted:
            subprocess.run(["umount", "-l", str(staging)], check=False)
        st.close()

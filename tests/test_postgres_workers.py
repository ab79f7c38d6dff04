"""Three `docgen worker` processes on one PostgreSQL diarium, real LibreOffice, real processes: 60 inputs
submitted with `docgen submit`, one worker killed with SIGKILL while it holds a reservation, PostgreSQL
restarted mid-batch. Every input is registered exactly once; every number handed out is registered or
voided with a reason; the killed worker's document keeps its number."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter


from docgen.config import load_config
from docgen.steps.number import allocate_number
from docgen.store import Store
from tests.conftest import DOCGEN, ROOT, example, set_setting, start_worker, wait_until, write_yaml
from tests.pgserver import pg_server, pg_url  # noqa: F401  (fixtures)





def test_three_workers_sixty_inputs_kill9_and_database_restart(pg_server, pg_url, workspace, tmp_path):
    set_setting(workspace, "sokvagar", "register", pg_url)
    cfg = load_config(workspace)
    st = Store(cfg.registry_url)
    workers = []
    try:
        _, shared = allocate_number(st, cfg, "RS", "Delat ärende")  # 16 of the inputs are documents in this case
        files = []
        for i in range(44):
            data = example("beslut") | {"rubrik": f"Beslut {i}"}
            files.append(write_yaml(workspace / "inbox", f"b{i:02d}.yaml", data))
        for i in range(16):
            data = example("lagesrapport-program") | {"diarienummer": shared, "rubrik": f"Läge {i}"}
            data.pop("serie", None)
            files.append(write_yaml(workspace / "inbox", f"l{i:02d}.yaml", data))
        # the same inputs again under other names, in the same batch
        files.append(write_yaml(workspace / "inbox", "b00-igen.yaml", example("beslut") | {"rubrik": "Beslut 0"}))
        files.append(write_yaml(workspace / "inbox", "l00-igen.yaml", {
            k: v for k, v in (example("lagesrapport-program") | {"diarienummer": shared, "rubrik": "Läge 0"}).items()
            if k != "serie"}))

        workers = [start_worker(workspace, tmp_path / f"w{i}.log", send_cron="*/3 * * * * *") for i in range(3)]
        t0 = time.monotonic()
        r = subprocess.run([*DOCGEN, "-w", str(workspace), "submit", "--json", *map(str, files)], cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
        submitted = [json.loads(line) for line in r.stdout.splitlines()]
        assert len(submitted) == 62, r.stderr[-3000:]
        queued = [s for s in submitted if s["status"] == "koad"]
        assert len(queued) >= 60 and all(s["jobb"] for s in queued)
        refused_at_submit = [s for s in submitted if s["status"] == "nekad"]
        assert all(s["felsort"] == "duplicate" for s in refused_at_submit), refused_at_submit

        def registered() -> int:
            return st.query("SELECT COUNT(*) AS n FROM handling WHERE status = 'registrerad'")[0]["n"]

        # kill -9 a worker while it holds a reservation (a document numbered, not yet registered)
        pids = {str(w.pid): w for w in workers}
        assert wait_until(lambda: registered() >= 10, 120), "no progress"

        def held():
            for row in st.query("SELECT h.id, h.agare, a.diarienummer, h.lopnummer FROM handling h "
                                "JOIN arende a ON a.id = h.arende_id WHERE h.status = 'reserverad'"):
                pid = (row["agare"] or "::").rsplit(":", 2)[1]
                if pid in pids:
                    return row
            return None

        victim = wait_until(held, 60, every=0.01)
        assert victim, "no worker held a reservation"
        os.kill(int(victim["agare"].rsplit(":", 2)[1]), signal.SIGKILL)
        killed = pids[victim["agare"].rsplit(":", 2)[1]]
        killed.wait(10)
        state = st.query("SELECT status FROM handling WHERE id = :i", i=victim["id"])[0]["status"]

        # restart PostgreSQL mid-batch
        assert wait_until(lambda: registered() >= 35, 150), "no progress after the kill"
        pg_server.restart(down_for=1.0)

        ids = [s["inlamning"] for s in queued]

        def finished():
            rows = st.query("SELECT status, COUNT(*) AS n FROM inlamning WHERE id IN (%s) GROUP BY status"
                            % ",".join(map(str, ids)))
            counts = {r["status"]: r["n"] for r in rows}
            return counts if not set(counts) - {"klar", "nekad", "fel"} else None

        counts = wait_until(finished, 150, every=0.5)
        elapsed = time.monotonic() - t0
        assert counts, st.query("SELECT id, kalla, status, forsok, resultat FROM inlamning WHERE status NOT IN "
                                "('klar', 'nekad')")
        print(f"\n60 inputs, 3 workers (one killed), restart: {elapsed:.1f} s; {counts}")

        # every input registered exactly once
        docs = st.query("SELECT h.id, h.status, h.input_sha256, h.makulerad_orsak, a.diarienummer, h.lopnummer "
                        "FROM handling h JOIN arende a ON a.id = h.arende_id")
        live = Counter(d["input_sha256"] for d in docs if d["status"] == "registrerad")
        assert len(live) == 60 and set(live.values()) == {1}
        assert counts.get("klar") == 60 and counts.get("fel") is None, counts
        assert counts.get("nekad", 0) == len(queued) - 60  # a duplicate queued after its twin started: refused
        # every number handed out is registered or voided with a reason; no reservation left
        for d in docs:
            assert d["status"] == "registrerad" or (d["status"] == "makulerad" and d["makulerad_orsak"]), d
        cases = st.query("SELECT serie, ar, nummer, status, makulerad_orsak FROM arende")
        for c in cases:
            assert c["status"] == "oppen" or (c["status"] == "makulerad" and c["makulerad_orsak"]), c
        series = st.query("SELECT serie, ar, senaste FROM nummerserie")
        for s in series:
            numbers = sorted(c["nummer"] for c in cases if c["serie"] == s["serie"] and c["ar"] == s["ar"])
            assert numbers == list(range(1, s["senaste"] + 1))  # no number skipped, none twice
        in_shared = sorted(d["lopnummer"] for d in docs if d["diarienummer"] == shared and d["status"] == "registrerad")
        assert in_shared == list(range(1, 17))
        # the killed worker's document: taken over by another worker, same number, registered once
        after = st.query("SELECT h.status, a.diarienummer, h.lopnummer FROM handling h JOIN arende a "
                         "ON a.id = h.arende_id WHERE h.id = :i", i=victim["id"])[0]
        assert state == "reserverad", "the victim had already registered: no takeover to prove"
        assert after == {"status": "registrerad", "diarienummer": victim["diarienummer"],
                         "lopnummer": victim["lopnummer"]}
        made_by = st.query("SELECT skapad_av FROM version WHERE handling_id = :i", i=victim["id"])
        assert len(made_by) == 1 and made_by[0]["skapad_av"] != victim["agare"]
        # each registered document's PDF is in the (shared) outbox
        pdfs = st.query("SELECT sokvag FROM fil WHERE typ = 'pdf'")
        assert len(pdfs) == 60 and all((workspace / "outbox" / p["sokvag"]).is_file() for p in pdfs)
        # no job failed; periodic sending deferred once per slot across the three workers
        jobs = st.query("SELECT task_name, status::text AS status, args FROM procrastinate_jobs")
        assert not [j for j in jobs if j["status"] == "failed"], [j for j in jobs if j["status"] == "failed"]
        stamps = Counter(json.dumps(j["args"]) for j in jobs if j["task_name"] == "docgen:send_pending")
        assert stamps and max(stamps.values()) == 1
        from docgen.queue import queue_status

        status = queue_status(st)
        assert status["failed"] == 0 and status["queued"] == 0 and status["running"] == 0
        for w in workers:
            if w is not killed:
                assert w.poll() is None, "a worker stopped"
    finally:
        for w in workers:
            if w.poll() is None:
                w.send_signal(signal.SIGTERM)
        for w in workers:
            try:
                w.wait(60)
            except subprocess.TimeoutExpired:
                w.kill()
        st.close()
        for i in range(3):
            log = tmp_path / f"w{i}.log"
            if log.exists():
                print(f"--- worker {i} log (tail) ---\n{log.read_text()[-4000:]}")

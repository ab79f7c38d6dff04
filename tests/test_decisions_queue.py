"""The digital decision on the PostgreSQL job queue (the suite's own server, a real `docgen worker`): a
submitted decided input waits without a number, two decision makers deciding at once leave exactly one
decision, and the decided input, submitted again as the queue-mode watcher does, is registered with it."""
from __future__ import annotations

import json
import signal
import threading

from pypdf import PdfReader

from docgen import decisions
from docgen.queue.submit import Submitter, wait_for
from docgen.store import Store
from docgen.web.auth import User
from tests.conftest import example, run, set_setting, start_worker, write_yaml
from tests.pgserver import pg_server, pg_url  # noqa: F401  (fixtures)

MAJA = User("maja", "beslutsfattare", "Regiondirektör", "proxyrubrik")
ERIK = User("erik", "beslutsfattare", "Ekonomidirektör", "lösenord")


def test_a_decision_on_the_queue(pg_url, workspace, make_engine, tmp_path):
    set_setting(workspace, "sokvagar", "register", pg_url)
    for user in (MAJA, ERIK):
        assert run(workspace, "user", "add", user.namn, "--role", "beslutsfattare", "--titel", user.titel).exit_code == 0
    engine = make_engine(workspace)
    store = Store(engine.config.registry_url)
    worker = start_worker(workspace, tmp_path / "worker.log")
    try:
        path = write_yaml(workspace / "inbox", "beslut.yaml", example("beslut") | {"beslutsfattare": ["maja", "erik"]})
        with Submitter(engine.config, store) as sub:
            queued = sub.submit(path, "inkorg/beslut.yaml")
            assert queued["status"] == "koad", queued
            final = wait_for(store, [queued["inlamning"]], timeout=180)[queued["inlamning"]]
            assert final["status"] == "klar", final
            pid = final["resultat"]["waiting"]
            assert pid and final["resultat"]["diarienummer"] is None
            assert store.query("SELECT count(*) AS n FROM handling")[0]["n"] == 0

            for who in (MAJA, ERIK):
                decisions.draft_pdf(engine, pid, who)
            outcomes, start = [], threading.Barrier(2)

            def decide(who):
                start.wait()
                try:
                    outcomes.append(decisions.decide(engine, pid, who, "fattat").beslutad_av)
                except decisions.AlreadyDecided as exc:
                    outcomes.append(exc.status)

            threads = [threading.Thread(target=decide, args=(w,)) for w in (MAJA, ERIK)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
            assert sorted(map(str, outcomes))[0] == "409" and len(outcomes) == 2, outcomes
            winner = decisions.get(store, pid).beslutad_av
            assert winner in outcomes and winner in ("maja", "erik")

            # the queue-mode watcher submits what the decision put into the inbox
            [handed_on] = [f for f in (workspace / "inbox").iterdir() if f.is_file() and f != path]
            again = sub.submit(handed_on, "inkorg/" + handed_on.name)
            assert again["status"] == "koad", again
            done = wait_for(store, [again["inlamning"]], timeout=180)[again["inlamning"]]
        assert done["status"] == "klar" and done["resultat"]["diarienummer"], done
        [row] = store.query("SELECT beslutad_av, autentisering, diarienummer, lopnummer FROM beslutsunderlag WHERE id = :i", i=pid)
        assert row["diarienummer"] == done["resultat"]["diarienummer"] and row["beslutad_av"] == winner
        titel = {"maja": MAJA.titel, "erik": ERIK.titel}[winner]
        pdf = done["resultat"]["files"]["pdf"]
        text = " ".join(p.extract_text() for p in PdfReader(pdf).pages).replace("\n", " ")
        assert f"Beslutet har fattats digitalt av {winner}, {titel}" in text
        record = json.loads(open(done["resultat"]["files"]["json"], encoding="utf-8").read())
        assert record["beslutat"]["beslutad_av"] == winner
        assert store.query("SELECT count(*) AS n FROM handling")[0]["n"] == 1
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(60)
        store.close()

"""The status of a submission that failed is read from the outcome kept as data beside its report
(``.fel.ndjson``): the API and the status page name each problem's field; a report written before the outcome was
kept that way is still read from its text."""
from __future__ import annotations

import secrets

import requests

from conftest import write_yaml
from docgen.service import Watcher
from docgen.store import users
from webutil import Server, add_user, login

PASSWORD = "ett-långt-lösenord"
NAME = "Hanna Handläggare"


def _failed_submission(workspace, config, engine) -> str:
    """A submission's inbox file (as the API names it) with wrong fields, failed by the watcher like any inbox file."""
    sid = secrets.token_hex(16)
    path = write_yaml(workspace / "inbox", f"api-{sid}.yaml", {"dokumenttyp": "uppdragshandling",
                                                                 "rubrik": "Saknar det mesta", "datum": "2026-13-01"})
    with engine.store.tx() as conn:
        users.log(conn, NAME, users.SUBMITTED, detalj=sid)
    watcher = Watcher(config, engine=engine, workers=1)
    outcome = watcher.runner.process(watcher.claims.claim(path))
    assert outcome is not None and not outcome.ok
    return sid


def test_the_status_names_the_fields_from_the_outcome_and_falls_back_to_the_report(workspace, config, engine):
    token = add_user(workspace, NAME, "handlaggare", PASSWORD)
    sid = _failed_submission(workspace, config, engine)
    [record] = (workspace / "inbox" / "fel").glob(f"*/api-{sid}.yaml.fel.ndjson")
    assert record.with_name(f"api-{sid}.yaml.fel.txt").is_file()
    server = Server(workspace, "--utan-bevakning")
    try:
        def status() -> dict:
            r = requests.get(f"{server.url}/api/v1/dokument/{sid}", headers={"Authorization": f"Bearer {token}"},
                             timeout=10)
            assert r.status_code == 200
            return r.json()

        st = status()
        assert st["status"] == "fel" and "datum" in {p["field"] for p in st["problem"]}, st
        assert all(p["sv"] and p["en"] for p in st["problem"])
        s = requests.Session()
        assert login(server.url, NAME, PASSWORD, s).status_code == 303
        page = s.get(f"{server.url}/inskickat/{sid}", timeout=10).text
        assert "fält datum: " in page

        record.unlink()  # as a report written before the outcome was kept as data
        old = status()
        assert old["status"] == "fel" and len(old["problem"]) == len(st["problem"])
        assert {p["field"] for p in old["problem"]} == {""} and any("datum" in p["sv"] for p in old["problem"])
        assert old["rapport"] == st["rapport"]
        assert "fält datum" in s.get(f"{server.url}/inskickat/{sid}", timeout=10).text
    finally:
        server.stop()

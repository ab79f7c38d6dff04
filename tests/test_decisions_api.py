"""The digital decision through the HTTP API of `docgen serve` (real server, watcher, LibreOffice, SQLite): an
officer's submission naming a decision maker waits unnumbered; the decision maker lists it, fetches the draft and
decides; it is then registered with the decision line and the record names them; someone not named gets 403; a
sent-back one returns to the officer with the comment and costs no number."""
from __future__ import annotations

import io
import signal

import pytest
import requests
from click.testing import CliRunner
from pypdf import PdfReader

from docgen.cli import cli
from docgen.config import load_config
from docgen.store import Store
from webutil import Server, add_user, input_of, make_workspace, wait_status


def add_decision_maker(ws, name: str, titel: str) -> str:
    r = CliRunner().invoke(cli, ["-w", str(ws), "user", "add", name, "--role", "beslutsfattare", "--titel", titel],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r.output.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    ws = make_workspace(tmp_path_factory.mktemp("beslutapi"))
    tokens = {"hanna": add_user(ws, "hanna", "handlaggare"),
              "maja": add_decision_maker(ws, "maja", "Regiondirektör"),
              "erik": add_decision_maker(ws, "erik", "Ekonomidirektör")}
    server = Server(ws)
    store = Store(load_config(ws).registry_url)
    yield ws, server.url, tokens, store
    store.close()
    assert server.stop() in (0, -signal.SIGTERM)


def call(site, method, path, who, **kw):
    _, url, tokens, _ = site
    return requests.request(method, url + path, headers={"Authorization": f"Bearer {tokens[who]}"}, timeout=120, **kw)


def numbers_taken(store) -> int:
    return store.query("SELECT count(*) AS n FROM handling")[0]["n"]


def wait_for_status(site, status_url: str, who: str, wanted: str) -> dict:
    _, url, tokens, _ = site
    import time

    deadline, seen = time.monotonic() + 90, None
    while time.monotonic() < deadline:
        seen = requests.get(url + status_url, headers={"Authorization": f"Bearer {tokens[who]}"}, timeout=10).json()
        if seen["status"] in (wanted, "fel", "registrerad"):
            return seen
        time.sleep(0.2)
    return seen


def submit(site, rubrik: str, beslutsfattare: list[str]) -> dict:
    r = call(site, "POST", "/api/v1/dokument", "hanna", json=input_of("beslut", rubrik=rubrik, beslutsfattare=beslutsfattare))
    assert r.status_code == 202, r.text
    return r.json()


def test_a_decision_through_the_api(site):
    ws, url, tokens, store = site
    before = numbers_taken(store)
    sub = submit(site, "Beslut som ska fattas", ["maja"])
    waiting = wait_for_status(site, sub["status_url"], "hanna", "väntar på beslut")
    assert waiting["status"] == "väntar på beslut" and waiting["beslutad_av"] == "maja", waiting
    assert waiting["diarienummer"] is None and numbers_taken(store) == before
    pid = waiting["beslut"]
    # under "att besluta" for maja only
    [listed] = call(site, "GET", "/api/v1/att-besluta", "maja").json()
    assert (listed["id"], listed["rubrik"], listed["inskickad_av"]) == (pid, "Beslut som ska fattas", "hanna")
    assert call(site, "GET", "/api/v1/att-besluta", "erik").json() == []
    # erik is not named: 403 for the draft and the decision
    assert call(site, "GET", f"/api/v1/att-besluta/{pid}/utkast", "erik").status_code == 403
    refused = call(site, "POST", f"/api/v1/dokument/{pid}/beslut", "erik", json={"beslut": "fattat"})
    assert refused.status_code == 403 and "erik" in refused.json()["problem"][0]["sv"]
    # maja must look at the draft first
    assert call(site, "POST", f"/api/v1/dokument/{pid}/beslut", "maja", json={"beslut": "fattat"}).status_code == 422
    draft = call(site, "GET", f"/api/v1/att-besluta/{pid}/utkast", "maja")
    assert draft.status_code == 200 and draft.headers["content-type"] == "application/pdf"
    decided = call(site, "POST", f"/api/v1/dokument/{pid}/beslut", "maja", json={"beslut": "fattat"})
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "fattat" and decided.json()["autentisering"] == "api-token"
    assert call(site, "POST", f"/api/v1/dokument/{pid}/beslut", "maja", json={"beslut": "fattat"}).status_code == 409
    # the officer sees it registered, with its number; the PDF names the decision maker
    done = wait_status(url, tokens["hanna"], sub["status_url"], timeout=120)
    assert done["status"] == "registrerad" and done["diarienummer"], done
    pdf = call(site, "GET", done["filer"]["pdf"], "hanna")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages).replace("\n", " ")
    assert "Beslutet har fattats digitalt av maja, Regiondirektör" in text
    # the diarium's record names who decided, how and on which draft
    [row] = store.query("SELECT beslutad_av, autentisering, utkast_sha256, diarienummer FROM beslutsunderlag WHERE id = :i", i=pid)
    assert (row["beslutad_av"], row["autentisering"], row["diarienummer"]) == ("maja", "api-token", done["diarienummer"])
    assert numbers_taken(store) == before + 1


def test_a_sent_back_document_returns_to_the_officer_with_the_comment(site):
    ws, url, tokens, store = site
    before = numbers_taken(store)
    sub = submit(site, "Beslut som återvisas", ["maja", "erik"])
    pid = wait_for_status(site, sub["status_url"], "hanna", "väntar på beslut")["beslut"]
    no_comment = call(site, "POST", f"/api/v1/dokument/{pid}/beslut", "erik", json={"beslut": "återvisat"})
    assert no_comment.status_code == 422 and no_comment.json()["problem"][0]["field"] == "kommentar"
    back = call(site, "POST", f"/api/v1/dokument/{pid}/beslut", "erik",
                json={"beslut": "återvisat", "kommentar": "Beskriv vad projektet kostar per år."})
    assert back.status_code == 200 and back.json()["status"] == "återvisat"
    status = call(site, "GET", sub["status_url"], "hanna").json()
    assert (status["status"], status["kommentar"], status["beslutad_av"]) == (
        "återvisat", "Beskriv vad projektet kostar per år.", "erik")
    assert call(site, "GET", "/api/v1/att-besluta", "maja").json() == []
    assert numbers_taken(store) == before
    # the same content may be submitted again once it was sent back: it waits anew
    again = submit(site, "Beslut som återvisas", ["maja", "erik"])
    assert again["id"] != sub["id"]
    anew = wait_for_status(site, again["status_url"], "hanna", "väntar på beslut")
    assert anew["status"] == "väntar på beslut" and anew["beslut"] != pid
    assert numbers_taken(store) == before


def test_an_inbox_file_waits_in_behandlade_and_is_registered_once_decided(site):
    ws, url, tokens, store = site
    from conftest import example, wait_until, write_yaml

    before = numbers_taken(store)
    write_yaml(ws / "inbox", "fran-inkorgen.yaml", example("uppdragshandling") | {"beslutsfattare": ["erik"]})
    [moved] = wait_until(lambda: list((ws / "inbox" / "behandlade").glob("* BESLUT-*/fran-inkorgen.yaml")), 90) or [None]
    assert moved is not None, "the waiting input was not moved to behandlade/"
    pid = int(moved.parent.name.rsplit("BESLUT-", 1)[1])
    assert numbers_taken(store) == before
    [listed] = [d for d in call(site, "GET", "/api/v1/att-besluta", "erik").json() if d["id"] == pid]
    assert listed["dokumenttyp"] == "uppdragshandling" and listed["inskickad_av"].endswith(")")  # user@host (command)
    assert call(site, "GET", f"/api/v1/att-besluta/{pid}/utkast", "erik").status_code == 200
    assert call(site, "POST", f"/api/v1/dokument/{pid}/beslut", "erik", json={"beslut": "fattat"}).status_code == 200
    # the watcher takes the decided input from the inbox and registers it
    row = wait_until(lambda: store.query("SELECT diarienummer FROM beslutsunderlag WHERE id = :i AND diarienummer IS NOT NULL",
                                         i=pid), 120)
    assert row, "the decided input was not registered"
    dnr = row[0]["diarienummer"]
    [pdf] = (ws / "outbox").glob(f"{dnr.replace(' ', '-')}-01 */*.pdf")
    text = " ".join(p.extract_text() for p in PdfReader(pdf).pages).replace("\n", " ")
    assert "Uppdraget har getts digitalt av erik, Ekonomidirektör" in text
    # decided in docgen: the assignment's date of decision is the day it was decided, not the input's own
    decided_on = store.query("SELECT beslutad FROM beslutsunderlag WHERE id = :i", i=pid)[0]["beslutad"][:10]
    assert str(example("uppdragshandling")["beslutsdatum"]) != decided_on
    assert f"Datum för beslut: {decided_on}" in text
    assert numbers_taken(store) == before + 1

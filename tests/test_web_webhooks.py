"""Webhooks of `docgen serve`, against the real server and a receiver on loopback: each event arrives once, signed
(HMAC-SHA256 over the body), after the receiver was down for a while; URLs outside [webb] webhook_tillatna are
refused; the registrar sees every delivery."""
from __future__ import annotations

import hashlib
import hmac
import json
import signal
import subprocess
import sys

import pytest
import requests

from conftest import set_setting
from helpers import SECRET, Receiver, until
from webutil import Server, add_user, input_of, make_workspace, wait_status

@pytest.fixture(scope="module")
def site(tmp_path_factory):
    receiver = Receiver()
    ws = make_workspace(tmp_path_factory.mktemp("webhooks"))
    set_setting(ws, "webb", "webhook_tillatna", [receiver.url])
    tokens = {name: add_user(ws, name, role) for name, role in
              (("arendesystemet", "handlaggare"), ("registrator", "registrator"), ("lars", "lasare"))}
    server = Server(ws, "--utan-bevakning")  # the test starts the watcher when the inputs are in place
    yield ws, server.url, tokens, receiver
    assert server.stop() in (0, -signal.SIGTERM)
    receiver.close()


def call(site, method, path, who, **kw):
    _, url, tokens, _ = site
    return requests.request(method, url + path, headers={"Authorization": f"Bearer {tokens[who]}"}, timeout=60, **kw)


def test_only_allowed_urls_and_roles(site):
    assert call(site, "POST", "/api/v1/webhooks", "arendesystemet",
                json={"url": "http://127.0.0.1:9/annat/", "hemlighet": SECRET}).status_code == 422
    assert call(site, "POST", "/api/v1/webhooks", "lars",
                json={"url": site[3].url, "hemlighet": SECRET}).status_code == 403
    assert call(site, "GET", "/api/v1/webhooks/leveranser", "arendesystemet").status_code == 403


def test_each_event_arrives_once_signed_after_the_receiver_was_down(site):
    ws, url, tokens, receiver = site
    r = call(site, "POST", "/api/v1/webhooks", "arendesystemet", json={"url": receiver.url, "hemlighet": SECRET})
    assert r.status_code == 201 and "hemlighet" not in r.json()
    hook = r.json()["id"]
    assert [h["id"] for h in call(site, "GET", "/api/v1/webhooks", "arendesystemet").json()] == [hook]
    good = call(site, "POST", "/api/v1/dokument", "arendesystemet", json=input_of("beslut", rubrik="Beslut med webhook"))
    bad = call(site, "POST", "/api/v1/dokument", "arendesystemet",
               json=input_of("uppdragshandling", rubrik="Uppdrag som inte går att skriva"))
    assert (good.status_code, bad.status_code) == (202, 202)
    # then the workspace gets a template that fails while rendering (after the checks): the second input fails
    import docx

    (ws / "templates").mkdir(exist_ok=True)
    template = docx.Document()
    for text in ("{{ diarienummer }}", "{%p if utkast %}", "UTKAST", "{%p endif %}", "{%p if sekretess %}",
                 "{{ sekretess.markering }}", "{%p endif %}", "{{ skickas_till }}", "{{ bilagor }}",
                 "{{ rubrik.upper(1, 2, 3) }}"):  # every field the watcher asks for, and a call that fails
        template.add_paragraph(text)
    template.save(ws / "templates" / "uppdragshandling.docx")
    watcher = subprocess.Popen([sys.executable, "-m", "docgen.cli", "-w", str(ws), "watch"],
                               stdout=(ws / "watch.log").open("w"), stderr=subprocess.STDOUT)
    try:
        done = wait_status(url, tokens["arendesystemet"], good.json()["status_url"], timeout=120)
        failed = wait_status(url, tokens["arendesystemet"], bad.json()["status_url"], timeout=120)
        assert watcher.poll() is None, (ws / "watch.log").read_text()
    finally:
        watcher.terminate()
        watcher.wait(timeout=60)
    assert (done["status"], failed["status"]) == ("registrerad", "fel")
    until(lambda: receiver.refused >= 4)  # each event tried at least twice while the receiver was down
    receiver.down = False
    until(lambda: len(receiver.accepted) >= 2)
    # once both are recorded as delivered, the sender sends neither again: a repeat would have come before
    until(lambda: [d["status"] for d in call(site, "GET", "/api/v1/webhooks/leveranser", "registrator").json()]
          == ["levererad", "levererad"])
    events = {}
    for headers, body in receiver.accepted:
        assert headers["x-docgen-signature"] == "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        event = json.loads(body)
        assert event["id"] not in events, "each event once"
        events[event["id"]] = event
    assert events[good.json()["id"]]["handelse"] == "registrerad"
    assert events[good.json()["id"]]["diarienummer"] == done["diarienummer"]
    assert events[good.json()["id"]]["lankar"]["pdf"] == done["filer"]["pdf"]
    assert events[bad.json()["id"]]["handelse"] == "fel"
    assert events[bad.json()["id"]]["makulerat"] == failed["makulerat"]  # refused before a number: none voided
    log = call(site, "GET", "/api/v1/webhooks/leveranser", "registrator").json()
    assert sorted((d["handelse"], d["status"]) for d in log) == [("fel", "levererad"), ("registrerad", "levererad")]
    assert all(d["forsok"] >= 2 for d in log)
    assert call(site, "DELETE", f"/api/v1/webhooks/{hook}", "lars").status_code == 404
    assert call(site, "DELETE", f"/api/v1/webhooks/{hook}", "arendesystemet").status_code == 204
    assert call(site, "GET", "/api/v1/webhooks", "arendesystemet").json() == []

"""The HTTP API facing hostile or failing input: a key that cannot be printed is a 4xx, a client that
goes away mid-body is no internal error, and a number voided for a submitted input is named in its status."""
from __future__ import annotations

import signal
import socket
from urllib.parse import urlparse

import pytest
import requests

from conftest import set_setting
from helpers import SURROGATE_KEY, wait_for
from webutil import Server, add_user, input_of, make_workspace, wait_status

#: A workspace plugin whose finishing hook fails for one title: the failure comes after the number was taken.
FAILING_PLUGIN = '''
from docgen import hookimpl


@hookimpl
def docgen_pdf_written(path, document, diarienummer, config):
    if document["rubrik"] == "Beslut som inte kan arkiveras":
        raise RuntimeError("arkivkopian kunde inte göras / the archive copy could not be made")
'''


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("apifaults")
    ws = make_workspace(root)
    (root / "plugins").mkdir()
    (root / "plugins" / "arkivkopia.py").write_text(FAILING_PLUGIN, encoding="utf-8")
    set_setting(ws, "sokvagar", "plugins", str(root / "plugins"))
    token = add_user(ws, "hanna", "handlaggare")
    server = Server(ws)
    yield ws, server, token
    assert server.stop() in (0, -signal.SIGTERM)


def post(site, body: bytes):
    _, server, token = site
    return requests.post(server.url + "/api/v1/dokument", data=body, timeout=60,
                         headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})


def test_surrogate_key_is_a_4xx_and_the_server_goes_on(site):
    r = post(site, SURROGATE_KEY)
    assert r.status_code == 422, r.text
    assert any("U+D800" in p["en"] and "U+D800" in p["sv"] for p in r.json()["problem"])
    ws, server, token = site
    ok = requests.post(server.url + "/api/v1/dokument", json=input_of("beslut", rubrik="Efter nyckeln"), timeout=60,
                       headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 202
    assert "internal error" not in server.log.read_text()


def test_client_that_disconnects_mid_body_is_no_internal_error(site):
    ws, server, token = site
    u = urlparse(server.url)
    for _ in range(3):
        with socket.create_connection((u.hostname, u.port), timeout=10) as s:
            s.sendall((f"POST /api/v1/dokument HTTP/1.1\r\nHost: {u.netloc}\r\nAuthorization: Bearer {token}\r\n"
                       "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n").encode() + b'{"dokumenttyp": "be')
    wait_for(lambda: server.log.read_text().count("disconnected before sending the whole request") >= 3, 30,
             what="the disconnects logged")
    log = server.log.read_text()
    assert "internal error" not in log and "Traceback" not in log


def test_voided_number_is_named_in_the_status_and_the_report(site):
    ws, server, token = site
    r = requests.post(server.url + "/api/v1/dokument", json=input_of("beslut", rubrik="Beslut som inte kan arkiveras"),
                      timeout=60, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 202
    st = wait_status(server.url, token, r.json()["status_url"], timeout=180)
    assert st["status"] == "fel" and st["makulerat"], st
    dnr = st["makulerat"].split(" handling ")[0]
    assert dnr in st["rapport"] and "voided" in st["rapport"] and "makulerades" in st["rapport"]
    report = next((ws / "inbox" / "fel").glob(f"*/api-{r.json()['id']}.json.fel.txt")).read_text(encoding="utf-8")
    assert st["makulerat"] in report and "archive copy" in report

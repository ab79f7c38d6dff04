"""Webhooks with many nodes: two `docgen serve` processes on one PostgreSQL diarium (the suite's server) and one
workspace, each running the webhook sender, and a receiver on loopback that is down for a while. Every event
arrives once (the delivery rows are unique per hook, submission and event, and a node claims a due delivery with
a compare-and-set on its row before it posts), signed; a document voided after it was registered gives a
``makulerad`` event naming its number."""
from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys

import requests

from conftest import set_setting
from helpers import SECRET, Receiver, until
from webutil import add_user, free_port, input_of, make_workspace, wait_status
from tests.pgserver import pg_server, pg_url  # noqa: F401  (fixtures)


class Node:
    """`docgen serve` on a free port with its own log; ``watch`` whether it also runs the inbox watcher."""

    def __init__(self, ws, name: str, watch: bool):
        self.url = f"http://127.0.0.1:{free_port()}"
        self.log = ws / f"serve-{name}.log"
        args = [] if watch else ["--utan-bevakning"]
        self.proc = subprocess.Popen([sys.executable, "-m", "docgen.cli", "-w", str(ws), "serve", "--port",
                                      self.url.rsplit(":", 1)[1], *args], stdout=self.log.open("w"),
                                     stderr=subprocess.STDOUT)

    def ready(self) -> bool:
        assert self.proc.poll() is None, self.log.read_text()
        try:
            return requests.get(self.url + "/openapi.json", timeout=2).status_code == 200
        except requests.ConnectionError:
            return False

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)


def test_two_nodes_deliver_each_event_once_after_the_receiver_was_down(pg_server, pg_url, tmp_path):
    receiver = Receiver()
    ws = make_workspace(tmp_path)
    set_setting(ws, "sokvagar", "register", pg_url)
    set_setting(ws, "webb", "webhook_tillatna", [receiver.url])
    system = add_user(ws, "arendesystemet", "handlaggare")
    nodes = [Node(ws, "a", watch=True), Node(ws, "b", watch=False)]
    auth = {"Authorization": f"Bearer {system}"}
    try:
        until(lambda: all(n.ready() for n in nodes), 90)
        r = requests.post(nodes[1].url + "/api/v1/webhooks", json={"url": receiver.url, "hemlighet": SECRET},
                          headers=auth, timeout=30)
        assert r.status_code == 201, r.text
        posted = [requests.post(nodes[i % 2].url + "/api/v1/dokument", headers=auth, timeout=60,
                                json=input_of("beslut", rubrik=f"Beslut {i} med webhook på två noder")).json()
                  for i in range(4)]
        done = [wait_status(nodes[0].url, system, p["status_url"], timeout=180) for p in posted]
        assert [d["status"] for d in done] == ["registrerad"] * 4, done
        # each event tried at least twice while the receiver was down
        until(lambda: [r["forsok"] >= 2 for r in rows_of(pg_url, "SELECT forsok FROM webhook_leverans")] == [True] * 4,
              120)
        receiver.down = False
        until(lambda: len(receiver.accepted) >= 4, 120)

        # a registered document voided in the diarium afterwards (by the records system: docgen has no command
        # that voids a registered document): the subscriber is told, naming the number
        voided = done[0]["diarienummer"]
        with_store(pg_url, "UPDATE handling SET status = 'makulerad', makulerad_orsak = 'Upprättad av misstag' "
                   "WHERE arende_id = (SELECT id FROM arende WHERE diarienummer = :d)", d=voided)
        until(lambda: any(json.loads(b)["handelse"] == "makulerad" for _, b in receiver.accepted), 120)
        # every delivery marked delivered: no node claims a delivered row again, so what the receiver has now is
        # all it will ever get (a repeat sent before the mark is counted below)
        until(lambda: {r["status"] for r in rows_of(pg_url, "SELECT status FROM webhook_leverans")} == {"levererad"}, 120)
        assert len(receiver.accepted) == len(rows_of(pg_url, "SELECT id FROM webhook_leverans")), "a delivery was repeated"
    finally:
        for n in nodes:
            n.stop()
        receiver.close()
    events = {}
    for headers, body in receiver.accepted:
        assert headers["x-docgen-signature"] == "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        event = json.loads(body)
        key = (event["id"], event["handelse"])
        assert key not in events, f"{key} delivered twice"
        events[key] = event
    ids = [p["id"] for p in posted]
    assert sorted(events) == sorted([(i, "registrerad") for i in ids] + [(ids[0], "makulerad")])
    for p, d in zip(posted, done):
        assert events[(p["id"], "registrerad")]["diarienummer"] == d["diarienummer"]
    assert events[(ids[0], "makulerad")]["diarienummer"] == voided
    # the delivery log: one row per event, each delivered, the registered ones after refused tries
    rows = rows_of(pg_url, "SELECT handelse, status, forsok FROM webhook_leverans")
    assert sorted((r["handelse"], r["status"]) for r in rows) == [("makulerad", "levererad")] + [
        ("registrerad", "levererad")] * 4
    assert all(r["forsok"] >= 2 for r in rows if r["handelse"] == "registrerad")


def with_store(url: str, sql: str, **params) -> None:
    from sqlalchemy import text

    from docgen.store import Store

    st = Store(url)
    try:
        with st.tx() as conn:
            conn.execute(text(sql), params)
    finally:
        st.close()


def rows_of(url: str, sql: str) -> list[dict]:
    from docgen.store import Store

    st = Store(url)
    try:
        return st.query(sql)
    finally:
        st.close()

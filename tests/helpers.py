"""Helpers the test modules share (the fixtures are in conftest.py): the watcher as a subprocess and its
folders, the diarium and outbox of a workspace, PDF checks, a free port, inputs docgen must refuse.
A test module imports from here, never from another test module."""
from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pypdf import PdfReader

from conftest import DOCGEN, ROOT, example, wait_until, write_yaml
from docgen.store import Store


# --- the watcher as a subprocess, and what it leaves in the inbox

def wait_for(cond, timeout=120, step=0.1, what="condition"):
    """Poll ``cond`` until it gives something true (returned); the test fails after ``timeout`` seconds."""
    value = wait_until(cond, timeout, step)
    if not value:
        raise AssertionError(f"timed out waiting for {what}")
    return value


def start_watcher(ws: Path, *args, workers=2) -> subprocess.Popen:
    log = open(ws / "watch.log", "ab")
    mark = f"watching {ws / 'inbox'} (".encode()  # the start line, text or JSON
    started = (ws / "watch.log").read_bytes().count(mark)  # earlier runs' lines
    proc = subprocess.Popen(DOCGEN + ["-w", str(ws), "watch", "--workers", str(workers), *args],
                            stdout=log, stderr=subprocess.STDOUT)
    wait_for(lambda: (ws / "watch.log").read_bytes().count(mark) > started or proc.poll() is not None,
             60, what="watcher start")
    assert proc.poll() is None, (ws / "watch.log").read_text()
    return proc


def stop_watcher(proc: subprocess.Popen) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=120)


def done(ws: Path) -> list[Path]:
    """Claim folders of processed inputs."""
    d = ws / "inbox" / "behandlade"
    return sorted(p for p in d.iterdir() if p.is_dir()) if d.is_dir() else []


def failed(ws: Path) -> list[Path]:
    """Claim folders of failed inputs (each holds the input and its .fel.txt)."""
    d = ws / "inbox" / "fel"
    return sorted(p for p in d.iterdir() if p.is_dir()) if d.is_dir() else []


def report_of(folder: Path) -> tuple[str, str]:
    """(input name, report text) of a failed claim folder."""
    rep = next(folder.glob("*.fel.txt"))
    name = rep.name[: -len(".fel.txt")]
    assert (folder / name).is_file(), "the input lies beside its report"
    return name, rep.read_text(encoding="utf-8")


def inputs(n: int, prefix="Uppdrag") -> list[dict]:
    out = []
    for i in range(n):
        d = example("uppdragshandling")
        d["rubrik"] = f"{prefix} nummer {i + 1}"
        out.append(d)
    return out


def drop(ws: Path, name: str, data: dict) -> Path:
    """Drop a file the way a careful client does: write elsewhere, then rename into the inbox."""
    tmp = write_yaml(ws, f".{name}.part", data)
    dest = ws / "inbox" / name
    os.rename(tmp, dest)
    return dest


def waiting_lines(ws: Path) -> list[str]:
    return [ln for ln in (ws / "watch.log").read_text(encoding="utf-8").splitlines() if "is tried again" in ln]


# --- a workspace's diarium and outbox

def new_workspace(root: Path) -> Path:
    ws = root / "ws"
    ws.mkdir()
    (ws / "docgen.toml").write_text((ROOT / "docgen.toml").read_text(encoding="utf-8"), encoding="utf-8")
    (ws / "inbox").mkdir()
    (ws / "outbox").mkdir()
    return ws


def store_of(ws: Path) -> Store:
    return Store(f"sqlite:///{ws / 'docgen.sqlite'}")


def records(ws: Path) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in (ws / "outbox").rglob("*.json")
            if ".staging" not in p.parts]


def numbers(ws: Path) -> dict[str, int]:
    store = store_of(ws)
    try:
        return {r["status"]: r["n"] for r in store.query("SELECT status, count(*) AS n FROM handling GROUP BY status")}
    finally:
        store.close()


def consistent(ws: Path) -> None:
    """What must hold at any moment: no outbox folder without its record, no record the diarium contradicts,
    every number registered, reserved by a live process, or voided with a reason."""
    conn = sqlite3.connect(f"file:{ws / 'docgen.sqlite'}?mode=ro", uri=True)  # reads, even with no space
    conn.row_factory = sqlite3.Row
    for folder in (ws / "outbox").iterdir():
        if folder.is_dir() and not folder.name.startswith(".") and folder.name != "utkast":
            assert list(folder.glob("*.json")), f"{folder.name}: files without a record"
    statuses = {(r["diarienummer"], r["lopnummer"]): r for r in conn.execute(
        "select a.diarienummer, h.lopnummer, h.status, h.makulerad_orsak from handling h join arende a on a.id = h.arende_id")}
    conn.close()
    for rec in records(ws):
        assert statuses[(rec["diarienummer"], rec["lopnummer"])]["status"] == "registrerad", rec["diarienummer"]
    for row in statuses.values():
        assert row["status"] in ("registrerad", "reserverad") or (row["status"] == "makulerad" and row["makulerad_orsak"])


# --- the rest

def mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True)


def assert_in_order(text: str, items: list[str]) -> None:
    """Each item occurs in the text after the previous one."""
    pos = 0
    for item in items:
        found = text.find(item, pos)
        assert found >= 0, f"{item!r} missing (or out of order) after position {pos}"
        pos = found + len(item)


def fonts_embedded(reader: PdfReader) -> list[str]:
    """Names of fonts that are NOT embedded (empty list = all embedded)."""
    missing = []
    for page in reader.pages:
        fonts = (page.get("/Resources") or {}).get("/Font") or {}
        for f in fonts.values():
            f = f.get_object()
            descs = [f.get("/FontDescriptor")]
            for d in f.get("/DescendantFonts") or []:
                descs.append(d.get_object().get("/FontDescriptor"))
            descs = [d.get_object() for d in descs if d is not None]
            if not any(k in d for d in descs for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                missing.append(str(f.get("/BaseFont")))
    return missing


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: A JSON key with a lone surrogate escape: valid JSON, but no text that can be written as UTF-8.
SURROGATE_KEY = b'{"dokumenttyp": "beslut", "x\\ud800y": 1}'


# --- a webhook receiver on loopback

SECRET = "en-lång-hemlighet-för-signaturen"


class Receiver:
    """An HTTP server on loopback that answers 503 while ``down``, and records what it accepted."""

    def __init__(self):
        self.down = True
        self.refused = 0
        self.accepted: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.down:
                    receiver.refused += 1
                    self.send_response(503)
                else:
                    receiver.accepted.append(({k.lower(): v for k, v in self.headers.items()}, body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/docgen/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def until(condition, timeout: float = 90):
    assert wait_until(condition, timeout, every=0.2), "timed out"

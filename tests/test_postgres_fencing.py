"""Two `docgen worker` nodes on the suite's PostgreSQL with one shared outbox, real LibreOffice, real
processes. One node is frozen (SIGSTOP) while it holds a job until the other has taken the job over, then
resumed: the late attempt changes no visible file, registers nothing and marks nothing failed; `docgen
verify` finds 0 deviations; `docgen status` shows the lost attempt and the takeover. And a node killed
with -9: its staging folder and its process row are gone after the next recovery."""
from __future__ import annotations

import json
import os
import signal
import subprocess

import pytest

from docgen import owners
from docgen.config import load_config
from docgen.steps.number import allocate_number
from docgen.store import Store
from tests.conftest import DOCGEN, ROOT, example, set_setting, start_worker, wait_until, write_yaml
from tests.pgserver import pg_server, pg_url  # noqa: F401  (fixtures)





def pid_of(owner: str | None) -> int | None:
    parts = (owner or "").rsplit(":", 2)
    return int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None


class Nodes:
    """Two worker processes on one workspace (one shared outbox)."""

    def __init__(self, ws, tmp_path, pg_url):
        set_setting(ws, "sokvagar", "register", pg_url)
        self.ws, self.tmp = ws, tmp_path
        self.cfg = load_config(ws)
        self.st = Store(self.cfg.registry_url)
        self.procs = [start_worker(ws, tmp_path / f"w{i}.log") for i in range(2)]
        self.n = 0
        self.case: str | None = None

    def by_pid(self, pid):
        return next((p for p in self.procs if p.pid == pid), None)

    def submit(self) -> dict:
        """An input: a decision that opens a new case (numbered at submission, the job's), or with ``case``
        set, a report in that case (numbered by the worker that runs it)."""
        self.n += 1
        if self.case is None:
            data = example("beslut") | {"rubrik": f"Beslut om stall {self.n}"}
        else:
            data = example("lagesrapport-program") | {"diarienummer": self.case, "rubrik": f"Läge vid stall {self.n}"}
            data.pop("serie", None)
        path = write_yaml(self.ws / "inbox", f"b{self.n}.yaml", data)
        r = subprocess.run([*DOCGEN, "-w", str(self.ws), "submit", "--json", str(path)], cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
        out = json.loads(r.stdout.splitlines()[0])
        assert out["status"] == "koad", r.stdout + r.stderr
        return out

    def reservation(self, sid: int) -> dict | None:
        rows = self.st.query("SELECT h.id, h.status, h.agare, a.diarienummer FROM handling h JOIN arende a "
                             "ON a.id = h.arende_id JOIN inlamning i ON i.sha256 = h.input_sha256 "
                             "WHERE i.id = :s AND h.status IN ('reserverad', 'registrerad')", s=sid)
        return rows[0] if rows else None

    def submission(self, sid: int) -> dict:
        return self.st.query("SELECT status, agare, forsok FROM inlamning WHERE id = :s", s=sid)[0]

    def holder(self, exclude: str | None = None) -> tuple[str, subprocess.Popen] | None:
        """A worker with an attempt under way past its number (its staging folder, ``<owner>~<id>``), other
        than ``exclude``: (its owner, its process)."""
        root = self.ws / "outbox" / ".staging"
        for folder in sorted(root.iterdir()) if root.is_dir() else []:
            owner = owners.from_name(folder.name)
            proc = self.by_pid(pid_of(owner))
            if proc is not None and owner != exclude:
                return owner, proc
        return None

    def freeze_holder(self) -> tuple[dict, str, subprocess.Popen]:
        """Submit inputs until one node is frozen while it works on a reserved (not yet registered) document;
        the submission, the frozen node's owner and process. The number is reserved at submission, owned by
        the job: the node that works on it is the one with a staging folder."""
        def seen(sid: int):
            r = self.reservation(sid)
            if r and r["status"] == "registrerad":
                return "registered before it was seen"  # a conversion is ~70 ms: the window can be missed
            return r and r["status"] == "reserverad" and self.holder()

        for _ in range(12):
            assert wait_until(lambda: self.holder() is None, 60), "a staging folder stayed behind"
            sub = self.submit()
            found = wait_until(lambda: seen(sub["inlamning"]), 120, every=0.005)
            assert found, "no node worked on the reserved number"
            if isinstance(found, str):
                continue
            owner, victim = found
            victim.send_signal(signal.SIGSTOP)
            if self.reservation(sub["inlamning"])["status"] == "reserverad":
                return sub, owner, victim
            victim.send_signal(signal.SIGCONT)  # it registered before it stopped: try another input
            wait_until(lambda: self.submission(sub["inlamning"])["status"] == "klar", 120)
        pytest.fail("could not freeze a node while it held a reservation")

    def status(self) -> str:
        r = subprocess.run([*DOCGEN, "-w", str(self.ws), "status"], cwd=ROOT, capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 0, r.stderr
        return r.stdout

    def verify(self) -> subprocess.CompletedProcess:
        return subprocess.run([*DOCGEN, "-w", str(self.ws), "verify"], cwd=ROOT, capture_output=True, text=True,
                              timeout=120)

    def close(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGCONT)
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(60)
            except subprocess.TimeoutExpired:
                p.kill()
        self.st.close()
        for i in range(2):
            log = self.tmp / f"w{i}.log"
            if log.exists():
                print(f"--- worker {i} log (tail) ---\n{log.read_text()[-3000:]}")


@pytest.fixture
def nodes(pg_server, pg_url, workspace, tmp_path):
    n = Nodes(workspace, tmp_path, pg_url)
    yield n
    n.close()


def snapshot(ws) -> dict:
    """Every visible file of the outbox with its bytes' checksum and modification time."""
    out = {}
    for top in (ws / "outbox").iterdir():
        if top.name == ".staging":  # attempts' own folders, created and removed meanwhile: not visible
            continue
        for p in [top] if top.is_file() else top.rglob("*"):
            if p.is_file():
                out[str(p.relative_to(ws / "outbox"))] = (p.stat().st_mtime_ns, p.read_bytes())
    return out


@pytest.mark.parametrize("numbered", ["at-submission", "by-the-worker"])
@pytest.mark.parametrize("order", ["takeover-registers-first", "stalled-resumes-before-takeover-registers"])
def test_a_stalled_node_taken_over_changes_nothing(nodes, order, numbered):
    if numbered == "by-the-worker":  # a report in an existing case: the worker reserves its running number
        nodes.case = allocate_number(nodes.st, nodes.cfg, "RS", "Ärende för lägesrapporter")[1]
    sub, stalled_owner, victim = nodes.freeze_holder()
    sid = sub["inlamning"]
    if order == "takeover-registers-first":
        # the other node takes the job over (the frozen one stops beating) and registers the document
        done = wait_until(lambda: nodes.submission(sid)["status"] == "klar", 180, every=0.1)
        assert done, nodes.submission(sid)
        assert nodes.reservation(sid)["status"] == "registrerad"
        before = snapshot(nodes.ws)
        victim.send_signal(signal.SIGCONT)
    else:
        # resume the frozen node the moment the other has taken its job over, before it registers
        taken = wait_until(lambda: nodes.holder(exclude=stalled_owner), 180, every=0.002)
        assert taken and nodes.reservation(sid)["status"] == "reserverad", nodes.reservation(sid)
        victim.send_signal(signal.SIGCONT)
        assert wait_until(lambda: nodes.submission(sid)["status"] == "klar", 180, every=0.1), nodes.submission(sid)
        before = None

    # the late attempt ends, quietly, as a lost attempt of its node
    lost = wait_until(lambda: nodes.st.query("SELECT * FROM nodhandelse WHERE typ = 'forlorad' AND agare = :o",
                                             o=stalled_owner), 180, every=0.2)
    assert lost, nodes.st.query("SELECT * FROM nodhandelse")
    assert victim.poll() is None, "the resumed node stopped"
    if before is not None:
        assert snapshot(nodes.ws) == before, "the late attempt changed a visible file"

    # registered once, by the node that took over; the input is done, not failed
    docs = nodes.st.query("SELECT h.id, h.status FROM handling h JOIN inlamning i ON i.sha256 = h.input_sha256 "
                          "WHERE i.id = :s", s=sid)
    assert [d["status"] for d in docs] == ["registrerad"]
    versions = nodes.st.query("SELECT id FROM version WHERE handling_id = :h", h=docs[0]["id"])
    assert len(versions) == 1
    assert nodes.submission(sid)["status"] == "klar"
    assert json.loads(nodes.st.query("SELECT resultat FROM inlamning WHERE id = :s", s=sid)[0]["resultat"])["ok"]
    assert not nodes.st.query("SELECT id FROM inlamning WHERE status = 'fel'")
    # the files are the diarium's, byte for byte; nothing was left half-placed
    v = nodes.verify()
    assert v.returncode == 0 and " 0 avvikelser" in v.stdout, v.stdout + v.stderr
    staged = [p for p in (nodes.ws / "outbox" / ".staging").glob("*/utkorg/**/*") if p.is_file()]
    assert wait_until(lambda: not [p for p in staged if p.exists()], 30), staged
    # docgen status shows the lost attempt and the takeover
    assert nodes.st.query("SELECT * FROM nodhandelse WHERE typ = 'overtagen' AND inlamning_id = :s AND agare <> :o",
                          s=sid, o=stalled_owner), nodes.st.query("SELECT * FROM nodhandelse")
    out = nodes.status()
    assert "förlorade försök / lost attempts 1" in out and "övertagna jobb / takeovers 1" in out, out


def test_a_killed_node_is_cleared_by_the_next_recovery(nodes):
    outbox = nodes.ws / "outbox"

    def staging_of_a_node():
        for d in (outbox / ".staging").glob("*") if (outbox / ".staging").is_dir() else []:
            pid = pid_of(owners.from_name(d.name))
            if nodes.by_pid(pid):
                return d
        return None

    for _ in range(12):
        sub = nodes.submit()
        reserved = nodes.reservation(sub["inlamning"])  # at submission, the job's
        folder = wait_until(lambda: staging_of_a_node() or (nodes.submission(sub["inlamning"])["status"] == "klar"
                                                            and "done"), 120, every=0.002)
        assert folder, "no node built a document"
        if folder == "done":  # registered before it was seen (a conversion is ~70 ms): another input
            continue
        pid = pid_of(owners.from_name(folder.name))
        os.kill(pid, signal.SIGKILL)
        killed = nodes.by_pid(pid)
        killed.wait(10)
        if folder.exists():
            break
    else:
        pytest.fail("the node finished before it was killed")
    owner = owners.from_name(folder.name)
    assert nodes.st.query("SELECT agare FROM process WHERE agare = :o", o=owner), "the node never registered"

    # the other node's recovery: the process row and the staging folder go, the node is listed as dead
    assert wait_until(lambda: not folder.exists() and not nodes.st.query(
        "SELECT agare FROM process WHERE agare = :o", o=owner), 60, every=0.2), (
        folder.exists(), nodes.st.query("SELECT * FROM process"))
    assert nodes.st.query("SELECT * FROM nodhandelse WHERE typ = 'dod' AND agare = :o", o=owner)
    # and the killed node's input is finished by the other node, under the number reserved at submission
    assert wait_until(lambda: nodes.submission(sub["inlamning"])["status"] == "klar", 180, every=0.2), \
        nodes.submission(sub["inlamning"])
    docs = nodes.st.query("SELECT h.id, h.status, a.diarienummer FROM handling h JOIN arende a ON a.id = h.arende_id "
                          "JOIN inlamning i ON i.sha256 = h.input_sha256 WHERE i.id = :s", s=sub["inlamning"])
    assert docs == [{"id": reserved["id"], "status": "registrerad", "diarienummer": reserved["diarienummer"]}], docs
    out = nodes.status()
    assert f"död / dead: {owner}" in out, out
    v = nodes.verify()
    assert v.returncode == 0, v.stdout + v.stderr

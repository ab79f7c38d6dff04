"""The service under faults, each reproduced against the real watcher (a subprocess), real LibreOffice and
the real diarium: files still being written, FIFOs, links, attachments in the watcher's own folders, an
inbox re-created, killed renders, concurrent senders, odd file names, file modes."""
from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from pypdf import PdfWriter

from conftest import example, set_setting, write_yaml
from helpers import (DOCGEN, consistent, done, drop, failed, free_port, records, report_of, start_watcher, stop_watcher,
                     store_of, wait_for)


def blank_pdf(path: Path) -> Path:
    w = PdfWriter()
    w.add_blank_page(width=595, height=842)
    with open(path, "wb") as f:
        w.write(f)
    return path


# 1. A file still being written is never taken, whatever the events or the stability window say.
@pytest.mark.parametrize("mode", ["--inotify", "--polling"])
def test_file_held_open_for_writing_is_taken_only_when_closed(workspace, service, mode):
    proc = service(mode, workers=1)
    data = example("beslut") | {"skickas_till": [{"syfte": "för kännedom", "mottagare": [{"namn": "Lina Berg"}]}]}
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode("utf-8")
    path = workspace / "inbox" / "pausar.yaml"
    cut = text.index(b"skickas_till")  # what a truncated take lost: the distribution (it comes last)
    with open(path, "wb") as f:
        f.write(text[:cut])
        f.flush()
        for _ in range(12):  # 3 s pause with the file open, 3x the stability window (stabil_tid = 1 s):
            time.sleep(0.25)  # a clock by design, the time that would make an unguarded watcher take the file
            assert path.exists(), "taken while a process held it open for writing"
        f.write(text[cut:])
    wait_for(lambda: len(done(workspace)) == 1 or failed(workspace), what="the file processed after close")
    assert failed(workspace) == []
    [rec] = records(workspace)
    assert rec["status"] == "registrerad" and rec["skickas_till"], "registered complete, with its distribution"
    assert (done(workspace)[0] / "pausar.yaml").read_bytes() == text
    assert stop_watcher(proc) == 0


# 3. A FIFO (or any non-regular file) in the inbox is left alone; the watcher goes on and stops on SIGTERM.
def test_fifo_in_the_inbox_is_left_alone_and_render_refuses_it(workspace, service):
    fifo = workspace / "inbox" / "ror.yaml"
    os.mkfifo(fifo)
    proc = service(workers=1)
    drop(workspace, "bra.yaml", example("uppdragshandling"))
    wait_for(lambda: len(done(workspace)) == 1, 60, what="a good file beside the FIFO")
    assert stat.S_ISFIFO(fifo.lstat().st_mode), "the FIFO stays where it was"
    t = time.monotonic()
    assert stop_watcher(proc) == 0 and time.monotonic() - t < 30
    assert "FIFO" in (workspace / "watch.log").read_text()
    r = subprocess.run(DOCGEN + ["-w", str(workspace), "render", str(fifo)], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "ror.yaml" in r.stdout + r.stderr
    st = json.loads(subprocess.run(DOCGEN + ["-w", str(workspace), "status", "--json"], capture_output=True, text=True,
                                   timeout=60, check=True).stdout)
    assert st["waiting"] == [], "a FIFO is never taken, so it is not listed as waiting"


# 4. A drop can never make the watcher move a file from outside the inbox or out of its own folders.
def test_attachments_through_links_or_in_the_watchers_folders_are_never_moved(workspace, service, tmp_path):
    outside = tmp_path / "utanfor"
    outside.mkdir()
    secret = blank_pdf(outside / "x.pdf")
    (workspace / "inbox" / "sub").symlink_to(outside, target_is_directory=True)
    archived_dir = workspace / "inbox" / "behandlade" / "20260101-000000-abcdef RS-2026-00001-01"
    archived_dir.mkdir(parents=True)
    archived = blank_pdf(archived_dir / "bilaga.pdf")
    linked_file = workspace / "inbox" / "lank.pdf"
    linked_file.symlink_to(secret)
    proc = service(workers=1)
    for name, ref in (("via-lank.yaml", "sub/x.pdf"), ("arkiv.yaml", f"behandlade/{archived_dir.name}/bilaga.pdf"),
                      ("fil-lank.yaml", "lank.pdf")):
        data = example("uppdragshandling") | {"rubrik": f"Bilaga {name}", "bilagor": [{"fil": ref, "titel": "Bilaga"}]}
        drop(workspace, name, data)
    wait_for(lambda: len(failed(workspace)) == 3, 60, what="three refusals")
    assert stop_watcher(proc) == 0
    assert secret.is_file() and archived.is_file() and linked_file.is_symlink(), "nothing was moved"
    reports = dict(report_of(f) for f in failed(workspace))
    assert "symbolisk länk" in reports["via-lank.yaml"] and "bilagor[1].fil" in reports["via-lank.yaml"]
    assert "förvaltar" in reports["arkiv.yaml"] and "keeps" in reports["arkiv.yaml"]
    assert "symbolic link" in reports["fil-lank.yaml"]
    assert store_of(workspace).query("select count(*) as n from handling")[0]["n"] == 0, "no number taken"
    assert not list(outside.parent.glob("ws/inbox/arbete/*/*")), "nothing left in progress"


# 6. The inbox deleted and re-created: watched again at once, not at the next rescan (2 minutes).
def test_inbox_replaced_is_watched_again_at_once(workspace, service):
    proc = service(workers=1)
    os.rename(workspace / "inbox", workspace / "inbox-gammal")
    (workspace / "inbox").mkdir()
    wait_for(lambda: "replaced" in (workspace / "watch.log").read_text(), 30, what="the watcher noticing the new inbox")
    t = time.monotonic()
    drop(workspace, "ny.yaml", example("uppdragshandling"))
    wait_for(lambda: len(done(workspace)) == 1, 30, what="a file in the re-created inbox (well before the rescan)")
    assert time.monotonic() - t < 30
    assert stop_watcher(proc) == 0
    assert "replaced" in (workspace / "watch.log").read_text()


# 7. A killed `docgen render` leaves no reservation behind: the next start voids it with the reason.
def test_reservation_of_a_killed_render_is_voided_at_the_next_start(workspace):
    path = write_yaml(workspace / "inbox", "dod.yaml", example("uppdragshandling"))
    proc = subprocess.Popen(DOCGEN + ["-w", str(workspace), "render", str(path)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    db = workspace / "docgen.sqlite"

    def reserved():
        if not db.exists():
            return None
        try:
            return store_of(workspace).query("select id from handling where status='reserverad'")
        except Exception:
            return None
    try:
        wait_for(reserved, 60, step=0.01, what="the render's reservation")
        os.kill(proc.pid, signal.SIGSTOP)  # alive but stuck: status shows its reservation as alive
        st = json.loads(subprocess.run(DOCGEN + ["-w", str(workspace), "status", "--json"], capture_output=True,
                                       text=True, timeout=60, check=True).stdout)
        assert [r["alive"] for r in st["reserved"]] == [True]
        assert any(p["role"] == "render" and p["alive"] for p in st["processes"])
    finally:
        proc.kill()
        proc.wait()
    st = json.loads(subprocess.run(DOCGEN + ["-w", str(workspace), "status", "--json"], capture_output=True,
                                   text=True, timeout=60, check=True).stdout)
    assert st["reserved"] == []
    [row] = store_of(workspace).query("select status, makulerad_orsak from handling")
    assert row["status"] == "makulerad" and "avbröts" in row["makulerad_orsak"]
    # the same input again gets a fresh number and is registered
    r = subprocess.run(DOCGEN + ["-w", str(workspace), "render", str(path)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert [r["status"] for r in store_of(workspace).query("select status from handling order by id")] == ["makulerad", "registrerad"]


def test_running_watcher_takes_over_a_killed_peers_claims(workspace, service):
    set_setting(workspace, "bevakning", "stabil_tid", 0.2)
    a = service(workers=1)
    b = service(workers=1)
    log = workspace / "watch.log"
    wait_for(lambda: log.read_text().count(f"watching {workspace / 'inbox'} (") == 2, 60, what="both watchers started")
    for i in range(6):
        drop(workspace, f"p{i}.yaml", example("uppdragshandling") | {"rubrik": f"Delad inkorg {i}"})
    a_work = workspace / "inbox" / "arbete"
    a_name = f"{os.uname().nodename}_{a.pid}_"

    def a_holds_a_claim():
        return any(d.name.startswith(a_name) and any(d.iterdir()) for d in a_work.iterdir())

    for _ in range(200):  # stop A while it holds a claim (it may finish one between a look and the stop)
        wait_for(a_holds_a_claim, 60, step=0.01, what="watcher A holding a claim")
        os.kill(a.pid, signal.SIGSTOP)
        if a_holds_a_claim():
            break
        os.kill(a.pid, signal.SIGCONT)
    assert a_holds_a_claim()
    a.kill()
    a.wait()
    wait_for(lambda: len(done(workspace)) == 6, 120, what="B finishing A's claims without a restart")
    assert stop_watcher(b) == 0 and failed(workspace) == []
    rows = store_of(workspace).query("select status from handling")
    assert sorted(r["status"] for r in rows).count("registrerad") == 6
    assert all(r["status"] in ("registrerad", "makulerad") for r in rows)
    assert "taking over" in (workspace / "watch.log").read_text()


# 8. Two `docgen send` at once: every message goes out exactly once.
def test_two_senders_at_once_send_every_message_exactly_once(workspace, engine, tmp_path):
    from aiosmtpd.controller import Controller


    class Slow:
        def __init__(self):
            self.got = []
            self.lock = threading.Lock()

        async def handle_DATA(self, server, session, envelope):
            import asyncio
            await asyncio.sleep(0.01)
            with self.lock:
                self.got.append(envelope.rcpt_tos[0])
            return "250 OK"

    handler = Slow()
    port = free_port()
    ctrl = Controller(handler, hostname="127.0.0.1", port=port)
    ctrl.start()
    try:
        members = [{"namn": f"Mottagare {i}", "epost": f"m{i}@example.se"} for i in range(30)]
        (workspace / "distribution.yaml").write_text(yaml.safe_dump(
            {"listor": {"alla": {"namn": "Alla", "medlemmar": members}}}, allow_unicode=True), encoding="utf-8")
        for i in range(3):  # SMTP not configured yet: every delivery waits
            data = example("beslut") | {"rubrik": f"Utskick {i}", "skickas_till": [
                {"syfte": "för kännedom", "mottagare": [{"lista": "alla"}]}]}
            eng_result = engine.process(write_yaml(workspace / "inbox", f"u{i}.yaml", data))
            assert eng_result.ok, eng_result.error
        n = store_of(workspace).query("select count(*) as n from leverans where status='skapad'")[0]["n"]
        assert n == 90
        set_setting(workspace, "smtp", "server", "127.0.0.1")
        set_setting(workspace, "smtp", "port", port)
        set_setting(workspace, "smtp", "starttls", False)
        senders = [subprocess.Popen(DOCGEN + ["-w", str(workspace), "send"], stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True) for _ in range(2)]
        outs = [p.communicate(timeout=300)[0] for p in senders]
        assert all(p.returncode == 0 for p in senders), outs
        assert len(handler.got) == 90 and len(set(handler.got)) == 30, "each message exactly once"
        assert all(" skickade" in o for o in outs) and all(int(o.split(" skickade")[0].split()[-1]) > 0 for o in outs), \
            f"both senders worked: {outs}"
        rows = store_of(workspace).query("select status, count(*) as n from leverans group by status")
        assert rows == [{"status": "skickad", "n": 90}]
    finally:
        ctrl.stop()


def test_a_sender_that_died_mid_send_leaves_the_delivery_uncertain(workspace, engine):
    from docgen.steps.send import mark_abandoned

    (workspace / "distribution.yaml").write_text("listor: {}\n", encoding="utf-8")
    data = example("beslut") | {"skickas_till": [{"syfte": "för kännedom", "mottagare": [
        {"namn": "Ett Mottagare", "epost": "ett@example.se"}]}]}
    assert engine.process(write_yaml(workspace / "inbox", "d.yaml", data)).ok
    host = os.uname().nodename
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    start = Path(f"/proc/{os.getpid()}/stat").read_text().rsplit(")", 1)[1].split()[19]
    with engine.store.tx() as conn:  # what a killed sender leaves: its claim, still "skickas"
        conn.exec_driver_sql(f"update leverans set status='skickas', agare='{host}:{dead.pid}:{start}' where epost is not null")
    assert len(mark_abandoned(engine.store)) == 1
    [row] = engine.store.query("select id, status, resultat from leverans where epost is not null")
    assert row["status"] == "oklar" and "--again" in row["resultat"]
    set_setting(workspace, "smtp", "server", "127.0.0.1")
    r = subprocess.run(DOCGEN + ["-w", str(workspace), "send", "--again", "999"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "999" in r.stderr


# 9. A file name that is not UTF-8 is processed once (and never sticks in the work folder).
def test_file_name_that_is_not_utf8_is_processed_once(workspace, service):
    raw = os.fsencode(workspace / "inbox") + b"/d\xf6k.yaml"
    tmp = write_yaml(workspace, "tmp.yaml", example("uppdragshandling"))
    os.rename(tmp, raw)
    proc = service(workers=1)
    wait_for(lambda: len(done(workspace)) == 1 or failed(workspace), 60, what="the oddly named file")
    assert failed(workspace) == [] and stop_watcher(proc) == 0
    assert [p.name for p in done(workspace)[0].iterdir()] == ["d\ufffdk.yaml"]
    proc = service(workers=1)  # a restart finds nothing to redo
    # an input dropped after the restart is done: whatever the restart found to redo was done before it
    drop(workspace, "efter.yaml", example("uppdragshandling") | {"rubrik": "Efter omstarten"})
    wait_for(lambda: len(done(workspace)) == 2, 60, what="the input dropped after the restart")
    assert stop_watcher(proc) == 0
    assert [r["status"] for r in store_of(workspace).query("select status from handling")] == ["registrerad"] * 2
    assert sorted(p.name for f in done(workspace) for p in f.iterdir()) == ["d\ufffdk.yaml", "efter.yaml"]
    assert not list((workspace / "inbox" / "arbete").rglob("*.yaml"))


def test_outputs_share_one_file_mode(workspace, engine):
    (workspace / "distribution.yaml").write_text("listor: {}\n", encoding="utf-8")
    data = example("beslut") | {"skickas_till": [{"syfte": "för kännedom", "mottagare": [
        {"namn": "Ett Mottagare", "epost": "ett@example.se"}]}]}
    result = engine.process(write_yaml(workspace / "inbox", "m.yaml", data))
    assert result.ok, result.error
    folder = Path(result.folder)
    modes = {p.suffix: stat.S_IMODE(p.stat().st_mode) for p in folder.rglob("*") if p.is_file()}
    assert set(modes) >= {".pdf", ".docx", ".json", ".eml"}
    umask = os.umask(0)
    os.umask(umask)
    assert set(modes.values()) == {0o666 & ~umask}, modes


def test_report_tells_writers_to_write_under_a_temporary_name(workspace, service):
    proc = service(workers=1)
    (workspace / "inbox" / "bit.yaml").write_text("dokumenttyp: uppdragshandling\nrubrik: Bara början\n", encoding="utf-8")
    wait_for(lambda: failed(workspace), 60, what="the fragment refused")
    assert stop_watcher(proc) == 0
    _, report = report_of(failed(workspace)[0])
    assert ".part" in report and "tillfälligt namn" in report and "temporary name" in report


def soffice_pids(parent: int) -> list[int]:
    """LibreOffice processes started by a watcher (each in its own session, so found by parent pid)."""
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat_fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
                cmd = (d / "cmdline").read_bytes()
            except OSError:
                continue
            if int(stat_fields[1]) == parent and b"soffice" in cmd:
                out.append(int(d.name))
    return out


# 2. LibreOffice stops answering: the watcher kills it, restarts it, finishes the document; SIGTERM works.
def test_hung_libreoffice_is_killed_and_the_document_still_comes_out(workspace, service):
    set_setting(workspace, "libreoffice", "timeout", 5)
    proc = service(workers=1)
    drop(workspace, "forsta.yaml", example("uppdragshandling"))
    wait_for(lambda: len(done(workspace)) == 1, 60, what="first document")
    [hung] = wait_for(lambda: soffice_pids(proc.pid), 10, what="the watcher's soffice")
    os.kill(hung, signal.SIGSTOP)  # alive, holding its pipe, answering nothing
    t = time.monotonic()
    drop(workspace, "andra.yaml", example("uppdragshandling") | {"rubrik": "Efter hängningen"})
    wait_for(lambda: len(done(workspace)) == 2 or failed(workspace), 60, what="the document despite the hang")
    took = time.monotonic() - t
    assert failed(workspace) == [] and took < 40, took
    assert hung not in soffice_pids(proc.pid)
    t = time.monotonic()
    assert stop_watcher(proc) == 0 and time.monotonic() - t < 30
    log = (workspace / "watch.log").read_text()
    assert "timed out" in log and str(hung) in log


@pytest.fixture
def small_disk(tmp_path):
    """A workspace on its own 48 MB file system (tmpfs), which a test can fill."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(disk)], check=True)
    ws = disk / "ws"
    ws.mkdir()
    (ws / "docgen.toml").write_text((Path(__file__).parent.parent / "docgen.toml").read_text(encoding="utf-8"),
                                    encoding="utf-8")
    (ws / "inbox").mkdir()
    (ws / "outbox").mkdir()
    yield ws
    for line in (disk / "watch.pid").read_text().split() if (disk / "watch.pid").exists() else []:
        subprocess.run(["kill", "-9", line], check=False)
    subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path, leave: int) -> Path:
    """Fill the file system holding ``disk`` until ``leave`` bytes are free; returns the filler file."""
    st = os.statvfs(disk)
    free = st.f_bavail * st.f_frsize
    filler = disk / "fyllnad.bin"
    with open(filler, "ab") as f:
        left = max(0, free - leave)
        try:
            while left > 0:
                n = f.write(b"\0" * min(left, 1 << 20))
                left -= n
        except OSError:
            pass
    return filler


# 5. A full disk: the service survives it, retries without a restart, and never contradicts the diarium.
def test_full_disk_is_survived_and_everything_comes_out_when_space_returns(small_disk):
    ws = small_disk
    disk = ws.parent
    proc = start_watcher(ws, workers=1)
    (disk / "watch.pid").write_text(str(proc.pid))  # killed by the fixture if the test fails
    drop(ws, "forsta.yaml", example("uppdragshandling") | {"rubrik": "Före fyllningen"})
    wait_for(lambda: len(done(ws)) == 1, 60, what="a document before the disk fills")
    names = []
    for i, leave in enumerate((0, 40_000, 150_000)):
        pending = write_yaml(disk, f"d{i}.yaml", example("uppdragshandling") | {"rubrik": f"Full disk {i}"})
        bad = write_yaml(disk, f"trasig{i}.yaml", {"dokumenttyp": "uppdragshandling", "rubrik": "Saknar fält"})
        filler = fill(disk, leave)
        os.rename(pending, ws / "inbox" / pending.name)
        os.rename(bad, ws / "inbox" / bad.name)
        names += [pending.name, bad.name]
        # several attempts while full: a clock, since nothing shows an attempt (the log is on the full disk too)
        time.sleep(6)
        assert proc.poll() is None, "the watcher survives a full disk"
        os.kill(proc.pid, signal.SIGSTOP)  # look at the state the full disk left, before the watcher retries
        filler.unlink()
        try:
            consistent(ws)
            assert len(done(ws)) <= 1 + i and not (ws / "inbox" / "fel" / "trasig").exists()
        finally:
            os.kill(proc.pid, signal.SIGCONT)
        wait_for(lambda: len(done(ws)) == 2 + i and len(failed(ws)) == 1 + i, 120,
                 what=f"both inputs out once space returned (leave={leave})")
        consistent(ws)
    assert stop_watcher(proc) == 0
    (disk / "watch.pid").unlink()
    reg = store_of(ws)
    assert reg.query("select count(*) as n from handling where status='registrerad'")[0]["n"] == 4
    assert reg.query("select count(*) as n from handling where status='reserverad'")[0]["n"] == 0
    assert sorted(report_of(f)[0] for f in failed(ws)) == sorted(n for n in names if n.startswith("trasig"))
    log = (ws / "watch.log").read_text()
    assert "is full" in log and str(disk) in log, "the log names the full disk"
    assert "Traceback" not in log


def test_record_left_pending_by_a_kill_after_the_commit_is_put_in_place_when_the_input_returns(workspace, engine):
    from docgen.steps.register import pending_name

    path = write_yaml(workspace / "inbox", "p.yaml", example("uppdragshandling"))
    first = engine.process(path, source="claim-1/p.yaml")
    assert first.ok, first.error
    final = Path(first.files["json"])
    os.rename(final, pending_name(final))  # what a kill between the diarium's commit and the rename leaves
    again = engine.process(path, source="claim-1/p.yaml")  # the watcher's takeover of that claim
    assert again.error_kind == "duplicate" and again.registered_from == "claim-1/p.yaml"
    assert final.is_file() and not pending_name(final).exists()
    assert json.loads(final.read_text(encoding="utf-8"))["diarienummer"] == first.diarienummer


class _RawSmtp(threading.Thread):
    """A minimal SMTP server on a socket: takes whole messages, then misbehaves as told ("slow": no answer
    after the message; "quit421": a 421 to QUIT)."""

    def __init__(self, mode: str):
        import socket
        super().__init__(daemon=True)
        self.mode, self.messages = mode, 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]

    def run(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                f = conn.makefile("rb")
                conn.sendall(b"220 test\r\n")
                for line in f:
                    cmd = line.strip().upper()
                    if cmd.startswith((b"EHLO", b"HELO", b"MAIL", b"RCPT")):
                        conn.sendall(b"250 ok\r\n")
                    elif cmd == b"DATA":
                        conn.sendall(b"354 go\r\n")
                        for body in f:
                            if body == b".\r\n":
                                break
                        self.messages += 1
                        if self.mode == "slow":  # no answer: hold it until the client gives up and hangs up
                            conn.settimeout(30)
                            try:
                                conn.recv(1)
                            except OSError:
                                pass
                            break
                        conn.sendall(b"250 queued\r\n")
                    elif cmd == b"QUIT":
                        conn.sendall(b"421 bye\r\n" if self.mode == "quit421" else b"221 bye\r\n")
                        break


@pytest.mark.parametrize("mode, status, messages", [("slow", "oklar", 1), ("quit421", "skickad", 1)])
def test_a_message_handed_over_whole_is_never_sent_twice(workspace, engine, mode, status, messages):
    server = _RawSmtp(mode)
    server.start()
    for key, value in (("server", "127.0.0.1"), ("port", server.port), ("starttls", False), ("timeout", 1.0), ("forsok", 3)):
        set_setting(workspace, "smtp", key, value)
    (workspace / "distribution.yaml").write_text("listor: {}\n", encoding="utf-8")
    from docgen.config import load_config
    from docgen.pipeline import Engine

    data = example("beslut") | {"skickas_till": [{"syfte": "för kännedom", "mottagare": [
        {"namn": "Eva Strand", "epost": "eva.strand@example.se"}]}]}
    with Engine(load_config(workspace), pool=engine.pool) as eng:
        assert eng.process(write_yaml(workspace / "inbox", "s.yaml", data)).ok
    r = subprocess.run(DOCGEN + ["-w", str(workspace), "send"], capture_output=True, text=True, timeout=60)
    assert server.messages == messages, "the server got the message once, and no run sent it again"
    [row] = store_of(workspace).query("select status from leverans where epost is not null")
    assert row["status"] == status, r.stdout
    server.sock.close()


def test_status_prints_each_name_on_one_line(workspace):
    write_yaml(workspace / "inbox", "ny\nrad.yaml", example("uppdragshandling"))
    out = subprocess.run(DOCGEN + ["-w", str(workspace), "status"], capture_output=True, text=True, timeout=60,
                         check=True).stdout
    assert "  ny\\nrad.yaml" in out.splitlines()

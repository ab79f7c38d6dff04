"""LibreOffice faults injected for real: a frozen instance (SIGSTOP) during a conversion, during a restart
and at shutdown is killed within its deadline and the pool goes on; profiles and pipes left by docgen
processes that are gone are removed when a pool is created, those of running ones are kept."""
from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from docx import Document

from conftest import wait_until

from docgen import owners
from docgen.errors import ConversionError
from docgen.office import PREFIX, START_PAUSE, OfficePool, pipe_name, pipe_socket

TIMEOUT = 4.0  # conversion deadline here (a conversion of the test document takes well under a second)
START = 4.0  # start deadline here (a start takes about 1 s)
CLOSE = 1.5  # shutdown deadline here
MARGIN = 4.0  # a restart and a conversion on a busy machine


def within(seconds: float, fn, *args):
    """``fn(*args)`` and how long it took; the test fails, instead of hanging, if it has not returned by then."""
    out: dict = {}

    def target():
        try:
            out["value"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001  (handed to the test below)
            out["error"] = exc

    begun = time.monotonic()
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    took = time.monotonic() - begun
    assert not thread.is_alive(), f"{getattr(fn, '__name__', fn)} still running after {seconds:g} s"
    if "error" in out:
        raise out["error"]
    return out.get("value"), took


def _ppid(pid: int) -> int | None:
    """The parent of a process, None if there is none (killed and reaped)."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return None


@pytest.fixture
def freeze():
    """``freeze(pid)`` stops a LibreOffice of this test's pool (SIGSTOP to its process group); any still
    there at the end is killed, so a failing test leaves nothing frozen behind."""
    frozen = []

    def stop(pid: int) -> None:
        assert _ppid(pid) == os.getpid(), "only an instance started by this process"
        os.killpg(pid, signal.SIGSTOP)
        frozen.append(pid)

    yield stop
    for pid in frozen:
        if _ppid(pid) == os.getpid():
            os.killpg(pid, signal.SIGKILL)


@pytest.fixture
def office_log(caplog):
    """The pool's log records (attached to its own logger: the CLI may stop ``docgen`` propagating)."""
    logger = logging.getLogger("docgen.office")
    level, propagate = logger.level, logger.propagate
    logger.addHandler(caplog.handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield caplog
    logger.removeHandler(caplog.handler)
    logger.setLevel(level)
    logger.propagate = propagate


@pytest.fixture
def fresh():
    """A pool of its own with short deadlines (the session pool is not to be frozen)."""
    pool = OfficePool(size=1, timeout=TIMEOUT, start_timeout=START, close_timeout=CLOSE)
    within(START + MARGIN, pool.start)
    yield pool
    within(CLOSE + MARGIN, pool.close)


@pytest.fixture
def docx(tmp_path) -> Path:
    path = tmp_path / "brev.docx"
    doc = Document()
    doc.add_heading("Fel i LibreOffice", 1)
    doc.add_paragraph("Ett dokument som konverteras medan LibreOffice står still.")
    doc.save(path)
    return path


def is_pdf(path: Path) -> bool:
    return path.exists() and path.read_bytes()[:5] == b"%PDF-"


def test_frozen_instance_is_killed_at_the_deadline_and_the_conversion_retried(fresh, docx, tmp_path, freeze, office_log):
    inst = fresh.instances[0]
    frozen = inst.pid
    freeze(frozen)
    _, took = within(TIMEOUT + START + MARGIN, fresh.convert, docx, tmp_path / "a.pdf")
    assert is_pdf(tmp_path / "a.pdf")
    assert TIMEOUT <= took < TIMEOUT + MARGIN, took
    assert inst.pid != frozen and inst.restarts == 1 and _ppid(frozen) is None  # killed and reaped
    text = office_log.text
    assert f"(pid {frozen}) timed out converting {docx.name}: no answer after" in text
    assert "trying once more on a restarted instance" in text
    assert f"restarted: pid {inst.pid}, ready after" in text
    _, took = within(TIMEOUT, fresh.convert, docx, tmp_path / "b.pdf")  # the pool goes on
    assert is_pdf(tmp_path / "b.pdf")


@pytest.mark.parametrize("when", ["spawned", "pipe"])
def test_restart_that_does_not_answer_is_killed_and_started_again(fresh, docx, tmp_path, freeze, office_log, when):
    """The instance dies; the restart at the next conversion is frozen right after it is spawned (it never
    opens its pipe), or as soon as its pipe appears (connecting to it then blocks in the UNO handshake)."""
    inst = fresh.instances[0]
    dead = inst.pid
    os.killpg(dead, signal.SIGKILL)
    gone = wait_until(lambda: os.waitid(os.P_PID, dead, os.WEXITED | os.WNOHANG | os.WNOWAIT), TIMEOUT, every=0.001)
    assert gone, "the killed instance exited"  # (not reaped: the pool reaps it)
    sock = pipe_socket(inst.pipe)
    sock.unlink()  # left by the killed instance; the restarted one makes it anew
    worker = threading.Thread(target=fresh.convert, args=(docx, tmp_path / "a.pdf"), daemon=True)
    begun = time.monotonic()
    worker.start()

    def restarted() -> int | None:
        pid = inst.pid
        return pid if pid not in (None, dead) and (when == "spawned" or sock.exists()) else None

    pid = wait_until(restarted, START, every=0.001)
    if pid is None:
        pytest.fail("the pool did not restart the instance")
    freeze(pid)
    worker.join(START + START_PAUSE + MARGIN)
    took = time.monotonic() - begun
    assert not worker.is_alive(), f"conversion still running after {took:.1f} s"
    assert is_pdf(tmp_path / "a.pdf")
    assert START <= took, took
    text = office_log.text
    assert f"(pid {dead}) is gone (exit code -9); restarting it" in text
    assert f"(pid {pid}) timed out starting: no answer after" in text
    assert f"(pid {pid}) did not start: LibreOffice timed out starting: no answer within {START:g} s" in text
    assert "attempt 2 of 3" in text and f"restarted: pid {inst.pid}, ready after" in text
    assert _ppid(pid) is None
    within(TIMEOUT, fresh.convert, docx, tmp_path / "b.pdf")
    assert is_pdf(tmp_path / "b.pdf")


def test_start_that_never_answers_fails_clearly_after_three_attempts(freeze, office_log):
    short = 1.5
    pool = OfficePool(size=1, timeout=TIMEOUT, start_timeout=short, close_timeout=CLOSE)
    inst, seen, done = pool.instances[0], [], threading.Event()

    def freeze_every_start():
        while not done.is_set():
            pid = inst.pid
            if pid is not None and pid not in seen:
                seen.append(pid)
                freeze(pid)
            done.wait(0.001)  # the freezer's poll: it must catch each new process before it answers

    freezer = threading.Thread(target=freeze_every_start, daemon=True)
    freezer.start()
    try:
        with pytest.raises(ConversionError, match=r"timed out starting: no answer within 1.5 s .*gave up after 3 starts"):
            within(3 * short + 3 * START_PAUSE + MARGIN, pool.start)
    finally:
        done.set()
        freezer.join()
    assert len(seen) == 3 and all(_ppid(pid) is None for pid in seen)
    text = office_log.text
    assert all(f"(pid {pid}) timed out starting" in text for pid in seen)
    assert "attempt 2 of 3" in text and "attempt 3 of 3" in text
    within(CLOSE + MARGIN, pool.close)


def test_close_with_a_frozen_instance_returns_within_its_deadline(freeze, office_log):
    pool = OfficePool(size=1, timeout=TIMEOUT, start_timeout=START, close_timeout=CLOSE)
    within(START + MARGIN, pool.start)
    inst = pool.instances[0]
    pid, profile, sock = inst.pid, inst.profile, pipe_socket(inst.pipe)
    assert profile.is_dir() and sock.is_socket()
    freeze(pid)
    _, took = within(CLOSE + MARGIN, pool.close)
    assert CLOSE <= took < CLOSE + 2, took
    assert _ppid(pid) is None and not profile.exists() and not sock.exists()
    assert f"(pid {pid}) timed out shutting down: no answer after" in office_log.text


def _owner_of_child(keep_running: bool) -> tuple[str, subprocess.Popen]:
    """The owner (``host:pid:start``) of another Python process: still running, or already gone."""
    code = "import sys, time; from docgen.owners import owner_id; print(owner_id(), flush=True)"
    if keep_running:
        code += "; import signal; signal.pause()"  # until the test kills it
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    owner = child.stdout.readline().strip()
    if not keep_running:
        child.wait(10)
    return owner, child


def test_leftovers_of_stopped_processes_are_removed_when_a_pool_is_created(office_log):
    gone, _ = _owner_of_child(keep_running=False)
    running, child = _owner_of_child(keep_running=True)
    made = {}
    try:
        for who, owner in (("gone", gone), ("running", running), ("self", owners.owner_id())):
            folder = Path(tempfile.gettempdir()) / (PREFIX + owners.as_name(owner, suffix=f"lo0-test{who}"))
            (folder / "user").mkdir(parents=True)
            (folder / "user" / "registrymodifications.xcu").write_text("<x/>")
            sock = pipe_socket(pipe_name(folder))
            with socket.socket(socket.AF_UNIX) as s:  # what a killed LibreOffice leaves: a socket nobody listens on
                s.bind(str(sock))
            made[who] = (folder, sock)
        assert not owners.owner_alive(gone) and owners.owner_alive(running)

        pool = OfficePool(size=1, timeout=TIMEOUT, start_timeout=START, close_timeout=CLOSE)
        own = pool.instances[0].profile
        assert owners.from_name(own.name[len(PREFIX):]) == owners.owner_id()  # its own are named the same way
        pool.close()
        assert not own.exists()

        folder, sock = made["gone"]
        assert not folder.exists() and not sock.exists()
        assert "left by stopped docgen processes" in office_log.text and folder.name in office_log.text
        for who in ("running", "self"):
            folder, sock = made[who]
            assert folder.is_dir() and sock.is_socket(), who
    finally:
        child.kill()
        child.wait()
        for folder, sock in made.values():
            sock.unlink(missing_ok=True)
            shutil.rmtree(folder, ignore_errors=True)

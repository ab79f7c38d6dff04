"""A `docgen worker` child process kept running beside a queue-mode watcher, so that one machine alone
still converts what it submits."""
from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
from pathlib import Path

from .reports import Complaints

log = logging.getLogger("docgen.watch")

#: Seconds the worker has to finish the jobs in hand when the watcher stops, before it is killed.
STOP_WAIT = 300


class WorkerSupervisor:
    """Starts the worker, starts it again when it stopped, stops it (SIGTERM: it finishes its jobs)."""

    def __init__(self, workspace: Path, slots: int, complain: Complaints, stopping: threading.Event):
        self.workspace, self.slots, self.complain = workspace, slots, complain
        self.stopping = stopping  # the watcher's: once set, a worker that stopped is not started again
        self._proc: subprocess.Popen | None = None

    def keep_running(self) -> None:
        if self.stopping.is_set():
            return
        if self._proc is not None and self._proc.poll() is None:
            return
        if self._proc is not None:
            self.complain("worker", "the worker beside the watcher stopped (exit code %s); starting it again",
                          self._proc.returncode)
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "docgen.cli", "-w", str(self.workspace), "worker",
             "--concurrency", str(self.slots)], stdin=subprocess.DEVNULL)
        log.info("worker started beside the watcher (pid %d, %d slot(s))", self._proc.pid, self.slots)

    def stop(self) -> None:
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)  # it finishes the jobs in hand
        try:
            proc.wait(timeout=STOP_WAIT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

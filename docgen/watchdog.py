"""A deadline for blocking calls that cannot be interrupted: one long-lived thread per owner runs an action
(killing a process) when the deadline armed around a block passes.

A thread per deadline (``threading.Timer``) costs a thread start and join for every conversion; this keeps
one thread that sleeps until a deadline is armed. The action runs under the watchdog's lock, so a block
that ends while its action is under way waits for the action to finish: nothing is acted on after the
block has ended.
"""
from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator


class Watchdog:
    """Arms one deadline at a time (``armed``); ``close`` ends the thread."""

    def __init__(self, name: str):
        self.name = name
        self._cond = threading.Condition()
        self._armed: tuple[float, Callable[[], None], threading.Event] | None = None
        self._thread: threading.Thread | None = None
        self._closed = False

    @contextmanager
    def armed(self, seconds: float, action: Callable[[], None]) -> Iterator[threading.Event]:
        """Run ``action`` once if the block is still running ``seconds`` from now; yields the event set when
        it has run (check it after the block)."""
        fired = threading.Event()
        with self._cond:
            if self._armed is not None:
                raise RuntimeError(f"watchdog {self.name}: a deadline is already armed")
            self._closed = False  # armed again after close: a thread still alive keeps serving
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=f"watchdog-{self.name}", daemon=True)
                self._thread.start()
            self._armed = (time.monotonic() + seconds, action, fired)
            self._cond.notify()
        try:
            yield fired
        finally:
            with self._cond:  # waits for an action under way
                self._armed = None
                self._cond.notify()

    def _run(self) -> None:
        with self._cond:
            while not self._closed:
                if self._armed is None:
                    self._cond.wait()
                    continue
                deadline, action, fired = self._armed
                left = deadline - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                self._armed = None
                fired.set()
                try:
                    action()
                except Exception:  # the action's own failure must not end the watchdog
                    logging.getLogger("docgen.office").exception("watchdog %s: the deadline's action failed", self.name)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

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
    """Arms one deadline at a time (``armed``); ``close`` ends the thread once no deadline is armed."""

    def __init__(self, name: str):
        self.name = name
        self._cond = threading.Condition()
        self._armed: tuple[float, Callable[[], None], threading.Event] | None = None
        self._thread: threading.Thread | None = None
        self._generation = 0  # close() moves it on: a thread of an older generation ends when nothing is armed

    @contextmanager
    def armed(self, seconds: float, action: Callable[[], None]) -> Iterator[threading.Event]:
        """Run ``action`` once if the block is still running ``seconds`` from now; yields the event set when
        it has run (check it after the block)."""
        fired = threading.Event()
        with self._cond:
            if self._armed is not None:
                raise RuntimeError(f"watchdog {self.name}: a deadline is already armed")
            if self._thread is None or not self._thread.is_alive() or self._thread_generation != self._generation:
                self._thread_generation = self._generation  # an older thread still ending is left to end
                self._thread = threading.Thread(target=self._run, args=(self._generation,), name=f"watchdog-{self.name}",
                                                daemon=True)
                self._thread.start()
            self._armed = (time.monotonic() + seconds, action, fired)
            self._cond.notify_all()
        try:
            yield fired
        finally:
            with self._cond:  # waits for an action under way
                self._armed = None
                self._cond.notify_all()

    _thread_generation = -1

    def _run(self, generation: int) -> None:
        with self._cond:
            while True:
                if self._armed is None:
                    if generation != self._generation:
                        return
                    self._cond.wait()
                    continue
                if generation != self._thread_generation:  # a newer thread serves this deadline
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
        """End the thread: at once when no deadline is armed, else once the armed block has ended."""
        with self._cond:
            self._generation += 1
            self._cond.notify_all()
            thread, armed = self._thread, self._armed is not None
        if thread is not None and thread is not threading.current_thread() and not armed:
            thread.join(timeout=5)

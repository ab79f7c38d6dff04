"""docgen.watchdog: one thread per owner runs a deadline's action; nothing is acted on after its block."""
from __future__ import annotations

import threading
import time

import pytest

from docgen.watchdog import Watchdog


def test_the_action_runs_once_when_the_block_outlives_its_deadline():
    dog, ran = Watchdog("t"), []
    with dog.armed(0.05, lambda: ran.append(time.monotonic())) as fired:
        time.sleep(0.3)
    assert fired.is_set() and len(ran) == 1
    dog.close()


def test_a_block_that_ends_in_time_is_never_acted_on_and_the_thread_is_reused():
    dog, ran = Watchdog("t"), []
    for _ in range(50):
        with dog.armed(0.2, lambda: ran.append(1)) as fired:
            pass
        assert not fired.is_set()
    time.sleep(0.4)
    assert ran == []
    assert [t.name for t in threading.enumerate()].count("watchdog-t") == 1
    dog.close()
    assert "watchdog-t" not in [t.name for t in threading.enumerate()]


def test_a_block_ending_while_its_action_runs_waits_for_the_action():
    dog, events = Watchdog("t"), []

    def slow_kill():
        events.append("kill starts")
        time.sleep(0.3)
        events.append("kill ends")

    with dog.armed(0.05, slow_kill):
        while not events:
            time.sleep(0.01)
    events.append("block ended")
    assert events == ["kill starts", "kill ends", "block ended"]
    dog.close()


def test_armed_again_after_close_and_one_deadline_at_a_time():
    dog, ran = Watchdog("t"), []
    dog.close()
    with dog.armed(0.05, lambda: ran.append(1)):
        with pytest.raises(RuntimeError):
            with dog.armed(1, lambda: None):
                pass
        time.sleep(0.3)
    assert ran == [1]
    for _ in range(20):  # re-armed at once after closing a running thread: the deadline still fires
        with dog.armed(10, lambda: None):
            pass
        dog.close()
        with dog.armed(0.02, lambda: ran.append(2)) as fired:
            time.sleep(0.2)
        assert fired.is_set()
    assert ran == [1] + [2] * 20
    dog.close()
    time.sleep(0.1)
    assert "watchdog-t" not in [t.name for t in threading.enumerate()]


def test_close_while_a_deadline_is_armed_keeps_that_deadline():
    dog, ran = Watchdog("t"), []
    with dog.armed(0.1, lambda: ran.append(1)) as fired:
        dog.close()
        time.sleep(0.4)
    assert fired.is_set() and ran == [1]
    time.sleep(0.1)
    assert "watchdog-t" not in [t.name for t in threading.enumerate()]

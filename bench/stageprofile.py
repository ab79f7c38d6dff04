"""The per-stage profile of `make bench` (issue 26): where the time of a document goes.

For a stream of documents through docgen's engine (1 and 2 workers) it measures, per document:
  - each step's wall time and the CPU time its thread spent in Python (``time.thread_time``; a conversion's UNO
    calls run on the instance's own thread, so they count outside the steps), by wrapping the
    steps of ``pipeline.NEW_INPUT`` and, inside ``check``, each function of ``checks.INPUT_CHECKS`` and
    ``checks.WORKSPACE_CHECKS`` (and ``checks.start``: the type and the defaults);
  - the CPU of docgen's process (``getrusage``) and of its LibreOffice processes (``/proc/<pid>/stat``
    utime+stime+cutime+cstime of each ``soffice.bin``, plus the children reaped in the window, which are the
    instances recycled meanwhile), as a share of all the machine's cores over the window.
Everything is wrapped from here; docgen itself is not changed. The wrappers cost a few microseconds a call.
"""
from __future__ import annotations

import os
import resource
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from docgen import checks, pipeline

TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class Tally:
    """Wall and CPU seconds summed per part, and how often each part ran."""

    wall: dict = field(default_factory=lambda: defaultdict(float))
    cpu: dict = field(default_factory=lambda: defaultdict(float))
    calls: dict = field(default_factory=lambda: defaultdict(int))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, wall: float, cpu: float) -> None:
        with self.lock:
            self.wall[name] += wall
            self.cpu[name] += cpu
            self.calls[name] += 1

    def clear(self) -> None:
        with self.lock:
            self.wall.clear()
            self.cpu.clear()
            self.calls.clear()


def _timed(name: str, fn: Callable, tally: Tally) -> Callable:
    def wrapper(*args, **kwargs):
        w, c = time.perf_counter(), time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            tally.add(name, time.perf_counter() - w, time.thread_time() - c)
    wrapper.__wrapped__ = fn
    return wrapper


class Instrumented:
    """While open: the steps of a new input and the checks inside ``check`` are timed into ``steps`` and ``checks``."""

    def __init__(self):
        self.steps, self.checks = Tally(), Tally()

    def __enter__(self):
        self._saved = (list(pipeline.NEW_INPUT), list(checks.INPUT_CHECKS), list(checks.WORKSPACE_CHECKS), checks.start)
        pipeline.NEW_INPUT[:] = [replace(s, work=_timed(s.name, s.work, self.steps)) for s in pipeline.NEW_INPUT]
        for lst in (checks.INPUT_CHECKS, checks.WORKSPACE_CHECKS):
            lst[:] = [_timed(f.__name__, f, self.checks) for f in lst]
        checks.start = _timed("start (type, defaults)", checks.start, self.checks)
        return self

    def __exit__(self, *exc):
        steps, inputs, workspace, start = self._saved
        pipeline.NEW_INPUT[:], checks.INPUT_CHECKS[:], checks.WORKSPACE_CHECKS[:] = steps, inputs, workspace
        checks.start = start


def proc_cpu(pid: int) -> float | None:
    """CPU seconds of a process and its reaped children, or None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "; utime is field 14 of the line
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / TICK


def _office_pids(pool) -> list[int]:
    return [inst.pid for inst in pool.instances if inst.pid]


class CpuWindow:
    """CPU seconds of this process and of the LibreOffice processes it started, between ``start`` and ``stop``."""

    def __init__(self, pool):
        self.pool = pool

    def start(self) -> None:
        self.wall = time.perf_counter()
        self.self0 = resource.getrusage(resource.RUSAGE_SELF)
        self.children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.office0 = {pid: proc_cpu(pid) or 0.0 for pid in _office_pids(self.pool)}

    def stop(self) -> None:
        self.wall = time.perf_counter() - self.wall
        s1 = resource.getrusage(resource.RUSAGE_SELF)
        c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        office1 = {pid: proc_cpu(pid) or 0.0 for pid in _office_pids(self.pool)}
        self.python = (s1.ru_utime + s1.ru_stime) - (self.self0.ru_utime + self.self0.ru_stime)
        reaped = (c1.ru_utime + c1.ru_stime) - (self.children0.ru_utime + self.children0.ru_stime)
        # alive at the end: all of it since the start (or since it started); recycled meanwhile: reaped (its
        # whole life) minus what it had used before the window
        self.office = (sum(cpu - self.office0.get(pid, 0.0) for pid, cpu in office1.items())
                       + reaped - sum(cpu for pid, cpu in self.office0.items() if pid not in office1))


@dataclass
class Profile:
    label: str
    n: int
    elapsed: float  # seconds for the n documents
    steps: Tally
    checks: Tally
    cpu: CpuWindow
    cores: int

    def lines(self) -> list[str]:
        """The profile as a Markdown table, milliseconds per document."""
        n, ms = self.n, lambda s: f"{s * 1000 / self.n:.1f}"
        step_wall, step_cpu = sum(self.steps.wall.values()), sum(self.steps.cpu.values())
        out = [f"**{self.label}**: {self.elapsed * 1000 / n:.1f} ms/doc elapsed ({n} documents in {self.elapsed:.1f} s)", "",
               "| step | wall ms/doc | Python CPU ms/doc |", "|---|---:|---:|"]
        for step in pipeline.NEW_INPUT:
            if self.steps.calls.get(step.name):
                out.append(f"| {step.name} | {ms(self.steps.wall[step.name])} | {ms(self.steps.cpu[step.name])} |")
                if step.name == "check":
                    for part in self.checks.calls:
                        out.append(f"| &nbsp;&nbsp;check: {part} | {ms(self.checks.wall[part])} | {ms(self.checks.cpu[part])} |")
        out.append(f"| **all steps** | {ms(step_wall)} | {ms(step_cpu)} |")
        c = self.cpu
        share = lambda s: f"{100 * s / (c.wall * self.cores):.0f} %"
        idle = c.wall * self.cores - c.python - c.office
        out += ["", "| CPU over the window | ms/doc | share of the {} cores |".format(self.cores), "|---|---:|---:|",
                f"| docgen's process (Python, all threads) | {ms(c.python)} | {share(c.python)} |",
                f"| &nbsp;&nbsp;of which outside the steps' threads (the converter's UNO thread, the heartbeat, between steps) | {ms(c.python - step_cpu)} | |",
                f"| LibreOffice (soffice.bin) | {ms(c.office)} | {share(c.office)} |",
                f"| neither (other processes, waiting) | {ms(idle)} | {share(idle)} |", ""]
        return out


def profile(engine_factory: Callable, paths: list[Path], workers: int, threads: int, label: str, warmup: int = 10) -> Profile:
    """Run ``paths`` through a fresh engine with ``workers`` LibreOffice instances and ``workers * threads``
    threads, the first ``warmup`` outside the measurement."""
    with Instrumented() as ins, engine_factory(workers) as eng:
        eng.pool.start()
        for p in paths[:warmup]:
            r = eng.process(p)
            assert r.ok, r.error
        ins.steps.clear()
        ins.checks.clear()
        window = CpuWindow(eng.pool)
        window.start()
        with ThreadPoolExecutor(workers * threads) as ex:
            results = list(ex.map(eng.process, paths[warmup:]))
        window.stop()  # before the engine closes its LibreOffice
    bad = [r for r in results if not r.ok]
    assert not bad, bad[0].error
    return Profile(label, len(results), window.wall, ins.steps, ins.checks, window, os.cpu_count() or 1)

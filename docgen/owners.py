"""Who holds something: the identity of this process, whether another still runs, and how that identity
is written into folder and file names (claim folders, staging folders, temporary files).

An owner is ``host:pid:start``: the start time (clock ticks since boot, from /proc) tells a process
that reused a pid apart from the one before it. Liveness can only be known on the same host; an
owner on another host counts as alive.
"""
from __future__ import annotations

import os
import socket
from pathlib import Path


def _start_time(pid: int) -> str | None:
    """When a process started (clock ticks since boot, from /proc), or None if it does not exist."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def owner_id() -> str:
    """This process: ``host:pid:start``."""
    return f"{socket.gethostname()}:{os.getpid()}:{_start_time(os.getpid()) or 0}"


def owner_alive(owner: str | None) -> bool:
    """Whether the process that holds a reservation, claim or file still runs (knowable only on this host)."""
    if not owner:
        return False
    parts = owner.rsplit(":", 2)
    if len(parts) != 3:
        return False
    host, pid, start = parts
    if host != socket.gethostname():
        return True
    try:
        running = _start_time(int(pid))
    except ValueError:
        return False
    return running is not None and running == start


def on_this_host(owner: str) -> bool:
    return bool(owner) and owner.rsplit(":", 2)[0] == socket.gethostname()


def as_name(owner: str | None = None, suffix: str = "") -> str:
    """An owner written into a folder or file name: ``host_pid_start``, and ``~suffix`` when given
    (this process when owner is None). Host names hold no ``_`` or ``~``, so the name reads back."""
    name = (owner or owner_id()).replace(":", "_")
    return f"{name}~{suffix}" if suffix else name


def from_name(name: str) -> str:
    """The owner in a name written by ``as_name``, or "" if it holds none."""
    parts = name.split("~", 1)[0].rsplit("_", 2)
    if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        return ":".join(parts)
    return ""

"""The memory allocator LibreOffice's processes run with (``[libreoffice] allokerare``).

A warm ``soffice.bin`` on glibc's malloc spends a fifth to a third of a conversion in malloc and its heap
consolidation, and the share grows as the instance converts more documents (its heap fragments): on the
benchmark's machine a conversion took 70 ms fresh and 105-113 ms after 150 documents. With jemalloc
(Debian's ``libjemalloc2``, preloaded into LibreOffice only) the same conversion takes 60-65 ms from the
first document to the last (bench/RESULTS.md, 2026-12-06). docgen's own Python process is not affected.

The setting is ``"jemalloc"`` (the default), ``"system"`` (glibc's malloc, as Debian starts LibreOffice) or
the absolute path of another malloc library to preload (mimalloc, tcmalloc).
"""
from __future__ import annotations

import ctypes.util
import functools
import logging
import os
from pathlib import Path

log = logging.getLogger("docgen.office")

SYSTEM = "system"
DEFAULT = "jemalloc"
#: Named allocators: the library name ``ctypes.util.find_library`` looks for, and the Debian package.
KNOWN = {"jemalloc": ("jemalloc", "libjemalloc2")}
_warned: set[str] = set()


def library(setting: str) -> str | None:
    """The library to preload for ``setting``, or None for the system's malloc. A named allocator that is not
    installed is logged once and the system's malloc is used (LibreOffice converts the same, more slowly)."""
    if setting == SYSTEM:
        return None
    if setting in KNOWN:
        name, package = KNOWN[setting]
        found = _find(name)
        if found is None and setting not in _warned:
            _warned.add(setting)
            log.warning("[libreoffice] allokerare = %r: %s is not installed (Debian: apt install %s); LibreOffice "
                        "runs with the system's malloc, about a third slower", setting, name, package)
        return found
    return setting  # a path: configchecks.allocator_usable has checked it exists


@functools.lru_cache(maxsize=None)
def _find(name: str) -> str | None:
    """``ctypes.util.find_library`` once per process: it runs ldconfig (and more when the library is not
    there), and every start and restart of an instance asks."""
    return ctypes.util.find_library(name)


def environment(setting: str, base: dict | None = None) -> dict:
    """The environment to start ``soffice.bin`` in: ``base`` (this process's) with the allocator preloaded."""
    env = dict(os.environ if base is None else base)
    lib = library(setting)
    if lib:
        env["LD_PRELOAD"] = " ".join(p for p in (lib, env.get("LD_PRELOAD", "")) if p)
    return env


def problem(setting: str) -> str | None:
    """What is wrong with a setting's value, or None (for configchecks)."""
    if setting == SYSTEM or setting in KNOWN:
        return None
    path = Path(setting)
    if not path.is_absolute():
        return (f"väntade {SYSTEM!r}, " + ", ".join(map(repr, KNOWN)) + " eller en absolut sökväg till ett "
                f"malloc-bibliotek / expected {SYSTEM!r}, " + ", ".join(map(repr, KNOWN)) +
                " or the absolute path of a malloc library")
    if any(c in setting for c in " :\t\n"):  # LD_PRELOAD separates libraries at spaces and colons
        return "en sökväg utan mellanslag och kolon / a path without spaces or colons"
    if not path.is_file():
        return "finns inte / does not exist"
    return None

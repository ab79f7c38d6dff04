"""LibreOffice's processes, outside the pool's logic: finding the ``uno`` module and ``soffice``, the profile
folder and pipe of an instance (named after the docgen process that owns them), removing those a stopped
process left, killing a process group, UNO property lists, and the keywords of a DOCX."""
from __future__ import annotations

import ctypes
import hashlib
import importlib.util
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from . import owners
from .errors import ConversionError

log = logging.getLogger("docgen.office")

#: An instance's profile folder (in the temp folder) is PREFIX + ``owners.as_name(suffix=...)``; its pipe
#: is named after the folder (``pipe_name``: a socket path is limited to 107 bytes, a host name is not).
PREFIX = "docgen-lo-"
#: Where LibreOffice puts a pipe's socket (``OSL_PIPE_<uid>_<name>``).
PIPE_FOLDER = Path("/tmp")

UNO_LOCATIONS = ["/usr/lib/python3/dist-packages", "/usr/lib/libreoffice/program", "/opt/libreoffice/program"]
_uno = None
_uno_lock = threading.Lock()


def import_uno():
    """Import LibreOffice's ``uno`` module into this interpreter (it is not on PyPI)."""
    global _uno
    with _uno_lock:
        if _uno is not None:
            return _uno
        try:
            import uno  # noqa: F401
        except ImportError:
            for folder in UNO_LOCATIONS:
                path = Path(folder) / "uno.py"
                if path.exists():
                    program = "/usr/lib/libreoffice/program"
                    if program not in sys.path:
                        sys.path.append(program)
                    os.environ.setdefault("URE_BOOTSTRAP", f"vnd.sun.star.pathname:{program}/fundamentalrc")
                    for mod in ("uno", "unohelper"):
                        spec = importlib.util.spec_from_file_location(mod, Path(folder) / f"{mod}.py")
                        module = importlib.util.module_from_spec(spec)
                        sys.modules[mod] = module
                        spec.loader.exec_module(module)
                    break
            else:
                raise ConversionError(
                    "LibreOffice's Python bridge (uno) is not installed; run `make run` or install python3-uno")
        import uno
        _uno = uno
        return uno


def find_soffice(setting: str = "soffice") -> str:
    """The ``soffice.bin`` behind a configured ``soffice`` (so the process group is LibreOffice itself)."""
    found = shutil.which(setting) or setting
    real = os.path.realpath(found)
    candidate = os.path.join(os.path.dirname(real), "soffice.bin")
    if os.path.exists(candidate):
        return candidate
    if os.path.exists(real):
        return real
    raise ConversionError(f"LibreOffice not found ({setting!r}); run `make run` or install libreoffice-writer-nogui")


def _die_with_parent() -> None:
    """In the child: get SIGKILL when the thread that started us dies (Linux), so no instance is orphaned."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def pipe_name(profile: Path) -> str:
    """The pipe of the instance whose profile folder this is."""
    return PREFIX + hashlib.sha256(profile.name.encode()).hexdigest()[:16]


def pipe_socket(pipe: str) -> Path:
    """The socket LibreOffice creates for ``--accept=pipe,name=<pipe>``."""
    return PIPE_FOLDER / f"OSL_PIPE_{os.getuid()}_{pipe}"


def remove_leftovers() -> list[Path]:
    """Remove the profile folders, and their pipes' sockets, of instances whose docgen process is gone;
    returns what was removed. Only folders named with an owner (PREFIX + ``owners.as_name``) are
    considered, and only owners on this host that no longer run: a live instance's files are kept,
    another docgen process's included."""
    removed = []
    try:
        folders = [f for f in Path(tempfile.gettempdir()).iterdir() if f.name.startswith(PREFIX)]
    except OSError:
        return removed
    for folder in folders:
        owner = owners.from_name(folder.name[len(PREFIX):])
        if not owner or owners.owner_alive(owner) or folder.is_symlink() or not folder.is_dir():
            continue
        sock = pipe_socket(pipe_name(folder))
        try:
            if sock.is_socket():
                sock.unlink()
                removed.append(sock)
            shutil.rmtree(folder)
        except OSError as exc:
            log.warning("cannot remove %s, left by a stopped docgen process: %s", folder, exc)
            continue
        removed.append(folder)
    if removed:
        log.info("removed %d LibreOffice profile folder(s) and pipe(s) left by stopped docgen processes: %s",
                 len(removed), ", ".join(p.name for p in removed))
    return removed


def _props(uno, **kw):
    from com.sun.star.beans import PropertyValue  # type: ignore  # noqa: E402  (available once uno is imported)
    out = []
    for k, v in kw.items():
        p = PropertyValue()
        p.Name, p.Value = k, v
        out.append(p)
    return tuple(out)


def docx_keywords(docx: Path) -> list[str]:
    """The keywords of a DOCX docgen rendered, as whole phrases (they are separated by "; ")."""
    import re
    import zipfile
    from xml.sax.saxutils import unescape

    try:
        with zipfile.ZipFile(docx) as z:
            core = z.read("docProps/core.xml").decode("utf-8")
    except (KeyError, OSError, zipfile.BadZipFile, ValueError):  # ValueError: not UTF-8, a damaged member
        return []
    found = re.search(r"<cp:keywords>(.*?)</cp:keywords>", core, re.S)
    text = unescape(found.group(1), {"&quot;": '"', "&apos;": "'"}) if found else ""
    return [k.strip() for k in text.split(";") if k.strip()]


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass

"""The LibreOffice pool: DOCX to PDF/A-2b + PDF/UA through warm instances driven over UNO.

Each instance is its own ``soffice.bin`` process group with its own user profile and pipe, and
converts one document at a time; parallelism comes from a pool of instances. Every conversion
has a hard timeout: a hung instance's whole process group is killed, the instance restarted and
the conversion tried once more before the document fails. Instances are recycled after a
configurable number of conversions to bound memory growth.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import ctypes
import importlib.util
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .errors import ConversionError

if TYPE_CHECKING:
    from .config import Config

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


def _props(uno, **kw):
    from com.sun.star.beans import PropertyValue  # type: ignore  # noqa: E402  (available once uno is imported)
    out = []
    for k, v in kw.items():
        p = PropertyValue()
        p.Name, p.Value = k, v
        out.append(p)
    return tuple(out)


PDF_FILTER_DATA = {
    "SelectPdfVersion": 2,  # PDF/A-2b
    "PDFUACompliance": True,  # LibreOffice (7.4 checked) then also declares PDF/UA-1, together with PDF/A-2b
    "DisplayPDFDocumentTitle": True,
    "UseTaggedPDF": True,
    "ExportBookmarks": True,
    "ExportFormFields": False,
}


class OfficeInstance:
    """One warm LibreOffice process, used by one thread at a time."""

    def __init__(self, soffice: str = "soffice", timeout: float = 60, recycle_after: int = 200,
                 start_timeout: float = 60, name: str = "lo"):
        self.binary = find_soffice(soffice)
        self.timeout = timeout
        self.recycle_after = recycle_after
        self.start_timeout = start_timeout
        self.profile = Path(tempfile.mkdtemp(prefix=f"docgen-{name}-"))
        self.pipe = f"docgen-{os.getpid()}-{name}-{uuid.uuid4().hex[:8]}"
        self.proc: subprocess.Popen | None = None
        self.desktop = None
        self.conversions = 0
        self.restarts = 0
        self.started = False
        self._timed_out = False

    # -- lifecycle ----------------------------------------------------------------------------
    def spawn(self) -> None:
        """Start the process (connect later); call from a long-lived thread (see _die_with_parent)."""
        args = [
            self.binary, "--headless", "--invisible", "--nocrashreport", "--nodefault", "--nofirststartwizard",
            "--nologo", "--norestore", "--nolockcheck",
            f"-env:UserInstallation={self.profile.as_uri()}",
            f"--accept=pipe,name={self.pipe};urp;StarOffice.ComponentContext",
        ]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True, preexec_fn=_die_with_parent)
        self.desktop = None

    def connect(self) -> None:
        uno = import_uno()
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        deadline = time.monotonic() + self.start_timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                if self.proc.returncode == 81:  # a new profile was created: LibreOffice asks to be restarted
                    self.spawn()
                    continue
                raise ConversionError(f"LibreOffice exited at start (code {self.proc.returncode})")
            try:
                ctx = resolver.resolve(f"uno:pipe,name={self.pipe};urp;StarOffice.ComponentContext")
                self.desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
                self.conversions = 0
                return
            except Exception as exc:  # NoConnectException until the pipe exists
                last = exc
                time.sleep(0.05)
        self.kill()
        raise ConversionError(f"LibreOffice did not accept a connection within {self.start_timeout:.0f} s ({last})")

    def start(self) -> None:
        if self.started:
            self.restarts += 1
        self.started = True
        self.spawn()
        self.connect()

    def kill(self) -> None:
        """Kill the whole process group (soffice.bin and anything it started)."""
        proc, self.proc, self.desktop = self.proc, None, None
        if proc is None:
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def restart(self) -> None:
        self.kill()
        self.start()

    def close(self) -> None:
        desktop, proc = self.desktop, self.proc
        if desktop is not None and proc is not None:
            t = threading.Thread(target=self._terminate, args=(desktop,), daemon=True)
            t.start()
            t.join(3)
            try:
                proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                pass
        self.kill()
        shutil.rmtree(self.profile, ignore_errors=True)

    @staticmethod
    def _terminate(desktop) -> None:
        try:
            desktop.terminate()
        except Exception:
            pass

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    # -- work ----------------------------------------------------------------------------------
    def _on_timeout(self) -> None:
        self._timed_out = True
        self.kill()

    def convert(self, docx: Path, pdf: Path, filter_data: dict | None = None) -> None:
        """Convert once; raises ConversionError on timeout or failure (the instance is then dead)."""
        if self.proc is None or self.proc.poll() is not None or self.desktop is None:
            self.kill()
            self.start()
        elif self.recycle_after and self.conversions >= self.recycle_after:
            self.restart()
        uno = import_uno()
        fd = dict(PDF_FILTER_DATA, **(filter_data or {}))
        filter_props = uno.Any("[]com.sun.star.beans.PropertyValue", _props(uno, **fd))
        self._timed_out = False
        timer = threading.Timer(self.timeout, self._on_timeout)
        timer.daemon = True
        timer.start()
        doc = None
        try:
            doc = self.desktop.loadComponentFromURL(
                Path(docx).resolve().as_uri(), "_blank", 0,
                _props(uno, Hidden=True, ReadOnly=True, MacroExecutionMode=0, UpdateDocMode=0))
            if doc is None:
                raise ConversionError(f"LibreOffice could not open {docx.name}")
            doc.storeToURL(Path(pdf).resolve().as_uri(),
                           _props(uno, FilterName="writer_pdf_Export", FilterData=filter_props))
            self.conversions += 1
        except ConversionError:
            raise
        except Exception as exc:
            if self._timed_out:
                raise ConversionError(f"LibreOffice timed out after {self.timeout:.0f} s converting {docx.name}") from None
            self.kill()
            raise ConversionError(f"LibreOffice failed converting {docx.name}: {type(exc).__name__}: {exc}") from None
        finally:
            timer.cancel()
            if doc is not None and not self._timed_out:
                try:
                    doc.close(True)
                except Exception:
                    pass
        if self._timed_out:  # fired after the store returned: result is not trustworthy
            raise ConversionError(f"LibreOffice timed out after {self.timeout:.0f} s converting {docx.name}")


class OfficePool:
    """A pool of warm instances; ``convert`` borrows one, retries once on a fresh instance, then fails.

    Every call into an instance (start, convert, restart, close) runs on that instance's own
    long-lived thread: the UNO bridge is then always used from one OS thread (calling it from
    alternating threads made native memory grow), and the process is started by a thread that
    lives as long as the pool (the parent-death signal is tied to the starting thread).
    """

    def __init__(self, size: int = 1, soffice: str = "soffice", timeout: float = 60, recycle_after: int = 200):
        self.size = max(1, size)
        self.instances = [OfficeInstance(soffice, timeout, recycle_after, name=f"lo{i}") for i in range(self.size)]
        self._threads = {id(inst): ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"docgen-{inst.pipe[-8:]}")
                         for inst in self.instances}
        self._free: queue.Queue[OfficeInstance] = queue.Queue()
        for inst in self.instances:
            self._free.put(inst)
        self._closed = False

    @classmethod
    def from_config(cls, config: Config, size: int | None = None) -> "OfficePool":
        lo = config.libreoffice
        n = size or lo["instanser"] or 1
        return cls(n, lo["soffice"], lo["timeout"], lo["omstart_efter"])

    def _on(self, inst: OfficeInstance, fn, *args):
        """Run ``fn(*args)`` on the instance's own thread and wait for it."""
        return self._threads[id(inst)].submit(fn, *args).result()

    def start(self) -> None:
        """Start every instance now (they boot in parallel) instead of at first use."""
        def spawn(inst):
            if inst.proc is None:
                inst.started = True
                inst.spawn()
        def connect(inst):
            if inst.desktop is None:
                inst.connect()
        for inst in self.instances:
            self._on(inst, spawn, inst)
        for inst in self.instances:
            self._on(inst, connect, inst)

    @staticmethod
    def _convert_with_retry(inst: OfficeInstance, docx: Path, pdf: Path, filter_data: dict | None) -> None:
        try:
            inst.convert(docx, pdf, filter_data)
        except ConversionError as first:
            inst.kill()
            try:
                inst.convert(docx, pdf, filter_data)  # convert() restarts a dead instance
            except ConversionError as second:
                inst.kill()
                raise ConversionError(f"{second} (after a restart; first attempt: {first})") from None

    def convert(self, docx: Path, pdf: Path, filter_data: dict | None = None) -> None:
        inst = self._free.get()
        try:
            self._on(inst, self._convert_with_retry, inst, docx, pdf, filter_data)
        finally:
            self._free.put(inst)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for inst in self.instances:
            self._on(inst, inst.close)
            self._threads[id(inst)].shutdown(wait=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

"""The LibreOffice pool: DOCX to PDF/A-2b + PDF/UA through warm instances driven over UNO.

Each instance is its own ``soffice.bin`` process group with its own user profile and pipe, and
converts one document at a time; parallelism comes from a pool of instances. Instances are
recycled after a configurable number of conversions to bound memory growth.

Every UNO call has a deadline (a conversion: the ``timeout`` setting; a start and a shutdown:
fixed defaults). A UNO call cannot be interrupted from Python, so a watchdog kills the instance's
whole process group when the deadline passes, which makes the blocked call raise. A conversion
that times out or fails is tried once more on a restarted instance before the document fails; a
start that does not answer is killed and tried again, with pauses in between.

Profile folders and pipes are named after the docgen process that owns them (``owners.as_name``),
so that those left by a process that is gone can be removed when a pool is created (``officeproc``: finding,
naming and cleaning up the processes).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import logging
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from . import officemalloc, officescript, owners, retry
from .officeproc import (PREFIX, _die_with_parent, _kill_group, _props, docx_keywords,  # noqa: F401 (tests, bench)
                         find_soffice, import_uno, pipe_name, pipe_socket, remove_leftovers)
from .errors import ConversionError
from .watchdog import Watchdog

if TYPE_CHECKING:
    from .config import Config

log = logging.getLogger("docgen.office")
_UNO_SETUP = threading.Lock()

#: Seconds a started instance may take to accept a UNO connection (it takes about 1 s).
START_TIMEOUT = 30.0
#: Starts of an instance that does not answer, and the pause before the second (doubled after that).
START_ATTEMPTS = 3
START_PAUSE = 0.5
#: Seconds an instance may take to terminate when the pool closes; then it is killed.
CLOSE_TIMEOUT = 5.0
#: How every document is opened: hidden, read-only, no macros, no links updated (both conversion paths).
LOAD_OPTIONS = {"Hidden": True, "ReadOnly": True, "MacroExecutionMode": 0, "UpdateDocMode": 0}
PDF_FILTER_DATA = {
    "SelectPdfVersion": 2,  # PDF/A-2b
    "PDFUACompliance": True,  # LibreOffice (7.4 checked) then also declares PDF/UA-1, together with PDF/A-2b
    "DisplayPDFDocumentTitle": True,
    "UseTaggedPDF": True,
    "ExportBookmarks": True,
    "ExportFormFields": False,
}


def _outside_virtualenv(env: dict) -> dict:
    """``env`` without a Python virtualenv or Python path settings: LibreOffice's own Python (which runs
    docgen's conversion script) finds its standard library from the first ``python3`` on PATH, and a
    virtualenv's (an activated ``.venv``, which the README's tour uses) points it at another Python's: it then
    fails to start (seen as ``std::bad_alloc`` from the script provider)."""
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONHOME", None)
    env.pop("PYTHONPATH", None)
    if "PATH" in env:
        env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep)
                                      if p and not (Path(p).parent / "pyvenv.cfg").is_file()) or os.defpath
    return env


class OfficeInstance:
    """One warm LibreOffice process, used by one thread at a time."""

    def __init__(self, soffice: str = "soffice", timeout: float = 60, recycle_after: int = 500,
                 start_timeout: float = START_TIMEOUT, name: str = "lo", close_timeout: float = CLOSE_TIMEOUT,
                 allocator: str = officemalloc.DEFAULT):
        self.binary = find_soffice(soffice)
        self.allocator = allocator
        self.timeout = timeout
        self.recycle_after = recycle_after
        self.start_timeout = start_timeout
        self.close_timeout = close_timeout
        self.name = name
        self.profile = Path(tempfile.gettempdir()) / (PREFIX + owners.as_name(suffix=f"{name}-{uuid.uuid4().hex[:8]}"))
        self.profile.mkdir(mode=0o700)
        self.pipe = pipe_name(self.profile)
        self.proc: subprocess.Popen | None = None
        self.desktop = None
        self.conversions = 0
        self.restarts = 0
        self.started = False
        self._watchdog = Watchdog(name)
        self._ctx = None  # the instance's component context, once connected
        self.script = None  # docgen's conversion script in this process (officescript), or None: call by call

    # -- deadlines -----------------------------------------------------------------------------
    @contextmanager
    def _deadline(self, what: str, seconds: float):
        """Bound the block's UNO calls: past ``seconds`` the process group is killed, so that the blocked
        call raises. Anything the block raises becomes a ConversionError that says ``what`` failed."""
        proc, begun = self.proc, time.monotonic()

        def expire():
            if proc.returncode is None:
                log.warning("LibreOffice %s (pid %d) timed out %s: no answer after %.1f s; killing it",
                            self.name, proc.pid, what, time.monotonic() - begun)
                _kill_group(proc)

        with self._watchdog.armed(seconds, expire) as fired:  # a kill under way ends before the block does
            try:
                yield
            except Exception as exc:
                if not fired.is_set():
                    if isinstance(exc, ConversionError):
                        raise
                    raise ConversionError(f"LibreOffice failed {what}: {type(exc).__name__}: {exc}") from None
        if fired.is_set():
            raise ConversionError(f"LibreOffice timed out {what}: no answer within {seconds:g} s "
                                  f"(pid {proc.pid}, killed)")

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
                                     stderr=subprocess.DEVNULL, start_new_session=True, preexec_fn=_die_with_parent,
                                     env=self.environment())
        self.desktop = None

    def environment(self) -> dict:
        """soffice.bin's environment: this process's, with the allocator preloaded (``officemalloc``) and the
        DOCX's XML parsed on the thread that reads it (``SAX_DISABLE_THREADS``: LibreOffice's fast parser
        otherwise hands the XML to a second thread in chunks; beside docgen's own work on 2 cores that cost
        about 2 ms of LibreOffice's CPU and 2-3 ms per document end to end). SAX_DISABLE_THREADS=0 (or empty)
        in docgen's environment keeps LibreOffice's threaded parser. A virtualenv docgen runs in is left out
        (``_outside_virtualenv``)."""
        env = _outside_virtualenv(officemalloc.environment(self.allocator))
        if env.get("SAX_DISABLE_THREADS") in ("", "0"):  # LibreOffice looks only at whether it is set
            del env["SAX_DISABLE_THREADS"]
        else:
            env.setdefault("SAX_DISABLE_THREADS", "1")
        return env

    def connect(self) -> int | None:
        """Connect to the process just spawned, within ``start_timeout``; its exit code if it exits first."""
        uno = import_uno()
        from com.sun.star.connection import NoConnectException  # type: ignore  # (available once uno is imported)
        with _UNO_SETUP:  # pyuno's first use is not thread-safe (instances start in parallel)
            local = uno.getComponentContext()
            resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        with self._deadline("starting", self.start_timeout):
            while self.proc.poll() is None:
                try:
                    ctx = resolver.resolve(f"uno:pipe,name={self.pipe};urp;StarOffice.ComponentContext")
                except NoConnectException:  # until the pipe exists
                    time.sleep(0.05)
                    continue
                with _UNO_SETUP:
                    self.desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
                self._ctx = ctx
                self.conversions = 0
                return None
        return self.proc.returncode

    def _launch(self) -> None:
        self.spawn()
        code = self.connect()
        if code == 81:  # a new profile was created: LibreOffice asks to be restarted
            self.spawn()
            code = self.connect()
        if code is not None:
            raise ConversionError(f"LibreOffice exited at start (code {code})")
        with self._deadline("preparing its conversion script", self.start_timeout), _UNO_SETUP:
            self.script = officescript.install(self._ctx, self.profile,
                                               alive=lambda: self.proc is not None and self.proc.poll() is None)

    def start(self, recycled: bool = False) -> None:
        """Start the process and connect (a running one is killed first). A start that fails or does not
        answer within ``start_timeout`` is killed and tried again, START_ATTEMPTS times in all."""
        restart, conversions = self.started, self.conversions
        if restart:
            self.restarts += 1
        self.started = True
        begun = time.monotonic()
        failed_pid = None

        def told(attempt: int, exc: BaseException, pause: float) -> None:
            log.warning("LibreOffice %s (pid %s) did not start: %s; starting it again in %.1f s (attempt %d of %d)",
                        self.name, failed_pid, exc, pause, attempt, START_ATTEMPTS)

        try:
            for attempt in retry.attempts(START_ATTEMPTS, START_PAUSE, lambda e: isinstance(e, ConversionError), told):
                with attempt:
                    self.kill()
                    try:
                        self._launch()
                    except ConversionError:
                        failed_pid = self.pid
                        self.kill()
                        raise
        except ConversionError as exc:
            raise ConversionError(f"{exc}; gave up after {START_ATTEMPTS} starts") from None
        if restart:
            log.log(logging.INFO if recycled else logging.WARNING, "LibreOffice %s restarted%s: pid %d, ready after %.1f s",
                    self.name, f" after {conversions} conversions" if recycled else "", self.pid,
                    time.monotonic() - begun)

    def kill(self) -> None:
        """Kill the whole process group (soffice.bin and anything it started)."""
        proc, self.proc, self.desktop, self._ctx, self.script = self.proc, None, None, None, None
        if proc is None:
            return
        _kill_group(proc)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def restart(self) -> None:
        """Start a fresh process after ``recycle_after`` conversions."""
        self.start(recycled=True)

    def close(self) -> None:
        """Terminate LibreOffice (killed if it has not exited within ``close_timeout``); remove its profile and pipe."""
        if self.desktop is not None and self.proc is not None and self.proc.poll() is None:
            try:
                with self._deadline("shutting down", self.close_timeout):
                    try:
                        self.desktop.terminate()
                    except Exception:  # the bridge goes away as LibreOffice exits
                        pass
                    self.proc.wait()
            except ConversionError:
                pass  # logged by the deadline; killed below
        self.kill()
        self._watchdog.close()
        pipe_socket(self.pipe).unlink(missing_ok=True)  # before the profile, which is how a left pipe is found
        shutil.rmtree(self.profile, ignore_errors=True)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    # -- work ----------------------------------------------------------------------------------
    def convert(self, docx: Path, pdf: Path, filter_data: dict | None = None) -> None:
        """Convert once: open, export and close within ``timeout``; raises ConversionError on timeout or
        failure (the instance is then killed)."""
        if self.proc is None or self.proc.poll() is not None or self.desktop is None:
            if self.proc is not None:
                log.warning("LibreOffice %s (pid %d) is gone (exit code %s); restarting it",
                            self.name, self.proc.pid, self.proc.returncode)
            self.start()
        elif self.recycle_after and self.conversions >= self.recycle_after:
            self.restart()
        uno = import_uno()
        fd = dict(PDF_FILTER_DATA, **(filter_data or {}))
        keywords = tuple(docx_keywords(docx))
        source, target = Path(docx).resolve().as_uri(), Path(pdf).resolve().as_uri()
        try:
            with self._deadline(f"converting {docx.name}", self.timeout):
                if self.script is not None:  # one call: the script opens, exports and closes inside LibreOffice
                    try:
                        self.script.invoke((source, target, _props(uno, **LOAD_OPTIONS), keywords, _props(uno, **fd)),
                                           (), ())
                    except Exception as exc:
                        if officescript.CANNOT_OPEN in str(exc):
                            raise ConversionError(f"LibreOffice could not open {docx.name}") from None
                        raise ConversionError(f"LibreOffice failed converting {docx.name}: "
                                              f"{officescript.what_failed(exc)}") from None
                else:
                    self._convert_call_by_call(uno, source, target, keywords, fd, docx.name)
        except ConversionError:
            self.kill()
            raise
        self.conversions += 1

    def _convert_call_by_call(self, uno, source: str, target: str, keywords: tuple, fd: dict, name: str) -> None:
        """The conversion as separate UNO calls, when LibreOffice cannot run docgen's script."""
        doc = self.desktop.loadComponentFromURL(source, "_blank", 0, _props(uno, **LOAD_OPTIONS))
        if doc is None:
            raise ConversionError(f"LibreOffice could not open {name}")
        try:
            if keywords:  # LibreOffice reads a DOCX's keywords split at spaces; give it the phrases
                doc.DocumentProperties.Keywords = keywords
            doc.storeToURL(target, _props(uno, FilterName="writer_pdf_Export",
                                          FilterData=uno.Any("[]com.sun.star.beans.PropertyValue", _props(uno, **fd))))
        finally:
            doc.close(True)


class OfficePool:
    """A pool of warm instances; ``convert`` borrows one, retries once on a restarted instance, then fails.

    Every call into an instance (start, convert, restart, close) runs on that instance's own
    long-lived thread: the UNO bridge is then always used from one OS thread (calling it from
    alternating threads made native memory grow), and the process is started by a thread that
    lives as long as the pool (the parent-death signal is tied to the starting thread).
    Creating a pool removes the profiles and pipes of stopped docgen processes (``remove_leftovers``).
    """

    def __init__(self, size: int = 1, soffice: str = "soffice", timeout: float = 60, recycle_after: int = 500,
                 start_timeout: float = START_TIMEOUT, close_timeout: float = CLOSE_TIMEOUT,
                 allocator: str = officemalloc.DEFAULT):
        self.size = max(1, size)
        remove_leftovers()
        self.instances = [OfficeInstance(soffice, timeout, recycle_after, start_timeout, f"lo{i}", close_timeout,
                                         allocator)
                          for i in range(self.size)]
        self._threads = {id(inst): ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"docgen-{inst.pipe[-8:]}")
                         for inst in self.instances}
        self._free: queue.Queue[OfficeInstance] = queue.Queue()
        for inst in self.instances:
            self._free.put(inst)
        self._closed = False

    @classmethod
    def from_config(cls, config: Config, size: int | None = None) -> "OfficePool":
        lo = config.settings.libreoffice
        n = size or lo.instanser or 1
        return cls(n, lo.soffice, lo.timeout, lo.omstart_efter, allocator=lo.allokerare)

    def _on(self, inst: OfficeInstance, fn, *args):
        """Run ``fn(*args)`` on the instance's own thread and wait for it."""
        return self._threads[id(inst)].submit(fn, *args).result()

    def start(self) -> None:
        """Start every instance not running yet now (in parallel, each on its own thread) instead of at first use."""
        futures = [self._threads[id(inst)].submit(inst.start) for inst in self.instances if inst.desktop is None]
        for future in futures:
            future.result()

    @staticmethod
    def _convert_with_retry(inst: OfficeInstance, docx: Path, pdf: Path, filter_data: dict | None) -> None:
        try:
            inst.convert(docx, pdf, filter_data)
        except ConversionError as first:
            log.warning("%s; trying once more on a restarted instance", first)
            try:
                inst.convert(docx, pdf, filter_data)  # convert() starts the killed instance again
            except ConversionError as second:
                raise ConversionError(f"{second} (after a restart; first attempt: {first})") from None

    def convert(self, docx: Path, pdf: Path, filter_data: dict | None = None) -> None:
        inst = self._free.get()
        try:
            self._on(inst, self._convert_with_retry, inst, docx, pdf, filter_data)
        finally:
            self._free.put(inst)

    def close(self) -> None:
        """Stop every instance; bounded by the deadlines (a conversion under way ends first)."""
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

"""A conversion in one UNO call: docgen's script (docgen/lo/docgen_convert.py) runs inside LibreOffice.

Driving LibreOffice call by call (open, keywords, export, close) costs a round trip over the pipe for
each, and every round trip wakes threads in both processes: on a machine whose other cores are busy
(docgen's own threads rendering the next document) each wake-up waits for a core. Measured on 2 cores with
a thread computing beside the conversions: 81 ms per document call by call, 71 ms with the script (bare
LibreOffice driven over UNO: 80 ms). The script needs LibreOffice's Python script provider (Debian:
``libreoffice-script-provider-python``); without it docgen converts call by call and logs that once.
"""
from __future__ import annotations

import logging
import re
import shutil
import threading
from pathlib import Path

log = logging.getLogger("docgen.office")

SOURCE = Path(__file__).parent / "lo" / "docgen_convert.py"
URI = "vnd.sun.star.script:docgen_convert.py$convert?language=Python&location=user"
#: What the script's error says when LibreOffice cannot open the document.
CANNOT_OPEN = "DOCGEN-CANNOT-OPEN"
_told = threading.Lock()  # held for good once the missing provider has been logged


def install(ctx, profile: Path, alive=lambda: True):
    """Put the script into an instance's profile and return it (a ``com.sun.star.script.provider.XScript``),
    or None when LibreOffice cannot run it: no provider for Python scripts, or LibreOffice's Python failing to
    start (logged once per process; the instance converts call by call). When the instance itself is gone
    (``alive()`` false: it died or its deadline killed it) or the bridge to it broke, the error is raised:
    the start fails and is tried again."""
    from com.sun.star.lang import DisposedException  # type: ignore  # (uno is imported)

    target = profile / "user" / "Scripts" / "python"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SOURCE, target / SOURCE.name)
    try:
        factory = ctx.ServiceManager.createInstanceWithContext(
            "com.sun.star.script.provider.MasterScriptProviderFactory", ctx)
        return factory.createScriptProvider("").getScript(URI)
    except Exception as exc:
        if isinstance(exc, DisposedException) or not alive():
            raise
        if _told.acquire(blocking=False):
            log.warning("LibreOffice cannot run docgen's conversion script (%s); converting call by call, which is "
                        "slower beside other work (Debian: apt install libreoffice-script-provider-python)",
                        what_failed(exc)[:300])
        return None


def what_failed(exc: BaseException) -> str:
    """LibreOffice's own error from a failed script call, in one line, without the script provider's wrapping
    (where the script runs, and its Python traceback): e.g. 'Unsupported URL <file:///…>: "type detection
    failed" at …', or 'ValueError: …' when Python itself failed inside the script."""
    text = str(exc)
    inner = _INVOKING.match(text)
    if inner:  # Python failed inside the script: "Error during invoking function … (<class 'X'>: message\n traceback"
        text = _CLASS.sub(lambda m: m.group(1).rpartition(".")[2] + ": ", inner.group(1), count=1)
    text = text.split(" (Error during invoking function", 1)[0].split("\n", 1)[0]
    return " ".join(text.split()) or type(exc).__name__


_INVOKING = re.compile(r"Error during invoking function \S+ in module \S+ \((.*)", re.S)
_CLASS = re.compile(r"^<class '([^']+)'>: ")

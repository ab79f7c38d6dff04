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
import shutil
from pathlib import Path

log = logging.getLogger("docgen.office")

SOURCE = Path(__file__).parent / "lo" / "docgen_convert.py"
URI = "vnd.sun.star.script:docgen_convert.py$convert?language=Python&location=user"
#: What the script's error says when LibreOffice cannot open the document.
CANNOT_OPEN = "DOCGEN-CANNOT-OPEN"
_told = False


def install(ctx, profile: Path):
    """Put the script into an instance's profile and return it (a ``com.sun.star.script.provider.XScript``),
    or None when LibreOffice cannot run Python scripts (logged once per process)."""
    global _told
    target = profile / "user" / "Scripts" / "python"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SOURCE, target / SOURCE.name)
    try:
        factory = ctx.ServiceManager.createInstanceWithContext(
            "com.sun.star.script.provider.MasterScriptProviderFactory", ctx)
        return factory.createScriptProvider("").getScript(URI)
    except Exception as exc:  # the provider is not installed: LibreOffice answers with a UNO exception
        if not _told:
            _told = True
            log.warning("LibreOffice cannot run docgen's conversion script (%s: %s); converting call by call, "
                        "which is slower beside other work (Debian: apt install libreoffice-script-provider-python)",
                        type(exc).__name__, str(exc).splitlines()[0][:200] if str(exc) else "")
        return None


def what_failed(exc: BaseException) -> str:
    """LibreOffice's own error from a failed script call, in one line, without the script provider's wrapping
    (where the script runs, and its Python traceback): e.g. 'com.sun.star.lang.IllegalArgumentException:
    Unsupported URL <file:///…>: "type detection failed" at …'."""
    return " ".join(str(exc).split(" (Error during invoking function", 1)[0].split()) or type(exc).__name__

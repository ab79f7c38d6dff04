"""What the service tells people: the ``.fel.txt`` beside a failed input, the log line per document
(text or JSON), and ``docgen status`` (what waits, what is in progress, what failed).
"""
from __future__ import annotations

import json
import logging
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .. import liveness, owners
from ..errors import readable
from ..store import processes, reservations
from ..load import INPUT_SUFFIXES
from .claims import folders_of
from .scan import ignored, signature

if TYPE_CHECKING:
    from ..config import Config
    from ..model import Outcome


#: How a report names the number voided for its input (``voided_in`` reads it back).
VOIDED_SV, VOIDED_EN = "Numret som togs makulerades: ", "The number taken was voided: "


def voided_in(report: str) -> str | None:
    """The number a report says was voided for its input ("RS 2026-00042 handling 1"), or None."""
    for line in report.splitlines():
        if line.startswith(VOIDED_EN):
            return line[len(VOIDED_EN):].split(";", 1)[0]
    return None


def report_text(result: Outcome, original: str) -> str:
    """The .fel.txt an officer reads: Swedish first, English below."""
    if result.error_kind == "input" and result.error:
        body = result.error.replace(result.source, original) + (
            "\n\nSkrivs filen i omgångar? Skriv den under ett tillfälligt namn (slutar på .part eller .tmp) och byt "
            "namn när den är klar, annars kan tjänsten ta en halvskriven fil. / Is the file written in pieces? Write it "
            "under a temporary name (ending in .part or .tmp) and rename it when complete, or the service may take "
            "a half-written file.")
    elif result.error_kind == "duplicate":
        body = (f"{original}: dubblett. Samma innehåll är redan registrerat som {result.diarienummer} handling "
                f"{result.lopnummer}. Inget nytt dokument skapades.\n\n"
                f"{original}: duplicate. The same content is already registered as {result.diarienummer} document "
                f"{result.lopnummer}. No new document was made.")
    else:
        body = (f"{original}: filen kunde inte behandlas: {result.error}\nLägg filen i inkorgen igen; kvarstår felet, "
                f"kontakta administratören.\n\n{original}: the file could not be processed: {result.error}\n"
                f"Drop the file in the inbox again; if the error remains, contact the administrator.")
    if result.voided:  # the number this input was given is accounted for: voided, with this report's reason
        body += (f"\n\n{VOIDED_SV}{result.voided}; orsaken står ovan. Filen får ett nytt nummer när den lyckas."
                 f"\n{VOIDED_EN}{result.voided}; the reason is above. The file gets a new number when it succeeds.")
    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    body = readable(body)  # a lone surrogate from a hostile input never stops the report being written
    if result.error_kind == "duplicate":  # dropping it again would only make another duplicate
        advice = ("Inget att göra: dokumentet finns redan. En ny version görs med `docgen regenerate`. / "
                  "Nothing to do: the document exists already. A new version is made with `docgen regenerate`.")
    else:
        advice = "Rätta filen och lägg den i inkorgen igen. / Correct the file and drop it in the inbox again."
    return f"{body}\n\n-- \ndocgen {stamp}. {advice}\n"


def removed_report(original: str, folder: Path) -> str:
    """The report of an input that someone removed from the work folder while it was being processed."""
    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    return (f"{readable(original)}: filen togs bort ur arbetsmappen {folder} medan den behandlades; inget dokument "
            f"registrerades för den och inget nummer togs.\n\n{readable(original)}: the file was removed from the work "
            f"folder {folder} while it was being processed; no document was registered for it and no number was taken."
            f"\n\n-- \ndocgen {stamp}. Lägg filen i inkorgen igen om den ska behandlas. / Drop the file in the inbox "
            "again if it is to be processed.\n")


def document_entry(result: Outcome, original: str, total_ms: float, recovered: bool) -> dict:
    """The fields of one document's log line (``extra={"doc": ...}`` of a ``"document"`` record)."""
    entry = {
        "input": original, "type": result.dokumenttyp, "diarienummer": result.diarienummer,
        "lopnummer": result.lopnummer, "version": result.version,
        "result": "ok" if result.ok else (result.error_kind or "error"),
        "stages_ms": result.timings, "total_ms": total_ms,
    }
    if recovered:
        entry["recovered"] = True
    if not result.ok:
        entry["error"] = readable((result.error or "").splitlines()[0][:300]) if result.error else ""
    return entry


class Complaints:
    """Warnings at most every ``every`` seconds per kind (a full disk would otherwise log at every turn)."""

    def __init__(self, logger: logging.Logger, every: float = 30.0):
        self.log, self.every = logger, every
        self._last: dict[str, float] = {}

    def __call__(self, key: str, message: str, *args) -> None:
        now = time.monotonic()
        if now - self._last.get(key, -1e9) >= self.every:
            self._last[key] = now
            self.log.warning(message, *args)


class LogFormatter(logging.Formatter):
    """One line per document: text for people, or JSON (``--log-format json``)."""

    def __init__(self, as_json: bool = False):
        super().__init__()
        self.as_json = as_json

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="seconds")
        doc = getattr(record, "doc", None)
        if self.as_json:
            out = {"time": stamp, "level": record.levelname.lower()}
            out.update(doc if doc and record.msg == "document" else {"message": record.getMessage()})
            if record.exc_info:
                out["exception"] = self.formatException(record.exc_info)
            return json.dumps(out, ensure_ascii=False)
        if doc and record.msg == "document":
            stages = " ".join(f"{k}={v}ms" for k, v in doc["stages_ms"].items())
            number = f"{doc['diarienummer']}/{doc['lopnummer']} v{doc['version']}" if doc.get("diarienummer") else "-"
            line = (f"{stamp} {doc['result'].upper():<9} {doc['input']} {doc.get('type') or '-'} {number} "
                    f"{stages} total={doc['total_ms']}ms")
            if doc.get("error"):
                line += f" | {doc['error']}"
            return line
        line = f"{stamp} {record.levelname.lower()}: {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def log_to_stdout(as_json: bool) -> logging.Handler:
    """Send docgen's log to standard output, one line per record (a service's log); returns the handler."""
    import sys

    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(LogFormatter(as_json=as_json))
    root = logging.getLogger("docgen")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False
    return handler


def status(config: Config, store=None) -> dict:
    """What waits, what is in progress (and whether its process lives), what failed; with the diarium,
    also the numbers reserved and not yet registered, and the docgen processes that beat."""
    f = folders_of(config)
    alive = (lambda owner: liveness.alive(store, owner)) if store is not None else owners.owner_alive
    waiting = sorted(p.name for p in f.inbox.iterdir()  # regular files only: links and FIFOs are never taken
                     if signature(p) is not None and not ignored(p.name) and p.suffix.lower() in INPUT_SUFFIXES) \
        if f.inbox.is_dir() else []
    in_progress = []
    if f.work_root.is_dir():
        for d in sorted(f.work_root.iterdir()):
            if d.is_dir():
                owner = owners.from_name(d.name)
                lives = alive(owner)
                for claim in sorted(d.iterdir()):
                    for p in sorted(claim.iterdir()) if claim.is_dir() else []:
                        if p.suffix.lower() in INPUT_SUFFIXES:
                            in_progress.append({"file": p.name, "owner": owner, "alive": lives})
    failed = []
    if f.failed.is_dir():
        for d in sorted(f.failed.iterdir()):
            reports = sorted(d.glob("*.fel.txt")) if d.is_dir() else []
            if reports:
                lines = reports[0].read_text(encoding="utf-8").splitlines()
                problems = [line.strip()[2:] for line in lines if line.startswith("  - ")]
                failed.append({"folder": d.name, "file": reports[0].name[: -len(".fel.txt")],
                               "report": str(reports[0]), "summary": problems[0] if problems else (lines[0] if lines else "")})
    done = sum(1 for p in f.done.iterdir() if p.is_dir()) if f.done.is_dir() else 0
    out = {"waiting": waiting, "in_progress": in_progress, "failed": failed, "processed": done}
    if store is not None:
        with store.read() as conn:
            out["reserved"] = [{"diarienummer": r["diarienummer"], "lopnummer": r["lopnummer"], "rubrik": r["rubrik"],
                                "owner": r["agare"], "alive": alive(r["agare"])} for r in reservations.in_progress(conn)]
            out["processes"] = [{"owner": p["agare"], "role": p["roll"], "host": p["vard"], "started": p["startad"],
                                 "heartbeat_age_s": max(0, int(time.time()) - p["puls"]), "inbox": p["inkorg"],
                                 "alive": alive(p["agare"])} for p in processes.listing(conn)]
    return out

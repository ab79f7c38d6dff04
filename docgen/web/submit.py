"""Inputs from the web: checked with exactly the checks `docgen validate` runs, then dropped into the
inbox as ``api-<id>.json`` for the watcher, so they take the same path as any inbox file. Their status
is read from where the file is; drafts are rendered without a number for previews.
"""
from __future__ import annotations

import json
import re
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .. import decisions
from ..errors import problem
from ..files import atomic_write
from ..model import ErrorKind, Job
from ..pipeline import CHECK, PREVIEW, Engine
from ..load import INPUT_SUFFIXES
from ..service import folders_of, status as inbox_status
from ..service.outcome import problems_in, read_record
from ..service.reports import report_text, voided_in
from ..steps import number
from ..store import access, users
from .auth import User

ID = re.compile(r"[0-9a-f]{32}")


class Refused(Exception):
    """An input the API does not accept: HTTP status, problems (Problem dicts) and the report text, if any."""

    def __init__(self, status: int, problems: list[dict], report: str | None = None, **extra):
        super().__init__(problems[0]["sv"] if problems else str(status))
        self.status, self.problems, self.report = status, problems, report
        #: more to answer with (a 409's id and diarienummer)
        self.extra = extra


def refusal(status: int, sv: str, en: str, fix_sv: str = "", fix_en: str = "", field: str = "") -> Refused:
    return Refused(status, [problem(field, sv, en, fix_sv, fix_en).to_dict()])


def too_large(limit: int) -> Refused:
    return refusal(413, f"indata är större än gränsen {limit} byte ([granser] max_filstorlek, som för filer i inkorgen).",
                   f"the input is larger than the limit of {limit} bytes ([granser] max_filstorlek, as for inbox files).",
                   "korta texten.", "shorten the text.")


def parse_json(body: bytes, limit: int, with_files: bool = False) -> dict:
    """The body as a JSON object, or a Refused saying what is wrong (413, 400, 422); attachments (``bilagor``) only
    ``with_files`` (a multipart post, ``uploads``)."""
    if len(body) > limit:
        raise too_large(limit)
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise refusal(400, "indata är inte UTF-8.", "the input is not UTF-8.", "skicka JSON i UTF-8.", "send UTF-8 JSON.") from None
    except ValueError as exc:
        raise refusal(400, f"indata är inte giltig JSON: {exc}.", f"the input is not valid JSON: {exc}.",
                      "rätta JSON-texten.", "correct the JSON text.") from None
    except RecursionError:
        raise refusal(422, "indata är för djupt nästlat.", "the input is nested too deeply.",
                      "skriv indata med färre nivåer (som i exemplen, `docgen new TYP`).",
                      "write the input with fewer levels (as in the examples, `docgen new TYPE`).") from None
    if not isinstance(data, dict):
        raise refusal(422, "indata ska vara ett JSON-objekt med fälten dokumenttyp, rubrik, datum …",
                      "the input must be a JSON object with the fields dokumenttyp, rubrik, datum …")
    if data.get("bilagor") and not with_files:
        raise refusal(422, "bilagor skickas med multipart/form-data: indata som delen indata, filerna som fildelar.",
                      "attachments are sent as multipart/form-data: the input as the part indata, the files as file parts.",
                      "skicka om som multipart/form-data (se README, API), eller lägg filerna i inkorgen.",
                      "send again as multipart/form-data (see the README, API), or drop the files into the inbox.",
                      field="bilagor")
    return data


def as_json(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")


def _run(engine: Engine, steps: list, name: str, raw: bytes, folder: Path, files: dict[str, bytes] | None = None) -> Job:
    """Write the input (and its attachments, by name) into ``folder`` and run the steps over it; Refused (422,
    409 for a duplicate) if a step refuses it."""
    path = folder / name
    path.write_bytes(raw)
    for rel, data in (files or {}).items():
        (folder / rel).write_bytes(data)
    job = Job(name, path)
    outcome = engine.run(job, steps)
    if not outcome.ok:
        problems = outcome.problems or [problem("", outcome.error or "okänt fel", outcome.error or "unknown error").to_dict()]
        if outcome.error_kind == ErrorKind.DUPLICATE:  # already registered: 409 with its number
            raise Refused(409, problems, report_text(outcome, name), diarienummer=outcome.diarienummer)
        raise Refused(422, problems, report_text(outcome, name))
    return job


def _check(engine: Engine, name: str, raw: bytes, folder: Path, files: dict[str, bytes] | None = None) -> Job:
    """Every check made before a number is taken (``pipeline.CHECK``); Refused if any fails."""
    return _run(engine, CHECK, name, raw, folder, files)


def submit(engine: Engine, user: User, raw: bytes, suffix: str = ".json", before_inbox=None,
           files: dict[str, bytes] | None = None) -> str:
    """Check an input (JSON, or YAML with ``suffix`` .yaml) and drop it into the inbox for the watcher; returns its id.

    A draft is refused: it would be rendered but never registered (previews use ``draft``). ``before_inbox(id,
    job)``, if given, runs once the checks passed and may still refuse (raise Refused). ``files`` are the input's
    attachments (file name beside the input -> bytes, as ``uploads`` prepares them): checked with it, and put into
    the inbox before it."""
    sid = secrets.token_hex(16)
    name = f"{access.API_PREFIX}{sid}{suffix}"
    with tempfile.TemporaryDirectory(prefix="docgen-api-") as tmp, \
            number.submitted_by(lambda conn, case_id: access.sees_case(conn, user.roll, user.namn, case_id)):
        job = _check(engine, name, raw, Path(tmp), files)
        if job.doc.is_draft:
            raise refusal(422, "ett utkast registreras inte; förhandsgranska det i stället (POST /api/utkast).",
                          "a draft is not registered; preview it instead (POST /api/utkast).", "ta bort status: utkast.",
                          "remove status: utkast.", field="status")
        if before_inbox is not None:
            before_inbox(sid, job)
        with engine.store.tx() as conn:
            users.log(conn, user.namn, users.SUBMITTED, detalj=sid)
        for rel, data in (files or {}).items():  # the attachments first: the watcher finds the input complete
            atomic_write(engine.config.inbox / rel, data)
        atomic_write(engine.config.inbox / name, raw)
    return sid


def checked(engine: Engine, data: dict, files: dict[str, bytes] | None = None) -> Job:
    """The input (with its attachments ``files``) after every check made before a number is taken (its ``doc``
    and ``distribution``); Refused (422) with the problems if a check fails."""
    with tempfile.TemporaryDirectory(prefix="docgen-webb-") as tmp:
        return _check(engine, "formular.json", as_json(data), Path(tmp), files)


def draft(engine: Engine, data: dict, files: dict[str, bytes] | None = None) -> bytes:
    """The input rendered as a draft (UTKAST watermark, no number, nothing registered or written to the outbox):
    the steps of ``pipeline.PREVIEW``, checked once."""
    with tempfile.TemporaryDirectory(prefix="docgen-utkast-") as tmp:
        return _run(engine, PREVIEW, "utkast.json", as_json(dict(data, status="utkast")), Path(tmp), files).pdf


@dataclass
class Status:
    status: str  # väntar / pågår / registrerad / fel / väntar på beslut / återvisat
    diarienummer: str | None = None
    lopnummer: int | None = None
    problem: list[dict] = field(default_factory=list)
    rapport: str | None = None
    makulerat: str | None = None  # the number taken for the input and voided when it failed
    kommentar: str | None = None  # återvisat: the decision maker's comment
    beslutad_av: str | None = None  # väntar på beslut: who may decide (comma separated); else who decided
    beslut: int | None = None  # the id of its decision (docgen.decisions)


def _named(folder: Path, pattern: str, sid: str) -> list[Path]:
    """Input files of submission ``sid`` matched by ``pattern`` (``{name}`` is ``api-<id>.*``) under ``folder``."""
    return [p for p in folder.glob(pattern.format(name=f"{access.API_PREFIX}{sid}.*")) if p.suffix.lower() in INPUT_SUFFIXES]


def status(engine: Engine, sid: str) -> Status:
    """Where the input with this id is: in the diarium, the inbox, a claim folder (in progress), fel/ or behandlade/.

    Files only move forward (inbox, claim folder, then behandlade/ or fel/) and are looked for in that order."""
    folders = folders_of(engine.config)

    def registered() -> Status | None:
        with engine.store.read() as conn:
            row = access.by_source(conn, sid)
        return Status("registrerad", row["diarienummer"], row["lopnummer"]) if row else None

    found = registered()
    if found:
        return found
    decision = decisions.by_submission(engine.store, sid)
    if decision is not None and decision.status == decisions.WAITING:
        return Status("väntar på beslut", beslutad_av=", ".join(decision.beslutsfattare), beslut=decision.id)
    if decision is not None and decision.status == decisions.RETURNED:
        return Status("återvisat", kommentar=decision.kommentar, beslutad_av=decision.beslutad_av, beslut=decision.id)
    if _named(folders.inbox, "{name}", sid):
        return Status("väntar")
    if _named(folders.work_root, "*/*/{name}", sid):
        return Status("pågår")
    for inp in _named(folders.failed, "*/{name}", sid) + _named(folders.inbox / "avfardade", "*/{name}", sid):
        report = inp.with_name(inp.name + ".fel.txt")
        if report.is_file():
            text = report.read_text(encoding="utf-8")
            record = read_record(report)
            if record is None:  # a report written before the outcome was kept as data: read from its text
                return Status("fel", problem=problems_in(text), rapport=text, makulerat=voided_in(text))
            return Status("fel", problem=record["problem"], rapport=text, makulerat=record.get("makulerat"))
    return registered() or Status("pågår" if _named(folders.done, "*/{name}", sid) else "väntar")


def failed_queue(engine: Engine) -> list[dict]:
    """The failed inputs (fel/), newest first, as `docgen status` lists them, each with its report and input text."""
    folders = folders_of(engine.config)
    out = []
    for item in reversed(inbox_status(engine.config)["failed"]):
        inp = folders.failed / item["folder"] / item["file"]
        out.append({"mapp": item["folder"], "fil": item["file"], "sammanfattning": item["summary"],
                    "rapport": Path(item["report"]).read_text(encoding="utf-8"),
                    "indata": inp.read_text(encoding="utf-8", errors="replace") if inp.is_file() else ""})
    return out

"""The whole path of one input: load → validate → number → render → convert → distribute → register → outbox.

Order of the last steps, for crash safety: files are built in a staging folder, published to the
outbox (atomic renames), and only then is the document registered. A crash before registration
leaves a reservation whose process is gone; the next attempt at the same input takes it over and
writes the same files again, so every input ends with exactly one diarienummer.
"""
from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from . import attachments
from .config import Config
from .office import OfficePool
from .distribute import expand, load_lists, plan_deliveries, send_pending, write_messages
from .errors import ConversionError, DocgenError, InputError, shorten
from .load import LoadedInput, load_input
from .number import DuplicateInput, Reservation, precheck, reserve, void
from . import owners
from .files import atomic_move, document_basename, safe_name, sha256_file, stale_temp_files, write_json
from .plugins import Plugins
from .register import OutputFile, next_version, register
from .registry import Registry
from .render import RenderedDocx, Renderer
from .validate import Document, validate

log = logging.getLogger("docgen")

STAGING = ".staging"
#: A worker is one warm LibreOffice fed by this many threads, so that Python's part of one document
#: (load, render, register) overlaps LibreOffice converting another.
THREADS_PER_WORKER = 2


@dataclass
class Result:
    """What happened to one input."""

    source: str
    ok: bool
    diarienummer: str | None = None
    lopnummer: int | None = None
    version: int | None = None
    dokumenttyp: str | None = None
    rubrik: str | None = None
    datum: str | None = None
    enhet: str | None = None
    draft: bool = False
    folder: str | None = None
    files: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    error_kind: str | None = None  # input / duplicate / conversion / internal
    registered_from: str | None = None  # for a duplicate: the source its registered version came from
    problems: list[dict] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    deliveries: list[dict] = field(default_factory=list)
    #: problems with delivery (refused recipients of a confidential document); the document itself is fine
    delivery_errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v not in (None, [], {})} | {"ok": self.ok}


@dataclass
class Prepared:
    """An input that passed every check before numbering: the document, its distribution, its DOCX."""

    doc: Document
    distribution: list[dict]
    rendered: RenderedDocx


class Engine:
    """Everything one process needs to produce documents; safe to share between worker threads."""

    def __init__(self, config: Config, plugins: Plugins | None = None, pool: OfficePool | None = None,
                 registry: Registry | None = None, workers: int = 1):
        self.config = config
        self.plugins = plugins or Plugins(config)
        self.registry = registry or Registry(config.registry_url)
        self._own_pool = pool is None
        self.pool = pool or OfficePool.from_config(config, size=workers)
        self.renderer = Renderer(config, self.plugins)
        self.renderer.check_templates()  # a broken template is a configuration error, before any number
        self._lists: tuple[float | None, dict] = (None, {})
        _ = self.lists  # a broken distribution.yaml is a startup error

    @property
    def lists(self) -> dict:
        """The named distribution lists, re-read when their file changes."""
        path = self.config.path("sandlistor")
        mtime = path.stat().st_mtime if path and path.exists() else None
        if mtime != self._lists[0]:
            self._lists = (mtime, load_lists(path) if mtime is not None else {})
        return self._lists[1]

    def close(self) -> None:
        """Close what this engine opened (a pool passed in belongs to the caller)."""
        if self._own_pool:
            self.pool.close()
        self.registry.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- everything before a number is taken -------------------------------------------------------
    def load(self, path: Path, source: str | None = None) -> LoadedInput:
        return load_input(path, self.config.limits, source=source)

    def validate(self, loaded: LoadedInput) -> tuple[Document, list[dict]]:
        doc = validate(loaded, self.plugins, self.config)
        return doc, expand(doc, self.lists)

    def prepare(self, path: str | Path, source: str | None = None, timings: dict | None = None) -> Prepared:
        """Load, validate and render one input: every check that can refuse it before a number is taken.

        Raises InputError (or DuplicateInput) for an input docgen refuses; `docgen validate` runs exactly this.
        """
        timings = {} if timings is None else timings
        t = time.perf_counter()
        loaded = self.load(Path(path), source)
        timings["load"] = _lap(t)
        t = time.perf_counter()
        doc, distribution = self.validate(loaded)
        precheck(self.registry, doc, self.config)
        timings["validate"] = _lap(t)
        t = time.perf_counter()
        rendered = self.renderer.render(doc, distribution, {"bilagor": attachments.listing(doc.data)})
        timings["render"] = _lap(t)
        return Prepared(doc, distribution, rendered)

    # -- the whole path ----------------------------------------------------------------------------
    def process(self, path: str | Path, source: str | None = None) -> Result:
        """Produce one input; never raises for a bad input (the Result says what went wrong)."""
        path = Path(path)
        result = Result(source=source or str(path), ok=False)
        res: Reservation | None = None
        try:
            prepared = self.prepare(path, result.source, result.timings)
            doc = prepared.doc
            result.dokumenttyp, result.rubrik, result.draft = doc.type.name, doc.data["rubrik"], doc.is_draft
            result.datum, result.enhet = doc.data["datum"], doc.data.get("enhet")
            rendered = prepared.rendered
            if not doc.is_draft:
                t = time.perf_counter()
                res = reserve(self.registry, doc, self.config)
                result.timings["number"] = _lap(t)
                result.diarienummer, result.lopnummer = res.diarienummer, res.lopnummer
                rendered = rendered.with_number(res.diarienummer)
            else:
                rendered = rendered.finish()
            self.produce(doc, prepared.distribution, res, result, rendered)
            result.ok = True
        except Exception as exc:  # never lose an input to a bug: report it like any failure
            _failed(result, exc)
        if not result.ok and res is not None:
            void(self.registry, res, (result.error or "okänt fel")[:2000])
        return result

    def check(self, path: str | Path, source: str | None = None) -> Result:
        """Every check ``process`` makes before it takes a number, and nothing else (`docgen validate`)."""
        result = Result(source=source or str(path), ok=False)
        try:
            prepared = self.prepare(path, result.source, result.timings)
            doc = prepared.doc
            result.dokumenttyp, result.rubrik, result.draft = doc.type.name, doc.data["rubrik"], doc.is_draft
            result.datum, result.enhet = doc.data["datum"], doc.data.get("enhet")
            result.diarienummer = doc.data.get("diarienummer")
            result.ok = True
        except Exception as exc:
            _failed(result, exc)
        return result

    def produce(self, doc: Document, distribution: list[dict], res: Reservation | None, result: Result,
                rendered: RenderedDocx, version_no: int | None = None, regenerating: bool = False) -> None:
        """Convert, publish and register one rendered document (its number already filled in).

        ``regenerating``: a new version of a registered document (same number; no new deliveries).
        """
        outbox = self.config.outbox
        staging = outbox / STAGING / owners.as_name(suffix=uuid.uuid4().hex[:12])
        staging.mkdir(parents=True)
        try:
            if res is not None:
                version_no = version_no or next_version(self.registry, res.handling_id)
                base = document_basename(res.diarienummer, res.lopnummer, doc.data["rubrik"])
                folder = outbox / base
                for tmp in stale_temp_files(folder):  # a killed writer's half-written file
                    tmp.unlink(missing_ok=True)
                stem = f"{base} v{version_no}"
            else:
                base = safe_name(doc.data["rubrik"])
                folder = outbox / "utkast" / f"{base} {datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:4]}"
                stem = f"UTKAST {base}"
            listing = attachments.listing(doc.data)
            docx = staging / f"{stem}.docx"
            pdf = staging / f"{stem}.pdf"
            docx.write_bytes(rendered.data)
            t = time.perf_counter()
            self.pool.convert(docx, pdf)
            if doc.data.get("bilagor"):
                result.warnings += attachments.append(
                    pdf, doc.data, doc.loaded.base_dir, res.diarienummer if res else "(utkast)", staging,
                    self.pool.convert, doc.source)
            self.plugins.hook.docgen_pdf_written(path=pdf, document=doc.data, config=self.config)
            result.timings["convert"] = _lap(t)

            t = time.perf_counter()
            kept = []  # attachments are kept beside the document, so a later version can be made from them
            for item in doc.data.get("bilagor") or []:
                src = doc.loaded.base_dir / item["fil"]
                copy = staging / "bilagor" / item["fil"]
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, copy)
                kept.append(copy)
            files = [OutputFile(kind, str((folder / p.relative_to(staging)).relative_to(outbox)), sha256_file(p), p.stat().st_size)
                     for kind, p in [("docx", docx), ("pdf", pdf)] + [("bilaga", k) for k in kept]]
            record = {
                "diarienummer": res.diarienummer if res else None,
                "lopnummer": res.lopnummer if res else None,
                "version": version_no if res else None,
                "status": "registrerad" if res else "utkast",
                "dokumenttyp": doc.type.name,
                "rubrik": doc.data["rubrik"],
                "datum": doc.data["datum"],
                "enhet": doc.data.get("enhet"),
                "mall": rendered.template,
                "mall_sha256": rendered.template_sha256,
                "kalla": result.source,
                "skapad": datetime.now().astimezone().isoformat(timespec="seconds"),
                "filer": {f.typ: {"namn": Path(f.path).name, "sha256": f.sha256, "storlek": f.size} for f in files},
                "bilagor": listing,
                "varningar": result.warnings,
                "skickas_till": [{"syfte": g["syfte"], "mottagare": [m["rad"] for m in g["mottagare"]]} for g in distribution],
            }
            for p, f in zip([docx, pdf] + kept, files):
                target = outbox / f.path
                if not (target.exists() and sha256_file(target) == f.sha256):  # an unchanged attachment stays
                    atomic_move(p, target)
            deliveries: list[dict] = []
            if res is not None and not regenerating:  # drafts and new versions are not distributed
                deliveries = plan_deliveries(doc, distribution, self.config)
                write_messages(deliveries, doc, res.diarienummer, folder / pdf.name, folder, outbox, self.config)
                record["utskick"] = [{k: d.get(k) for k in ("syfte", "namn", "epost", "status", "resultat", "meddelande")}
                                     for d in deliveries]
            json_path = folder / f"{stem}.json"
            write_json(json_path, record)  # last: its presence means the set is complete
            result.timings["outbox"] = _lap(t)
            if res is not None:
                t = time.perf_counter()
                # OSL 5 kap.: sender or recipient. Recipients if the document is sent; otherwise who drew it up.
                motpart = "; ".join(m["rad"] for g in distribution for m in g["mottagare"]) or (
                    f"upprättad av {self.config.organisation}, {doc.data.get('enhet') or self.config.units[0]}")
                vid = register(self.registry, res, doc, template=rendered.template, template_sha256=rendered.template_sha256,
                               plugin=doc.type.source, files=files, version_no=version_no, motpart=motpart,
                               source=result.source, deliveries=deliveries, first_version=not regenerating)
                result.timings["register"] = _lap(t)
                sent = {(o["namn"], o["epost"]): o for o in send_pending(self.registry, self.config, only_version=vid)}
                for d in deliveries:
                    outcome = sent.get((d["namn"], d.get("epost")))
                    if outcome:
                        d.update(status=outcome["status"], resultat=outcome["resultat"])
                result.deliveries = [{k: d.get(k) for k in ("syfte", "namn", "epost", "status", "resultat")} for d in deliveries]
                refused = [f"{d['namn']} <{d['epost']}>" for d in deliveries if d["status"] == "nekad"]
                if refused:
                    result.delivery_errors.append(
                        "utskick nekat (sekretess, adress utanför interna domäner) / delivery refused (confidential, "
                        "address outside the internal domains): " + ", ".join(refused))
            result.version = version_no
            result.folder = str(folder)
            result.files = {"docx": str(folder / docx.name), "pdf": str(folder / pdf.name), "json": str(json_path)}
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _failed(result: Result, exc: Exception) -> None:
    """Record why an input failed, in words for the person who dropped it."""
    if isinstance(exc, InputError):
        result.error, result.error_kind = exc.report(), "input"
        result.problems = [p.to_dict() for p in exc.problems]
    elif isinstance(exc, DuplicateInput):
        result.error, result.error_kind = str(exc), "duplicate"
        result.diarienummer, result.lopnummer = exc.diarienummer, exc.lopnummer
        result.registered_from = exc.registered_from
    elif isinstance(exc, ConversionError):
        result.error, result.error_kind = str(exc), "conversion"
    elif isinstance(exc, DocgenError):
        result.error, result.error_kind = str(exc), "error"
    else:
        log.error("internal error processing %s", result.source, exc_info=exc)
        result.error = (f"{result.source}: internt fel / internal error: {type(exc).__name__}: {shorten(str(exc), 300)}. "
                        "Indatafilen är oförändrad; ge den här rapporten till administratören. / The input file is "
                        "unchanged; give this report to the administrator.")
        result.error_kind = "internal"


def _lap(t: float) -> float:
    return round((time.perf_counter() - t) * 1000, 1)


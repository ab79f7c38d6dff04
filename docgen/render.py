"""Stage 4, render: a validated input becomes a DOCX through its type's docxtpl template."""
from __future__ import annotations

import hashlib
import io
import threading
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from babel.dates import format_date
from docxtpl import DocxTemplate
from jinja2 import Environment, StrictUndefined, pass_context

from .errors import ConfigError
from .richtext import RichTextWriter, WordXml

DRAFT_NUMBER = "Tilldelas vid registrering"
LOCALE = "sv_SE"


def _as_date(value) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def datum(value) -> str:
    """Swedish short date: 2024-03-05."""
    d = _as_date(value)
    return format_date(d, "short", locale=LOCALE) if d else ""


def langt_datum(value) -> str:
    """Swedish long date: 5 mars 2024."""
    d = _as_date(value)
    return format_date(d, "d MMMM y", locale=LOCALE) if d else ""


def secrecy(data: dict) -> dict | None:
    """The confidentiality marking shown on the first page, or None."""
    s = data.get("sekretess")
    if not s:
        return None
    return {"bestammelse": s["bestämmelse"], "datum": s["datum"],
            "markering": f"SEKRETESS enligt {s['bestämmelse']} (sekretessmarkering {datum(s['datum'])})"}


@pass_context
def _markdown(ctx, text, style=None) -> WordXml:
    return ctx["_richtext"].paragraphs(text, style)


class CachingEnvironment(Environment):
    """Compiles each template source once: docxtpl hands the same patched XML for every render."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._compiled: dict[str, object] = {}
        self._lock = threading.Lock()

    def from_string(self, source, globals=None, template_class=None):
        if globals or template_class or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        tpl = self._compiled.get(source)
        if tpl is None:
            tpl = super().from_string(source)
            with self._lock:
                if len(self._compiled) > 256:
                    self._compiled.clear()
                self._compiled[source] = tpl
        return tpl


class CachedDocxTemplate(DocxTemplate):
    """docxtpl's template, with its XML clean-up (many regexes over the whole part) done once per source."""

    _patched: dict[str, str] = {}

    def patch_xml(self, src_xml):
        out = self._patched.get(src_xml)
        if out is None:
            out = super().patch_xml(src_xml)
            if len(self._patched) > 256:
                self._patched.clear()
            self._patched[src_xml] = out
        return out


def make_environment(plugins, config) -> Environment:
    """The Jinja environment of every template: autoescaping, Swedish date filters, markdown; then plugins."""
    env = CachingEnvironment(autoescape=True, undefined=StrictUndefined)
    env.filters.update(datum=datum, langt_datum=langt_datum, markdown=_markdown)
    plugins.hook.docgen_jinja_environment(env=env, config=config)
    return env


@dataclass
class RenderedDocx:
    data: bytes
    template: str
    template_sha256: str


class Renderer:
    """Renders documents; holds the Jinja environment and the template files (read once)."""

    def __init__(self, config, plugins):
        self.config = config
        self.plugins = plugins
        self.env = make_environment(plugins, config)
        self._templates: dict[Path, tuple[bytes, str, int]] = {}

    def template_path(self, dtype, data: dict) -> Path:
        name = dtype.instance.template_for(data)
        dirs = [d for d in [self.config.path("mallar")] if d] + [Path(d) for d in dtype.cls.template_dirs]
        for folder in dirs:
            candidate = folder / name
            if candidate.is_file():
                return candidate
        raise ConfigError(
            f"template {name!r} of document type {dtype.name!r} not found in: " + ", ".join(str(d) for d in dirs))

    def template(self, path: Path) -> tuple[bytes, str]:
        """The template's bytes and SHA-256; re-read when the file changes on disk."""
        mtime = path.stat().st_mtime_ns
        cached = self._templates.get(path)
        if cached is None or cached[2] != mtime:
            blob = path.read_bytes()
            cached = (blob, hashlib.sha256(blob).hexdigest(), mtime)
            self._templates[path] = cached
        return cached[0], cached[1]

    def context(self, doc, diarienummer: str | None, distribution: list[dict], extra: dict | None = None) -> dict:
        data = doc.data
        ctx = dict(doc.type.instance.context(data))
        ctx.update(
            organisation=self.config.organisation,
            enhet=data.get("enhet") or self.config.units[0],
            dokumenttyp=doc.type.name,
            dokumenttitel=doc.type.cls.title or doc.type.name,
            rubrik=data["rubrik"],
            datum=data["datum"],
            diarienummer=diarienummer or DRAFT_NUMBER,
            utkast=doc.is_draft,
            skickas_till=distribution,
            skickas_till_rubrik=doc.type.cls.distribution_heading,
            sekretess=secrecy(data),
            bilagor=[],
        )
        ctx.update(extra or {})
        return ctx

    def render(self, doc, diarienummer: str | None, distribution: list[dict], extra: dict | None = None) -> RenderedDocx:
        path = self.template_path(doc.type, doc.data)
        blob, sha = self.template(path)
        tpl = CachedDocxTemplate(io.BytesIO(blob))
        ctx = self.context(doc, diarienummer, distribution, extra)
        ctx["_richtext"] = RichTextWriter(tpl)
        tpl.render(ctx, jinja_env=self.env, autoescape=True)
        props = tpl.docx.core_properties
        props.title = doc.data["rubrik"]
        props.author = self.config.organisation
        props.subject = diarienummer or DRAFT_NUMBER
        # LibreOffice splits keywords at spaces, so the number goes in as RS-2024-00042 (subject has it exactly).
        dnr_kw = diarienummer.replace(" ", "-") if diarienummer else None
        # Non-breaking spaces keep a multi-word keyword whole.
        secret_kw = ("Sekretess " + doc.data["sekretess"]["bestämmelse"]).replace(" ", "\u00a0") if doc.data.get("sekretess") else None
        props.keywords = ", ".join(k for k in (doc.type.cls.title or doc.type.name, dnr_kw, ctx["enhet"], secret_kw) if k)
        props.comments = "UTKAST" if doc.is_draft else ""
        props.language = "sv-SE"
        props.created = props.modified = datetime.now().replace(microsecond=0)
        out = io.BytesIO()
        tpl.save(out)
        return RenderedDocx(out.getvalue(), path.name, sha)

"""Step: render. A checked input becomes the whole DOCX through its type's docxtpl template, before a number
is taken: a registered document is rendered with a placeholder where its number goes (so a template that
cannot render the input costs no number), which the stamp step fills in. The ``Renderer`` holds what
rendering needs (``docgen.rendering``: the environment, the templates, the context, the DOCX's
post-processing)."""
from __future__ import annotations

import io
import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from docx.shared import Cm

from .. import attachments, decisionline
from ..model import Job
from ..rendering.context import context
from ..rendering.docx import (DRAFT_NUMBER, LANGUAGE, LOGO_HEIGHT_CM, NUMBER_PLACEHOLDER, Logo, RenderedDocx,  # noqa: F401
                              accessible_styles, logo_image, prepared)
from ..rendering.environment import CachedDocxTemplate, make_environment
from ..rendering.templates import REQUIRED_TAGS, Templates  # noqa: F401 - REQUIRED_TAGS for `docgen template`
from ..richtext import RichTextWriter

if TYPE_CHECKING:
    from ..config import Config
    from .base import EngineView


class Renderer:
    """Renders documents; holds the Jinja environment and the templates."""

    def __init__(self, config: Config, plugins):
        self.config = config
        self.plugins = plugins
        self.env = make_environment(plugins, config)
        self.templates = Templates(config)

    def template_dirs(self, dtype) -> list:
        return self.templates.dirs(dtype)

    def find_template(self, dtype, name: str):
        return self.templates.find(dtype, name)

    def template_path(self, dtype, data: dict):
        return self.templates.find(dtype, dtype.template_for(data))

    def template(self, path) -> tuple[bytes, str]:
        """The template's bytes and SHA-256; a file on disk is re-read when it changes."""
        return self.templates.read(path)

    def logo(self, tpl, unit: str) -> Logo | None:
        """The unit's (or organisation's) logo for the first page's letterhead (decorative: see ``Logo``)."""
        path = self.config.letterhead(unit)["logotyp"]
        if path is None:
            return None
        data = logo_image(path, path.stat().st_mtime_ns)
        name = self.config.organisation if unit == self.config.units[0] else f"{self.config.organisation}, {unit}"
        return Logo(tpl, io.BytesIO(data), height=Cm(LOGO_HEIGHT_CM), name=f"Logotyp {name}")

    def check_templates(self) -> None:
        """Compile every template of every type and check it shows what the engine relies on.

        A template that does not compile (syntax, unknown filter) or lacks a required tag is a
        configuration error naming the template and the problem, found before any number is taken.
        """
        for dtype in self.plugins.types.values():
            for name in dtype.template_names():
                path = self.find_template(dtype, name)
                self.check_template(path, dtype, name)

    def check_template(self, path, dtype=None, name: str = "") -> None:
        from ..templatenames import known_names

        known = (lambda: known_names(self, dtype, name, self.env.globals)) if dtype is not None else None
        self.templates.check(path, self.env, known, dtype.name if dtype is not None else "")

    def context(self, doc, diarienummer: str | None, distribution: list[dict], extra: dict | None = None,
                own: bool = True) -> dict:
        """The template context: the type's own (``own``) and what the engine adds."""
        return context(self.config, doc, diarienummer, distribution, extra, own)

    def render(self, doc, distribution: list[dict], extra: dict | None = None) -> RenderedDocx:
        """The DOCX of a checked document. A registered one is rendered before its number is taken,
        with a placeholder that ``RenderedDocx.with_number`` fills in; a draft shows "Tilldelas vid registrering"."""
        path = self.template_path(doc.type, doc.data)
        blob, sha = self.template(path)
        tpl = CachedDocxTemplate(prepared(blob, sha))  # read once, its styles made accessible once
        number = None if doc.is_draft else f"{NUMBER_PLACEHOLDER}{uuid.uuid4().hex}"
        ctx = self.context(doc, number, distribution, extra)
        ctx["_richtext"] = RichTextWriter(tpl)
        ctx["logotyp"] = self.logo(tpl, ctx["enhet"])
        tpl.render(ctx, jinja_env=self.env)  # the environment autoescapes; docxtpl must not set it per render
        props = tpl.docx.core_properties
        props.title = doc.data["rubrik"]
        props.author = self.config.organisation
        secret_kw = ("Sekretess " + doc.data["sekretess"]["bestämmelse"]) if doc.data.get("sekretess") else None
        props.comments = "UTKAST" if doc.is_draft else ""
        props.language = LANGUAGE
        props.created = props.modified = datetime.now().replace(microsecond=0)
        return RenderedDocx(tpl, path.name, sha, [ctx["dokumenttitel"], ctx["enhet"], secret_kw],
                            placeholder=number or NUMBER_PLACEHOLDER)


def run(job: Job, engine: EngineView) -> Job:
    """The whole DOCX of the checked document, in memory, with a placeholder for its number."""
    extra = {"bilagor": attachments.listing(job.doc.data), **decisionline.context(job.doc, job.decision)}
    job.rendered = engine.renderer.render(job.doc, job.distribution, extra)
    return job

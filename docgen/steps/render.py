"""Step: render. A validated input becomes a DOCX through its type's docxtpl template.

The ``Renderer`` does the work once, during validation, with a placeholder for the number (so a
template that fails costs no number); this step fills the number in and saves the DOCX.
"""
from __future__ import annotations

import hashlib
import io
import threading
import time
import uuid
from datetime import date, datetime
from pathlib import Path

from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Cm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import Environment, StrictUndefined, TemplateError, pass_context
from jinja2.utils import missing

from ..datefmt import datum, kort_datum, langt_datum, text_date  # noqa: F401 - filters
from ..errors import ConfigError
from ..model import Job
from .. import nobreak
from ..richtext import RichTextWriter, WordXml

DRAFT_NUMBER = "Tilldelas vid registrering"
#: Between the DOCX's keywords (a phrase may hold spaces and commas; docgen.office splits at this).
KEYWORD_SEPARATOR = "; "
LOCALE = "sv_SE"
LANGUAGE = "sv-SE"
LOGO_HEIGHT_CM = 1.6
#: Word's "decorative" mark of a picture (Office 2019+; LibreOffice reads it too).
DECORATIVE = ('<a:extLst xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
              '<a:ext uri="{C183D7F6-B498-43B3-948B-1728B52AA6E4}">'
              '<adec:decorative xmlns:adec="http://schemas.microsoft.com/office/drawing/2017/decorative" val="1"/>'
              '</a:ext></a:extLst>')
#: What a document is rendered with before its number is taken; replaced in the DOCX once it is.
#: Templates must print ``{{ diarienummer }}`` as it is (no filter that changes its letters).
NUMBER_PLACEHOLDER = "QXDNRPLATSHALLAREQX"  # + a random part per render: an input cannot contain it
#: Context names every template must use: the engine relies on them being shown.
REQUIRED_TAGS = {
    "diarienummer": "the diarienummer (in the header, so it repeats on every page)",
    "utkast": "the UTKAST watermark of drafts ({%p if utkast %} ... {%p endif %})",
    "sekretess": "the confidentiality marking ({%p if sekretess %}{{ sekretess.markering }}{%p endif %})",
    "skickas_till": "the distribution list (skickas_till)",
    "bilagor": "the list of attachments (bilagor)",
}


class OptionalUndefined(StrictUndefined):
    """Strict for names a template does not know (a typo is an error), but a key missing from a mapping
    the input gave is empty and false: an optional field left out (``{{ p.titel }}`` without titel)."""

    __slots__ = ()

    def _optional(self) -> bool:
        return self._undefined_obj is not missing

    def __str__(self):
        return "" if self._optional() else super().__str__()

    def __bool__(self):
        return False if self._optional() else super().__bool__()

    def __iter__(self):
        return iter(()) if self._optional() else super().__iter__()

    def __len__(self):
        return 0 if self._optional() else super().__len__()

    def __eq__(self, other):
        return isinstance(other, OptionalUndefined) if self._optional() else super().__eq__(other)

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return id(type(self))

    def __getattr__(self, name):
        if name[:2] == "__" or not self._optional():
            return super().__getattr__(name)
        return self

    __getitem__ = __getattr__


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


@pass_context
def _textdatum(ctx, value) -> str:
    """A date of running text in the form the document's type uses (``datumform``: lang or kort)."""
    return text_date(value, ctx.get("datumform") or "lang")


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
    _patched_lock = threading.Lock()

    def patch_xml(self, src_xml):
        with self._patched_lock:
            out = self._patched.get(src_xml)
        if out is None:
            out = super().patch_xml(src_xml)
            with self._patched_lock:
                if len(self._patched) > 256:
                    self._patched.clear()
                self._patched[src_xml] = out
        return out


def make_environment(plugins, config: Config) -> Environment:
    """The Jinja environment of every template: autoescaping, Swedish date filters, markdown; then plugins.

    ``finalize`` writes the braces of every printed value as character references, so that docxtpl's
    clean-up of the rendered XML (``{_{`` → ``{{``) cannot change a value: text comes out as written.
    """
    from ..richtext import xml_value

    env = CachingEnvironment(autoescape=True, undefined=OptionalUndefined, finalize=xml_value)
    env.filters.update(datum=datum, langt_datum=langt_datum, kort_datum=kort_datum, textdatum=_textdatum,
                       markdown=_markdown)
    plugins.hook.docgen_jinja_environment(env=env, config=config)
    return env


class RenderedDocx:
    """A rendered document, kept in memory until its number is known: ``with_number`` fills the number
    into the XML and saves the DOCX once (a draft is saved with ``finish``)."""

    def __init__(self, tpl, template: str, template_sha256: str, keywords: list, data: bytes | None = None,
                 placeholder: str = NUMBER_PLACEHOLDER):
        self._tpl, self.template, self.template_sha256 = tpl, template, template_sha256
        self._placeholder = placeholder
        self._keywords = keywords
        self.data = data

    def with_number(self, diarienummer: str) -> "RenderedDocx":
        """The DOCX bytes with the placeholder replaced by the diarienummer it was given."""
        for part in self._tpl.docx.part.package.iter_parts():
            element = getattr(part, "_element", None)
            if element is None:
                continue
            for t in element.iter(qn("w:t")):
                if t.text and self._placeholder in t.text:
                    t.text = t.text.replace(self._placeholder, diarienummer)
        return self._save(diarienummer, diarienummer)

    def finish(self) -> "RenderedDocx":
        """A draft's DOCX bytes (no number)."""
        return self._save(DRAFT_NUMBER, None)

    def _save(self, subject: str, number_keyword: str | None) -> "RenderedDocx":
        for part in self._tpl.docx.part.package.iter_parts():
            element = getattr(part, "_element", None)
            if element is not None and str(part.partname).startswith(("/word/document", "/word/header", "/word/footer")):
                nobreak.keep_together(element, [number_keyword] if number_keyword else [])
        props = self._tpl.docx.core_properties
        props.subject = subject
        kw = list(self._keywords)
        kw.insert(1, number_keyword)
        # whole phrases, as written; the converter hands them to the PDF one by one (docgen.office)
        keywords = KEYWORD_SEPARATOR.join(k for k in kw if k)
        props.keywords = keywords if len(keywords) <= 255 else keywords[:254] + "…"  # the property's limit
        out = io.BytesIO()
        self._tpl.save(out)
        return RenderedDocx(None, self.template, self.template_sha256, self._keywords, out.getvalue())


def accessible_styles(document) -> None:
    """What the tagged PDF needs from a template's styles: Swedish as the language of every style
    (the PDF's /Lang, and how a screen reader speaks), and the Title style as the first heading
    level, so the title is the H1 the section headings (Heading 1, 2, ...) follow in order."""
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is None:
        defaults = OxmlElement("w:docDefaults")
        styles.insert(0, defaults)
    for holder in [defaults] + styles.findall(qn("w:style")):
        rpr_parent = holder.find(qn("w:rPrDefault")) if holder is defaults else holder
        if holder is defaults and rpr_parent is None:
            rpr_parent = OxmlElement("w:rPrDefault")
            defaults.insert(0, rpr_parent)
        rpr = rpr_parent.find(qn("w:rPr"))
        if rpr is None:
            if holder is not defaults:
                continue  # a style without run properties inherits the default
            rpr = OxmlElement("w:rPr")
            rpr_parent.append(rpr)
        lang = rpr.find(qn("w:lang"))
        if lang is None:
            lang = OxmlElement("w:lang")
            rpr.append(lang)
        lang.set(qn("w:val"), LANGUAGE)
        lang.set(qn("w:eastAsia"), LANGUAGE)
        lang.set(qn("w:bidi"), LANGUAGE)
    for style in styles.findall(qn("w:style")):
        if style.get(qn("w:styleId")) == "Title":
            ppr = style.find(qn("w:pPr"))
            if ppr is None:
                ppr = OxmlElement("w:pPr")
                name = style.find(qn("w:name"))
                (name.addnext if name is not None else style.append)(ppr)
            if ppr.find(qn("w:outlineLvl")) is None:
                level = OxmlElement("w:outlineLvl")
                level.set(qn("w:val"), "0")
                ppr.append(level)


class Logo(InlineImage):
    """The letterhead's logo, marked decorative: the organisation's name stands as text beside it, and the
    letterhead is a page header, which the tagged PDF (PDF/UA) carries as a pagination artifact. Word's
    decorative mark and an empty description say the same in the DOCX (no alternative text to read twice)."""

    def __init__(self, tpl, image_descriptor, width=None, height=None, name: str = ""):
        super().__init__(tpl, image_descriptor, width, height)
        self.name = name

    def _insert_image(self):
        inline = self.tpl.current_rendering_part.new_pic_inline(self.image_descriptor, self.width, self.height)
        for el in inline.xpath(".//wp:docPr") + inline.xpath(".//pic:cNvPr"):
            el.set("name", self.name)
            el.set("descr", "")
        for doc_pr in inline.xpath(".//wp:docPr"):
            doc_pr.append(parse_xml(DECORATIVE))
        return ('</w:t></w:r><w:r><w:drawing>%s</w:drawing></w:r><w:r><w:t xml:space="preserve">' % inline.xml)


def footer_line(letterhead: dict) -> str:
    """The contact line of the page footer: address, telephone, web, organisation number (what is set)."""
    parts = [letterhead.get("postadress")]
    if letterhead.get("telefon"):
        parts.append(f"Telefon {letterhead['telefon']}")
    parts.append(letterhead.get("webbadress"))
    if letterhead.get("organisationsnummer"):
        parts.append(f"Organisationsnummer {letterhead['organisationsnummer']}")
    return "  ·  ".join(p for p in parts if p)


class Renderer:
    """Renders documents; holds the Jinja environment and the template files (read once)."""

    def __init__(self, config: Config, plugins):
        self.config = config
        self.plugins = plugins
        self.env = make_environment(plugins, config)
        self._templates: dict[str, tuple[bytes, str, int | None]] = {}
        self._lock = threading.Lock()

    def template_dirs(self, dtype) -> list:
        """Where a type's templates are looked for: the workspace's folder, the type's template_dirs, its package."""
        dirs = [d for d in [self.config.path("mallar")] if d] + [Path(d) for d in dtype.cls.template_dirs]
        return dirs + [dtype.package_files()]

    def find_template(self, dtype, name: str):
        dirs = self.template_dirs(dtype)
        for folder in dirs:
            candidate = folder / name
            if candidate.is_file():
                return candidate
        raise ConfigError(
            f"mallen {name!r} för dokumenttypen {dtype.name!r} finns inte / template of document type not found in: "
            + ", ".join(str(d) for d in dirs))

    def template_path(self, dtype, data: dict):
        return self.find_template(dtype, dtype.template_for(data))

    def template(self, path) -> tuple[bytes, str]:
        """The template's bytes and SHA-256; a file on disk is re-read when it changes."""
        mtime = path.stat().st_mtime_ns if isinstance(path, Path) else None
        key = str(path)
        cached = self._templates.get(key)
        if cached is None or cached[2] != mtime:
            blob = path.read_bytes()
            cached = (blob, hashlib.sha256(blob).hexdigest(), mtime)
            with self._lock:
                self._templates[key] = cached
        return cached[0], cached[1]

    def logo(self, tpl, unit: str) -> "Logo | None":
        """The unit's (or organisation's) logo for the first page's letterhead (decorative: see ``Logo``)."""
        path = self.config.letterhead(unit)["logotyp"]
        if path is None:
            return None
        key = f"logo:{path}"
        mtime = path.stat().st_mtime_ns
        cached = self._templates.get(key)
        if cached is None or cached[2] != mtime:
            data = path.read_bytes()
            if path.suffix.lower() == ".svg":  # Word and LibreOffice place bitmaps; 600 px high is print quality at 1.6 cm
                import cairosvg

                data = cairosvg.svg2png(bytestring=data, output_height=600)
            cached = (data, "", mtime)
            with self._lock:
                self._templates[key] = cached
        name = self.config.organisation if unit == self.config.units[0] else f"{self.config.organisation}, {unit}"
        return Logo(tpl, io.BytesIO(cached[0]), height=Cm(LOGO_HEIGHT_CM), name=f"Logotyp {name}")

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
        blob, _ = self.template(path)
        try:
            tpl = CachedDocxTemplate(io.BytesIO(blob))
            used = tpl.get_undeclared_template_variables(self.env)
        except TemplateError as exc:
            raise ConfigError(f"mallen / template {path}: Jinja-fel / error on line {getattr(exc, 'lineno', '?')}: {exc}") from None
        except Exception as exc:
            raise ConfigError(f"mallen / template {path}: är ingen giltig DOCX-mall / is not a valid DOCX template: "
                              f"{type(exc).__name__}: {exc}") from None
        lacking = [f"{tag} ({what})" for tag, what in REQUIRED_TAGS.items() if tag not in used]
        if lacking:
            raise ConfigError(f"mallen / template {path} saknar / lacks: " + "; ".join(lacking))
        if dtype is not None:
            from ..templatenames import known_names

            known = known_names(self, dtype, name, self.env.globals)
            unknown = sorted(set(used) - known)
            if unknown:
                listed = ", ".join(sorted(n for n in known if not n.startswith("_")))
                raise ConfigError(
                    f"mallen {path} använder namn som dokumenttypen {dtype.name} inte har: {', '.join(unknown)}. "
                    f"Namnen den har: {listed}.\n"
                    f"the template {path} uses names the document type {dtype.name} does not have: "
                    f"{', '.join(unknown)}. The names it has: {listed}.")

    def context(self, doc, diarienummer: str | None, distribution: list[dict], extra: dict | None = None,
                own: bool = True) -> dict:
        """The template context: the type's own (``own``) and what the engine adds."""
        data = doc.data
        ctx = dict(doc.type.instance.context(data)) if own else {}
        unit = data.get("enhet") or self.config.units[0]
        letterhead = self.config.letterhead(unit)
        labels = doc.type.label_texts()
        ctx.update(
            organisation=self.config.organisation,
            enhet=unit,
            sidfot=footer_line(letterhead),
            rubriker=labels,
            digital_underskrift=doc.type.signature_line(data),
            dokumenttyp=doc.type.name,
            dokumenttitel=doc.type.document_name(data),
            datumform=doc.type.date_form_of(),
            rubrik=data["rubrik"],
            datum=data["datum"],
            diarienummer=diarienummer or DRAFT_NUMBER,
            utkast=doc.is_draft,
            skickas_till=distribution,
            skickas_till_rubrik=labels["skickas_till"],
            sekretess=secrecy(data),
            bilagor=[],
        )
        ctx.update(extra or {})
        return ctx

    def render(self, doc, distribution: list[dict], extra: dict | None = None) -> RenderedDocx:
        """The DOCX of a validated document. A registered one is rendered before its number is taken,
        with a placeholder that ``RenderedDocx.with_number`` fills in; a draft shows "Tilldelas vid registrering"."""
        path = self.template_path(doc.type, doc.data)
        blob, sha = self.template(path)
        tpl = CachedDocxTemplate(io.BytesIO(blob))
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
        accessible_styles(tpl.docx)
        return RenderedDocx(tpl, path.name, sha, [ctx["dokumenttitel"], ctx["enhet"], secret_kw],
                            placeholder=number or NUMBER_PLACEHOLDER)


def run(job: Job, engine) -> Job:
    """The DOCX with the document's number (or a draft's), saved once."""
    t = time.perf_counter()
    job.rendered = job.rendered.with_number(job.reservation.diarienummer) if job.reservation else job.rendered.finish()
    job.outcome.timings["render"] = job.outcome.timings.get("render", 0) + round((time.perf_counter() - t) * 1000, 1)
    return job

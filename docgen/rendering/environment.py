"""The Jinja environment of every template: autoescaping, strict names but optional fields, Swedish date
filters, Markdown; compiled templates and docxtpl's XML clean-up cached per source (``functools.lru_cache``)."""
from __future__ import annotations

from functools import lru_cache, partial
from typing import TYPE_CHECKING

from docxtpl import DocxTemplate
from jinja2 import Environment, StrictUndefined, pass_context
from jinja2.utils import missing

from ..datefmt import datum, kort_datum, langt_datum, text_date
from ..richtext import WordXml, xml_value
from .package import open_document

if TYPE_CHECKING:
    from ..config import Config

#: How many template sources (one a part: document, header, footer of each template) stay compiled.
CACHED_SOURCES = 256


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
        self._from_source = lru_cache(maxsize=CACHED_SOURCES)(partial(Environment.from_string, self))

    def from_string(self, source, globals=None, template_class=None):
        if globals or template_class or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        return self._from_source(source)


#: docxtpl's ``patch_xml`` uses nothing of its template: one instance, made without a file, does it for all.
_PATCHER = DocxTemplate.__new__(DocxTemplate)


@lru_cache(maxsize=CACHED_SOURCES)
def _patched(src_xml: str) -> str:
    return DocxTemplate.patch_xml(_PATCHER, src_xml)


class CachedDocxTemplate(DocxTemplate):
    """docxtpl's template, with its XML clean-up (many regexes over the whole part) done once per source, and
    the parts rendering does not write parsed only if read (``package.open_document``)."""

    def patch_xml(self, src_xml):
        return _patched(src_xml)

    def init_docx(self, reload: bool = True):
        if not self.docx or (self.is_rendered and reload):
            self.docx = open_document(self.template_file)
            self.is_rendered = False


def make_environment(plugins, config: Config) -> Environment:
    """The Jinja environment of every template: autoescaping, Swedish date filters, markdown; then plugins.

    ``finalize`` writes the braces of every printed value as character references, so that docxtpl's
    clean-up of the rendered XML (``{_{`` → ``{{``) cannot change a value: text comes out as written.
    """
    env = CachingEnvironment(autoescape=True, undefined=OptionalUndefined, finalize=xml_value)
    env.filters.update(datum=datum, langt_datum=langt_datum, kort_datum=kort_datum, textdatum=_textdatum,
                       markdown=_markdown)
    plugins.hook.docgen_jinja_environment(env=env, config=config)
    return env


"""Hook specifications of the plugin API (docs/plugins.md has an example of each). Plugin authors implement
them with ``from docgen import hookimpl``; an implementation may take any or all of a hook's parameters.

Document types come in through ``docgen_document_types``; the other hooks are for concerns
that cut across every type.
"""
from pluggy import HookspecMarker

hookspec = HookspecMarker("docgen")


@hookspec
def docgen_document_types():
    """Return a list of ``docgen.doctype.DocumentType`` subclasses this plugin provides.

    Each class has a ``name`` that is unique across all plugins (an input's ``dokumenttyp``).
    """


@hookspec
def docgen_jinja_environment(env, config):
    """Adjust the Jinja environment every template is rendered with (add filters, globals)."""


@hookspec
def docgen_pdf_written(path, document, diarienummer, config):
    """Called with a finished PDF (attachments appended) before its checksum is taken; may post-process it in place.

    ``document`` is the validated input (a dict); ``diarienummer`` its number (None for a draft). A
    plugin that rewrites the file must keep it PDF/A.
    """

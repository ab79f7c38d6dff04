"""`docgen template new TYPE`: a minimal template for a type without one (a new plugin's), to edit in Word.

It carries the letterhead of the built-in types (logo, organisation, unit, type, date, diarienummer in the
page header; the contact line in the footer), every tag docgen relies on (utkast, sekretess, bilagor,
skickas_till, digital_underskrift) and one line per field of the type's own schema.
"""
from __future__ import annotations

import io
import docx

from .doctype import common_schema

#: The package of the built-in types: a new template takes its letterhead from one of their templates.
BUILT_IN = "docgen_plugins."


def letterhead_source(plugins):
    """A built-in type's template (a Traversable) whose page header and footer a new template starts from."""
    for t in plugins.types.values():
        if t.cls.__module__.startswith(BUILT_IN) and not t.cls.variants:
            source = t.package_files() / t.cls.template
            if source.is_file():
                return source
    return None


def _field_lines(schema: dict) -> list[str]:
    """Paragraphs printing the type's own fields: required ones as they are, optional ones when given."""
    own = {k: v for k, v in schema.get("properties", {}).items() if k not in common_schema()["properties"]}
    required = set(schema.get("required", []))
    lines = []
    for name, sub in own.items():
        if not name.isidentifier():
            continue
        if sub.get("type") == "array":
            body = [f"{{%p for x in {name} %}}", "{{ x }}", "{%p endfor %}"]
        else:
            body = [f"{name}: {{{{ {name} }}}}"]
        lines += body if name in required else [f"{{%p if {name} is defined %}}", *body, "{%p endif %}"]
    return lines


def minimal_template(dtype, letterhead) -> bytes:
    """The DOCX bytes of a minimal template for the type ``dtype`` (a ``plugins.LoadedType``), with the page header and footer of the
    template ``letterhead`` (None: a plain page header with the diarienummer)."""
    d = docx.Document(io.BytesIO(letterhead.read_bytes())) if letterhead is not None else docx.Document()
    if letterhead is None:
        d.sections[0].header.paragraphs[0].text = "{{ organisation }} {{ dokumenttitel }} {{ datum }} {{ diarienummer }}"
        d.add_paragraph("{%p if utkast %}")
        d.add_paragraph("UTKAST")
        d.add_paragraph("{%p endif %}")
    body = d.element.body
    for child in list(body):
        if letterhead is not None and not child.tag.endswith("}sectPr"):
            body.remove(child)
    for text in ["{%p if sekretess %}", "{{ sekretess.markering }}", "{%p endif %}"]:
        d.add_paragraph(text)
    d.add_paragraph("{{ rubrik }}", style="Title")  # the document's H1 in the tagged PDF
    for text in [*_field_lines(dtype.full_schema()),
                 "{%p if digital_underskrift %}", "{{ digital_underskrift }}", "{%p endif %}",
                 "{%p if bilagor %}", "Bilagor", "{%p for b in bilagor %}", "Bilaga {{ b.nummer }}. {{ b.titel }}",
                 "{%p endfor %}", "{%p endif %}",
                 "{%p if skickas_till %}", "{{ skickas_till_rubrik }}", "{%p for g in skickas_till %}", "{{ g.rubrik }}",
                 "{%p for m in g.mottagare %}", "{{ m.rad }}", "{%p endfor %}", "{%p endfor %}", "{%p endif %}"]:
        d.add_paragraph(text)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()

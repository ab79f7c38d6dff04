"""Writes docgen_minnesanteckningar/minnesanteckningar.docx: the letterhead of a template made by
`docgen template copy uppdragshandling` (page header and footer kept), with this type's own body.
Run it with docgen installed: python make_template.py (the .docx is committed; edit it in Word)."""
from pathlib import Path

import docx
from docgen.plugins import Plugins

BODY = [
    ("Normal", "{%p if sekretess %}"), ("Normal", "{{ sekretess.markering }}"), ("Normal", "{%p endif %}"),
    ("Title", "{{ rubrik }}"),
    ("Normal", "{{ rubriker.mote }}\t{{ mote }}"),
    ("Normal", "{%p if plats %}"), ("Normal", "{{ rubriker.plats }}\t{{ plats }}"), ("Normal", "{%p endif %}"),
    ("Normal", "{%p if hanvisning %}"), ("Normal", "{{ rubriker.hanvisning }}\t{{ hanvisning }}"), ("Normal", "{%p endif %}"),
    ("Heading 2", "{{ rubriker.narvarande }}"),
    ("Normal", "{%p for rad in narvarande_rader %}"), ("List Bullet", "{{ rad }}"), ("Normal", "{%p endfor %}"),
    ("Heading 2", "{{ rubriker.punkter }}"),
    ("Normal", "{%p for p in punkter %}"), ("Heading 3", "{{ loop.index }}. {{ p.rubrik }}"),
    ("Normal", "{{p p.text|markdown }}"), ("Normal", "{%p endfor %}"),
    ("Normal", "{%p if uppfoljning %}"), ("Heading 2", "{{ rubriker.uppfoljning }}"),
    ("Normal", "{%p for u in uppfoljning %}"),
    ("List Bullet", "{{ u.vad }} ({{ u.vem }}{% if u.senast %}, senast {{ u.senast|langt_datum }}{% endif %})"),
    ("Normal", "{%p endfor %}"), ("Normal", "{%p endif %}"),
    ("Normal", "{%p if nasta_mote %}"),
    ("Normal", "{{ rubriker.nasta_mote }} {{ nasta_mote|veckodag }} {{ nasta_mote|langt_datum }}"),
    ("Normal", "{%p endif %}"),
    ("Normal", "{{ rubriker.antecknare }} {{ antecknare.namn }}{% if antecknare.titel %}, {{ antecknare.titel }}{% endif %}"),
    ("Normal", "{%p if bilagor %}"), ("Heading 2", "{{ rubriker.bilagor }}"), ("Normal", "{%p for b in bilagor %}"),
    ("Normal", "Bilaga {{ b.nummer }}. {{ b.titel }}"), ("Normal", "{%p endfor %}"), ("Normal", "{%p endif %}"),
    ("Normal", "{%p if skickas_till %}"), ("Heading 2", "{{ skickas_till_rubrik }}"),
    ("Normal", "{%p for g in skickas_till %}"), ("Normal", "{{ g.rubrik }}"), ("Normal", "{%p for m in g.mottagare %}"),
    ("List Bullet", "{{ m.rad }}"), ("Normal", "{%p endfor %}"), ("Normal", "{%p endfor %}"), ("Normal", "{%p endif %}"),
]

if __name__ == "__main__":
    source = Plugins(entry_points=True).get("uppdragshandling")
    d = docx.Document(str(source.package_files() / "uppdragshandling.docx"))
    body = d.element.body
    for child in list(body):
        if not child.tag.endswith("}sectPr"):
            body.remove(child)
    for style, text in BODY:
        d.add_paragraph(text, style=style)
    d.save(Path(__file__).with_name("docgen_minnesanteckningar") / "minnesanteckningar.docx")

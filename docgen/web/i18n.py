"""English pages when the browser asks for them: the pages are Swedish, and a request whose ``Accept-Language``
prefers English over Swedish gets the desk's fixed texts (headings, buttons, the error summary, the form's own
words, its field errors) in English; ``<html lang>`` follows. What a document type says of itself (its title,
its fields' labels and help) stays as the type gives it.

The English texts are a gettext catalog, ``locale/en/LC_MESSAGES/messages.po``, read with Babel once, when the
first page is drawn: kept as .po (no compile step at build or install time, and nothing generated to keep in
step with the source). Templates say ``{{ _("…") }}`` (Jinja's i18n extension, the language taken from the
request the template is drawn for); Python code says ``gettext(lang, "…")``. A Swedish text with no English
entry is shown in Swedish. The form's field errors are made by ``forms`` in Swedish with the field's label in
them; ``field_error`` turns each known sentence into its English form, the label kept."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from jinja2 import pass_context

HERE = Path(__file__).parent
CATALOG = HERE / "locale" / "en" / "LC_MESSAGES" / "messages.po"
LANGUAGES = ("sv", "en")


def language(headers) -> str:
    """``en`` when ``Accept-Language`` prefers English (any ``en-*``) to Swedish, else ``sv``."""
    best = {"sv": (-1.0, 0), "en": (-1.0, 0)}
    for n, part in enumerate(str(headers.get("accept-language", "")).split(",")):
        tag, _, params = part.strip().partition(";")
        base = tag.strip().lower().split("-")[0]
        if base not in best:
            continue
        q = 1.0
        m = re.search(r"q\s*=\s*([0-9.]+)", params)
        if m:
            try:
                q = float(m.group(1))
            except ValueError:
                q = 0.0
        if q > 0 and (q, -n) > best[base]:
            best[base] = (q, -n)
    return "en" if best["en"] > best["sv"] else "sv"


@lru_cache(maxsize=1)
def catalog() -> dict[str, str]:
    """The English catalog: Swedish text -> English text (entries without a translation left out)."""
    from babel.messages.pofile import read_po

    with CATALOG.open("rb") as f:
        cat = read_po(f, locale="en")
    return {m.id: m.string for m in cat if m.id and isinstance(m.id, str) and m.string}


def gettext(lang: str, text: str, **values) -> str:
    out = catalog().get(text, text) if lang == "en" else text
    return out % values if values else out


@pass_context
def _template_gettext(context, text: str, **values) -> str:
    request = context.get("request")
    return gettext(language(request.headers) if request is not None else "sv", text, **values)


@pass_context
def _template_ngettext(context, singular: str, plural: str, n: int, **values) -> str:
    return _template_gettext(context, singular if n == 1 else plural, **({"num": n} | values))


def install(templates) -> None:
    """``_``/``gettext``/``ngettext``, ``sprak`` (the page's language) and the filter ``engelska`` (the engine's
    problems in that language) in the pages' templates."""
    env = templates.env
    env.add_extension("jinja2.ext.i18n")
    env.filters["engelska"] = lambda problems, lang: engine_problems(lang, problems or [])
    env.globals.update(_=_template_gettext, gettext=_template_gettext, ngettext=_template_ngettext,
                       sprak=lambda request: language(request.headers) if request is not None else "sv")


#: The form's own sentences (``forms``) and their English forms; ``{x}`` is a label or a number, kept as it is.
SENTENCES = [
    (r"Fyll i (?P<x>.+) för (?P<y>.+)\.", "Fill in {x} for {y}."),
    (r"Fyll i (?P<x>.+)\.", "Fill in {x}."),
    (r"Välj ett av alternativen för (?P<x>.+)\.", "Choose one of the options for {x}."),
    (r"Välj (?P<x>.+)\.", "Choose {x}."),
    (r"(?P<x>.+) ska vara ett datum, till exempel (?P<y>.+)\.", "{x} must be a date, for example {y}."),
    (r"(?P<x>.+) ska vara en månad, till exempel (?P<y>.+)\.", "{x} must be a month, for example {y}."),
    (r"(?P<x>.+) ska vara en dag och en tid, till exempel (?P<y>.+)\.", "{x} must be a day and a time, for example {y}."),
    (r"(?P<x>.+) ska vara en e-postadress, till exempel (?P<y>.+)\.", "{x} must be an e-mail address, for example {y}."),
    (r"(?P<x>.+) ska vara en webbadress som börjar med https://\.", "{x} must be a web address starting with https://."),
    (r"(?P<x>.+) ska vara ett tal\.", "{x} must be a number."),
    (r"(?P<x>.+) ska vara minst (?P<y>.+)\.", "{x} must be at least {y}."),
    (r"(?P<x>.+) ska vara mer än (?P<y>.+)\.", "{x} must be more than {y}."),
    (r"(?P<x>.+) ska vara högst (?P<y>.+)\.", "{x} must be at most {y}."),
    (r"(?P<x>.+) ska vara mindre än (?P<y>.+)\.", "{x} must be less than {y}."),
    (r"Kommentaren får ha högst (?P<x>\d+) tecken \(nu (?P<y>\d+)\)\.", "The comment may have at most {x} characters (now {y})."),
    (r"(?P<x>.+) får ha högst (?P<y>\d+) tecken \(nu (?P<z>\d+)\)\.", "{x} may have at most {y} characters (now {z})."),
    (r"(?P<x>.+) har fel form\.", "{x} has the wrong form."),
    (r"Fyll i mottagarens namn, eller välj en sändlista eller en part\.",
     "Fill in the recipient's name, or choose a distribution list or a party."),
    (r"Anledningen får ha högst (?P<x>\d+) tecken \(nu (?P<y>\d+)\)\.", "The reason may have at most {x} characters (now {y})."),
    # formfiles
    (r"Filen (?P<x>.+) är varken PDF eller Word \(DOCX\)\. Spara den som PDF eller DOCX\.",
     "The file {x} is neither PDF nor Word (DOCX). Save it as PDF or DOCX."),
    (r"Filen (?P<x>.+) är större än (?P<y>\d+) MB\. Dela upp den eller minska den\.",
     "The file {x} is larger than {y} MB. Split it or make it smaller."),
    (r"Filen (?P<x>.+) kom inte med: ett dokument får ha högst (?P<y>\d+) bilagor\.",
     "The file {x} was not added: a document may have at most {y} attachments."),
    (r"Filen (?P<x>.+) är en trasig (?P<y>PDF|DOCX)-fil\. Skapa (?P=y)-filen på nytt\.",
     "The file {x} is a broken {y} file. Make the {y} file again."),
    (r"Filen (?P<x>.+) är krypterad eller lösenordsskyddad\. Spara en kopia utan lösenord\.",
     "The file {x} is encrypted or password protected. Save a copy without a password."),
    (r"Filen (?P<x>.+) har inga sidor\. Skapa PDF-filen på nytt\.", "The file {x} has no pages. Make the PDF file again."),
]


def field_error(lang: str, text: str) -> str:
    """A field error of the form in the page's language (an English sentence where one is known)."""
    if lang != "en":
        return text
    if text in catalog():
        return catalog()[text]
    for pattern, english in SENTENCES:
        m = re.fullmatch(pattern, text)
        if m:
            return english.format(**m.groupdict())
    return text


def engine_problems(lang: str, problems: list[dict]) -> list[dict]:
    """The engine's problems with their English texts where the page is English (each problem has both)."""
    if lang != "en":
        return problems
    return [dict(p, sv=p.get("en") or p.get("sv", ""), fix_sv=p.get("fix_en") or p.get("fix_sv", "")) for p in problems]


#: The fixed words ``forms`` draws into the form, and their English forms.
FORM_WORDS = [
    ('<span class="valfritt">(valfritt)</span>', '<span class="valfritt">(optional)</span>'),
    ('<span class="dold">Fel: </span>', '<span class="dold">Error: </span>'),
    ('>Välj …</option>', '>Choose …</option>'),
    ('>Välj en lista …</option>', '>Choose a list …</option>'),
    ('>Välj en part …</option>', '>Choose a party …</option>'),
    ('>Inget val (standard)</option>', '>No choice (default)</option>'),
    ('<option value="ja">Ja</option>', '<option value="ja">Yes</option>'),
    ('<option value="ja" selected>Ja</option>', '<option value="ja" selected>Yes</option>'),
    ('<option value="nej">Nej</option>', '<option value="nej">No</option>'),
    ('<option value="nej" selected>Nej</option>', '<option value="nej" selected>No</option>'),
    ('<legend>Vem eller vilka?</legend>', '<legend>Who?</legend>'),
    ('>Sändlista</label>', '>Distribution list</label>'),
    ('>Part</label>', '>Party</label>'),
    ('>Part i dokumentet</label>', '>Party to the document</label>'),
    ('Vilka som är med på varje lista står under <a href="#sandlistor">Sändlistor</a>.',
     'Who is on each list is shown under <a href="#sandlistor">Distribution lists</a>.'),
    ('formnovalidate>Lägg till ', 'formnovalidate>Add '),
    ('formnovalidate>Ta bort ', 'formnovalidate>Remove '),
    ('<summary>Fler val</summary>', '<summary>More options</summary>'),
    ('<h2 id="avsnitt-1">Uppgifter i dokumentet</h2>', '<h2 id="avsnitt-1">Details of the document</h2>'),
    ('>Övriga uppgifter</h2>', '>Other details</h2>'),
]


def form_words(lang: str, html: str) -> str:
    """The form's HTML (``forms.form_html``) with its fixed words in the page's language."""
    if lang != "en":
        return html
    for sv, en in FORM_WORDS:
        html = html.replace(sv, en)
    return html

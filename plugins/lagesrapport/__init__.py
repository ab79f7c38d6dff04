"""Lägesrapport: a program's periodic status report, or a short regional briefing (lägesbild).

Two variants of one type, each with its own template:
- ``program``: organisation, program, version, reporting period in words, introduction, summary,
  and per work area a "Summering <period>" and "Planering <next period>".
- ``lagesbild``: "Sammanställd: <date> klockan <HH.MM>", titled sections, dated communication
  actions with links, collected links, a spokesperson and a closing paragraph in italics.
"""
from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date

from docgen import hookimpl
from docgen.datefmt import text_date
from docgen.doctype import DATE, PERSON, TEXT, DocumentType
from docgen.errors import problem

LOCALE = "sv_SE"
MONTH = {"type": "string", "pattern": r"^(19[0-9][0-9]|20[0-9][0-9]|2100)-(0[1-9]|1[0-2])$",
         "x-description-en": "A month, YYYY-MM (e.g. 2023-01), years 1900-2100."}
URL = {"type": "string", "pattern": r"^https?://\S+$", "title": "Länk", "x-title-en": "Link",
       "description": "En webbadress som börjar med https://", "x-description-en": "A web address starting with https://"}
_YEAR = r"(?:19[0-9]{2}|20[0-9]{2}|2100)"
_LEAP_YEAR = r"(?:19(?:0[48]|[2468][048]|[13579][26])|20(?:[02468][048]|[13579][26]))"
#: Every real day of the years 1900-2100 as YYYY-MM-DD (months of 30 and 31 days, 29 February in leap years),
#: so that the schema says exactly what the engine accepts.
_DAY = (rf"(?:{_YEAR}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
        rf"|02-(?:0[1-9]|1[0-9]|2[0-8]))|{_LEAP_YEAR}-02-29)")
DATETIME = {"type": "string", "pattern": rf"^{_DAY}[ T](?:[01][0-9]|2[0-3]):[0-5][0-9]$",
            "title": "Tidpunkt för sammanställningen", "x-title-en": "Compiled", "description": "Dag och klockslag då lägesbilden sammanställdes.",
            "x-description-en": "When the briefing was compiled: YYYY-MM-DD HH:MM (a real day, years 1900-2100, 00:00-23:59)."}
SECTION = {"type": "object", "additionalProperties": False, "required": ["rubrik", "text"], "title": "Avsnitt",
           "x-title-en": "Section",
           "properties": {"rubrik": {"type": "string", "minLength": 1, "title": "Avsnittets rubrik", "x-title-en": "Heading"},
                          "text": TEXT}}


def months(first: str, last: str) -> list[date]:
    y, m = map(int, first.split("-"))
    ly, lm = map(int, last.split("-"))
    out = []
    while (y, m) <= (ly, lm):
        out.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def month_name(d: date, with_year: bool) -> str:
    return format_date(d, "LLLL y" if with_year else "LLLL", locale=LOCALE)


def join_sv(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " och " + items[-1]


def md_text(text: str) -> str:
    """Text as it is written, inside generated Markdown (its own markup characters escaped)."""
    return "".join("\\" + c if c in "\\`*_[]()<>#+-.!|{}" else c for c in text)


def md_link(text: str, url: str) -> str:
    safe_text = md_text(text)
    safe_url = url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
    return f"[{safe_text}]({safe_url})"


class Lagesrapport(DocumentType):
    name = "lagesrapport"
    title = "Lägesrapport"
    description = "Lägesrapport: program (period, arbetsområden) or lägesbild (kort regional sammanställning)."
    variants = {"program": "lagesrapport-program.docx", "lagesbild": "lagesrapport-lagesbild.docx"}
    #: What each variant calls itself in its letterhead; a workspace may say e.g. "Regional rapport"
    #: (``[lagesrapport] dokumentnamn_lagesbild``).
    document_names = {"program": "Lägesrapport", "lagesbild": "Lägesbild"}
    variant_titles = {"program": "programrapport", "lagesbild": "lägesbild"}  # what the web pages call the variants
    parties = {"talesperson": "Talesperson"}
    date_form = "lang"  # dates in running text; [lagesrapport] datumform = "kort" writes 26/2
    labels = {"rapport": "Lägesrapport", "version": "Version", "inledning": "Inledning", "sammanfattning": "Sammanfattning",
              "lagessummering": "Lägessummering", "summering": "Summering", "planering": "Planering",
              "sammanstalld": "Sammanställd:", "kommunikation": "Kommunikationsinsatser", "lankar": "Samlad information",
              "talesperson": "Talesperson", "bilagor": "Bilagor", "skickas_till": "Rapporten skickas till"}
    form_layout = {
        "avsnitt": [("Rapporten", ["rubrik", "datum", "program", "version", "period", "sammanstalld"]),
                    ("Innehåll", ["inledning", "sammanfattning", "arbetsomraden", "avsnitt", "kommunikationsinsatser",
                                  "lankar", "talesperson", "avsnitt_efter", "avslutning"]),
                    ("Sekretess och utskick", ["sekretess", "skickas_till"])],
        "fler": ["enhet", "diarienummer", "serie"],
        "utan": {"program": ["sammanstalld", "avsnitt", "kommunikationsinsatser", "lankar", "talesperson", "avsnitt_efter",
                             "avslutning"],
                 "lagesbild": ["program", "version", "period", "inledning", "sammanfattning", "arbetsomraden"]},
    }
    schema = {
        "properties": {
            # variant program
            "program": {"type": "string", "minLength": 1, "title": "Program eller projekt", "x-title-en": "Programme",
                        "x-description-en": "The program or project reported on."},
            "version": {"type": "string", "minLength": 1, "title": "Version", "x-title-en": "Version",
                        "description": "Rapportens version, t.ex. 1.0.", "x-description-en": "The report's version, e.g. 1.0."},
            "period": {"type": "object", "additionalProperties": False, "required": ["från", "till"],
                       "title": "Period", "x-title-en": "Period", "description": "Månaderna rapporten gäller.",
                       "x-description-en": "The reporting period in months.",
                       "properties": {"från": {**MONTH, "title": "Från och med månad", "x-title-en": "From month"},
                                      "till": {**MONTH, "title": "Till och med månad", "x-title-en": "To month"}}},
            "inledning": {**TEXT, "title": "Inledning", "x-title-en": "Introduction"},
            "sammanfattning": {**TEXT, "title": "Sammanfattning", "x-title-en": "Summary"},
            "arbetsomraden": {"type": "array", "minItems": 1, "title": "Arbetsområden", "x-title-en": "Work areas",
                              "description": "För varje arbetsområde: vad som gjorts under perioden och vad som planeras.",
                              "x-description-en": "Per work area: summering and planering.",
                              "items": {"type": "object", "additionalProperties": False, "required": ["namn", "summering"],
                                        "title": "Arbetsområde", "x-title-en": "Work area",
                                        "properties": {"namn": {"type": "string", "minLength": 1, "title": "Arbetsområdets namn",
                                                                "x-title-en": "Name"},
                                                       "summering": {**TEXT, "title": "Summering av perioden", "x-title-en": "Summary"},
                                                       "planering": {**TEXT, "title": "Planering för nästa period",
                                                                     "x-title-en": "Plans"}}}},
            # variant lagesbild
            "sammanstalld": DATETIME,
            "avsnitt": {"type": "array", "minItems": 1, "title": "Avsnitt", "x-title-en": "Sections", "items": SECTION},
            "kommunikationsinsatser": {"type": "array", "title": "Kommunikationsinsatser", "x-title-en": "Communication",
                                       "items": {
                "type": "object", "additionalProperties": False, "required": ["datum", "text"],
                "title": "Insats", "x-title-en": "Action",
                "properties": {"datum": {**DATE, "title": "Datum", "x-title-en": "Date"}, "text": {"type": "string", "minLength": 1, "title": "Vad som gjordes",
                                                       "x-title-en": "What was done"},
                               "lank": URL}}},
            "lankar": {"type": "array", "title": "Samlad information (länkar)", "x-title-en": "Links", "items": {
                "type": "object", "additionalProperties": False, "required": ["text", "url"], "title": "Länk",
                "x-title-en": "Link",
                "properties": {"text": {"type": "string", "minLength": 1, "title": "Länktext", "x-title-en": "Link text"},
                               "url": {**URL, "title": "Webbadress", "x-title-en": "Address"}}}},
            "talesperson": {**PERSON, "title": "Talesperson", "x-title-en": "Spokesperson"},
            "avsnitt_efter": {"type": "array", "title": "Avsnitt efter talespersonen", "x-title-en": "Closing sections",
                              "description": "Avsnitt som står efter talespersonen.",
                              "x-description-en": "Sections after the fixed blocks (after the spokesperson).",
                              "items": SECTION},
            "avslutning": {**TEXT, "title": "Avslutning", "x-title-en": "Closing",
                           "description": "Ett avslutande stycke, skrivs i kursiv."},
        },
        "allOf": [{
            "if": {"properties": {"variant": {"const": "lagesbild"}}, "required": ["variant"]},
            "then": {"required": ["sammanstalld", "avsnitt"]},
            "else": {"required": ["program", "version", "period", "inledning", "arbetsomraden"]},
        }],
    }

    def check(self, data: dict) -> list:
        out = []
        period = data.get("period")
        if period and period["från"] > period["till"]:
            out.append(problem("period.till", "perioden slutar före den börjar.", "the period ends before it begins.",
                               "byt plats på från och till.", "swap från and till."))
        if data.get("sammanstalld"):
            try:
                when = datetime.fromisoformat(data["sammanstalld"].strip().replace(" ", "T"))
                if not 1900 <= when.year <= 2100:
                    raise ValueError
            except ValueError:
                out.append(problem("sammanstalld", "ogiltig tidpunkt.", "not a valid point in time.",
                                   "skriv t.ex. 2026-03-02 14:30.", "write e.g. 2026-03-02 14:30."))
        return out

    def context(self, data: dict) -> dict:
        ctx = dict(data)
        if data.get("variant") == "lagesbild":
            form = self.setting(self.name, "datumform", self.date_form)
            when = datetime.fromisoformat(data["sammanstalld"].strip().replace(" ", "T"))
            ctx["sammanstalld_text"] = f"{text_date(when.date(), form)} klockan {when:%H.%M}"
            # the action itself is the link (its text is what a screen reader and a reader of the list see)
            ctx["kommunikation_md"] = "\n".join(
                f"- **{text_date(date.fromisoformat(k['datum']), form)}:** "
                + (md_link(k["text"], k["lank"]) if k.get("lank") else md_text(k["text"]))
                for k in data.get("kommunikationsinsatser") or [])
            ctx["lankar_md"] = "\n".join(f"- {md_link(x['text'], x['url'])}" for x in data.get("lankar") or [])
            ctx.setdefault("talesperson", None)
            ctx.setdefault("avsnitt_efter", [])
            ctx.setdefault("avslutning", None)
            return ctx
        ms = months(data["period"]["från"], data["period"]["till"])
        several_years = len({m.year for m in ms}) > 1
        ctx["period_text"] = ", ".join(month_name(m, True) for m in ms) if several_years else (
            join_sv([month_name(m, False) for m in ms]) + f" {ms[-1].year}")
        ctx["period_kort"] = join_sv([month_name(m, False) for m in ms])
        last = ms[-1]
        nxt = date(last.year + 1, 1, 1) if last.month == 12 else date(last.year, last.month + 1, 1)
        ctx["nasta_period"] = month_name(nxt, nxt.year != last.year)
        ctx.setdefault("sammanfattning", None)
        ctx["arbetsomraden"] = [dict(a, planering=a.get("planering")) for a in data["arbetsomraden"]]
        return ctx



@hookimpl
def docgen_document_types():
    return [Lagesrapport]

"""How docgen writes dates: the short ISO form of the letterhead (2024-03-05), the long form of running
text (5 mars 2024), and the office's short form of running text (5/3)."""
from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date

LOCALE = "sv_SE"
#: The forms a type (or a workspace, ``[<type>] datumform``) may choose for the dates it writes in running text.
FORMS = ("lang", "kort")


def as_date(value) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def datum(value) -> str:
    """Swedish short date: 2024-03-05."""
    d = as_date(value)
    return format_date(d, "short", locale=LOCALE) if d else ""


def langt_datum(value) -> str:
    """Swedish long date: 5 mars 2024."""
    d = as_date(value)
    return format_date(d, "d MMMM y", locale=LOCALE) if d else ""


def kort_datum(value) -> str:
    """The office's short date of running text: 5/3 (day/month, no year)."""
    d = as_date(value)
    return f"{d.day}/{d.month}" if d else ""


def text_date(value, form: str = "lang") -> str:
    """A date of running text in the given form (``lang`` or ``kort``)."""
    return kort_datum(value) if form == "kort" else langt_datum(value)

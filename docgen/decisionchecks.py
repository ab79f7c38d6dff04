"""The checks of ``beslutsfattare``, the decision makers a decided document names (``DocumentType.decided``):
a decided type without them is refused when ``[beslutsfattande] krav_godkannande`` is on; each name must be an
active user with the role beslutsfattare. (A type that is not decided refuses the field by its schema.)"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import Problem, problem, shorten
from .store import users

if TYPE_CHECKING:
    from .checks import Checking

FIELD = "beslutsfattare"


def required(c: Checking) -> list[Problem]:
    """A decided type names who decides it, when the workspace requires approval (drafts are never decided)."""
    if not c.type.cls.decided or FIELD in c.data or c.doc.is_draft:
        return []
    if not c.config.settings.beslutsfattande.krav_godkannande:
        return []
    return [problem(FIELD, f"ange vem som fattar beslutet: dokumenttypen {c.type.name} beslutas i docgen av en "
                           "beslutsfattare innan dokumentet får diarienummer.",
                    f"name who decides it: the document type {c.type.name} is decided in docgen by a decision maker "
                    "before the document is given a diarienummer.",
                    "lägg till `beslutsfattare:` med användarnamnen på dem som får besluta (`docgen user list`).",
                    "add `beslutsfattare:` with the user names of those who may decide (`docgen user list`).")]


def known(c: Checking) -> list[Problem]:
    """Every name in ``beslutsfattare`` is an active user with the role beslutsfattare (asks the diarium)."""
    names = c.data.get(FIELD)
    if not names or not c.well_formed(FIELD) or not c.type.cls.decided:
        return []
    with c.engine.store.read() as conn:
        rows = {n: users.by_name(conn, n) for n in names}
    out = []
    for i, name in enumerate(names):
        row = rows[name]
        where = f"{FIELD}[{i}]"
        if row is None:
            out.append(problem(where, f"det finns ingen aktiv användare {shorten(name)}.",
                               f"there is no active user {shorten(name)}.",
                               "skriv användarnamnet som `docgen user list` visar det, eller be administratören lägga "
                               "till personen (`docgen user add NAMN --role beslutsfattare --titel TITEL`).",
                               "write the user name as `docgen user list` shows it, or ask the administrator to add "
                               "the person (`docgen user add NAME --role beslutsfattare --titel TITLE`)."))
        elif row["roll"] != users.DECISION_MAKER:
            out.append(problem(where, f"{shorten(name)} har rollen {row['roll']}, inte beslutsfattare, och kan inte "
                                      "fatta beslut i docgen.",
                               f"{shorten(name)} has the role {row['roll']}, not beslutsfattare, and cannot decide in "
                               "docgen.",
                               "ange en beslutsfattare, eller be administratören ge personen rollen beslutsfattare.",
                               "name a decision maker, or ask the administrator to give the person the role "
                               "beslutsfattare."))
    return out

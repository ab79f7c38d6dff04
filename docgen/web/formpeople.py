"""The decision makers a form offers in a decided type's ``beslutsfattare`` field: the workspace's active
beslutsfattare, chosen from a list ("Maja Beslutsam, Regiondirektör") instead of typing a user name."""
from __future__ import annotations

from ..store import users
from .formfields import kind

FIELD = "beslutsfattare"
HINT = "Den eller de som får fatta beslutet i docgen. Dokumentet väntar utan diarienummer tills en av dem har beslutat."
HINT_EN = "Who may decide it in docgen. The document waits without a diarienummer until one of them has decided."


def decision_makers(store) -> list[tuple[str, str | None]]:
    """(name, title) of every active beslutsfattare, by name."""
    with store.read() as conn:
        return [(r["namn"], r["titel"]) for r in users.listing(conn) if r["roll"] == users.DECISION_MAKER and r["aktiv"]]


def offer(schema: dict, people: list[tuple[str, str | None]], required: bool = False) -> dict:
    """The form schema with ``people`` as the choices of each ``beslutsfattare`` row, when the type has the field;
    ``required`` (``[beslutsfattande] krav_godkannande``): the form asks for one like any required field."""
    field = schema.get("properties", {}).get(FIELD)
    if not field or kind(field) != "array":
        return schema
    if people:
        items = dict(field.get("items") or {}, enum=[n for n, _ in people])
        items["x-enum-titles"] = {n: f"{n}, {t}" if t else n for n, t in people}
        schema["properties"][FIELD] = dict(field, items=items, description=HINT, **{"x-description-en": HINT_EN})
    if required and FIELD not in schema.get("required", []):
        schema["required"] = [*schema.get("required", []), FIELD]
    return schema

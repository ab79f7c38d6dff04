"""One model of a document row, for every command and the HTTP API: the same keys, the same types.

``render --json``, ``validate --json`` and ``registry list --json`` print exactly ``KEYS``; the API's rows
carry the diarium's part of it (``from_registry``). A registered document's row is read back from the
diarium, so ``registrerad`` and ``motpart`` are what ``registry list`` says, never null.
"""
from __future__ import annotations

import json

#: The keys of every JSON line that describes a document: always all of them (None where nothing is known).
KEYS = ("kalla", "status", "diarienummer", "extern", "lopnummer", "version", "dokumenttyp", "rubrik", "datum", "enhet",
        "registrerad", "motpart", "beskrivning", "sekretess", "filer", "utskick", "varningar", "problem", "fel")

#: What the diarium knows of a document (a registry row), in the same types everywhere.
REGISTRY_KEYS = ("status", "diarienummer", "extern", "lopnummer", "version", "dokumenttyp", "rubrik", "datum", "enhet",
                 "registrerad", "motpart", "beskrivning", "sekretess")


def _secrecy(value):
    if value is None or isinstance(value, dict):
        return value
    return json.loads(value) if value else None


def row(**values) -> dict:
    """A document row with every key; ``extern`` is always true or false, ``sekretess`` an object or None."""
    unknown = set(values) - set(KEYS)
    if unknown:
        raise ValueError(f"not document keys: {unknown}")
    out = {k: values.get(k) for k in KEYS}
    out["extern"] = bool(out["extern"])
    out["sekretess"] = _secrecy(out["sekretess"])
    return out


def from_registry(r: dict, **more) -> dict:
    """The row of a document as the diarium holds it (a ``registry list`` row), with ``more`` besides."""
    return row(**{k: r.get(k) for k in REGISTRY_KEYS}, **more)


def registry_part(r: dict) -> dict:
    """Only the diarium's keys of a row, typed as in ``row`` (for the API's rows)."""
    full = from_registry(r)
    return {k: full[k] for k in REGISTRY_KEYS}


def to_json(r: dict) -> str:
    """One JSON line; where it holds a lone surrogate (a file name that is not UTF-8), \\u escapes, which print
    anywhere, so one such input never stops the lines of the others."""
    line = json.dumps(r, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = json.dumps(r)
    return line

"""`docgen config set SECTION.KEY VALUE`: change one setting in the workspace's docgen.toml, in its section.

The value is set where the key is set, or where `docgen init` left it commented out, or added to the
section (docgen/configtoml.py, with tomlkit); the rest of the file (comments included) stays as it was. The
file is checked as docgen reads it before it replaces the old one, so a wrong value leaves docgen.toml unchanged.
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

from .config import load_config
from .configtoml import edited
from .errors import ConfigError, DocgenError
from .files import atomic_write
from .workspace import CONFIG_NAME, find_workspace


def parse_value(text: str):
    """A TOML value (`true`, `3`, `"text"`, `["A", "B"]`, `{ a = 1 }`); anything else is taken as text."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def set_setting(workspace: str | None, name: str, value_text: str) -> tuple[Path, str, str]:
    """Set SECTION.KEY in the workspace's docgen.toml; returns (file, section, key). Raises ConfigError."""
    section, dot, key = name.partition(".")
    if not dot or not section or not re.fullmatch(r"[A-Za-z0-9_åäöÅÄÖ-]+", key):
        raise ConfigError(f"{name!r}: skriv SEKTION.NYCKEL, t.ex. organisation.telefon.\n"
                          f"{name!r}: write SECTION.KEY, e.g. organisation.telefon.")
    ws = find_workspace(workspace)
    path = ws / CONFIG_NAME
    old = path.read_text(encoding="utf-8")
    new = edited(old, section, key, parse_value(value_text))
    try:
        tomllib.loads(new)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: ändringen ger ogiltig TOML: {exc}\n{path}: the change makes invalid TOML: {exc}") from None
    atomic_write(path, new.encode("utf-8"))
    try:
        from .plugins import Plugins

        Plugins(load_config(ws))  # the type's own sections are checked by the types
    except DocgenError as exc:
        atomic_write(path, old.encode("utf-8"))
        raise ConfigError(f"{exc}\n{path}: inget ändrades.\n{path}: nothing was changed.") from None
    return path, section, key

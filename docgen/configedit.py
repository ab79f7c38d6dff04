"""`docgen config set SECTION.KEY VALUE`: change one setting in the workspace's docgen.toml, in its section.

The line is replaced where the key is set, or where `docgen init` left it commented out, or added under the
section's heading; the rest of the file (comments included) stays as it was. The file is checked as docgen
reads it before it replaces the old one, so a wrong value leaves docgen.toml unchanged.
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

from .config import CONFIG_NAME, _toml_value, find_workspace, load_config
from .errors import ConfigError, DocgenError
from .files import atomic_write


def parse_value(text: str):
    """A TOML value (`true`, `3`, `"text"`, `["A", "B"]`, `{ a = 1 }`); anything else is taken as text."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def edited(text: str, section: str, key: str, value) -> str:
    """The docgen.toml text with ``[section] key = value``."""
    line = f"{key} = {_toml_value(value)}\n"
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    sub = re.compile(rf"^\s*\[\s*{re.escape(section)}\s*\.\s*\"?{re.escape(key)}\b")
    if any(sub.match(ln) for ln in lines):
        raise ConfigError(f"[{section}] {key} står som egna tabeller längre ned i {CONFIG_NAME}; ändra dem där.\n"
                          f"[{section}] {key} is written as tables of their own further down in {CONFIG_NAME}; edit them there.")
    head = re.compile(rf"^\s*\[\s*{re.escape(section)}\s*\]\s*(#.*)?$")
    start = next((i for i, ln in enumerate(lines) if head.match(ln)), None)
    if start is None:
        return "".join(lines) + f"\n[{section}]\n{line}"
    end = next((i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("[")), len(lines))
    active = re.compile(rf"^\s*{re.escape(key)}\s*=")
    commented = re.compile(rf"^\s*#\s*{re.escape(key)}\s*=")
    for pattern in (active, commented):
        for i in range(start + 1, end):
            if pattern.match(lines[i]):
                if pattern is active and lines[i].rstrip().endswith(('"""', "'''")) and lines[i].count('"""') == 1:
                    raise ConfigError(f"[{section}] {key} är en text på flera rader; ändra den i {CONFIG_NAME}.\n"
                                      f"[{section}] {key} is a text of several lines; edit it in {CONFIG_NAME}.")
                lines[i] = line
                return "".join(lines)
    lines.insert(start + 1, line)
    return "".join(lines)


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

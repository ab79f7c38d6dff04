"""Writing docgen.toml with tomlkit: a new workspace's commented file, and one setting changed in place.

tomlkit keeps what an administrator wrote (comments, order, blank lines) and writes values as TOML does.
"""
from __future__ import annotations

import re
from itertools import groupby
from typing import Any

import tomlkit
import tomlkit.exceptions
from tomlkit.items import Comment, Table

from .errors import ConfigError
from .settings import NEW_WORKSPACE, SETTINGS
from .settingtypes import Setting
from .workspace import CONFIG_NAME

HEADER = ("docgen configuration (`docgen config` shows the effective values and where each came from).",
          "Paths are relative to this folder, the workspace. Uncomment a key to change it.")


def _item(value: Any):
    """A TOML item on one line where it can be: a table inline, a text of several lines as a multi-line string."""
    if isinstance(value, str) and "\n" in value:
        return tomlkit.string(value, multiline=True)
    if isinstance(value, dict):
        table = tomlkit.inline_table()
        table.update(value)
        return table
    return tomlkit.item(value)


def toml_value(value: Any) -> str:
    """The value as docgen.toml writes it."""
    return _item(value).as_string()


def config_text(organisation: str, extra: list[Setting] = ()) -> str:
    """A new workspace's docgen.toml: the organisation set, every other key shown commented with its default."""
    doc = tomlkit.document()
    for line in HEADER:
        doc.add(tomlkit.comment(line))
    for section, settings in groupby(list(SETTINGS) + list(extra), key=lambda s: s.section):
        table = tomlkit.table()
        for s in settings:
            rng = [f"{word} {bound:g}" for word, bound in (("min", s.min), ("max", s.max)) if bound is not None]
            table.add(tomlkit.comment(s.help + (f" ({', '.join(rng)})" if rng else "")))
            if section == "organisation" and s.key == "namn":
                table.add("namn", organisation)
            elif (section, s.key) in NEW_WORKSPACE:
                table.add(s.key, _item(NEW_WORKSPACE[section, s.key]))
            else:
                long = isinstance(s.default, str) and len(s.default) > 100
                shown = tomlkit.string(s.default, multiline=True).as_string() if long else toml_value(s.default)
                for line in f"{s.key} = {shown}".split("\n"):
                    table.add(tomlkit.comment(line))
        doc.add(tomlkit.nl())
        doc.add(section, table)
    return tomlkit.dumps(doc)


def edited(text: str, section: str, key: str, value) -> str:
    """The docgen.toml text with ``[section] key = value``: where the key is set, else where `docgen init` left
    it commented out, else at the end of the section (a new section at the end of the file)."""
    try:
        doc = tomlkit.parse(text)
    except tomlkit.exceptions.TOMLKitError as exc:
        raise ConfigError(f"{CONFIG_NAME} är inte giltig TOML: {exc}\n{CONFIG_NAME} is not valid TOML: {exc}") from None
    table = doc.get(section)
    if table is None:
        doc.add(tomlkit.nl())
        doc.add(section, tomlkit.table())
        table = doc[section]
    if not isinstance(table, Table) or table.is_super_table():
        raise ConfigError(f"[{section}] står inte som en egen tabell i {CONFIG_NAME}; ändra den där.\n"
                          f"[{section}] is not written as a table of its own in {CONFIG_NAME}; edit it there.")
    current = table.get(key)
    if isinstance(current, Table):
        raise ConfigError(f"[{section}] {key} står som egna tabeller längre ned i {CONFIG_NAME}; ändra dem där.\n"
                          f"[{section}] {key} is written as tables of their own further down in {CONFIG_NAME}; edit them there.")
    if current is not None:
        table[key] = _item(value)
        return tomlkit.dumps(doc)
    commented = re.compile(rf"#\s*{re.escape(key)}\s*=")
    body = table.value.body
    at = next((i for i, (k, item) in enumerate(body) if k is None and isinstance(item, Comment)
               and commented.match(item.as_string().strip())), None)
    if at is None:
        table.add(key, _item(value))
        return tomlkit.dumps(doc)
    new = tomlkit.table()
    new.trivia.indent, new.trivia.comment_ws, new.trivia.comment = (table.trivia.indent, table.trivia.comment_ws,
                                                                    table.trivia.comment)
    for i, (k, item) in enumerate(body):
        if i == at:
            new.add(key, _item(value))
        elif k is None:
            new.add(item)
        else:
            new.add(k, item)
    doc[section] = new
    return tomlkit.dumps(doc)

"""The workspace's configuration: ``docgen.toml`` read into typed sections and checked.

The engine's sections are declared in docgen/settings.py, a document type's own in its ``settings``; the
checks across keys are in docgen/configchecks.py, finding the workspace in docgen/workspace.py and writing
docgen.toml in docgen/configtoml.py. A workspace is explicit: a folder with docgen.toml; docgen never
invents one.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .configchecks import CHECKS
from .errors import ConfigError
from .settings import LETTERHEAD_KEYS, SECTIONS, SETTINGS, Settings
from .settingtypes import Section, Setting, check_section, did_you_mean, section_model
from .workspace import CONFIG_NAME, find_workspace

__all__ = ["CONFIG_NAME", "Config", "LETTERHEAD_KEYS", "SETTINGS", "Setting", "effective", "find_workspace",
           "load_config"]


@dataclass
class Config:
    """Settings of one workspace (the folder that holds docgen.toml, inbox/ and outbox/)."""

    workspace: Path
    #: The engine's sections, typed: ``config.settings.smtp.server``.
    settings: Settings
    file: Path | None = None
    #: (section, key) -> where the value came from: "docgen.toml" or "standard" (the default)
    sources: dict = field(default_factory=dict)
    #: The document types' own sections: raw tables until the types check them (``check_plugin_settings``).
    types: dict[str, Any] = field(default_factory=dict)

    def section(self, name: str) -> Section | dict:
        """A section by name (a document type's own, whose name is data); the engine's: ``settings.<name>``."""
        if name in SECTIONS:
            return getattr(self.settings, name)
        return self.types.get(name, {})

    def get(self, section: str, key: str) -> Any:
        """One value by names (compatibility; ``settings.<section>.<key>`` says the same with types)."""
        return self.section(section)[key]

    def path(self, key: str) -> Path | None:
        value = self.settings.sokvagar[key]
        if not value:
            return None
        p = Path(os.path.expanduser(value))
        return p if p.is_absolute() else self.workspace / p

    def check_plugin_settings(self, settings: list[Setting]) -> None:
        """Check the sections document types declare; an unknown section or key is an error."""
        declared: dict[str, list[Setting]] = {}
        for s in settings:
            declared.setdefault(s.section, []).append(s)
        where = str(self.file or self.workspace / CONFIG_NAME)
        for name, values in self.types.items():
            if name not in declared:
                known = list(SECTIONS) + list(declared)
                raise ConfigError(f"{where}: okänd sektion / unknown section [{name}].{did_you_mean(name, known)}")
        for name, keys in declared.items():
            values = self.types.get(name, {})
            if isinstance(values, Section):
                values = values.model_dump(exclude_unset=True)
            checked = check_section(section_model(name, keys), name, values, where)
            self.types[name] = checked
            self.sources.update(_sources(name, checked))

    @property
    def organisation(self) -> str:
        return self.settings.organisation.namn

    def letterhead(self, unit: str | None) -> dict:
        """Logo (a path or None) and footer details for a unit: the unit's own, else the organisation's."""
        org = self.settings.organisation
        own = org.enhetsuppgifter.get(unit or "", {})
        out = {k: own.get(k) or org[k] for k in LETTERHEAD_KEYS}
        out["organisationsnummer"] = org.organisationsnummer
        if out["logotyp"]:
            p = Path(os.path.expanduser(out["logotyp"]))
            out["logotyp"] = p if p.is_absolute() else self.workspace / p
        else:
            out["logotyp"] = None
        return out

    @property
    def units(self) -> list[str]:
        return list(self.settings.organisation.enheter)

    @property
    def inbox(self) -> Path:
        return self.path("inkorg")

    @property
    def outbox(self) -> Path:
        return self.path("utkorg")

    @property
    def registry_url(self) -> str:
        value = self.settings.sokvagar.register
        if "://" in value:
            return value
        return "sqlite:///" + str(self.path("register"))

    @property
    def limits(self) -> Section:
        """[granser], which the input readers take as a mapping (``limits["max_djup"]``)."""
        return self.settings.granser

    @property
    def libreoffice(self) -> Section:
        return self.settings.libreoffice

    @property
    def numbering(self) -> Section:
        return self.settings.numrering


def _sources(name: str, section: Section) -> dict:
    return {(name, key): CONFIG_NAME if key in section.model_fields_set else "standard"
            for key in type(section).model_fields}


def load_config(workspace: str | os.PathLike | None = None) -> Config:
    """Read and check the workspace's ``docgen.toml`` (workspace: given, $DOCGEN_WORKSPACE, or found upwards)."""
    ws = find_workspace(workspace)
    cfg_file = ws / CONFIG_NAME
    try:
        with open(cfg_file, "rb") as f:
            raw = tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{cfg_file}: inte giltig TOML / not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{cfg_file}: kan inte läsas / cannot be read: {exc}") from None
    sections: dict[str, Section] = {}
    types: dict[str, Any] = {}
    for name, values in raw.items():
        if name in SECTIONS:
            sections[name] = check_section(SECTIONS[name], name, values, str(cfg_file))
        elif not isinstance(values, dict):
            raise ConfigError(f"{cfg_file}: {name} = … står utanför en sektion / stands outside a section; "
                              f"skriv den under sin [sektion] / put it under its [section]."
                              + did_you_mean(name, [s.key for s in SETTINGS]))
        else:
            types[name] = dict(values)  # a document type's own section, checked once plugins are loaded
    for name, model in SECTIONS.items():
        if name not in sections:
            sections[name] = check_section(model, name, {}, str(cfg_file))
    sources = {k: v for name, section in sections.items() for k, v in _sources(name, section).items()}
    cfg = Config(workspace=ws, settings=Settings(**sections), file=cfg_file, sources=sources, types=types)
    for check in CHECKS:
        check(cfg)
    return cfg


def effective(config: Config, extra: list[Setting] = ()) -> list[dict]:
    """Every setting with its effective value, where it came from, and its help (for `docgen config`)."""
    out = []
    for s in list(SETTINGS) + list(extra):
        section = config.section(s.section)
        out.append({"sektion": s.section, "nyckel": s.key, "varde": section.get(s.key),
                    "kalla": config.sources.get((s.section, s.key), "standard"), "hjalp": s.help})
    return out

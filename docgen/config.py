"""The workspace configuration: ``docgen.toml`` merged over built-in defaults."""
from __future__ import annotations

import copy
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

CONFIG_NAME = "docgen.toml"

DEFAULTS: dict[str, Any] = {
    "organisation": {
        "namn": "Västra Götalandsregionen",
        "enheter": ["Koncernkontoret"],
    },
    "numrering": {
        "format": "{serie} {år}-{nummer:05d}",
        "serier": ["RS"],
        "standardserie": "RS",
    },
    "sokvagar": {
        "inkorg": "inbox",
        "utkorg": "outbox",
        "register": "docgen.sqlite",
        "mallar": "templates",
        "plugins": "",
        "sandlistor": "distribution.yaml",
    },
    "distribution": {
        "avsandare": "registrator@example.se",
        "interna_domaner": ["example.se"],
    },
    "smtp": {
        "server": "",
        "port": 587,
        "starttls": True,
        "anvandare_variabel": "DOCGEN_SMTP_ANVANDARE",
        "losenord_variabel": "DOCGEN_SMTP_LOSENORD",
        "timeout": 30.0,
        "forsok": 3,
        "ca_fil": "",
    },
    "granser": {
        "max_filstorlek": 1024 * 1024,
        "max_djup": 20,
        "max_noder": 20000,
    },
    "arkiv": {
        "docx": False,
    },
    "bevakning": {
        "polling": False,
        "stabil_tid": 1.0,
        "omsokning_minuter": 2.0,
        "arbetare": 0,
        "undermappar": False,
        "bilagor_vantetid": 30.0,
        "arbete": "arbete",
        "behandlade": "behandlade",
        "fel": "fel",
    },
    "libreoffice": {
        "soffice": "soffice",
        "timeout": 60,
        "omstart_efter": 200,
        "instanser": 0,
    },
}


def _merge(base: dict, over: dict, where: str) -> dict:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if key not in base:
            # Unknown sections are kept for plugins (e.g. [distribution]); unknown keys in a
            # known section are a typo and an error.
            if where:
                known = ", ".join(sorted(base))
                raise ConfigError(f"{CONFIG_NAME}: unknown key [{where}] {key} (known: {known})")
            out[key] = value
            continue
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{CONFIG_NAME}: [{key}] must be a table")
            out[key] = _merge(base[key], value, key)
        else:
            expected = type(base[key])
            if expected is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if expected is int and isinstance(value, bool) or not isinstance(value, expected):
                raise ConfigError(
                    f"{CONFIG_NAME}: [{where}] {key} must be {expected.__name__}, got {value!r}"
                )
            out[key] = value
    return out


@dataclass
class Config:
    """Settings of one workspace (the folder that holds docgen.toml, inbox/ and outbox/)."""

    workspace: Path
    data: dict = field(default_factory=lambda: copy.deepcopy(DEFAULTS))

    def section(self, name: str) -> dict:
        return self.data.get(name, {})

    def path(self, key: str) -> Path | None:
        value = self.data["sokvagar"][key]
        if not value:
            return None
        p = Path(os.path.expanduser(value))
        return p if p.is_absolute() else self.workspace / p

    @property
    def organisation(self) -> str:
        return self.data["organisation"]["namn"]

    @property
    def units(self) -> list[str]:
        return list(self.data["organisation"]["enheter"])

    @property
    def inbox(self) -> Path:
        return self.path("inkorg")

    @property
    def outbox(self) -> Path:
        return self.path("utkorg")

    @property
    def registry_url(self) -> str:
        value = self.data["sokvagar"]["register"]
        if "://" in value:
            return value
        return "sqlite:///" + str(self.path("register"))

    @property
    def limits(self) -> dict:
        return self.data["granser"]

    @property
    def libreoffice(self) -> dict:
        return self.data["libreoffice"]

    @property
    def numbering(self) -> dict:
        return self.data["numrering"]


def load_config(workspace: str | os.PathLike | None = None) -> Config:
    """Read ``docgen.toml`` from the workspace (default: $DOCGEN_WORKSPACE or the current folder)."""
    ws = Path(workspace or os.environ.get("DOCGEN_WORKSPACE") or os.getcwd()).resolve()
    cfg_file = ws / CONFIG_NAME
    data = copy.deepcopy(DEFAULTS)
    if cfg_file.exists():
        try:
            with open(cfg_file, "rb") as f:
                raw = tomllib.load(f)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{cfg_file}: not valid TOML: {exc}") from None
        data = _merge(DEFAULTS, raw, "")
    cfg = Config(workspace=ws, data=data)
    num = cfg.numbering
    if num["standardserie"] not in num["serier"]:
        raise ConfigError(f"{cfg_file}: [numrering] standardserie {num['standardserie']!r} is not in serier")
    try:
        num["format"].format(serie="RS", år=2024, nummer=1)
    except (KeyError, ValueError, IndexError) as exc:
        raise ConfigError(f"{cfg_file}: [numrering] format is not usable: {exc}") from None
    return cfg

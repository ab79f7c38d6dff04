"""The checks across settings that no single key's type can make: each a small function, run in order.

Each takes the loaded configuration and raises ConfigError naming the file, the table, the key and the fix.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ConfigError
from .settings import LETTERHEAD_KEYS
from .settingtypes import did_you_mean

if TYPE_CHECKING:
    from .config import Config


def organisation_named(cfg: Config) -> None:
    if not cfg.settings.organisation.namn.strip():
        raise ConfigError(f"{cfg.file}: [organisation] namn är tomt / is empty")


def unit_details(cfg: Config) -> None:
    org = cfg.settings.organisation
    for unit, info in org.enhetsuppgifter.items():
        if unit not in org.enheter:
            raise ConfigError(f"{cfg.file}: [organisation.enhetsuppgifter] {unit!r} är ingen av enheterna / is not one "
                              f"of the units in enheter.{did_you_mean(unit, org.enheter)}")
        if not isinstance(info, dict) or not all(k in LETTERHEAD_KEYS and isinstance(v, str) for k, v in info.items()):
            raise ConfigError(f"{cfg.file}: [organisation.enhetsuppgifter.\"{unit}\"] tar bara text för / takes only "
                              f"text for: {', '.join(LETTERHEAD_KEYS)}")


def logos_exist(cfg: Config) -> None:
    org = cfg.settings.organisation
    for unit, info in [(None, {"logotyp": org.logotyp})] + list(org.enhetsuppgifter.items()):
        logo = info.get("logotyp")
        if logo:
            path = Path(os.path.expanduser(logo))
            path = path if path.is_absolute() else cfg.workspace / path
            if not path.is_file() or path.suffix.lower() not in (".png", ".jpg", ".jpeg", ".svg"):
                raise ConfigError(f"{cfg.file}: logotyp {logo!r}" + (f" ({unit})" if unit else "")
                                  + " finns inte eller är inte PNG, JPEG eller SVG / does not exist or is not PNG, JPEG or SVG")


def some_unit(cfg: Config) -> None:
    if not cfg.settings.organisation.enheter:
        raise ConfigError(f"{cfg.file}: [organisation] enheter behöver minst en enhet / needs at least one unit")


def default_series_known(cfg: Config) -> None:
    num = cfg.settings.numrering
    if num.standardserie not in num.serier:
        raise ConfigError(f"{cfg.file}: [numrering] standardserie {num.standardserie!r} finns inte i serier / "
                          f"is not in serier {num.serier}")


def series_allocated_once(cfg: Config) -> None:
    num = cfg.settings.numrering
    both = sorted(set(num.serier) & set(num.externa_serier))
    if both:
        raise ConfigError(f"{cfg.file}: [numrering] {', '.join(both)} står i både serier och externa_serier / "
                          "is in both serier and externa_serier; a series is allocated by docgen or by another system")


def number_format_usable(cfg: Config) -> None:
    try:
        cfg.settings.numrering.format.format(serie="RS", år=2024, nummer=1)
    except (KeyError, ValueError, IndexError) as exc:
        raise ConfigError(f"{cfg.file}: [numrering] format går inte att använda / is not usable: {exc}") from None


def inbox_folders_plain(cfg: Config) -> None:
    for key in ("arbete", "behandlade", "fel"):
        name = cfg.settings.bevakning[key]
        if not name or "/" in name or name.startswith("."):
            raise ConfigError(f"{cfg.file}: [bevakning] {key} = {name!r}: ett mappnamn utan / och inte dolt / "
                              "a plain folder name (no /, not hidden)")


def allocator_usable(cfg: Config) -> None:
    from .officemalloc import problem

    setting = cfg.settings.libreoffice.allokerare
    wrong = problem(setting)
    if wrong:
        raise ConfigError(f"{cfg.file}: [libreoffice] allokerare = {setting!r}: {wrong}")


#: Run in this order by load_config once every section has its type.
CHECKS = [organisation_named, unit_details, logos_exist, some_unit, default_series_known, series_allocated_once,
          number_format_usable, inbox_folders_plain, allocator_usable]

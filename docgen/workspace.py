"""Finding the workspace: the folder with docgen.toml that was named, or the nearest one above this folder."""
from __future__ import annotations

import os
from pathlib import Path

from .errors import ConfigError

CONFIG_NAME = "docgen.toml"


def find_workspace(workspace: str | os.PathLike | None = None) -> Path:
    """The workspace folder: the one given (-w, DOCGEN_WORKSPACE), else the current folder or a parent with docgen.toml."""
    given = workspace or os.environ.get("DOCGEN_WORKSPACE")
    if given:
        ws = Path(given).expanduser().resolve()
        if not (ws / CONFIG_NAME).is_file():
            raise ConfigError(
                f"{ws} är inget arbetsområde: där finns ingen {CONFIG_NAME}. Skapa ett med `docgen init {ws}`. / "
                f"{ws} is not a workspace: it has no {CONFIG_NAME}. Create one with `docgen init {ws}`.")
        return ws
    here = Path.cwd().resolve()
    for folder in [here, *here.parents]:
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise ConfigError(
        f"inget arbetsområde: ingen {CONFIG_NAME} i {here} eller någon mapp ovanför. Skapa ett med `docgen init`, "
        f"eller ange ett med -w MAPP eller DOCGEN_WORKSPACE. / no workspace: no {CONFIG_NAME} in {here} or any folder "
        f"above it. Create one with `docgen init`, or name one with -w DIR or DOCGEN_WORKSPACE.")

"""A type's templates: where they are looked for, their bytes and checksum (read again when the file changes),
and the check made at startup that every template compiles and shows what the engine relies on."""
from __future__ import annotations

import hashlib
import io
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from jinja2 import Environment, TemplateError

from ..errors import ConfigError
from .environment import CachedDocxTemplate

if TYPE_CHECKING:
    from ..config import Config

#: Context names every template must use: the engine relies on them being shown.
REQUIRED_TAGS = {
    "diarienummer": "the diarienummer (in the header, so it repeats on every page)",
    "utkast": "the UTKAST watermark of drafts ({%p if utkast %} ... {%p endif %})",
    "sekretess": "the confidentiality marking ({%p if sekretess %}{{ sekretess.markering }}{%p endif %})",
    "skickas_till": "the distribution list (skickas_till)",
    "bilagor": "the list of attachments (bilagor)",
}


@lru_cache(maxsize=128)
def _read(path: Path, mtime_ns: int) -> tuple[bytes, str]:
    blob = path.read_bytes()
    return blob, hashlib.sha256(blob).hexdigest()


class Templates:
    """Finds and reads a type's templates."""

    def __init__(self, config: Config):
        self.config = config
        self._packaged: dict[str, tuple[bytes, str]] = {}  # templates inside a package that is not on disk

    def dirs(self, dtype) -> list:
        """Where a type's templates are looked for: the workspace's folder, the type's template_dirs, its package."""
        dirs = [d for d in [self.config.path("mallar")] if d] + [Path(d) for d in dtype.cls.template_dirs]
        return dirs + [dtype.package_files()]

    def find(self, dtype, name: str):
        dirs = self.dirs(dtype)
        for folder in dirs:
            candidate = folder / name
            if candidate.is_file():
                return candidate
        raise ConfigError(
            f"mallen {name!r} för dokumenttypen {dtype.name!r} finns inte / template of document type not found in: "
            + ", ".join(str(d) for d in dirs))

    def read(self, path) -> tuple[bytes, str]:
        """The template's bytes and SHA-256; a file on disk is read again when it changes."""
        if isinstance(path, Path):
            return _read(path, path.stat().st_mtime_ns)
        key = str(path)
        if key not in self._packaged:
            blob = path.read_bytes()
            self._packaged[key] = (blob, hashlib.sha256(blob).hexdigest())
        return self._packaged[key]

    def check(self, path, env: Environment, known: Callable[[], set] | None = None, type_name: str = "") -> None:
        """The template compiles, shows every required tag and (given the names the type has, ``known``) uses
        no other name; else a ConfigError naming the template and the problem."""
        blob, _ = self.read(path)
        try:
            tpl = CachedDocxTemplate(io.BytesIO(blob))
            used = tpl.get_undeclared_template_variables(env)
        except TemplateError as exc:
            raise ConfigError(f"mallen / template {path}: Jinja-fel / error on line {getattr(exc, 'lineno', '?')}: {exc}") from None
        except Exception as exc:
            raise ConfigError(f"mallen / template {path}: är ingen giltig DOCX-mall / is not a valid DOCX template: "
                              f"{type(exc).__name__}: {exc}") from None
        lacking = [f"{tag} ({what})" for tag, what in REQUIRED_TAGS.items() if tag not in used]
        if lacking:
            raise ConfigError(f"mallen / template {path} saknar / lacks: " + "; ".join(lacking))
        if known is not None:
            names = known()
            unknown = sorted(set(used) - names)
            if unknown:
                listed = ", ".join(sorted(n for n in names if not n.startswith("_")))
                raise ConfigError(
                    f"mallen {path} använder namn som dokumenttypen {type_name} inte har: {', '.join(unknown)}. "
                    f"Namnen den har: {listed}.\n"
                    f"the template {path} uses names the document type {type_name} does not have: "
                    f"{', '.join(unknown)}. The names it has: {listed}.")

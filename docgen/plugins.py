"""Loading plugins: the entry point group ``docgen``, a plugins folder, and plugins passed in code."""
from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path

import pluggy

from . import hookspecs
from .doctype import DocumentType
from .errors import PluginError

ENTRY_POINT_GROUP = "docgen"


@dataclass
class LoadedType:
    """A document type and where it came from."""

    name: str
    cls: type[DocumentType]
    source: str
    instance: DocumentType


def _load_folder(pm: pluggy.PluginManager, folder: Path) -> None:
    """Register every ``*.py`` module of a folder (files starting with ``_`` are skipped)."""
    if not folder.is_dir():
        raise PluginError(f"pluginmappen {folder} finns inte (docgen.toml [sokvagar] plugins)\n"
                          f"plugins folder {folder} does not exist (docgen.toml [sokvagar] plugins)")
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        modname = f"docgen_folder_plugins.{path.stem}"
        spec = importlib.util.spec_from_file_location(modname, path)
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as exc:  # a broken plugin must say which file broke
            raise PluginError(f"pluginen {path} kunde inte laddas: {type(exc).__name__}: {exc}\n"
                              f"plugin {path} failed to load: {type(exc).__name__}: {exc}") from exc
        sys.modules[modname] = module
        pm.register(module, name=f"folder:{path}")


def _source_of(pm: pluggy.PluginManager, plugin: object, name: str) -> str:
    for p, dist in pm.list_plugin_distinfo():
        if p is plugin:
            return f"entry point {name} ({dist.project_name} {dist.version})"
    if name.startswith("folder:"):
        return "plugins folder " + name[len("folder:"):]
    return f"registered in code ({name})"


class Plugins:
    """The plugin manager of one run and the document types its plugins provide."""

    def __init__(self, config=None, extra: tuple | list = (), entry_points: bool = True):
        self.pm = pluggy.PluginManager("docgen")
        self.pm.add_hookspecs(hookspecs)
        if entry_points:
            try:
                self.pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
            except Exception as exc:
                raise PluginError(f"en installerad docgen-plugin kunde inte laddas: {type(exc).__name__}: {exc}\n"
                                  f"an installed docgen plugin failed to load: {type(exc).__name__}: {exc}") from exc
        folder = config.path("plugins") if config is not None else None
        if folder:
            _load_folder(self.pm, folder)
        for plugin in extra:
            self.pm.register(plugin)
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"en plugin har en okänd hook: {exc}\nplugin implements an unknown hook: {exc}") from exc
        self.config = config
        self.types = self._collect()
        if config is not None:
            config.check_plugin_settings(self.settings())

    def settings(self) -> list:
        """The settings the document types declare for their own docgen.toml sections."""
        return [s for t in self.types.values() for s in t.cls.all_settings()]

    def _collect(self) -> dict[str, LoadedType]:
        types: dict[str, LoadedType] = {}
        for impl in self.pm.hook.docgen_document_types.get_hookimpls():
            source = _source_of(self.pm, impl.plugin, impl.plugin_name)
            for cls in impl.function() or []:
                if not (isinstance(cls, type) and issubclass(cls, DocumentType)) or not cls.name:
                    raise PluginError(f"{source}: docgen_document_types gav {cls!r}, ingen namngiven underklass till DocumentType\n"
                                      f"{source}: docgen_document_types returned {cls!r}, not a named DocumentType subclass")
                if cls.name in types:
                    raise PluginError(
                        f"dokumenttypen {cls.name!r} definieras två gånger: av {types[cls.name].source} "
                        f"och av {source}. Ta bort eller byt namn på en av dem.\n"
                        f"document type {cls.name!r} is defined twice: by {types[cls.name].source} "
                        f"and by {source}. Remove or rename one of them."
                    )
                types[cls.name] = LoadedType(cls.name, cls, source, cls(self.config))
        return dict(sorted(types.items()))

    def get(self, name: str) -> LoadedType | None:
        return self.types.get(name)

    @property
    def hook(self):
        return self.pm.hook


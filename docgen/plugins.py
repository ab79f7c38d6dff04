"""Loading plugins (the entry point group ``docgen``, a plugins folder, plugins passed in code) and
``LoadedType``, the engine's side of a document type."""
from __future__ import annotations

import copy
import importlib.resources
import sys
from dataclasses import dataclass
from pathlib import Path

import pluggy

from . import PLUGIN_API, hookspecs
from .config import Setting
from .doctype import DocumentType, common_schema
from .errors import PluginError

ENTRY_POINT_GROUP = "docgen"
#: The fields a type's ``message`` may use (see ``doctype.DEFAULT_MESSAGE``).
MESSAGE_FIELDS = ("namn", "dokument", "rubrik", "diarienummer", "instruktion", "avsandare")
#: The heading of the distribution for a type whose labels do not set ``skickas_till``.
DISTRIBUTION_HEADING = "Skickas till"


@dataclass(eq=False)
class LoadedType:
    """A document type as the engine uses it: the plugin's class and instance, where it came from, and the
    helpers that read them (the plugin sets the attributes, docgen decides what they mean)."""

    name: str
    cls: type[DocumentType]
    source: str
    instance: DocumentType

    def full_schema(self) -> dict:
        """The JSON Schema of a complete input: the common fields plus this type's own (a fresh copy)."""
        return full_schema(self.cls)

    def all_settings(self) -> list:
        """The type's own settings, its document names, its date form and one per label."""
        cls = self.cls
        names = [Setting(cls.name, "dokumentnamn", cls.title or cls.name,
                         "The document's own name (dokumentbenämning) in its letterhead, e.g. Regional rapport.")]
        names += [Setting(cls.name, f"dokumentnamn_{v}", cls.document_names.get(v, ""),
                          f"The document's own name for variant {v}; unset, a set dokumentnamn applies.") for v in cls.variants]
        if cls.date_form:
            names.append(Setting(cls.name, "datumform", cls.date_form,
                                 "How the type writes dates in running text: lang (26 februari 2025) or kort (26/2).",
                                 choices=("lang", "kort")))
        return list(cls.settings) + names + [Setting(cls.name, f"rubrik_{key}", text, f'The heading or label "{text}".')
                                             for key, text in cls.labels.items()]

    def label_texts(self) -> dict[str, str]:
        """Every label of the type as this workspace has set it, with the distribution heading's default."""
        texts = {key: self.instance.setting(self.name, f"rubrik_{key}", text) for key, text in self.cls.labels.items()}
        texts.setdefault("skickas_till", DISTRIBUTION_HEADING)
        return texts

    def signature_line(self, data: dict) -> str | None:
        """The line under the signatures of a document decided digitally: the type's ``digital_underskrift``
        label when the input (or else the type's ``digital_signature``) says so; None for a type without one."""
        if not data.get("digital_underskrift", self.cls.digital_signature):
            return None
        return self.label_texts().get("digital_underskrift") or None

    def message_text(self, **fields: str) -> str:
        """The e-mail text of one delivery: the type's ``message`` with the fields of ``DEFAULT_MESSAGE``."""
        return self.cls.message.format_map(fields)

    def package_files(self):
        """The folder of the type's package (a Traversable: templates and examples ship there)."""
        module = sys.modules[self.cls.__module__]
        if getattr(module, "__path__", None) is not None:  # a package: its own data files
            return importlib.resources.files(module)
        return Path(module.__file__).resolve().parent  # a single-module plugin: the folder it lies in

    def template_names(self) -> list[str]:
        """Every template file name the type uses (one per variant)."""
        return sorted(set(self.cls.variants.values())) if self.cls.variants else [self.cls.template]

    def variant_of(self, data: dict) -> str | None:
        """The input's variant (the first one if it names none), or None for a type without variants."""
        return (data.get("variant") or next(iter(self.cls.variants))) if self.cls.variants else None

    def template_for(self, data: dict) -> str:
        """The template file name for this input (its variant's, if the type has variants)."""
        variant = self.variant_of(data)
        return self.cls.variants[variant] if variant else self.cls.template

    def document_name(self, data: dict) -> str:
        """The document's own name as this workspace writes it: ``dokumentnamn_<variant>`` or ``dokumentnamn``
        if docgen.toml sets them, else the variant's own name or the type's title."""
        variant, config = self.variant_of(data), self.instance.config
        for key in ([f"dokumentnamn_{variant}"] if variant else []) + ["dokumentnamn"]:
            if config is not None and config.sources.get((self.name, key)) not in (None, "standard"):
                if self.instance.setting(self.name, key):
                    return self.instance.setting(self.name, key)
        return self.cls.document_names.get(variant) or self.cls.title or self.name

    def date_form_of(self) -> str:
        """``lang`` or ``kort``: how this type writes dates in running text in this workspace."""
        return self.instance.setting(self.name, "datumform", self.cls.date_form) if self.cls.date_form else "lang"

    def example_text(self, variant: str | None = None) -> str:
        """A commented example input (YAML): ``exempel[-<variant>].yaml`` from the type's package, else ``example``."""
        if self.cls.variants:
            variant = variant or next(iter(self.cls.variants))
        resource = self.package_files() / (f"exempel-{variant}.yaml" if variant else "exempel.yaml")
        if resource.is_file():
            return resource.read_text(encoding="utf-8")
        return self.cls.example


def full_schema(cls: type[DocumentType]) -> dict:
    """The JSON Schema of a complete input of the type ``cls``: the common fields plus its own."""
    base = common_schema()
    own = copy.deepcopy(cls.schema)
    base["title"] = f"docgen: {cls.name}"
    common = base["properties"]["dokumenttyp"]
    base["properties"]["dokumenttyp"] = {"const": cls.name, **{k: common[k] for k in ("description", "x-description-en") if k in common}}
    base["properties"].update(own.get("properties", {}))
    base["required"] = sorted(set(base.get("required", [])) | set(own.get("required", [])))
    base["$defs"].update(own.get("$defs", {}))
    if own.get("allOf"):
        base.setdefault("allOf", []).extend(own["allOf"])
    if cls.variants:
        base["properties"]["variant"] = {
            "enum": sorted(cls.variants),
            "description": "Layoutvariant: " + ", ".join(sorted(cls.variants)),
            "x-description-en": "Layout variant: " + ", ".join(sorted(cls.variants)),
        }
    return base


def _check_message(cls: type[DocumentType], source: str) -> None:
    """A type's e-mail text must name only the fields docgen fills in: found at start, not at the first delivery."""
    try:
        cls.message.format_map({k: "" for k in MESSAGE_FIELDS})
    except (KeyError, ValueError, IndexError, AttributeError) as exc:
        raise PluginError(f"{source}: dokumenttypen {cls.name}s message går inte att fylla i ({type(exc).__name__}: {exc}); "
                          f"fälten som finns: {', '.join(MESSAGE_FIELDS)}.\n"
                          f"{source}: the message of document type {cls.name} cannot be filled in ({type(exc).__name__}: "
                          f"{exc}); the fields there are: {', '.join(MESSAGE_FIELDS)}.") from None


def _version(value) -> tuple[int, int]:
    """A plugin API version written as (1, 0), "1.0" or "1"."""
    parts = tuple(int(p) for p in (value.split(".") if isinstance(value, str) else value))
    return (parts + (0,))[:2]


def check_api(plugin: object, source: str) -> None:
    """Refuse a plugin whose ``DOCGEN_PLUGIN_API`` this docgen does not provide (another major version, or a
    newer minor one)."""
    wanted = getattr(plugin, "DOCGEN_PLUGIN_API", None)
    if wanted is None:
        return
    have = ".".join(map(str, PLUGIN_API))
    try:
        major, minor = _version(wanted)
    except (TypeError, ValueError):
        raise PluginError(f"{source}: DOCGEN_PLUGIN_API = {wanted!r} är ingen version; skriv t.ex. (1, 0).\n"
                          f"{source}: DOCGEN_PLUGIN_API = {wanted!r} is not a version; write e.g. (1, 0).") from None
    if major != PLUGIN_API[0] or minor > PLUGIN_API[1]:
        raise PluginError(
            f"{source} kräver docgens plugin-API {major}.{minor}, men denna docgen har plugin-API {have}. "
            f"Uppdatera docgen eller använd en version av pluginen som är gjord för plugin-API {have}.\n"
            f"{source} requires docgen plugin API {major}.{minor}, but this docgen has plugin API {have}. "
            f"Upgrade docgen or use a version of the plugin made for plugin API {have}.")


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
        for name, plugin in self.pm.list_name_plugin():  # before check_pending: a newer API may have newer hooks
            check_api(plugin, _source_of(self.pm, plugin, name))
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
        return [s for t in self.types.values() for s in t.all_settings()]

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
                _check_message(cls, source)
                types[cls.name] = LoadedType(cls.name, cls, source, cls(self.config))
        return dict(sorted(types.items()))

    def get(self, name: str) -> LoadedType | None:
        return self.types.get(name)

    @property
    def hook(self):
        return self.pm.hook


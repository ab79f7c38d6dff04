"""docgen: structured input files become registered, diarienummer-stamped DOCX and PDF/A documents."""
from importlib.metadata import PackageNotFoundError, version

import pluggy

try:  # one source of truth: the installed distribution's metadata (pyproject.toml's version)
    __version__ = version("docgen-diarium")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"

#: Decorator for plugin hook implementations: ``from docgen import hookimpl``.
hookimpl = pluggy.HookimplMarker("docgen")

#: The version of the plugin API (docs/plugins.md): the major number changes when a plugin written for an
#: older one may break, the minor one when something is added. A plugin may require one with a module-level
#: ``DOCGEN_PLUGIN_API = (1, 1)  # 1.1: DocumentType.decided and the beslutsrad label``; docgen refuses to load a plugin that requires one it does not provide.
PLUGIN_API = (1, 1)  # 1.1: DocumentType.decided and the beslutsrad label

__all__ = ["PLUGIN_API", "hookimpl", "__version__"]

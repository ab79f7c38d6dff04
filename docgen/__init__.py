"""docgen: structured input files become registered, diarienummer-stamped DOCX and PDF/A documents."""
from importlib.metadata import PackageNotFoundError, version

import pluggy

try:  # one source of truth: the installed distribution's metadata (pyproject.toml's version)
    __version__ = version("docgen-diarium")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"

#: Decorator for plugin hook implementations: ``from docgen import hookimpl``.
hookimpl = pluggy.HookimplMarker("docgen")

__all__ = ["hookimpl", "__version__"]

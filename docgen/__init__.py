"""docgen: structured input files become registered, diarienummer-stamped DOCX and PDF/A documents."""
import pluggy

__version__ = "0.1.0"

#: Decorator for plugin hook implementations: ``from docgen import hookimpl``.
hookimpl = pluggy.HookimplMarker("docgen")

__all__ = ["hookimpl", "__version__"]

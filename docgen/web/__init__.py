"""`docgen serve`: the HTTP API (FastAPI, OpenAPI at /openapi.json) and the server-rendered web pages.

``app`` builds the application and turns every error into a clear answer, ``auth`` finds who is
asking, ``submit`` takes inputs the same way as the inbox (checks, then the inbox file the watcher
takes) and reads their status, ``api`` (documents, diarium, admin) and ``pages`` are the two faces and
share ``cases`` (what a user may see of a case) and ``problems`` (HTTP errors as problems), ``forms`` draws a
type's form from its JSON Schema and layout, and ``desk`` serves it (errors by field, preview, check, register).
"""
from .app import create_app

__all__ = ["create_app"]

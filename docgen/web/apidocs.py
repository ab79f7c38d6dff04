"""``/docs``: the API's description drawn by Swagger UI, for signed-in people only, from files on this server
(the ``swagger-ui-py`` package's copy of Swagger UI 5, under ``/docs/filer/``; nothing from another host)."""
from importlib.util import find_spec
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

router = APIRouter(include_in_schema=False)

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>docgen – API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/docs/filer/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/filer/swagger-ui-bundle.js"></script>
<script src="/static/apidocs.js"></script>
</body>
</html>
"""


def files() -> StaticFiles:
    """Swagger UI's own files (mounted at ``/docs/filer``), found without importing the package's framework glue."""
    return StaticFiles(directory=str(Path(find_spec("swagger_ui").submodule_search_locations[0]) / "static"))


@router.get("/docs")
def docs(request: Request):
    from .pages import signed_in

    user, refusal = signed_in(request)
    if refusal is not None:
        return refusal
    return HTMLResponse(PAGE)

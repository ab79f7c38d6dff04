"""``/docs``: the API's description drawn by Swagger UI, for signed-in people only, from files on this server
(the ``swagger-ui-bundle`` package's copy of Swagger UI, under ``/docs/filer/``; nothing from another host)."""
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

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
    """Swagger UI's own files (mounted at ``/docs/filer``)."""
    return StaticFiles(directory=str(swagger_ui_path))


@router.get("/docs")
def docs(request: Request):
    from .pages import signed_in

    user, refusal = signed_in(request)
    if refusal is not None:
        return refusal
    return HTMLResponse(PAGE)

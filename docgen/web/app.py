"""The application: shared state (engine, authenticator, templates), the watcher and webhook threads of `docgen serve`,
and error handling that answers every failure with ``{"problem": [...]}`` (API) or a Swedish page,
never a traceback.
"""
import logging
import threading
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException

from .. import __version__
from ..config import Config
from ..errors import problem
from ..pipeline import Engine
from . import fmt, i18n
from .auth import Authenticator, secret
from .problems import page_text, problems_for
from .security import SecurityHeaders
from .submit import Refused

log = logging.getLogger("docgen.web")
HERE = Path(__file__).parent

def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


def create_app(config: Config, engine: Engine | None = None, watch: bool = False, workers: int | None = None) -> FastAPI:
    """The web application of one workspace; with ``watch``, the inbox watcher runs in a thread beside it."""
    state: dict = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        own = engine is None
        app.state.engine = engine or Engine(config, workers=1, role="serve")
        fmt.install(app.state.templates, app.state.engine.plugins)
        app.state.auth = Authenticator(app.state.engine.store, secret(config.workspace),
                                       config.settings.webb.betrodd_anvandarrubrik,
                                       config.settings.webb.session_timmar)
        from .webhooks import Sender

        state["sender"] = Sender(app.state.engine)
        state["sender_thread"] = threading.Thread(target=state["sender"].run, name="docgen-webhooks", daemon=True)
        state["sender_thread"].start()
        if watch:
            from ..service import Watcher

            state["watcher"] = Watcher(config, workers=workers)
            state["thread"] = threading.Thread(target=state["watcher"].run, name="docgen-watcher", daemon=True)
            state["thread"].start()
        try:
            yield
        finally:
            state["sender"].stop()
            state["sender_thread"].join()
            if watch:
                state["watcher"].stop()
                state["thread"].join()
            if own:
                app.state.engine.close()

    app = FastAPI(title="docgen", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Dokument för diariet: skicka in indata (samma schema som filer i inkorgen), följ status, "
                              "sök i diariet och hämta filer. Documents for the diarium: submit inputs (the same schema "
                              "as inbox files), follow their status, search the diarium, download files.")
    app.state.config = config
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    i18n.install(app.state.templates)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    webb = config.settings.webb
    app.add_middleware(SecurityHeaders, hsts=webb.sakra_kakor)
    if webb.betrodda_proxyer:
        # the client's address (login limits, logs) from X-Forwarded-For only when a named proxy sent it (imported
        # here: uvicorn's package import fails in a process where LibreOffice's uno import hook came first)
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(webb.betrodda_proxyer))

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused):
        body = {"problem": exc.problems, **exc.extra}
        if exc.report:
            body["rapport"] = exc.report
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(body, status_code=exc.status, headers=headers)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail not in ("Not Found", "Method Not Allowed") else None
        if _wants_json(request):
            headers = dict(exc.headers or {})
            if exc.status_code == 401:
                headers["WWW-Authenticate"] = "Bearer"
            return JSONResponse({"problem": problems_for(exc.status_code, detail)}, status_code=exc.status_code,
                                headers=headers)
        return error_page(request, exc.status_code, detail)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body"))
            problems.append(problem(where, f"ogiltigt värde: {err.get('msg', '')}.", f"invalid value: {err.get('msg', '')}.").to_dict())
        return JSONResponse({"problem": problems or problems_for(422)}, status_code=422)

    from starlette.requests import ClientDisconnect

    @app.exception_handler(ClientDisconnect)
    async def went_away(request: Request, exc: ClientDisconnect):  # mid-body: nothing is wrong here
        log.info("the client disconnected before sending the whole request (%s %s)", request.method, request.url.path)
        return JSONResponse({"problem": problems_for(400)}, status_code=400)

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception):
        log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
        if _wants_json(request):
            return JSONResponse({"problem": problems_for(500)}, status_code=500)
        return error_page(request, 500)

    from . import api, apidocs, decide, desk, officer, pages, registry, versions

    app.include_router(api.router)
    app.include_router(api.legacy)  # after the versioned routes: only what they do not match is redirected
    app.include_router(pages.router)
    for pages_router in (desk.router, officer.router, registry.router, versions.router, decide.router):
        app.include_router(pages_router)
    app.include_router(apidocs.router)
    app.mount("/docs/filer", apidocs.files(), name="apidocs")
    return app


def error_page(request: Request, status: int, detail: str | None = None) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(
        request, "fel_sida.html", {"status": status, "text": page_text(status), "detalj": detail, "user": None},
        status_code=status)

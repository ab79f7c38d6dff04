"""The web pages (server-rendered, Swedish): log in, search the diarium, a case, a new document from its
type's form, the status of what was submitted, and the failed queue with corrected resubmission."""
import hmac
import re
import secrets
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..service import folders_of
from ..store import decisions, desk, users
from .cases import case_body, document_rows, visible_case
from .auth import COOKIE, PRE_COOKIE, User
from .submit import ID, Refused, failed_queue, status, submit

router = APIRouter(include_in_schema=False)
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def who(request: Request) -> User | None:
    return request.app.state.auth.identify(request.headers, request.cookies)


def csrf(request: Request, user: User) -> str:
    """The form token of this login (of the person, when signed in by token or proxy header)."""
    return request.app.state.auth.csrf(request.cookies.get(COOKIE) or user.namn)


def page(request: Request, name: str, user: User | None, status_code: int = 200, **ctx) -> HTMLResponse:
    ctx.update(user=user, csrf=csrf(request, user) if user else "", path=request.url.path)
    if user is not None and user.decides:  # the menu's "Att besluta (N)"
        with request.app.state.engine.store.read() as conn:
            ctx["att_besluta"] = sum(user.namn in r["beslutsfattare"] for r in decisions.waiting(conn))
    return request.app.state.templates.TemplateResponse(request, name, ctx, status_code=status_code)


def to_login(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/logga-in?nasta={quote(target, safe='')}", status_code=303)


def forbidden(request: Request, user: User) -> HTMLResponse:
    return page(request, "fel_sida.html", user, 403, status=403, text="Din roll får inte se den här sidan.", detalj=None)


def not_found(request: Request, user: User) -> HTMLResponse:
    return page(request, "fel_sida.html", user, 404, status=404, text="Sidan finns inte, eller så får du inte se den.",
                detalj=None)


def signed_in(request: Request, allowed=None) -> tuple[User | None, Response | None]:
    """(the signed-in user, None), or the answer to give instead: the login page, or 403 when
    ``allowed(user)`` is false."""
    user = who(request)
    if user is None:
        return None, to_login(request)
    if allowed is not None and not allowed(user):
        return user, forbidden(request, user)
    return user, None


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") and "\\" not in target else "/sok"


@router.get("/")
def home():
    return RedirectResponse("/sok", status_code=303)


def login_page(request: Request, status_code: int = 200, **ctx) -> HTMLResponse:
    """The login form, with its CSRF token bound to a pre-login cookie (set here when the browser has none)."""
    pre = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(24)
    resp = page(request, "logga_in.html", None, status_code, login_csrf=request.app.state.auth.login_csrf(pre), **ctx)
    if request.cookies.get(PRE_COOKIE) != pre:
        resp.set_cookie(PRE_COOKIE, pre, httponly=True, samesite="strict", path="/",
                        secure=request.app.state.config.settings.webb.sakra_kakor)
    return resp


def form_expired(request: Request, user: User | None) -> HTMLResponse:
    return page(request, "fel_sida.html", user, 400, status=400, detalj=None,
                text="Formuläret hade gått ut. Ladda om sidan och försök igen.")


@router.get("/logga-in")
def login_form(request: Request, nasta: str = "/sok"):
    return login_page(request, nasta=_safe_next(nasta), fel=None)


@router.post("/logga-in")
async def login(request: Request):
    form = await request.form()
    namn, password = str(form.get("namn", "")).strip(), str(form.get("losenord", ""))
    target = _safe_next(str(form.get("nasta", "")))
    auth = request.app.state.auth
    pre = request.cookies.get(PRE_COOKIE, "")
    if not pre or not hmac.compare_digest(str(form.get("csrf", "")), auth.login_csrf(pre)):
        return login_page(request, 400, nasta=target, fel="Formuläret hade gått ut. Försök igen.")
    address = request.client.host if request.client else ""
    keys = (f"namn:{namn.casefold()}|{address}", f"adress:{address}")
    if auth.locked_out(*keys):
        return login_page(request, 429, nasta=target,
                    fel="För många misslyckade inloggningar. Vänta en kvart och försök igen, eller be administratören "
                        "om ett nytt lösenord.")
    user = await run_in_threadpool(auth.login, namn, password) if namn and password else None
    if user is None:
        auth.failed(*keys)
        return login_page(request, 401, nasta=target,
                    fel="Fel namn eller lösenord, eller så har kontot inget lösenord för webben.")
    resp = RedirectResponse(target, status_code=303)
    webb = request.app.state.config.settings.webb
    resp.set_cookie(COOKIE, request.app.state.auth.cookie(user), max_age=int(webb.session_timmar * 3600),
                    httponly=True, samesite="strict", secure=webb.sakra_kakor, path="/")
    return resp


@router.post("/logga-ut")
async def logout(request: Request):
    """End the login on the server (the cookie is worthless afterwards, even if kept) and remove the cookie."""
    form = await request.form()
    cookie = request.cookies.get(COOKIE)
    if cookie:
        user = who(request)
        if user is not None and not hmac.compare_digest(str(form.get("csrf", "")), csrf(request, user)):
            return form_expired(request, user)
        await run_in_threadpool(request.app.state.auth.logout, cookie)
    resp = RedirectResponse("/logga-in", status_code=303)
    resp.delete_cookie(COOKIE, path="/")
    return resp


@router.get("/sok")
def search_page(request: Request):
    user, refusal = signed_in(request)
    if refusal is not None:
        return refusal
    q = {k: request.query_params.get(k, "").strip() for k in ("text", "typ", "serie", "ar", "fran", "till", "status")}
    problems = []
    if q["ar"] and not (q["ar"].isdigit() and 1900 <= int(q["ar"]) <= 2100):
        problems.append("År ska vara ett årtal mellan 1900 och 2100.")
    for key, label in (("fran", "Från"), ("till", "Till")):
        if q[key] and not DATE.fullmatch(q[key]):
            problems.append(f"{label} ska vara ett datum, ÅÅÅÅ-MM-DD.")
    if q["status"] not in ("", "registrerad", "makulerad", "arkiverad"):
        problems.append("Okänd status.")
    rows = [] if problems else document_rows(
        request, user, text=q["text"] or None, typ=q["typ"] or None, serie=q["serie"] or None,
        ar=int(q["ar"]) if q["ar"] else None, fran=q["fran"] or None, till=q["till"] or None, status=q["status"] or None,
        limit=200)
    return page(request, "sok.html", user, q=q, rader=rows, problem=problems, sokt=bool(request.query_params),
                typer=list(request.app.state.engine.plugins.types))


@router.get("/arende/{dnr}")
def case_page(request: Request, dnr: str):
    user, refusal = signed_in(request)
    if refusal is not None:
        return refusal
    try:
        case = case_body(visible_case(request, user, dnr, log_views=True))
    except Refused:
        return not_found(request, user)
    ids = [d["id"] for d in case["handlingar"]]
    with request.app.state.engine.store.read() as conn:  # who may make a new version, and why each was made
        own = set(ids) if user.registrator else desk.submitted(conn, user.namn, ids) if user.may_submit else set()
        reasons = desk.version_reasons(conn, ids)
        decided = decisions.for_versions(conn, [v["id"] for d in case["handlingar"] for v in d["versioner"]])
    return page(request, "arende.html", user, arende=case, egna=own, anledningar=reasons, beslut=decided)


@router.get("/ny")
def new_index(request: Request):
    user, refusal = signed_in(request, lambda u: u.may_submit)
    if refusal is not None:
        return refusal
    types = [(name, t.cls.title, [(v, (t.cls.variant_titles or {}).get(v, v)) for v in t.cls.variants or []],
              t.cls.description) for name, t in request.app.state.engine.plugins.types.items()]
    return page(request, "ny.html", user, typer=types)


@router.get("/inskickat/{sid}")
def submitted(request: Request, sid: str):
    user, refusal = signed_in(request)
    if refusal is not None:
        return refusal
    engine = request.app.state.engine
    owner = None
    if ID.fullmatch(sid):
        with engine.store.read() as conn:
            owner = users.submitter(conn, sid)
    if owner is None or (owner != user.namn and not user.registrator):
        return not_found(request, user)
    return page(request, "inskickat.html", user, sid=sid, st=status(engine, sid))


@router.get("/fel")
def failed_page(request: Request):
    user, refusal = signed_in(request, lambda u: u.registrator)
    if refusal is not None:
        return refusal
    return page(request, "felko.html", user, poster=failed_queue(request.app.state.engine))


def _failed_item(request: Request, folder: str) -> dict | None:
    return next((f for f in failed_queue(request.app.state.engine) if f["mapp"] == folder), None)


def _failed_post(request: Request, mapp: str):
    """(user, the failed-queue entry, None), or (user, None, the page to answer with instead)."""
    user, refusal = signed_in(request, lambda u: u.registrator)
    if refusal is not None:
        return user, None, refusal
    item = _failed_item(request, mapp)
    return user, item, (not_found(request, user) if item is None else None)


@router.get("/fel/{mapp}")
def failed_one(request: Request, mapp: str):
    user, item, refusal = _failed_post(request, mapp)
    if refusal is not None:
        return refusal
    return page(request, "fel_post.html", user, post=item, indata=item["indata"], problem=None)


@router.post("/fel/{mapp}")
async def failed_resubmit(request: Request, mapp: str) -> Response:
    user, item, refusal = _failed_post(request, mapp)
    if refusal is not None:
        return refusal
    form = await request.form()
    if not hmac.compare_digest(str(form.get("csrf", "")), csrf(request, user)):
        return form_expired(request, user)
    text = str(form.get("indata", ""))
    suffix = (folders_of(request.app.state.config).failed / mapp / item["fil"]).suffix.lower()
    try:
        sid = await run_in_threadpool(submit, request.app.state.engine, user, text.encode("utf-8"), suffix)
    except Refused as exc:
        return page(request, "fel_post.html", user, 422, post=item, indata=text, problem=exc.problems)
    return RedirectResponse(f"/inskickat/{sid}", status_code=303)


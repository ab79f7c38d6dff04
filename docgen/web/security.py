"""What every answer of `docgen serve` carries for the browser's protection, and the checks that keep other
sites from acting in a signed-in person's name.

Every response gets a Content-Security-Policy without inline script (``frame-ancestors 'none'``: no other
page may frame ours), ``X-Content-Type-Options: nosniff``, a Referrer-Policy, HSTS when the cookies are
Secure (``[webb] sakra_kakor``), and ``Cache-Control: no-store`` unless the route said otherwise, so that
nothing confidential is kept by a browser or proxy. A route may set its own policy (a PDF shown in our own
case page may be framed by our own pages).
"""
from __future__ import annotations

from starlette.requests import Request

#: The form library (json-editor) adds an empty <style> element and fills it through CSSOM, and sets style
#: attributes (visually hidden labels): the empty element's hash and style attributes are allowed, no inline script.
EMPTY_STYLE = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
CSP = (f"default-src 'self'; script-src 'self'; style-src 'self' {EMPTY_STYLE}; style-src-attr 'unsafe-inline'; "
       "img-src 'self' data: blob:; frame-src 'self' blob:; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; connect-src 'self'; frame-ancestors 'none'")
#: A file shown inline in our own pages (the case page's PDF preview).
CSP_FRAMEABLE = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class SecurityHeaders:
    """ASGI middleware: the headers above on every HTTP response (static files included)."""

    def __init__(self, app, hsts: bool):
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        static = scope.get("path", "").startswith(("/static/", "/docs/filer/"))

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                have = {k.lower() for k, _ in headers}

                def add(name: bytes, value: str):
                    if name not in have:
                        headers.append((name, value.encode("latin-1")))

                add(b"content-security-policy", CSP)
                add(b"x-content-type-options", "nosniff")
                add(b"x-frame-options", "DENY")
                add(b"referrer-policy", "same-origin")
                add(b"cross-origin-opener-policy", "same-origin")
                add(b"cache-control", "no-cache" if static else "no-store")
                if self.hsts:
                    add(b"strict-transport-security", "max-age=31536000")
                message = dict(message, headers=headers)
            await send(message)

        await self.app(scope, receive, with_headers)


def frameable_headers() -> dict[str, str]:
    """The headers of a file that our own pages may show in a frame."""
    return {"Content-Security-Policy": CSP_FRAMEABLE, "X-Frame-Options": "SAMEORIGIN"}


def cross_site(request: Request) -> bool:
    """Whether a state-changing request comes from another site's page: what browsers say in ``Sec-Fetch-Site``
    and ``Origin``. Only for requests a browser authenticates by itself (cookie, proxy header); clients with
    an API token are not browsers acting on their own."""
    if request.method in SAFE_METHODS or request.headers.get("authorization", "")[:7].lower() == "bearer ":
        return False
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return True
    origin = request.headers.get("origin")
    if origin is not None:
        own = f"{request.url.scheme}://{request.headers.get('host', '')}"
        return origin != own
    return False

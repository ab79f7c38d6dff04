"""`docgen serve` hardened for the networks it runs in, against the real server: the login limit holds whatever
X-Forwarded-For says (unless a trusted proxy says it), logging out ends the session on the server, forms carry
CSRF tokens, every answer carries the security headers, confidential files are never cached, /docs is for
signed-in people and loads nothing from another host, the access log tells a preview from a download, and an
archive package's label never carries a confidential title."""
from __future__ import annotations

import base64
import json
import re
import signal
from urllib.parse import urlparse

import pytest
import requests
from click.testing import CliRunner
from lxml import etree
from playwright.sync_api import sync_playwright

from conftest import set_setting
from docgen.cli import cli
from docgen.config import load_config
from docgen.store import Store
from webutil import Server, add_user, input_of, login, make_workspace, wait_status

PASSWORD = "Hösten-i-Skogsby-26"
SECRET = {"bestämmelse": "25 kap. 1 § OSL", "datum": "2026-03-10"}
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    ws = make_workspace(tmp_path_factory.mktemp("hardening"))
    tokens = {name: add_user(ws, name, role, PASSWORD) for name, role in
              (("Rut Registrator", "registrator"), ("Hanna Handläggare", "handlaggare"), ("Lars Läsare", "lasare"))}
    server = Server(ws)
    store = Store(load_config(ws).registry_url)
    yield ws, server.url, tokens, store
    store.close()
    assert server.stop() in (0, -signal.SIGTERM)


def bearer(tokens, name):
    return {"Authorization": f"Bearer {tokens[name]}"}


def test_forged_x_forwarded_for_does_not_lift_the_login_limit(site):
    _, url, _, _ = site
    add_user(site[0], "Gert Gissning", "lasare", "rätt-lösenord")
    codes = [login(url, "Gert Gissning", f"fel-{i}", **{"X-Forwarded-For": f"203.0.113.{i}"}).status_code
             for i in range(7)]
    assert codes == [401] * 5 + [429] * 2


def test_a_trusted_proxy_names_the_client(tmp_path):
    """With the proxy's address in [webb] betrodda_proxyer, X-Forwarded-For names the client: each address has its
    own count (so one guesser behind the proxy does not lock out the others)."""
    ws = make_workspace(tmp_path)
    set_setting(ws, "webb", "betrodda_proxyer", ["127.0.0.1"])
    add_user(ws, "Gert Gissning", "lasare", "rätt-lösenord")
    server = Server(ws, "--utan-bevakning")
    try:
        codes = [login(server.url, "Gert Gissning", f"fel-{i}", **{"X-Forwarded-For": "203.0.113.7"}).status_code
                 for i in range(6)]
        assert codes == [401] * 5 + [429]
        other = login(server.url, "Gert Gissning", "rätt-lösenord", **{"X-Forwarded-For": "203.0.113.8"})
        assert other.status_code == 303
    finally:
        server.stop()


def test_logout_ends_the_session_on_the_server(site):
    _, url, _, _ = site
    s = requests.Session()
    assert login(url, "Lars Läsare", PASSWORD, s).status_code == 303
    cookie = s.cookies.get("docgen_inloggning")
    assert s.get(url + "/api/typer", timeout=10).status_code == 200
    page = s.get(url + "/sok", timeout=10).text
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    # a logout without the form's token (another site's form) does nothing
    assert s.post(url + "/logga-ut", data={}, allow_redirects=False, timeout=10).status_code == 400
    assert s.get(url + "/api/typer", timeout=10).status_code == 200
    assert s.post(url + "/logga-ut", data={"csrf": token}, allow_redirects=False, timeout=10).status_code == 303
    kept = {"docgen_inloggning": cookie}  # the old cookie, kept by whoever copied it
    assert requests.get(url + "/api/typer", cookies=kept, timeout=10).status_code == 401
    assert requests.get(url + "/sok", cookies=kept, allow_redirects=False, timeout=10).status_code == 303


def test_a_cookie_is_only_good_as_signed(site):
    """The login cookie carries its session id signed with the workspace's secret: the id alone, or the id under
    another signature, is no login (even while the session it names is open)."""
    _, url, _, _ = site
    s = requests.Session()
    assert login(url, "Lars Läsare", PASSWORD, s).status_code == 303
    cookie = s.cookies.get("docgen_inloggning")
    assert requests.get(url + "/api/typer", cookies={"docgen_inloggning": cookie}, timeout=10).status_code == 200
    payload = cookie.partition(".")[0]
    session_id = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))  # what the diarium knows
    signature = cookie.rpartition(".")[2]
    forged = cookie[: -len(signature)] + ("A" if signature[0] != "A" else "B") + signature[1:]
    for wrong in (session_id, forged):
        assert requests.get(url + "/api/typer", cookies={"docgen_inloggning": wrong}, timeout=10).status_code == 401
    assert s.get(url + "/api/typer", timeout=10).status_code == 200


def test_a_new_password_ends_every_session(site):
    ws, url, _, _ = site
    add_user(ws, "Petra Lösen", "lasare", "första-lösenordet")
    s = requests.Session()
    assert login(url, "Petra Lösen", "första-lösenordet", s).status_code == 303
    assert s.get(url + "/api/typer", timeout=10).status_code == 200
    r = CliRunner().invoke(cli, ["-w", str(ws), "user", "losenord", "Petra Lösen"], input="andra-lösenordet\n")
    assert r.exit_code == 0, r.output
    assert s.get(url + "/api/typer", timeout=10).status_code == 401
    assert login(url, "Petra Lösen", "första-lösenordet").status_code == 401
    assert login(url, "Petra Lösen", "andra-lösenordet").status_code == 303


def test_login_needs_the_forms_token(site):
    _, url, _, _ = site
    r = requests.post(url + "/logga-in", data={"namn": "Lars Läsare", "losenord": PASSWORD, "nasta": "/sok"},
                      allow_redirects=False, timeout=10)
    assert r.status_code == 400 and "docgen_inloggning" not in r.cookies


def test_a_signed_in_browser_cannot_be_made_to_post_from_another_site(site):
    _, url, _, _ = site
    s = requests.Session()
    login(url, "Hanna Handläggare", PASSWORD, s)
    data = input_of("beslut", rubrik="Beslut från en annan webbplats")
    r = s.post(url + "/api/dokument", json=data, headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
               timeout=10)
    assert r.status_code == 403 and r.json()["problem"]
    r = s.post(url + "/api/utkast", json=data, headers={"Origin": url, "Sec-Fetch-Site": "same-origin"}, timeout=60)
    assert r.status_code == 200, "the web form's own posts still work"


HEADERS = {"x-content-type-options": "nosniff", "referrer-policy": "same-origin"}


def test_every_response_carries_the_security_headers(site):
    _, url, tokens, _ = site
    s = requests.Session()
    login(url, "Rut Registrator", PASSWORD, s)
    answers = [s.get(url + path, allow_redirects=False, timeout=10) for path in
               ("/", "/logga-in", "/sok", "/ny", "/ny/beslut", "/fel", "/docs", "/arende/RS%202026-99999",
                "/static/docgen.css", "/docs/filer/swagger-ui-bundle.js", "/openapi.json", "/api/typer", "/api/fel",
                "/api/arenden/RS%202026-99999", "/finns-inte")]
    answers.append(requests.get(url + "/api/typer", timeout=10))  # 401
    answers.append(requests.post(url + "/api/dokument", data="x", headers=bearer(tokens, "Lars Läsare"), timeout=10))
    assert {a.status_code for a in answers} >= {200, 303, 401, 403, 404}
    for a in answers:
        csp = a.headers.get("content-security-policy", "")
        assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp.split("script-src", 1)[1].split(";")[0], a.url
        assert all(a.headers.get(k) == v for k, v in HEADERS.items()), a.url
        assert "strict-transport-security" not in a.headers, "no HSTS over plain HTTP (sakra_kakor off)"
        if "/static/" not in a.url and "/docs/filer/" not in a.url:
            assert a.headers["cache-control"] == "no-store", a.url


def test_pages_have_no_inline_script(site):
    _, url, _, _ = site
    s = requests.Session()
    login(url, "Rut Registrator", PASSWORD, s)
    for path in ("/logga-in", "/sok", "/ny", "/ny/beslut", "/fel", "/docs"):
        html = s.get(url + path, timeout=10).text
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, (path, tag)
        assert not re.search(r"\son[a-z]+=", html), path


def test_confidential_files_are_never_cached_and_a_preview_is_not_a_download(site):
    _, url, tokens, store = site
    h = bearer(tokens, "Hanna Handläggare")
    r = requests.post(url + "/api/dokument", json=input_of("beslut", rubrik="Sekretessbeslut om skydd", sekretess=SECRET),
                      headers=h, timeout=60)
    st = wait_status(url, tokens["Hanna Handläggare"], r.json()["status_url"])
    dnr, pdf = st["diarienummer"], st["filer"]["pdf"]
    shown = requests.get(url + pdf + "?inline=true", headers=h, timeout=10)
    saved = requests.get(url + pdf, headers=h, timeout=10)
    for a in (shown, saved):
        assert a.status_code == 200 and a.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'self'" in shown.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in saved.headers["content-security-policy"]
    # a plain filename= (what curl -OJ uses) besides the exact filename*=
    disposition = saved.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=\"") and "filename*=UTF-8''" in disposition
    plain = re.search(r'filename="([^"]+)"', disposition).group(1)
    assert plain.isascii() and plain.endswith(".pdf") and "/" not in plain
    log = store.query("SELECT atgard FROM atkomst WHERE diarienummer = :d ORDER BY id", d=dnr)
    assert [x["atgard"] for x in log] == ["forhandsvisning", "nedladdning"]
    # the case's archive package names the number, never the confidential title
    out = site[0] / "arkiv"
    r = CliRunner().invoke(cli, ["-w", str(site[0]), "archive", "--dnr", dnr, "--out", str(out)])
    assert r.exit_code == 0, r.output
    (package,) = [p for p in out.iterdir() if not p.name.startswith(".")]
    assert "Sekretessbeslut" not in package.name
    label = etree.parse(str(package / "METS.xml")).getroot().get("LABEL")
    assert dnr in label and "Sekretessbeslut" not in label


def test_docs_are_for_signed_in_people_and_load_nothing_from_another_host(site):
    _, url, _, _ = site
    assert requests.get(url + "/docs", allow_redirects=False, timeout=10).status_code == 303
    host = urlparse(url).netloc
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(locale="sv-SE")  # the pages are Swedish unless the browser prefers English
        requested, violations = [], []
        page.on("request", lambda req: requested.append(req.url))
        page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
        page.goto(url + "/docs")
        page.get_by_label("Användarnamn").fill("Lars Läsare")
        page.get_by_label("Lösenord").fill(PASSWORD)
        page.get_by_role("button", name="Logga in").click()
        page.wait_for_url(re.compile(r"/docs$"))  # back where the login started
        page.wait_for_selector(".opblock-summary-path", timeout=30_000)  # Swagger UI drew the operations
        browser.close()
    assert requested and all(urlparse(u).netloc == host for u in requested if not u.startswith(("data:", "blob:"))), \
        [u for u in requested if urlparse(u).netloc != host]
    assert not violations, violations

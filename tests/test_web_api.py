"""The HTTP API of `docgen serve`, against the real server (watcher, LibreOffice, diarium): inputs take the inbox's
path, refusals take no number, roles and confidentiality hold, bad requests get clear answers, and the API keeps
its own OpenAPI description (schemathesis)."""
from __future__ import annotations

import io
import json
import re
import signal
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from pypdf import PdfReader, PdfWriter
from schemathesis import GenerationMode, checks

from conftest import set_setting, wait_until
from docgen.config import load_config
from docgen.store import Store
from webutil import Server, add_user, input_of, login, make_workspace, wait_status

SECRET = {"bestämmelse": "25 kap. 1 § OSL", "datum": "2026-03-10"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    ws = make_workspace(tmp_path_factory.mktemp("webapi"))
    tokens = {name: add_user(ws, name, role) for name, role in
              (("registrator", "registrator"), ("hanna", "handlaggare"), ("hugo", "handlaggare"), ("lars", "lasare"))}
    server = Server(ws)
    store = Store(load_config(ws).registry_url)
    yield ws, server.url, tokens, store
    store.close()
    assert server.stop() in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once it has shut down
    assert "stopped:" in server.log.read_text()  # the watcher finished in-flight work and stopped


def call(site, method, path, who=None, **kw):
    _, url, tokens, _ = site
    headers = kw.pop("headers", {})
    if who:
        headers["Authorization"] = f"Bearer {tokens[who]}"
    return requests.request(method, url + path, headers=headers, timeout=60, **kw)


def cases(store) -> int:
    return store.query("SELECT count(*) AS n FROM arende")[0]["n"]


def test_submitted_input_takes_the_inbox_path_and_is_registered(site):
    ws, url, tokens, store = site
    r = call(site, "POST", "/api/dokument", "hanna", json=input_of("beslut", rubrik="Beslut via API"))
    assert r.status_code == 202, r.text
    body = r.json()
    assert r.headers["location"] == body["status_url"] == f"/api/v1/dokument/{body['id']}"
    done = wait_status(url, tokens["hanna"], body["status_url"])
    assert done["status"] == "registrerad", done
    dnr = done["diarienummer"]
    # the input went through the inbox like a dropped file: processed there (its folder moves to behandlade/ just
    # after the document is registered), the document in the outbox
    assert wait_until(lambda: list((ws / "inbox" / "behandlade").glob(f"*/api-{body['id']}.json")), 30)
    pdf = call(site, "GET", done["filer"]["pdf"], "hanna")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    found = call(site, "GET", "/api/arenden", "lars", params={"text": "via API"}).json()
    assert [(d["diarienummer"], d["rubrik"]) for d in found] == [(dnr, "Beslut via API")]
    case = call(site, "GET", f"/api/arenden/{dnr}", "lars").json()
    v1 = case["handlingar"][0]["versioner"][0]
    assert {f["typ"] for f in v1["filer"]} == {"pdf", "docx"} and all(len(f["sha256"]) == 64 for f in v1["filer"])
    assert [u["namn"] for u in v1["utskick"]][:1] == ["Lina Berg"]
    # someone else's submission is not theirs to follow
    assert call(site, "GET", body["status_url"], "hugo").status_code == 404
    assert call(site, "GET", body["status_url"], "registrator").json()["diarienummer"] == dnr


def test_refused_input_gets_the_watchers_report_and_takes_no_number(site):
    ws, _, _, store = site
    before = cases(store)
    bad = input_of("uppdragshandling", datum="2026-02-30")
    del bad["uppdragstagare"]
    r = call(site, "POST", "/api/dokument", "hanna", json=bad)
    assert r.status_code == 422
    body = r.json()
    fields = {p["field"] for p in body["problem"]}
    assert {"datum", "uppdragstagare"} <= fields
    assert all(p["sv"] and p["en"] and p["fix_sv"] and p["fix_en"] for p in body["problem"])
    assert " fel\n" in body["rapport"] and "error(s)" in body["rapport"]  # Swedish, then English, as in .fel.txt
    assert cases(store) == before
    assert not list((ws / "inbox").glob("api-*"))


def test_the_same_content_twice_gives_one_document_and_a_409_with_its_number(site):
    """Sent together, one post is taken (202) and the other answers 409 naming the first (not a 202 that would fail in
    the watcher); once it is registered, a third post answers 409 with its diarienummer."""
    _, url, tokens, _ = site
    data = input_of("lagesrapport-program", rubrik="Lägesrapport dubblett")
    with ThreadPoolExecutor(2) as ex:
        sent = list(ex.map(lambda _: call(site, "POST", "/api/dokument", "hanna", json=data), range(2)))
    assert sorted(r.status_code for r in sent) == [202, 409]
    taken, refused = sorted(sent, key=lambda r: r.status_code)
    assert refused.json()["id"] == taken.json()["id"] and refused.json()["status_url"] == taken.json()["status_url"]
    done = wait_status(url, tokens["hanna"], taken.json()["status_url"])
    assert done["status"] == "registrerad"
    again = call(site, "POST", "/api/dokument", "hugo", json=data)
    assert again.status_code == 409 and again.json()["diarienummer"] == done["diarienummer"]
    assert any(done["diarienummer"] in p["sv"] for p in again.json()["problem"])


def test_the_same_idempotency_key_twice_gives_one_document(site):
    _, url, tokens, store = site
    data = input_of("beslut", rubrik="Beslut med idempotensnyckel")
    key = {"Idempotency-Key": "arende-4711-beslut-1"}
    with ThreadPoolExecutor(2) as ex:
        sent = list(ex.map(lambda _: call(site, "POST", "/api/dokument", "hanna", json=data, headers=dict(key)), range(2)))
    codes = sorted(r.status_code for r in sent)
    assert codes in ([202, 202], [202, 409])  # 409: the first request with the key was still being answered
    first = next(r for r in sent if r.status_code == 202).json()["id"]
    retry = call(site, "POST", "/api/dokument", "hanna", json=data, headers=dict(key))
    assert retry.status_code == 202 and retry.json()["id"] == first and retry.headers["idempotent-replayed"] == "true"
    assert all(r.json()["id"] == first for r in sent if r.status_code == 202)
    assert wait_status(url, tokens["hanna"], f"/api/dokument/{first}")["status"] == "registrerad"
    assert len(store.query("SELECT id FROM handling WHERE rubrik = :r", r="Beslut med idempotensnyckel")) == 1
    other = call(site, "POST", "/api/dokument", "hanna", json=data | {"rubrik": "Ett annat beslut"}, headers=dict(key))
    assert other.status_code == 422 and other.json()["problem"][0]["field"] == "Idempotency-Key"
    # a key is the user's own: another user's same key is a new request
    own = call(site, "POST", "/api/dokument", "hugo", json=data | {"rubrik": "Hugos beslut"}, headers=dict(key))
    assert own.status_code == 202 and own.json()["id"] != first


def test_confidential_document_is_hidden_from_others_and_every_access_is_logged(site):
    _, url, tokens, store = site
    r = call(site, "POST", "/api/dokument", "hanna", json=input_of("beslut", rubrik="Sekretessbeslut", sekretess=SECRET))
    st = wait_status(url, tokens["hanna"], r.json()["status_url"])
    dnr, pdf = st["diarienummer"], st["filer"]["pdf"]
    for other in ("lars", "hugo"):
        assert call(site, "GET", "/api/arenden", other, params={"text": "Sekretessbeslut"}).json() == []
        assert call(site, "GET", f"/api/arenden/{dnr}", other).status_code == 404
        assert call(site, "GET", pdf, other).status_code == 404
    for allowed in ("hanna", "registrator"):
        assert [d["sekretess"] for d in call(site, "GET", "/api/arenden", allowed, params={"text": "Sekretessbeslut"}).json()] == [SECRET]
        assert call(site, "GET", f"/api/arenden/{dnr}", allowed).status_code == 200
        assert call(site, "GET", pdf, allowed).content.startswith(b"%PDF")
    log = store.query("SELECT anvandare, atgard, diarienummer, tid FROM atkomst WHERE diarienummer = :d ORDER BY id", d=dnr)
    assert [(x["anvandare"], x["atgard"]) for x in log] == [
        ("hanna", "visning"), ("hanna", "nedladdning"), ("registrator", "visning"), ("registrator", "nedladdning")]
    assert all(x["tid"] for x in log)
    # someone who may not see the case cannot add to it, and learns no more than for a number that does not exist
    public = input_of("uppdragshandling", rubrik="Offentlig handling i samma ärende", diarienummer=dnr)
    public.pop("serie", None)
    hidden = call(site, "POST", "/api/dokument", "hugo", json=public)
    absent = call(site, "POST", "/api/dokument", "hugo", json=public | {"diarienummer": "RS 2026-99999"})
    assert hidden.status_code == absent.status_code == 422
    assert hidden.json()["problem"] == [dict(p, sv=p["sv"].replace("RS 2026-99999", dnr), en=p["en"].replace(
        "RS 2026-99999", dnr)) for p in absent.json()["problem"]]
    assert hidden.json()["problem"][0]["field"] == "diarienummer"
    # a public document joins the confidential case (by someone who may see it): others see it, never the title
    r = call(site, "POST", "/api/dokument", "hanna", json=public)
    assert wait_status(url, tokens["hanna"], r.json()["status_url"])["status"] == "registrerad"
    for other in ("lars", "hugo"):
        case = call(site, "GET", f"/api/arenden/{dnr}", other).json()
        assert [d["rubrik"] for d in case["handlingar"]] == ["Offentlig handling i samma ärende"]
        assert "Sekretessbeslut" not in case["rubrik"] and "withheld" in case["rubrik"]
        page = requests.get(url + f"/arende/{dnr}", headers={"Authorization": f"Bearer {tokens[other]}"}, timeout=10)
        assert "Offentlig handling i samma ärende" in page.text and "Sekretessbeslut" not in page.text
    assert call(site, "GET", f"/api/arenden/{dnr}", "registrator").json()["rubrik"] == "Sekretessbeslut"


def test_draft_preview_is_a_pdf_with_no_number(site):
    ws, _, _, store = site
    before = cases(store)
    r = call(site, "POST", "/api/utkast", "hanna", json=input_of("lagesrapport-lagesbild", rubrik="Förhandsvisad lägesbild"))
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
    assert "Förhandsvisad lägesbild" in text and "Tilldelas vid registrering" in text
    assert cases(store) == before and not (ws / "outbox" / "utkast").exists()
    assert call(site, "POST", "/api/utkast", "lars", json=input_of("beslut")).status_code == 403


@pytest.mark.parametrize("who, kwargs, status, says", [
    (None, {"json": {}}, 401, "inloggning krävs"),
    ("nobody", {"json": {}}, 401, "inloggning krävs"),
    ("lars", {"json": {}}, 403, "handlaggare, beslutsfattare eller registrator"),
    ("hanna", {"data": "dokumenttyp: beslut", "headers": {"Content-Type": "text/yaml"}}, 415, "application/json"),
    ("hanna", {"data": '{"dokumenttyp": "beslut", ', "headers": {"Content-Type": "application/json"}}, 400, "inte giltig JSON"),
    ("hanna", {"data": b"\xff\xfe{}", "headers": {"Content-Type": "application/json"}}, 400, "UTF-8"),
    ("hanna", {"data": "[1, 2]", "headers": {"Content-Type": "application/json"}}, 422, "JSON-objekt"),
    ("hanna", {"data": '{"rubrik": "' + "x" * 1_100_000 + '"}', "headers": {"Content-Type": "application/json"}}, 413, "max_filstorlek"),
    ("hanna", {"json": input_of("beslut", bilagor=[{"fil": "plan.pdf"}])}, 422, "bilagor"),
    ("hanna", {"json": input_of("beslut", status="utkast")}, 422, "utkast"),
])
def test_bad_requests_get_clear_answers(site, who, kwargs, status, says):
    headers = {"Authorization": "Bearer fel-nyckel"} if who == "nobody" else {}
    r = call(site, "POST", "/api/dokument", None if who == "nobody" else who, headers=headers | kwargs.pop("headers", {}), **kwargs)
    assert r.status_code == status
    assert r.headers["content-type"] == "application/json"
    assert says in " ".join(p["sv"] + " " + p["field"] for p in r.json()["problem"])
    assert "Traceback" not in r.text


def test_failed_queue_is_for_registrators_only(site):
    ws = site[0]
    (ws / "inbox" / "trasig.json").write_text('{"dokumenttyp": "beslut"}', encoding="utf-8")
    wait_until(lambda: list((ws / "inbox" / "fel").glob("*/trasig.json")), 60)
    assert call(site, "GET", "/api/fel", "hanna").status_code == 403
    queue = call(site, "GET", "/api/fel", "registrator").json()
    assert "trasig.json" in [q["fil"] for q in queue] and all(q["rapport"] for q in queue)


def test_a_failed_input_is_dismissed_with_a_reason_and_nothing_is_lost(site):
    ws, _, _, store = site
    (ws / "inbox" / "avskrivs.json").write_text('{"dokumenttyp": "beslut", "rubrik": "x"}', encoding="utf-8")
    assert wait_until(lambda: "avskrivs.json" in [q["fil"] for q in call(site, "GET", "/api/fel", "registrator").json()],
                      60, every=0.2)
    (item,) = [q for q in call(site, "GET", "/api/fel", "registrator").json() if q["fil"] == "avskrivs.json"]
    path = f"/api/fel/{item['mapp']}/avfarda"
    assert call(site, "POST", path, "hanna", json={"orsak": "skickades två gånger"}).status_code == 403
    r = call(site, "POST", path, "registrator", json={"orsak": "skickades två gånger"})
    assert r.status_code == 200 and r.json()["orsak"] == "skickades två gånger"
    assert "avskrivs.json" not in [q["fil"] for q in call(site, "GET", "/api/fel", "registrator").json()]
    kept = ws / "inbox" / "avfardade" / item["mapp"]
    assert (kept / "avskrivs.json").read_text(encoding="utf-8").startswith('{"dokumenttyp"')
    assert list(kept.glob("*.fel.txt")) and "skickades två gånger" in (kept / "avfardad.txt").read_text(encoding="utf-8")
    log = store.query("SELECT anvandare, detalj FROM atkomst WHERE atgard = 'avfardande'")
    assert [(x["anvandare"], x["detalj"]) for x in log] == [("registrator", f"{item['mapp']}: skickades två gånger")]
    assert call(site, "POST", path, "registrator", json={"orsak": "igen"}).status_code == 404
    assert call(site, "POST", "/api/fel/..%2F..%2Fetc/avfarda", "registrator", json={"orsak": "försök"}).status_code == 404


def test_api_keeps_its_openapi_description(site):
    """Generated requests, right (positive) and wrong (negative), to every operation the description lists: never a
    server error, and every answer (status, content type, headers, body) is as described."""
    _, url, tokens, _ = site
    schema = schemathesis.openapi.from_url(url + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8
    for op in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @given(case=op.as_strategy(generation_mode=mode))
            @settings(max_examples=6, deadline=None, database=None, suppress_health_check=list(HealthCheck))
            def check(case):
                case.call_and_validate(base_url=url, headers={"Authorization": f"Bearer {tokens['registrator']}"},
                                       checks=[checks.not_a_server_error, checks.status_code_conformance,
                                               checks.content_type_conformance, checks.response_schema_conformance,
                                               checks.response_headers_conformance])
            check()


def test_trusted_proxy_header_signs_people_in_only_when_configured(site, tmp_path):
    ws, url, tokens, _ = site
    assert requests.get(url + "/api/fel", headers={"X-Remote-User": "registrator"}, timeout=10).status_code == 401, \
        "off by default: the header is not trusted"
    behind = make_workspace(tmp_path)
    set_setting(behind, "webb", "betrodd_anvandarrubrik", "X-Remote-User")
    add_user(behind, "Rut Registrator", "registrator")
    add_user(behind, "Lars Läsare", "lasare")
    server = Server(behind, "--utan-bevakning")
    try:
        def fel(name):
            return requests.get(server.url + "/api/fel", headers={"X-Remote-User": name.encode("utf-8")}, timeout=10)
        assert fel("Rut Registrator").status_code == 200
        assert fel("Lars Läsare").status_code == 403
        unknown = fel("Okänd Person")
        assert unknown.status_code == 401 and unknown.json()["problem"]
        assert requests.get(server.url + "/api/fel", timeout=10).status_code == 401
    finally:
        server.stop()


def test_a_login_cookie_dies_with_its_account(site):
    ws, url, _, _ = site
    add_user(ws, "Vera Växling", "lasare", password="första-lösenordet")
    s = requests.Session()
    r = login(url, "Vera Växling", "första-lösenordet", s)
    assert r.status_code == 303 and s.cookies.get("docgen_inloggning")
    assert s.get(url + "/api/typer", timeout=10).status_code == 200
    from click.testing import CliRunner
    from docgen.cli import cli
    assert CliRunner().invoke(cli, ["-w", str(ws), "user", "remove", "Vera Växling"]).exit_code == 0
    add_user(ws, "Vera Växling", "registrator", password="andra-lösenordet")  # re-added: a new account
    assert s.get(url + "/api/fel", timeout=10).status_code == 401, "the old cookie must not carry the new role"


def test_deeply_nested_json_is_refused_not_a_server_error(site):
    body = "[" * 100_000 + "]" * 100_000
    for path in ("/api/dokument", "/api/utkast"):
        r = call(site, "POST", path, "hanna", data=body.encode(), headers={"Content-Type": "application/json"})
        assert r.status_code in (400, 413, 422) and r.json()["problem"], (path, r.status_code)


def test_repeated_failed_logins_are_slowed_down(site):
    ws, url, _, _ = site
    add_user(ws, "Gustav Gissning", "lasare", password="rätt-lösenord")
    codes = [login(url, "Gustav Gissning", f"fel-{i}").status_code for i in range(6)]
    assert codes == [401] * 5 + [429]
    right = login(url, "Gustav Gissning", "rätt-lösenord")
    assert right.status_code == 429, "locked for the window even with the right password"


def test_old_paths_redirect_to_v1_keeping_method_and_body(site):
    r = call(site, "GET", "/api/typer", "lars", allow_redirects=False)
    assert r.status_code == 308 and r.headers["location"] == "/api/v1/typer"
    r = call(site, "GET", "/api/arenden?typ=beslut&limit=3", "lars", allow_redirects=False)
    assert r.status_code == 308 and r.headers["location"] == "/api/v1/arenden?typ=beslut&limit=3"
    r = call(site, "POST", "/api/utkast", "hanna", json=input_of("beslut"), allow_redirects=False)
    assert r.status_code == 308 and r.headers["location"] == "/api/v1/utkast"
    assert call(site, "POST", "/api/utkast", "hanna", json=input_of("beslut")).headers["content-type"] == "application/pdf"
    assert call(site, "GET", "/api/v1/finns-inte", "lars", allow_redirects=False).status_code == 404
    assert all(p.startswith("/api/v1/") for p in call(site, "GET", "/openapi.json").json()["paths"])


def at_least(site, n: int) -> None:
    """At least ``n`` public documents in the diarium (the earlier tests leave some; alone, this registers them)."""
    _, url, tokens, _ = site
    have = len(call(site, "GET", "/api/v1/arenden", "lars", params={"limit": 1000}).json())
    for i in range(have, n):
        r = call(site, "POST", "/api/v1/dokument", "hanna", json=input_of("beslut", rubrik=f"Beslut för listan {i}"))
        assert wait_status(url, tokens["hanna"], r.json()["status_url"])["status"] == "registrerad"


def test_documents_and_files_carry_etags(site):
    _, url, tokens, _ = site
    at_least(site, 1)
    (row, *_) = call(site, "GET", "/api/v1/arenden", "lars", params={"limit": 1}).json()
    case = call(site, "GET", row["url"], "lars")
    etag = case.headers["etag"]
    assert case.status_code == 200 and etag
    again = call(site, "GET", row["url"], "lars", headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.content and again.headers["etag"] == etag
    assert call(site, "GET", row["url"], "lars", headers={"If-None-Match": '"annan"'}).status_code == 200
    pdf = call(site, "GET", row["pdf"], "lars")
    sha = case.json()["handlingar"][0]["versioner"][-1]["filer"]
    assert pdf.headers["etag"].strip('"') in [f["sha256"] for f in sha]
    assert call(site, "GET", row["pdf"], "lars", headers={"If-None-Match": pdf.headers["etag"]}).status_code == 304
    # a document added to the case changes its tag
    more = input_of("uppdragshandling", rubrik="Ännu en handling i ärendet", diarienummer=row["diarienummer"])
    more.pop("serie", None)
    r = call(site, "POST", "/api/v1/dokument", "registrator", json=more)
    assert wait_status(url, tokens["registrator"], r.json()["status_url"])["status"] == "registrerad"
    changed = call(site, "GET", row["url"], "lars", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert len(changed.json()["handlingar"]) == len(case.json()["handlingar"]) + 1


def test_paging_returns_every_document_once_while_new_ones_arrive(site):
    _, url, tokens, _ = site
    at_least(site, 5)
    before = [(d["diarienummer"], d["lopnummer"]) for d in call(site, "GET", "/api/v1/arenden", "registrator", params={"limit": 1000}).json()]
    assert len(before) >= 5
    seen, page, arrived = [], "/api/v1/arenden?limit=2", 0
    while page:
        r = call(site, "GET", page, "registrator")
        assert r.status_code == 200 and len(r.json()) <= 2
        seen += [(d["diarienummer"], d["lopnummer"]) for d in r.json()]
        if arrived < 2:  # a new document registered between two pages
            new = call(site, "POST", "/api/v1/dokument", "hanna",
                       json=input_of("beslut", rubrik=f"Beslut under bläddring {arrived}"))
            assert wait_status(url, tokens["hanna"], new.json()["status_url"])["status"] == "registrerad"
            arrived += 1
        link = r.headers.get("link")
        page = link[1:link.index(">")] if link else None
    assert len(seen) == len(set(seen)), "no document twice"
    assert set(before) <= set(seen), "every document that was there from the start"


def test_attachments_are_posted_as_multipart_and_archived_with_the_document(site, tmp_path):
    ws, url, tokens, _ = site
    import docx

    d = docx.Document()
    d.add_paragraph("Bilagans egen text om rutinen")
    d.save(tmp_path / "rutin.docx")
    plain = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.write(plain)
    data = input_of("beslut", rubrik="Beslut med bilagor via API",
                    bilagor=[{"fil": "rutin.docx", "titel": "Rutinen"}, {"fil": "karta.pdf"}])
    parts = [("bilaga", ("rutin.docx", (tmp_path / "rutin.docx").read_bytes(), "application/octet-stream")),
             ("bilaga", ("karta.pdf", plain.getvalue(), "application/pdf"))]
    r = call(site, "POST", "/api/v1/dokument", "hanna", data={"indata": json.dumps(data)}, files=parts)
    assert r.status_code == 202, r.text
    st = wait_status(url, tokens["hanna"], r.json()["status_url"])
    assert st["status"] == "registrerad", st
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(call(site, "GET", st["filer"]["pdf"], "hanna").content)).pages]
    text = "\n".join(pages)
    assert "Bilaga 1. Rutinen" in text and "Bilaga 2. karta" in text  # listed by title, or by the file's own name
    assert "Bilagans egen text om rutinen" in pages[-2] and f"Bilaga 2 till {st['diarienummer']}" in pages[-1]
    assert not list((ws / "inbox").glob("api-*")), "nothing left behind in the inbox"
    out = tmp_path / "arkiv"
    from click.testing import CliRunner
    from docgen.cli import cli
    res = CliRunner().invoke(cli, ["-w", str(ws), "archive", "--dnr", st["diarienummer"], "--out", str(out)])
    assert res.exit_code == 0, res.output
    archived = [p.name for p in out.rglob("*") if p.is_file() and "bilaga" in p.name]
    assert len(archived) == 2 and any(n.endswith("rutin.docx") or n.endswith("rutin.pdf") for n in archived), archived


@pytest.mark.parametrize("bilagor, parts, field, says", [
    ([{"fil": "plan.pdf"}], [], "bilagor[1].fil", "ingen fildel"),
    ([], [("plan.pdf", b"%PDF-1.4")], "bilagor", "nämns inte"),
    ([{"fil": "plan.pdf"}], [("plan.pdf", b"inte en pdf")], "bilagor[1].fil", "'plan.pdf' är en trasig PDF"),
    ([{"fil": "bild.png"}], [("bild.png", b"\x89PNG")], "bilagor[1].fil", "varken PDF eller DOCX"),
    ([{"fil": "../plan.pdf"}], [("../plan.pdf", b"%PDF-1.4")], "bilagor[1].fil", "utanför"),
])
def test_attachments_get_the_inboxs_checks(site, bilagor, parts, field, says):
    """Refused like a file in the inbox with its attachments (each problem names the file as it was sent), and no
    number is taken."""
    ws, _, _, store = site
    before = cases(store)
    data = input_of("beslut", rubrik="Beslut med en dålig bilaga", bilagor=bilagor)
    files = [("indata", (None, json.dumps(data)))] + [("fil", (name, body, "application/octet-stream"))
                                                      for name, body in parts]
    r = call(site, "POST", "/api/v1/dokument", "hanna", files=files)
    assert r.status_code == 422, r.text
    assert any(p["field"] == field and says in p["sv"] for p in r.json()["problem"]), r.json()
    assert not re.search(r"api-[0-9a-f]{12}-", r.text), "the files' names in the inbox never show"
    assert cases(store) == before and not list((ws / "inbox").glob("api-*"))

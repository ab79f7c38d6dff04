"""The officer's desk in a real browser (Debian's chromium driven by Playwright) against the real server: a new
version of one's own registered document (the form filled with the registered input, a reason required, same
number, next version, the person and the reason on the record; nobody else's, nothing archived). axe-core checks
every page and state for WCAG 2.1 A/AA violations. Screenshots go to /tmp/web-shots/."""
from __future__ import annotations

import json
import re
import shutil
import signal
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from playwright.sync_api import expect, sync_playwright

from conftest import ROOT
from docgen.cli import cli
from webutil import AXE_JS, WCAG_TAGS, Server, add_user, axe_violations, bad_names, input_of, make_workspace, wait_status

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "Vinter-i-Fjällbyn-26"
assert AXE_JS.is_file() and WCAG_TAGS


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    ws = make_workspace(tmp_path_factory.mktemp("webdesk"))
    shutil.copy(ROOT / "distribution.yaml", ws / "distribution.yaml")
    tokens = {name: add_user(ws, name, role, PASSWORD) for name, role in
              (("Hanna Handläggare", "handlaggare"), ("Olle Omar", "handlaggare"), ("Rut Registrator", "registrator"))}
    server = Server(ws)
    shots = Path("/tmp/web-shots")
    shots.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield ws, server.url, browser, tokens, shots
        browser.close()
    assert server.stop() in (0, -signal.SIGTERM)


def login(browser, url, name, **kw):
    page = browser.new_page(viewport={"width": 1200, "height": 900}, **({"locale": "sv-SE"} | kw))
    page.set_default_timeout(15_000)
    page.goto(url + "/logga-in")
    page.locator("#namn").fill(name)
    page.locator("#losenord").fill(PASSWORD)
    page.locator("form button[type=submit]").last.press("Enter")
    expect(page).to_have_url(re.compile(r"/sok"))
    return page


def check(page, what: str) -> None:
    assert axe_violations(page) == [], what
    assert bad_names(page, set()) == [], what


def registered(url: str, token: str, data: dict) -> str:
    """A document submitted through the API by the token's user, once registered: its diarienummer."""
    r = requests.post(url + "/api/v1/dokument", json=data, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 202, r.text
    body = wait_status(url, token, r.json()["status_url"], timeout=120)
    assert body["status"] == "registrerad", body
    return body["diarienummer"]


def keyboard_to(page, locator) -> None:
    """Tab until ``locator`` has the focus (the page is used without a mouse)."""
    for _ in range(80):
        page.keyboard.press("Tab")
        if locator.evaluate("e => e === document.activeElement"):
            return
    raise AssertionError(f"never reached {locator}")


def test_a_new_version_of_ones_own_document_keeps_the_number_and_records_who_and_why(desk):
    ws, url, browser, tokens, shots = desk
    data = input_of("beslut", rubrik="Beslut om nya öppettider", datum="2026-03-02")
    dnr = registered(url, tokens["Hanna Handläggare"], data)
    page = login(browser, url, "Hanna Handläggare")
    page.goto(url + f"/arende/{dnr}")
    link = page.get_by_role("link", name="Ny version av handling 1")
    keyboard_to(page, link)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=f"Ny version av {dnr}, handling 1")).to_be_visible()
    form = page.locator("#dokumentformular")
    expect(form.locator("[name=rubrik]")).to_have_value("Beslut om nya öppettider")  # filled with the registered input
    expect(form.locator("[name=beslutsinstans]")).to_have_value(data["beslutsinstans"])
    assert form.locator("[name=diarienummer]").count() == 0 and form.get_by_role("button", name="Spara utkast").count() == 0
    check(page, "ny version: formulär")
    page.screenshot(path=str(shots / "30-ny-version.png"), full_page=True)
    # no reason: an error beside the field and in the summary, what was changed kept
    form.locator("[name=beslutsinstans]").fill("Styrelsen för öppettider")
    form.get_by_role("button", name="Fortsätt till granskning").press("Enter")
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Skriv varför du gör en ny version")
    expect(page.locator("#f-anledning-fel")).to_be_visible()
    assert page.locator("#f-anledning").get_attribute("aria-invalid") == "true"
    expect(form.locator("[name=beslutsinstans]")).to_have_value("Styrelsen för öppettider")
    check(page, "ny version: utan anledning")
    page.screenshot(path=str(shots / "31-ny-version-fel.png"), full_page=True)
    summary.get_by_role("link", name=re.compile("Skriv varför")).press("Enter")
    expect(page.locator("#f-anledning")).to_be_focused()
    page.keyboard.type("Fel beslutsinstans i version 1.")
    keyboard_to(page, form.get_by_role("button", name="Fortsätt till granskning"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Granska innan du registrerar")).to_be_visible(timeout=30_000)
    expect(page.locator("main")).to_contain_text("Fel beslutsinstans i version 1.")
    check(page, "ny version: granska")
    page.screenshot(path=str(shots / "32-ny-version-granska.png"), full_page=True)
    button = page.get_by_role("button", name="Registrera version 2")
    keyboard_to(page, button)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=f"Ärende {dnr}")).to_be_visible(timeout=120_000)
    expect(page.locator("#h1-v2")).to_have_text("Version 2")
    handling = page.locator(".handling")
    expect(handling).to_contain_text("Anledning till den nya versionen: Fel beslutsinstans i version 1.")
    expect(handling.locator("h3")).to_have_count(2)  # one document, two versions, one number
    check(page, "ärende med ny version")
    page.screenshot(path=str(shots / "33-ny-version-registrerad.png"), full_page=True)
    records = {r["version"]: r for r in (json.loads(p.read_text(encoding="utf-8")) for p in (ws / "outbox").rglob("*.json"))
               if r.get("diarienummer") == dnr}
    assert set(records) == {1, 2} and records[2]["lopnummer"] == 1
    assert records[2]["skapad_av"] == "Hanna Handläggare (webben/API:t)"
    assert records[2]["anledning"] == "Fel beslutsinstans i version 1." and "anledning" not in records[1]
    case = requests.get(url + f"/api/v1/arenden/{dnr}", headers={"Authorization": f"Bearer {tokens['Rut Registrator']}"},
                        timeout=10).json()
    assert [v["version"] for v in case["handlingar"][0]["versioner"]] == [1, 2]
    page.close()
    # the registrar's access log says who made it and why
    page = login(browser, url, "Rut Registrator")
    page.goto(url + "/registratur")
    expect(page.get_by_role("table", name=re.compile("händelser"))).to_contain_text("version 2: Fel beslutsinstans i version 1.")
    page.close()


def test_only_the_submitter_or_a_registrar_makes_a_new_version_and_never_of_an_archived_document(desk):
    ws, url, browser, tokens, _ = desk
    dnr = registered(url, tokens["Hanna Handläggare"], input_of("beslut", rubrik="Beslut om parkering", datum="2026-03-03"))
    page = login(browser, url, "Olle Omar")  # another officer: sees the public document, may not change it
    page.goto(url + f"/arende/{dnr}")
    expect(page.get_by_role("link", name=re.compile("Ny från denna"))).to_be_visible()
    assert page.get_by_role("link", name=re.compile("Ny version")).count() == 0
    answer = page.goto(url + f"/arende/{dnr}".replace("/arende/", "/ny-version/") + "/1")
    assert answer.status == 403
    check(page, "ny version: inte din")
    page.close()
    page = login(browser, url, "Rut Registrator")
    page.goto(url + f"/arende/{dnr}")
    expect(page.get_by_role("link", name="Ny version av handling 1")).to_be_visible()
    page.close()
    r = CliRunner().invoke(cli, ["-w", str(ws), "archive", "--dnr", dnr, "--out", str(ws / "paket")], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    page = login(browser, url, "Hanna Handläggare")
    page.goto(url + f"/arende/{dnr}")
    expect(page.locator(".handling")).to_contain_text("Arkiverad")
    assert page.get_by_role("link", name=re.compile("Ny version")).count() == 0
    answer = page.goto(url + f"/ny-version/{dnr}/1")
    assert answer.status == 409
    expect(page.get_by_role("heading")).to_contain_text("arkiverad och kan inte få en ny version")
    check(page, "ny version: arkiverad")
    page.close()


def blank_pdf(pages: int = 1) -> bytes:
    from io import BytesIO

    from pypdf import PdfWriter

    w = PdfWriter()
    for _ in range(pages):
        w.add_blank_page(595, 842)
    buf = BytesIO()
    w.write(buf)
    return buf.getvalue()


def test_an_attachment_uploaded_in_the_form_is_checked_kept_and_registered_with_the_document(desk):
    ws, url, browser, _, shots = desk
    page = login(browser, url, "Hanna Handläggare")
    page.goto(url + "/ny/beslut")
    form = page.locator("#dokumentformular")
    upload = page.get_by_label(re.compile("Lägg till bilagor"))
    # the inbox's checks, beside the field: not PDF/DOCX, a broken PDF
    upload.set_input_files([{"name": "anteckning.txt", "mimeType": "text/plain", "buffer": b"bara text"},
                            {"name": "trasig.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 inget mer"}])
    keyboard_to(page, form.get_by_role("button", name="Ladda upp"))
    page.keyboard.press("Enter")
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Filen anteckning.txt är varken PDF eller Word")
    expect(summary).to_contain_text("Filen trasig.pdf är en trasig PDF-fil")
    expect(page.locator("#f-bilagor-fel")).to_contain_text("anteckning.txt")
    assert page.locator("#f-bilagor").get_attribute("aria-invalid") == "true"
    check(page, "bilagor: fel fil")
    page.screenshot(path=str(shots / "34-bilaga-fel.png"), full_page=True)
    summary.get_by_role("link", name=re.compile("anteckning.txt")).press("Enter")
    expect(page.locator("#f-bilagor")).to_be_focused()
    # a good file with an error elsewhere: the file stays, nobody uploads it twice
    form.locator("[name=beslutsinstans]").fill("Regionstyrelsen")
    page.get_by_label(re.compile("Lägg till bilagor")).set_input_files(
        [{"name": "Budget för 2026.pdf", "mimeType": "application/pdf", "buffer": blank_pdf(2)}])
    form.get_by_role("button", name="Fortsätt till granskning").press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Fyll i rubrik.")
    files = page.get_by_role("table", name="1 bifogad fil")
    expect(files).to_contain_text("Budget för 2026.pdf")
    check(page, "bilagor: kvar efter fel")
    page.screenshot(path=str(shots / "35-bilaga-kvar.png"), full_page=True)
    page.get_by_label("Titel för bilaga 1").fill("Budget 2026")
    form.get_by_role("button", name="Spara utkast").press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Utkastet är sparat")
    page.goto(url + "/mina")
    page.get_by_role("table", name=re.compile("sparade utkast")).get_by_role("link").first.press("Enter")
    expect(page.get_by_label("Titel för bilaga 1")).to_have_value("Budget 2026")  # the draft keeps the file
    values = {"rubrik": "Beslut med en budget som bilaga", "datum": "2026-04-03", "beslutstyp": "verkställighetsbeslut",
              "beslutspunkter.0": "anta budgeten.", "underskrifter.0.namn": "Karin Ödman"}
    for name, value in values.items():
        f = form.locator(f"[name='{name}']")
        f.select_option(value) if f.evaluate("e => e.tagName") == "SELECT" else f.fill(value)
    keyboard_to(page, form.get_by_role("button", name="Fortsätt till granskning"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Granska innan du registrerar")).to_be_visible(timeout=60_000)
    expect(page.locator("main")).to_contain_text("Budget 2026 (Budget för 2026.pdf")
    check(page, "bilagor: granska")
    page.screenshot(path=str(shots / "36-bilaga-granska.png"), full_page=True)
    page.get_by_role("button", name="Registrera").press("Enter")
    expect(page.locator("#diarienummer")).to_be_visible(timeout=120_000)
    dnr = page.locator("#diarienummer").inner_text()
    record = next(r for r in (json.loads(p.read_text(encoding="utf-8")) for p in (ws / "outbox").rglob("*.json"))
                  if r.get("diarienummer") == dnr)
    assert [b["titel"] for b in record["bilagor"]] == ["Budget 2026"]
    folder = next(p.parent for p in (ws / "outbox").rglob("*.json") if json.loads(p.read_text(encoding="utf-8")).get("diarienummer") == dnr)
    kept = list((folder / "bilagor").glob("*.pdf"))
    assert len(kept) == 1 and kept[0].read_bytes() == blank_pdf(2)  # archived with the document, as uploaded
    from pypdf import PdfReader
    pdf = folder / record["filer"]["pdf"]["namn"]
    assert len(PdfReader(pdf).pages) >= 3  # the document's pages, then the attachment's two
    assert not any((ws / ".docgen" / "webbilagor").rglob("*.pdf"))  # in the inbox, then the outbox: not kept twice
    page.close()


def test_every_fixed_text_of_the_templates_has_an_english_entry():
    from docgen.web import i18n

    said = set()
    for path in (ROOT / "docgen" / "web" / "templates").glob("*.html"):
        text = path.read_text(encoding="utf-8")
        said |= {m.group(2).replace('\\"', '"') for m in re.finditer(r'''\b_\((["'])((?:\\.|(?!\1).)*)\1''', text)}
        said |= {m.group(n) for m in re.finditer(r"ngettext\('([^']*)', '([^']*)'", text) for n in (1, 2)}
    assert len(said) > 60
    assert sorted(said - set(i18n.catalog())) == []
    assert i18n.language({"accept-language": "en-GB,en;q=0.9,sv;q=0.8"}) == "en"
    assert i18n.language({"accept-language": "sv-SE,sv;q=0.9,en;q=0.8"}) == "sv"
    assert i18n.language({"accept-language": "en;q=0.5, sv"}) == "sv" and i18n.language({}) == "sv"


def test_the_desk_is_english_when_the_browser_asks_for_it(desk):
    ws, url, browser, _, shots = desk
    page = browser.new_page(viewport={"width": 1200, "height": 900}, locale="en-GB")
    page.set_default_timeout(15_000)
    page.goto(url + "/logga-in")
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    check(page, "log in (English)")
    page.get_by_label("User name").fill("Hanna Handläggare")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").press("Enter")
    expect(page.get_by_role("link", name="New document")).to_be_visible()
    page.goto(url + "/ny/beslut")
    expect(page.get_by_role("heading", name="New document: Beslut")).to_be_visible()  # the type's own title
    check(page, "beslut form (English)")
    main = page.locator("main")
    assert "(optional)" in main.inner_text() and "(valfritt)" not in main.inner_text()
    page.screenshot(path=str(shots / "40-english-form.png"), full_page=True)
    keyboard_to(page, page.get_by_role("button", name="Continue to check your answers"))
    page.keyboard.press("Enter")
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading")).to_have_text("Correct the errors before you go on")
    expect(summary).to_contain_text("Fill in rubrik.")  # the label as the type gives it, the sentence English
    inline = page.locator(".falt-fel").all_inner_texts()
    assert "Fyll i" not in summary.inner_text() and inline and not [t for t in inline if "Fyll i" in t or "Välj" in t]
    expect(page.locator("#f-rubrik-fel")).to_contain_text("Error: Fill in rubrik.")
    check(page, "beslut form with errors (English)")
    page.screenshot(path=str(shots / "41-english-form-errors.png"), full_page=True)
    page.get_by_label(re.compile("Add attachments")).set_input_files(
        [{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"text"}])
    page.get_by_role("button", name="Upload").press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("The file notes.txt is neither PDF nor Word (DOCX).")
    check(page, "attachment error (English)")
    page.get_by_label(re.compile("Add attachments")).set_input_files(
        [{"name": "plan.pdf", "mimeType": "application/pdf", "buffer": blank_pdf()}])
    page.get_by_role("button", name="Save draft").press("Enter")
    expect(page.get_by_role("status")).to_contain_text("The draft is saved")
    uploads = ws / ".docgen" / "webbilagor"
    assert len(list(uploads.rglob("*-plan.pdf"))) == 1
    page.goto(url + "/mina")
    expect(page.get_by_role("heading", name="My documents", exact=True)).to_be_visible()
    check(page, "my documents (English)")
    page.screenshot(path=str(shots / "42-english-mina.png"), full_page=True)
    page.get_by_role("table", name=re.compile("saved drafts")).get_by_role("button", name=re.compile("Remove")).first.press("Enter")
    expect(page.get_by_text("No saved drafts.")).to_be_visible()
    assert not list(uploads.rglob("*.pdf"))  # a draft removed takes its uploaded attachments with it
    page.close()


def test_the_words_the_pages_get_from_code_have_english_entries():
    from docgen.model import DeliveryStatus
    from docgen.web import i18n, registry

    words = [*registry.ACTIONS.values(), *(str(s) for s in DeliveryStatus), "öppet", "reserverat", "makulerat",
             "Registrerad", "Arkiverad", "Makulerad", "Skriv varför posten tas bort ur felkön.", "Okänd status.",
             "År ska vara ett årtal mellan 1900 och 2100.", "Från ska vara ett datum, ÅÅÅÅ-MM-DD."]
    assert sorted(set(words) - set(i18n.catalog())) == []


#: The fixed texts a page's structure shows (headings, table heads, labels, buttons, terms, toggles).
FIXED = "main :is(h1, h2, h3, caption, th, label, button, dt, summary, legend)"


def untranslated(page) -> list[str]:
    """The page's fixed texts that are still a Swedish text of the catalog (one whose English differs)."""
    from docgen.web import i18n

    swedish = {sv for sv, en in i18n.catalog().items() if sv != en}
    return [t for t in (" ".join(t.split()) for t in page.locator(FIXED).all_inner_texts()) if t in swedish]


def test_search_case_registrar_failed_queue_and_status_pages_are_english_when_the_browser_asks(desk):
    ws, url, browser, tokens, shots = desk
    data = input_of("beslut", rubrik="Beslut om engelska sidor", datum="2026-05-04")
    r = requests.post(url + "/api/v1/dokument", json=data, headers={"Authorization": f"Bearer {tokens['Hanna Handläggare']}"},
                      timeout=30)
    assert r.status_code == 202, r.text
    status_url = r.json()["status_url"]
    dnr = wait_status(url, tokens["Hanna Handläggare"], status_url, timeout=120)["diarienummer"]
    sid = status_url.rstrip("/").rsplit("/", 1)[-1]
    broken = input_of("beslut", rubrik="Beslut med ett omöjligt datum", datum="2026-14-01")
    (ws / "inbox" / "omojligt.json").write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")
    pages = {lang: login(browser, url, "Rut Registrator", locale=loc) for lang, loc in (("sv", "sv-SE"), ("en", "en-GB"))}
    pages["sv"].goto(url + "/fel")
    expect(pages["sv"].get_by_role("link", name="omojligt.json")).to_be_visible(timeout=60_000)
    entry = pages["sv"].get_by_role("link", name="omojligt.json").get_attribute("href")
    visits = [  # path, the heading in Swedish, in English
        ("/sok?text=engelska", "Sök i diariet", "Search the register"),
        (f"/arende/{dnr}", f"Ärende {dnr}", f"Case {dnr}"),
        ("/registratur", "Registratur", "Registry office"),
        ("/fel", "Felkö", "Failed queue"),
        (entry, "Fel i omojligt.json", "Errors in omojligt.json"),
        (f"/inskickat/{sid}", "Inskickat dokument", "Submitted document"),
    ]
    for path, sv, en in visits:
        for lang, heading in (("sv", sv), ("en", en)):
            page = pages[lang]
            page.goto(url + path)
            assert page.locator("html").get_attribute("lang") == lang, path
            expect(page.get_by_role("heading", level=1)).to_have_text(heading)
            if lang == "en":
                assert untranslated(page) == [], path
                check(page, f"{path} (English)")
    en = pages["en"]
    en.goto(url + "/sok?text=engelska")
    expect(en.get_by_role("table")).to_contain_text("Registered")
    expect(en.get_by_role("link", name=re.compile(f"Download PDF of {dnr} document 1"))).to_be_visible()
    en.screenshot(path=str(shots / "43-english-search.png"), full_page=True)
    en.goto(url + f"/arende/{dnr}")
    expect(en.locator("#h1-v1")).to_have_text("Version 1")
    expect(en.locator(".handling")).to_contain_text("Created ")
    en.screenshot(path=str(shots / "44-english-case.png"), full_page=True)
    en.goto(url + "/registratur")
    en.get_by_role("button", name="Check all files").press("Enter")
    expect(en.get_by_role("heading", level=1)).to_have_text("Fixity check")
    expect(en.get_by_role("status")).to_contain_text("all are present and have their registered checksums")
    assert en.locator("html").get_attribute("lang") == "en" and untranslated(en) == []
    check(en, "fixity check (English)")
    en.get_by_role("link", name="Back to the registry").press("Enter")
    log = en.get_by_role("table", name=re.compile("events, the latest first"))
    expect(log).to_contain_text("Checked the files")
    assert "Kontrollerade filerna" not in log.inner_text()
    en.screenshot(path=str(shots / "45-english-registry.png"), full_page=True)
    en.goto(url + entry)
    en.get_by_role("button", name="Remove from the failed queue").press("Enter")
    expect(en.locator("#orsak-fel")).to_have_text("Write why the entry is taken out of the failed queue.")
    check(en, "failed entry without a reason (English)")
    sv = pages["sv"]
    sv.goto(url + "/registratur")
    expect(sv.get_by_role("table", name=re.compile("händelser, de senaste först"))).to_contain_text("Kontrollerade filerna")
    expect(sv.get_by_role("button", name="Kontrollera alla filer")).to_be_visible()
    for page in pages.values():
        page.close()


def test_a_posted_attachment_name_reads_only_the_officers_own_uploads(tmp_path):
    from docgen.web import formfiles

    mine, theirs = formfiles.folder(tmp_path, "Hanna Handläggare"), formfiles.folder(tmp_path, "Olle Omar")
    assert mine != theirs
    for where in (mine, theirs):
        where.mkdir(parents=True)
        (where / "0123456789abcdef-plan.pdf").write_bytes(blank_pdf())
    (tmp_path / "hemlig.pdf").write_bytes(b"%PDF-1.4 not for the form")
    named = ["0123456789abcdef-plan.pdf", "../hemlig.pdf", "0123456789abcdef-../../hemlig.pdf",
             str(tmp_path / "hemlig.pdf"), "0123456789abcdef-a\x00.pdf", "0123456789abcdef-" + "a" * 300 + ".pdf"]
    data = {"bilagor": [{"fil": n} for n in named]}
    assert list(formfiles.files(mine, data)) == ["0123456789abcdef-plan.pdf"]  # the rest is left to the checks to report
    formfiles.forget(mine, data)
    assert not (mine / "0123456789abcdef-plan.pdf").exists() and (theirs / "0123456789abcdef-plan.pdf").exists()

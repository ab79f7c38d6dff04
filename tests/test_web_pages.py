"""The web pages in a real browser (Debian's chromium driven by Playwright) against the real server, as an officer
uses them: every type's form filled in, an error made and fixed, a preview, the check page, registering, finding the
document and its PDF; a recipient picked from the named lists; a reader never sees a confidential document; the
failed queue takes a corrected input. axe-core checks every page and state for WCAG 2.1 A/AA violations, and no
accessible name shows an internal name. Screenshots go to /tmp/web-shots/."""
from __future__ import annotations

import json
import re
import shutil
import signal
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from conftest import ROOT
from docgen.plugins import Plugins
from webutil import Server, add_user, axe_violations, bad_names, input_of, make_workspace


CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path("/tmp/web-shots")
PASSWORD = "Sommar-i-Norrskog-26"

#: What an officer types into each type's form (the field's label path -> value), as (field name, value).
FORMS = {
    "uppdragshandling": {
        "rubrik": "Uppdrag om samordnad arkivredovisning", "datum": "2026-04-02",
        "uppdragsgivare.0.namn": "Karin Ödman", "uppdragsgivare.0.titel": "Regiondirektör",
        "uppdragstagare.0.namn": "Per Alm", "avsnitt.0.rubrik": "Bakgrund",
        "avsnitt.0.text": "Arkivredovisningen ska samordnas.\n\n- en förteckning\n- en plan"},
    "beslut": {
        "rubrik": "Beslut om ny rutin för posthantering", "datum": "2026-04-03",
        "beslutsinstans": "Regiondirektören", "beslutstyp": "verkställighetsbeslut",
        "beslutspunkter.0": "införa rutinen från den 1 maj 2026,", "underskrifter.0.namn": "Karin Ödman"},
    "lagesrapport?variant=program": {
        "rubrik": "Lägesrapport för e-arkivprogrammet", "datum": "2026-04-04",
        "program": "E-arkiv", "version": "1.0", "period.från": "2026-02",
        "period.till": "2026-03", "inledning": "Programmet följer planen.",
        "arbetsomraden.0.namn": "Införande", "arbetsomraden.0.summering": "Två förvaltningar är klara.",
        "arbetsomraden.0.planering": "Tre förvaltningar till."},
    "lagesrapport?variant=lagesbild": {
        "rubrik": "Lägesbild om vattenläckan", "datum": "2026-04-05",
        "sammanstalld": "2026-04-05T09:30", "avsnitt.0.rubrik": "Läget",
        "avsnitt.0.text": "Läckan är lagad och vattnet är drickbart."},
}


def schema_keys() -> set[str]:
    """Every field name in the built-in types' schemas whose label is another text: none may be an accessible name."""
    keys: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            for key, sub in (node.get("properties") or {}).items():
                if not isinstance(sub, dict) or sub.get("title", "").casefold() != key.casefold():
                    keys.add(key)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for t in Plugins().types.values():
        walk(t.full_schema())
    return keys


KEYS = schema_keys()


def check_page(page, what: str) -> None:
    """The page as it is now: no WCAG 2.1 A/AA violation, no internal name in its accessibility tree."""
    violations = axe_violations(page)
    assert violations == [], f"{what}: {json.dumps(violations, ensure_ascii=False, indent=1)}"
    assert bad_names(page, KEYS) == [], what


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    ws = make_workspace(tmp_path_factory.mktemp("webpages"))
    shutil.copy(ROOT / "distribution.yaml", ws / "distribution.yaml")
    add_user(ws, "Hanna Handläggare", "handlaggare", PASSWORD)
    add_user(ws, "Lars Läsare", "lasare", PASSWORD)
    add_user(ws, "Rut Registrator", "registrator", PASSWORD)
    server = Server(ws)
    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield ws, server.url, browser
        browser.close()
    assert server.stop() in (0, -signal.SIGTERM)


def login(browser, url, name):
    page = browser.new_page(viewport={"width": 1200, "height": 900}, accept_downloads=True, locale="sv-SE")
    page.set_default_timeout(15_000)
    page.goto(url + "/sok")
    expect(page).to_have_url(re.compile(r"/logga-in\?nasta="))
    page.get_by_label("Användarnamn").fill(name)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("heading", name="Sök i diariet")).to_be_visible()
    return page


def field(page, name: str):
    return page.locator(f"#dokumentformular [name='{name}']")


def fill(page, values: dict) -> None:
    for name, value in values.items():
        f = field(page, name)
        if f.evaluate("e => e.tagName") == "SELECT":
            f.select_option(value)
        else:
            f.fill(value)


def test_login_page_is_swedish_and_refuses_a_wrong_password(site):
    _, url, browser = site
    page = browser.new_page(locale="sv-SE")
    page.goto(url + "/logga-in")
    assert page.locator("html").get_attribute("lang") == "sv"
    check_page(page, "logga in")
    page.screenshot(path=str(SHOTS / "01-logga-in.png"))
    page.get_by_label("Användarnamn").fill("Lars Läsare")
    page.get_by_label("Lösenord").fill("fel-lösenord")
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("alert")).to_contain_text("Fel namn eller lösenord")
    check_page(page, "logga in, fel lösenord")
    page.close()


@pytest.mark.parametrize("form", list(FORMS))
def test_new_document_form_checks_previews_registers_and_is_found(site, form):
    ws, url, browser = site
    page = login(browser, url, "Hanna Handläggare")
    page.get_by_role("link", name="Nytt dokument").click()
    check_page(page, "nytt dokument")
    page.locator(f"a[href='/ny/{form}']").click()
    expect(field(page, "rubrik")).to_be_visible()
    shot = form.replace("?variant=", "-")
    check_page(page, f"{form}: tomt formulär")
    page.screenshot(path=str(SHOTS / f"02-ny-{shot}-tom.png"), full_page=True)
    # going on with an empty form: an error summary whose entries lead to their fields, each field's error beside it
    page.get_by_role("button", name="Fortsätt till granskning").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Fyll i rubrik.")
    expect(page.locator("#f-rubrik-fel")).to_contain_text("Fyll i rubrik.")
    assert field(page, "rubrik").get_attribute("aria-invalid") == "true"
    check_page(page, f"{form}: formulär med fel")
    page.screenshot(path=str(SHOTS / f"03-ny-{shot}-fel.png"), full_page=True)
    summary.get_by_role("link", name="Fyll i rubrik.").click()
    expect(field(page, "rubrik")).to_be_focused()
    # what was typed survives an error: fill everything but a bad date, go on, see only that error
    values = FORMS[form]
    fill(page, values | {"rubrik": values["rubrik"] + " "})
    if form == "beslut":
        field(page, "sekretess.bestämmelse").fill("21 kap. 3 § OSL")  # its date left empty: an error on that field
        page.get_by_role("button", name="Fortsätt till granskning").click()
        expect(page.get_by_role("alert")).to_contain_text("Fyll i datum för sekretessmarkering.")
        expect(page.get_by_role("alert").get_by_role("listitem")).to_have_count(1)
        assert field(page, "beslutsinstans").input_value() == values["beslutsinstans"]
        field(page, "sekretess.bestämmelse").fill("")
    page.get_by_role("button", name="Förhandsgranska som PDF").click()
    frame = page.locator("#forhandsvisning")
    expect(frame).to_be_visible(timeout=60_000)
    assert page.request.get(url + frame.get_attribute("src")).body().startswith(b"%PDF")
    check_page(page, f"{form}: förhandsgranskning")
    page.screenshot(path=str(SHOTS / f"04-ny-{shot}-forhandsgranskning.png"), full_page=True)
    page.get_by_role("button", name="Fortsätt till granskning").click()
    expect(page.get_by_role("heading", name="Granska innan du registrerar")).to_be_visible(timeout=30_000)
    expect(page.locator("dl.svar").first).to_contain_text(values["rubrik"])
    check_page(page, f"{form}: granska")
    page.screenshot(path=str(SHOTS / f"05-ny-{shot}-granska.png"), full_page=True)
    page.get_by_role("button", name="Registrera").click()
    expect(page.locator("#diarienummer")).to_be_visible(timeout=90_000)
    dnr = page.locator("#diarienummer").inner_text()
    assert re.fullmatch(r"RS 2026-\d{5}", dnr)
    check_page(page, f"{form}: registrerat")
    page.screenshot(path=str(SHOTS / f"06-registrerat-{shot}.png"))
    page.get_by_role("link", name="Sök i diariet").click()
    page.get_by_label("Ord i rubriken").fill(values["rubrik"])
    page.get_by_role("button", name="Sök").click()
    row = page.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(dnr)
    check_page(page, f"{form}: sökresultat")
    with page.expect_download() as download:
        row.get_by_role("link", name=re.compile("Ladda ned")).click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    page.screenshot(path=str(SHOTS / f"07-sok-{shot}.png"))
    row.get_by_role("link", name=dnr, exact=True).click()
    expect(page.get_by_role("heading", name=f"Ärende {dnr}")).to_be_visible()
    expect(page.locator("iframe.pdf")).to_have_count(1)
    expect(page.locator(".handling")).to_contain_text("av Hanna Handläggare (webben/API:t)")  # who submitted it
    records = [json.loads(r.read_text(encoding="utf-8")) for r in (ws / "outbox").rglob("*.json")]
    assert [r["skapad_av"] for r in records if r.get("diarienummer") == dnr] == ["Hanna Handläggare (webben/API:t)"]
    check_page(page, f"{form}: ärende")
    page.screenshot(path=str(SHOTS / f"08-arende-{shot}.png"), full_page=True)
    page.close()


def test_a_recipient_is_picked_from_the_named_lists_with_the_keyboard(site):
    _, url, browser = site
    page = login(browser, url, "Hanna Handläggare")
    page.goto(url + "/ny/uppdragshandling")
    fill(page, FORMS["uppdragshandling"] | {"rubrik": "Uppdrag om gallringsplan"})
    page.get_by_role("button", name="Lägg till grupp av mottagare").click()
    field(page, "skickas_till.0.syfte").fill("för kännedom")
    # the kind of recipient is a plain radio choice; the list a select of the workspace's lists, members shown
    group = page.get_by_role("group", name="Mottagare 1")
    radio = group.get_by_role("radio", name="Sändlista")
    radio.focus()
    page.keyboard.press("Space")
    expect(radio).to_be_checked()
    expect(group.get_by_label("Namn")).to_be_hidden()
    page.keyboard.press("Tab")  # the help's link to the lists' members, then the list itself
    expect(group.get_by_role("link", name="Sändlistor")).to_be_focused()
    page.keyboard.press("Tab")
    lista = group.get_by_role("combobox", name="Sändlista")
    expect(lista).to_be_focused()
    lista.select_option(label="Regionens ledningsgrupp (2 mottagare)")
    expect(page.get_by_role("region", name="Sändlistor")).to_contain_text("Maria Lindqvist")
    check_page(page, "mottagare från sändlista")
    page.screenshot(path=str(SHOTS / "09-mottagare-sandlista.png"), full_page=True)
    page.get_by_role("button", name="Fortsätt till granskning").click()
    expect(page.get_by_role("heading", name="Granska innan du registrerar")).to_be_visible(timeout=30_000)
    sent = page.get_by_role("heading", name="För kännedom").locator("xpath=following-sibling::ul[1]")
    expect(sent).to_contain_text("Maria Lindqvist")  # the list's members, as they will be sent to
    expect(sent).to_contain_text("Registraturen")
    page.close()


def test_reader_never_sees_a_confidential_document(site):
    ws, url, browser = site
    page = login(browser, url, "Hanna Handläggare")
    page.goto(url + "/ny/beslut")
    fill(page, FORMS["beslut"] | {"rubrik": "Beslut om skyddade personuppgifter",
                                  "sekretess.bestämmelse": "21 kap. 3 § OSL", "sekretess.datum": "2026-04-03"})
    page.get_by_role("button", name="Fortsätt till granskning").click()
    expect(page.locator(".info")).to_contain_text("sekretessmarkerat")
    page.get_by_role("button", name="Registrera").click()
    expect(page.locator("#diarienummer")).to_be_visible(timeout=90_000)
    dnr = page.locator("#diarienummer").inner_text()
    page.goto(url + f"/arende/{dnr}")
    expect(page.locator(".sekretess")).to_contain_text("21 kap. 3 § OSL")
    page.close()
    reader = login(browser, url, "Lars Läsare")
    reader.get_by_label("Ord i rubriken").fill("skyddade")
    reader.get_by_role("button", name="Sök").click()
    expect(reader.locator("tbody tr")).to_have_count(0)
    expect(reader.get_by_role("link", name="Nytt dokument")).to_have_count(0)
    reader.screenshot(path=str(SHOTS / "10-lasare-sok.png"))
    reader.goto(url + f"/arende/{dnr}")
    expect(reader.get_by_role("heading", level=1)).to_contain_text("finns inte")
    assert reader.request.get(url + f"/api/arenden/{dnr}/handlingar/1/pdf").status == 404
    check_page(reader, "läsare: finns inte")
    reader.screenshot(path=str(SHOTS / "11-lasare-sekretess.png"))
    reader.close()


def test_failed_queue_shows_the_report_and_takes_a_corrected_input(site):
    ws, url, browser = site
    broken = input_of("beslut", rubrik="Beslut med fel datum", datum="2026-13-01")
    (ws / "inbox" / "felaktigt.json").write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")
    page = login(browser, url, "Rut Registrator")
    page.get_by_role("link", name="Felkö").click()
    expect(page.get_by_role("link", name="felaktigt.json")).to_be_visible(timeout=30_000)
    check_page(page, "felkö")
    page.screenshot(path=str(SHOTS / "12-felko.png"))
    page.get_by_role("link", name="felaktigt.json").click()
    expect(page.locator("pre.rapport")).to_contain_text("fält datum")
    check_page(page, "felkö, en post")
    text = page.get_by_label(re.compile("Rättad indata")).input_value()
    page.get_by_label(re.compile("Rättad indata")).fill(text.replace("2026-13-01", "2026-12-01"))
    page.screenshot(path=str(SHOTS / "13-fel-post.png"), full_page=True)
    page.get_by_role("button", name="Skicka in rättad").click()
    expect(page.locator("#diarienummer")).to_be_visible(timeout=90_000)
    page.close()


def test_a_draft_is_saved_resumed_registered_and_a_new_one_started_from_it(site):
    _, url, browser = site
    page = login(browser, url, "Hanna Handläggare")
    page.goto(url + "/ny/beslut")
    fill(page, {"rubrik": "Beslut om sparat utkast", "beslutsinstans": "Styrgruppen för e-arkiv"})
    page.get_by_role("button", name="Spara utkast").click()
    expect(page.get_by_role("status")).to_contain_text("Utkastet är sparat")
    page.get_by_role("link", name="Mina dokument").first.click()
    drafts = page.get_by_role("table", name=re.compile("sparade utkast"))
    expect(drafts).to_contain_text("Beslut om sparat utkast")
    check_page(page, "mina dokument med utkast")
    page.screenshot(path=str(SHOTS / "14-mina-dokument-utkast.png"), full_page=True)
    drafts.get_by_role("link", name=re.compile("Beslut om sparat utkast")).click()
    expect(field(page, "beslutsinstans")).to_have_value("Styrgruppen för e-arkiv")  # resumed as it was saved
    fill(page, {"datum": "2026-04-06", "beslutstyp": "projektplan", "beslutspunkter.0": "fastställa projektplanen.",
                "underskrifter.0.namn": "Karin Ödman"})
    page.get_by_role("button", name="Fortsätt till granskning").click()
    page.get_by_role("button", name="Registrera").click()
    expect(page.locator("#diarienummer")).to_be_visible(timeout=90_000)
    dnr = page.locator("#diarienummer").inner_text()
    page.get_by_role("link", name="Mina dokument").first.click()
    expect(page.get_by_text("Inga sparade utkast")).to_be_visible()  # registered: the draft is gone
    sent = page.get_by_role("table", name=re.compile("dokument du har skickat in"))
    expect(sent.get_by_role("row").filter(has_text=dnr)).to_contain_text("Registrerad")
    check_page(page, "mina dokument")
    page.screenshot(path=str(SHOTS / "15-mina-dokument.png"), full_page=True)
    sent.get_by_role("row").filter(has_text=dnr).get_by_role("link", name=re.compile("Ny från denna")).click()
    expect(field(page, "beslutsinstans")).to_have_value("Styrgruppen för e-arkiv")
    expect(field(page, "beslutspunkter.0")).to_have_value("fastställa projektplanen.")
    assert field(page, "datum").input_value() != "2026-04-06"  # a new document gets today's date
    page.close()


def test_registrar_pages_logs_fixity_archive_and_dismissal(site):
    ws, url, browser = site
    broken = input_of("beslut", rubrik="Beslut som inte ska registreras", datum="2026-02-30")
    (ws / "inbox" / "dubblett.json").write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")
    page = login(browser, url, "Rut Registrator")
    page.get_by_role("link", name="Registratur").click()
    log = page.get_by_role("table", name=re.compile("händelser"))
    expect(log).to_contain_text("Hanna Handläggare")
    expect(log).to_contain_text("Skickade in")
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", page.locator("main").inner_text())  # no ISO time
    check_page(page, "registratur")
    page.screenshot(path=str(SHOTS / "16-registratur.png"), full_page=True)
    page.get_by_role("button", name="Kontrollera alla filer").click()
    expect(page.get_by_role("status")).to_contain_text("alla finns och har sina registrerade kontrollsummor")
    check_page(page, "kontroll av filer")
    page.screenshot(path=str(SHOTS / "17-kontroll.png"))
    page.get_by_role("link", name="Tillbaka till registraturen").click()
    dnr = page.get_by_label("Ärende att arkivera").locator("option").first.inner_text()
    page.get_by_label("Ärende att arkivera").select_option(dnr)
    page.get_by_role("button", name="Bygg arkivpaket").click()
    link = page.get_by_role("link", name=re.compile(r"Ladda ned .*\(ZIP\)")).first
    expect(link).to_be_visible(timeout=60_000)
    with page.expect_download() as download:
        link.click()
    import zipfile
    with zipfile.ZipFile(download.value.path()) as z:
        assert any(n.endswith("/METS.xml") for n in z.namelist())
    check_page(page, "registratur efter arkivering")
    page.goto(url + f"/arende/{dnr}")
    expect(page.locator(".handling").first).to_contain_text("Arkiverad")
    # the failed queue: dismissed with a reason, kept aside, logged
    page.get_by_role("link", name="Felkö").click()
    expect(page.get_by_role("link", name="dubblett.json")).to_be_visible(timeout=30_000)
    page.get_by_role("link", name="dubblett.json").click()
    page.get_by_role("button", name="Ta bort ur felkön").click()
    expect(page.get_by_role("alert")).to_contain_text("Skriv varför")
    check_page(page, "avföra utan orsak")
    page.get_by_label("Orsak").fill("Samma beslut kom in två gånger.")
    page.get_by_role("button", name="Ta bort ur felkön").click()
    expect(page.get_by_role("heading", name="Felkö")).to_be_visible()
    expect(page.get_by_role("link", name="dubblett.json")).to_have_count(0)
    kept = list((ws / "inbox" / "avfardade").glob("*/dubblett.json"))
    assert len(kept) == 1 and "Samma beslut kom in två gånger." in (kept[0].parent / "avfardad.txt").read_text(encoding="utf-8")
    page.get_by_role("link", name="Registratur").click()
    expect(page.get_by_role("table", name=re.compile("händelser"))).to_contain_text("Samma beslut kom in två gånger.")
    page.close()


def test_an_officer_fills_a_form_with_the_keyboard_only(site):
    """Tab from the top of the page, type into each field as it gets the focus, Enter to go on: the form needs no mouse."""
    _, url, browser = site
    page = login(browser, url, "Hanna Handläggare")
    page.goto(url + "/ny/uppdragshandling")
    # the test machine has no Swedish locale, so chromium draws date fields as mm/dd/yyyy: the keys for 2026-04-02
    values = FORMS["uppdragshandling"] | {"rubrik": "Uppdrag skrivet med tangentbordet", "datum": "04022026"}
    typed = set()
    for _ in range(60):
        page.keyboard.press("Tab")
        name = page.evaluate("document.activeElement && document.activeElement.name")
        if name in values and name not in typed:
            text = values[name]
            for i, part in enumerate(text.split("\n")):
                if i:
                    page.keyboard.press("Enter")  # a new line in a text area
                page.keyboard.type(part)
            typed.add(name)
        if typed == set(values):
            break
    assert typed == set(values)
    expect(field(page, "datum")).to_have_value("2026-04-02")
    field(page, "uppdragstagare.0.namn").focus()
    page.keyboard.press("Enter")  # Enter in a field goes on to the check page
    expect(page.get_by_role("heading", name="Granska innan du registrerar")).to_be_visible(timeout=30_000)
    expect(page.locator("main")).to_contain_text("Uppdrag skrivet med tangentbordet")
    page.close()


def test_free_text_has_a_toolbar_and_a_live_preview_of_the_markdown(site):
    _, url, browser = site
    page = login(browser, url, "Hanna Handläggare")
    page.goto(url + "/ny/uppdragshandling")
    text = field(page, "avsnitt.0.text")
    text.fill("Arkivet ska ")
    toolbar = page.get_by_role("toolbar", name="Formatera Text")
    toolbar.get_by_role("button", name="Fetstil").click()
    expect(text).to_have_value("Arkivet ska **fet text**")
    # one Tab stop per toolbar (WAI-ARIA toolbar): the arrow keys move between its buttons
    assert [b.get_attribute("tabindex") for b in toolbar.get_by_role("button").all()] == ["0", "-1", "-1", "-1", "-1"]
    toolbar.get_by_role("button", name="Fetstil").focus()
    page.keyboard.press("ArrowRight")
    expect(toolbar.get_by_role("button", name="Kursiv")).to_be_focused()
    text.press("End")
    page.keyboard.type("\n\n- en plan\n- en tabell")
    preview = page.get_by_role("region", name=re.compile("Så här blir text"))
    expect(preview.locator("strong")).to_have_text("fet text")  # drawn by the server's own Markdown parser
    expect(preview.get_by_role("listitem")).to_have_count(2)
    check_page(page, "fritext med verktygsrad och förhandsvisning")
    page.screenshot(path=str(SHOTS / "18-fritext.png"), full_page=True)
    page.close()

"""The web pages in a real browser (Debian's chromium driven by Playwright) against the real server: log in, fill
the new-document form of every type, preview, register, find the document, download its PDF; a reader never sees a
confidential document; the failed queue takes a corrected input. Screenshots go to /tmp/web-shots/."""
from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from webutil import Server, add_user, input_of, make_workspace

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path("/tmp/web-shots")
PASSWORD = "Sommar-i-Norrskog-26"

#: What an officer types into each type's form (field name in the form -> value).
FORMS = {
    "uppdragshandling": {
        "root[rubrik]": "Uppdrag om samordnad arkivredovisning", "root[datum]": "2026-04-02",
        "root[uppdragsgivare][0][namn]": "Karin Ödman", "root[uppdragsgivare][0][titel]": "Regiondirektör",
        "root[uppdragstagare][0][namn]": "Per Alm", "root[avsnitt][0][rubrik]": "Bakgrund",
        "root[avsnitt][0][text]": "Arkivredovisningen ska samordnas.\n\n- en förteckning\n- en plan"},
    "beslut": {
        "root[rubrik]": "Beslut om ny rutin för posthantering", "root[datum]": "2026-04-03",
        "root[beslutsinstans]": "Regiondirektören", "root[beslutstyp]": "verkställighetsbeslut",
        "root[beslutspunkter][0]": "införa rutinen från den 1 maj 2026,", "root[underskrifter][0][namn]": "Karin Ödman"},
    "lagesrapport?variant=program": {
        "root[rubrik]": "Lägesrapport för e-arkivprogrammet", "root[datum]": "2026-04-04",
        "root[program]": "E-arkiv", "root[version]": "1.0", "root[period][från]": "2026-02",
        "root[period][till]": "2026-03", "root[inledning]": "Programmet följer planen.",
        "root[arbetsomraden][0][namn]": "Införande", "root[arbetsomraden][0][summering]": "Två förvaltningar är klara.",
        "root[arbetsomraden][0][planering]": "Tre förvaltningar till."},
    "lagesrapport?variant=lagesbild": {
        "root[rubrik]": "Lägesbild om vattenläckan", "root[datum]": "2026-04-05",
        "root[sammanstalld]": "2026-04-05 09:30", "root[avsnitt][0][rubrik]": "Läget",
        "root[avsnitt][0][text]": "Läckan är lagad och vattnet är drickbart."},
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    ws = make_workspace(tmp_path_factory.mktemp("webpages"))
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


def fill(page, values: dict) -> None:
    for name, value in values.items():
        field = page.locator(f"#formular [name='{name}']")
        owner = name
        while field.is_disabled() and "[" in owner:  # an optional field, or in an optional group: tick it in first
            box = page.locator(f"[id='{owner}-opt-in']")
            if box.count() and not box.is_checked():
                box.check()
            owner = owner[:owner.rindex("[")]
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
            field.dispatch_event("change")


def test_login_page_is_swedish_and_refuses_a_wrong_password(site):
    _, url, browser = site
    page = browser.new_page(locale="sv-SE")
    page.goto(url + "/logga-in")
    assert page.locator("html").get_attribute("lang") == "sv"
    page.screenshot(path=str(SHOTS / "01-logga-in.png"))
    page.get_by_label("Användarnamn").fill("Lars Läsare")
    page.get_by_label("Lösenord").fill("fel-lösenord")
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("alert")).to_contain_text("Fel namn eller lösenord")
    page.close()


@pytest.mark.parametrize("form", list(FORMS))
def test_new_document_form_previews_registers_and_is_found(site, form):
    _, url, browser = site
    page = login(browser, url, "Hanna Handläggare")
    page.get_by_role("link", name="Nytt dokument").click()
    page.locator(f"a[href='/ny/{form}']").click()
    expect(page.locator("#formular [name='root[rubrik]']")).to_be_visible()
    shot = form.replace("?variant=", "-")
    # registering an empty form is refused by the server's checks, field by field
    page.get_by_role("button", name="Registrera").click()
    expect(page.locator("#meddelanden [role=alert]")).to_contain_text("fält rubrik")
    fill(page, FORMS[form])
    page.get_by_role("button", name="Förhandsgranska").click()
    expect(page.locator("#meddelanden [role=status]")).to_contain_text("Förhandsgranskningen är klar", timeout=30_000)
    assert page.locator("#forhandsvisning").get_attribute("src").startswith("blob:")
    page.screenshot(path=str(SHOTS / f"02-ny-{shot}.png"), full_page=True)
    page.get_by_role("button", name="Registrera").click()
    expect(page.locator("#diarienummer")).to_be_visible(timeout=60_000)
    dnr = page.locator("#diarienummer").inner_text()
    assert re.fullmatch(r"RS 2026-\d{5}", dnr)
    page.screenshot(path=str(SHOTS / f"03-registrerat-{shot}.png"))
    page.get_by_role("link", name="Sök i diariet").click()
    page.get_by_label("Ord i rubriken").fill(FORMS[form]["root[rubrik]"])
    page.get_by_role("button", name="Sök").click()
    row = page.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(dnr)
    with page.expect_download() as download:
        row.get_by_role("link", name=re.compile("Ladda ned")).click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    page.screenshot(path=str(SHOTS / f"04-sok-{shot}.png"))
    row.get_by_role("link", name=dnr, exact=True).click()
    expect(page.get_by_role("heading", name=f"Ärende {dnr}")).to_be_visible()
    expect(page.locator("iframe.pdf")).to_have_count(1)
    page.screenshot(path=str(SHOTS / f"05-arende-{shot}.png"), full_page=True)
    page.close()


def test_reader_never_sees_a_confidential_document(site):
    ws, url, browser = site
    page = login(browser, url, "Hanna Handläggare")
    page.goto(url + "/ny/beslut")
    fill(page, FORMS["beslut"] | {"root[rubrik]": "Beslut om skyddade personuppgifter"})
    fill(page, {"root[sekretess][bestämmelse]": "21 kap. 3 § OSL", "root[sekretess][datum]": "2026-04-03"})
    page.get_by_role("button", name="Registrera").click()
    expect(page.locator("#diarienummer")).to_be_visible(timeout=60_000)
    dnr = page.locator("#diarienummer").inner_text()
    page.goto(url + f"/arende/{dnr}")
    expect(page.locator(".sekretess")).to_contain_text("21 kap. 3 § OSL")
    page.close()
    reader = login(browser, url, "Lars Läsare")
    reader.get_by_label("Ord i rubriken").fill("skyddade")
    reader.get_by_role("button", name="Sök").click()
    expect(reader.locator("tbody tr")).to_have_count(0)
    expect(reader.get_by_role("link", name="Nytt dokument")).to_have_count(0)
    reader.screenshot(path=str(SHOTS / "06-lasare-sok.png"))
    reader.goto(url + f"/arende/{dnr}")
    expect(reader.get_by_role("heading", level=1)).to_contain_text("finns inte")
    assert reader.request.get(url + f"/api/arenden/{dnr}/handlingar/1/pdf").status == 404
    reader.screenshot(path=str(SHOTS / "07-lasare-sekretess.png"))
    reader.close()


def test_failed_queue_shows_the_report_and_takes_a_corrected_input(site):
    ws, url, browser = site
    broken = input_of("beslut", rubrik="Beslut med fel datum", datum="2026-13-01")
    (ws / "inbox" / "felaktigt.json").write_text(__import__("json").dumps(broken, ensure_ascii=False), encoding="utf-8")
    page = login(browser, url, "Rut Registrator")
    page.get_by_role("link", name="Felkö").click()
    expect(page.get_by_role("link", name="felaktigt.json")).to_be_visible(timeout=30_000)
    page.screenshot(path=str(SHOTS / "08-felko.png"))
    page.get_by_role("link", name="felaktigt.json").click()
    expect(page.locator("pre.rapport")).to_contain_text("fält datum")
    text = page.get_by_label(re.compile("Rättad indata")).input_value()
    page.get_by_label(re.compile("Rättad indata")).fill(text.replace("2026-13-01", "2026-12-01"))
    page.screenshot(path=str(SHOTS / "09-fel-post.png"), full_page=True)
    page.get_by_role("button", name="Skicka in rättad").click()
    expect(page.locator("#diarienummer")).to_be_visible(timeout=60_000)
    page.close()

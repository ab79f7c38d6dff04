"""Refused before numbering, and `docgen validate` agrees with render.

For every category of bad input: the input is refused with a clear problem naming the field and the
line, no row appears in the diarium's ``handling`` table (a refused input takes no number), nothing
is written to the outbox, ``engine.check`` (what `docgen validate` runs) gives the same verdict as
``engine.process``, and the CLI's `docgen validate` prints no traceback and exits 1. Inputs near a
limit that docgen accepts (an IDN e-mail domain, a title of 250 emoji) are accepted by all three and
registered.
"""
from __future__ import annotations

import io
import zipfile
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader, PdfWriter

from conftest import as_loaded, example, outbox_files, write_yaml


@pytest.fixture
def eng(workspace, make_engine):
    return make_engine(workspace)


def base(name: str = "beslut") -> dict:
    return as_loaded(example(name))


def handlings(engine) -> list[dict]:
    store = getattr(engine, "store", None) or engine.registry
    return store.query("select * from handling")


def cli_validate(workspace: Path, path: Path) -> int:
    """`docgen -w WS validate FILE`: its exit code; it must never print a traceback."""
    from docgen.cli import cli

    result = CliRunner().invoke(cli, ["-w", str(workspace), "validate", str(path)])
    output = result.output + (getattr(result, "stderr", "") or "")
    assert "Traceback" not in output, output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code


def verdicts(engine, workspace: Path, data: dict, name: str = "in.yaml"):
    return verdicts_of(engine, workspace, write_yaml(workspace / "inbox", name, data))


def verdicts_of(engine, workspace: Path, path: Path):
    """What the CLI says of an input file, then check and process; the three must agree."""
    code = cli_validate(workspace, path)
    checked = engine.check(path)
    processed = engine.process(path)
    assert checked.ok == processed.ok, (checked.error, processed.error)
    assert checked.error_kind == processed.error_kind, (checked.error, processed.error)
    assert [(p["field"], p["sv"]) for p in checked.problems] == [(p["field"], p["sv"]) for p in processed.problems]
    assert code == (0 if checked.ok else 1), (code, checked.error)
    return path, processed


def refused(engine, workspace: Path, data: dict, field: str, words: str | None = None, name: str = "in.yaml") -> dict:
    """The input is refused, before numbering, with a clear problem of ``field``; returns that problem."""
    return refused_file(engine, workspace, write_yaml(workspace / "inbox", name, data), field, words)


def refused_file(engine, workspace: Path, path: Path, field: str, words: str | None = None) -> dict:
    path, result = verdicts_of(engine, workspace, path)
    assert not result.ok and str(result.error_kind) == "input", result.error
    assert "Traceback" not in result.error and result.error.strip()
    problems = {p["field"]: p for p in result.problems}
    assert field in problems, f"no problem names {field}: {result.error}"
    p = problems[field]
    assert [q["field"] for q in result.problems].count(field) == 1, f"one problem per field: {result.error}"
    assert p["sv"].strip() and p["en"].strip() and p["fix_sv"].strip() and p["fix_en"].strip(), p
    assert isinstance(p["line"], int) and p["line"] >= 1, p
    assert field in result.error and p["sv"] in result.error and p["en"] in result.error
    if words:
        assert words in p["sv"] or words in p["en"], p
    assert handlings(engine) == [], "a refused input took a number"
    assert outbox_files(workspace) == []
    return p


def accepted(engine, workspace: Path, data: dict, name: str = "in.yaml"):
    path, result = verdicts(engine, workspace, data, name)
    assert result.ok, result.error
    assert result.diarienummer and [r["status"] for r in handlings(engine)][-1] == "registrerad"
    return result


def line_of(path: Path, text: str) -> int:
    """The line (1-based) of the first line of a file containing ``text``."""
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if text in line:
            return n
    raise AssertionError(f"{text!r} not in {path}")


# -- attachments --------------------------------------------------------------------------------

def pdf_bytes(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_pdf() -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes())))
    writer.encrypt("hemligt")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


BROKEN_ATTACHMENTS = {
    "trasig.pdf": (b"%PDF-1.4\nnot really a pdf", "trasig"),
    "avkortad.pdf": (pdf_bytes(3)[:400], "trasig"),
    "tom.pdf": (b"", "trasig"),
    "krypterad.pdf": (encrypted_pdf(), "krypterad"),
    "utan-sidor.pdf": (pdf_bytes(0), "inga sidor"),
    "text.docx": ("Det här är bara text med fel ändelse.\n".encode(), "ingen riktig DOCX"),
    "zip.docx": (zip_bytes({"readme.txt": b"ett zip-arkiv"}), "inget Word-dokument"),
    "trasig-xml.docx": (zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document"}), "trasig DOCX"),
}


@pytest.mark.parametrize("fil", sorted(BROKEN_ATTACHMENTS))
def test_broken_attachments_are_refused_before_numbering(eng, workspace, fil):
    data, words = BROKEN_ATTACHMENTS[fil]
    (workspace / "inbox" / fil).write_bytes(data)
    p = refused(eng, workspace, base() | {"bilagor": [{"fil": fil}]}, "bilagor[1].fil", words)
    assert fil in p["sv"]


@pytest.mark.parametrize("fil, words", [
    ("finns-inte.pdf", "finns inte"),
    ("../utanfor.pdf", "utanför"),
    ("/etc/hostname.pdf", "utanför"),
    ("..\\utanfor.pdf", "utanför"),
    ("C:\\Users\\x.pdf", "utanför"),
    ("lank.pdf", "länk"),
    ("bild.png", "varken PDF eller DOCX"),
    ("😀" * 196 + ".pdf", "kan inte läsas"),  # 788 bytes: more than a file name may have
])
def test_attachment_references_outside_or_missing(eng, workspace, fil, words):
    (workspace / "utanfor.pdf").write_bytes(pdf_bytes())
    (workspace / "inbox" / "lank.pdf").symlink_to(workspace / "utanfor.pdf")
    (workspace / "inbox" / "bild.png").write_bytes(b"\x89PNG\r\n")
    refused(eng, workspace, base() | {"bilagor": [{"fil": fil}]}, "bilagor[1].fil", words)


def test_a_good_attachment_next_to_a_broken_one_is_refused_too(eng, workspace):
    (workspace / "inbox" / "bra.pdf").write_bytes(pdf_bytes(2))
    (workspace / "inbox" / "trasig.pdf").write_bytes(b"%PDF-1.7\n%%EOF\n")
    data = base() | {"bilagor": [{"fil": "bra.pdf"}, {"fil": "trasig.pdf"}]}
    p = refused(eng, workspace, data, "bilagor[2].fil", "trasig")
    assert p["line"] == line_of(workspace / "inbox" / "in.yaml", "trasig.pdf")


@pytest.mark.parametrize("fil", ["bilaga.pdf", "Bilaga Å 😀.PDF", "b" * 196 + ".pdf"])  # 200 characters: the most allowed
def test_a_plain_pdf_attachment_is_accepted(eng, workspace, fil):
    (workspace / "inbox" / fil).write_bytes(pdf_bytes(2))
    result = accepted(eng, workspace, base() | {"bilagor": [{"fil": fil, "titel": "Bilaga 😀"}]})
    assert len(PdfReader(result.files["pdf"]).pages) >= 3
    assert any("PDF/A" in w for w in result.warnings)


# -- lengths: rubrik, sekretess ----------------------------------------------------------------

@pytest.mark.parametrize("n", [251, 252, 300])
def test_rubrik_over_250_characters_is_refused(eng, workspace, n):
    p = refused(eng, workspace, base() | {"rubrik": ("Å" * n)}, "rubrik", "250")
    assert str(n) in p["sv"]


@pytest.mark.parametrize("rubrik", [
    "😀" * 250,                      # 1000 bytes of UTF-8
    "👩‍👩‍👧" * 50,                    # joined emoji: 250 code points, cut inside a sequence
    "🇸🇪" * 125,                     # flags
    "Å" * 249 + "😀",
    "a" * 250,
])
def test_titles_within_the_limit_render_with_short_enough_file_names(eng, workspace, rubrik):
    assert len(rubrik) == 250
    result = accepted(eng, workspace, base() | {"rubrik": rubrik})
    for f in Path(result.folder).rglob("*"):
        assert len(f.name.encode("utf-8")) <= 255, f.name
    assert len(Path(result.folder).name.encode("utf-8")) <= 255


def test_sekretess_bestammelse_over_200_characters_is_refused(eng, workspace):
    data = base() | {"sekretess": {"bestämmelse": "25 kap. 1 § OSL " + "x" * 190, "datum": "2026-03-01"}}
    refused(eng, workspace, data, "sekretess.bestämmelse", "200")


# -- e-mail addresses --------------------------------------------------------------------------

def with_recipient(person: dict, name: str = "beslut") -> dict:
    return base(name) | {"skickas_till": [{"syfte": "för kännedom", "mottagare": [person]}]}


@pytest.mark.parametrize("address", [
    "åsa@example.se",            # non-ASCII local part
    "a@example.se\n",            # a trailing newline
    "a b@example.se",            # a space
    " a@example.se",
    "a@example.se ",
    "a@b",                       # no dot in the domain
    "a@@example.se",
    "Anna <a@example.se>",
    "a@example.se, b@example.se",
    "a@localhost",
])
def test_malformed_email_addresses_are_refused(eng, workspace, address):
    refused(eng, workspace, with_recipient({"namn": "Anna Berg", "epost": address}),
            "skickas_till[1].mottagare[1].epost", "e-post")


def test_malformed_email_of_a_party_is_refused(eng, workspace):
    data = base("lagesrapport-lagesbild") | {"talesperson": {"namn": "Karin Dahl", "epost": "karin@dahl"}}
    refused(eng, workspace, data, "talesperson.epost", "e-post")


@pytest.mark.parametrize("address, ascii_form", [
    ("namn@sub-domän.se", "namn@xn--sub-domn-6za.se"),
    ("Namn.Efternamn@ÅRE.se", "Namn.Efternamn@xn--re-xia.se"),
    ("x@räksmörgås.example.se", "x@xn--rksmrgs-5wao1o.example.se"),
])
def test_idn_domains_are_accepted_and_written_as_punycode(eng, workspace, address, ascii_form):
    result = accepted(eng, workspace, with_recipient({"namn": "Åsa Öberg", "epost": address}))
    [eml] = sorted(Path(result.folder).rglob("*.eml"))
    msg = BytesParser(policy=policy.SMTP).parsebytes(eml.read_bytes())
    assert [a.addr_spec for a in msg["To"].addresses] == [ascii_form]
    assert msg["To"].addresses[0].display_name == "Åsa Öberg"


@pytest.mark.parametrize("address", ["anna@example.se", "mottagare.med.lang.adress@avdelningen-for-lang-adress.example.se"])
@pytest.mark.parametrize("namn", ["Anna\nBcc: evil@example.com", "Anna\r\nBerg", "Ann, Berg\u2028Bo", "Åsa\r,"])
def test_a_recipient_name_cannot_add_header_lines(eng, workspace, namn, address):
    """A name with line breaks is text in the document; in the message it is one line of the To header."""
    result = accepted(eng, workspace, with_recipient({"namn": namn, "epost": address}))
    [eml] = sorted(Path(result.folder).rglob("*.eml"))
    raw = eml.read_bytes()
    msg = BytesParser(policy=policy.SMTP).parsebytes(raw)
    assert [a.addr_spec for a in msg["To"].addresses] == [address]
    assert msg["Bcc"] is None
    headers = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\n" not in headers.replace(b"\r\n", b"") and b"\r" not in headers.replace(b"\r\n", b"")
    names = [line.split(b":", 1)[0].lower() for line in headers.split(b"\r\n") if line[:1] not in (b" ", b"\t")]
    assert sorted(set(names)) == sorted({b"from", b"to", b"subject", b"date", b"message-id", b"mime-version",
                                         b"content-type", b"content-transfer-encoding"} & set(names)), names
    assert len(names) == len(set(names)), names


# -- dates and periods -------------------------------------------------------------------------

BAD_DATES = ["1899-12-31", "2101-01-01", "0001-01-01", "9999-12-31", "２０２４-01-01", "٢٠٢٤-٠١-٠١",
             "2024-02-30", "24-01-01", "2024-1-1", "2024-01-01T10:00"]


@pytest.mark.parametrize("value", BAD_DATES)
def test_dates_outside_1900_2100_or_not_ascii_are_refused(eng, workspace, value):
    refused(eng, workspace, base() | {"datum": value}, "datum", "datum")


@pytest.mark.parametrize("name, change, field", [
    ("beslut", {"sekretess": {"bestämmelse": "25 kap. 1 § OSL", "datum": "2101-01-01"}}, "sekretess.datum"),
    ("beslut", {"ersätter": {"diarienummer": "RS 2025-00777", "datum": "1899-12-31"}}, "ersätter.datum"),
    ("uppdragshandling", {"beslutsdatum": "２０２６-02-16"}, "beslutsdatum"),
    ("uppdragshandling", {"beslutsdatum": "1800-02-16"}, "beslutsdatum"),
    ("lagesrapport-lagesbild", {"kommunikationsinsatser": [{"datum": "2150-03-02", "text": "Nyhet"}]},
     "kommunikationsinsatser[1].datum"),
    ("lagesrapport-lagesbild", {"sammanstalld": "٢٠٢٦-03-02 14:30"}, "sammanstalld"),
    ("lagesrapport-lagesbild", {"sammanstalld": "2101-03-02 14:30"}, "sammanstalld"),
    ("lagesrapport-lagesbild", {"sammanstalld": "2026-02-30 14:30"}, "sammanstalld"),
    ("lagesrapport-program", {"period": {"från": "1899-12", "till": "2025-12"}}, "period.från"),
    ("lagesrapport-program", {"period": {"från": "２０２５-11", "till": "2025-12"}}, "period.från"),
    ("lagesrapport-program", {"period": {"från": "2025-11", "till": "٢٠٢٥-12"}}, "period.till"),
    ("lagesrapport-program", {"period": {"från": "2025-11", "till": "2101-01"}}, "period.till"),
    ("lagesrapport-program", {"period": {"från": "2025-12", "till": "2025-11"}}, "period.till"),
])
def test_other_dates_and_periods_are_refused(eng, workspace, name, change, field):
    refused(eng, workspace, base(name) | change, field)


# -- wrong types anywhere ----------------------------------------------------------------------

WRONG_TYPES = [
    ("beslut", {"bilagor": "x.pdf"}, "bilagor"),
    ("beslut", {"bilagor": ["x.pdf"]}, "bilagor[1]"),
    ("beslut", {"bilagor": [{"fil": 5}]}, "bilagor[1].fil"),
    ("beslut", {"bilagor": [{"fil": ["x.pdf"]}]}, "bilagor[1].fil"),
    ("beslut", {"skickas_till": 5}, "skickas_till"),
    ("beslut", {"skickas_till": "ledningsgruppen"}, "skickas_till"),
    ("beslut", {"skickas_till": [{"syfte": "x", "mottagare": [{"part": ["a"]}]}]}, "skickas_till[1].mottagare[1].part"),
    ("beslut", {"skickas_till": [{"syfte": "x", "mottagare": "x"}]}, "skickas_till[1].mottagare"),
    ("beslut", {"skickas_till": [{"syfte": "x", "mottagare": [{"namn": "x", "intern": "ja"}]}]},
     "skickas_till[1].mottagare[1].intern"),
    ("beslut", {"skickas_till": [{"syfte": 5, "mottagare": [{"namn": "x"}]}]}, "skickas_till[1].syfte"),
    ("beslut", {"skickas_till": [["x"]]}, "skickas_till[1]"),
    ("uppdragshandling", {"avsnitt": [1, 2]}, "avsnitt[1]"),
    ("uppdragshandling", {"avsnitt": [{"rubrik": "x", "text": ["a", "b"]}]}, "avsnitt[1].text"),
    ("uppdragshandling", {"avsnitt": [{"rubrik": "x", "text": {"a": "b"}}]}, "avsnitt[1].text"),
    ("uppdragshandling", {"uppdragsgivare": "Anna Berg"}, "uppdragsgivare"),
    ("uppdragshandling", {"uppdragstagare": [{"namn": ["Anna"]}]}, "uppdragstagare[1].namn"),
    ("beslut", {"datum": 2024}, "datum"),
    ("beslut", {"rubrik": ["a"]}, "rubrik"),
    ("beslut", {"rubrik": None}, "rubrik"),
    ("beslut", {"sekretess": "hemlig"}, "sekretess"),
    ("beslut", {"beslutspunkter": "starta projektet"}, "beslutspunkter"),
    ("beslut", {"beslutspunkter": [{"a": 1}]}, "beslutspunkter[1]"),
    ("beslut", {"närvarande": {"namn": "x"}}, "närvarande"),
    ("beslut", {"hänvisningar": [{"diarienummer": {"a": "b"}}]}, "hänvisningar[1].diarienummer"),
    ("beslut", {"överklagande": "ja"}, "överklagande"),
    ("beslut", {"status": True}, "status"),
    ("beslut", {"enhet": 5}, "enhet"),
    ("beslut", {"serie": ["RS"]}, "serie"),
    ("beslut", {"dokumenttyp": ["beslut"]}, "dokumenttyp"),
    ("lagesrapport-program", {"period": "2024-01"}, "period"),
    ("lagesrapport-program", {"version": 1.0}, "version"),
    ("lagesrapport-program", {"variant": 5}, "variant"),
    ("lagesrapport-lagesbild", {"talesperson": ["Karin"]}, "talesperson"),
    ("lagesrapport-lagesbild", {"kommunikationsinsatser": [{"datum": [1], "text": "x"}]}, "kommunikationsinsatser[1].datum"),
    ("lagesrapport-lagesbild", {"sammanstalld": 202603021430}, "sammanstalld"),
]


@pytest.mark.parametrize("name, change, field", WRONG_TYPES, ids=[f"{f}={c}"[:60] for _, c, f in WRONG_TYPES])
def test_wrong_types_are_refused_naming_the_field(eng, workspace, name, change, field):
    refused(eng, workspace, base(name) | change, field)


# -- free text that would not render as written ------------------------------------------------

RAGGED = """Tabellen nedan:

| Område | Ansvarig |
| --- | --- |
| Utbildning | Anna |
| Teknik | Bo | Extra |
"""


def test_a_ragged_markdown_table_is_refused_naming_field_and_line(eng, workspace):
    """The table in a block scalar (`text: |`), the way people write tables."""
    data = base("uppdragshandling")
    data["avsnitt"] = data["avsnitt"][:1] + [{"rubrik": "Ansvar", "text": "PLATS"}]
    text = write_yaml(workspace / "inbox", "in.yaml", data).read_text(encoding="utf-8")
    block = "|\n" + "".join(f"      {line}\n" if line else "\n" for line in RAGGED.splitlines())
    path = workspace / "inbox" / "in.yaml"
    path.write_text(text.replace("PLATS\n", block, 1), encoding="utf-8")
    p = refused_file(eng, workspace, path, "avsnitt[2].text", "tabell")
    assert p["line"] == line_of(path, "| Teknik | Bo | Extra |")


def test_a_ragged_table_in_a_quoted_scalar_names_its_line(eng, workspace):
    """The same table as PyYAML writes it (a quoted scalar: each line break is a blank line)."""
    data = base("beslut") | {"skäl": RAGGED}
    p = refused(eng, workspace, data, "skäl", "tabell")
    assert p["line"] == line_of(workspace / "inbox" / "in.yaml", "| Teknik | Bo | Extra |")


# -- the CLI on many inputs at once -------------------------------------------------------------

def test_validate_cli_exit_codes(workspace):
    """0 when every file is fine, 1 when one is refused; a report per refused file, never a traceback."""
    inbox = workspace / "inbox"
    good = [write_yaml(inbox, f"{n}.yaml", base(n)) for n in
            ("uppdragshandling", "beslut", "lagesrapport-program", "lagesrapport-lagesbild")]
    bad = [write_yaml(inbox, f"bad-{i}.yaml", base() | change) for i, (_, change, _) in enumerate(WRONG_TYPES[:8])]
    assert cli_validate(workspace, good[0]) == 0
    from docgen.cli import cli

    result = CliRunner().invoke(cli, ["-w", str(workspace), "validate", *map(str, good)])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(cli, ["-w", str(workspace), "validate", *map(str, good + bad)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    for path in bad:
        assert path.name in result.output

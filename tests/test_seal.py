"""The organisation's seal (PAdES) on registered PDFs, against a real PKI and timestamp authority (tests/pki.py)."""
from __future__ import annotations

import json
import logging

import pytest
from pypdf import PdfReader

from docgen.seal import check_pdf, trust_roots
from docgen.config import load_config
from tests.conftest import example, run, set_setting, write_yaml
from tests.pki import PASSWORD, make_pki

logging.getLogger("werkzeug").setLevel(logging.WARNING)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    p = make_pki(tmp_path_factory.mktemp("pki"))
    yield p
    p.close()


def _seal(ws, pki, monkeypatch, cert="seal", tsa=True, roots=("root.pem",)):
    monkeypatch.setenv("DOCGEN_SIGILL_LOSENORD", PASSWORD)
    set_setting(ws, "sigill", "pkcs12", str(pki.p12(cert)))
    set_setting(ws, "sigill", "tidsstampel_url", pki.tsa_url if tsa else "")
    set_setting(ws, "sigill", "betrodda_rotcertifikat", [str(pki.folder / r) for r in roots])


def _render(ws) -> dict:
    path = write_yaml(ws / "inbox", "u.yaml", example("uppdragshandling"))
    r = run(ws, "render", "--json", str(path))
    assert r.exit_code == 0, r.output
    return json.loads(r.output.strip().splitlines()[-1])



def test_registered_pdf_is_sealed_with_a_timestamp_and_verifies(workspace, pki, monkeypatch):
    _seal(workspace, pki, monkeypatch)
    assert "B-LT" in run(workspace, "config").output  # revocation information is there to embed
    out = _render(workspace)
    pdf = next((workspace / "outbox").rglob("*.pdf"))
    check = check_pdf(pdf, trust_roots(load_config(workspace)))
    assert check.sealed and check.problems == [], check.problems
    assert check.signer.startswith("Region Exempel sigill") and check.signed_at and check.level == "B-LT"
    # still PDF/A-2b: the seal is an incremental update after LibreOffice's file
    reader = PdfReader(pdf)
    assert reader.xmp_metadata.pdfaid_part == "2" and reader.xmp_metadata.pdfaid_conformance == "B"
    assert reader.get_fields()["Sigill"]["/FT"] == "/Sig"
    record = json.loads(next(pdf.parent.glob("*.json")).read_text(encoding="utf-8"))
    assert record["sigill"]["niva"] == "PAdES B-LT" and record["diarienummer"] == out["diarienummer"]
    r = run(workspace, "verify")
    assert r.exit_code == 0 and " 0 avvikelser" in r.output, r.output


def test_a_recipient_validates_the_seal_with_pyhanko_alone(workspace, pki, monkeypatch):
    """What any PAdES validator sees, without docgen: intact, trusted, timestamped."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext
    from asn1crypto import pem, x509

    _seal(workspace, pki, monkeypatch)
    _render(workspace)
    pdf = next((workspace / "outbox").rglob("*.pdf"))
    root = x509.Certificate.load(pem.unarmor(pki.root_pem.read_bytes())[2])
    with open(pdf, "rb") as f:
        sig = PdfFileReader(f).embedded_signatures[0]
        st = validate_pdf_signature(sig, ValidationContext(trust_roots=[root]),
                                    ts_validation_context=ValidationContext(trust_roots=[root]))
    assert st.bottom_line and st.intact and st.valid and st.trusted and st.timestamp_validity.trusted
    # the signed revision is the whole document; after it come only the embedded validation data (B-LT)
    assert st.coverage.name == "ENTIRE_REVISION" and st.modification_level.name == "LTA_UPDATES"


def test_one_changed_byte_fails_verify_with_a_clear_message(workspace, pki, monkeypatch):
    _seal(workspace, pki, monkeypatch)
    _render(workspace)
    pdf = next((workspace / "outbox").rglob("*.pdf"))
    data = bytearray(pdf.read_bytes())
    at = data.index(b"/Producer")  # inside the signed range: the document information
    data[at + 1] = ord("p")
    pdf.write_bytes(bytes(data))
    r = run(workspace, "verify")
    assert r.exit_code == 1
    assert "sigillet är brutet" in r.output and "the seal is broken" in r.output, r.output
    assert "kontrollsumman stämmer inte" in r.output


def test_content_added_after_the_seal_is_found(workspace, pki, monkeypatch):
    """A later incremental update that adds to a page: the signature is intact, yet the document is not what
    was sealed."""
    from io import BytesIO

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    _seal(workspace, pki, monkeypatch)
    _render(workspace)
    pdf = next((workspace / "outbox").rglob("*.pdf"))
    with open(pdf, "rb") as f:
        w = IncrementalPdfFileWriter(BytesIO(f.read()))
    from pyhanko.pdf_utils import generic

    stream = generic.StreamObject(stream_data=b"BT /F1 12 Tf 72 72 Td (Tillagd rad) Tj ET")
    w.add_stream_to_page(0, w.add_object(stream))
    out = BytesIO()
    w.write(out)
    pdf.write_bytes(out.getvalue())
    problems = check_pdf(pdf, trust_roots(load_config(workspace))).problems
    assert problems and "ändrats efter förseglingen" in problems[0], problems


def test_without_a_timestamp_authority_the_seal_is_b_b_and_says_so(workspace, pki, monkeypatch):
    _seal(workspace, pki, monkeypatch, tsa=False)
    assert "B-B, utan tidsstämpel" in run(workspace, "config").output
    _render(workspace)
    check = check_pdf(next((workspace / "outbox").rglob("*.pdf")), trust_roots(load_config(workspace)))
    assert check.sealed and check.problems == [] and check.level == "B-B" and not check.signed_at


def test_without_a_seal_nothing_changes_and_config_says_unsealed(workspace):
    assert "förseglas inte" in run(workspace, "config").output
    _render(workspace)
    pdf = next((workspace / "outbox").rglob("*.pdf"))
    assert not check_pdf(pdf, []).sealed
    assert "sigill" not in json.loads(next(pdf.parent.glob("*.json")).read_text(encoding="utf-8"))
    assert run(workspace, "verify").exit_code == 0


def test_drafts_are_not_sealed(workspace, pki, monkeypatch):
    _seal(workspace, pki, monkeypatch)
    path = write_yaml(workspace / "inbox", "d.yaml", example("beslut") | {"status": "utkast"})
    assert run(workspace, "render", str(path)).exit_code == 0
    assert not check_pdf(next((workspace / "outbox" / "utkast").rglob("*.pdf")), []).sealed


@pytest.mark.parametrize("cert, roots, password, words", [
    ("seal-expired", ("root.pem",), PASSWORD, "gäller 2020-01-01–2021-01-01, inte nu"),
    ("stranger", ("root.pem",), PASSWORD, "kan inte kontrolleras mot [sigill] betrodda_rotcertifikat"),
    ("seal", ("root.pem",), "fel-lösenord", "fel lösenord i miljövariabeln DOCGEN_SIGILL_LOSENORD"),
    ("seal", ("finns-inte.pem",), PASSWORD, "betrodda_rotcertifikat"),
], ids=["expired", "untrusted", "wrong-password", "missing-root"])
def test_an_unusable_seal_is_refused_at_start_before_any_number(workspace, pki, monkeypatch, cert, roots, password, words):
    _seal(workspace, pki, monkeypatch, cert=cert, roots=roots)
    monkeypatch.setenv("DOCGEN_SIGILL_LOSENORD", password)
    path = write_yaml(workspace / "inbox", "u.yaml", example("uppdragshandling"))
    r = run(workspace, "render", str(path))
    assert r.exit_code == 2 and words in r.output and "Traceback" not in r.output, r.output
    assert not list((workspace / "outbox").rglob("*.pdf"))
    assert run(workspace, "registry", "list").output.startswith("0")


def test_the_archive_package_keeps_the_sealed_pdf_and_records_the_check(workspace, pki, monkeypatch, tmp_path):
    from lxml import etree

    from tests.eark import schema_errors

    _seal(workspace, pki, monkeypatch)
    out = _render(workspace)
    sealed = next((workspace / "outbox").rglob("*.pdf")).read_bytes()
    r = run(workspace, "archive", "--out", str(tmp_path / "arkiv"), "--json", "--dnr", out["diarienummer"])
    assert r.exit_code == 0, r.output
    pkg = next(p for p in (tmp_path / "arkiv").iterdir() if p.is_dir())
    assert schema_errors(pkg)["metadata/descriptive/arende.xml"] == []
    pdf = next(pkg.rglob("*.pdf"))
    assert pdf.read_bytes() == sealed  # the package keeps the sealed file as registered
    fil = etree.parse(str(pkg / "metadata" / "descriptive" / "arende.xml")).find(
        ".//{https://docgen.invalid/xml/erms/1}fil[@sigill]")
    assert fil.get("sigill") == "giltigt" and fil.get("sigill_niva") == "PAdES B-LT" and fil.get("sigill_tidpunkt")


def test_the_readme_command_validates_a_sealed_pdf(workspace, pki, monkeypatch):
    """`pyhanko sign validate` as the README shows it: a recipient's check, without docgen."""
    import subprocess
    import sys
    from pathlib import Path

    _seal(workspace, pki, monkeypatch)
    _render(workspace)
    pdf = next((workspace / "outbox").rglob("*.pdf"))
    pyhanko = Path(sys.executable).parent / "pyhanko"
    cmd = [str(pyhanko), "sign", "validate", "--executive-summary", "--trust-replace",
           "--trust", str(pki.root_pem), str(pdf)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "VALID" in r.stdout and "INVALID" not in r.stdout, r.stdout + r.stderr
    data = bytearray(pdf.read_bytes())
    at = data.index(b"/Producer")
    data[at + 1] = ord("p")
    pdf.write_bytes(bytes(data))
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 or "INVALID" in r.stdout, r.stdout + r.stderr

"""The organisation's seal with its key on a PKCS#11 token: Debian's softhsm2, a real software token, holding
the seal key and certificates of tests/pki.py's PKI. Needs softhsm2 (`make test` installs it): without it
these tests fail, saying so, rather than skip."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from docgen.config import load_config
from docgen.seal import check_pdf, trust_roots
from tests.conftest import example, run, set_setting, write_yaml
from tests.pki import PASSWORD, make_pki

pytestmark = pytest.mark.softhsm

LIB = Path("/usr/lib/softhsm/libsofthsm2.so")
PIN = "24680"
SO_PIN = "13579135"
TOKEN = "Region Exempel"
EXPIRED_TOKEN = "Utgangen"


def _cert_object(session, label: str, ident: bytes, cert) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding
    from pkcs11 import Attribute, CertificateType, ObjectClass

    session.create_object({
        Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
        Attribute.TOKEN: True, Attribute.LABEL: label, Attribute.ID: ident,
        Attribute.SUBJECT: cert.subject.public_bytes(), Attribute.VALUE: cert.public_bytes(Encoding.DER)})


def _util(*args) -> None:
    r = subprocess.run(["softhsm2-util", *args], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr


def _tokens(spec: dict) -> None:
    """Tokens (label: (key PEM, key label, {certificate label: certificate})): each made and given its key by
    softhsm2-util, then its certificates by python-pkcs11 (the library sees only the tokens there are when it
    is loaded, so all are made first)."""
    import pkcs11

    for label, (key_pem, key_label, _certs) in spec.items():
        _util("--init-token", "--free", "--label", label, "--pin", PIN, "--so-pin", SO_PIN)
        _util("--import", str(key_pem), "--token", label, "--label", key_label, "--id", "01", "--pin", PIN)
    lib = pkcs11.lib(str(LIB))
    for label, (_key_pem, key_label, certs) in spec.items():
        with lib.get_token(token_label=label).open(rw=True, user_pin=PIN) as session:
            for i, (cert_label, cert) in enumerate(certs.items()):
                _cert_object(session, cert_label, b"\x01" if cert_label == key_label else bytes([i + 2]), cert)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    p = make_pki(tmp_path_factory.mktemp("pki"))
    yield p
    p.close()


@pytest.fixture(scope="module")
def tokens(pki, tmp_path_factory):
    """Two tokens in one softhsm2 token folder (the library reads its configuration once per process):
    `Region Exempel` with the seal key, its certificate and the intermediate CA; `Utgangen` with the same
    key under another label and the expired certificate."""
    if not LIB.is_file():
        pytest.fail(f"{LIB} saknas / is missing: Debian's softhsm2 is needed, run `make test` (it installs it)")
    from cryptography.hazmat.primitives.serialization import pkcs12

    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n",
                    encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOFTHSM2_CONF", str(conf))
        _key, seal, chain = pkcs12.load_key_and_certificates(pki.p12("seal").read_bytes(), PASSWORD.encode())
        _key, expired, _chain = pkcs12.load_key_and_certificates(pki.p12("seal-expired").read_bytes(),
                                                                PASSWORD.encode())
        interm = next(c for c in chain if "Test-CA" in c.subject.rfc4514_string())
        key = pki.folder / "seal.key.pem"
        _tokens({TOKEN: (key, "sigill", {"sigill": seal, "Test-CA": interm}),
                 EXPIRED_TOKEN: (key, "sigill-nyckel", {"sigill-utgangen": expired, "Test-CA": interm})})
        yield folder


def _seal(ws, pki, monkeypatch, token=TOKEN, key="sigill", cert="", pin=PIN, tsa=True, root=None):
    monkeypatch.setenv("DOCGEN_SIGILL_PIN", pin)
    set_setting(ws, "sigill", "pkcs11_modul", str(LIB))
    set_setting(ws, "sigill", "pkcs11_token", token)
    set_setting(ws, "sigill", "pkcs11_nyckel", key)
    set_setting(ws, "sigill", "pkcs11_certifikat", cert)
    set_setting(ws, "sigill", "tidsstampel_url", pki.tsa_url if tsa else "")
    set_setting(ws, "sigill", "betrodda_rotcertifikat", [str(root or pki.root_pem)])


def test_a_registered_pdf_is_sealed_with_the_key_on_the_token_and_verifies(workspace, pki, tokens, monkeypatch):
    from asn1crypto import pem, x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    _seal(workspace, pki, monkeypatch)
    config = run(workspace, "config").output
    assert "PKCS#11-token 'Region Exempel'" in config and "B-LT" in config, config
    path = write_yaml(workspace / "inbox", "u.yaml", example("uppdragshandling"))
    r = run(workspace, "render", "--json", str(path))
    assert r.exit_code == 0, r.output
    out = json.loads(r.output.strip().splitlines()[-1])
    pdf = next((workspace / "outbox").rglob("*.pdf"))
    check = check_pdf(pdf, trust_roots(load_config(workspace)))
    assert check.sealed and check.problems == [] and check.level == "B-LT", check
    assert check.signer.startswith("Region Exempel sigill")
    # what a recipient sees with pyHanko alone, against the test PKI's root
    root = x509.Certificate.load(pem.unarmor(pki.root_pem.read_bytes())[2])
    with open(pdf, "rb") as f:
        st = validate_pdf_signature(PdfFileReader(f).embedded_signatures[0], ValidationContext(trust_roots=[root]),
                                    ts_validation_context=ValidationContext(trust_roots=[root]))
    assert st.bottom_line and st.intact and st.valid and st.trusted and st.timestamp_validity.trusted
    record = json.loads(next(pdf.parent.glob("*.json")).read_text(encoding="utf-8"))
    assert record["sigill"]["niva"] == "PAdES B-LT" and record["diarienummer"] == out["diarienummer"]
    r = run(workspace, "verify")
    assert r.exit_code == 0 and " 0 avvikelser" in r.output, r.output


def test_documents_rendered_in_parallel_take_turns_on_the_token(workspace, pki, tokens, monkeypatch):
    """One token session in the process: the worker threads sign one at a time, and every PDF is sealed."""
    _seal(workspace, pki, monkeypatch, tsa=False)
    paths = [write_yaml(workspace / "inbox", f"u{i}.yaml", example("uppdragshandling") | {"rubrik": f"Arkivgrupp {i}"})
             for i in range(4)]
    r = run(workspace, "render", "--jobs", "2", *map(str, paths))
    assert r.exit_code == 0, r.output
    pdfs = list((workspace / "outbox").rglob("*.pdf"))
    roots = trust_roots(load_config(workspace))
    assert len(pdfs) == 4 and all(check_pdf(p, roots).problems == [] and check_pdf(p, roots).sealed for p in pdfs)
    r = run(workspace, "verify")
    assert r.exit_code == 0 and " 0 avvikelser" in r.output, r.output


@pytest.mark.parametrize("settings, pin, words", [
    ({}, "11111", "fel PIN i miljövariabeln DOCGEN_SIGILL_PIN"),
    ({}, "", "miljövariabeln DOCGEN_SIGILL_PIN med tokens PIN är inte satt"),
    ({"token": "Finns inte"}, PIN, "hittar ingen token 'Finns inte'"),
    ({"key": "annan"}, PIN, "har ingen nyckel 'annan'"),
    ({"token": EXPIRED_TOKEN, "key": "sigill-nyckel", "cert": "sigill-utgangen"}, PIN,
     "gäller 2020-01-01–2021-01-01, inte nu"),
    ({"root": "other"}, PIN, "[sigill] pkcs11_modul: sigillcertifikatet (Region Exempel sigill"),
], ids=["wrong-pin", "no-pin", "no-such-token", "no-such-key", "expired", "untrusted"])
def test_an_unusable_token_is_refused_at_start_before_any_number(workspace, pki, tokens, monkeypatch, settings,
                                                                 pin, words):
    if settings.get("root") == "other":
        settings = {"root": pki.other_root_pem}
    _seal(workspace, pki, monkeypatch, pin=pin, **settings)
    if not pin:
        monkeypatch.delenv("DOCGEN_SIGILL_PIN")
    path = write_yaml(workspace / "inbox", "u.yaml", example("uppdragshandling"))
    r = run(workspace, "render", str(path))
    assert r.exit_code == 2 and words in r.output and "Traceback" not in r.output, r.output
    assert not list((workspace / "outbox").rglob("*.pdf"))
    assert run(workspace, "registry", "list").output.startswith("0")


def test_pkcs12_and_pkcs11_together_is_a_config_error(workspace, pki, tokens, monkeypatch):
    _seal(workspace, pki, monkeypatch)
    set_setting(workspace, "sigill", "pkcs12", str(pki.p12("seal")))
    r = run(workspace, "config")
    assert r.exit_code == 2 and "inte båda" in r.output and "not both" in r.output, r.output
    assert "Traceback" not in r.output

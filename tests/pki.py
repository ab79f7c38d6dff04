"""A real PKI for the seal tests, made by certomancer: a root, an intermediate with OCSP and CRLs, the
organisation's seal certificate, an expired one, one from an untrusted root, and an RFC 3161 timestamp
authority — all served over HTTP on loopback by certomancer's Animator."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEYS = ("root", "interm", "interm-ocsp", "tsa", "seal", "other-root", "stranger")
PASSWORD = "hemligt-sigill"

_CERT_KU = [{"id": "key_usage", "critical": True,
             "smart-value": {"schema": "key-usage", "params": ["digital_signature", "non_repudiation"]}}]
_CA_EXT = [{"id": "basic_constraints", "critical": True, "value": {"ca": True}},
           {"id": "key_usage", "critical": True,
            "smart-value": {"schema": "key-usage", "params": ["digital_signature", "key_cert_sign", "crl_sign"]}}]


def _config(prefix: str) -> dict:
    valid = {"valid-from": "2020-01-01T00:00:00+0000", "valid-to": "2090-01-01T00:00:00+0000"}
    revocation = [
        {"id": "crl_distribution_points", "smart-value": {"schema": "crl-dist-url", "params": {"crl-repo-names": ["interm"]}}},
        {"id": "authority_information_access",
         "smart-value": {"schema": "aia-urls", "params": {"ocsp-responder-names": ["interm"]}}},
    ]
    return {
        "external-url-prefix": prefix,
        "keysets": {"test": {"keys": {k: {"path": f"{k}.key.pem"} for k in KEYS}}},
        "pki-architectures": {"region": {
            "keyset": "test",
            "entity-defaults": {"country-name": "SE", "organization-name": "Region Exempel (test)"},
            "entities": {
                "root": {"common-name": "Testrot"}, "interm": {"common-name": "Test-CA"},
                "interm-ocsp": {"common-name": "Test-OCSP"}, "tsa": {"common-name": "Test-tidsstämpling"},
                "seal": {"common-name": "Region Exempel sigill"}, "other-root": {"common-name": "Okänd rot"},
                "stranger": {"common-name": "Främmande sigill"},
            },
            "certs": {
                "root": {"subject": "root", "issuer": "root", "validity": valid, "extensions": _CA_EXT},
                "interm": {"issuer": "root", "validity": valid, "extensions": _CA_EXT + [
                    {"id": "crl_distribution_points",
                     "smart-value": {"schema": "crl-dist-url", "params": {"crl-repo-names": ["root"]}}}]},
                "interm-ocsp": {"issuer": "interm", "validity": valid, "extensions": [
                    {"id": "key_usage", "critical": True, "smart-value": {"schema": "key-usage", "params": ["digital_signature"]}},
                    {"id": "extended_key_usage", "critical": True, "value": ["ocsp_signing"]},
                    {"id": "ocsp_no_check"}]},
                "tsa": {"issuer": "root", "validity": valid, "extensions": [
                    {"id": "key_usage", "critical": True, "smart-value": {"schema": "key-usage", "params": ["digital_signature"]}},
                    {"id": "extended_key_usage", "critical": True, "value": ["time_stamping"]}]},
                "seal": {"issuer": "interm", "validity": valid, "extensions": _CERT_KU + revocation},
                "seal-expired": {"subject": "seal", "subject-key": "seal", "issuer": "interm",
                                 "validity": {"valid-from": "2020-01-01T00:00:00+0000", "valid-to": "2021-01-01T00:00:00+0000"},
                                 "extensions": _CERT_KU},
                "other-root": {"subject": "other-root", "issuer": "other-root", "validity": valid, "extensions": _CA_EXT},
                "stranger": {"issuer": "other-root", "validity": valid, "extensions": _CERT_KU},
            },
            "services": {
                "ocsp": {"interm": {"for-issuer": "interm", "responder-cert": "interm-ocsp", "signing-key": "interm-ocsp"}},
                "crl-repo": {"root": {"for-issuer": "root", "signing-key": "root", "simulated-update-schedule": "P90D"},
                             "interm": {"for-issuer": "interm", "signing-key": "interm", "simulated-update-schedule": "P30D"}},
                "time-stamping": {"tsa": {"signing-key": "tsa", "signing-cert": "tsa"}},
            },
        }},
    }


@dataclass
class TestPki:
    folder: Path
    url: str  # the Animator's base URL
    server: object

    @property
    def tsa_url(self) -> str:
        return f"{self.url}/region/tsa/tsa"

    @property
    def root_pem(self) -> Path:
        return self.folder / "root.pem"

    @property
    def other_root_pem(self) -> Path:
        return self.folder / "other-root.pem"

    def p12(self, label: str = "seal") -> Path:
        return self.folder / f"{label}.p12"

    def close(self) -> None:
        self.server.shutdown()


def make_pki(folder: Path) -> TestPki:
    """Keys, certificates, PKCS#12 files and PEM roots in ``folder``; the services on a free loopback port."""
    from certomancer.integrations.animator import Animator, AnimatorArchStore
    from certomancer.registry import CertLabel, CertomancerConfig
    from werkzeug.serving import make_server

    folder.mkdir(parents=True, exist_ok=True)
    for k in KEYS:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        (folder / f"{k}.key.pem").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    # the port first (the URLs are in the certificates), then the app on it
    server = make_server("127.0.0.1", 0, lambda env, start: app(env, start), threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    cfg = CertomancerConfig.from_yaml(yaml.safe_dump(_config(url)), key_search_dir=str(folder))
    arch = cfg.get_pki_arch("region")
    app = Animator(AnimatorArchStore({"region": arch}), with_web_ui=False)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    for label in ("seal", "seal-expired", "stranger"):
        (folder / f"{label}.p12").write_bytes(arch.package_pkcs12(CertLabel(label), password=PASSWORD.encode()))
    for label in ("root", "other-root"):
        (folder / f"{label}.pem").write_bytes(_pem(arch.get_cert(CertLabel(label))))
    return TestPki(folder, url, server)


def _pem(cert) -> bytes:
    from asn1crypto import pem

    return pem.armor("CERTIFICATE", cert.dump())

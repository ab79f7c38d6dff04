"""The organisation's seal: every registered PDF signed with the seal certificate (PAdES), and checked.

pyHanko signs as an incremental update, so the PDF/A file LibreOffice wrote stays byte for byte and
the signature follows it. With a timestamp authority (`[sigill] tidsstampel_url`) the seal is PAdES
B-T, and B-LT when the certificate names where its revocation information is (OCSP, CRL) and that
information could be fetched and embedded; without one it is B-B. The key and certificate come from a
PKCS#12 file (`[sigill] pkcs12`) or a PKCS#11 token (`[sigill] pkcs11_modul`, seal_pkcs11.py); without
either nothing is sealed and docgen works as before.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .config import Config
from .errors import ConfigError

log = logging.getLogger("docgen")

FIELD = "Sigill"
#: What the signature dictionary says of the seal (it is the organisation's, not a person's).
REASON = "Registrerad handling / registered document"


def _wait(coro):
    """Run one of pyhanko-certvalidator's coroutines to its end, also from a thread with a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _load_roots(config: Config) -> list:
    from asn1crypto import pem, x509

    roots = []
    for name in config.settings.sigill.betrodda_rotcertifikat:
        path = _path(config, name)
        try:
            data = path.read_bytes()
            for _kind, _headers, der in pem.unarmor(data, multiple=True) if pem.detect(data) else [(0, 0, data)]:
                roots.append(x509.Certificate.load(der))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"[sigill] betrodda_rotcertifikat: {path} kan inte läsas / cannot be read: {exc}") from exc
    return roots


def _path(config: Config, value: str) -> Path:
    p = Path(os.path.expanduser(value))
    return p if p.is_absolute() else config.workspace / p


def _validation_context(roots: list, fetch: bool, moment: datetime | None = None):
    from pyhanko_certvalidator import ValidationContext

    return ValidationContext(trust_roots=roots, allow_fetching=fetch, revocation_mode="soft-fail", moment=moment)


@dataclass
class Check:
    """What validating one sealed PDF found."""

    sealed: bool
    problems: list[str]
    signer: str = ""
    signed_at: str = ""
    level: str = ""


class Seal:
    """The seal certificate and key, loaded and checked once per process."""

    def __init__(self, config: Config):
        s = config.settings.sigill
        self._lock = contextlib.nullcontext()  # a token's session: one signature at a time
        if s.pkcs11_modul:
            from .seal_pkcs11 import open_signer

            self.source = "[sigill] pkcs11_modul"
            token = f" {s.pkcs11_token!r}" if s.pkcs11_token else ""
            self.held = (f" (nyckeln på PKCS#11-token{token})", f" (the key on PKCS#11 token{token})")
            self.signer, self._lock = open_signer(s, _path(config, s.pkcs11_modul))
        else:
            self.source = "[sigill] pkcs12"
            self.held = ("", "")
            self.signer = self._load_pkcs12(config)
        self.cert = self.signer.signing_cert
        self.subject = _name(self.cert)
        self.roots = _load_roots(config)
        self.tsa_url = s.tidsstampel_url
        self.timeout = s.timeout
        self._check_certificate()
        # B-LT needs somewhere to fetch revocation information from, and roots to build the path to
        self.long_term = bool(self.roots) and bool(self.cert.ocsp_urls or self.cert.crl_distribution_points)

    def _load_pkcs12(self, config: Config):
        from pyhanko.sign import signers

        s = config.settings.sigill
        self.pkcs12 = _path(config, s.pkcs12)
        env = s.losenord_miljo
        password = os.environ.get(env, "")
        try:
            data = self.pkcs12.read_bytes()
        except OSError as exc:
            raise ConfigError(f"[sigill] pkcs12: {self.pkcs12} kan inte läsas / cannot be read: {exc.strerror}") from exc
        from cryptography.hazmat.primitives.serialization import pkcs12

        try:  # opened here first, for a clear message (pyHanko only logs why it could not)
            key, cert, _others = pkcs12.load_key_and_certificates(data, password.encode() or None)
        except (ValueError, TypeError) as exc:
            raise ConfigError(
                f"[sigill] pkcs12: {self.pkcs12} kan inte öppnas (fel lösenord i miljövariabeln {env}, eller ingen "
                f"PKCS#12-fil) / cannot be opened (wrong password in the environment variable {env}, or not a "
                "PKCS#12 file)") from exc
        signer = None
        if key is not None and cert is not None:
            signer = signers.SimpleSigner.load_pkcs12(self.pkcs12, passphrase=password.encode() or None)
        if signer is None or signer.signing_cert is None:
            raise ConfigError(f"[sigill] pkcs12: {self.pkcs12} innehåller ingen nyckel med certifikat / "
                              "holds no key with a certificate")
        return signer

    def _check_certificate(self) -> None:
        """Refuse, at start, a seal certificate that is expired, not yet valid or not trusted."""
        now = datetime.now(timezone.utc)
        valid = self.cert["tbs_certificate"]["validity"]
        start, end = valid["not_before"].native, valid["not_after"].native
        if now < start or now > end:
            raise ConfigError(
                f"{self.source}: sigillcertifikatet ({self.subject}) gäller {start:%Y-%m-%d}–{end:%Y-%m-%d}, inte nu; "
                f"skaffa ett giltigt / the seal certificate is valid {start:%Y-%m-%d} to {end:%Y-%m-%d}, not now; "
                "get a valid one")
        if not self.roots:
            return
        from pyhanko_certvalidator import CertificateValidator

        validator = CertificateValidator(self.cert, intermediate_certs=list(self.signer.cert_registry),
                                         validation_context=_validation_context(self.roots, fetch=False))
        try:
            _wait(validator.async_validate_usage({"digital_signature"}))
        except Exception as exc:  # noqa: BLE001 - path building and usage errors have several classes
            raise ConfigError(
                f"{self.source}: sigillcertifikatet ({self.subject}) kan inte kontrolleras mot "
                f"[sigill] betrodda_rotcertifikat ({type(exc).__name__}: {exc}) / the seal certificate cannot be "
                "validated against the trusted roots") from exc

    def describe(self) -> str:
        """One line for `docgen config` and the log: what the PDFs get."""
        level = ("B-LT" if self.long_term else "B-T") if self.tsa_url else "B-B"
        sv, en = self.held
        if self.tsa_url:
            return (f"PDF:erna förseglas med {self.subject}{sv}, PAdES {level}, tidsstämpel från {self.tsa_url} / "
                    f"PDFs are sealed with {self.subject}{en}, PAdES {level}, timestamp from {self.tsa_url}")
        return (f"PDF:erna förseglas med {self.subject}{sv}, PAdES B-B, utan tidsstämpel ([sigill] tidsstampel_url är "
                f"tom) / PDFs are sealed with {self.subject}{en}, PAdES B-B, without a timestamp ([sigill] "
                "tidsstampel_url is empty)")

    def sign(self, pdf: Path, diarienummer: str) -> dict:
        """Seal ``pdf`` in place (a temporary file, then a rename); returns what the record says of it."""
        tmp = pdf.with_name(pdf.name + ".sigill")
        level = "B-B"
        if self.tsa_url:
            level = "B-LT" if self.long_term else "B-T"
        try:
            try:
                self._sign(pdf, tmp, diarienummer, level)
            except Exception as exc:  # noqa: BLE001 - revocation information could not be had: seal without it
                if level != "B-LT":
                    raise
                log.warning("%s: revocation information for B-LT could not be embedded (%s); sealed as B-T",
                            pdf.name, exc)
                level = "B-T"
                self._sign(pdf, tmp, diarienummer, level)
            os.replace(tmp, pdf)
        finally:
            tmp.unlink(missing_ok=True)
        return {"niva": f"PAdES {level}", "certifikat": self.subject,
                "tidsstampel": bool(self.tsa_url)}

    def _sign(self, pdf: Path, out: Path, diarienummer: str, level: str) -> None:
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers, timestamps

        meta = signers.PdfSignatureMetadata(
            field_name=FIELD, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES,
            reason=REASON, name=f"{self.subject} ({diarienummer})",
            embed_validation_info=level == "B-LT",
            validation_context=_validation_context(self.roots, fetch=True) if level == "B-LT" else None)
        stamper = timestamps.HTTPTimeStamper(self.tsa_url, timeout=self.timeout) if self.tsa_url else None
        with self._lock, open(pdf, "rb") as inf, open(out, "wb") as outf:
            writer = IncrementalPdfFileWriter(inf, strict=False)
            signers.sign_pdf(writer, meta, signer=self.signer, timestamper=stamper, output=outf)
            outf.flush()
            os.fsync(outf.fileno())


def from_config(config: Config) -> Seal | None:
    """The workspace's seal, or None when neither `[sigill] pkcs12` nor `pkcs11_modul` is set; ConfigError when
    it cannot be used."""
    s = config.settings.sigill
    if s.pkcs12 and s.pkcs11_modul:
        raise ConfigError("[sigill]: ange antingen pkcs12 eller pkcs11_modul, inte båda / "
                          "set either pkcs12 or pkcs11_modul, not both")
    if not s.pkcs12 and not s.pkcs11_modul:
        return None
    return Seal(config)


def describe(config: Config) -> str:
    """What `docgen config` says of the seal."""
    seal = from_config(config)
    return seal.describe() if seal else ("PDF:erna förseglas inte ([sigill] pkcs12 och pkcs11_modul är tomma) / "
                                         "PDFs are not sealed ([sigill] pkcs12 and pkcs11_modul are empty)")


def check_pdf(pdf: Path, roots: list) -> Check:
    """Validate every signature in ``pdf``: intact, covering the whole file, chained to ``roots``, and the
    timestamp's own signature. A PDF without a signature is reported as unsealed, not as a problem."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    problems: list[str] = []
    try:
        with open(pdf, "rb") as f:
            reader = PdfFileReader(f, strict=False)
            sigs = list(reader.embedded_signatures)
            if not sigs:
                return Check(False, [])
            check = Check(True, problems)
            for sig in sigs:
                vc = _validation_context(roots, fetch=False)
                try:
                    st = validate_pdf_signature(sig, signer_validation_context=vc, ts_validation_context=vc)
                except (SignatureValidationError, ValueError) as exc:
                    problems.append(f"sigillet kan inte kontrolleras / the seal cannot be validated: {exc}")
                    continue
                check.signer = _name(st.signing_cert) if st.signing_cert else ""
                if st.timestamp_validity is not None:
                    check.signed_at = st.timestamp_validity.timestamp.isoformat()
                    check.level = "B-LT" if reader.root.get("/DSS") is not None else "B-T"
                else:
                    check.level = "B-B"
                if not st.intact or not st.valid:
                    problems.append("sigillet är brutet: filen har ändrats efter förseglingen / the seal is broken: "
                                    "the file was changed after it was sealed")
                elif st.coverage != SignatureCoverageLevel.ENTIRE_FILE and not (
                        st.coverage == SignatureCoverageLevel.ENTIRE_REVISION and st.modification_level is not None
                        and st.modification_level <= ModificationLevel.LTA_UPDATES):  # B-LT: validation data after it
                    problems.append("filen har ändrats efter förseglingen (något är tillagt efter sigillet) / the file "
                                    "was changed after it was sealed (something was added after the seal)")
                if roots and not st.trusted:
                    problems.append(f"sigillets certifikat ({check.signer}) leder inte till en betrodd rot "
                                    "([sigill] betrodda_rotcertifikat) / the seal's certificate does not chain to a "
                                    "trusted root")
                ts = st.timestamp_validity
                if ts is not None and (not ts.intact or not ts.valid or (roots and not ts.trusted)):
                    problems.append("sigillets tidsstämpel är ogiltig eller inte betrodd / the seal's timestamp is "
                                    "invalid or not trusted")
    except Exception as exc:  # noqa: BLE001 - a damaged file is a finding, not a crash
        return Check(True, [f"PDF:en kan inte läsas för kontroll av sigillet / the PDF cannot be read to check its "
                            f"seal: {type(exc).__name__}: {exc}"])
    return check


def _name(cert) -> str:
    """A certificate's subject as a person reads it: its common name (and organisation)."""
    subject = cert.subject.native
    name = subject.get("common_name") or cert.subject.human_friendly
    org = subject.get("organization_name")
    return f"{name} ({org})" if org and org not in name else name


def trust_roots(config: Config) -> list:
    """The configured trust roots, for checking sealed PDFs."""
    return _load_roots(config)

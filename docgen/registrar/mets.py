"""The building blocks of an archival package's XML (METS, FGS/E-ARK CSIP): namespaces, schema files, MIME
types, elements with prefixed names, file entries with their SHA-256, relative references."""
from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from lxml import etree

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
PROFILE = "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml"
ERMS_NS = "https://docgen.invalid/xml/erms/1"
NS = {
    "mets": "http://www.loc.gov/METS/",
    "xlink": "http://www.w3.org/1999/xlink",
    "csip": "https://DILCIS.eu/XML/METS/CSIPExtensionMETS",
    "sip": "https://DILCIS.eu/XML/METS/SIPExtensionMETS",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "erms": ERMS_NS,
}
METS_NSMAP = {k: NS[k] for k in ("mets", "xlink", "csip", "sip", "xsi")}
SCHEMA_FILES = {"mets": "mets.xsd", "xlink": "xlink.xsd", "csip": "DILCISExtensionMETS.xsd", "sip": "DILCISExtensionSIPMETS.xsd"}
MIME = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xml": "text/xml",
    ".xsd": "text/xml",
    ".txt": "text/plain",
}
PACKAGE_TYPE = "Textual works – Digital"
CONTENT_TYPE = {"csip:CONTENTINFORMATIONTYPE": "OTHER", "csip:OTHERCONTENTINFORMATIONTYPE": "FGS Ärendehantering"}


def _qname(name: str) -> str:
    if ":" not in name:
        return name
    prefix, local = name.split(":", 1)
    return f"{{{NS[prefix]}}}{local}"


def _el(parent, tag: str, attrs: dict | None = None, text: str | None = None, nsmap: dict | None = None):
    """An element (``prefix:name`` tags and attribute names) appended to parent, or a root if parent is None."""
    attrib = {_qname(k): str(v) for k, v in (attrs or {}).items() if v is not None}
    el = etree.Element(_qname(tag), attrib, nsmap=nsmap) if parent is None else etree.SubElement(parent, _qname(tag), attrib)
    if text is not None:
        el.text = str(text)
    return el


def href(path: Path, base: Path) -> str:
    """The URL-encoded relative reference to path from folder base (each segment percent-encoded)."""
    return "/".join(quote(part, safe="") for part in path.relative_to(base).parts)


def _write_xml(root, path: Path) -> None:
    path.write_bytes(b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="UTF-8", pretty_print=True))


def _ts(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime).astimezone().isoformat(timespec="seconds")


def _copy_hashed(src: Path, dest: Path) -> str:
    """Copy src to dest and return the SHA-256 of the bytes copied."""
    h = hashlib.sha256()
    with open(src, "rb") as fin, open(dest, "wb") as fout:
        for chunk in iter(lambda: fin.read(1 << 20), b""):
            h.update(chunk)
            fout.write(chunk)
    return h.hexdigest()


class _Digests(dict):
    """SHA-256 per file of the package, each computed once."""

    def __call__(self, path: Path) -> str:
        if path not in self:
            h = hashlib.sha256()
            with open(path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            self[path] = h.hexdigest()
        return self[path]


def _file_attrs(path: Path, digest: str) -> dict:
    return {"MIMETYPE": MIME.get(path.suffix.lower(), "application/octet-stream"), "SIZE": path.stat().st_size,
            "CREATED": _ts(path), "CHECKSUM": digest, "CHECKSUMTYPE": "SHA-256"}


def _file(grp, file_id: str, path: Path, base: Path, digests: _Digests) -> None:
    f = _el(grp, "mets:file", {"ID": file_id, **_file_attrs(path, digests(path))})
    _el(f, "mets:FLocat", {"LOCTYPE": "URL", "xlink:type": "simple", "xlink:href": href(path, base)})

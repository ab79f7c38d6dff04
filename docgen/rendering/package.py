"""A template's DOCX package opened, and a rendered one saved, without redoing for every document what is the
same for all documents of a template (issue 26).

``reader``: the template unzipped and its relationships parsed once. ``open_document``: a document of its own made
from those bytes, in which styles, numbering, settings and comments are parsed only when something reads their
XML (until then they keep the template's bytes). ``save``: the members python-docx would write, byte for byte,
with the number in place of the placeholder in every XML part rendering made; a member equal to the one the
template's previous document had is written with the compressed bytes kept from then."""
from __future__ import annotations

import io
import struct
import threading
import time
import zlib
from xml.sax.saxutils import escape

from docx.opc.oxml import serialize_part_xml
from docx.opc.package import OpcPackage, Unmarshaller
from docx.opc.part import PartFactory
from docx.opc.pkgreader import PackageReader
from docx.opc.pkgwriter import _ContentTypesItem
from docx.oxml.parser import parse_xml
from docx.package import Package
from docx.parts.comments import CommentsPart
from docx.parts.numbering import NumberingPart
from docx.parts.settings import SettingsPart
from docx.parts.styles import StylesPart

#: Parts rendering does not write (docxtpl renders the document, its headers, footers, footnotes and properties).
LAZY = (StylesPart, NumberingPart, SettingsPart, CommentsPart)
#: Compressed parts kept (per template and part name); a template has about twenty.
KEPT_PARTS = 2048
LEVEL = 6  # zlib's default, what python-docx's zipfile uses


class _Lazy:
    """An XML part parsed when something first reads its XML; until then ``blob`` is the template's bytes."""

    _raw: bytes | None = None
    _tree = None

    @classmethod
    def load(cls, partname, content_type, blob, package):
        part = cls(partname, content_type, None, package)
        part._raw = blob
        return part

    @property
    def _element(self):
        if self._tree is None and self._raw is not None:
            self._tree, self._raw = parse_xml(self._raw), None
        return self._tree

    @_element.setter
    def _element(self, value):
        self._tree = value

    @property
    def parsed(self) -> bool:
        return self._raw is None

    @property
    def blob(self):
        return self._raw if self._raw is not None else serialize_part_xml(self._tree)


_LAZY_CLASSES = {cls: type(f"Lazy{cls.__name__}", (_Lazy, cls), {}) for cls in LAZY}


def _part(partname, content_type, reltype, blob, package):
    """python-docx's PartFactory, with the parts of ``LAZY`` parsed on demand."""
    selector = PartFactory.part_class_selector
    cls = (selector(content_type, reltype) if selector else None) or PartFactory._part_cls_for(content_type)
    return _LAZY_CLASSES.get(cls, cls).load(partname, content_type, blob, package)


def reader(blob: bytes) -> PackageReader:
    """A DOCX's members and relationships read once; every document opened from it (``open_document``) gets
    parts of its own, made from these bytes (read, never changed), without unzipping the template again."""
    return PackageReader.from_file(io.BytesIO(blob))


def open_document(source):
    """The python-docx Document of a DOCX (a path, a binary stream or a ``reader``), as ``docx.Document`` opens it."""
    package = Package()
    Unmarshaller.unmarshal(source if isinstance(source, PackageReader) else PackageReader.from_file(source),
                           package, _part)
    part = package.main_document_part
    return part.document


def untouched(part) -> bool:
    """Whether a part still holds the bytes it was read with (a lazy part nobody has parsed)."""
    return isinstance(part, _Lazy) and not part.parsed


class _Kept:
    """The compressed bytes of the parts of earlier documents, per template and part name."""

    def __init__(self):
        self._lock = threading.Lock()
        self._parts: dict[tuple[str, str], tuple[bytes, int, bytes]] = {}

    def get(self, key, blob: bytes):
        kept = self._parts.get(key)
        return kept if kept is not None and kept[0] == blob else None

    def put(self, key, blob: bytes, crc: int, data: bytes) -> None:
        with self._lock:
            if len(self._parts) >= KEPT_PARTS:
                self._parts.clear()
            self._parts[key] = (blob, crc, data)


KEPT = _Kept()


def _deflate(blob: bytes) -> bytes:
    c = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    return c.compress(blob) + c.flush()


def members(package: OpcPackage, placeholder: str | None = None, number: str | None = None) -> list[tuple[str, bytes]]:
    """The package's members as python-docx writes them; with ``placeholder``, every XML part rendering made
    has it replaced by ``number`` (XML-escaped: text, fields, attributes)."""
    parts = list(package.iter_parts())
    for part in parts:
        part.before_marshal()
    old = placeholder.encode() if placeholder else None
    new = escape(number or "", {'"': "&quot;", "'": "&apos;"}).encode() if placeholder else None
    out = [("[Content_Types].xml", _ContentTypesItem.from_parts(parts).blob), ("_rels/.rels", package.rels.xml)]
    for part in parts:
        blob = part.blob
        if old and not untouched(part) and part.content_type.endswith("xml") and old in blob:
            blob = blob.replace(old, new)
        out.append((part.partname.membername, blob))
        if len(part.rels):
            out.append((part.partname.rels_uri.membername, part.rels.xml))
    return out


def save(package: OpcPackage, template_key: str, placeholder: str | None = None, number: str | None = None) -> bytes:
    """The DOCX's bytes: a zip of ``members``, the parts equal to the template's last ones not compressed again."""
    entries = []
    for name, blob in members(package, placeholder, number):
        key = (template_key, name)
        kept = KEPT.get(key, blob)
        if kept is None:
            crc, data = zlib.crc32(blob), _deflate(blob)
            KEPT.put(key, blob, crc, data)
        else:
            crc, data = kept[1], kept[2]
        entries.append((name, crc, len(blob), data))
    return zip_bytes(entries)


def zip_bytes(entries: list[tuple[str, int, int, bytes]]) -> bytes:
    """A zip archive of (name, CRC-32, size, deflated bytes) members, as ``zipfile`` writes a deflated one."""
    t = time.localtime()
    dos_time = t.tm_hour << 11 | t.tm_min << 5 | t.tm_sec // 2
    dos_date = (t.tm_year - 1980) << 9 | t.tm_mon << 5 | t.tm_mday
    out, central = io.BytesIO(), []
    for name, crc, size, data in entries:
        if size >= 0xFFFFFFFF or len(data) >= 0xFFFFFFFF:
            raise ValueError(f"{name}: a DOCX part of 4 GB or more")
        raw = name.encode("utf-8")
        flags = 0 if raw.isascii() else 0x800  # the name's encoding: UTF-8
        offset = out.tell()
        out.write(struct.pack("<4s2B4HL2L2H", b"PK\003\004", 20, 0, flags, zlib.DEFLATED, dos_time, dos_date,
                              crc, len(data), size, len(raw), 0))
        out.write(raw)
        out.write(data)
        central.append(struct.pack("<4s4B4HL2L5H2L", b"PK\001\002", 20, 3, 20, 0, flags, zlib.DEFLATED, dos_time,
                                   dos_date, crc, len(data), size, len(raw), 0, 0, 0, 0, 0o600 << 16, offset) + raw)
    start = out.tell()
    for record in central:
        out.write(record)
    if len(entries) > 0xFFFF or start >= 0xFFFFFFFF:
        raise ValueError("a DOCX of more than 65,535 parts or 4 GB")
    out.write(struct.pack("<4s4H2LH", b"PK\005\006", 0, 0, len(entries), len(entries), out.tell() - start, start, 0))
    return out.getvalue()

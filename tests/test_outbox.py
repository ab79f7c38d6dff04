"""Output names are safe and writes are atomic."""
from __future__ import annotations

import os

import pytest

from docgen.dnr import document_basename
from docgen.files import atomic_write, safe_name


@pytest.mark.parametrize("raw", ["../../etc/passwd", "a/b\\c", "..", ".dold", "ctrl\x01\x1fchar", "CON", "   ", "x" * 300, 'a:b*c?"d<e>f|g'])
def test_safe_name_has_no_separators_dots_or_controls(raw):
    name = safe_name(raw)
    assert name and "/" not in name and "\\" not in name and ".." not in name
    assert not name.startswith(".") and not any(ord(c) < 32 for c in name)
    assert len(name) <= 61
    assert name.upper() != "CON"


def test_document_basename_keeps_swedish_letters():
    assert document_basename("RS 2026-00042", 3, "Beslut om åtgärder: fas 1/2") == "RS-2026-00042-03 Beslut om åtgärder- fas 1-2"


def test_atomic_write_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "sub" / "fil.pdf"
    atomic_write(target, b"%PDF-1.7 data")
    assert target.read_bytes() == b"%PDF-1.7 data"
    assert os.listdir(target.parent) == ["fil.pdf"]


@pytest.mark.parametrize("raw, shown", [
    ("Beslut\u202eeded\u202c om arkiv", "Besluteded om arkiv"),  # a right-to-left override
    ("Dold\u200btext\u200d här\u2066!\u2069", "Doldtext här!"),  # zero-width and isolate characters
    ("Rad ett\u2028rad två", "Rad ett rad två"),  # a line separator is a space
])
def test_bidi_and_invisible_characters_never_reach_a_name(raw, shown):
    import unicodedata

    name = safe_name(raw)
    assert name == shown
    assert not any(unicodedata.category(c).startswith("C") for c in name)


def test_names_are_cut_by_utf8_bytes_so_emoji_titles_fit_file_names():
    name = document_basename("RS 2026-00042", 1, "😀" * 250)
    assert len(f"{name} v12.docx".encode("utf-8")) < 255
    assert name.startswith("RS-2026-00042-01 😀")

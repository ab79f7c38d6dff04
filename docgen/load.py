"""Stage 1, load: read an input file (YAML or JSON, UTF-8) safely into a dict, with line numbers.

Limits enforced here: regular files only, file size, characters XML cannot hold, values JSON cannot
hold; JSON nesting and duplicate keys. Nesting is pre-scanned in :mod:`docgen.nesting` before any
parser runs, YAML is composed and checked in :mod:`docgen.yamlparse` (nesting, alias expansion, tags,
duplicate keys); nothing recurses. Every problem names the line (YAML) or field; hostile input gets an
InputError, never a crash.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError, Problem, problem, shorten
from .loadrules import (  # noqa: F401 - HARD_MAX_DEPTH and join_path stay importable from here
    HARD_MAX_DEPTH, MAX_INT_DIGITS, MAX_KEY_LENGTH, MAX_PROBLEMS, LongNumber, bad_value, depth_limit, fail, join_path,
    too_deep, unprintable_key,
)
from .nesting import prescan
from .yamlparse import parse_yaml as _parse_yaml  # the old name; tests call it directly

YAML_SUFFIXES = {".yaml", ".yml"}
JSON_SUFFIXES = {".json"}
INPUT_SUFFIXES = YAML_SUFFIXES | JSON_SUFFIXES

# Characters XML 1.0 cannot hold (tab, newline and carriage return are fine).
_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


@dataclass
class LoadedInput:
    """An input file read into memory."""

    source: str
    data: dict
    lines: dict[str, int] = field(default_factory=dict)
    raw: bytes = b""
    #: The folder the input was read from (attachments are looked up relative to it).
    base_dir: Path | None = None

    @property
    def sha256(self) -> str:
        """Hash of the canonical input (key order and formatting do not matter)."""
        return canonical_sha256(self.data)

    def line_of(self, path: str) -> int | None:
        """The line of a field, or of its nearest parent that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return None


def canonical_sha256(data: dict) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _scan_text(source: str, text: str) -> None:
    found = []
    for lineno, line in enumerate(text.splitlines(), 1):
        for m in _BAD_XML.finditer(line):
            found.append(problem(
                "", f"otillåtet kontrolltecken U+{ord(m.group()):04X} i kolumn {m.start() + 1}.",
                f"control character U+{ord(m.group()):04X} at column {m.start() + 1} is not allowed.",
                "ta bort tecknet (det syns ofta inte i editorn; skriv om raden).",
                "delete the character (it is often invisible; retype the line).", lineno))
            if len(found) >= 20:
                raise fail(source, *found)
    if found:
        raise fail(source, *found)


def _json_depth(value, limit: int) -> int:
    depth, level = 0, [value]
    while level:
        depth += 1
        if depth > limit:
            return depth
        nxt = []
        for v in level:
            if isinstance(v, dict):
                nxt.extend(v.values())
            elif isinstance(v, list):
                nxt.extend(v)
        level = nxt
    return depth


def _json_int(text: str):
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        return LongNumber(text)
    return int(text)


def _parse_json(source: str, text: str, limits: dict) -> object:
    duplicates: list[str] = []

    def pairs(items):
        out = {}
        for k, v in items:
            if k in out:
                duplicates.append(k)
            out[k] = v
        return out

    try:
        data = json.loads(text, object_pairs_hook=pairs, parse_int=_json_int)
    except json.JSONDecodeError as exc:
        raise fail(source, problem(
            "", f"filen är inte giltig JSON: {exc.msg} (kolumn {exc.colno}).",
            f"the file is not valid JSON: {exc.msg} (column {exc.colno}).",
            "kontrollera kommatecken och citattecken kring raden.", "check commas and quotes around the line.",
            exc.lineno)) from None
    except RecursionError:  # cannot happen after the pre-scan; kept as a guard
        raise too_deep(source, depth_limit(limits), None) from None
    if _json_depth(data, depth_limit(limits)) > depth_limit(limits):
        raise too_deep(source, depth_limit(limits), None)
    if duplicates:
        raise fail(source, *[problem(k, "fältet förekommer två gånger.", "the field appears twice.",
                                      "ta bort den ena förekomsten.", "remove one of them.")
                              for k in duplicates[:MAX_PROBLEMS]])
    return data


def _path_of(ref) -> str:
    keys = []
    while ref is not None:
        ref, key = ref
        keys.append(key)
    path = ""
    for key in reversed(keys):
        path = join_path(path, key)
    return path


def _scan_values(loaded: LoadedInput) -> None:
    """Every value must be one JSON can hold, and text must hold no character XML cannot; iterative.

    Field paths are built only for problems (a long key times many values would not fit in memory).
    """
    found: list[Problem] = []

    def report(ref, what) -> None:
        path = _path_of(ref)
        found.append(problem(path, *what, loaded.line_of(path)))

    stack: list[tuple] = [(loaded.data, None)]  # (value, (parent ref, key) or None)
    while stack and len(found) < MAX_PROBLEMS:
        value, ref = stack.pop()
        if isinstance(value, str) and not isinstance(value, LongNumber):
            m = _BAD_XML.search(value)
            if m:
                report(ref, (f"otillåtet kontrolltecken U+{ord(m.group()):04X} i texten.",
                             f"control character U+{ord(m.group()):04X} in the text is not allowed.",
                             "ta bort tecknet.", "delete the character."))
            continue
        bad = bad_value(value)
        if bad:
            report(ref, bad)
        elif isinstance(value, dict):
            kids = []
            for k, v in value.items():
                if isinstance(k, str) and len(k) <= MAX_KEY_LENGTH:
                    why = unprintable_key(k)
                    if why:
                        report(ref, why)
                    else:
                        kids.append((v, (ref, k)))
                else:
                    report(ref, (
                        f"fältnamnet {shorten(k)} är inte text eller för långt (högst {MAX_KEY_LENGTH} tecken).",
                        f"the field name {shorten(k)} is not text or too long (at most {MAX_KEY_LENGTH} characters).",
                        "skriv ett kort fältnamn som text, t.ex. rubrik.", "write a short field name as text, e.g. rubrik."))
            stack += reversed(kids)
        elif isinstance(value, list):
            stack += reversed([(v, (ref, i)) for i, v in enumerate(value)])
    if found:
        raise fail(loaded.source, *found)


def _too_large(source: str, size: int, limit: int, more: bool = False) -> InputError:
    over, over_en = ("över ", "more than ") if more else ("", "")
    return fail(source, problem(
        "", f"filen är för stor: {over}{size} byte (högst {limit}).",
        f"the file is too large: {over_en}{size} bytes (at most {limit}).",
        "dela upp innehållet, eller lägg stora delar som bilagor.", "split the content, or attach large parts as attachments."))


def _decode(source: str, raw: bytes) -> str:
    """UTF-8 text (a BOM is fine); UTF-16 and other encodings get a clear error with the line."""
    head = raw[:4096]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or head.count(0) * 4 > len(head):  # UTF-16 text is half NUL bytes
        raise fail(source, problem(
            "", "filen är inte UTF-8 (den ser ut att vara UTF-16 eller binär).",
            "the file is not UTF-8 (it looks like UTF-16 or binary).",
            "spara filen som text med teckenkodningen UTF-8.", "save the file as text with the UTF-8 encoding.", 1))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise fail(source, problem(
            "", "filen är inte UTF-8.", "the file is not UTF-8.",
            "spara filen med teckenkodningen UTF-8.", "save the file with the UTF-8 encoding.", line)) from None


def _empty(source: str) -> InputError:
    return fail(source, problem(
        "", "filen är tom (den innehåller inga fält).", "the file is empty (it holds no fields).",
        "börja med `docgen new TYP` för ett exempel.", "start from `docgen new TYPE` for an example."))


def parse_input(source: str, raw: bytes, suffix: str, limits: dict) -> LoadedInput:
    """Parse the bytes of an input whose file name ends in ``suffix``."""
    if len(raw) > limits["max_filstorlek"]:
        raise _too_large(source, len(raw), limits["max_filstorlek"])
    text = _decode(source, raw)
    _scan_text(source, text)
    suffix = suffix.lower()
    if suffix not in INPUT_SUFFIXES:
        raise fail(source, problem(
            "", f"okänd filtyp {shorten(suffix)}.", f"unknown file type {shorten(suffix)}.",
            "använd .yaml, .yml eller .json.", "use .yaml, .yml or .json."))
    if not text.strip():
        raise _empty(source)
    prescan(source, text, suffix in YAML_SUFFIXES, limits)
    if suffix in YAML_SUFFIXES:
        data, lines = _parse_yaml(source, text, limits)
    else:
        data, lines = _parse_json(source, text, limits), {}
    if data is None:
        raise _empty(source)
    if not isinstance(data, dict):
        raise fail(source, problem(
            "", "filen ska innehålla fält (namn: värde), t.ex. dokumenttyp: TYP (se `docgen types`).",
            "the file must hold fields (name: value), e.g. dokumenttyp: TYPE (see `docgen types`).",
            "börja med `docgen new TYP` för ett exempel.", "start from `docgen new TYPE` for an example."))
    loaded = LoadedInput(source=source, data=data, lines=lines, raw=raw)
    _scan_values(loaded)
    return loaded


def _read_regular(source: str, path: Path, limit: int) -> bytes:
    """At most ``limit`` bytes of a regular file; never blocks on a FIFO, socket or device."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    folder = problem("", "detta är en mapp, inte en fil.", "this is a folder, not a file.",
                     "lägg indatafilen direkt i inkorgen.", "put the input file directly in the inbox.")
    not_regular = problem(
        "", "detta är inte en vanlig fil (utan t.ex. en FIFO, en socket eller en enhet).",
        "this is not a regular file (but e.g. a FIFO, a socket or a device).",
        "lägg bara vanliga filer i inkorgen.", "put only regular files in the inbox.")
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise fail(source, problem("", "filen finns inte.", "the file does not exist.",
                                    "kontrollera sökvägen.", "check the path.")) from None
    except IsADirectoryError:
        raise fail(source, folder) from None
    except PermissionError:
        raise fail(source, problem(
            "", "filen får inte läsas (behörighet saknas).", "the file may not be read (permission denied).",
            "ge docgen läsrätt till filen.", "give docgen read access to the file.")) from None
    except OSError as exc:
        try:
            regular = stat.S_ISREG(os.stat(path).st_mode)
        except OSError:
            regular = True
        if not regular:
            raise fail(source, not_regular) from None
        raise fail(source, problem(
            "", f"filen kan inte öppnas: {exc.strerror}.", f"the file cannot be opened: {exc.strerror}.",
            "kontrollera filen och försök igen.", "check the file and try again.")) from None
    try:
        info = os.fstat(fd)  # of what was opened, not of what the name pointed at a moment before
        if stat.S_ISDIR(info.st_mode):
            raise fail(source, folder)
        if not stat.S_ISREG(info.st_mode):
            raise fail(source, not_regular)
        if info.st_size > limit:
            raise _too_large(source, info.st_size, limit)
        chunks, total = [], 0
        while total <= limit:  # the size on disk may be wrong (/proc) or grow while we read
            chunk = os.read(fd, min(1 << 16, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise _too_large(source, limit, limit, more=True)
        return b"".join(chunks)
    except OSError as exc:
        raise fail(source, problem(
            "", f"filen kan inte läsas: {exc.strerror}.", f"the file cannot be read: {exc.strerror}.",
            "kontrollera filen och försök igen.", "check the file and try again.")) from None
    finally:
        os.close(fd)


def load_input(path: str | Path, limits: dict, source: str | None = None) -> LoadedInput:
    """Read and parse one input file; raises InputError with every problem found."""
    path = Path(path)
    source = source or str(path)
    raw = _read_regular(source, path, limits["max_filstorlek"])
    loaded = parse_input(source, raw, path.suffix, limits)
    loaded.base_dir = path.resolve().parent
    return loaded

"""Stage 1, load: read an input file (YAML or JSON, UTF-8) safely into a dict, with line numbers.

Limits enforced here: file size, nesting depth, alias expansion (YAML alias bombs), characters
XML cannot hold, duplicate keys. Every problem names the line (YAML) or field.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import InputError, Problem, problem

YAML_SUFFIXES = {".yaml", ".yml"}
JSON_SUFFIXES = {".json"}
INPUT_SUFFIXES = YAML_SUFFIXES | JSON_SUFFIXES

# Characters XML 1.0 cannot hold (tab, newline and carriage return are fine).
_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):
    """Safe loader that keeps dates as text (the schema checks them) instead of date objects."""


_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


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


def join_path(base: str, key: str | int) -> str:
    """Field paths as people read them: ``uppdragstagare[1].titel`` (list positions count from 1)."""
    if isinstance(key, int):
        return f"{base}[{key + 1}]"
    return f"{base}.{key}" if base else str(key)


def _fail(source: str, *problems: Problem) -> InputError:
    return InputError(source, list(problems))


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
                raise _fail(source, *found)
    if found:
        raise _fail(source, *found)


def _walk_yaml(source: str, root, limits: dict) -> dict[str, int]:
    """Check a composed YAML node graph (size after alias expansion, depth, keys); map paths to lines."""
    max_nodes, max_depth = limits["max_noder"], limits["max_djup"]
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    active: set[int] = set()
    problems: list[Problem] = []

    def measure(node) -> tuple[int, int]:
        key = id(node)
        if key in sizes:
            return sizes[key], depths[key]
        if key in active:
            raise _fail(source, problem(
                "", "ett alias refererar till sig självt (rekursiv struktur).",
                "an alias refers to itself (recursive structure).",
                "ta bort aliaset (*namn) som pekar på sin egen förälder.",
                "remove the alias (*name) that points at its own parent.", node.start_mark.line + 1))
        active.add(key)
        size, depth = 1, 1
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [v for _, v in node.value]
        else:
            children = []
        for child in children:
            s, d = measure(child)
            size += s
            depth = max(depth, d + 1)
            if size > max_nodes:
                break
        active.discard(key)
        sizes[key], depths[key] = size, depth
        return size, depth

    size, depth = measure(root)
    if size > max_nodes:
        raise _fail(source, problem(
            "", f"filen blir för stor när alias (*namn) fylls i: över {max_nodes} element.",
            f"the file expands to more than {max_nodes} elements when aliases (*name) are filled in.",
            "skriv ut innehållet utan alias, eller dela upp dokumentet.",
            "write the content out without aliases, or split the document."))
    if depth > max_depth:
        raise _fail(source, problem(
            "", f"för djup nästling: {depth} nivåer (högst {max_depth}).",
            f"nesting too deep: {depth} levels (at most {max_depth}).",
            "platta till strukturen.", "flatten the structure."))

    lines: dict[str, int] = {}

    def walk(node, path: str) -> None:
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for knode, vnode in node.value:
                kline = knode.start_mark.line + 1
                if not isinstance(knode, yaml.ScalarNode) or knode.tag != "tag:yaml.org,2002:str":
                    problems.append(problem(
                        path, f"nyckeln {knode.value!r} är inte text.", f"the key {knode.value!r} is not text.",
                        "skriv fältnamnet som text, t.ex. rubrik:", "write the field name as text, e.g. rubrik:", kline))
                    continue
                sub = join_path(path, knode.value)
                if knode.value in seen:
                    problems.append(problem(
                        sub, f"fältet förekommer två gånger (även på rad {seen[knode.value]}).",
                        f"the field appears twice (also on line {seen[knode.value]}).",
                        "ta bort den ena förekomsten.", "remove one of them.", kline))
                seen[knode.value] = kline
                lines.setdefault(sub, kline)
                walk(vnode, sub)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                sub = join_path(path, i)
                lines.setdefault(sub, item.start_mark.line + 1)
                walk(item, sub)

    walk(root, "")
    if problems:
        raise _fail(source, *problems)
    return lines


def _parse_yaml(source: str, text: str, limits: dict) -> tuple[object, dict[str, int]]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        lines = _walk_yaml(source, node, limits)
        return loader.construct_document(node), lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise _fail(source, problem(
            "", f"filen är inte giltig YAML: {exc.problem or exc.context}.",
            f"the file is not valid YAML: {exc.problem or exc.context}.",
            "kontrollera indrag och kolon kring raden; text med kolon eller # behöver citattecken.",
            "check indentation and colons around the line; text containing a colon or # needs quotes.", line)) from None
    except yaml.YAMLError as exc:
        raise _fail(source, problem("", f"filen är inte giltig YAML: {exc}.", f"the file is not valid YAML: {exc}.")) from None
    finally:
        loader.dispose()


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
        data = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        raise _fail(source, problem(
            "", f"filen är inte giltig JSON: {exc.msg} (kolumn {exc.colno}).",
            f"the file is not valid JSON: {exc.msg} (column {exc.colno}).",
            "kontrollera kommatecken och citattecken kring raden.", "check commas and quotes around the line.",
            exc.lineno)) from None
    except RecursionError:
        data = None
        depth = limits["max_djup"] + 1
    else:
        depth = _json_depth(data, limits["max_djup"])
    if depth > limits["max_djup"]:
        raise _fail(source, problem(
            "", f"för djup nästling (högst {limits['max_djup']} nivåer).",
            f"nesting too deep (at most {limits['max_djup']} levels).", "platta till strukturen.", "flatten the structure."))
    if duplicates:
        raise _fail(source, *[problem(k, "fältet förekommer två gånger.", "the field appears twice.",
                                      "ta bort den ena förekomsten.", "remove one of them.") for k in duplicates])
    return data


def _scan_values(value, path: str, found: list[Problem]) -> None:
    if isinstance(value, str):
        m = _BAD_XML.search(value)
        if m:
            found.append(problem(
                path, f"otillåtet kontrolltecken U+{ord(m.group()):04X} i texten.",
                f"control character U+{ord(m.group()):04X} in the text is not allowed.",
                "ta bort tecknet.", "delete the character."))
    elif isinstance(value, dict):
        for k, v in value.items():
            _scan_values(v, join_path(path, k), found)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _scan_values(v, join_path(path, i), found)


def _too_large(source: str, size: int, limit: int) -> InputError:
    return _fail(source, problem(
        "", f"filen är för stor: {size} byte (högst {limit}).",
        f"the file is too large: {size} bytes (at most {limit}).",
        "dela upp innehållet, eller lägg stora delar som bilagor.", "split the content, or attach large parts as attachments."))


def parse_input(source: str, raw: bytes, suffix: str, limits: dict) -> LoadedInput:
    """Parse the bytes of an input whose file name ends in ``suffix``."""
    if len(raw) > limits["max_filstorlek"]:
        raise _too_large(source, len(raw), limits["max_filstorlek"])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _fail(source, problem(
            "", "filen är inte UTF-8.", "the file is not UTF-8.",
            "spara filen med teckenkodningen UTF-8.", "save the file with the UTF-8 encoding.", line)) from None
    _scan_text(source, text)
    suffix = suffix.lower()
    if suffix in YAML_SUFFIXES:
        data, lines = _parse_yaml(source, text, limits)
    elif suffix in JSON_SUFFIXES:
        data, lines = _parse_json(source, text, limits), {}
    else:
        raise _fail(source, problem(
            "", f"okänd filtyp {suffix!r}.", f"unknown file type {suffix!r}.",
            "använd .yaml, .yml eller .json.", "use .yaml, .yml or .json."))
    if not isinstance(data, dict):
        raise _fail(source, problem(
            "", "filen ska innehålla fält (namn: värde), t.ex. dokumenttyp: uppdragshandling.",
            "the file must hold fields (name: value), e.g. dokumenttyp: uppdragshandling.",
            "börja med `docgen new TYP` för ett exempel.", "start from `docgen new TYPE` for an example."))
    found: list[Problem] = []
    _scan_values(data, "", found)
    if found:
        raise _fail(source, *found)
    return LoadedInput(source=source, data=data, lines=lines, raw=raw)


def load_input(path: str | Path, limits: dict, source: str | None = None) -> LoadedInput:
    """Read and parse one input file; raises InputError with every problem found."""
    path = Path(path)
    source = source or str(path)
    try:
        size = path.stat().st_size
        if size > limits["max_filstorlek"]:
            raise _too_large(source, size, limits["max_filstorlek"])
        raw = path.read_bytes()
    except FileNotFoundError:
        raise _fail(source, problem("", "filen finns inte.", "the file does not exist.")) from None
    except IsADirectoryError:
        raise _fail(source, problem("", "detta är en mapp, inte en fil.", "this is a folder, not a file.")) from None
    loaded = parse_input(source, raw, path.suffix, limits)
    loaded.base_dir = path.resolve().parent
    return loaded

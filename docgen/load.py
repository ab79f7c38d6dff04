"""Stage 1, load: read an input file (YAML or JSON, UTF-8) safely into a dict, with line numbers.

Limits enforced here: regular files only, file size, nesting depth (a linear pre-scan of the text
before any parser runs, then exactly while composing; nothing here recurses), alias expansion (YAML
alias bombs, by element count and by expanded size), tags and values JSON cannot hold, characters XML
cannot hold, duplicate keys. Every problem names the line (YAML) or field; hostile input gets an
InputError, never a crash.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.events import AliasEvent, MappingStartEvent, ScalarEvent, SequenceStartEvent, StreamEndEvent

from .errors import InputError, Problem, problem, shorten

YAML_SUFFIXES = {".yaml", ".yml"}
JSON_SUFFIXES = {".json"}
INPUT_SUFFIXES = YAML_SUFFIXES | JSON_SUFFIXES

# Characters XML 1.0 cannot hold (tab, newline and carriage return are fine).
_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

#: Nesting deeper than this is refused whatever ``max_djup`` says.
HARD_MAX_DEPTH = 200
#: Longest field name (key); a longer one is almost surely text put on the wrong side of the colon.
MAX_KEY_LENGTH = 200
#: Python cannot turn longer integers into text (sys.get_int_max_str_digits), so JSON cannot hold them.
_MAX_INT_DIGITS = 4300
#: Problems reported from one file at most (the rest are usually the same mistake repeated).
_MAX_PROBLEMS = 20
#: What one node adds to the expanded size besides its text.
_NODE_BYTES = 8

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):
    """Safe loader that keeps dates (and a lone ``=``) as text instead of date objects (the schema checks them)."""


_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers
         if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value")]
    for ch, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}

_Y = "tag:yaml.org,2002:"
_STR, _MAP, _SEQ, _MERGE = _Y + "str", _Y + "map", _Y + "seq", _Y + "merge"
#: Scalar tags whose values JSON can hold; each is built alone first so a bad value names its field.
_SCALAR_TAGS = {_STR, _Y + "int", _Y + "float", _Y + "bool", _Y + "null"}
#: Tags the safe loader knows whose values JSON cannot hold: (sv, en, fix_sv, fix_en).
_REFUSED_TAGS = {
    _Y + "binary": ("binärdata (!!binary) kan inte användas i indata.", "binary data (!!binary) cannot be used in input.",
                    "lägg innehållet i en fil och ange den som bilaga.", "put the content in a file and attach it."),
    _Y + "timestamp": ("tidpunkter (!!timestamp) kan inte lagras.", "timestamps (!!timestamp) cannot be stored.",
                       "skriv datumet som text utan !!timestamp, t.ex. 2025-02-28.",
                       "write the date as text without !!timestamp, e.g. 2025-02-28."),
    _Y + "set": ("mängder (!!set) kan inte lagras.", "sets (!!set) cannot be stored.",
                 "skriv en vanlig lista (- värde).", "write a plain list (- value)."),
    _Y + "omap": ("ordnade mappningar (!!omap) kan inte lagras.", "ordered maps (!!omap) cannot be stored.",
                  "skriv vanliga fält (namn: värde) utan !!omap.", "write plain fields (name: value) without !!omap."),
    _Y + "pairs": ("par (!!pairs) kan inte lagras.", "pairs (!!pairs) cannot be stored.",
                   "skriv vanliga fält (namn: värde) utan !!pairs.", "write plain fields (name: value) without !!pairs."),
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


def _too_deep(source: str, limit: int, line: int | None) -> InputError:
    return _fail(source, problem(
        "", f"för djup nästling: fler än {limit} nivåer i varandra (högst {limit}).",
        f"nesting too deep: more than {limit} levels inside each other (at most {limit}).",
        "platta till strukturen (färre listor och fält i varandra).",
        "flatten the structure (fewer lists and fields inside each other).", line))


def _depth_limit(limits: dict) -> int:
    return min(int(limits["max_djup"]), HARD_MAX_DEPTH)


# Pre-scan of the text (linear, no recursion), so that no parser sees a document nested deeper than
# HARD_MAX_DEPTH: PyYAML's C composer recurses in C (a YAML nested 25,000 deep crashes the process),
# libyaml's scanner slows down quadratically with flow depth, json.loads recurses too.

_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*+\\?(?:"|\Z)|[\[\]{}]', re.S)
_SQ_END = re.compile(r"(?:[^']|'')*+'")
_DQ_END = re.compile(r'(?:[^"\\]|\\.)*+"')
_FLOW_TOKEN = re.compile(r"""[\[\]{},'"#]|[:?](?=[\s,\[\]{}]|$)|\s+|[^\[\]{},'"#:?\s]+|.""")
_KEY_END = re.compile(r":(?=\s|$)|\s#")
_QUOTED_KEY_END = re.compile(r"[ \t]*:(?=\s|$)")
_PROPERTY = re.compile(r"[&!]\S*[ \t]+")


def _json_nesting(text: str, limit: int) -> int | None:
    """The line where JSON text nests ``[``/``{`` deeper than ``limit`` (exact, outside strings), or None."""
    depth = 0
    for m in _JSON_TOKEN.finditer(text):
        c = text[m.start()]
        if c in "[{":
            depth += 1
            if depth > limit:
                return text.count("\n", 0, m.start()) + 1
        elif c in "]}":
            depth -= 1
    return None


def _yaml_nesting(text: str, limit: int) -> int | None:
    """The line where YAML text may nest deeper than ``limit``, or None; linear, over-estimates on purpose.

    Counts every indentation level twice (a mapping and a sequence can share a column), one more for each
    ``- ``, ``? ``, ``key:`` on a line (``- - - x``), and open ``[``/``{`` outside quotes and comments.
    Block scalars (``|``, ``>``) and continued plain scalars are skipped like the parser skips them.
    """
    indents: list[int] = []
    flow = base = 0           # open [ and {, and the block depth where they started
    quote = ""                # a quoted scalar continues on the next line
    token = True              # in flow context: a quote here starts a quoted scalar
    skip_deeper = None        # lines indented more than this belong to a block or plain scalar

    def flow_part(line: str, i: int) -> bool:
        """Scan ``line`` from ``i`` with flow rules; True when too deep."""
        nonlocal flow, quote, token
        while i < len(line):
            m = _FLOW_TOKEN.match(line, i)
            t, i = m.group(), m.end()
            c = t[0]
            if c in "[{":
                flow, token = flow + 1, True
                if base + flow > limit:
                    return True
            elif c in "]}":
                flow, token = max(flow - 1, 0), False
            elif c in ",:?":
                token = token or len(t) == 1
            elif c in "'\"":
                if token:
                    end = (_SQ_END if c == "'" else _DQ_END).match(line, i)
                    if not end:
                        quote = c
                        return False
                    i = end.end()
                token = False
            elif c == "#" and (m.start() == 0 or line[m.start() - 1].isspace()):
                return False
            elif not c.isspace():
                token = False
        return False

    for lineno, line in enumerate(text.splitlines(), 1):
        if quote:
            end = (_SQ_END if quote == "'" else _DQ_END).match(line)
            if not end:
                continue
            quote, token = "", False
            if flow_part(line, end.end()):
                return lineno
            continue
        if flow:
            if flow_part(line, 0):
                return lineno
            continue
        body = line.lstrip(" ")
        col = len(line) - len(body)
        if not body.strip():
            continue
        if skip_deeper is not None:
            if col > skip_deeper:
                continue
            skip_deeper = None
        if body[0] in "#%":
            continue
        i = col
        if col == 0 and body[:3] in ("---", "...") and body[3:4] in ("", " ", "\t"):
            indents, i = [], 3
        while indents and indents[-1] >= col:
            indents.pop()
        indents.append(col)
        depth, inner, n = 2 * len(indents), col, len(line)
        while True:
            while i < n and line[i] in " \t":
                i += 1
            if i >= n:
                break
            c = line[i]
            if c in "-?:" and (i + 1 == n or line[i + 1] in " \t"):
                depth, inner, i = depth + 1, i, i + 1
                continue
            m = _PROPERTY.match(line, i)
            if m:
                i = m.end()
                continue
            if c in "'\"":
                end = (_SQ_END if c == "'" else _DQ_END).match(line, i + 1)
                if not end:
                    quote = c
                    break
                m = _QUOTED_KEY_END.match(line, end.end())
                if m:
                    depth, inner, i = depth + 1, i, m.end()
                    continue
                base, token = depth, False
                if flow_part(line, end.end()):
                    return lineno
                break
            if c in "[{":
                base, token = depth, True
                if flow_part(line, i):
                    return lineno
                break
            if c in "|>":
                skip_deeper = inner
                break
            if c == "#":
                break
            m = _KEY_END.search(line, i)
            if m and m.group() == ":":
                depth, inner, i = depth + 1, i, m.end()
                continue
            skip_deeper = inner  # a plain scalar; it may go on over deeper lines
            break
        if depth > limit:
            return lineno
    return None


def _prescan(source: str, text: str, is_yaml: bool, limits: dict) -> None:
    if is_yaml:
        # Over-estimates, so it guards only the hard ceiling; the exact max_djup check follows while composing.
        line = _yaml_nesting(text, HARD_MAX_DEPTH)
        if line is not None:
            raise _too_deep(source, HARD_MAX_DEPTH, line)
    else:
        line = _json_nesting(text, _depth_limit(limits))
        if line is not None:
            raise _too_deep(source, _depth_limit(limits), line)


def _compose_yaml(source: str, loader, limit: int):
    """The node graph of the single document, built from the parser's events with an explicit stack.

    Unlike ``get_single_node`` nothing recurses, and nesting deeper than ``limit`` stops the parse at once.
    """
    loader.get_event()  # stream start
    if loader.check_event(StreamEndEvent):
        return None
    loader.get_event()  # document start
    get_event, resolve = loader.get_event, loader.resolve
    anchors: dict[str, yaml.Node] = {}
    stack: list[list] = []  # [collection node, is a sequence, pending mapping key or None]
    root = None
    while True:
        event = get_event()
        kind = event.__class__
        if kind is ScalarEvent or kind is SequenceStartEvent or kind is MappingStartEvent:
            anchor, tag = event.anchor, event.tag
            if anchor is not None and anchor in anchors:
                raise _fail(source, problem(
                    "", f"ankaret &{_cut(anchor)} förekommer två gånger (första gången på rad {_line(anchors[anchor])}).",
                    f"the anchor &{_cut(anchor)} appears twice (first on line {_line(anchors[anchor])}).",
                    "ge det ena ankaret ett annat namn.", "give one of the anchors another name.",
                    event.start_mark.line + 1))
            if kind is ScalarEvent:
                if tag is None or tag == "!":
                    tag = resolve(yaml.ScalarNode, event.value, event.implicit)
                node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
            else:
                cls = yaml.SequenceNode if kind is SequenceStartEvent else yaml.MappingNode
                if tag is None or tag == "!":
                    tag = resolve(cls, None, event.implicit)
                node = cls(tag, [], event.start_mark, None, flow_style=event.flow_style)
            if anchor is not None:
                anchors[anchor] = node
        elif kind is AliasEvent:
            node = anchors.get(event.anchor)
            if node is None:
                name = _cut(event.anchor)
                raise _fail(source, problem(
                    "", f"aliaset *{name} pekar inte på något ankare &{name} före det.",
                    f"the alias *{name} points at no anchor &{name} before it.",
                    "skriv &namn framför värdet som ska återanvändas, före *namn; eller rätta namnet.",
                    "put &name before the value to reuse, ahead of *name; or correct the name.",
                    event.start_mark.line + 1))
        else:  # the end of a sequence or mapping
            stack.pop()[0].end_mark = event.end_mark
            if not stack:
                break
            continue
        if stack:
            parent = stack[-1]
            if parent[1]:
                parent[0].value.append(node)
            elif parent[2] is None:
                parent[2] = node
            else:
                parent[0].value.append((parent[2], node))
                parent[2] = None
        else:
            root = node
        if kind is SequenceStartEvent or kind is MappingStartEvent:
            if len(stack) >= limit:
                raise _too_deep(source, limit, event.start_mark.line + 1)
            stack.append([node, kind is SequenceStartEvent, None])
        elif not stack:
            break
    loader.get_event()  # document end
    if not loader.check_event(StreamEndEvent):
        event = loader.get_event()
        raise _fail(source, problem(
            "", "filen innehåller mer än ett dokument (--- förekommer igen).",
            "the file holds more than one document (--- appears again).",
            "ha ett dokument per fil: ta bort --- och det som följer, eller dela upp i flera filer.",
            "keep one document per file: remove --- and what follows, or split it into several files.",
            event.start_mark.line + 1))
    return root


def _line(node) -> int:
    return node.start_mark.line + 1


def _children(node) -> list:
    """What a node's size and depth are made of: sequence items, mapping values, and keys that are not plain text."""
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        out = []
        for k, v in node.value:
            if not isinstance(k, yaml.ScalarNode):
                out.append(k)
            out.append(v)
        return out
    return []


def _own_bytes(node) -> int:
    if isinstance(node, yaml.ScalarNode):
        return _NODE_BYTES + len(node.value)
    if isinstance(node, yaml.MappingNode):
        return _NODE_BYTES + sum(_NODE_BYTES + len(k.value) for k, _ in node.value if isinstance(k, yaml.ScalarNode))
    return _NODE_BYTES


def _measure_yaml(source: str, root, limits: dict) -> None:
    """Element count, size and depth after aliases are expanded (memoised per node, iterative)."""
    max_nodes, max_depth = limits["max_noder"], _depth_limit(limits)
    max_bytes = limits.get("max_expanderad", 4 * 1024 * 1024)
    done: dict[int, tuple[int, int, int]] = {}  # id(node) -> (elements, bytes, depth)
    active: set[int] = set()
    stack: list[list] = []  # [node, iterator over children, elements, bytes, depth]

    def enter(node) -> None:
        active.add(id(node))
        stack.append([node, iter(_children(node)), 1, _own_bytes(node), 1])

    enter(root)
    while stack:
        frame = stack[-1]
        child = next(frame[1], None)
        if child is None:
            stack.pop()
            node, _, count, size, depth = frame
            active.discard(id(node))
            done[id(node)] = count, size, depth
        elif id(child) in done:  # met before (an alias): counts again, costs nothing
            count, size, depth = done[id(child)]
        elif id(child) in active:
            raise _fail(source, problem(
                "", "ett alias refererar till sig självt (rekursiv struktur).",
                "an alias refers to itself (recursive structure).",
                "ta bort aliaset (*namn) som pekar på sin egen förälder.",
                "remove the alias (*name) that points at its own parent.", _line(child)))
        else:
            enter(child)
            continue
        if not stack:
            break
        parent = stack[-1]
        parent[2] += count
        parent[3] += size
        parent[4] = max(parent[4], depth + 1)
        if parent[2] > max_nodes:
            raise _fail(source, problem(
                "", f"filen blir för stor när alias (*namn) fylls i: över {max_nodes} element.",
                f"the file expands to more than {max_nodes} elements when aliases (*name) are filled in.",
                "skriv ut innehållet utan alias, eller dela upp dokumentet.",
                "write the content out without aliases, or split the document.", _line(parent[0])))
        if parent[3] > max_bytes:
            raise _fail(source, problem(
                "", f"filen blir för stor när alias (*namn) fylls i: över {max_bytes} byte.",
                f"the file expands to more than {max_bytes} bytes when aliases (*name) are filled in.",
                "skriv ut innehållet utan alias (*namn), eller dela upp dokumentet.",
                "write it out without aliases (*name), or split the document.", _line(parent[0])))
        if parent[4] > max_depth:
            raise _too_deep(source, max_depth, _line(parent[0]))


def _cut(name: str, limit: int = 40) -> str:
    """A name (tag, anchor) for a message, cut with "…" when long."""
    return name if len(name) <= limit else name[:limit] + "…"


def _tag_name(tag: str) -> str:
    return _cut("!!" + tag[len(_Y):] if tag.startswith(_Y) else tag)


def _check_tag(loader, node) -> tuple[str, str, str, str] | None:
    """What is wrong with a node's tag or its value, or None."""
    tag = node.tag
    if tag in _REFUSED_TAGS:
        return _REFUSED_TAGS[tag]
    if isinstance(node, yaml.ScalarNode) and tag in _SCALAR_TAGS:
        if tag == _STR:
            return None
        name = _tag_name(tag)
        if tag in (_Y + "int", _Y + "float") and len(node.value) > _MAX_INT_DIGITS:
            return _number_too_long(node.value)  # also keeps 1:2:3:... (base 60) from taking quadratic time
        try:
            value = loader.yaml_constructors[tag](loader, node)
        except Exception:  # the constructors raise ValueError, KeyError, ConstructorError...
            return (f"värdet {shorten(node.value)} passar inte typen {name}.",
                    f"the value {shorten(node.value)} does not fit the type {name}.",
                    f"rätta värdet, eller ta bort {name} så blir det text.",
                    f"correct the value, or remove {name} to make it text.")
        return _bad_value(value)
    if isinstance(node, yaml.SequenceNode) and tag == _SEQ or isinstance(node, yaml.MappingNode) and tag == _MAP:
        return None
    name = _tag_name(tag)
    if tag.startswith(_Y + "python/"):
        return (f"typmarkeringen {name} är inte tillåten (den kan köra kod).",
                f"the tag {name} is not allowed (it can run code).",
                "ta bort den; indata får bara innehålla text, tal, listor och fält.",
                "remove it; input may hold only text, numbers, lists and fields.")
    return (f"okänd typmarkering {name}.", f"unknown tag {name}.",
            "ta bort typmarkeringen (ordet som börjar med !), eller sätt värdet inom citattecken.",
            "remove the tag (the word starting with !), or put the value in quotes.")


def _number_too_long(text: str = "") -> tuple[str, str, str, str]:
    quoted = f" {shorten(text)}" if text else ""
    return (f"talet{quoted} är för långt (över {_MAX_INT_DIGITS} siffror).",
            f"the number{quoted} is too long (more than {_MAX_INT_DIGITS} digits).",
            "skriv det som text inom citattecken.", "write it as text in quotes.")


def _bad_value(value) -> tuple[str, str, str, str] | None:
    """Why a loaded value cannot be stored as JSON, or None."""
    if isinstance(value, _LongNumber):
        return _number_too_long(value)
    if value is None or isinstance(value, (str, bool, dict, list)):
        return None
    if isinstance(value, int):
        if value.bit_length() > 3 * _MAX_INT_DIGITS:
            try:
                str(value)
            except ValueError:
                return _number_too_long()
        return None
    if isinstance(value, float):
        if math.isfinite(value):
            return None
        return ("talet är oändligt eller inget tal (inf/nan) och kan inte lagras.",
                "the number is infinite or not a number (inf/nan) and cannot be stored.",
                "skriv ett vanligt tal, eller text inom citattecken.", "write an ordinary number, or text in quotes.")
    name = type(value).__name__
    return (f"värdet har en typ som inte kan lagras ({name}).", f"the value has a type that cannot be stored ({name}).",
            "skriv värdet som text, tal, lista eller fält.", "write the value as text, number, list or fields.")


def _walk_yaml(source: str, loader, root) -> dict[str, int]:
    """Check keys (text, not too long, not twice) and tags of every node; map field paths to lines."""
    lines: dict[str, int] = {}
    problems: list[Problem] = []
    budget = 16 * 1024 * 1024  # characters of field paths; long keys times many aliased nodes run out

    def add(path: str, what, line: int) -> None:
        problems.append(problem(path, what[0], what[1], what[2], what[3], line))

    # [node, path, merged]: merged mappings (<<) add their fields to the path of the mapping that merges them.
    stack: list[tuple] = [(root, "", False)]
    while stack and len(problems) < _MAX_PROBLEMS:
        node, path, merged = stack.pop()
        bad = _check_tag(loader, node)
        if bad:
            add(path, bad, _line(node))
            continue
        kids: list[tuple] = []
        later: list[tuple] = []
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for knode, vnode in node.value:
                kline = _line(knode)
                if isinstance(knode, yaml.ScalarNode) and knode.tag == _MERGE:
                    parts = vnode.value if isinstance(vnode, yaml.SequenceNode) else [vnode]
                    if not all(isinstance(m, yaml.MappingNode) for m in parts):
                        add(path, ("<< ska peka på fält (&namn på en mappning) eller en lista av sådana.",
                                   "<< must point at fields (&name on a mapping) or a list of them.",
                                   "skriv << : *namn där &namn står före en mappning.",
                                   "write << : *name where &name stands before a mapping."), kline)
                    else:
                        later += [(m, path, True) for m in parts]
                    continue
                if not isinstance(knode, yaml.ScalarNode) or knode.tag != _STR:
                    what = shorten(knode.value) if isinstance(knode, yaml.ScalarNode) else (
                        "(en lista)" if isinstance(knode, yaml.SequenceNode) else "(fält)")
                    what_en = what if isinstance(knode, yaml.ScalarNode) else (
                        "(a list)" if isinstance(knode, yaml.SequenceNode) else "(fields)")
                    problems.append(problem(
                        path, f"nyckeln {what} är inte text.", f"the key {what_en} is not text.",
                        "skriv fältnamnet som text, t.ex. rubrik:", "write the field name as text, e.g. rubrik:", kline))
                    continue
                if len(knode.value) > MAX_KEY_LENGTH:
                    problems.append(problem(
                        path, f"fältnamnet {shorten(knode.value)} är för långt (högst {MAX_KEY_LENGTH} tecken).",
                        f"the field name {shorten(knode.value)} is too long (at most {MAX_KEY_LENGTH} characters).",
                        "kontrollera kolon: text med kolon behöver citattecken, annars blir den ett fältnamn.",
                        "check the colons: text containing a colon needs quotes, or it becomes a field name.", kline))
                    continue
                sub = join_path(path, knode.value)
                if knode.value in seen and not merged:
                    problems.append(problem(
                        sub, f"fältet förekommer två gånger (även på rad {seen[knode.value]}).",
                        f"the field appears twice (also on line {seen[knode.value]}).",
                        "ta bort den ena förekomsten.", "remove one of them.", kline))
                seen[knode.value] = kline
                lines.setdefault(sub, kline)
                kids.append((vnode, sub, False))
                budget -= len(sub)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                sub = join_path(path, i)
                lines.setdefault(sub, _line(item))
                kids.append((item, sub, False))
                budget -= len(sub)
        # In file order; merged fields after the mapping's own, which win.
        stack += reversed(later)
        stack += reversed(kids)
        if budget < 0:
            raise _fail(source, problem(
                "", "fältnamnen blir för långa och för många när alias (*namn) fylls i.",
                "the field names become too long and too many when aliases (*name) are filled in.",
                "korta fältnamnen och skriv ut innehållet utan alias.",
                "shorten the field names and write the content out without aliases.", _line(node)))
    if problems:
        raise _fail(source, *problems[:_MAX_PROBLEMS])
    return lines


def _parse_yaml(source: str, text: str, limits: dict) -> tuple[object, dict[str, int]]:
    loader = _Loader(text)
    try:
        node = _compose_yaml(source, loader, _depth_limit(limits))
        if node is None:
            return None, {}
        _measure_yaml(source, node, limits)
        lines = _walk_yaml(source, loader, node)
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
        raise _fail(source, problem(
            "", f"filen är inte giltig YAML: {exc}.", f"the file is not valid YAML: {exc}.",
            "spara filen som vanlig text (UTF-8) och kontrollera indrag och kolon.",
            "save the file as plain text (UTF-8) and check indentation and colons.")) from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:  # left over after the checks above
        raise _fail(source, problem(
            "", f"ett värde i filen kan inte läsas: {exc}.", f"a value in the file cannot be read: {exc}.",
            "kontrollera värden med typmarkering (!!) och mycket långa tal.",
            "check values with tags (!!) and very long numbers.")) from None
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


class _LongNumber(str):
    """A JSON integer too long for Python to read; reported with its field by ``_scan_values``."""


def _json_int(text: str):
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        return _LongNumber(text)
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
        raise _fail(source, problem(
            "", f"filen är inte giltig JSON: {exc.msg} (kolumn {exc.colno}).",
            f"the file is not valid JSON: {exc.msg} (column {exc.colno}).",
            "kontrollera kommatecken och citattecken kring raden.", "check commas and quotes around the line.",
            exc.lineno)) from None
    except RecursionError:  # cannot happen after the pre-scan; kept as a guard
        raise _too_deep(source, _depth_limit(limits), None) from None
    if _json_depth(data, _depth_limit(limits)) > _depth_limit(limits):
        raise _too_deep(source, _depth_limit(limits), None)
    if duplicates:
        raise _fail(source, *[problem(k, "fältet förekommer två gånger.", "the field appears twice.",
                                      "ta bort den ena förekomsten.", "remove one of them.")
                              for k in duplicates[:_MAX_PROBLEMS]])
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
    while stack and len(found) < _MAX_PROBLEMS:
        value, ref = stack.pop()
        if isinstance(value, str) and not isinstance(value, _LongNumber):
            m = _BAD_XML.search(value)
            if m:
                report(ref, (f"otillåtet kontrolltecken U+{ord(m.group()):04X} i texten.",
                             f"control character U+{ord(m.group()):04X} in the text is not allowed.",
                             "ta bort tecknet.", "delete the character."))
            continue
        bad = _bad_value(value)
        if bad:
            report(ref, bad)
        elif isinstance(value, dict):
            kids = []
            for k, v in value.items():
                if isinstance(k, str) and len(k) <= MAX_KEY_LENGTH:
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
        raise _fail(loaded.source, *found)


def _too_large(source: str, size: int, limit: int, more: bool = False) -> InputError:
    over, over_en = ("över ", "more than ") if more else ("", "")
    return _fail(source, problem(
        "", f"filen är för stor: {over}{size} byte (högst {limit}).",
        f"the file is too large: {over_en}{size} bytes (at most {limit}).",
        "dela upp innehållet, eller lägg stora delar som bilagor.", "split the content, or attach large parts as attachments."))


def _decode(source: str, raw: bytes) -> str:
    """UTF-8 text (a BOM is fine); UTF-16 and other encodings get a clear error with the line."""
    head = raw[:4096]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or head.count(0) * 4 > len(head):  # UTF-16 text is half NUL bytes
        raise _fail(source, problem(
            "", "filen är inte UTF-8 (den ser ut att vara UTF-16 eller binär).",
            "the file is not UTF-8 (it looks like UTF-16 or binary).",
            "spara filen som text med teckenkodningen UTF-8.", "save the file as text with the UTF-8 encoding.", 1))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _fail(source, problem(
            "", "filen är inte UTF-8.", "the file is not UTF-8.",
            "spara filen med teckenkodningen UTF-8.", "save the file with the UTF-8 encoding.", line)) from None


def _empty(source: str) -> InputError:
    return _fail(source, problem(
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
        raise _fail(source, problem(
            "", f"okänd filtyp {shorten(suffix)}.", f"unknown file type {shorten(suffix)}.",
            "använd .yaml, .yml eller .json.", "use .yaml, .yml or .json."))
    if not text.strip():
        raise _empty(source)
    _prescan(source, text, suffix in YAML_SUFFIXES, limits)
    if suffix in YAML_SUFFIXES:
        data, lines = _parse_yaml(source, text, limits)
    else:
        data, lines = _parse_json(source, text, limits), {}
    if data is None:
        raise _empty(source)
    if not isinstance(data, dict):
        raise _fail(source, problem(
            "", "filen ska innehålla fält (namn: värde), t.ex. dokumenttyp: uppdragshandling.",
            "the file must hold fields (name: value), e.g. dokumenttyp: uppdragshandling.",
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
        raise _fail(source, problem("", "filen finns inte.", "the file does not exist.",
                                    "kontrollera sökvägen.", "check the path.")) from None
    except IsADirectoryError:
        raise _fail(source, folder) from None
    except PermissionError:
        raise _fail(source, problem(
            "", "filen får inte läsas (behörighet saknas).", "the file may not be read (permission denied).",
            "ge docgen läsrätt till filen.", "give docgen read access to the file.")) from None
    except OSError as exc:
        try:
            regular = stat.S_ISREG(os.stat(path).st_mode)
        except OSError:
            regular = True
        if not regular:
            raise _fail(source, not_regular) from None
        raise _fail(source, problem(
            "", f"filen kan inte öppnas: {exc.strerror}.", f"the file cannot be opened: {exc.strerror}.",
            "kontrollera filen och försök igen.", "check the file and try again.")) from None
    try:
        info = os.fstat(fd)  # of what was opened, not of what the name pointed at a moment before
        if stat.S_ISDIR(info.st_mode):
            raise _fail(source, folder)
        if not stat.S_ISREG(info.st_mode):
            raise _fail(source, not_regular)
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
        raise _fail(source, problem(
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

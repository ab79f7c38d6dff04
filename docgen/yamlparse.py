"""YAML input parsed safely: an event-driven composer, alias expansion measured, tags and keys checked.

The composer builds the node graph from the parser's events with an explicit stack (no recursion) and
stops at the depth limit; element count, expanded size and depth through aliases (alias bombs) are
measured, and every node's tag and value and every key checked, before the document is constructed.
Field paths get their lines. Only :func:`parse_yaml` is meant for other modules.
"""
from __future__ import annotations

import yaml
from yaml.events import AliasEvent, MappingStartEvent, ScalarEvent, SequenceStartEvent, StreamEndEvent

from .errors import Problem, problem, shorten
from .loadrules import (
    MAX_INT_DIGITS, MAX_KEY_LENGTH, MAX_PROBLEMS, bad_value, depth_limit, fail, join_path, number_too_long, too_deep,
)

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
                raise fail(source, problem(
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
                raise fail(source, problem(
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
                raise too_deep(source, limit, event.start_mark.line + 1)
            stack.append([node, kind is SequenceStartEvent, None])
        elif not stack:
            break
    loader.get_event()  # document end
    if not loader.check_event(StreamEndEvent):
        event = loader.get_event()
        raise fail(source, problem(
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
    max_nodes, max_depth = limits["max_noder"], depth_limit(limits)
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
            raise fail(source, problem(
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
            raise fail(source, problem(
                "", f"filen blir för stor när alias (*namn) fylls i: över {max_nodes} element.",
                f"the file expands to more than {max_nodes} elements when aliases (*name) are filled in.",
                "skriv ut innehållet utan alias, eller dela upp dokumentet.",
                "write the content out without aliases, or split the document.", _line(parent[0])))
        if parent[3] > max_bytes:
            raise fail(source, problem(
                "", f"filen blir för stor när alias (*namn) fylls i: över {max_bytes} byte.",
                f"the file expands to more than {max_bytes} bytes when aliases (*name) are filled in.",
                "skriv ut innehållet utan alias (*namn), eller dela upp dokumentet.",
                "write it out without aliases (*name), or split the document.", _line(parent[0])))
        if parent[4] > max_depth:
            raise too_deep(source, max_depth, _line(parent[0]))


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
        if tag in (_Y + "int", _Y + "float") and len(node.value) > MAX_INT_DIGITS:
            return number_too_long(node.value)  # also keeps 1:2:3:... (base 60) from taking quadratic time
        try:
            value = loader.yaml_constructors[tag](loader, node)
        except Exception:  # the constructors raise ValueError, KeyError, ConstructorError...
            return (f"värdet {shorten(node.value)} passar inte typen {name}.",
                    f"the value {shorten(node.value)} does not fit the type {name}.",
                    f"rätta värdet, eller ta bort {name} så blir det text.",
                    f"correct the value, or remove {name} to make it text.")
        return bad_value(value)
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


def _walk_yaml(source: str, loader, root) -> dict[str, int]:
    """Check keys (text, not too long, not twice) and tags of every node; map field paths to lines."""
    lines: dict[str, int] = {}
    problems: list[Problem] = []
    budget = 16 * 1024 * 1024  # characters of field paths; long keys times many aliased nodes run out

    def add(path: str, what, line: int) -> None:
        problems.append(problem(path, what[0], what[1], what[2], what[3], line))

    # [node, path, merged]: merged mappings (<<) add their fields to the path of the mapping that merges them.
    stack: list[tuple] = [(root, "", False)]
    while stack and len(problems) < MAX_PROBLEMS:
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
            raise fail(source, problem(
                "", "fältnamnen blir för långa och för många när alias (*namn) fylls i.",
                "the field names become too long and too many when aliases (*name) are filled in.",
                "korta fältnamnen och skriv ut innehållet utan alias.",
                "shorten the field names and write the content out without aliases.", _line(node)))
    if problems:
        raise fail(source, *problems[:MAX_PROBLEMS])
    return lines


def parse_yaml(source: str, text: str, limits: dict) -> tuple[object, dict[str, int]]:
    """The data of a YAML text and the line of each field path (``None, {}`` if empty); InputError if anything is wrong."""
    loader = _Loader(text)
    try:
        node = _compose_yaml(source, loader, depth_limit(limits))
        if node is None:
            return None, {}
        _measure_yaml(source, node, limits)
        lines = _walk_yaml(source, loader, node)
        return loader.construct_document(node), lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise fail(source, problem(
            "", f"filen är inte giltig YAML: {exc.problem or exc.context}.",
            f"the file is not valid YAML: {exc.problem or exc.context}.",
            "kontrollera indrag och kolon kring raden; text med kolon eller # behöver citattecken.",
            "check indentation and colons around the line; text containing a colon or # needs quotes.", line)) from None
    except yaml.YAMLError as exc:
        raise fail(source, problem(
            "", f"filen är inte giltig YAML: {exc}.", f"the file is not valid YAML: {exc}.",
            "spara filen som vanlig text (UTF-8) och kontrollera indrag och kolon.",
            "save the file as plain text (UTF-8) and check indentation and colons.")) from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:  # left over after the checks above
        raise fail(source, problem(
            "", f"ett värde i filen kan inte läsas: {exc}.", f"a value in the file cannot be read: {exc}.",
            "kontrollera värden med typmarkering (!!) och mycket långa tal.",
            "check values with tags (!!) and very long numbers.")) from None
    finally:
        loader.dispose()

"""Pre-scan of input text for nesting depth: linear, no recursion, before any parser runs.

No parser sees a document nested deeper than HARD_MAX_DEPTH: PyYAML's C composer recurses in C (a YAML
nested 25,000 deep crashes the process), libyaml's scanner slows down quadratically with flow depth,
json.loads recurses too. JSON is measured exactly against the depth limit (``max_djup``, at most
HARD_MAX_DEPTH); YAML is over-estimated, so it guards only the hard ceiling (the exact check follows
while composing, in :mod:`docgen.yamlparse`).
"""
from __future__ import annotations

import re

from .loadrules import HARD_MAX_DEPTH, depth_limit, too_deep

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


def prescan(source: str, text: str, is_yaml: bool, limits: dict) -> None:
    """Raise InputError (with the line) when the text nests too deep for the parsers."""
    if is_yaml:
        # Over-estimates, so it guards only the hard ceiling; the exact max_djup check follows while composing.
        line = _yaml_nesting(text, HARD_MAX_DEPTH)
        if line is not None:
            raise too_deep(source, HARD_MAX_DEPTH, line)
    else:
        line = _json_nesting(text, depth_limit(limits))
        if line is not None:
            raise too_deep(source, depth_limit(limits), line)

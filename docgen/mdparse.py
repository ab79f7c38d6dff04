"""The Markdown parser of the free-text subset (see :mod:`docgen.richtext`), and an XML parser, one per thread.

markdown-it's "zero" preset with lists, GFM pipe tables, emphasis, links, autolinks, escapes and
newlines enabled, and four inline rules replaced: emphasis with ``*`` only, links only to http(s) and
mailto targets, ``<https://…>`` autolinks, and a line end that is always a space (only a backslash
makes a hard break).
"""
from __future__ import annotations

import re
import threading

from docx.oxml.parser import element_class_lookup
from lxml import etree
from markdown_it import MarkdownIt
from markdown_it.rules_inline import emphasis as _emphasis
from markdown_it.rules_inline import link as _link
from markdown_it.rules_inline import newline as _newline

_LINK_SCHEMES = ("http://", "https://", "mailto:")
_AUTOLINK = re.compile(r"<(https?://[^<>\x00-\x20]*)>", re.IGNORECASE)

_local = threading.local()


def _star_emphasis(state, silent: bool) -> bool:
    """Emphasis with ``*`` only: an underscore is an ordinary character."""
    if state.src[state.pos] == "_":
        return False
    return _emphasis.tokenize(state, silent)


def _allowed_link(href: str) -> bool:
    return href.lower().startswith(_LINK_SCHEMES)


def _checked_link(state, silent: bool) -> bool:
    """``[text](target)`` only for an allowed target; any other stays literal text (not a link without its target)."""
    src, end = state.src, state.posMax
    if src[state.pos] != "[":
        return False
    if state.pos and src[state.pos - 1] == "!" and src[state.pos - 2:state.pos - 1] != "\\":
        return False  # an image: not part of the subset, stays as written
    label_end = state.md.helpers.parseLinkLabel(state, state.pos, True)
    if label_end < 0:
        return False
    pos = label_end + 1
    if pos >= end or src[pos] != "(":
        return False  # no reference links (no definitions in free text)
    pos += 1
    while pos < end and src[pos] in " \t\n":
        pos += 1
    dest = state.md.helpers.parseLinkDestination(src, pos, end)
    if not dest.ok or not _allowed_link(state.md.normalizeLink(dest.str)):
        return False
    return _link(state, silent)


def _web_autolink(state, silent: bool) -> bool:
    """``<https://…>`` and ``<http://…>``; the link text is the address exactly as written."""
    if state.src[state.pos] != "<":
        return False
    m = _AUTOLINK.match(state.src, state.pos, state.posMax)
    if not m:
        return False
    if not silent:
        tok = state.push("link_open", "a", 1)
        tok.attrs = {"href": state.md.normalizeLink(m.group(1))}
        tok.markup, tok.info = "autolink", "auto"
        state.push("text", "", 0).content = m.group(1)
        tok = state.push("link_close", "a", -1)
        tok.markup, tok.info = "autolink", "auto"
    state.pos = m.end()
    return True


def _soft_newline(state, silent: bool) -> bool:
    """A line end is a space; trailing spaces do not make a hard break (only a backslash does)."""
    first = len(state.tokens)
    if not _newline(state, silent):
        return False
    for tok in state.tokens[first:]:
        if tok.type == "hardbreak":
            tok.type = "softbreak"
    return True


def _new_markdown() -> MarkdownIt:
    md = MarkdownIt("zero").enable(["list", "table", "emphasis", "link", "autolink", "escape", "newline"])
    md.inline.ruler.at("emphasis", _star_emphasis)
    md.inline.ruler.at("link", _checked_link)
    md.inline.ruler.at("autolink", _web_autolink)
    md.inline.ruler.at("newline", _soft_newline)
    return md


def markdown() -> MarkdownIt:
    """This thread's Markdown parser.

    A ``MarkdownIt`` is not safe to share between threads: its rule chains are compiled lazily on
    first use (``Ruler.__compile__`` first sets an empty cache, then fills it), and a thread that
    parses meanwhile sees an empty or half-filled chain: "none of the block rules matched", or
    worse, silently wrong output (a list item lost, an empty document).
    """
    md = getattr(_local, "md", None)
    if md is None:
        md = _local.md = _new_markdown()
    return md


def parse_xml(xml: str):
    """An element of ours, parsed with python-docx's element classes by this thread's own parser."""
    parser = getattr(_local, "xml_parser", None)
    if parser is None:
        parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False)
        parser.set_element_class_lookup(element_class_lookup)
        _local.xml_parser = parser
    return etree.fromstring(xml, parser)


def normalize(text: str) -> str:
    """The text as markdown-it sees it (its ``normalize`` rule): line ends as ``\\n``, NUL as U+FFFD."""
    return re.sub(r"\r\n?", "\n", text).replace("\0", "\ufffd")

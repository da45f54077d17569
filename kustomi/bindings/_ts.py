"""What the tree-sitter readers share: parsers built once per grammar, a tree walk, and string
literals read the way the compiler reads them (escapes, `+` of literals); anything else (a
constant, a call, an interpolation) has no value that can be read from the source alone."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from tree_sitter import Language, Node, Parser

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", '"': '"', "'": "'", "\\": "\\", "`": "`"}


@functools.cache
def parser(grammar: str) -> Parser:
    """A parser for one grammar package: c_sharp, java, javascript, typescript, tsx."""
    lang: Any
    if grammar == "c_sharp":
        import tree_sitter_c_sharp as m

        lang = m.language()
    elif grammar == "java":
        import tree_sitter_java as m_java

        lang = m_java.language()
    elif grammar == "javascript":
        import tree_sitter_javascript as m_js

        lang = m_js.language()
    else:
        import tree_sitter_typescript as m_ts

        lang = m_ts.language_tsx() if grammar == "tsx" else m_ts.language_typescript()
    return Parser(Language(lang))


def walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text else ""


def line(node: Node) -> int:
    return node.start_point.row + 1


def literal(node: Node | None) -> str | None:
    """The string a literal expression holds, or None when it is not one."""
    if node is None:
        return None
    t = node.type
    if t in ("parenthesized_expression",) and node.named_child_count == 1:
        return literal(node.named_children[0])
    if t == "binary_expression":
        op = node.child_by_field_name("operator")
        left = literal(node.child_by_field_name("left"))
        right = literal(node.child_by_field_name("right"))
        if text(op) == "+" and left is not None and right is not None:
            return left + right
        return None
    if t == "verbatim_string_literal":  # C# @"...": no escapes, "" is a quote
        return text(node)[2:-1].replace('""', '"')
    if t == "raw_string_literal":  # C# """...""" (a single line form is enough here)
        return text(node).strip('"').strip()
    if t in ("string_literal", "string", "template_string"):
        out = []
        for c in node.named_children:
            if c.type in ("string_literal_content", "string_fragment"):
                out.append(text(c))
            elif c.type == "escape_sequence":
                e = text(c)
                out.append(_ESCAPES.get(e[1:2], e[1:]) if len(e) == 2 else e)
            elif c.type == "comment":
                continue
            else:  # an interpolation: not known from the source
                return None
        return "".join(out)
    return None

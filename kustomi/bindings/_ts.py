"""What the tree-sitter readers share: parsers built once per grammar, a tree walk, and string
values read the way the compiler reads them: literals (escapes, `+` of literals), and names
of constants and variables declared in the file or elsewhere in the project (`Db`,
`SampleConstants.DatabaseName`, `nameof(X)`, a template whose parts are such). Anything else
(a call, a value known only at run time) has no value that can be read from the source."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
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


# Declarations whose value names read: C# `const`/`static readonly` fields and locals, Java
# fields and locals, JavaScript/TypeScript `const`/`let`/`var`.
DECLARATORS = ("variable_declarator",)
NAMES = ("identifier", "member_access_expression", "field_access", "member_expression")


@dataclass
class Symbols:
    """Names and the expressions they are declared with: a file's own (looked up first), then
    the project's (`outer`). A name declared with two different values is not known."""

    entries: dict[str, list[tuple[Node, Symbols | None]]] = field(default_factory=dict)
    outer: Symbols | None = None
    busy: set[str] = field(default_factory=set)

    def add(self, key: str, node: Node, where: Symbols | None = None) -> None:
        self.entries.setdefault(key, []).append((node, where))

    def nodes(self, key: str) -> list[tuple[Node, Symbols]]:
        for table in (self, self.outer):
            if table is not None and key in table.entries:
                return [(n, where or self) for n, where in table.entries[key]]
        return []

    def lookup(self, key: str) -> str | None:
        found = self.nodes(key)
        if not found or key in self.busy:
            return None
        self.busy.add(key)
        try:
            values = {literal(n, where) for n, where in found}
        finally:
            self.busy.discard(key)
        return values.pop() if len(values) == 1 and None not in values else None

    def name(self, node: Node) -> str | None:
        """The value a name (`X`, `A.B.X`) stands for: the dotted name as declared in the
        project (a class's constant: `A.X`), else the last part alone when only one is known."""
        parts = text(node).replace(" ", "").split(".")
        for key in (".".join(parts[-2:]), parts[-1]) if len(parts) > 1 else (parts[0],):
            if self.nodes(key):
                return self.lookup(key)
        return None


def declare(root: Node, into: Symbols, where: Symbols | None = None) -> None:
    """Every declaration with a value in the tree, by its name and by `Class.Name`."""
    for node in walk(root):
        if node.type not in DECLARATORS:
            continue
        name = node.child_by_field_name("name")
        value = node.child_by_field_name("value")
        if value is None:  # C#: `identifier = expression` without a field name
            kids = node.named_children
            name, value = (kids[0], kids[-1]) if len(kids) >= 2 else (None, None)
        if name is None or value is None or name.type != "identifier":
            continue
        into.add(text(name), value, where)
        owner = node.parent
        while owner is not None and owner.type not in (
            "class_declaration",
            "interface_declaration",
        ):
            owner = owner.parent
        if owner is not None:
            into.add(f"{text(owner.child_by_field_name('name'))}.{text(name)}", value, where)


def literal(node: Node | None, symbols: Symbols | None = None) -> str | None:
    """The string an expression holds, or None when it is not known from the source."""
    if node is None:
        return None
    t = node.type
    if t in ("parenthesized_expression",) and node.named_child_count == 1:
        return literal(node.named_children[0], symbols)
    if symbols is not None and t in NAMES:
        return symbols.name(node)
    if t == "invocation_expression" and text(node.child_by_field_name("function")) == "nameof":
        args = node.child_by_field_name("arguments")
        return text(args).strip("()").split(".")[-1].strip() if args is not None else None
    if t == "binary_expression":
        op = node.child_by_field_name("operator")
        left = literal(node.child_by_field_name("left"), symbols)
        right = literal(node.child_by_field_name("right"), symbols)
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
            elif c.type == "template_substitution" and symbols is not None:
                part = literal(c.named_children[0] if c.named_children else None, symbols)
                if part is None:
                    return None
                out.append(part)
            else:  # an interpolation: not known from the source
                return None
        return "".join(out)
    return None

"""Java annotations `@KustoInput` / `@KustoOutput` (com.microsoft.azure.functions.kusto.annotation),
read with tree-sitter-java; element values may be literals or the project's constants
(`Constants.DB`, a statically imported `DB`). Elements are written under their own names
into function.json (microsoft/azure-maven-plugins
.../legacy/function/bindings/Binding.java `addProperties`)."""

from __future__ import annotations

from typing import Any

from . import Binding, Prop
from ._ts import Symbols, line, literal, parser, text, walk

NAMES = {"KustoInput": "in", "KustoOutput": "out"}


def read(source: bytes, file: str, symbols: Symbols | None = None) -> list[Binding]:
    tree = parser("java").parse(source)
    found = []
    for node in walk(tree.root_node):
        if node.type != "annotation":
            continue
        name = text(node.child_by_field_name("name")).split(".")[-1]
        if name not in NAMES:
            continue
        props = []
        args = node.child_by_field_name("arguments")
        for pair in args.named_children if args else []:
            if pair.type == "element_value_pair":
                key = pair.child_by_field_name("key")
                node_ = pair.child_by_field_name("value")
                value = literal(node_, symbols)
                expr = "" if value is not None else text(node_)
                props.append(Prop(text(key), value, line(pair), expr))
        fn = node.parent
        while fn is not None and fn.type != "method_declaration":
            fn = fn.parent
        where = _function_name(fn, symbols) if fn is not None else "?"
        found.append(
            Binding("java", NAMES[name], file, line(node), where, props, frozenset({"name"}))
        )
    return found


def _function_name(method: Any, symbols: Symbols | None) -> str:
    """@FunctionName("X") on the method, else the method's own name."""
    mods = next((c for c in method.children if c.type == "modifiers"), None)
    for a in mods.named_children if mods is not None else []:
        if a.type == "annotation" and text(a.child_by_field_name("name")) == "FunctionName":
            args = a.child_by_field_name("arguments")
            first = args.named_children[0] if args and args.named_children else None
            value = literal(first, symbols)
            if value:
                return value
    return text(method.child_by_field_name("name"))

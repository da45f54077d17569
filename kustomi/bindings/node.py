"""Node.js v4 programming model: `input.generic({ type: 'kusto', ... })` and
`output.generic({ ... })` from @azure/functions, read with tree-sitter-javascript or
tree-sitter-typescript. The options object is passed through unchanged
(Azure/azure-functions-nodejs-library src/input.ts, src/output.ts)."""

from __future__ import annotations

from . import Binding, Prop
from ._ts import line, literal, parser, text, walk

DIRECTIONS = {"input": "in", "output": "out"}
WRAPPERS = (
    "as_expression",
    "satisfies_expression",
    "parenthesized_expression",
    "non_null_expression",
)


def read(source: bytes, file: str, model: str) -> list[Binding]:
    grammar = "javascript"
    if model == "typescript":
        grammar = "tsx" if file.endswith("x") else "typescript"
    tree = parser(grammar).parse(source)
    found = []
    for node in walk(tree.root_node):
        if node.type != "call_expression":
            continue
        fn = node.child_by_field_name("function")
        if fn is None or fn.type != "member_expression":
            continue
        obj = text(fn.child_by_field_name("object")).split(".")[-1]
        if obj not in DIRECTIONS or text(fn.child_by_field_name("property")) != "generic":
            continue
        args = node.child_by_field_name("arguments")
        options = args.named_children[0] if args is not None and args.named_children else None
        # TypeScript: `{...} as const`, `{...} satisfies T`, `({...})`.
        while options is not None and options.type in WRAPPERS and options.named_children:
            options = options.named_children[0]
        if options is None or options.type != "object":
            continue
        props = []
        for pair in options.named_children:
            if pair.type == "pair":
                key = pair.child_by_field_name("key")
                name = literal(key) if key is not None and key.type == "string" else text(key)
                props.append(
                    Prop(name or "", literal(pair.child_by_field_name("value")), line(pair))
                )
            elif pair.type == "shorthand_property_identifier":
                props.append(Prop(text(pair), None, line(pair)))
        kind = next((p.value for p in props if p.key.lower() == "type"), None)
        if (kind or "").lower() != "kusto":
            continue
        b = Binding(
            model, DIRECTIONS[obj], file, line(node), "", props, frozenset({"type", "name"})
        )
        named = b.get("name")
        b.function = _declared_name(node) or (named.value if named else None) or "?"
        found.append(b)
    return found


def _declared_name(call: object) -> str | None:
    parent = getattr(call, "parent", None)
    if parent is not None and parent.type == "variable_declarator":
        return text(parent.child_by_field_name("name"))
    return None

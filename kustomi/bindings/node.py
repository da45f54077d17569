"""Node.js v4 programming model: `input.generic({ type: 'kusto', ... })` and
`output.generic({ ... })` from @azure/functions, read with tree-sitter-javascript or
tree-sitter-typescript. The options object is passed through unchanged
(Azure/azure-functions-nodejs-library src/input.ts, src/output.ts), so it may be built from
variables: `input.generic(options)`, `{ ...base, kqlCommand: QUERY }`, template strings of
constants. The function a binding belongs to is the `app.http('name', ...)` /
`app.generic('name', ...)` whose options name it (`extraInputs: [kustoIn]`, `return: ...`)."""

from __future__ import annotations

from typing import Any

from . import Binding, Prop
from ._ts import Symbols, line, literal, parser, text, walk

DIRECTIONS = {"input": "in", "output": "out"}
# Keys of the binding itself, not of KustoAttribute: the library sets `direction` when the
# function is registered (Azure/azure-functions-nodejs-library src/app.ts), and `dataType` is
# the host's own binding property (Azure/azure-functions-host BindingMetadata.DataType), as in
# function.json; code writes both (`output.generic({ type: ..., direction: 'out', ... })`).
STRUCTURAL = frozenset({"type", "name", "direction", "datatype"})
WRAPPERS = (
    "as_expression",
    "satisfies_expression",
    "parenthesized_expression",
    "non_null_expression",
)


def read(source: bytes, file: str, model: str, symbols: Symbols | None = None) -> list[Binding]:
    grammar = "javascript"
    if model == "typescript":
        grammar = "tsx" if file.endswith("x") else "typescript"
    tree = parser(grammar).parse(source)
    symbols = symbols or Symbols()
    found = []
    owners = _owners(tree.root_node, symbols)
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
        props = _object(options, symbols, set())
        if props is None:
            continue
        kind = next((p.value for p in props if p.key.lower() == "type"), None)
        if (kind or "").lower() != "kusto":
            continue
        b = Binding(model, DIRECTIONS[obj], file, line(node), "", props, STRUCTURAL)
        named = b.get("name")
        declared = _declared_name(node)
        owner = owners.get(declared or "") or owners.get(f"@{node.start_byte}")
        own = declared or (named.value if named else None)
        b.function = "/".join(n for n in (owner, own) if n) or "?"
        found.append(b)
    return found


def _unwrap(node: Any) -> Any:
    # TypeScript: `{...} as const`, `{...} satisfies T`, `({...})`.
    while node is not None and node.type in WRAPPERS and node.named_children:
        node = node.named_children[0]
    return node


def _object(node: Any, symbols: Symbols, seen: set[str]) -> list[Prop] | None:
    """The properties of an options object: written in place, or a variable holding one, with
    its spreads (`...base`) in order, later keys replacing earlier ones."""
    node = _unwrap(node)
    if node is None:
        return None
    if node.type == "identifier":
        name = text(node)
        found = symbols.nodes(name)
        if name in seen or len(found) != 1:
            return None
        target, where = found[0]
        return _object(target, where, seen | {name})
    if node.type != "object":
        return None
    props: dict[str, Prop] = {}
    for pair in node.named_children:
        if pair.type == "pair":
            key = pair.child_by_field_name("key")
            k = (literal(key) if key is not None and key.type == "string" else text(key)) or ""
            value_node = pair.child_by_field_name("value")
            value = literal(value_node, symbols)
            expr = "" if value is not None else text(value_node)
            props[k] = Prop(k, value, line(pair), expr)
        elif pair.type == "shorthand_property_identifier":
            value = symbols.lookup(text(pair))
            expr = "" if value is not None else text(pair)
            props[text(pair)] = Prop(text(pair), value, line(pair), expr)
        elif pair.type == "spread_element" and pair.named_children:
            spread = _object(pair.named_children[0], symbols, seen)
            for p in spread or []:
                props[p.key] = p
    return list(props.values())


def _declared_name(call: object) -> str | None:
    """The name a binding is kept under: `const kustoInput = input.generic(...)`, a module's
    export (`module.exports.kustoInput = ...`, `exports.kustoInput = ...`) or a key of an
    object of bindings (`{ kustoInput: input.generic(...) }`), which another file registers."""
    parent = getattr(call, "parent", None)
    if parent is not None and parent.type == "variable_declarator":
        return text(parent.child_by_field_name("name"))
    if parent is not None and parent.type == "assignment_expression":
        left = parent.child_by_field_name("left")
        if left is not None and left.type in ("member_expression", "identifier"):
            return text(left).split(".")[-1]
    if parent is not None and parent.type == "pair":
        key = parent.child_by_field_name("key")
        name = (literal(key) if key is not None and key.type == "string" else text(key)) or None
        return None if name in ("return", "trigger") else name  # app.<trigger>'s own options
    return None


def _owners(root: Any, symbols: Symbols) -> dict[str, str]:
    """Binding variable (or `@<offset>` of a binding written in place) -> the name of the
    app.<trigger>('name', options) function whose extraInputs, extraOutputs or return hold
    it."""
    out: dict[str, str] = {}
    for node in walk(root):
        if node.type != "call_expression":
            continue
        fn = node.child_by_field_name("function")
        if fn is None or fn.type != "member_expression":
            continue
        if text(fn.child_by_field_name("object")) != "app":
            continue
        args = node.child_by_field_name("arguments")
        kids = args.named_children if args is not None else []
        if len(kids) < 2:
            continue
        name = literal(kids[0], symbols)
        options = _unwrap(kids[1])
        if not name or options is None or options.type != "object":
            continue
        for pair in options.named_children:
            if pair.type != "pair":
                continue
            key = text(pair.child_by_field_name("key"))
            if key not in ("extraInputs", "extraOutputs", "return"):
                continue
            value = _unwrap(pair.child_by_field_name("value"))
            items = value.named_children if value is not None and value.type == "array" else [value]
            for item in items:
                item = _unwrap(item)
                if item is None:
                    continue
                if item.type == "identifier":
                    out.setdefault(text(item), name)
                elif item.type == "call_expression":
                    out.setdefault(f"@{item.start_byte}", name)
    return out

"""C# attributes: `[Kusto(...)]` (in-process, Microsoft.Azure.WebJobs.Kusto) and
`[KustoInput(...)]` / `[KustoOutput(...)]` (isolated worker,
Microsoft.Azure.Functions.Worker.Extensions.Kusto), read with tree-sitter-c-sharp.

The first positional argument, or `Database:`, is the constructor's `Database`; `Name = value`
sets a property (Azure/Webjobs.Extensions.Kusto src/KustoAttribute.cs,
Worker.Extensions.Kusto/KustoInputAttribute.cs, KustoOutputAttribute.cs)."""

from __future__ import annotations

from typing import Any

from . import Binding, Prop
from ._ts import line, literal, parser, text, walk

NAMES = {
    "Kusto": ("csharp", ""),
    "KustoInput": ("csharp-isolated", "in"),
    "KustoOutput": ("csharp-isolated", "out"),
}
# An in-process [Kusto] serves both directions: an output parameter is `out T`, a collector,
# or the return value (src/Config/KustoExtensionConfigProvider.cs, BindToCollector).
OUT_TYPES = ("IAsyncCollector", "ICollector")
FUNCTION_ATTRIBUTES = ("Function", "FunctionAttribute", "FunctionName", "FunctionNameAttribute")


def read(source: bytes, file: str) -> list[Binding]:
    tree = parser("c_sharp").parse(source)
    found = []
    for node in walk(tree.root_node):
        if node.type != "attribute":
            continue
        name = text(node.child_by_field_name("name")).split(".")[-1]
        name = name.removesuffix("Attribute")
        if name not in NAMES:
            continue
        model, direction = NAMES[name]
        props = []
        args = next((c for c in node.children if c.type == "attribute_argument_list"), None)
        for i, arg in enumerate(
            a for a in (args.named_children if args else []) if a.type == "attribute_argument"
        ):
            named = [c for c in arg.children if c.type in (":", "=")]
            value = arg.named_children[-1]
            key = text(arg.named_children[0]) if named else ("Database" if i == 0 else f"#{i}")
            props.append(Prop(key, literal(value), line(arg)))
        b = Binding(model, direction, file, line(node), _function(node), props)
        if not b.direction:
            b.direction = _direction(node, b)
        found.append(b)
    return found


def _function(node: Any) -> str:
    """The function's name: [Function("X")] / [FunctionName("X")] on the method, else the
    method's own name."""
    n = node.parent
    while n is not None and n.type != "method_declaration":
        n = n.parent
    if n is None:
        return "?"
    for attr in (a for c in n.children if c.type == "attribute_list" for a in c.named_children):
        if text(attr.child_by_field_name("name")).split(".")[-1] in FUNCTION_ATTRIBUTES:
            args = next((c for c in attr.children if c.type == "attribute_argument_list"), None)
            name = (
                literal(args.named_children[0].named_children[-1])
                if args and args.named_children
                else None
            )
            if name:
                return name
    return text(n.child_by_field_name("name"))


def _direction(attr: object, b: Binding) -> str:
    attr_list = getattr(attr, "parent", None)
    if attr_list is not None and any(
        c.type == "attribute_target_specifier" and "return" in text(c) for c in attr_list.children
    ):
        return "out"
    param = attr_list.parent if attr_list is not None else None
    if param is not None and param.type == "parameter":
        if any(c.type == "modifier" and text(c) == "out" for c in param.children):
            return "out"
        if any(t in text(param.child_by_field_name("type")) for t in OUT_TYPES):
            return "out"
        return "in"
    # On the method without `return:`: only the properties tell.
    return "out" if b.get("TableName") and not b.get("KqlCommand") else "in"

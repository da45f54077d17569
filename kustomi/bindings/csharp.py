"""C# attributes: `[Kusto(...)]` (in-process, Microsoft.Azure.WebJobs.Kusto) and
`[KustoInput(...)]` / `[KustoOutput(...)]` (isolated worker,
Microsoft.Azure.Functions.Worker.Extensions.Kusto), read with tree-sitter-c-sharp; and the
imperative form of the in-process model, `new KustoAttribute(...) { ... }` handed to
`IBinder`/`Binder.BindAsync<T>(...)` at run time.

The first positional argument, or `Database:`, is the constructor's `Database`; `Name = value`
sets a property (Azure/Webjobs.Extensions.Kusto src/KustoAttribute.cs,
Worker.Extensions.Kusto/KustoInputAttribute.cs, KustoOutputAttribute.cs). Values may be
literals or constants of the project (`SampleConstants.DatabaseName`), as attribute arguments
must be; an imperative binding's may be anything, and what is not a constant is not known."""

from __future__ import annotations

from typing import Any

from . import Binding, Prop
from ._ts import Symbols, line, literal, parser, text, walk

NAMES = {
    "Kusto": ("csharp", ""),
    "KustoInput": ("csharp-isolated", "in"),
    "KustoOutput": ("csharp-isolated", "out"),
}
# An in-process [Kusto] serves both directions: an output parameter is `out T`, a collector,
# or the return value (src/Config/KustoExtensionConfigProvider.cs, BindToCollector).
OUT_TYPES = ("IAsyncCollector", "ICollector")
FUNCTION_ATTRIBUTES = ("Function", "FunctionAttribute", "FunctionName", "FunctionNameAttribute")


def _prop(key: str, node: Any, symbols: Symbols | None) -> Prop:
    value = literal(node, symbols)
    return Prop(key, value, line(node), "" if value is not None else text(node))


def read(source: bytes, file: str, symbols: Symbols | None = None) -> list[Binding]:
    tree = parser("c_sharp").parse(source)
    found = []
    for node in walk(tree.root_node):
        if node.type == "object_creation_expression":
            b = _imperative(node, file, symbols)
            if b is not None:
                found.append(b)
            continue
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
            p = _prop(key, value, symbols)
            props.append(Prop(p.key, p.value, line(arg), p.expr))
        b = Binding(model, direction, file, line(node), _function(node, symbols), props)
        if not b.direction:
            b.direction = _direction(node, b)
        found.append(b)
    return found


def _imperative(node: Any, file: str, symbols: Symbols | None) -> Binding | None:
    """`new KustoAttribute(db) { Connection = ..., ... }` passed to a binder's `Bind...` in the
    same method (itself or the variable it is assigned to), with what the method sets on that
    variable (`attr.TableName = ...`); its direction from the `BindAsync<T>` (a collector:
    output), else from its properties."""
    if text(node.child_by_field_name("type")).replace(" ", "").split(".")[-1] != "KustoAttribute":
        return None
    props = []
    args = node.child_by_field_name("arguments")
    for i, arg in enumerate(
        a for a in (args.named_children if args else []) if a.type == "argument"
    ):
        named = arg.child_by_field_name("name")
        key = text(named).rstrip(":").strip() if named is not None else ""
        props.append(_prop(key or ("Database" if i == 0 else f"#{i}"), arg.named_children[-1],
                           symbols))  # fmt: skip
    init = next((c for c in node.children if c.type == "initializer_expression"), None)
    for a in init.named_children if init is not None else []:
        if a.type == "assignment_expression":
            props.append(_prop(text(a.child_by_field_name("left")), a.child_by_field_name("right"),
                               symbols))  # fmt: skip
    var = (
        node.parent
        if node.parent is not None and node.parent.type == "variable_declarator"
        else None
    )
    name = text(var.named_children[0]) if var is not None and var.named_children else ""
    method = node.parent
    while method is not None and method.type not in (
        "method_declaration",
        "local_function_statement",
    ):
        method = method.parent
    bound_as = ""
    for n in walk(method) if method is not None else []:
        if name and n.type == "assignment_expression":
            left = n.child_by_field_name("left")
            if (
                left is not None
                and left.type == "member_access_expression"
                and (text(left.child_by_field_name("expression")) == name)
            ):
                key = text(left.child_by_field_name("name"))
                props.append(_prop(key, n.child_by_field_name("right"), symbols))
        elif n.type == "invocation_expression":
            call = text(n.child_by_field_name("function"))
            passed = text(n.child_by_field_name("arguments")).strip("()").split(",")
            inside = n.start_byte <= node.start_byte and node.end_byte <= n.end_byte
            if ".Bind" in call and (inside or name in (a.strip() for a in passed)):
                bound_as = call
    if not bound_as:  # an attribute built for something else (a test's context): no binding
        return None
    b = Binding("csharp", "", file, line(node), _function(node, symbols), props, imperative=True)
    if any(t in bound_as for t in OUT_TYPES):
        b.direction = "out"
    elif "<" in bound_as:
        b.direction = "in"
    else:
        b.direction = "out" if b.get("TableName") and not b.get("KqlCommand") else "in"
    return b


def _function(node: Any, symbols: Symbols | None = None) -> str:
    """The function's name: [Function("X")] / [FunctionName("X")] on the method, else the
    method's own name."""
    n = node.parent
    while n is not None and n.type not in ("method_declaration", "property_declaration"):
        n = n.parent
    if n is None:
        return "?"
    if n.type == "property_declaration":
        # The isolated worker's several outputs: a property of the type the function returns
        # (https://learn.microsoft.com/azure/azure-functions/dotnet-isolated-process-guide#multiple-output-bindings).
        owner = n.parent
        while owner is not None and owner.type not in ("class_declaration", "record_declaration"):
            owner = owner.parent
        prop = text(n.child_by_field_name("name"))
        return f"{text(owner.child_by_field_name('name'))}.{prop}" if owner else prop
    for attr in (a for c in n.children if c.type == "attribute_list" for a in c.named_children):
        if text(attr.child_by_field_name("name")).split(".")[-1] in FUNCTION_ATTRIBUTES:
            args = next((c for c in attr.children if c.type == "attribute_argument_list"), None)
            name = (
                literal(args.named_children[0].named_children[-1], symbols)
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

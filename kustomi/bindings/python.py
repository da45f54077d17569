"""Python v2 programming model: `@app.generic_input_binding(arg_name=..., type="kusto", ...)`
and `@app.generic_output_binding(...)` (Azure/azure-functions-python-library
azure/functions/decorators/function_app.py), on a `FunctionApp` or a `Blueprint`
(`bp = func.Blueprint()`, registered with `app.register_functions(bp)`), read with Python's
`ast`. Keyword values may be literals, or names the module (or one other module of the
project) assigns at its top level, f-strings of those, and `**options` of a dict of them; the
function's name is `@app.function_name(name=...)`, else the def's."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from . import Binding, Prop

DIRECTIONS = {"generic_input_binding": "in", "generic_output_binding": "out"}
STRUCTURAL = frozenset({"argname", "type", "datatype"})


@dataclass
class Names:
    """Top-level assignments: a module's own (looked up first), then the project's."""

    values: dict[str, list[ast.expr]] = field(default_factory=dict)
    outer: Names | None = None
    busy: set[str] = field(default_factory=set)

    def exprs(self, name: str) -> list[tuple[ast.expr, Names]]:
        for table in (self, self.outer):
            if table is not None and name in table.values:
                where = self if table is self else table
                return [(e, where) for e in table.values[name]]
        return []


def declare(tree: ast.Module, into: Names) -> None:
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    into.values.setdefault(target.id, []).append(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            into.values.setdefault(node.target.id, []).append(node.value)


def read(source: bytes, file: str, names: Names | None = None) -> list[Binding]:
    tree = ast.parse(source, filename=file)
    if names is None:
        names = Names()
        declare(tree, names)
    found = []
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        fn_name = _function_name(fn, names)
        for dec in fn.decorator_list:
            if not isinstance(dec, ast.Call) or not isinstance(dec.func, ast.Attribute):
                continue
            direction = DIRECTIONS.get(dec.func.attr)
            if direction is None:
                continue
            props: dict[str, Prop] = {}
            for kw in dec.keywords:
                if kw.arg is not None:
                    props[kw.arg] = _prop(kw.arg, kw.value, names)
                else:  # **options
                    for p in _dict(kw.value, names, set()) or []:
                        props[p.key] = p
            kind = props["type"].value if "type" in props else None
            if (kind or "").lower() != "kusto":
                continue
            found.append(
                Binding(
                    "python", direction, file, dec.lineno, fn_name, list(props.values()), STRUCTURAL
                )
            )
    return found


def _prop(key: str, node: ast.expr, names: Names) -> Prop:
    value = _literal(node, names, set())
    return Prop(key, value, node.lineno, "" if value is not None else ast.unparse(node))


def _function_name(fn: ast.FunctionDef | ast.AsyncFunctionDef, names: Names) -> str:
    for dec in fn.decorator_list:
        if (
            isinstance(dec, ast.Call)
            and isinstance(dec.func, ast.Attribute)
            and dec.func.attr == "function_name"
        ):
            args = [*dec.args[:1], *(k.value for k in dec.keywords if k.arg == "name")]
            value = _literal(args[0], names, set()) if args else None
            if value:
                return value
    return fn.name


def _literal(node: ast.expr, names: Names, seen: set[str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal(node.left, names, seen), _literal(node.right, names, seen)
        return left + right if left is not None and right is not None else None
    if isinstance(node, ast.JoinedStr):
        out = []
        for part in node.values:
            if isinstance(part, ast.FormattedValue):
                if part.format_spec is not None or part.conversion not in (-1, ord("s")):
                    return None
                value = _literal(part.value, names, seen)
            else:
                value = _literal(part, names, seen)
            if value is None:
                return None
            out.append(value)
        return "".join(out)
    if isinstance(node, ast.Name):
        found = names.exprs(node.id)
        if not found or node.id in seen:
            return None
        values = {_literal(e, where, seen | {node.id}) for e, where in found}
        return values.pop() if len(values) == 1 and None not in values else None
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        # `constants.DATABASE`: a module's name, looked up in the project.
        return _literal(ast.Name(node.attr, ast.Load()), names.outer or names, seen)
    return None


def _dict(node: ast.expr, names: Names, seen: set[str]) -> list[Prop] | None:
    """`**options`: a dict display or `dict(...)`, in place or by a name."""
    if isinstance(node, ast.Name):
        found = names.exprs(node.id)
        if len(found) != 1 or node.id in seen:
            return None
        expr, where = found[0]
        return _dict(expr, where, seen | {node.id})
    if isinstance(node, ast.Dict):
        out = []
        for k, v in zip(node.keys, node.values, strict=True):
            if k is None:
                out += _dict(v, names, seen) or []
            elif isinstance(k, ast.Constant) and isinstance(k.value, str):
                out.append(_prop(k.value, v, names))
        return out
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
        return [_prop(k.arg, k.value, names) for k in node.keywords if k.arg is not None]
    return None

"""Python v2 programming model: `@app.generic_input_binding(arg_name=..., type="kusto", ...)`
and `@app.generic_output_binding(...)` (Azure/azure-functions-python-library
azure/functions/decorators/function_app.py), read with Python's `ast`."""

from __future__ import annotations

import ast

from . import Binding, Prop

DIRECTIONS = {"generic_input_binding": "in", "generic_output_binding": "out"}
STRUCTURAL = frozenset({"argname", "type", "datatype"})


def read(source: bytes, file: str) -> list[Binding]:
    tree = ast.parse(source, filename=file)
    found = []
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for dec in fn.decorator_list:
            if not isinstance(dec, ast.Call) or not isinstance(dec.func, ast.Attribute):
                continue
            direction = DIRECTIONS.get(dec.func.attr)
            if direction is None:
                continue
            props = [
                Prop(kw.arg, _literal(kw.value), kw.value.lineno)
                for kw in dec.keywords
                if kw.arg is not None
            ]
            kind = next((p.value for p in props if p.key == "type"), None)
            if (kind or "").lower() != "kusto":
                continue
            found.append(Binding("python", direction, file, dec.lineno, fn.name, props, STRUCTURAL))
    return found


def _literal(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal(node.left), _literal(node.right)
        return left + right if left is not None and right is not None else None
    return None

"""Where a snippet goes in a project, and what writing it there does to what is already there.

A file that is not there is created; one that holds the same text is left as it is; one that
differs is merged where the language has a place for one more function (Python v2: the one
`FunctionApp` of function_app.py takes another decorated function), and otherwise refused,
naming the file: a user's code is never replaced. Everything is decided before anything is
written, so that a refusal leaves the project as it was."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from ..model import ChangeKind

FIX = (
    "Move it aside or merge the snippet by hand (kustomi snippet without --write prints it), "
    "or pass --project DIR to write into another project."
)


@dataclass(frozen=True)
class Planned:
    file: str  # relative to the project, with "/"
    text: str  # the file's whole new content
    kind: ChangeKind  # "create", "update" (merged) or "none" (already there, the same)
    detail: str


def plan(root: Path, files: list[tuple[str, str]], lang: str) -> list[Planned]:
    """What writing `files` ((relative path, text) pairs) under `root` does; raises UsageError
    (nothing written) when a file is in the way."""
    out = []
    for rel, text in files:
        path = root / rel
        if path.is_symlink() or (path.exists() and not path.is_file()):
            raise UsageError(f"{path} is not a regular file: not written.", hint=FIX)
        for parent in path.relative_to(root).parents:
            p = root / parent
            if p != root and (p.is_symlink() or (p.exists() and not p.is_dir())):
                raise UsageError(f"{p} is not a folder: {rel} not written.", hint=FIX)
        if not path.exists():
            out.append(Planned(rel, text, "create", "new file"))
            continue
        try:
            old = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise UsageError(f"{path} cannot be read ({e}): not written.", hint=FIX) from e
        if _same(old, text):
            out.append(Planned(rel, old, "none", "already holds this snippet"))
        elif lang == "python" and rel.endswith("function_app.py"):
            merged, detail = merge_python(old, text, str(path))
            out.append(Planned(rel, merged, "update" if merged != old else "none", detail))
        else:
            raise UsageError(f"{path} exists and differs from the snippet: not written.", hint=FIX)
    return out


def _same(a: str, b: str) -> bool:
    return a.replace("\r\n", "\n").rstrip() == b.replace("\r\n", "\n").rstrip()


# --- Python v2: one FunctionApp per function_app.py ------------------------------------------


@dataclass
class _Module:
    app: str  # the FunctionApp's variable
    func: str | None  # what azure.functions is imported as (None: not imported as a module)
    names: dict[str, int]  # function names (def names, function_name(...)) -> line
    routes: dict[str, int]  # route strings -> line
    segments: dict[str, str]  # def name -> its source, decorators included
    last_import: int  # line of the last top-level import (0: none)


def merge_python(old: str, snippet: str, rel: str) -> tuple[str, str]:
    """`old` (a function_app.py) with the snippet's function appended to its FunctionApp."""
    mod = _read(old, rel)
    new = _read(snippet, "the snippet")
    (fn_name,) = new.segments
    block = new.segments[fn_name]
    (route,) = new.routes
    alias = mod.func or "func"
    block = re.sub(r"^@app\.", f"@{mod.app}.", block, flags=re.MULTILINE)
    block = re.sub(r"\bfunc\.", f"{alias}.", block)
    if fn_name in mod.names:
        line = mod.names[fn_name]
        if _same(mod.segments.get(fn_name, ""), block):
            return old, f"already has {fn_name} (line {line}), the same"
        raise UsageError(
            f"{rel} already has a function {fn_name} (line {line}), different from the "
            "snippet's: not merged.",
            hint="Rename or remove it, or merge the snippet by hand (kustomi snippet without "
            "--write prints it).",
        )
    if route in mod.routes:
        raise UsageError(
            f"{rel} already has a function on route {route!r} (line {mod.routes[route]}): "
            "not merged.",
            hint="Change that route, or merge the snippet by hand (kustomi snippet without "
            "--write prints it).",
        )
    lines = old.replace("\r\n", "\n").rstrip("\n").split("\n")
    if mod.func is None:
        if alias in mod.names or _binds(old, alias):
            raise UsageError(
                f"{rel} does not import azure.functions as a module, and the name {alias!r} "
                "is taken: not merged.",
                hint="Add `import azure.functions as func` to it, or merge by hand.",
            )
        lines.insert(mod.last_import, "import azure.functions as func")
    text = "\n".join(lines) + "\n\n\n" + block.rstrip("\n") + "\n"
    return text, f"{fn_name} added to {mod.app}"


def _read(text: str, rel: str) -> _Module:
    try:
        tree = ast.parse(text, filename=rel)
    except (SyntaxError, ValueError) as e:
        where = f" (line {e.lineno})" if isinstance(e, SyntaxError) and e.lineno else ""
        raise UsageError(
            f"{rel} does not parse as Python{where}: the snippet was not merged into it.",
            hint="Fix the file first, or merge the snippet by hand.",
        ) from e
    func_alias = None
    direct: set[str] = set()  # FunctionApp imported by name: `from azure.functions import ...`
    last_import = 0
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            last_import = node.end_lineno or node.lineno
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "azure.functions":
                    func_alias = a.asname or "azure.functions"
        elif isinstance(node, ast.ImportFrom) and node.module == "azure.functions":
            direct |= {a.asname or a.name for a in node.names if a.name == "FunctionApp"}
        elif isinstance(node, ast.ImportFrom) and node.module == "azure":
            for a in node.names:
                if a.name == "functions":
                    func_alias = a.asname or "functions"
    apps = []
    for node in tree.body:
        target = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        if not isinstance(target, ast.Name) or not isinstance(value, ast.Call):
            continue
        called = ast.unparse(value.func)
        if called in direct or (func_alias and called == f"{func_alias}.FunctionApp"):
            apps.append((target.id, node.lineno))
    if len(apps) != 1:
        found = "none" if not apps else ", ".join(f"{a} (line {n})" for a, n in apps)
        raise UsageError(
            f"{rel} must have one `app = func.FunctionApp()` to merge into; it has {found}: "
            "not merged.",
            hint="Merge the snippet by hand (kustomi snippet without --write prints it), or "
            "write into another project with --project DIR.",
        )
    app = apps[0][0]
    names: dict[str, int] = {}
    routes: dict[str, int] = {}
    segments: dict[str, str] = {}
    lines = text.splitlines()
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        start = min([d.lineno for d in node.decorator_list] + [node.lineno])
        registered = False
        for dec in node.decorator_list:
            call = dec if isinstance(dec, ast.Call) else None
            owner = call.func if call else dec
            if not isinstance(owner, ast.Attribute) or ast.unparse(owner.value) != app:
                continue
            registered = True
            if call is None:
                continue
            if owner.attr == "function_name":
                for v in [*call.args[:1], *(k.value for k in call.keywords if k.arg == "name")]:
                    if isinstance(v, ast.Constant) and isinstance(v.value, str):
                        names[v.value] = dec.lineno
            if owner.attr == "route":
                for v in [*call.args[:1], *(k.value for k in call.keywords if k.arg == "route")]:
                    if isinstance(v, ast.Constant) and isinstance(v.value, str):
                        routes[v.value] = dec.lineno
                if not call.args and not any(k.arg == "route" for k in call.keywords):
                    routes[node.name] = dec.lineno  # the route defaults to the function's name
        names.setdefault(node.name, start)
        if registered:
            segments[node.name] = "\n".join(lines[start - 1 : node.end_lineno]) + "\n"
    return _Module(app, func_alias, names, routes, segments, last_import)


def _binds(text: str, name: str) -> bool:
    """Whether the module binds `name` at its top level (an assignment, an import, a def)."""
    tree = ast.parse(text)
    for node in tree.body:
        for n in ast.walk(node):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id == name:
                return True
            if isinstance(n, ast.alias) and (n.asname or n.name).split(".")[0] == name:
                return True
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and (
                n.name == name
            ):
                return True
    return False

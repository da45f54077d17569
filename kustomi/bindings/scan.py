"""Walk a function project and read every Kusto binding in it, and local.settings.json."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from . import Binding, Project

# Build output, dependencies and tool state: never the project's own source.
SKIP_DIRS = {
    ".git", ".venv", "venv", "env", "node_modules", "bin", "obj", "target", "dist", "build",
    "__pycache__", ".python_packages", ".vs", ".vscode", ".idea", ".mypy_cache", ".ruff_cache",
    ".pytest_cache",
}  # fmt: skip
SUFFIXES = {
    ".cs": "csharp",
    ".java": "java",
    ".py": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "typescript",
}
MAX_BYTES = 2_000_000


# What reading or parsing one hostile file may raise: bad syntax or encoding, a file gone or
# locked, nesting deep enough to exhaust a recursive parser (json, ast, the tree walkers).
UNREADABLE = (SyntaxError, ValueError, UnicodeDecodeError, OSError, RecursionError, MemoryError)


def files(root: Path, unreadable: list[tuple[str, str]] | None = None) -> list[Path]:
    """The files doctor reads, in a stable order. A folder that cannot be listed (gone during
    the walk, no permission) goes to `unreadable`; the walk goes on."""
    import os

    out = []

    def failed(e: OSError) -> None:
        if unreadable is not None and e.filename:
            rel = Path(e.filename).relative_to(root).as_posix() if e.filename != str(root) else "."
            unreadable.append((rel, e.strerror or type(e).__name__))

    for top, dirs, names in os.walk(root, onerror=failed):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(names):
            path = Path(top, name)
            if name.lower() in ("function.json", "local.settings.json") or (
                path.suffix.lower() in SUFFIXES and not name.endswith(".d.ts")
            ):
                out.append(path)
    return sorted(out, key=lambda p: p.relative_to(root).parts)


def scan(root: Path) -> Project:
    project = Project()
    sources = []
    for path in files(root, project.unreadable):
        rel = path.relative_to(root).as_posix()
        try:
            if not path.is_file():
                continue  # a folder named like a file, a broken link
            source = path.read_bytes()[:MAX_BYTES]
        except OSError as e:
            project.unreadable.append((rel, e.strerror or type(e).__name__))
            continue
        project.files_read += 1
        sources.append((rel, path, source))
    symbols = declarations(sources)
    for rel, path, source in sources:
        # A file that never says "kusto" holds no Kusto binding: not worth a parse.
        if b"kusto" not in source.lower() and path.name.lower() != "local.settings.json":
            continue
        try:
            if path.name.lower() == "local.settings.json":
                from .functionjson import local_settings

                project.local_settings += local_settings(source, rel)
            else:
                project.bindings += read(source, rel, path, symbols.get(rel))
        except RecursionError:
            project.unreadable.append((rel, "nested too deeply to parse"))
        except UNREADABLE as e:
            project.unreadable.append((rel, f"{type(e).__name__}: {str(e)[:200]}"))
    apps: dict[str, str] = {}
    for b in project.bindings:
        b.app = _app_of(root, b.file, apps)
    project.bindings.sort(key=lambda b: (b.file, b.line))
    return project


def _app_of(root: Path, rel: str, cache: dict[str, str]) -> str:
    """The folder of the nearest host.json above a file, up to the root: every Functions
    project has one at its root (https://learn.microsoft.com/azure/azure-functions/functions-host-json),
    so a repository of several apps has one per app."""
    folder = rel.rsplit("/", 1)[0] if "/" in rel else ""
    chain = []
    while True:
        if folder in cache:
            found = cache[folder]
            break
        chain.append(folder)
        try:
            if (root / folder / "host.json").is_file():
                found = folder or "."
                break
        except OSError:
            pass
        if not folder:
            found = ""
            break
        folder = folder.rsplit("/", 1)[0] if "/" in folder else ""
    for f in chain:
        cache[f] = found
    return found


# What a file must say to declare a constant a binding may name, per language.
DECLARES = {
    "csharp": (b"const", b"readonly"),
    "java": (b"final",),
    "javascript": (b"const", b"let", b"var"),
    "typescript": (b"const", b"let", b"var"),
    "python": (b"=",),
}


def declarations(sources: list[tuple[str, Path, bytes]]) -> dict[str, Any]:
    """Each source file's names (its own declarations, then the project's, per language): what
    an attribute, annotation, decorator or options object may name instead of a literal."""
    from . import python
    from ._ts import Symbols, declare, parser

    projects: dict[str, Any] = {}
    out: dict[str, Any] = {}
    for rel, path, source in sources:
        model = SUFFIXES.get(path.suffix.lower())
        if model is None or path.name.lower() == "function.json":
            continue
        family = "js" if model in ("javascript", "typescript") else model
        table = python.Names if model == "python" else Symbols
        outer = projects.setdefault(family, table())
        out[rel] = table(outer=outer)  # every file sees the project's names
        if not any(w in source for w in DECLARES[model]):
            continue
        try:
            if model == "python":
                tree = ast.parse(source, filename=rel)
                python.declare(tree, out[rel])
                python.declare(tree, outer)
            else:
                grammar = {"csharp": "c_sharp", "java": "java", "javascript": "javascript"}.get(
                    model, "tsx" if rel.endswith("x") else "typescript"
                )
                node = parser(grammar).parse(source).root_node
                declare(node, out[rel])
                declare(node, outer, out[rel])
        except UNREADABLE:
            continue  # said when the file is read for its bindings, if it has any
    return out


def read(source: bytes, rel: str, path: Path, symbols: Any = None) -> list[Binding]:
    if path.name.lower() == "function.json":
        from . import functionjson

        return functionjson.read(source, rel, path.absolute().parent.name)
    model = SUFFIXES[path.suffix.lower()]
    if model == "csharp":
        from . import csharp

        return csharp.read(source, rel, symbols)
    if model == "java":
        from . import java

        return java.read(source, rel, symbols)
    if model == "python":
        from . import python

        return python.read(source, rel, symbols)
    from . import node

    return node.read(source, rel, model, symbols)

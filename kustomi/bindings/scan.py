"""Walk a function project and read every Kusto binding in it, and local.settings.json."""

from __future__ import annotations

from pathlib import Path

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


def files(root: Path) -> list[Path]:
    out = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).parts
        if any(p in SKIP_DIRS for p in rel[:-1]) or not path.is_file():
            continue
        if path.name.lower() in ("function.json", "local.settings.json") or (
            path.suffix.lower() in SUFFIXES and not path.name.endswith(".d.ts")
        ):
            out.append(path)
    return out


def scan(root: Path) -> Project:
    project = Project()
    for path in files(root):
        rel = path.relative_to(root).as_posix()
        try:
            source = path.read_bytes()[:MAX_BYTES]
        except OSError as e:
            project.unreadable.append(f"{rel}: {e.strerror}")
            continue
        project.files_read += 1
        # A file that never says "kusto" holds no Kusto binding: not worth a parse.
        if b"kusto" not in source.lower() and path.name.lower() != "local.settings.json":
            continue
        try:
            if path.name.lower() == "local.settings.json":
                from .functionjson import local_settings

                project.local_settings += local_settings(source, rel)
            else:
                project.bindings += read(source, rel, path)
        except (SyntaxError, ValueError, UnicodeDecodeError) as e:
            project.unreadable.append(f"{rel}: {type(e).__name__}: {e}")
    project.bindings.sort(key=lambda b: (b.file, b.line))
    return project


def read(source: bytes, rel: str, path: Path) -> list[Binding]:
    if path.name.lower() == "function.json":
        from . import functionjson

        return functionjson.read(source, rel)
    model = SUFFIXES[path.suffix.lower()]
    if model == "csharp":
        from . import csharp

        return csharp.read(source, rel)
    if model == "java":
        from . import java

        return java.read(source, rel)
    if model == "python":
        from . import python

        return python.read(source, rel)
    from . import node

    return node.read(source, rel, model)

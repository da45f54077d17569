"""A report's findings as SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/), the
format GitHub code scanning and editors read: one result per failing finding, its ruleId the
check, its level from the status, its physical location the file and line it is about.

What GitHub code scanning asks beyond the standard
(https://docs.github.com/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning):
a location's URI relative to the repository's root (an absolute file URI is refused unless the
checkout path is known), percent-encoded, as the upload action decodes it; at least one
location on every result, or the whole file is refused ("locationFromSarifResult: expected at
least one location", github/codeql-action issue 2459); a rule's name, when given, different
from its id (the SARIF validator's rule SARIF1001).

The repository's root is the nearest folder above the project that holds `.git`; with none,
the current directory when the project is under it (a CI job runs from the checkout's root);
else locations are absolute file URIs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from . import __version__
from .model import Report

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
# What a status means for the function: "error" it fails (to index, to sign in, to reach its
# data) or leaks a secret; "warning" it runs, but not as written or not as intended.
WARNINGS = {"identity_missing", "unknown_property", "connection_shared", "no_bindings"}
# The checks whose every status is a warning: the rule's default level.
WARNING_CHECKS = {"property", "shared-connection", "project"}
FIXES = "Each result's message ends with the fix: the corrected line or the kustomi command."
HELP = {
    "project": "No Kusto binding was found.",
    "file": "A file could not be read or parsed.",
    "connection": "The binding names no Connection setting.",
    "database": "The binding names no Database, or a %Setting% the app does not have.",
    "kql-command": "An input binding names no KqlCommand.",
    "table-name": "An output binding names no TableName.",
    "property": "A property the Kusto extension does not know, which the host ignores.",
    "identity": "ManagedServiceIdentity is missing or invalid.",
    "shared-connection": "Bindings share a Connection with different identities.",
    "local-settings": "local.settings.json holds a Kusto connection string with a secret.",
    "setting": (
        "The app's connection setting is missing, holds a secret or names no cluster; or a "
        "%Setting% the host resolves is missing."
    ),
    "attached": "The identity is not on the app, or not found.",
    "target": "The setting points at another cluster than the one holding the role.",
    "role": "The identity lacks the role its binding's direction needs.",
}


# The base of every relative location, as CodeQL names it; originalUriBaseIds says where it is.
SRCROOT = "%SRCROOT%"


def source_root(project: Path) -> Path | None:
    """The repository's root (the nearest folder holding `.git`, a folder or a worktree's
    file), else the current directory when the project is under it, else None."""
    full = project.resolve()
    for folder in (full, *full.parents):
        if (folder / ".git").exists():
            return folder
    here = Path.cwd().resolve()
    return here if full.is_relative_to(here) else None


def _uri(root: Path | None, path: Path) -> dict[str, str]:
    full = path.resolve()
    if root is not None and full.is_relative_to(root):
        rel = full.relative_to(root).as_posix()
        return {"uri": quote(rel, safe="/-._~!$&'()*+,;=:@"), "uriBaseId": SRCROOT}
    return {"uri": full.as_uri()}


def _location(root: Path | None, path: Path, line: int) -> dict[str, Any]:
    return {
        "physicalLocation": {
            "artifactLocation": _uri(root, path),
            "region": {"startLine": max(line, 1)},
        }
    }


def _rule_name(check: str) -> str:
    """A rule's friendly name: `shared-connection` -> KustoSharedConnection (never its id)."""
    return "Kusto" + "".join(w.title() for w in re.split(r"[-_]", check))


def to_sarif(report: Report) -> dict[str, Any]:
    project = Path(report.data.get("project") or ".")
    root = source_root(project)
    # Where a finding about the whole project goes: the project's host.json, which every
    # Functions project has at its root
    # (https://learn.microsoft.com/azure/azure-functions/functions-host-json).
    host_json = project / "host.json"
    checks: dict[str, int] = {}
    results = []
    unplaced = []
    for f in report.findings:
        if f.status == "ok":
            continue
        detail = f.detail
        if f.file and detail.startswith(f"{f.file}:{f.line}: "):
            detail = detail[len(f"{f.file}:{f.line}: ") :]
        text = f"{f.status}: {detail}." + (f" Fix: {f.hint}" if f.hint else "")
        level = "warning" if f.status in WARNINGS else "error"
        if f.file:
            where = _location(root, project / f.file, f.line or 1)
        elif host_json.is_file():
            where = _location(root, host_json, 1)
        else:
            # No file to show it at: a result without one would make code scanning refuse the
            # whole file, so it is a notification of the run instead.
            unplaced.append({"level": level, "message": {"text": f"{f.check}: {text}"}})
            continue
        index = checks.setdefault(f.check, len(checks))
        results.append(
            {
                "ruleId": f.check,
                "ruleIndex": index,
                "level": level,
                "message": {"text": text},
                "locations": [where],
                "properties": {"status": f.status, "fix": f.hint},
            }
        )
    rules = [
        {
            "id": check,
            "name": _rule_name(check),
            "shortDescription": {"text": HELP.get(check, check)},
            "fullDescription": {"text": HELP.get(check, check)},
            "help": {"text": f"{HELP.get(check, check)} {FIXES}"},
            "defaultConfiguration": {"level": "warning" if check in WARNING_CHECKS else "error"},
        }
        for check in checks
    ]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "kustomi",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": rules,
            }
        },
        "results": results,
        "invocations": [
            {
                "executionSuccessful": True,
                "workingDirectory": {"uri": _dir_uri(Path.cwd())},
                "toolExecutionNotifications": [
                    *unplaced,
                    *({"level": "note", "message": {"text": note}} for note in report.notes),
                ],
            }
        ],
    }
    if root is not None:
        run["originalUriBaseIds"] = {SRCROOT: {"uri": _dir_uri(root)}}
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def _dir_uri(path: Path) -> str:
    return path.resolve().as_uri().rstrip("/") + "/"

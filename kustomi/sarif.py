"""A report's findings as SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/), the
format GitHub code scanning and editors read: one result per failing finding, its ruleId the
check, its level from the status, its physical location the file and line it is about.

A location's URI is relative to the current directory when the file is under it (a CI job
runs from the repository's root, which is what code scanning resolves against), else an
absolute file:// URI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import __version__
from .model import Report

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
# What a status means for the function: "error" it fails (to index, to sign in, to reach its
# data) or leaks a secret; "warning" it runs, but not as written or not as intended.
WARNINGS = {"identity_missing", "unknown_property", "connection_shared", "no_bindings"}
HELP = {
    "project": "No Kusto binding was found.",
    "file": "A file could not be read or parsed.",
    "connection": "The binding names no Connection setting.",
    "database": "The binding names no Database.",
    "kql-command": "An input binding names no KqlCommand.",
    "table-name": "An output binding names no TableName.",
    "property": "A property the Kusto extension does not know, which the host ignores.",
    "identity": "ManagedServiceIdentity is missing or invalid.",
    "shared-connection": "Bindings share a Connection with different identities.",
    "local-settings": "local.settings.json holds a Kusto connection string with a secret.",
    "setting": "The app's connection setting is missing, holds a secret or names no cluster.",
    "attached": "The identity is not on the app, or not found.",
    "target": "The setting points at another cluster than the one holding the role.",
    "role": "The identity lacks the role its binding's direction needs.",
}


def _uri(project: str | None, file: str) -> dict[str, str]:
    path = (Path(project) if project else Path()) / file
    here = Path.cwd().resolve()
    full = path.resolve()
    if full.is_relative_to(here):
        return {"uri": full.relative_to(here).as_posix()}
    return {"uri": full.as_uri()}


def to_sarif(report: Report) -> dict[str, Any]:
    project = report.data.get("project")
    checks: dict[str, int] = {}
    results = []
    for f in report.findings:
        if f.status == "ok":
            continue
        index = checks.setdefault(f.check, len(checks))
        detail = f.detail
        if f.file and detail.startswith(f"{f.file}:{f.line}: "):
            detail = detail[len(f"{f.file}:{f.line}: ") :]
        text = f"{f.status}: {detail}." + (f" Fix: {f.hint}" if f.hint else "")
        result: dict[str, Any] = {
            "ruleId": f.check,
            "ruleIndex": index,
            "level": "warning" if f.status in WARNINGS else "error",
            "message": {"text": text},
            "properties": {"status": f.status, "fix": f.hint},
        }
        if f.file:
            result["locations"] = [
                {
                    "physicalLocation": {
                        "artifactLocation": _uri(project, f.file),
                        "region": {"startLine": max(f.line or 1, 1)},
                    }
                }
            ]
        results.append(result)
    rules = [
        {
            "id": check,
            "name": check,
            "shortDescription": {"text": HELP.get(check, check)},
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
                "workingDirectory": {"uri": Path.cwd().resolve().as_uri().rstrip("/") + "/"},
                "toolExecutionNotifications": [
                    {"level": "note", "message": {"text": note}} for note in report.notes
                ],
            }
        ],
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}

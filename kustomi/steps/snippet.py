"""kustomi snippet: a Kusto binding declaration to paste, per language and direction, naming
the setting, the identity's client id, the database and (output) the table."""

from __future__ import annotations

from pathlib import Path

from .. import config
from ..config import GUID_RE
from ..errors import UsageError
from ..model import Change, Report

# Kusto table names: letters, digits, '_', '.', '-' and spaces
# (https://learn.microsoft.com/kusto/query/schema-entities/entity-names).
DIRECTIONS = ("input", "output")


def language(value: str) -> str:
    from ..bindings.snippets import LANGUAGES

    v = value.strip().lower()
    if v not in LANGUAGES:
        raise UsageError(f"Unknown language {value!r}.", hint="One of: " + ", ".join(LANGUAGES))
    return v


def direction(value: str) -> str:
    v = value.strip().lower()
    if v not in DIRECTIONS:
        raise UsageError(
            f"--direction must be input or output, not {value!r}.",
            hint="input: the binding queries (Viewer); output: it ingests (Ingestor).",
        )
    return v


def table(value: str | None, dir_: str, given: bool = True) -> str:
    """The table of an output binding. An input binding has none: a --table given with it
    (`given`: typed or from the environment, not a kustomi.toml default) is refused."""
    if dir_ == "input":
        if value and given:
            raise UsageError(
                "--table is for an output binding; an input binding queries (--direction "
                "input): it names no table.",
                hint="Drop --table, or pass --direction output.",
            )
        return ""
    if not value:
        raise UsageError("An output binding needs a table.", hint="Pass --table NAME.")
    return config.table_name(value)


def build(lang: str, dir_: str, db: str, setting: str, client_id: str, tbl: str) -> Report:
    from ..bindings import snippets

    assert GUID_RE.match(client_id) or client_id == "system"  # the app's own identity
    report = Report("snippet")
    code = snippets.render(lang, dir_, db, setting, client_id, tbl)
    report.data = {
        "language": lang,
        "direction": dir_,
        "file": snippets.FILES[(lang, dir_)],
        "code": code,
    }
    return report


def project_root(value: str) -> Path:
    """--project of --write: a folder that exists (it is not created: a typo would be)."""
    root = Path(value)
    if not root.is_dir():
        raise UsageError(
            f"--project {value!r} is not a directory.",
            hint="Pass the function project's root directory (it must exist).",
        )
    return root


def write(report: Report, project: Path, dry_run: bool = False) -> Report:
    """Write the snippet of `report` (build's) at data.file under `project`, with the script
    its function.json runs (Python v1, PowerShell). A file already there is left alone when it
    holds the same code, merged where the language allows (Python v2's function_app.py), and
    otherwise refused with nothing written (UsageError, naming the file)."""
    from ..bindings import snippets
    from ..bindings.place import plan

    project = project_root(str(project))
    lang, dir_ = report.data["language"], report.data["direction"]
    files = [(report.data["file"], report.data["code"])]
    script = snippets.SCRIPTS.get((lang, dir_))
    if script:
        files.append((script, snippets.SCRIPT_CODE[(lang, dir_)]))
        report.data["script"] = script
    report.dry_run = dry_run
    for p in plan(project, files, lang):
        change = Change(p.kind, p.file, p.detail)
        report.changes.append(change)
        if p.kind != "none" and not dry_run:
            path = project / p.file
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w" if p.kind == "update" else "x", encoding="utf-8", newline="\n") as f:
                f.write(p.text)
            change.applied = True
    report.data["project"] = str(project)
    return report

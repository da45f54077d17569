"""kustomi snippet: a Kusto binding declaration to paste, per language and direction, naming
the setting, the identity's client id, the database and (output) the table."""

from __future__ import annotations

import re

from ..config import GUID_RE
from ..errors import UsageError
from ..model import Report

# Kusto table names: letters, digits, '_', '.', '-' and spaces
# (https://learn.microsoft.com/kusto/query/schema-entities/entity-names).
TABLE_RE = re.compile(r"[\w.\- ]{1,1024}")
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


def table(value: str | None, dir_: str) -> str:
    if dir_ == "input":
        return ""
    if not value:
        raise UsageError("An output binding needs a table.", hint="Pass --table NAME.")
    if not TABLE_RE.fullmatch(value):
        raise UsageError(
            f"{value!r} is not a valid Kusto table name.",
            hint="Letters, digits, '_', '.', '-' and spaces.",
        )
    return value


def build(lang: str, dir_: str, db: str, setting: str, client_id: str, tbl: str) -> Report:
    from ..bindings import snippets

    assert GUID_RE.match(client_id)
    report = Report("snippet")
    code = snippets.render(lang, dir_, db, setting, client_id, tbl)
    report.data = {
        "language": lang,
        "direction": dir_,
        "file": snippets.FILES[(lang, dir_)],
        "code": code,
    }
    return report

"""Pure data that every command returns. The JSON form is versioned by SCHEMA."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

SCHEMA = "kustomi.report/1"

ChangeKind = Literal["create", "update", "delete", "none"]


@dataclass
class Change:
    """One thing a step created, changed, would change (dry run) or found already right."""

    kind: ChangeKind
    target: str
    detail: str = ""
    applied: bool = False  # True once written; a dry run applies nothing


@dataclass
class Finding:
    check: str
    status: str  # "ok" or a named failure
    detail: str = ""
    hint: str = ""
    file: str | None = None  # a finding in source code: its file (relative, with "/")
    line: int | None = None  # and its line, 1-based


@dataclass
class Report:
    command: str
    dry_run: bool = False
    changes: list[Change] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)  # identifiers the user needs next
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.status == "ok" for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, **asdict(self), "ok": self.ok}

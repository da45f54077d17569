"""Pure data that every command returns. The JSON form is versioned by SCHEMA."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from .errors import KustomiError

SCHEMA = "kustomi.report/2"

ChangeKind = Literal["create", "update", "delete", "none"]


@dataclass
class Change:
    """One thing a step created, changed, would change (dry run) or found already right."""

    kind: ChangeKind
    target: str
    detail: str = ""
    applied: bool = False  # True once written; a dry run applies nothing


# Every status a finding can have: part of the interface (README: verify's and doctor's
# status tables). "ok" passes; every other one fails its check.
VerifyStatus = Literal[
    "ok",
    "identity_not_found",
    "identity_unavailable",
    "token_failed",
    "cluster_unreachable",
    "cluster_untrusted",
    "database_not_found",
    "table_not_found",
    "not_authorized",
    "role_mismatch",
    "role_pending",
    "role_failed",
    "not_propagated",
    "setting_missing",
    "setting_has_secret",
    "setting_wrong_target",
    "identity_not_attached",
    "app_not_found",
    "cluster_not_found",
    "no_access",
]
# doctor's, in the order of its README table.
DoctorStatus = Literal[
    "ok",
    "no_bindings",
    "file_unreadable",
    "connection_missing",
    "database_missing",
    "kql_command_missing",
    "table_name_missing",
    "unknown_property",
    "identity_missing",
    "identity_invalid",
    "connection_shared",
    "local_setting_has_secret",
    "setting_missing",
    "setting_has_secret",
    "setting_wrong_target",
    "identity_not_attached",
    "identity_not_found",
    "not_authorized",
    "role_mismatch",
]
# audit's, in the order of its README table.
AuditStatus = Literal[
    "ok",
    "setting_has_secret",
    "identity_not_attached",
    "identity_missing",
    "not_authorized",
    "role_mismatch",
    "role_pending",
    "cluster_not_found",
    "database_not_found",
    "setting_missing",
    "app_not_found",
    "no_access",
    "read_failed",
]
Status = Literal[VerifyStatus, DoctorStatus, AuditStatus]
STATUSES: tuple[str, ...] = tuple(
    dict.fromkeys(get_args(VerifyStatus) + get_args(DoctorStatus) + get_args(AuditStatus))
)


@dataclass
class Finding:
    check: str
    status: Status
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
    # setup and revoke: each app that did not finish, with its error (exit code, message,
    # hint and the Outcome of what of it was done / not done / sent with an outcome unknown).
    errors: list[AppError] = field(default_factory=list)
    # Why the command exits non-zero: set by the CLI on every report of a failed run, so that
    # a script reads `.error.exitCode` whatever failed (an app of a fleet, a check, --check
    # pending).
    error: KustomiError | None = None

    @property
    def ok(self) -> bool:
        """Every finding ok, (setup, revoke) every app finished, and nothing else makes the
        run fail (changes pending under --check)."""
        return (
            self.error is None and not self.errors and all(f.status == "ok" for f in self.findings)
        )

    @property
    def findings_failed(self) -> bool:
        return any(f.status != "ok" for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        """The report as `-o json` prints it (kustomi.output renders it)."""
        from .output import report_dict

        return report_dict(self)


@dataclass
class AppError:
    """An app of a setup or revoke fleet that did not finish, and why."""

    app: str  # its label, `rg/app` or `rg/app (slot s)`
    error: KustomiError

"""Step 5: prove access as the identity (identity.py), or, where no token as the identity can
be had, check authorization from the control plane (control_plane.py), and say plainly which
of the two was done. This module holds what both share: the request, the mode, the role rules,
and the findings and fix commands both make.

Every failure is a Finding with a named status and a hint that fixes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ... import rules
from ...azure import kusto_data, kusto_mgmt
from ...azure.clients import Azure
from ...config import (
    ClusterRef,
    IdentityRef,
    connection_value,
    secret_keys_in,
)
from ...errors import AuthError, KustomiError, NotFoundError
from ...model import Finding, Report, Status
from ...names import DEFAULT_SETTING
from ...rules import CLUSTER_ADMIN, PURPOSE, satisfied
from .. import Flag, Progress, fix_command


@dataclass(frozen=True)
class VerifyRequest:
    identity_arg: str  # as typed: a client id, a name or a resource id
    identity: IdentityRef  # a client id alone is enough in identity mode
    cluster: ClusterRef
    database: str
    role: str | None
    app: str | None = None
    slot: str | None = None
    resource_group: str | None = None  # the app's
    setting: str = DEFAULT_SETTING
    mode: Mode = "auto"
    wait: float = 0.0
    table: str | None = None  # an output binding's table: a table role there counts too

    @property
    def where(self) -> str:
        """What the role is checked on: the database, or its table."""
        return f"table {self.database}.{self.table}" if self.table else f"database {self.database}"

    def identity_flags(self) -> tuple[Flag, ...]:
        """The identity as a fix command names it, wherever that command runs."""
        ref = self.identity
        if ref.system:
            return (("--identity", "system"), *self.app_flags())
        if ref.client_id or self.identity_arg.startswith("/"):
            return (("--identity", self.identity_arg),)
        return (("--identity", ref.name), ("--identity-resource-group", ref.resource_group))

    def cluster_flags(self) -> tuple[Flag, ...]:
        c = self.cluster
        if c.name:
            return (("--cluster", c.name), ("--cluster-resource-group", c.resource_group))
        return (("--cluster", c.uri),)

    def app_flags(self) -> tuple[Flag, ...]:
        return (
            ("--app", self.app or "<app>"),
            ("-g", self.resource_group or "<resource group>"),
            ("--slot", self.slot),
        )


Mode = Literal["auto", "identity", "control-plane"]


def choose_mode(requested: Mode, env: Mapping[str, str]) -> tuple[Mode, str]:
    if requested != "auto":
        return requested, f"--mode {requested}"
    if env.get("IDENTITY_ENDPOINT") and env.get("IDENTITY_HEADER"):
        return "identity", "a managed-identity endpoint is present (IDENTITY_ENDPOINT)"
    return "control-plane", (
        "no managed-identity endpoint here (IDENTITY_ENDPOINT is not set), "
        "so no token as the identity can be had"
    )


def run(azure: Azure, req: VerifyRequest, progress: Progress) -> Report:
    """Verify in the mode asked for, or in the best one this machine allows (the session's
    environment says whether a managed-identity endpoint is present)."""
    from . import control_plane, identity

    chosen, why = choose_mode(req.mode, azure.env.values)
    progress(f"verify: {chosen} mode, because {why}")
    if chosen == "identity":
        return identity.by_identity(azure, req, why, progress)
    return control_plane.by_control_plane(azure, req, why)


def lookup_failed(
    check: str, e: KustomiError, not_found: Status, otherwise: Status = "cluster_unreachable"
) -> Finding:
    """A read verify needs failed: missing (`not_found`), refused to the signed-in principal
    (no_access: the message names the right), or anything else (`otherwise`)."""
    status: Status = (
        not_found
        if isinstance(e, NotFoundError)
        else "no_access"
        if isinstance(e, AuthError)
        else otherwise
    )
    return Finding(check, status, e.message, e.hint or "")


def grant_command(req: VerifyRequest, role: str | None = None) -> str:
    """The grant that gives the role checked: a cluster-wide one names no database; on a
    --table, a table role (ingestor, admin) names the table."""
    r = role or req.role or "Viewer"
    flags = (("--role", r.lower()), *req.identity_flags(), *req.cluster_flags())
    if rules.is_cluster_role(r):
        return fix_command("grant", *flags)
    # A table role goes through KQL, which cannot name a system identity: the database's.
    table = req.table if r in rules.TABLE_ROLES and not req.identity.system else None
    return fix_command("grant", *flags, ("--database", req.database), ("--table", table))


def attach_command(req: VerifyRequest) -> str:
    if req.identity.system:
        return fix_command("attach", ("--identity", "system"), *req.app_flags())
    return fix_command("attach", *req.app_flags()[:2], *req.identity_flags(), req.app_flags()[2])


def set_connection_command(req: VerifyRequest, *extra: Flag) -> str:
    flags = (*req.app_flags(), *req.cluster_flags(), ("--database", req.database))
    return fix_command("set-connection", *flags, ("--setting", req.setting), *extra)


def roles_from_rows(rows: list[dict[str, Any]]) -> set[str]:
    """Role names from `.show ... principal roles` / `principals` rows. The column's values look
    like "Database X Viewer" or "Viewer" (https://learn.microsoft.com/kusto/management/show-principal-roles:
    the exact role strings are partly UNCONFIRMED),
    so the last word counts."""
    return {rules.row_role(r) for r in rows} - {""}


def _role_finding(
    req: VerifyRequest,
    held: set[str],
    where: str,
    unfinished: Sequence[kusto_mgmt.Assignment] = (),
) -> Finding:
    found = _held_finding(req, held, where)
    # An assignment still being made (a database's or the cluster's) that would give the role.
    late = [a for a in unfinished if satisfied({a.role}, req.role)] if found.status != "ok" else []
    if late and not any(a.failed for a in late):
        a = late[0]
        return Finding(
            "role",
            "role_pending",
            f"principal assignment {a.name} ({a.role}) is still {a.state}: Azure has not "
            "finished it, and the cluster does not enforce it yet",
            f"wait, then rerun verify; or {grant_command(req, a.role)} (it waits for it)",
        )
    if late:
        a = next(a for a in late if a.failed)
        return Finding(
            "role",
            "role_failed",
            f"principal assignment {a.name} ({a.role}) {a.state}: the role was not granted",
            f"grant it again: {grant_command(req, a.role)}",
        )
    return found


def _held_finding(req: VerifyRequest, held: set[str], where: str) -> Finding:
    if CLUSTER_ADMIN in held:
        return Finding("role", "ok", f"holds {CLUSTER_ADMIN} on the cluster ({where})")
    if not held:
        return Finding(
            "role",
            "not_authorized",
            f"holds no role on {req.where} ({where})",
            f"grant one: {grant_command(req)}",
        )
    if req.role and not satisfied(held, req.role):
        need = PURPOSE.get(req.role, f"the {req.role} role")
        return Finding(
            "role",
            "role_mismatch",
            f"holds {', '.join(sorted(held))}; {need} needs "
            f"{' or '.join(sorted(rules.givers(req.role)))}",
            f"grant it: {grant_command(req)}",
        )
    return Finding("role", "ok", f"holds {', '.join(sorted(held))} on {req.where} ({where})")


def _not_found(ref: IdentityRef) -> Finding:
    if ref.system:
        t = ref.site
        where = t.where if t else "the app"
        slot = f" --slot {t.slot}" if t and t.slot else ""
        fix = (
            f"kustomi attach --identity system --app {t.app} -g {t.resource_group}{slot}"
            if t
            else "kustomi attach --identity system --app APP -g RG"
        )
        return Finding(
            "identity",
            "identity_not_found",
            f"{where} has no system-assigned identity",
            f"enable it: {fix}",
        )
    if ref.client_id:
        return Finding(
            "identity",
            "identity_not_found",
            f"no user-assigned identity with client id {ref.client_id} in the subscription",
            "check the client id and --subscription",
        )
    return Finding(
        "identity",
        "identity_not_found",
        f"no identity {ref.name} in {ref.resource_group}",
        f"create it: kustomi create-identity -g {ref.resource_group} -n {ref.name}",
    )


def _setting_finding(req: VerifyRequest, value: str, uri: str) -> Finding:
    """The binding's setting: no secret, and this cluster and database. Never shows a secret."""
    secrets = secret_keys_in(value)
    fix = set_connection_command(req)
    if secrets:
        return Finding(
            "setting",
            "setting_has_secret",
            f"{req.setting} holds a secret ({', '.join(secrets)}); value not shown",
            f"replace it: {fix} --force; then rotate that secret",
        )
    got_uri, got_db = kusto_data.connection_target(value) or ("", "")
    got_uri = got_uri.lower()
    if got_uri != uri.rstrip("/").lower() or got_db != req.database:
        return Finding(
            "setting",
            "setting_wrong_target",
            f"{req.setting} points at {got_uri or '?'} / {got_db or '?'}, not "
            f"{uri} / {req.database}",
            f"fix it: {fix}",
        )
    expected = connection_value(uri, req.database)
    return Finding("setting", "ok", f"{req.setting} = {expected}")

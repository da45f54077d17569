"""verify in control-plane mode: an authorization check as the operator (ARM principal
assignments and the cluster's principal list), which says plainly that it is only that."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ... import kql, rules
from ...azure import credentials, identities, kusto_data, kusto_mgmt, web
from ...azure.clients import Azure
from ...errors import KustomiError
from ...model import Finding, Report
from . import (
    VerifyRequest,
    _not_found,
    _role_finding,
    _setting_finding,
    attach_command,
    lookup_failed,
    set_connection_command,
)

if TYPE_CHECKING:
    pass


# --- control-plane mode ----------------------------------------------------------------------


def by_control_plane(azure: Azure, req: VerifyRequest, reason: str) -> Report:
    report = Report("verify")
    report.data = {"mode": "control-plane", "why": reason, "database": req.database}
    report.notes.append(
        "this is an authorization check from the control plane (ARM and the "
        "cluster's principal list, read as you), not a test as the identity: "
        "run verify inside the function app for that"
    )
    if req.wait:
        # The control plane shows a grant at once; propagation is only visible as the identity.
        report.notes.append("--wait applies to identity mode only; nothing was waited for")
    f = report.findings
    if req.cluster.uri:  # the cluster's token is fetched while ARM is read
        credentials.warm(azure, req.cluster.uri)
    ident = identities.find(azure, req.identity)
    if ident is None:
        f.append(_not_found(req.identity))
        return report
    if ident.system_of:
        report.data.update(identity="system", principalId=ident.principal_id)
        detail = f"the system identity of {ident.system_of}: principal id {ident.principal_id}"
        f.append(Finding("identity", "ok", detail))
    else:
        report.data.update(clientId=ident.client_id, principalFqn=ident.fqn)
        f.append(Finding("identity", "ok", f"{ident.name}: client id {ident.client_id}"))
    try:
        cluster = kusto_mgmt.resolve(azure, req.cluster)
    except KustomiError as e:
        f.append(lookup_failed("cluster", e, "cluster_not_found"))
        return report
    report.data["cluster"] = cluster.uri
    if not req.cluster.uri:
        credentials.warm(azure, cluster.uri)
    try:
        assignments = kusto_mgmt.list_assignments(azure, cluster, req.database)
    except KustomiError as e:
        f.append(lookup_failed("database", e, "database_not_found"))
        return report
    try:
        # Cluster-wide roles hold on this database too (rules.CLUSTER_ROLES).
        assignments += kusto_mgmt.list_assignments(azure, cluster, None)
    except KustomiError as e:
        report.notes.append(f"cluster-wide principal assignments were not seen: {e.message}")
    mine = [a for a in assignments if a.is_for(ident.client_id, ident.principal_id)]
    held = {a.role for a in mine if a.succeeded}
    where = "ARM principal assignments"
    held_kql, why_not = _kql_roles(azure, cluster.uri, req.database, ident)
    if held_kql is not None:
        held |= held_kql
        where += " and the cluster's principal list"
    else:
        report.notes.append(f"roles granted with .add database were not seen: {why_not}")
    if req.table:
        on_table, why_not = _kql_roles(azure, cluster.uri, req.database, ident, req.table)
        if on_table is not None:
            held |= on_table
            where += f" and table {req.table}'s principals"
        elif why_not == TABLE_MISSING:
            f.append(_table_missing(req))
            return report
        else:
            report.notes.append(f"the roles of table {req.table} were not seen: {why_not}")
    report.data["rolesHeld"] = sorted(held)
    f.append(_role_finding(req, held, where, [a for a in mine if not a.succeeded]))
    if req.app and req.resource_group:
        _check_app(azure, req, ident, cluster.uri, report)
    return report


TABLE_MISSING = "no such table"


def _table_missing(req: VerifyRequest) -> Finding:
    return Finding(
        "table",
        "table_not_found",
        f"database {req.database} has no table {req.table}",
        "check the table name (KQL names are case-sensitive): it is the binding's TableName",
    )


def _kql_roles(
    azure: Azure, uri: str, db: str, ident: identities.Identity, table: str | None = None
) -> tuple[set[str] | None, str]:
    """The roles the database's (or the table's) principal list gives the identity, or None
    and why it could not be read."""
    try:
        rows = kusto_data.mgmt(azure.kusto_data(uri), db, kql.show_principals(db, table))
    except Exception as e:
        if table and kusto_data.status_of(e) == 404:
            return None, TABLE_MISSING
        return None, f"the operator may not read them ({kusto_data.api_error_text(e)})"
    return rules.roles_of(rows, (ident.client_id, ident.principal_id)), ""


def _check_app(
    azure: Azure, req: VerifyRequest, ident: identities.Identity, uri: str, report: Report
) -> None:
    assert req.app is not None and req.resource_group is not None
    where = web.where(req.app, req.slot)
    try:
        site = web.get_site(azure, req.resource_group, req.app, req.slot)
    except KustomiError as e:
        report.findings.append(lookup_failed("app", e, "app_not_found"))
        return
    if ident.system_of and site.system_principal_id:
        report.findings.append(Finding("attached", "ok", f"{where}'s system identity is enabled"))
    elif site.has_user_assigned(ident.id):
        report.findings.append(Finding("attached", "ok", f"{ident.name} is on {where}"))
    else:
        report.findings.append(
            Finding(
                "attached",
                "identity_not_attached",
                f"{ident.name} is not on {where}",
                attach_command(req),
            )
        )
    try:
        settings = web.list_settings(azure, req.resource_group, req.app, req.slot)
    except KustomiError as e:  # a Reader may read the site, not its settings: keep the rest
        report.findings.append(lookup_failed("setting", e, "app_not_found"))
        return
    value = settings.get(req.setting)
    if value is None:
        report.findings.append(
            Finding(
                "setting",
                "setting_missing",
                f"{where} has no setting {req.setting}",
                set_connection_command(req),
            )
        )
    else:
        report.findings.append(_setting_finding(req, value, uri))

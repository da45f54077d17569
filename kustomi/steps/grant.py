"""Step 2: a Kusto database role for the identity, through an ARM principal assignment or
the `.add database` command.

A new identity is unknown to Entra for a while; the grant is retried, saying so, until
`entra_timeout` passes (ARM answers 400 "... was not found in AAD tenant ...";
the wording of Azure/azure-sdk-for-net#16416).
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import kql
from ..azure import credentials, identities, kusto_data, kusto_mgmt
from ..azure.clients import Azure
from ..azure.errors import translate
from ..config import ClusterRef, IdentityRef, kql_role
from ..errors import AuthError, KustomiError, ServiceError
from ..model import Change, Report
from . import Progress, retry_while, writing


@dataclass(frozen=True)
class GrantRequest:
    identity: IdentityRef
    cluster: ClusterRef
    database: str
    role: str  # ARM spelling
    via: str = "arm"  # arm | kql
    note: str = ""
    entra_timeout: float = 180.0


def assignment_name(role: str, client_id: str) -> str:
    """Deterministic: the same identity and role always map to the same name."""
    return f"kustomi-{role.lower()}-{client_id.lower()}"


def entra_not_yet(e: Exception) -> bool:
    text = str(e)
    err = getattr(e, "error", None)
    text += " " + str(getattr(err, "message", "") or "")
    return "not found in aad tenant" in text.lower() or "could not be resolved" in text.lower()


def run(azure: Azure, req: GrantRequest, dry_run: bool, progress: Progress) -> Report:
    report = Report("grant", dry_run=dry_run)
    if req.via == "kql" and req.cluster.uri:
        # Both audiences are known: sign in for ARM and the cluster at once, not in a row.
        credentials.prefetch(azure, req.cluster.uri)
    ident = identities.get(azure, req.identity)
    report.data = {**ident.summary(), "role": req.role, "database": req.database, "via": req.via}
    if req.role == "Admin":
        report.notes.append(
            "Admin is far more than a binding needs: viewer (input) or ingestor (output) is enough."
        )
    via = _via_arm if req.via == "arm" else _via_kql
    via(azure, req, ident, report, progress)
    report.notes.append(f'binding: ManagedServiceIdentity = "{ident.client_id}"')
    return report


def _via_arm(
    azure: Azure, req: GrantRequest, ident: identities.Identity, report: Report, progress: Progress
) -> None:
    data = report.data
    if req.cluster.name and req.cluster.resource_group:
        # Named with its resource group, the cluster needs no lookup: the assignment calls name
        # it, and a 404 from them is told apart (cluster or database) on the error path only.
        cluster = kusto_mgmt.Cluster(req.cluster.name, req.cluster.resource_group, "", "")
    else:
        cluster = kusto_mgmt.resolve(azure, req.cluster)
        data["clusterUri"] = cluster.uri
    data["cluster"] = cluster.name
    target = f"{req.role} on {cluster.name}/{req.database} for {ident.name}"
    existing = kusto_mgmt.list_assignments(azure, cluster, req.database)
    mine = [a for a in existing if a.is_for(ident.client_id, ident.principal_id)]
    held = [a for a in mine if a.role.lower() == req.role.lower()]
    pending = [a for a in held if not a.succeeded and not a.failed]
    if pending and not report.dry_run:
        # Another run's assignment is still being made: what it ends as decides.
        ended = kusto_mgmt.wait_assignment(
            azure, cluster, req.database, pending[0].name, progress, req.entra_timeout
        )
        held = [a for a in held if a.name != pending[0].name] + ([ended] if ended else [])
    done = [a for a in held if a.succeeded]
    if done:
        report.changes.append(Change("none", target, f"principal assignment {done[0].name}"))
        data["assignment"] = done[0].name
        return
    if held:  # it Failed, or is still in progress: send it again, under its own name
        again = held[0]
        data["assignment"] = again.name
        change = Change("update", target, f"principal assignment {again.name} is {again.state}")
        report.changes.append(change)
        if not report.dry_run:
            _put(azure, req, ident, cluster, again.name, report, change, progress)
        return
    others = sorted({a.role for a in mine})
    detail = "new principal assignment" + (f"; kept beside {', '.join(others)}" if others else "")
    taken = {a.name.lower() for a in existing}
    base = name = assignment_name(req.role, ident.client_id)
    n = 1
    while name.lower() in taken:  # another principal's assignment took the name: suffix it
        n += 1
        name = f"{base}-{n}"
    data["assignment"] = name
    change = Change("create", target, f"{detail} {name}")
    report.changes.append(change)
    if report.dry_run:
        return
    # The list above is every assignment of the database, so it already tells taken names;
    # the service's own check also rejects names it reserves.
    if not kusto_mgmt.name_available(azure, cluster, req.database, name):
        raise ServiceError(
            f"The principal assignment name {name} is not available.",
            hint="Delete the stale assignment of that name, then rerun.",
        )

    _put(azure, req, ident, cluster, name, report, change, progress)


def _put(
    azure: Azure,
    req: GrantRequest,
    ident: identities.Identity,
    cluster: kusto_mgmt.Cluster,
    name: str,
    report: Report,
    change: Change,
    progress: Progress,
) -> None:
    def put() -> kusto_mgmt.Assignment:
        return kusto_mgmt.create_assignment(
            azure, cluster, req.database, name, ident.client_id, req.role, ident.tenant_id, progress
        )

    with writing(report, change):
        try:
            retry_while(
                put,
                entra_not_yet,
                progress,
                f"Entra to know identity {ident.name}",
                req.entra_timeout,
            )
        except Exception as e:
            raise _entra_or(e, ident, req) from None


def _via_kql(
    azure: Azure, req: GrantRequest, ident: identities.Identity, report: Report, progress: Progress
) -> None:
    data = report.data
    uri = req.cluster.uri or kusto_mgmt.resolve(azure, req.cluster).uri
    data.update(clusterUri=uri)
    client = azure.kusto_data(uri)
    target = f"{req.role} on {uri}/{req.database} for {ident.name}"
    show = f".show database {kql.name(req.database)} principals"
    try:
        rows = kusto_data.mgmt(client, req.database, show)
    except Exception as e:
        raise _kusto_error(e, req, "reading the database principals") from None
    suffix = f" {req.role}".lower()
    for r in rows:
        fqn = str(r.get("PrincipalFQN", "")).lower()
        ids = {fqn.split("=", 1)[-1].split(";")[0], str(r.get("PrincipalObjectId", "")).lower()}
        if str(r.get("Role", "")).lower().endswith(suffix) and ids & {
            ident.client_id,
            ident.principal_id,
        }:
            report.changes.append(Change("none", target, "already in .show database principals"))
            return
    command = kql.add_principal(
        "add", req.database, kql_role(req.role), ident.fqn, req.note or f"kustomi: {ident.name}"
    )
    change = Change("create", target, command)
    report.changes.append(change)
    if report.dry_run:
        return
    with writing(report, change):
        try:
            retry_while(
                lambda: kusto_data.mgmt(client, req.database, command),
                entra_not_yet,
                progress,
                f"Entra to know identity {ident.name}",
                req.entra_timeout,
            )
        except Exception as e:
            raise _kusto_error(e, req, "adding the principal") from None


def _entra_or(e: Exception, ident: identities.Identity, req: GrantRequest) -> KustomiError:
    if entra_not_yet(e):
        return ServiceError(
            f"Entra still does not know identity {ident.name} (client id {ident.client_id}) "
            f"after {req.entra_timeout:.0f}s; nothing was granted.",
            hint="A new identity can take a few minutes to replicate; rerun the same command "
            "later (it is safe to repeat), or pass --entra-timeout with more seconds.",
        )
    return translate(e, "granting the role")


def _kusto_error(e: Exception, req: GrantRequest, doing: str) -> KustomiError:
    if entra_not_yet(e):
        return ServiceError(
            f"{doing}: Entra does not know the identity yet; nothing was granted.",
            hint="Rerun the same command in a minute.",
        )
    if kusto_data.status_of(e) == 403:
        return AuthError(
            f"{doing}: {kusto_data.api_error_text(e)}",
            hint=f"Adding principals needs Database Admin on {req.database} "
            "(or AllDatabasesAdmin); or use --via arm as a subscription "
            "Contributor.",
        )
    return translate(e, doing)

"""Step 2: a Kusto role for the identity: on a database (an ARM principal assignment, or
`.add database`), on one table (`.add table`: Kusto has no ARM resource for table roles), or
cluster-wide (an ARM cluster principal assignment: AllDatabasesViewer, ...).

A new identity is unknown to Entra for a while; the grant is retried, saying so, until
`entra_timeout` passes (ARM answers 400 "... was not found in AAD tenant ...";
the wording of Azure/azure-sdk-for-net#16416).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import kql, rules
from ..azure import credentials, identities, kusto_data, kusto_mgmt
from ..azure.clients import Azure
from ..azure.errors import translate
from ..config import ClusterRef, IdentityRef, kql_role
from ..errors import AuthError, KustomiError, NotFoundError, ServiceError
from ..model import Change, Report
from . import Planned, Progress, retry_while, writing
from .create_identity import Subject, existing


@dataclass(frozen=True)
class GrantRequest:
    identity: IdentityRef
    cluster: ClusterRef
    database: str | None  # None: a cluster-wide role
    role: str  # ARM spelling
    via: str = "arm"  # arm | kql (a table role is always kql)
    note: str = ""
    entra_timeout: float = 180.0
    table: str | None = None  # a table role (Admin, Ingestor) on this table of the database

    @property
    def scope(self) -> str:
        """cluster | database | table: where the role is held."""
        return "cluster" if self.database is None else "table" if self.table else "database"

    @property
    def db(self) -> str:
        """The database of a database or table role."""
        assert self.database is not None, "a cluster-wide role has no database"
        return self.database

    def where(self, cluster: str) -> str:
        """The role's scope as reports name it: <cluster>/<db>[/<table>], or the cluster."""
        if self.database is None:
            return f"cluster {cluster}"
        return f"{cluster}/{self.database}" + (f"/{self.table}" if self.table else "")


def assignment_name(role: str, client_id: str) -> str:
    """Deterministic: the same identity and role always map to the same name."""
    return f"kustomi-{role.lower()}-{client_id.lower()}"


def entra_not_yet(e: Exception) -> bool:
    text = str(e)
    err = getattr(e, "error", None)
    text += " " + str(getattr(err, "message", "") or "")
    return "not found in aad tenant" in text.lower() or "could not be resolved" in text.lower()


def run(azure: Azure, req: GrantRequest, dry_run: bool, progress: Progress) -> Report:
    if req.via == "kql" and req.cluster.uri:
        # Both audiences are known: sign in for ARM and the cluster at once, not in a row.
        credentials.prefetch(azure, req.cluster.uri)
    subject = existing(azure, req.identity)
    return plan(azure, req, subject, progress).finish(dry_run)


def plan(azure: Azure, req: GrantRequest, subject: Subject, progress: Progress) -> Planned:
    """Read what the database holds for the identity; plan the role. An identity still to be
    created (by setup) holds nothing yet: its role is planned as new."""
    report = Report("grant")
    ident = subject.found
    report.data = {
        **(ident.summary() if ident else {"identity": subject.name}),
        "role": req.role,
        "scope": req.scope,
        "database": req.database,
        "via": req.via,
    }
    if req.table:
        report.data["table"] = req.table
    if req.role in ("Admin", rules.CLUSTER_ADMIN):
        report.notes.append(
            f"{req.role} is far more than a binding needs: viewer (input) or ingestor (output) "
            "is enough."
        )
    via = _via_arm if req.via == "arm" else _via_kql
    write = via(azure, req, subject, report, progress)

    def note() -> None:
        report.notes.append(f'binding: ManagedServiceIdentity = "{subject.identity.binding_value}"')

    if write is None:
        if ident is not None:
            note()
        return Planned(report)

    def apply() -> None:
        write()
        ident = subject.identity
        report.data.update({k: v for k, v in ident.summary().items() if k not in report.data})
        if ident.client_id:
            report.data.update(clientId=ident.client_id)
        report.data.update(principalId=ident.principal_id)
        note()

    return Planned(report, apply)


Write = Callable[[], None] | None


def _via_arm(
    azure: Azure, req: GrantRequest, subject: Subject, report: Report, progress: Progress
) -> Write:
    data = report.data
    if req.cluster.name and req.cluster.resource_group:
        # Named with its resource group, the cluster needs no lookup: the assignment calls name
        # it, and a 404 from them is told apart (cluster or database) on the error path only.
        cluster = kusto_mgmt.Cluster(req.cluster.name, req.cluster.resource_group, "", "")
    else:
        cluster = kusto_mgmt.resolve(azure, req.cluster)
        data["clusterUri"] = cluster.uri
    data["cluster"] = cluster.name
    target = f"{req.role} on {req.where(cluster.name)} for {subject.name}"
    existing = kusto_mgmt.list_assignments(azure, cluster, req.database)
    ident = subject.found
    mine = [a for a in existing if ident and a.is_for(ident.client_id, ident.principal_id)]
    held = [a for a in mine if a.role.lower() == req.role.lower()]
    done = [a for a in held if a.succeeded]
    if done:
        report.changes.append(Change("none", target, f"principal assignment {done[0].name}"))
        data["assignment"] = done[0].name
        return None
    pending = [a for a in held if not a.succeeded and not a.failed]
    if pending:
        # Another run's assignment is still being made: what it ends as decides. Planned as an
        # update; applying waits for it, and sends it again only if it failed.
        again = pending[0]
        data["assignment"] = again.name
        change = Change("update", target, f"principal assignment {again.name} is {again.state}")
        report.changes.append(change)

        def wait_then_put() -> None:
            ended = kusto_mgmt.wait_assignment(
                azure, cluster, req.database, again.name, progress, req.entra_timeout
            )
            if ended is not None and ended.succeeded:  # the other run made it: nothing to do
                change.kind = "none"
                change.detail = f"principal assignment {again.name} (made by another run)"
                return
            _put(azure, req, subject, cluster, again.name, report, change, progress)

        return wait_then_put
    if held:  # it Failed: send it again, under its own name
        again = held[0]
        data["assignment"] = again.name
        change = Change("update", target, f"principal assignment {again.name} is {again.state}")
        report.changes.append(change)
        return lambda: _put(azure, req, subject, cluster, again.name, report, change, progress)
    others = sorted({a.role for a in mine})
    detail = "new principal assignment" + (f"; kept beside {', '.join(others)}" if others else "")
    taken = {a.name.lower() for a in existing}
    change = Change("create", target, detail)
    report.changes.append(change)
    if ident is not None:
        name = _free_name(req.role, ident.grant_id, taken)
        data["assignment"] = name
        change.detail = f"{detail} {name}"

    def create() -> None:
        name = _free_name(req.role, subject.identity.grant_id, taken)
        data["assignment"] = name
        change.detail = f"{detail} {name}"
        # The list above is every assignment of the database, so it already tells taken names;
        # the service's own check also rejects names it reserves.
        if not kusto_mgmt.name_available(azure, cluster, req.database, name):
            # Taken since the plan was read: by another run granting the same role to the
            # same identity (two setups at once), it is this grant, made or being made.
            ident = subject.identity
            same = next(
                (
                    a
                    for a in kusto_mgmt.list_assignments(azure, cluster, req.database)
                    if a.name.lower() == name.lower()
                    and a.is_for(ident.client_id, ident.principal_id)
                    and a.role.lower() == req.role.lower()
                ),
                None,
            )
            if same is None:
                raise ServiceError(
                    f"The principal assignment name {name} is not available.",
                    hint="Another principal's assignment holds it: delete that stale "
                    "assignment (az kusto database-principal-assignment delete), then rerun.",
                )
            if not same.succeeded:
                ended = kusto_mgmt.wait_assignment(
                    azure, cluster, req.database, name, progress, req.entra_timeout
                )
                if ended is None or not ended.succeeded:
                    _put(azure, req, subject, cluster, name, report, change, progress)
                    return
            change.kind = "none"
            change.detail = f"principal assignment {name} (made by another run)"
            return
        _put(azure, req, subject, cluster, name, report, change, progress)

    return create


def _free_name(role: str, client_id: str, taken: set[str]) -> str:
    base = name = assignment_name(role, client_id)
    n = 1
    while name.lower() in taken:  # another principal's assignment took the name: suffix it
        n += 1
        name = f"{base}-{n}"
    return name


def _put(
    azure: Azure,
    req: GrantRequest,
    subject: Subject,
    cluster: kusto_mgmt.Cluster,
    name: str,
    report: Report,
    change: Change,
    progress: Progress,
) -> None:
    ident = subject.identity

    def put() -> kusto_mgmt.Assignment:
        return kusto_mgmt.create_assignment(
            azure, cluster, req.database, name, ident.grant_id, req.role, ident.tenant_id, progress
        )

    with writing(report, change):
        try:
            retry_while(
                put,
                entra_not_yet,
                progress,
                f"Entra to know {_who(ident)}",
                req.entra_timeout,
            )
        except Exception as e:
            raise _entra_or(e, ident, req) from None


def _via_kql(
    azure: Azure, req: GrantRequest, subject: Subject, report: Report, progress: Progress
) -> Write:
    uri, client, rows = _principals(azure, req)
    report.data.update(clusterUri=uri)
    target = f"{req.role} on {req.where(uri)} for {subject.name}"
    ident = subject.found
    if ident is not None and _held_rows(rows, ident, req.role):
        shown = kql.show_principals(req.db, req.table)
        report.changes.append(Change("none", target, f"already in {shown}"))
        return None
    note = req.note or f"kustomi: {subject.name}"

    def command(fqn: str) -> str:
        return kql.add_principal("add", req.db, kql_role(req.role), fqn, note, req.table)

    change = Change("create", target, command(ident.fqn if ident else "aadapp=<new identity>"))
    report.changes.append(change)

    def add() -> None:
        ident = subject.identity
        change.detail = command(ident.fqn)
        with writing(report, change):
            try:
                retry_while(
                    lambda: kusto_data.mgmt(client, req.db, change.detail),
                    entra_not_yet,
                    progress,
                    f"Entra to know {_who(ident)}",
                    req.entra_timeout,
                )
            except Exception as e:
                raise _kusto_error(e, req, "adding the principal") from None

    return add


def _entra_or(e: Exception, ident: identities.Identity, req: GrantRequest) -> KustomiError:
    if entra_not_yet(e):
        return ServiceError(
            f"Entra still does not know {_who(ident)} ({_ids(ident)}) "
            f"after {req.entra_timeout:.0f}s; nothing was granted.",
            hint="A new identity can take a few minutes to replicate; rerun the same command "
            "later (it is safe to repeat), or pass --entra-timeout with more seconds.",
        )
    return translate(e, "granting the role")


def _who(ident: identities.Identity) -> str:
    if ident.system_of:
        return f"the system identity of {ident.system_of}"
    return f"identity {ident.name}"


def _ids(ident: identities.Identity) -> str:
    if ident.system_of:
        return f"of {ident.system_of}, principal id {ident.principal_id}"
    return f"client id {ident.client_id}"


def _kusto_error(e: Exception, req: GrantRequest, doing: str) -> KustomiError:
    if entra_not_yet(e):
        return ServiceError(
            f"{doing}: Entra does not know the identity yet; nothing was granted.",
            hint="Rerun the same command in a minute.",
        )
    if kusto_data.status_of(e) == 403:
        if req.table:
            return AuthError(
                f"{doing}: {kusto_data.api_error_text(e)}",
                hint=f"Table principals need Database Admin on {req.database} or Table Admin "
                f"on {req.table} (or AllDatabasesAdmin).",
            )
        return AuthError(
            f"{doing}: {kusto_data.api_error_text(e)}",
            hint=f"Adding principals needs Database Admin on {req.database} "
            "(or AllDatabasesAdmin); or use --via arm as a subscription "
            "Contributor.",
        )
    if req.table and kusto_data.status_of(e) == 404:
        return NotFoundError(
            f"Table '{req.table}' was not found in database '{req.database}'.",
            hint="Check the table name (KQL names are case-sensitive), or create the table "
            "first: a table role needs its table.",
        )
    return translate(e, doing)


def plan_revoke(azure: Azure, req: GrantRequest, subject: Subject, progress: Progress) -> Planned:
    """revoke: the role off the database: each ARM principal assignment of the identity with
    that role (--via arm), or `.drop database` of what `.add` made (--via kql)."""
    report = Report("revoke")
    ident = subject.found
    if ident is None:
        where = req.where(req.cluster.name or req.cluster.uri or "")
        report.changes.append(
            Change("none", f"{req.role} on {where} for {subject.name}", "identity not found")
        )
        return Planned(report)
    if req.via == "kql":
        return _drop_kql(azure, req, ident, report, progress)
    cluster = (
        kusto_mgmt.Cluster(req.cluster.name, req.cluster.resource_group, "", "")
        if req.cluster.name and req.cluster.resource_group
        else kusto_mgmt.resolve(azure, req.cluster)
    )
    target = f"{req.role} on {req.where(cluster.name)} for {subject.name}"
    held = [
        a
        for a in kusto_mgmt.list_assignments(azure, cluster, req.database)
        if a.is_for(ident.client_id, ident.principal_id) and a.role.lower() == req.role.lower()
    ]
    if not held:
        report.changes.append(Change("none", target, "no principal assignment"))
        return Planned(report)
    changes = [Change("delete", target, f"principal assignment {a.name}") for a in held]
    report.changes.extend(changes)

    def write() -> None:
        for a, change in zip(held, changes, strict=True):
            with writing(report, change):
                kusto_mgmt.delete_assignment(azure, cluster, req.database, a.name, progress)

    return Planned(report, write)


def _drop_kql(
    azure: Azure,
    req: GrantRequest,
    ident: identities.Identity,
    report: Report,
    progress: Progress,
) -> Planned:
    uri, client, rows = _principals(azure, req)
    target = f"{req.role} on {req.where(uri)} for {ident.name}"
    held = [str(r.get("PrincipalFQN", "")) for r in _held_rows(rows, ident, req.role)]
    if not held:
        shown = kql.show_principals(req.db, req.table)
        report.changes.append(Change("none", target, f"not in {shown}"))
        return Planned(report)
    command = kql.add_principal("drop", req.db, kql_role(req.role), held[0], "", req.table)
    change = Change("delete", target, command)
    report.changes.append(change)

    def write() -> None:
        with writing(report, change):
            try:
                kusto_data.mgmt(client, req.db, command)
            except Exception as e:
                raise _kusto_error(e, req, "dropping the principal") from None

    return Planned(report, write)


def _principals(azure: Azure, req: GrantRequest) -> tuple[str, Any, list[dict[str, Any]]]:
    """The cluster's URI, a data-plane client as the operator, and the database's (or the
    table's) principal rows: `.show database <db> principals`, `.show table <T> principals`."""
    uri = req.cluster.uri or kusto_mgmt.resolve(azure, req.cluster).uri
    client = azure.kusto_data(uri)
    show = kql.show_principals(req.db, req.table)
    try:
        return uri, client, kusto_data.mgmt(client, req.db, show)
    except Exception as e:
        raise _kusto_error(e, req, f"reading the {req.scope} principals") from None


def _held_rows(
    rows: list[dict[str, Any]], ident: identities.Identity, role: str
) -> list[dict[str, Any]]:
    """The rows of `.show database principals` that give `ident` the role (by the client id
    in its FQN, or its object id)."""
    ids = (ident.client_id, ident.principal_id)
    return [
        r for r in rows if rules.row_role(r).lower() == role.lower() and rules.row_is_for(r, ids)
    ]

"""Microsoft.Kusto: clusters, and principal assignments of a database or of the whole cluster
(azure-rest-api-specs specification/azure-kusto/resource-manager/Microsoft.Kusto).

Where a function takes `db`, None means the cluster: its principal assignments
(ClusterPrincipalAssignments_*) hold the cluster-wide roles (AllDatabasesViewer, ...)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import rules
from ..config import ClusterRef
from ..errors import NotFoundError
from ..rules import resource_group_of
from .clients import LIST, Azure, required, text

if TYPE_CHECKING:
    from azure.mgmt.kusto.models import ClusterPrincipalAssignment, DatabasePrincipalAssignment
from .errors import check_subscription, translate


@dataclass(frozen=True)
class Cluster:
    name: str
    resource_group: str
    uri: str  # "" when the cluster was named, not looked up
    location: str


@dataclass(frozen=True)
class Assignment:
    name: str  # the last segment; ARM reports "cluster/db/name"
    role: str
    principal_id: str
    principal_type: str
    tenant_id: str
    aad_object_id: str
    state: str

    @property
    def succeeded(self) -> bool:
        """Granted: the operation that made it finished. Until then (Creating, Running...) or
        when it Failed, the cluster does not enforce the role (provisioningState, per
        https://learn.microsoft.com/azure/azure-resource-manager/management/async-operations)."""
        return self.state in ("", "Succeeded")

    @property
    def failed(self) -> bool:
        return self.state in ("Failed", "Canceled")

    def is_for(self, client_id: str, object_id: str) -> bool:
        """Whether the assignment is for the identity (rules.assignment_is_for)."""
        return rules.assignment_is_for(
            self.principal_id, self.aad_object_id, (client_id, object_id)
        )


def _norm(uri: str) -> str:
    return uri.rstrip("/").lower()


def resolve(azure: Azure, ref: ClusterRef) -> Cluster:
    """A cluster from its name and resource group (one GET) or its URI (one list)."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        if ref.name and ref.resource_group:
            try:
                c = azure.kusto.clusters.get(ref.resource_group, ref.name)
            except ResourceNotFoundError as e:
                check_subscription(e)
                raise NotFoundError(
                    f"Kusto cluster '{ref.name}' was not found in resource group "
                    f"'{ref.resource_group}'.",
                    hint=_elsewhere(azure, ref.name)
                    or "Check the name, or pass the cluster URI instead.",
                ) from None
            uri = required(c.uri, "cluster uri").rstrip("/")
            name = required(c.name, "cluster name")
            if name.lower() != ref.name.lower():
                raise TypeError(f"the answer describes cluster {name!r}, not {ref.name!r}")
            return Cluster(name, ref.resource_group, uri, c.location)
        for c in azure.kusto.clusters.list(**LIST):
            if c.uri and _norm(c.uri) == _norm(ref.uri or ""):
                rg = required(resource_group_of(required(c.id, "cluster id")), "resource group")
                return Cluster(required(c.name, "cluster name"), rg, c.uri.rstrip("/"), c.location)
    except NotFoundError:
        raise
    except Exception as e:
        raise translate(e, "looking up the cluster") from None
    raise NotFoundError(
        f"No cluster with URI {ref.uri} in subscription {azure.subscription_id}.",
        hint="Check the URI and --subscription; the operator must be able to read the cluster.",
    )


def _elsewhere(azure: Azure, name: str) -> str:
    """On the error path only: the resource group where a cluster of that name is, with the
    flag that names it, else the nearest names ("" when there is nothing to say, or the list
    cannot be read)."""
    import difflib

    try:
        every = [
            (c.name or "", resource_group_of(c.id or "")) for c in azure.kusto.clusters.list(**LIST)
        ]
    except Exception:  # a hint is a bonus: the not-found stands without it
        return ""
    there = sorted({rg for n, rg in every if n.lower() == name.lower()} - {""})
    if not there:
        near = difflib.get_close_matches(name, [n for n, _ in every], n=3, cutoff=0.75)
        return f"Did you mean {' or '.join(near)}?" if near else ""
    return (
        f"Cluster {name} is in resource group {', '.join(there)}: pass "
        f"--cluster-resource-group {there[0]}, or the cluster's URI."
    )


def _near_databases(azure: Azure, cluster: Cluster, db: str) -> str:
    """On the error path only: the cluster's databases nearest to `db` (one list; "" when
    none is near, or the list cannot be read)."""
    import difflib

    try:
        names = [
            (d.name or "").split("/")[-1]  # ARM names a database "<cluster>/<db>"
            for d in azure.kusto.databases.list_by_cluster(
                cluster.resource_group, cluster.name, **LIST
            )
        ]
    except Exception:  # a hint is a bonus: the not-found stands without it
        return ""
    near = difflib.get_close_matches(db, names, n=3, cutoff=0.6)
    near += [n for n in names if n.lower() == db.lower() and n not in near]  # case differs
    if not near:
        return ""
    return f"Did you mean {' or '.join(near)}? (a database name is case-sensitive in KQL)"


def list_clusters(azure: Azure) -> list[Cluster]:
    """Every cluster of the subscription (Clusters_List), with its URI."""
    try:
        return [
            Cluster(
                required(c.name, "cluster name"),
                required(resource_group_of(required(c.id, "cluster id")), "resource group"),
                required(c.uri, "cluster uri").rstrip("/"),
                c.location,
            )
            for c in azure.kusto.clusters.list(**LIST)
        ]
    except Exception as e:
        raise translate(e, "listing the subscription's Kusto clusters") from None


def _assignment(x: DatabasePrincipalAssignment | ClusterPrincipalAssignment) -> Assignment:
    return Assignment(
        name=required(x.name, "assignment name").split("/")[-1],
        role=text(x.role),
        principal_id=x.principal_id or "",
        principal_type=text(x.principal_type),
        tenant_id=(x.tenant_id or "").lower(),
        aad_object_id=x.aad_object_id or "",
        state=text(x.provisioning_state),
    )


def scope(cluster: Cluster, db: str | None) -> str:
    """How a report names where a role is held: cluster/db, or the cluster."""
    return f"{cluster.name}/{db}" if db is not None else f"cluster {cluster.name}"


def list_assignments(azure: Azure, cluster: Cluster, db: str | None) -> list[Assignment]:
    from azure.core.exceptions import ResourceNotFoundError

    try:
        if db is None:
            found: Any = azure.kusto.cluster_principal_assignments.list(
                cluster.resource_group, cluster.name, **LIST
            )
        else:
            found = azure.kusto.database_principal_assignments.list(
                cluster.resource_group, cluster.name, db, **LIST
            )
        return [_assignment(x) for x in found]
    except ResourceNotFoundError as e:
        check_subscription(e)
        if not cluster.uri or db is None:  # not looked up yet: is it the cluster that is missing?
            resolve(azure, ClusterRef(name=cluster.name, resource_group=cluster.resource_group))
        if db is None:
            raise translate(e, f"listing principal assignments of cluster {cluster.name}") from None
        raise NotFoundError(
            f"Database '{db}' was not found on cluster '{cluster.name}'.",
            hint=_near_databases(azure, cluster, db)
            or "Check the database name (it is case-sensitive in KQL).",
        ) from None
    except Exception as e:
        raise translate(e, f"listing principal assignments of {scope(cluster, db)}") from None


def name_available(azure: Azure, cluster: Cluster, db: str | None, name: str) -> bool:
    from azure.mgmt.kusto.models import (
        ClusterPrincipalAssignmentCheckNameRequest,
        DatabasePrincipalAssignmentCheckNameRequest,
    )

    try:
        # The models fill the required "type"; a plain dict would send {"name"} alone.
        if db is None:
            r = azure.kusto.cluster_principal_assignments.check_name_availability(
                cluster.resource_group,
                cluster.name,
                ClusterPrincipalAssignmentCheckNameRequest(name=name),
            )
        else:
            r = azure.kusto.database_principal_assignments.check_name_availability(
                cluster.resource_group,
                cluster.name,
                db,
                DatabasePrincipalAssignmentCheckNameRequest(name=name),
            )
        if not isinstance(r.name_available, bool):
            raise TypeError(f"nameAvailable is {type(r.name_available).__name__}, not a bool")
        return r.name_available
    except Exception as e:
        raise translate(e, "checking the assignment name") from None


def create_assignment(
    azure: Azure,
    cluster: Cluster,
    db: str | None,
    name: str,
    principal_id: str,
    role: str,
    tenant_id: str,
    progress: Callable[[str], None],
    every: float | None = None,
) -> Assignment:
    """A long-running PUT (Azure-AsyncOperation; https://learn.microsoft.com/azure/
    azure-resource-manager/management/async-operations); says every `every` seconds that it is
    still waiting. Raises the SDK's error as is, so callers can retry Entra's delay."""
    body = {
        "properties": {
            "principalId": principal_id,
            "role": role,
            "principalType": "App",
            "tenantId": tenant_id,
        }
    }
    ops = azure.kusto
    poller = (
        ops.cluster_principal_assignments.begin_create_or_update(
            cluster.resource_group, cluster.name, name, body
        )
        if db is None
        else ops.database_principal_assignments.begin_create_or_update(
            cluster.resource_group, cluster.name, db, name, body
        )
    )
    return _assignment(
        _wait(
            poller,
            f"finish principal assignment {name}",
            progress,
            azure.env.progress_seconds if every is None else every,
        )
    )


def wait_assignment(
    azure: Azure,
    cluster: Cluster,
    db: str | None,
    name: str,
    progress: Callable[[str], None],
    timeout: float,
    every: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Assignment | None:
    """Wait until the assignment `name` is no longer in progress (another run's, or one still
    being made); the assignment as it ends, or None if it is gone."""
    start = time.monotonic()
    while True:
        found = next((a for a in list_assignments(azure, cluster, db) if a.name == name), None)
        if found is None or found.succeeded or found.failed:
            return found
        waited = time.monotonic() - start
        if waited >= timeout:
            return found
        progress(f"principal assignment {name} is still {found.state}: waiting ({waited:.0f}s)")
        sleep(min(every, max(timeout - waited, 0.0)))


def delete_assignment(
    azure: Azure, cluster: Cluster, db: str | None, name: str, progress: Callable[[str], None]
) -> None:
    """A long-running DELETE; an assignment already gone is fine (ARM answers 204)."""
    ops = azure.kusto
    poller = (
        ops.cluster_principal_assignments.begin_delete(cluster.resource_group, cluster.name, name)
        if db is None
        else ops.database_principal_assignments.begin_delete(
            cluster.resource_group, cluster.name, db, name
        )
    )
    _wait(poller, f"delete principal assignment {name}", progress, azure.env.progress_seconds)


def _wait(poller: Any, doing: str, progress: Callable[[str], None], every: float) -> Any:
    """An LRO's result, saying every `every` seconds (KUSTOMI_PROGRESS_SECONDS) that Azure is
    still at it: a CLI silent for a minute looks hung."""
    start = time.monotonic()
    while not poller.done():
        poller.wait(every)
        if not poller.done():
            progress(
                f"waiting for Azure to {doing}: {poller.status()}, {time.monotonic() - start:.0f}s"
            )
    return poller.result()

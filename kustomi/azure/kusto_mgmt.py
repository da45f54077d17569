"""Microsoft.Kusto: clusters and database principal assignments (ARM.md B)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..config import ClusterRef
from ..errors import NotFoundError
from .clients import Azure, text
from .errors import translate


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

    def is_for(self, client_id: str, object_id: str) -> bool:
        """ARM echoes principalId as sent: the client id or the object id (ARM.md B.3), and
        reports the resolved object id in aadObjectId. Any of them identifies the principal."""
        ids = {self.principal_id.lower(), self.aad_object_id.lower()}
        return bool(ids & {client_id.lower(), object_id.lower()})


def _rg_of(resource_id: str) -> str:
    parts = resource_id.split("/")
    return parts[parts.index(next(p for p in parts if p.lower() == "resourcegroups")) + 1]


def _norm(uri: str) -> str:
    return uri.rstrip("/").lower()


def resolve(azure: Azure, ref: ClusterRef) -> Cluster:
    """A cluster from its name and resource group (one GET) or its URI (one list)."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        if ref.name and ref.resource_group:
            try:
                c = azure.kusto.clusters.get(ref.resource_group, ref.name)
            except ResourceNotFoundError:
                raise NotFoundError(
                    f"Kusto cluster '{ref.name}' was not found in resource group "
                    f"'{ref.resource_group}'.",
                    hint="Check the name, or pass the cluster URI instead.",
                ) from None
            return Cluster(c.name, ref.resource_group, c.uri.rstrip("/"), c.location)
        for c in azure.kusto.clusters.list():
            if c.uri and _norm(c.uri) == _norm(ref.uri or ""):
                return Cluster(c.name, _rg_of(c.id), c.uri.rstrip("/"), c.location)
    except NotFoundError:
        raise
    except Exception as e:
        raise translate(e, "looking up the cluster") from None
    raise NotFoundError(
        f"No cluster with URI {ref.uri} in subscription {azure.subscription_id}.",
        hint="Check the URI and --subscription; the operator must be able to read the cluster.",
    )


def _assignment(x: Any) -> Assignment:
    return Assignment(
        name=x.name.split("/")[-1],
        role=text(x.role),
        principal_id=x.principal_id or "",
        principal_type=text(x.principal_type),
        tenant_id=(x.tenant_id or "").lower(),
        aad_object_id=x.aad_object_id or "",
        state=text(x.provisioning_state),
    )


def list_assignments(azure: Azure, cluster: Cluster, db: str) -> list[Assignment]:
    from azure.core.exceptions import ResourceNotFoundError

    try:
        return [
            _assignment(x)
            for x in azure.kusto.database_principal_assignments.list(
                cluster.resource_group, cluster.name, db
            )
        ]
    except ResourceNotFoundError:
        if not cluster.uri:  # not looked up yet: is it the cluster that is missing?
            resolve(azure, ClusterRef(name=cluster.name, resource_group=cluster.resource_group))
        raise NotFoundError(
            f"Database '{db}' was not found on cluster '{cluster.name}'.",
            hint="Check the database name (it is case-sensitive in KQL).",
        ) from None
    except Exception as e:
        raise translate(e, f"listing principal assignments of {db}") from None


def name_available(azure: Azure, cluster: Cluster, db: str, name: str) -> bool:
    from azure.mgmt.kusto.models import DatabasePrincipalAssignmentCheckNameRequest

    # The model fills the required "type"; a plain dict would send {"name"} alone.
    body = DatabasePrincipalAssignmentCheckNameRequest(name=name)
    try:
        r = azure.kusto.database_principal_assignments.check_name_availability(
            cluster.resource_group, cluster.name, db, body
        )
    except Exception as e:
        raise translate(e, "checking the assignment name") from None
    return bool(r.name_available)


def create_assignment(
    azure: Azure,
    cluster: Cluster,
    db: str,
    name: str,
    principal_id: str,
    role: str,
    tenant_id: str,
    progress: Callable[[str], None],
    every: float = 5.0,
) -> Assignment:
    """A long-running PUT (Azure-AsyncOperation, ARM.md E); says every `every` seconds that it
    is still waiting. Raises the SDK's error as is, so callers can retry Entra's delay."""
    poller = azure.kusto.database_principal_assignments.begin_create_or_update(
        cluster.resource_group,
        cluster.name,
        db,
        name,
        {
            "properties": {
                "principalId": principal_id,
                "role": role,
                "principalType": "App",
                "tenantId": tenant_id,
            }
        },
    )
    start = time.monotonic()
    while not poller.done():
        poller.wait(every)
        if not poller.done():
            progress(
                f"waiting for Azure to finish principal assignment {name}: "
                f"{poller.status()}, {time.monotonic() - start:.0f}s"
            )
    return _assignment(poller.result())

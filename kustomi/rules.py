"""The domain rules, stated once: which Kusto role satisfies which, what each binding direction
needs, and how a resource id names its resource group. grant, verify, doctor and setup read
them from here, so that they agree by construction.

Roles are ARM's names (DatabasePrincipalRole in azure-rest-api-specs
specification/azure-kusto/resource-manager/Microsoft.Kusto/Kusto/stable/2025-02-14/kusto.json);
what each allows: https://learn.microsoft.com/kusto/management/access-control/role-based-access-control.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# A cluster-wide role that holds every database role (Kusto's AllDatabasesAdmin).
CLUSTER_ADMIN = "AllDatabasesAdmin"

# The database roles that may read (query) a database.
READ = frozenset({"Viewer", "User", "Admin", "UnrestrictedViewer"})

# Which held roles satisfy an expected role (CLUSTER_ADMIN satisfies all of them).
SATISFIES: dict[str, frozenset[str]] = {
    "Viewer": READ,
    "User": frozenset({"User", "Admin"}),
    "UnrestrictedViewer": frozenset({"UnrestrictedViewer", "Admin"}),
    "Ingestor": frozenset({"Ingestor", "Admin"}),
    "Monitor": frozenset({"Monitor", "Viewer", "User", "Admin"}),
    "Admin": frozenset({"Admin"}),
}

# What a binding of each direction needs on its database, and the smallest role that gives it
# (https://learn.microsoft.com/azure/azure-functions/functions-bindings-azure-data-explorer,
# "Considerations": input needs Viewer, output needs Ingestor).
NEEDED_ROLE = {"in": "Viewer", "out": "Ingestor"}
PURPOSE = {"Viewer": "an input binding", "Ingestor": "an output binding"}


# The cluster-wide roles (ARM ClusterPrincipalRole) and the database role each holds on every
# database of the cluster (https://learn.microsoft.com/kusto/access-control/role-based-access-control:
# AllDatabasesAdmin, AllDatabasesViewer, AllDatabasesMonitor).
CLUSTER_ROLES: dict[str, str] = {
    "AllDatabasesAdmin": "Admin",
    "AllDatabasesViewer": "Viewer",
    "AllDatabasesMonitor": "Monitor",
}


def is_cluster_role(role: str) -> bool:
    """Whether `role` (ARM's spelling) is cluster-wide: granted on the cluster, no database."""
    return role in CLUSTER_ROLES


# The table-level roles (`.add table T admins|ingestors`): each holds, on its table only, the
# database role of the same name.
TABLE_ROLES = frozenset({"Admin", "Ingestor"})


def implied(held: Iterable[str]) -> set[str]:
    """The database roles the roles held amount to on a database: each one held, and the
    database role each cluster-wide role implies."""
    out = set()
    for role in held:
        out.add(role)
        for cluster_role, db_role in CLUSTER_ROLES.items():
            if role.lower() == cluster_role.lower():
                out.add(db_role)
    return out


def satisfied(held: Iterable[str], wanted: str | None) -> bool:
    """Whether the roles held give `wanted` (None: any role that reads); a cluster-wide role
    counts as the database role it implies. A cluster-wide `wanted` is given only by a
    cluster-wide role whose database role gives the one `wanted` implies (AllDatabasesViewer
    gives AllDatabasesMonitor, not AllDatabasesAdmin): a database role holds on one database."""
    held = set(held)
    roles = implied(held)  # AllDatabasesAdmin implies Admin, which gives every database role
    if wanted in CLUSTER_ROLES:
        need = SATISFIES[CLUSTER_ROLES[wanted]]
        return any(CLUSTER_ROLES[h] in need for h in held if h in CLUSTER_ROLES)
    return bool(roles & SATISFIES.get(wanted or "", READ))


def givers(wanted: str) -> frozenset[str]:
    """The roles that give `wanted`, as a message lists them."""
    if wanted in CLUSTER_ROLES:
        need = SATISFIES[CLUSTER_ROLES[wanted]]
        return frozenset(c for c, db in CLUSTER_ROLES.items() if db in need) | {CLUSTER_ADMIN}
    return SATISFIES.get(wanted, READ)


def table_satisfied(table_held: Iterable[str], wanted: str) -> bool:
    """Whether table-level roles held on a table give `wanted` there (an output binding to
    that table needs Ingestor, which its table Ingestor or Admin gives)."""
    held = {r for r in table_held if r in TABLE_ROLES}
    return bool(held & SATISFIES.get(wanted, frozenset()))


def reads(held: Iterable[str]) -> bool:
    """Whether the roles held allow a query."""
    return satisfied(held, None)


def needs(direction: str) -> frozenset[str]:
    """The roles that satisfy a binding of `direction` ("in" or "out")."""
    return SATISFIES[NEEDED_ROLE[direction]]


def serves(held: Iterable[str], directions: Iterable[str]) -> bool:
    """Whether the roles held serve a binding of each direction given ("in", "out"); with no
    direction known, a binding of either direction."""
    wanted = {NEEDED_ROLE[d] for d in directions}
    if not wanted:
        return satisfied(held, NEEDED_ROLE["in"]) or satisfied(held, NEEDED_ROLE["out"])
    return all(satisfied(held, role) for role in wanted)


def resource_group_of(resource_id: str) -> str:
    """The resource group an ARM resource id names ('' when it names none). ARM's segment is
    `resourceGroups`, in any casing (App Service answers `resourcegroups`)."""
    parts = resource_id.split("/")
    for i, part in enumerate(parts[:-1]):
        if part.lower() == "resourcegroups":
            return parts[i + 1]
    return ""


def row_ids(row: dict[str, Any]) -> set[str]:
    """The ids a principal row names, lowercased: the id in its PrincipalFQN
    (`aadapp=<client id>;<tenant>`, or `...@<tenant>`) and its PrincipalObjectId. The rows are
    `.show database|table principals` rows
    (https://learn.microsoft.com/kusto/management/show-database-principals)."""
    fqn = str(row.get("PrincipalFQN", "")).strip().lower()
    ids = {str(row.get("PrincipalObjectId", "")).strip().lower()}
    if "=" in fqn:
        ids.add(re.split(r"[;@]", fqn.split("=", 1)[1], maxsplit=1)[0].strip())
    return ids - {""}


def identity_ids(*ids: str | None) -> set[str]:
    """An identity's ids (client id, object id), lowercased, the empty ones left out."""
    return {i.strip().lower() for i in ids if i and i.strip()}


def row_is_for(row: dict[str, Any], ids: Iterable[str]) -> bool:
    """Whether a principal row names the identity of `ids` (its client id or object id)."""
    return bool(row_ids(row) & identity_ids(*ids))


def assignment_is_for(principal_id: str, aad_object_id: str, ids: Iterable[str]) -> bool:
    """Whether an ARM principal assignment is for the identity of `ids`. ARM echoes principalId
    as sent (the client id or the object id) and reports the resolved object id in aadObjectId
    (KustoDatabasePrincipalAssignmentsCreateOrUpdate.json): any of them identifies it."""
    return bool(identity_ids(principal_id, aad_object_id) & identity_ids(*ids))


def row_role(row: dict[str, Any]) -> str:
    """The role of a principal row. The Role column reads like "Database X Viewer" or "Viewer"
    (https://learn.microsoft.com/kusto/management/show-principal-roles), so the last word
    counts ('' when the row has none)."""
    for k, v in row.items():
        if k.lower() == "role" and isinstance(v, str) and v.strip():
            return v.strip().split()[-1]
    return ""


def roles_of(rows: Iterable[dict[str, Any]], ids: Iterable[str]) -> set[str]:
    """The roles the principal rows give the identity of `ids`."""
    want = identity_ids(*ids)
    return {row_role(r) for r in rows if row_ids(r) & want} - {""}

"""The domain rules, stated once: which Kusto role satisfies which, what each binding direction
needs, and how a resource id names its resource group. grant, verify, doctor and setup read
them from here, so that they agree by construction.

Roles are ARM's names (DatabasePrincipalRole in azure-rest-api-specs
specification/azure-kusto/resource-manager/Microsoft.Kusto/Kusto/stable/2025-02-14/kusto.json);
what each allows: https://learn.microsoft.com/kusto/management/access-control/role-based-access-control.
"""

from __future__ import annotations

from collections.abc import Iterable

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


def satisfied(held: Iterable[str], wanted: str | None) -> bool:
    """Whether the roles held give `wanted` (None: any role that reads)."""
    roles = set(held)
    if CLUSTER_ADMIN in roles:
        return True
    return bool(roles & SATISFIES.get(wanted or "", READ))


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

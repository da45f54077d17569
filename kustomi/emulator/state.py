"""The emulated world: what exists, who may do what, and the realism knobs.

One `World` per emulator process, guarded by one lock. It loads from and dumps to the JSON
scenario format documented in the README ("Emulator scenarios").
"""

from __future__ import annotations

import copy
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

# Kusto database roles as ARM spells them (DatabasePrincipalRole in kusto.json) and as KQL
# spells them (plural: https://learn.microsoft.com/kusto/management/manage-database-security-roles).
DB_ROLES = ("Admin", "Ingestor", "Monitor", "User", "UnrestrictedViewer", "Viewer")
KQL_ROLE = {r.lower() + "s": r for r in DB_ROLES}
READ_ROLES = {"Admin", "User", "Viewer", "UnrestrictedViewer"}
# Cluster-wide roles (ClusterPrincipalRole in kusto.json) and the database role each holds on
# every database (https://learn.microsoft.com/kusto/access-control/role-based-access-control).
CLUSTER_ROLES = {
    "AllDatabasesAdmin": "Admin",
    "AllDatabasesViewer": "Viewer",
    "AllDatabasesMonitor": "Monitor",
}
# Table-level roles, as KQL spells them (`.add table T admins|ingestors`:
# https://learn.microsoft.com/kusto/management/manage-table-security-roles).
TABLE_KQL_ROLE = {"admins": "Admin", "ingestors": "Ingestor"}


def new_guid() -> str:
    return str(uuid.uuid4())


@dataclass
class Operator:
    """A service principal that signs in with a client secret (the person running kustomi)."""

    name: str
    client_id: str
    object_id: str
    secret: str
    role: str = "Owner"  # Owner | Contributor | Reader, at subscription scope


@dataclass
class Identity:
    resource_group: str
    name: str
    location: str
    client_id: str
    principal_id: str
    tags: dict[str, str] = field(default_factory=dict)
    created_at: float = field(default_factory=time.time)

    def resource_id(self, sub: str) -> str:
        return (
            f"/subscriptions/{sub}/resourcegroups/{self.resource_group}/providers/"
            f"Microsoft.ManagedIdentity/userAssignedIdentities/{self.name}"
        )


@dataclass
class DbPrincipal:
    """One role held by one principal on one database.

    ARM principal assignments and KQL `.add database` both write here, so the data plane
    enforces exactly what either path granted. `assignment` is the ARM name when the role
    came through ARM (ARM lists only those; `.show database principals` lists all).
    """

    role: str
    principal_type: str  # App | User | Group
    app_id: str  # the application (client) id for App principals
    object_id: str
    tenant_id: str
    display_name: str
    principal_id: str = ""  # as sent to ARM (client id or object id)
    assignment: str | None = None
    notes: str = ""
    granted_at: float = field(default_factory=time.time)
    # The ARM assignment's provisioningState: Creating while its PUT's operation runs, Deleting
    # while its DELETE's does (ProvisioningState in kusto.json).
    provisioning: str = "Succeeded"

    @property
    def enforced(self) -> bool:
        """Whether the cluster enforces the role: once granted, and until a delete finishes."""
        return self.provisioning in ("Succeeded", "Deleting")

    @property
    def fqn(self) -> str:
        prefix = {"App": "aadapp", "User": "aaduser", "Group": "aadgroup"}[self.principal_type]
        return f"{prefix}={self.app_id or self.object_id};{self.tenant_id}"


@dataclass
class Table:
    """A table and the principals of its own roles (Admin, Ingestor on it alone)."""

    name: str
    principals: list[DbPrincipal] = field(default_factory=list)


@dataclass
class Database:
    name: str
    principals: list[DbPrincipal] = field(default_factory=list)
    tables: dict[str, Table] = field(default_factory=dict)  # key: lower-case name


@dataclass
class Cluster:
    resource_group: str
    name: str
    location: str
    databases: dict[str, Database] = field(default_factory=dict)  # key: lower-case name
    # Cluster-level AllDatabasesAdmin: (app_id, object_id) pairs. ARM makes the creator one.
    admins: list[tuple[str, str]] = field(default_factory=list)
    # Cluster-wide roles held by principals (ARM cluster principal assignments): CLUSTER_ROLES.
    principals: list[DbPrincipal] = field(default_factory=list)


@dataclass
class Site:
    """A function app or one of its slots (slot is None for production)."""

    resource_group: str
    name: str
    location: str
    kind: str
    slot: str | None = None
    system_assigned: dict[str, str] | None = None  # principal_id, client_id, tenant_id
    user_assigned: list[str] = field(default_factory=list)  # identity resource ids as sent
    app_settings: dict[str, str] = field(default_factory=dict)
    connection_strings: dict[str, dict[str, str]] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    # The plan's SKU as the site reports it (properties.sku); "" means: from the kind, Dynamic
    # (Consumption) for a function app, Standard otherwise.
    sku: str = ""
    # Slot-sticky setting names (config/slotConfigNames); production sites only.
    slot_config_names: dict[str, list[str]] = field(default_factory=dict)
    # What the platform puts in IDENTITY_HEADER for processes of this site. Never logged.
    identity_header: str = field(default_factory=lambda: secrets.token_hex(16))
    # The deployment password in the site's publishing profiles (publishxml). Never logged.
    publishing_password: str = field(default_factory=lambda: secrets.token_urlsafe(45))


@dataclass
class Knobs:
    entra_propagation_seconds: float = 0.0
    role_propagation_seconds: float = 0.0
    latency_ms: float = 0.0
    lro_seconds: float = 0.0  # how long a long-running operation runs, on the server's clock
    # Seconds a client should wait between LRO polls. azure-core ignores 0 and falls back to
    # its polling_interval (_extract_delay in azure/core/polling/base_polling.py).
    lro_retry_after: float = 1.0
    # ARM's throttling (throttle.py): every token bucket (per subscription, caller, and reads,
    # writes or deletes) refills `arm_rate` tokens a second, 0 = no throttling, and holds at
    # most `arm_burst` (at least 1). Azure's subscription reads: 25 a second, 250.
    arm_rate: float = 0.0
    arm_burst: float = 250.0


@dataclass
class Clock:
    """The server's clock, for every timed state of the world (an LRO's end, Entra's and
    Kusto's propagation delays): real time plus `offset`, or, once `freeze`d, a clock that
    moves only when `advance`d (by a test, or a `tick` fault after a request), so that a test
    of a timed state needs neither a real wait nor luck on a loaded machine. Tokens keep real
    time: clients check their expiry against their own clock."""

    offset: float = 0.0
    frozen_at: float | None = None

    def now(self) -> float:
        return (self.frozen_at if self.frozen_at is not None else time.time()) + self.offset

    def freeze(self) -> None:
        if self.frozen_at is None:
            self.frozen_at = time.time()

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@dataclass
class World:
    tenant_id: str
    subscription_id: str
    subscription_name: str = "kustomi-emulator"
    operators: list[Operator] = field(default_factory=list)
    resource_groups: dict[str, dict[str, Any]] = field(default_factory=dict)  # lower name
    identities: dict[tuple[str, str], Identity] = field(default_factory=dict)  # (rg, name) lower
    clusters: dict[tuple[str, str], Cluster] = field(default_factory=dict)
    sites: dict[tuple[str, str, str], Site] = field(default_factory=dict)  # (rg, name, slot|"")
    # Principals that Entra knows besides identities and operators (users, groups, apps).
    directory: list[dict[str, str]] = field(default_factory=list)
    knobs: Knobs = field(default_factory=Knobs)
    faults: list[dict[str, Any]] = field(default_factory=list)
    clock: Clock = field(default_factory=Clock)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def now(self) -> float:
        """The server's clock (see Clock)."""
        return self.clock.now()

    # --- lookups -------------------------------------------------------------------------
    def copy(self) -> World:
        """A deep copy with a lock of its own: a snapshot to load again later."""
        with self.lock:
            fields = {k: v for k, v in vars(self).items() if k != "lock"}
            return World(**copy.deepcopy(fields))

    def operator_by_client_id(self, client_id: str) -> Operator | None:
        return next((o for o in self.operators if o.client_id == client_id.lower()), None)

    def identity_by_any_id(self, value: str) -> Identity | None:
        """An identity by client id, object id or resource id (case-insensitive)."""
        v = value.lower()
        for ident in self.identities.values():
            if v in (
                ident.client_id,
                ident.principal_id,
                ident.resource_id(self.subscription_id).lower(),
            ):
                return ident
        return None

    def entra_principal(self, principal_id: str) -> dict[str, str] | None:
        """What Entra knows of an id: app_id, object_id, name, type and since when.

        A new identity is unknown for `entra_propagation_seconds` (Kusto's "was not found in
        AAD tenant"): Entra replicates a new service principal with a delay.
        """
        pid = principal_id.lower()
        ident = self.identity_by_any_id(pid)
        if ident is not None:
            if self.now() < ident.created_at + self.knobs.entra_propagation_seconds:
                return None
            return {
                "app_id": ident.client_id,
                "object_id": ident.principal_id,
                "name": ident.name,
                "type": "App",
            }
        for op in self.operators:
            if pid in (op.client_id, op.object_id):
                return {
                    "app_id": op.client_id,
                    "object_id": op.object_id,
                    "name": op.name,
                    "type": "App",
                }
        for site in self.sites.values():
            sa = site.system_assigned
            if sa and pid in (sa["client_id"], sa["principal_id"]):
                made = float(sa.get("created_at", "0"))
                if self.now() < made + self.knobs.entra_propagation_seconds:
                    return None
                return {
                    "app_id": sa["client_id"],
                    "object_id": sa["principal_id"],
                    "name": site.name,
                    "type": "App",
                }
        for p in self.directory:
            if pid in (p.get("app_id", "").lower(), p.get("object_id", "").lower()):
                return {
                    "app_id": p.get("app_id", ""),
                    "object_id": p.get("object_id", ""),
                    "name": p.get("name", pid),
                    "type": p.get("type", "App"),
                }
        return None

    # --- scenario I/O --------------------------------------------------------------------
    @classmethod
    def empty(cls) -> World:
        op = Operator(
            name="kustomi-operator",
            client_id=new_guid(),
            object_id=new_guid(),
            secret=secrets.token_urlsafe(24),
        )
        return cls(tenant_id=new_guid(), subscription_id=new_guid(), operators=[op])

    @classmethod
    def from_scenario(cls, doc: dict[str, Any]) -> World:
        base = cls.empty()
        w = cls(
            tenant_id=doc.get("tenant_id", base.tenant_id).lower(),
            subscription_id=doc.get("subscription_id", base.subscription_id).lower(),
            subscription_name=doc.get("subscription_name", base.subscription_name),
        )
        for o in doc.get("operators") or [None]:
            o = o or {}
            w.operators.append(
                Operator(
                    name=o.get("name", "kustomi-operator"),
                    client_id=o.get("client_id", new_guid()).lower(),
                    object_id=o.get("object_id", new_guid()).lower(),
                    secret=o.get("client_secret", secrets.token_urlsafe(24)),
                    role=o.get("role", "Owner"),
                )
            )
        w.knobs = Knobs(**doc.get("knobs", {}))
        w.faults = copy.deepcopy(doc.get("faults", []))
        w.directory = copy.deepcopy(doc.get("directory", []))
        for rg in doc.get("resource_groups", []):
            w.resource_groups[rg["name"].lower()] = {
                "name": rg["name"],
                "location": rg.get("location", "westeurope"),
                "tags": rg.get("tags", {}),
            }
        for i in doc.get("identities", []):
            ident = Identity(
                resource_group=i["resource_group"],
                name=i["name"],
                location=i.get("location", "westeurope"),
                client_id=i.get("client_id", new_guid()).lower(),
                principal_id=i.get("principal_id", new_guid()).lower(),
                created_at=time.time() - 86400,  # seeded identities are long known to Entra
            )
            w.identities[(ident.resource_group.lower(), ident.name.lower())] = ident
        admins_default = [(o.client_id, o.object_id) for o in w.operators if o.role != "Reader"]
        for c in doc.get("clusters", []):
            cl = Cluster(
                resource_group=c["resource_group"],
                name=c["name"],
                location=c.get("location", "westeurope"),
            )
            if "admins" in c:
                ops = {o.name: o for o in w.operators}
                cl.admins = [(ops[n].client_id, ops[n].object_id) for n in c["admins"]]
            else:
                cl.admins = list(admins_default)
            for p in c.get("principals", []):
                cl.principals.append(w._seed_principal(p))
            for d in c.get("databases", []):
                db = Database(name=d["name"])
                for p in d.get("principals", []):
                    db.principals.append(w._seed_principal(p))
                for t in d.get("tables", []):
                    t = {"name": t} if isinstance(t, str) else t
                    table = Table(name=t["name"])
                    table.principals = [w._seed_principal(p) for p in t.get("principals", [])]
                    db.tables[table.name.lower()] = table
                cl.databases[db.name.lower()] = db
            w.clusters[(cl.resource_group.lower(), cl.name.lower())] = cl
        for s in doc.get("sites", []):
            w._seed_site(s, None)
            for slot in s.get("slots", []):
                w._seed_site(
                    {
                        **slot,
                        "resource_group": s["resource_group"],
                        "name": s["name"],
                        "location": s.get("location", "westeurope"),
                        "kind": s.get("kind", "functionapp,linux"),
                    },
                    slot["name"],
                )
        return w

    def _seed_principal(self, p: dict[str, Any]) -> DbPrincipal:
        ref = p.get("identity") or p.get("app_id") or p.get("object_id", "")
        known = self.entra_principal(ref) if ref else None
        if known is None and p.get("identity"):
            # An identity given by name: "rg/name".
            rg, _, name = p["identity"].partition("/")
            ident = self.identities[(rg.lower(), name.lower())]
            known = {
                "app_id": ident.client_id,
                "object_id": ident.principal_id,
                "name": ident.name,
                "type": "App",
            }
        known = known or {
            "app_id": p.get("app_id", ""),
            "object_id": p.get("object_id", ""),
            "name": p.get("name", ref),
            "type": p.get("type", "App"),
        }
        return DbPrincipal(
            role=p["role"],
            principal_type=known["type"],
            app_id=known["app_id"],
            object_id=known["object_id"],
            tenant_id=self.tenant_id,
            display_name=known["name"],
            principal_id=known["app_id"] or known["object_id"],
            assignment=p.get("assignment"),
            notes=p.get("notes", ""),
            granted_at=time.time() - 86400,
        )

    def _seed_site(self, s: dict[str, Any], slot: str | None) -> None:
        site = Site(
            resource_group=s["resource_group"],
            name=s["name"],
            location=s.get("location", "westeurope"),
            kind=s.get("kind", "functionapp,linux"),
            slot=slot,
            app_settings=dict(s.get("app_settings", {})),
            connection_strings=copy.deepcopy(s.get("connection_strings", {})),
            sku=s.get("sku", ""),
        )
        if s.get("system_assigned"):
            site.system_assigned = {
                "principal_id": new_guid(),
                "client_id": new_guid(),
                "tenant_id": self.tenant_id,
            }
        for ref in s.get("user_assigned", []):
            rg, _, name = ref.partition("/")
            site.user_assigned.append(
                self.identities[(rg.lower(), name.lower())].resource_id(self.subscription_id)
            )
        self.sites[(site.resource_group.lower(), site.name.lower(), (slot or "").lower())] = site

    def dump(self) -> dict[str, Any]:
        """The world as JSON, without any secret (no operator secret, no identity header)."""
        sub = self.subscription_id
        with self.lock:
            return {
                "tenant_id": self.tenant_id,
                "subscription_id": sub,
                "operators": [
                    {
                        "name": o.name,
                        "client_id": o.client_id,
                        "object_id": o.object_id,
                        "role": o.role,
                    }
                    for o in self.operators
                ],
                "resource_groups": list(self.resource_groups.values()),
                "identities": [
                    {
                        "resource_group": i.resource_group,
                        "name": i.name,
                        "location": i.location,
                        "client_id": i.client_id,
                        "principal_id": i.principal_id,
                        "id": i.resource_id(sub),
                    }
                    for i in self.identities.values()
                ],
                "clusters": [
                    {
                        "resource_group": c.resource_group,
                        "name": c.name,
                        "location": c.location,
                        "admins": [a for a, _ in c.admins],
                        "principals": [_dump_principal(p) for p in c.principals],
                        "databases": [
                            {
                                "name": d.name,
                                "principals": [_dump_principal(p) for p in d.principals],
                                "tables": [
                                    {
                                        "name": t.name,
                                        "principals": [_dump_principal(p) for p in t.principals],
                                    }
                                    for t in d.tables.values()
                                ],
                            }
                            for d in c.databases.values()
                        ],
                    }
                    for c in self.clusters.values()
                ],
                "sites": [
                    {
                        "resource_group": s.resource_group,
                        "name": s.name,
                        "slot": s.slot,
                        "kind": s.kind,
                        "system_assigned": s.system_assigned,
                        "user_assigned": list(s.user_assigned),
                        "app_settings": dict(s.app_settings),
                        "connection_strings": copy.deepcopy(s.connection_strings),
                        "slot_config_names": copy.deepcopy(s.slot_config_names),
                    }
                    for s in self.sites.values()
                ],
                "knobs": vars(self.knobs),
            }


def _dump_principal(p: DbPrincipal) -> dict[str, Any]:
    return {
        "role": p.role,
        "type": p.principal_type,
        "app_id": p.app_id,
        "object_id": p.object_id,
        "fqn": p.fqn,
        "principal_id": p.principal_id,
        "assignment": p.assignment,
        "notes": p.notes,
    }

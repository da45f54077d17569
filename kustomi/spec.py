"""What `setup` and `revoke` act on: one identity, its database roles, and the apps that use
it. Built from flags (one grant, `--app` repeated) or from kustomi.toml's `[setup]` table:

    resource-group = "rg-orders"
    [setup]
    identity = "id-orders"
    [[setup.grants]]
    cluster = "adxorders"
    cluster-resource-group = "rg-data"
    database = "Orders"
    role = "viewer"
    [[setup.apps]]
    app = "func-orders"          # resource-group, slot, setting and database may be given
    cluster = "adxorders"        # the cluster its connection setting points at
    cluster-resource-group = "rg-data"

An app's connection setting names a database too (`Database=`, the Kusto SDK's default: each
binding names the database it uses, https://github.com/Azure/Webjobs.Extensions.Kusto
src/Bindings/KustoQueryConverters.cs). Without `database`, it is that of the first grant on the
app's cluster; without `cluster`, the app's cluster is the first grant's.

A grant or an app may name its own `identity` (and `identity-resource-group`; else the
entry's resource group): setup then works for each identity in turn, [setup]'s first, with the
grants and apps that name it (`kustomi audit --emit-setup` writes one per resource group).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import config
from .cloud import Cloud
from .errors import UsageError
from .names import DEFAULT_SETTING


@dataclass(frozen=True)
class GrantSpec:
    cluster: config.ClusterRef
    # The database named: where the role is held, and the apps' connection setting's default.
    # A cluster-wide role is held on the cluster (scope_database is None); it may name one for
    # the apps' setting.
    database: str | None
    role: str  # ARM spelling
    via: str = "arm"
    identity: config.IdentityRef | None = None  # another identity's grant than [setup]'s
    table: str | None = None  # a table role (Ingestor, Admin) on this table of the database

    @property
    def scope_database(self) -> str | None:
        """The database the role is held on; None for a cluster-wide role."""
        from .rules import is_cluster_role

        return None if is_cluster_role(self.role) else self.database

    @property
    def label(self) -> str:
        cluster = self.cluster.name or self.cluster.uri
        if self.scope_database is None:
            return f"{self.role} on cluster {cluster}"
        return f"{self.role} on {cluster}/{self.database}" + (
            f"/{self.table}" if self.table else ""
        )


@dataclass(frozen=True)
class AppSpec:
    resource_group: str
    app: str
    cluster: config.ClusterRef
    database: str
    slot: str | None = None
    setting: str = DEFAULT_SETTING
    identity: config.IdentityRef | None = None  # another identity than [setup]'s

    @property
    def target(self) -> config.AppTarget:
        return config.AppTarget(self.resource_group, self.app, self.slot)

    @property
    def label(self) -> str:
        return self.target.label


@dataclass(frozen=True)
class SetupSpec:
    identity: config.IdentityRef
    grants: tuple[GrantSpec, ...]
    apps: tuple[AppSpec, ...] = ()
    location: str | None = None
    note: str = ""
    entra_timeout: float = 180.0
    identity_arg: str = ""  # as given, for the verify at the end

    def __post_init__(self) -> None:
        grants: set[tuple[str, str, str, str, str]] = set()
        for g in self.grants:
            cluster = (g.cluster.name or g.cluster.uri or "").lower()
            where = (g.scope_database or "").lower(), (g.table or "").lower()
            grant = (cluster, *where, g.role, _key(g.identity or self.identity))
            if grant in grants:
                raise UsageError(
                    f"The grant {g.label} is listed twice.", hint="List each grant once."
                )
            grants.add(grant)
        # An app may be listed once per connection setting (two bindings, two settings), with
        # one identity: its steps then run in one line, never two writers on one app at once.
        seen: dict[tuple[str, str, str], tuple[set[str], str]] = {}
        for a in self.apps:
            key = (a.resource_group.lower(), a.app.lower(), (a.slot or "").lower())
            who = _key(a.identity or self.identity)
            settings, first = seen.setdefault(key, (set(), who))
            if a.setting.lower() in settings:
                raise UsageError(
                    f"App {a.label} is listed twice with setting {a.setting}.",
                    hint="List each app (and slot) once per connection setting.",
                )
            if who != first:
                raise UsageError(
                    f"App {a.label} is listed with two identities.",
                    hint="Give every entry of one app (one per connection setting) the same "
                    "identity.",
                )
            settings.add(a.setting.lower())

    def split(self) -> list[SetupSpec]:
        """One spec per identity: [setup]'s own with the grants and apps that name no other
        identity, then each other identity named by a grant or an app (kustomi audit
        --emit-setup writes one per resource group), with its grants and apps. A spec of one
        identity is its own only part."""
        from dataclasses import replace

        refs = {_key(self.identity): self.identity}
        for x in [g.identity for g in self.grants] + [a.identity for a in self.apps]:
            if x is not None:
                refs.setdefault(_key(x), x)
        if len(refs) == 1:
            return [self]
        return [
            replace(
                self,
                identity=ref,
                grants=tuple(g for g in self.grants if _key(g.identity or self.identity) == k),
                apps=tuple(a for a in self.apps if _key(a.identity or self.identity) == k),
                identity_arg=self.identity_arg if k == _key(self.identity) else ref.name,
            )
            for k, ref in refs.items()
        ]


def _key(ref: config.IdentityRef) -> str:
    if ref.client_id:
        return ref.client_id.lower()
    return f"{(ref.subscription or '').lower()}/{ref.resource_group.lower()}/{ref.name.lower()}"


def flag_grant(
    cluster: str,
    database: str | None,
    role: str,
    resource_group: str | None,
    cloud: Cloud,
    cluster_resource_group: str | None = None,
    via: str | None = None,
    strict: bool = True,
    table: str | None = None,
) -> GrantSpec:
    """One grant from flags (or the API's arguments), validated as grant validates them
    (config.grant_scope); a cluster-wide role's database is only the apps' setting's."""
    return _grant_spec(
        config.cluster_ref(cluster, cluster_resource_group, resource_group, cloud, strict),
        database,
        config.role(role),
        via,
        table,
    )


def _grant_spec(
    cluster: config.ClusterRef,
    database: str | None,
    role: str,
    via: str | None,
    table: str | None,
    identity: config.IdentityRef | None = None,
) -> GrantSpec:
    from .rules import is_cluster_role

    if is_cluster_role(role):
        _, _, how = config.grant_scope(role, None, table, via)
        db = config.database(database) if database is not None else None
    else:
        db, table, how = config.grant_scope(role, database, table, via)
    return GrantSpec(cluster, db, role, how, identity, table)


def flag_apps(
    names: list[str],
    resource_group: str | None,
    grant: GrantSpec,
    slot: str | None = None,
    setting: str = DEFAULT_SETTING,
) -> list[AppSpec]:
    """Apps from `--app` (repeated): all in -g, the slot and setting the same for each, the
    connection setting pointing at the grant's cluster and database."""
    if slot and not names:
        raise UsageError(
            "--slot is given without --app.",
            hint="--slot names a slot of each app given by --app; pass --app too.",
        )
    return [
        AppSpec(
            resource_group=config.resource_group(resource_group),
            app=config.app_name(name),
            cluster=grant.cluster,
            database=_app_database(grant.database),
            slot=config.app_name(slot, "slot") if slot else None,
            setting=config.setting_name(setting),
        )
        for name in names
    ]


def _app_database(database: str | None) -> str:
    if database is None:
        raise UsageError(
            "The apps' connection setting needs --database.",
            hint="A cluster-wide role names no database; pass --database for the setting "
            "the apps' bindings read.",
        )
    return database


# What setup and revoke take, by parameter name (the CLI's options, the API's arguments).
FLAGS = (
    "identity",
    "resource_group",
    "identity_resource_group",
    "cluster",
    "cluster_resource_group",
    "database",
    "table",
    "role",
    "apps",
    "slot",
    "setting",
    "via",
    "location",
    "note",
    "entra_timeout",
)


def flag_values(**values: Any) -> dict[str, Any]:
    """The values of `resolve`, by parameter name; one that is None is not given."""
    unknown = set(values) - set(FLAGS)
    assert not unknown, unknown
    return {k: v for k, v in values.items() if v is not None}


def resolve(
    values: Mapping[str, Any], typed: Collection[str], table: Table | None, cloud: Cloud
) -> SetupSpec:
    """The one reader of what setup and revoke act on, for the CLI and the API alike: the
    flags (`values`, by parameter name), else kustomi.toml's [setup] table; flags win.
    `typed` names the values given on purpose (on the command line, by an environment
    variable, to the API), as against a kustomi.toml default, which applies to every command
    that has the option and so only where it fits. Everything is validated here, before any
    request."""
    get = values.get
    identity, rg, slot = get("identity"), get("resource_group"), get("slot")
    via = get("via") or ("kql" if get("table") else "arm")
    note = get("note") or ""
    if note and via == "arm" and "note" in typed:
        raise config.conflict(
            "--note", "--via arm", hint="A note is stored with a KQL grant only (--via kql)."
        )
    if identity is None:
        raise UsageError("No identity given.", hint="Pass --identity (or identity in [setup]).")
    ref = config.identity_ref(
        identity, get("identity_resource_group"), rg, "identity_resource_group" in typed
    )
    grant_typed = any(n in typed for n in ("cluster", "database", "role", "cluster_resource_group"))
    if table is not None and table.grants and not grant_typed:
        grants = grants_from_table(table, rg, cloud, via if "via" in typed else None)
    else:
        cluster, database, role = get("cluster"), get("database"), get("role")
        from .rules import is_cluster_role

        cluster_wide = bool(role) and is_cluster_role(config.role(str(role)))
        needs_db = not cluster_wide or bool(get("apps"))
        missing = ["--cluster"] if not cluster else []
        missing += ["--database"] if needs_db and not database else []
        missing += ["--role"] if not role else []
        if missing:
            raise UsageError(
                f"Missing {', '.join(missing)}.",
                hint="Give the grant as --cluster, --database and --role, or as "
                "[[setup.grants]] in kustomi.toml.",
            )
        assert cluster is not None and role is not None
        grants = [
            flag_grant(
                cluster,
                database,
                role,
                rg,
                cloud,
                get("cluster_resource_group"),
                # A default (the CLI's, kustomi.toml's) applies where it fits: not beside a
                # table role or a cluster-wide role, which have their own way.
                get("via") if "via" in typed or not (get("table") or cluster_wide) else None,
                strict="cluster_resource_group" in typed,
                table=get("table"),
            )
        ]
    setting = config.setting_name(get("setting") or DEFAULT_SETTING)
    if table is not None and table.apps and "apps" not in typed:
        if slot and "slot" in typed:
            raise config.conflict(
                "--slot",
                "[[setup.apps]]",
                hint='Give each app\'s slot in its [[setup.apps]] entry: slot = "<slot>".',
            )
        app_specs = apps_from_table(table, grants, rg, cloud, setting)
    else:
        app_specs = flag_apps(list(get("apps") or []), rg, grants[0], slot, setting)
    if ref.system and any(g.via == "kql" and (g.identity is None) for g in grants):
        g = next(g for g in grants if g.via == "kql")
        raise config.conflict(
            "--identity system",
            "--table" if g.table else "--via kql",
            hint="KQL names an application by its client id, which Azure does not report for "
            "a system-assigned identity: grant a database or cluster-wide role through ARM "
            "(the default), or use a user-assigned identity for a table role.",
        )
    if ref.system and not app_specs:
        raise UsageError(
            "--identity system needs the apps: each app's own system-assigned identity gets "
            "the role.",
            hint="Pass --app APP (repeat it for a fleet), or list [[setup.apps]] in kustomi.toml.",
        )
    location = get("location")
    return SetupSpec(
        identity=ref,
        grants=tuple(grants),
        apps=tuple(app_specs),
        location=config.location(location) if location else None,
        note=config.text(note, "--note"),
        entra_timeout=config.seconds(float(get("entra_timeout", 180.0)), "--entra-timeout"),
        identity_arg=identity,
    )


def from_file(path: Path, cloud: Cloud) -> SetupSpec:
    """The spec a kustomi.toml's [setup] table describes (for the Python API; the CLI reads
    the same table through its option defaults, where flags win): its keys, else the file's
    top-level ones, and its arrays, through `resolve`."""
    from .project_file import read_toml

    text, doc = read_toml(path)
    top = doc.get("setup")
    if not isinstance(top, dict):
        raise UsageError(f"{path} has no [setup] table.", hint="See the README: The [setup] table.")
    table = Table(path, text, list(top.get("grants", [])), list(top.get("apps", [])))

    def key(name: str) -> Any:
        """A [setup] key, else the file's top-level one (which applies to every command)."""
        value = top.get(name, doc.get(name))
        if value is not None and not isinstance(value, str):
            raise UsageError(f"{path}: {name} must be a string.", hint=f'{name} = "..."')
        return config.text(value, f"{path}: {name}") if value is not None else None

    if key("identity") is None:
        raise UsageError(
            f"{path}: no identity, in [setup] or at the top.", hint='identity = "<name>"'
        )
    values = flag_values(
        identity=key("identity"),
        resource_group=key("resource-group"),
        identity_resource_group=key("identity-resource-group"),
        via=key("via"),
        setting=key("setting"),
        location=key("location"),
    )
    return resolve(values, set(values), table, cloud)


# --- the [setup] table -------------------------------------------------------------------
GRANT_KEYS = (
    "cluster",
    "cluster-resource-group",
    "database",
    "table",
    "role",
    "via",
    "identity",
    "identity-resource-group",
)
APP_KEYS = (
    "app",
    "resource-group",
    "slot",
    "setting",
    "cluster",
    "cluster-resource-group",
    "database",
    "identity",
    "identity-resource-group",
)


@dataclass
class Table:
    """The `[setup]` arrays of a kustomi.toml, with the file's text to name lines in errors."""

    path: Path
    text: str
    grants: list[dict[str, Any]] = field(default_factory=list)
    apps: list[dict[str, Any]] = field(default_factory=list)

    def line(self, array: str, index: int, key: str | None = None) -> int | None:
        """The line of `key` in the index-th `[[setup.<array>]]`, or of its header."""
        header = re.compile(r"\s*\[\[\s*setup\s*\.\s*" + re.escape(array) + r"\s*\]\]")
        other = re.compile(r"\s*\[")
        assign = re.compile(r"\s*[\"']?" + re.escape(key or "") + r"[\"']?\s*=")
        n, inside, at = -1, False, None
        for i, line in enumerate(self.text.splitlines(), 1):
            if header.match(line):
                n += 1
                inside = n == index
                if inside:
                    at = i
                continue
            if other.match(line):
                inside = False
            elif inside and key and assign.match(line):
                return i
        return at

    def error(self, array: str, index: int, key: str | None, message: str, hint: str) -> UsageError:
        line = self.line(array, index, key)
        where = f"{self.path}" + (f", line {line}" if line else "")
        what = f"[[setup.{array}]] #{index + 1}" + (f", {key}" if key else "")
        return UsageError(f"{where}: {what}: {message}", hint=hint)


def grants_from_table(
    table: Table, resource_group: str | None, cloud: Cloud, via: str | None = None
) -> list[GrantSpec]:
    """The `[[setup.grants]]`; every error names the file, the entry, the key and its line."""
    grants: list[GrantSpec] = []
    for i, g in enumerate(table.grants):
        get = _getter(table, "grants", i, g, GRANT_KEYS)
        own_rg = get("cluster-resource-group", config.resource_group, None)
        cluster = get("cluster", _cluster(own_rg, resource_group, cloud))
        role = get("role", config.role)
        from .rules import is_cluster_role

        database = get("database", str, None if is_cluster_role(role) else MISSING)
        own = _identity(get, resource_group)  # its errors name the entry already
        try:
            spec = _grant_spec(
                cluster, database, role, get("via", _via, via), get("table", str, None), own
            )
        except UsageError as e:
            raise table.error("grants", i, None, e.message, e.hint or "") from None
        grants.append(spec)
    return grants


def _identity(get: Callable[..., Any], resource_group: str | None) -> config.IdentityRef | None:
    """An entry's own identity (`identity`, in `identity-resource-group`, else the entry's or
    the file's resource group), or None: [setup]'s."""
    own_rg = get("identity-resource-group", config.resource_group, None)
    ref: config.IdentityRef | None = get(
        "identity", lambda v: config.identity_ref(v, own_rg, resource_group), None
    )
    return ref


def apps_from_table(
    table: Table,
    grants: list[GrantSpec],
    resource_group: str | None,
    cloud: Cloud,
    setting: str = DEFAULT_SETTING,
) -> list[AppSpec]:
    """The `[[setup.apps]]`; an app's resource group defaults to -g, its cluster to the first
    grant's, its database to that of the first grant on its cluster."""
    apps: list[AppSpec] = []
    for i, a in enumerate(table.apps):
        get = _getter(table, "apps", i, a, APP_KEYS)
        rg = get("resource-group", config.resource_group, resource_group)
        if rg is None:
            raise table.error(
                "apps", i, None, "no resource group", 'Add resource-group = "<rg>", or pass -g.'
            )
        own_rg = get("cluster-resource-group", config.resource_group, None)
        first = grants[0].cluster if grants else None
        cluster = get("cluster", _cluster(own_rg, rg, cloud), first)
        if cluster is None:
            raise table.error(
                "apps",
                i,
                "cluster",
                "no cluster, and no grant to take it from",
                'Add cluster = "<name>" to this app.',
            )
        on_cluster = [g for g in grants if _same(g.cluster, cluster)]
        named = next((g.database for g in on_cluster if g.database), None)
        database = get("database", config.database, named)
        if database is None:
            raise table.error(
                "apps",
                i,
                "database",
                "no database, and no grant on that cluster to take it from",
                'Add database = "<db>" to this app.',
            )
        name = get("app", config.app_name)
        slot = get("slot", lambda v: config.app_name(v, "slot"), None)
        setting_ = get("setting", config.setting_name, setting)
        if any(
            (b.resource_group.lower(), b.app.lower(), (b.slot or "").lower(), b.setting.lower())
            == (rg.lower(), name.lower(), (slot or "").lower(), setting_.lower())
            for b in apps
        ):
            raise table.error(
                "apps",
                i,
                "app",
                f"{name} is listed twice with setting {setting_}",
                "List each app once per connection setting.",
            )
        apps.append(
            AppSpec(
                resource_group=rg,
                app=name,
                cluster=cluster,
                database=database,
                slot=slot,
                setting=setting_,
                identity=_identity(get, rg),
            )
        )
    return apps


MISSING: Any = object()


def _getter(
    table: Table, array: str, index: int, entry: Mapping[str, Any], keys: tuple[str, ...]
) -> Callable[..., Any]:
    for key in entry:
        if key not in keys:
            raise table.error(
                array, index, key, "not a key of kustomi.", "Known: " + ", ".join(keys)
            )

    def get(key: str, check: Callable[[str], Any], default: Any = MISSING) -> Any:
        if key not in entry:
            if default is MISSING:
                raise table.error(array, index, None, f"{key} is missing", f'Add {key} = "..."')
            return default
        value = entry[key]
        if not isinstance(value, str):
            raise table.error(array, index, key, "must be a string", f'{key} = "..."')
        try:
            return check(config.text(value, key))
        except UsageError as e:
            raise table.error(array, index, key, e.message, e.hint or "") from None

    return get


def _cluster(
    own_rg: str | None, rg: str | None, cloud: Cloud
) -> Callable[[str], config.ClusterRef]:
    return lambda value: config.cluster_ref(value, own_rg, rg, cloud)


def _via(value: str) -> str:
    if value not in ("arm", "kql"):
        raise UsageError(f"via is {value!r}.", hint='via = "arm" or "kql"')
    return value


def _same(a: config.ClusterRef, b: config.ClusterRef) -> bool:
    if a.uri and b.uri:
        return a.uri.lower() == b.uri.lower()
    return (a.name or "").lower() == (b.name or "").lower() and bool(a.name)

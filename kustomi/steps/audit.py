"""kustomi audit: every function app and slot of a subscription (or of -g / --app), every app
setting that holds a Kusto connection string, and for each: whether it carries a secret (which
kind, never its value), the identity its binding would sign in as and whether the app has it,
and whether that identity holds the role the binding needs on the database. Apps with no Kusto
setting are counted, not flagged. Read-only: it sends no write.

The reads run side by side (`--parallel` apps at a time) through the session's one pool and
throttling gate, as setup's do; an app that cannot be read is a finding of that app, and the
audit goes on. The report's `data.migrations` is what `--emit-setup` writes as a kustomi.toml
[setup] table (`setup_file`): each app to move to a managed identity, with its grant."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .. import rules
from ..azure import kusto_data, kusto_mgmt, web
from ..azure.clients import Azure
from ..azure.kusto_data import ConnectionString
from ..azure.kusto_mgmt import Assignment, Cluster
from ..cloud import KNOWN, Cloud
from ..config import GUID_RE, IDENTITY_NAME_RE, connection_value, is_system
from ..errors import AuthError, KustomiError, NotFoundError, UsageError
from ..model import Finding, Report, Status
from ..names import AUDIT_IDENTITY_PREFIX, DEFAULT_AUDIT_PARALLEL
from . import Flag, Progress, fix_command
from .fleet import in_parallel

# The host reads ConnectionStrings:<name> first, then <name> (doctor._lookup): in app
# settings, `__` stands for `:`.
PREFIXES = ("connectionstrings:", "connectionstrings__")
PROGRESS_SECONDS = 1.0


@dataclass(frozen=True)
class AuditRequest:
    resource_groups: tuple[str, ...] = ()
    apps: tuple[str, ...] = ()
    project: Path | None = None
    parallel: int = DEFAULT_AUDIT_PARALLEL
    # The identity --emit-setup moves the apps to (default: one per resource group).
    identity: str | None = None
    identity_resource_group: str | None = None


@dataclass
class Target:
    """A function app or one of its slots, as read."""

    resource_group: str
    app: str
    slot: str | None
    site: web.Site | None = None
    settings: dict[str, str] = field(default_factory=dict)
    error: KustomiError | None = None

    @property
    def label(self) -> str:
        return f"{self.resource_group}/{self.app}" + (f"/{self.slot}" if self.slot else "")

    def flags(self) -> tuple[Flag, ...]:
        return (("--app", self.app), ("-g", self.resource_group), ("--slot", self.slot))


@dataclass(frozen=True)
class Principal:
    """A managed identity a binding may sign in as."""

    name: str  # the identity's name, or "system-assigned"
    client_id: str  # "" for a system-assigned identity (ARM does not report its client id)
    object_id: str
    resource_group: str = ""  # of a user-assigned identity

    @property
    def system(self) -> bool:
        return not self.client_id


@dataclass
class Roles:
    """What one database's principals are, read once for every app that uses it."""

    assignments: list[Assignment] = field(default_factory=list)
    rows: list[dict[str, Any]] | None = None  # `.show database principals`; None: not read
    error: KustomiError | None = None  # the ARM assignments could not be read
    why: str = ""  # why the principal list was not read
    # `.show table T principals` of each table an output binding of the database names
    # (lower-case name); a table whose list could not be read is absent.
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def on_tables(self, who: Principal, names: Iterable[str]) -> set[str]:
        """The table roles `who` holds on every one of `names` (an output binding's
        tables): a table role holds on its table alone."""
        held = [
            rules.roles_of(self.tables.get(n.lower(), []), (who.client_id, who.object_id))
            for n in names
        ]
        return set.intersection(*held) if held else set()

    def held(self, who: Principal) -> set[str]:
        held = {
            a.role
            for a in self.assignments
            if a.succeeded and a.is_for(who.client_id or who.object_id, who.object_id)
        }
        return held | rules.roles_of(self.rows or [], (who.client_id, who.object_id))

    def pending(self, who: Principal) -> list[Assignment]:
        return [
            a
            for a in self.assignments
            if not a.succeeded
            and not a.failed
            and a.is_for(who.client_id or who.object_id, who.object_id)
        ]


@dataclass
class Entry:
    """One app setting that holds a Kusto connection string, on one app or slot."""

    target: Target
    setting: str
    conn: ConnectionString
    cluster: Cluster | None
    bindings: list[Any] = field(default_factory=list)  # the project's bindings that name it

    @property
    def database(self) -> str:
        named = [_prop(b, "Database") for b in self.bindings]
        return self.conn.database or next((d for d in named if d), "")

    @property
    def directions(self) -> list[str]:
        return sorted({b.direction for b in self.bindings})

    @property
    def tables(self) -> list[str]:
        """The tables its output bindings name, where the name is written out (not a
        %setting% or a {binding expression})."""
        named = {_prop(b, "TableName") for b in self.bindings if b.direction == "out"}
        return sorted(t for t in named if t and not any(c in t for c in "%{}"))


def run(azure: Azure, req: AuditRequest, progress: Progress) -> Report:
    """Read the apps, slots and settings in scope, then each database their Kusto settings
    name; one report, findings named `<rg>/<app>[/<slot>] <check>`."""
    from ..azure import credentials

    credentials.prefetch(azure)
    for client in ("web", "kusto"):
        getattr(azure, client)
    bindings = _bindings(req.project) if req.project else []
    sites, clusters = _both(lambda: _sites(azure, req), lambda: kusto_mgmt.list_clusters(azure))
    targets = _read_all(azure, sites, req.parallel, progress)
    by_uri = {_norm(c.uri): c for c in clusters}
    report = Report("audit")
    entries: list[Entry] = []
    for t in targets:
        if t.error is not None:
            report.findings.append(_read_finding(t))
            continue
        found = _entries(t, by_uri, azure.cloud, bindings)
        entries += found
        if req.project and req.apps:  # the project's apps: each setting a binding names
            report.findings += _missing(t, bindings)
    roles = _roles(azure, entries, req.parallel)
    records: list[dict[str, Any]] = []
    migrations: list[dict[str, Any]] = []
    for e in entries:
        findings, record, migration = _judge(e, roles, req)
        report.findings += findings
        records.append(record)
        if migration is not None:
            migrations.append(migration)
    with_kusto = {e.target.label for e in entries}
    read = [t for t in targets if t.error is None]
    report.data = {
        "scope": _scope(req, azure.subscription_id),
        "functionApps": len(sites),
        "slots": len([t for t in targets if t.slot]),
        "withKusto": len(with_kusto),
        "withoutKusto": len([t for t in read if t.label not in with_kusto]),
        "unreadable": len([t for t in targets if t.error is not None]),
        "kustoSettings": len(entries),
        "secretBearing": len([e for e in entries if e.conn.secret_kinds]),
        "problems": len([f for f in report.findings if f.status != "ok"]),
        "settings": records,
        "migrations": migrations,
    }
    report.notes += sorted({r.why for r in roles.values() if r.why})
    if report.data["withoutKusto"]:
        report.notes.append(
            f"{report.data['withoutKusto']} app(s) or slot(s) hold no Kusto connection string: "
            "counted, not flagged"
        )
    if migrations:
        report.notes.append(
            f"{len(migrations)} app(s) or slot(s) can be moved to a managed identity: "
            "kustomi audit ... --emit-setup kustomi.toml, then kustomi setup --force"
        )
    return report


def _both(first: Callable[[], Any], second: Callable[[], Any]) -> tuple[Any, Any]:
    a, b = in_parallel(lambda f: f(), [first, second], 2)
    return a, b


# --- reads -----------------------------------------------------------------------------------


def _sites(azure: Azure, req: AuditRequest) -> list[web.Site]:
    """The function apps in scope. An unknown resource group, or an --app that is no function
    app in scope, is bad input (exit 2): nothing else is read."""
    try:
        if req.resource_groups:
            lists = in_parallel(
                lambda rg: web.list_sites(azure, rg), list(req.resource_groups), req.parallel
            )
            sites = [s for one in lists for s in one]
        else:
            sites = web.list_sites(azure)
    except NotFoundError as e:
        raise UsageError(e.message, hint="Check -g/--resource-group and --subscription.") from None
    sites = [s for s in sites if web.is_function_app(s)]
    if req.apps:
        wanted = {a.lower() for a in req.apps}
        sites = [s for s in sites if s.name.lower() in wanted]
        missing = sorted(wanted - {s.name.lower() for s in sites})
        if missing:
            where = ", ".join(req.resource_groups) or "the subscription"
            raise UsageError(
                f"No function app {', '.join(missing)} in {where}.",
                hint="Check --app and -g; `kustomi audit` without --app lists every app.",
            )
    return sorted(sites, key=lambda s: (rules.resource_group_of(s.id).lower(), s.name.lower()))


def _read_all(
    azure: Azure, sites: list[web.Site], parallel: int, progress: Progress
) -> list[Target]:
    """Each app's settings, its slots and theirs, `parallel` apps at a time; a read that fails
    is kept on its app (or slot) and the others go on."""
    lock = threading.Lock()
    done = [0, time.monotonic()]
    total = len(sites)
    progress(f"audit: reading {total} function app(s) and their slots")

    def one(site: web.Site) -> list[Target]:
        rg = rules.resource_group_of(site.id)
        out = [_target(azure, rg, site.name, None, site)]
        try:
            slots = web.list_slots(azure, rg, site.name)
        except KustomiError as e:
            out.append(Target(rg, site.name, "*", error=e))
            slots = []
        out += [_target(azure, rg, site.name, s.name, s) for s in slots]
        with lock:
            done[0] += 1
            now = time.monotonic()
            if now - done[1] >= PROGRESS_SECONDS and done[0] < total:
                done[1] = now
                progress(f"audit: read {done[0]} of {total} app(s)")
        return out

    read = in_parallel(one, sites, parallel)
    if total:
        progress(f"audit: read {total} of {total} app(s)")
    return [t for ts in read for t in ts]


def _target(azure: Azure, rg: str, app: str, slot: str | None, site: web.Site) -> Target:
    try:
        return Target(rg, app, slot, site, web.list_settings(azure, rg, app, slot))
    except KustomiError as e:
        return Target(rg, app, slot, site, error=e)


def _roles(azure: Azure, entries: list[Entry], parallel: int) -> dict[tuple[str, str], Roles]:
    """The principals of each database a secretless setting names on a cluster of the
    subscription: ARM principal assignments and, where the operator may read it, the cluster's
    principal list (roles granted with `.add database`, cluster-wide ones included)."""
    wanted: dict[tuple[str, str], tuple[Cluster, str]] = {}
    tables: dict[tuple[str, str], set[str]] = {}
    for e in entries:
        if e.cluster is not None and e.database and not e.conn.secret_kinds:
            wanted.setdefault(_db_key(e), (e.cluster, e.database))
            tables.setdefault(_db_key(e), set()).update(e.tables)
    clients: dict[str, Any] = {}
    lock = threading.Lock()
    on_clusters: dict[str, list[Assignment]] = {}

    def cluster_wide(cluster: Cluster) -> list[Assignment]:
        """The cluster's principal assignments (cluster-wide roles hold on each database),
        read once per cluster."""
        key = _norm(cluster.uri)
        with lock:
            if key in on_clusters:
                return on_clusters[key]
        found = kusto_mgmt.list_assignments(azure, cluster, None)
        with lock:
            return on_clusters.setdefault(key, found)

    def client(uri: str) -> Any:
        with lock:
            if uri not in clients:
                clients[uri] = azure.kusto_data(uri)
            return clients[uri]

    def read(item: tuple[Cluster, str]) -> Roles:
        from .. import kql

        cluster, db = item
        try:
            roles = Roles(kusto_mgmt.list_assignments(azure, cluster, db) + cluster_wide(cluster))
        except KustomiError as e:
            return Roles(error=e)
        try:
            roles.rows = kusto_data.mgmt(
                client(cluster.uri), db, f".show database {kql.name(db)} principals"
            )
        except Exception as e:  # roles granted with .add database are then not seen: said
            roles.why = (
                f"roles granted with .add database on {cluster.name}/{db} were not seen: the "
                f"operator may not read its principals ({kusto_data.api_error_text(e)})"
            )
        for t in sorted(tables.get((_norm(cluster.uri), db.lower()), ())):
            # A table whose principals cannot be read (not there, not readable): its roles
            # count for nothing, and the role finding says what is needed.
            with contextlib.suppress(Exception):
                roles.tables[t.lower()] = kusto_data.mgmt(
                    client(cluster.uri), db, kql.show_principals(db, t)
                )
        return roles

    keys = list(wanted)
    read_roles = in_parallel(read, [wanted[k] for k in keys], parallel)
    return dict(zip(keys, read_roles, strict=True))


def _db_key(e: Entry) -> tuple[str, str]:
    assert e.cluster is not None
    return (_norm(e.cluster.uri), e.database.lower())


def _bindings(project: Path) -> list[Any]:
    from ..bindings.scan import scan

    return [b for b in scan(project).bindings if _prop(b, "Connection")]


def _prop(binding: Any, name: str) -> str:
    """A binding property's literal value, or ''."""
    p = binding.get(name)
    return str(p.value or "") if p is not None else ""


# --- what is there ---------------------------------------------------------------------------


def _norm(uri: str) -> str:
    """A cluster URI to compare: lower case, https:// when it has no scheme, no :443 and no
    trailing "/"."""
    uri = uri.strip().lower()
    if "://" not in uri:
        uri = "https://" + uri
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc.removesuffix(':443')}{parts.path.rstrip('/')}"


KUSTO_SUFFIXES = tuple(s for c in KNOWN.values() for s in c.kusto_suffixes)


def kusto_cluster(source: str, clusters: dict[str, Cluster], cloud: Cloud) -> tuple[bool, Any]:
    """Whether a Data Source names a Kusto cluster (a cluster of the subscription, or a host of
    a Kusto domain of any Azure cloud), and the subscription's cluster it is, if one."""
    uri = _norm(source)
    if uri in clusters:
        return True, clusters[uri]
    host = (urlsplit(uri).hostname or "").lower()
    suffixes = (*KUSTO_SUFFIXES, *cloud.kusto_suffixes)
    return bool(host) and host.endswith(suffixes), None


def _base(name: str) -> str:
    low = name.lower()
    for p in PREFIXES:
        if low.startswith(p):
            return low[len(p) :]
    return low


def _entries(
    t: Target, clusters: dict[str, Cluster], cloud: Cloud, bindings: list[Any]
) -> list[Entry]:
    out = []
    for name in sorted(t.settings, key=str.lower):
        conn = kusto_data.parse_connection(t.settings[name])
        if conn is None:
            continue
        is_kusto, cluster = kusto_cluster(conn.data_source, clusters, cloud)
        if not is_kusto:
            continue
        named = [b for b in bindings if _prop(b, "Connection").lower() == _base(name)]
        out.append(Entry(t, name, conn, cluster, named))
    return out


def _missing(t: Target, bindings: list[Any]) -> list[Finding]:
    """The settings the project's bindings name that the app does not have."""
    have = {_base(n) for n in t.settings}
    out = []
    for name in sorted({_prop(b, "Connection") for b in bindings}, key=str.lower):
        if name.lower() in have:
            continue
        b = next(b for b in bindings if _prop(b, "Connection") == name)
        out.append(
            Finding(
                f"{t.label} setting",
                "setting_missing",
                f"{b.file}:{b.line}: {b.function} names the setting {name}, which "
                f"{t.label} does not have",
                fix_command(
                    "set-connection",
                    *t.flags(),
                    ("--cluster", "<cluster>"),
                    ("--database", "<db>"),
                    ("--setting", name),
                ),
            )
        )
    return out


def _read_finding(t: Target) -> Finding:
    e = t.error
    assert e is not None
    status: Status = (
        "app_not_found"
        if isinstance(e, NotFoundError)
        else "no_access"
        if isinstance(e, AuthError)
        else "read_failed"
    )
    label = f"{t.resource_group}/{t.app}" if t.slot == "*" else t.label
    what = "its slots were not read" if t.slot == "*" else "its settings were not read"
    again = fix_command("audit", ("-g", t.resource_group), ("--app", t.app))
    hint = (e.hint + "; then " if e.hint else "") + f"rerun: {again}"
    return Finding(f"{label} read", status, f"{what}: {e.message}", hint)


# --- judging one setting ---------------------------------------------------------------------


def _principals(e: Entry) -> tuple[list[Principal], Finding, dict[str, Any]]:
    """Who the binding would sign in as: the identity its ManagedServiceIdentity names (with
    --project), else the managed identities on the app. The identity finding, and how the
    record says it."""
    t = e.target
    site = t.site
    assert site is not None
    on_app = [
        Principal(rid.rsplit("/", 1)[-1], ids.get("clientId", "").lower(),
                  ids.get("principalId", "").lower(), rules.resource_group_of(rid))
        for rid, ids in sorted(site.user_assigned.items())
    ]  # fmt: skip
    if site.system_principal_id:
        on_app.append(Principal("system-assigned", "", site.system_principal_id.lower()))
    check = f"{t.label} identity"
    if e.bindings:
        values = sorted({_prop(b, "ManagedServiceIdentity") for b in e.bindings})
        chosen: list[Principal] = []
        for value in values:
            v = value.strip()
            if v.startswith("%") and v.endswith("%") and len(v) > 2:
                v = _setting(t.settings, v.strip("%")) or ""
            if not v:
                b = e.bindings[0]
                return [], Finding(
                    check, "identity_missing",
                    f"{e.setting}: {b.file}:{b.line}: {b.function} names no "
                    "ManagedServiceIdentity, and the setting holds no credential: the binding "
                    "cannot sign in",
                    'name the identity in the binding: ManagedServiceIdentity = "<clientId>"',
                ), {"kind": "none"}  # fmt: skip
            if v.lower() == "system":
                match = [p for p in on_app if p.system]
            else:
                match = [p for p in on_app if p.client_id == v.lower()]
            if not match:
                what = "a system-assigned identity" if v.lower() == "system" else v
                fix = (
                    f"turn it on: az functionapp identity assign --name {t.app} "
                    f"-g {t.resource_group}"
                    if v.lower() == "system"
                    else fix_command("attach", *t.flags()[:2], ("--identity", v), t.flags()[2])
                )
                return [], Finding(
                    check, "identity_not_attached",
                    f"{e.setting}: the binding's ManagedServiceIdentity is {what}, which is "
                    f"not on {t.label}",
                    fix,
                ), {"kind": "not attached", "clientId": v}  # fmt: skip
            chosen += match
        names = ", ".join(p.name for p in chosen)
        return chosen, Finding(
            check, "ok", f"{e.setting}: the binding signs in as {names}, which is on {t.label}"
        ), {"kind": "binding", "names": [p.name for p in chosen]}  # fmt: skip
    if not on_app:
        return [], Finding(
            check, "identity_not_attached",
            f"{e.setting} holds no credential, and {t.label} has no managed identity: the "
            "binding has nothing to sign in with",
            _setup_command(e, AUDIT_IDENTITY_PREFIX + _rg_word(t.resource_group),
                           t.resource_group, "viewer"),
        ), {"kind": "none"}  # fmt: skip
    names = ", ".join(p.name for p in on_app)
    which = "" if len(on_app) == 1 else " (the binding names one: --project reads which)"
    return on_app, Finding(
        check, "ok", f"{e.setting}: {t.label} has {names}{which}"
    ), {"kind": "on app", "names": [p.name for p in on_app]}  # fmt: skip


def _setting(settings: dict[str, str], name: str) -> str | None:
    lower = {k.lower(): v for k, v in settings.items()}
    for key in (*(p + name.lower() for p in PREFIXES), name.lower()):
        if key in lower:
            return lower[key].strip()
    return None


def _judge(
    e: Entry, roles: dict[tuple[str, str], Roles], req: AuditRequest
) -> tuple[list[Finding], dict[str, Any], dict[str, Any] | None]:
    t = e.target
    conn = e.conn
    record: dict[str, Any] = {
        "app": t.label,
        "resourceGroup": t.resource_group,
        "name": t.app,
        "slot": t.slot,
        "setting": e.setting,
        "cluster": conn.data_source,
        "database": e.database or None,
        "secret": bool(conn.secret_kinds),
        "secretKinds": list(conn.secret_kinds),
        "directions": e.directions,
    }
    where = f"{conn.data_source}" + (f", database {e.database}" if e.database else "")
    if conn.secret_kinds:
        who = (
            f"application {conn.application}"
            if conn.application
            else "a user"
            if conn.user
            else "whoever the token it carries names"
        )
        record["signsInAs"] = who
        record["status"] = "setting_has_secret"
        migration = _migration(e, None, "secret", req)
        fix = (
            _setup_command(e, migration["identity"], migration["identityResourceGroup"],
                           migration["roles"][0]) + "; then rotate that secret"
            if migration is not None
            else _why_not(e)
        )  # fmt: skip
        keys = ", ".join(conn.secret_keys)
        finding = Finding(
            f"{t.label} secret",
            "setting_has_secret",
            f"{e.setting} holds {_kinds(conn.secret_kinds)} ({keys}; the value is not shown) "
            f"and signs in as {who} to {where}",
            fix,
        )
        return [finding], record, migration
    findings = [
        Finding(f"{t.label} secret", "ok", f"{e.setting}: {where}; no secret in it"),
    ]
    principals, ident, described = _principals(e)
    findings.append(ident)
    record["identity"] = described
    migration = None
    if ident.status != "ok":
        record["status"] = ident.status
        if ident.status == "identity_not_attached" and described.get("kind") == "none":
            migration = _migration(e, None, "no managed identity", req)
        return findings, record, migration
    role = _role(e, principals, roles)
    findings.append(role)
    record["rolesHeld"] = sorted(role_held(e, principals, roles))
    record["status"] = role.status
    if role.status in ("not_authorized", "role_mismatch"):
        user = [p for p in principals if not p.system]
        if len(user) == 1:
            migration = _migration(e, user[0], "role missing", req)
    return findings, record, migration


def role_held(
    e: Entry, principals: list[Principal], roles: dict[tuple[str, str], Roles]
) -> set[str]:
    if e.cluster is None or not e.database:
        return set()
    r = roles.get(_db_key(e))
    return set().union(*(r.held(p) for p in principals)) if r and principals else set()


def _role(e: Entry, principals: list[Principal], roles: dict[tuple[str, str], Roles]) -> Finding:
    t = e.target
    check = f"{t.label} role"
    if e.cluster is None:
        return Finding(
            check, "cluster_not_found",
            f"{e.setting}: {e.conn.data_source} is no cluster of this subscription: the role "
            "was not checked",
            "check the Data Source; a cluster of another subscription is audited with "
            "--subscription of that one",
        )  # fmt: skip
    if not e.database:
        return Finding(
            check, "database_not_found",
            f"{e.setting} names no database (Database=), and no binding of the project names "
            "one: the role was not checked",
            fix_command("audit", ("-g", t.resource_group), ("--app", t.app),
                        ("--project", "<the function project>")),
        )  # fmt: skip
    r = roles[_db_key(e)]
    c = e.cluster
    if r.error is not None:
        status: Status = (
            "database_not_found"
            if isinstance(r.error, NotFoundError)
            else "no_access"
            if isinstance(r.error, AuthError)
            else "read_failed"
        )
        return Finding(check, status, f"{e.setting}: {r.error.message}", r.error.hint or "")
    held = set().union(*(r.held(p) for p in principals))
    directions = e.directions
    need = (
        " and ".join(rules.PURPOSE[rules.NEEDED_ROLE[d]] for d in directions)
        if directions
        else "a binding"
    )
    enough = (
        f"what {need} needs"
        if directions
        else "enough for a binding of either direction; --project tells which"
    )
    names = ", ".join(p.name for p in principals)

    def held_for(p: Principal, d: str) -> set[str]:
        """What `p` holds for a binding of direction `d`: the database's roles, and for an
        output binding those it holds on every table the bindings write to."""
        base = r.held(p)
        return base | r.on_tables(p, e.tables) if d == "out" and e.tables else base

    def serves(p: Principal) -> bool:
        if not directions:
            return rules.serves(r.held(p), directions)
        return all(rules.satisfied(held_for(p, d), rules.NEEDED_ROLE[d]) for d in directions)

    serving = [p for p in principals if serves(p)]
    if serving:
        p = serving[0]
        return Finding(
            check, "ok",
            f"{e.setting}: {p.name} holds {', '.join(sorted(r.held(p)))} on "
            f"{c.name}/{e.database} ({enough})",
        )  # fmt: skip
    pending = [a for p in principals for a in r.pending(p)]
    if pending:
        return Finding(
            check, "role_pending",
            f"{e.setting}: principal assignment {pending[0].name} ({pending[0].role}) is still "
            f"{pending[0].state}",
            "wait, then rerun kustomi audit",
        )  # fmt: skip
    # The role of the first direction not served (not one that is held already).
    first = principals[0] if principals else None
    missing = [
        d
        for d in directions
        if first is None or not rules.satisfied(held_for(first, d), rules.NEEDED_ROLE[d])
    ]
    role = rules.NEEDED_ROLE[missing[0]].lower() if missing else _roles_needed(directions)[0]
    # The smallest grant: an output binding's one table, where it names one.
    table = e.tables[0] if missing[:1] == ["out"] and len(e.tables) == 1 else None
    user = [p for p in principals if not p.system]
    if user:
        hint = fix_command(
            "grant",
            ("--role", role),
            ("--identity", user[0].name),
            ("--identity-resource-group", user[0].resource_group),
            ("--cluster", c.name),
            ("--cluster-resource-group", c.resource_group),
            ("--database", e.database),
            ("--table", table),
        )
    else:
        hint = (
            f".add database {e.database} {role}s ('aadapp=<client id of {t.label}'s system "
            f"identity>;<tenant>') on {c.uri}, or use a user-assigned identity"
        )
    got = f"holds {', '.join(sorted(held))}" if held else "holds no role"
    status = "role_mismatch" if held else "not_authorized"
    return Finding(
        check, status, f"{e.setting}: {names} {got} on {c.name}/{e.database}; "
        + "; ".join(
            f"{rules.PURPOSE[rules.NEEDED_ROLE[d]]} needs "
            + " or ".join(sorted(rules.needs(d)))
            + (f" (on {', '.join(e.tables)} at least)" if d == "out" and e.tables else "")
            for d in (missing or directions)
        )
        if directions
        else f"{e.setting}: {names} {got} on {c.name}/{e.database}; {need} needs "
        + " or ".join(sorted(_satisfying(directions))),
        hint,
    )  # fmt: skip


def _satisfying(directions: list[str]) -> set[str]:
    if not directions:
        return set(rules.needs("in")) | set(rules.needs("out"))
    return set.intersection(*(set(rules.needs(d)) for d in directions))


def _kinds(kinds: Iterable[str]) -> str:
    words = list(kinds)
    first = words[0]

    def article(w: str) -> str:
        return "an" if w.startswith(("a", "e", "i", "o")) else "a"

    text = f"{article(first)} {first}"
    return text + "".join(f" and {article(w)} {w}" for w in words[1:])


def _roles_needed(directions: list[str]) -> list[str]:
    """The roles to grant, as `--role` spells them: viewer for input, ingestor for output,
    viewer where the direction is not known."""
    return [rules.NEEDED_ROLE[d].lower() for d in directions] or ["viewer"]


# --- the move to a managed identity ----------------------------------------------------------


def _rg_word(rg: str) -> str:
    """A resource group's name as it can end an identity's name (letters, digits, - and _)."""
    word = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in rg)
    return word[: 128 - len(AUDIT_IDENTITY_PREFIX)]


def _migration(
    e: Entry, existing: Principal | None, why: str, req: AuditRequest
) -> dict[str, Any] | None:
    """What setup needs to move this setting to a managed identity; None when it cannot
    (the cluster is not in the subscription, or no database is known)."""
    t = e.target
    if e.cluster is None or not e.database:
        return None
    if existing is not None:
        name, rg = existing.name, existing.resource_group
    elif req.identity:
        name = req.identity
        rg = req.identity_resource_group or (
            req.resource_groups[0] if req.resource_groups else t.resource_group
        )
    else:
        name, rg = AUDIT_IDENTITY_PREFIX + _rg_word(t.resource_group), t.resource_group
    return {
        "app": t.app,
        "resourceGroup": t.resource_group,
        "slot": t.slot,
        "setting": e.setting,
        "identity": name,
        "identityResourceGroup": rg,
        "cluster": e.cluster.name,
        "clusterResourceGroup": e.cluster.resource_group,
        "database": e.database,
        "roles": _roles_needed(e.directions),
        "directionKnown": bool(e.directions),
        "why": why,
        "force": t.settings.get(e.setting) != connection_value(e.cluster.uri, e.database),
    }


def _setup_command(e: Entry, identity: str, identity_rg: str, role: str) -> str:
    t = e.target
    if e.cluster is None or not e.database:
        return _why_not(e)
    flags: list[Flag] = [("--identity", identity)]
    if identity_rg.lower() != t.resource_group.lower():
        flags.append(("--identity-resource-group", identity_rg))
    flags += [
        ("-g", t.resource_group),
        ("--cluster", e.cluster.name),
        ("--cluster-resource-group", e.cluster.resource_group),
        ("--database", e.database),
        ("--role", role),
        ("--app", t.app),
        ("--slot", t.slot),
        ("--setting", e.setting),
    ]
    command = fix_command("setup", *flags)
    if t.settings.get(e.setting) != connection_value(e.cluster.uri, e.database):
        command += " --force"
    return command


def _why_not(e: Entry) -> str:
    if e.cluster is None:
        return (
            f"{e.conn.data_source} is no cluster of this subscription: move the setting to a "
            "managed identity in the cluster's subscription (kustomi setup --force there)"
        )
    return (
        f"{e.setting} names no database: pass --project so that the binding's Database is "
        "known, then kustomi setup --force"
    )


def _scope(req: AuditRequest, subscription: str) -> str:
    where = (
        "resource group(s) " + ", ".join(req.resource_groups)
        if req.resource_groups
        else f"subscription {subscription}"
    )
    return where + (f", app(s) {', '.join(req.apps)}" if req.apps else "")


def setup_file(report: Report, command: str) -> str:
    """The kustomi.toml whose [setup] table moves every app of `report.data.migrations` to a
    managed identity (`kustomi setup --force` applies it). Names only: no value of a setting
    is in it, so no secret."""
    moves: list[dict[str, Any]] = report.data.get("migrations", [])
    system = bool(moves) and all(is_system(m["identity"]) for m in moves)
    lines = [
        f"# Written by `{command}`.",
        *(
            [
                "# `kustomi setup --force` moves each app below to its own system-assigned",
                "# identity: it enables it, grants it the role and replaces the app's connection",
                "# setting with one that holds no secret. Then rotate each secret the audit",
                '# named, and set ManagedServiceIdentity = "system" in each binding.',
                "# This file holds no secret.",
            ]
            if system
            else [
                "# `kustomi setup --force` moves each app below to a managed identity: it",
                "# creates the identity (one per resource group unless --identity named one),",
                "# grants it the role, attaches it and replaces the app's connection setting",
                "# with one that holds no secret. Then rotate each secret the audit named, and",
                "# set ManagedServiceIdentity to the identity's client id in each binding.",
                "# This file holds no secret.",
            ]
        ),
        "",
    ]
    if not moves:
        lines += ["# Nothing to move: every Kusto setting in scope is secretless and works.", ""]
        return "\n".join(lines)
    first = moves[0]
    lines += [
        "[setup]",
        *_identity_lines(first),
        "",
    ]
    grants: dict[tuple[str, ...], tuple[dict[str, Any], str, str]] = {}
    for m in moves:
        for role in m["roles"]:
            grant = (m["identity"].lower(), m["identityResourceGroup"].lower(), m["cluster"],
                     m["clusterResourceGroup"].lower(), m["database"], role)  # fmt: skip
            note = "" if m["directionKnown"] else (
                "  # the binding's direction is unknown (no --project): viewer; an output "
                "binding needs ingestor"
            )  # fmt: skip
            if grant not in grants or (note and not grants[grant][2]):
                grants[grant] = (m, role, note)
    for m, role, note in grants.values():
        lines += [
            "[[setup.grants]]",
            *_identity_lines(m),
            f"cluster = {_toml(m['cluster'])}",
            f"cluster-resource-group = {_toml(m['clusterResourceGroup'])}",
            f"database = {_toml(m['database'])}",
            f"role = {_toml(role)}{note}",
            "",
        ]
    # An app with several settings to move is listed once per setting (setup runs them in
    # one line), all with one identity: one that another identity already serves is left to
    # a second run.
    seen: dict[tuple[str, ...], tuple[str, str]] = {}
    for m in moves:
        key = (m["resourceGroup"].lower(), m["app"].lower(), (m["slot"] or "").lower())
        where = f"{m['resourceGroup']}/{m['app']}" + (f"/{m['slot']}" if m["slot"] else "")
        who = (m["identity"].lower(), m["identityResourceGroup"].lower())
        if seen.setdefault(key, who) != who:
            lines += [
                f"# {where}: {m['setting']} too ({m['why']}), with identity {m['identity']}; "
                "setup gives one app one identity: run the audit again after this setup",
                "",
            ]
            continue
        lines += [
            f"[[setup.apps]]  # {where}: {m['why']}",
            f"app = {_toml(m['app'])}",
            f"resource-group = {_toml(m['resourceGroup'])}",
            *([f"slot = {_toml(m['slot'])}"] if m["slot"] else []),
            f"setting = {_toml(m['setting'])}",
            *_identity_lines(m),
            f"cluster = {_toml(m['cluster'])}",
            f"cluster-resource-group = {_toml(m['clusterResourceGroup'])}",
            f"database = {_toml(m['database'])}",
            "",
        ]
    return "\n".join(lines)


def _identity_lines(m: dict[str, Any]) -> list[str]:
    """An entry's identity: a user-assigned one by name and resource group; the app's own
    (--identity system) by that word alone."""
    if is_system(m["identity"]):
        return ['identity = "system"']
    return [
        f"identity = {_toml(m['identity'])}",
        f"identity-resource-group = {_toml(m['identityResourceGroup'])}",
    ]


def _toml(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    import json

    return json.dumps(value, ensure_ascii=False)


def check_identity_name(name: str) -> str:
    if not IDENTITY_NAME_RE.fullmatch(name) or GUID_RE.fullmatch(name):
        raise UsageError(
            f"--identity {name!r} is not an identity name.",
            hint="3-128 letters, digits, - and _, starting with a letter or digit.",
        )
    return name


def setup_path(value: str, force: bool) -> Path:
    """The --emit-setup file, checked before any request: a file that exists is replaced only
    with --force, and its folder must exist."""
    from ..config import text

    path = Path(text(value, "--emit-setup"))
    if path.is_dir():
        raise UsageError(
            f"--emit-setup {value!r} is a directory.", hint="Name a file: --emit-setup kustomi.toml"
        )
    if path.exists() and not force:
        raise UsageError(
            f"--emit-setup {value!r} exists; nothing was read or written.",
            hint="Pass --force to replace it, or name another file.",
        )
    if not path.parent.is_dir():
        raise UsageError(
            f"The folder of --emit-setup {value!r} does not exist.",
            hint="Create it first, or name a file in an existing folder.",
        )
    return path


def command_line(req: AuditRequest, emit: str, force: bool) -> str:
    """The audit as a user would type it again, for the emitted file's first line."""
    flags: list[Flag] = [("-g", rg) for rg in req.resource_groups]
    flags += [("--app", a) for a in req.apps]
    flags += [("--project", str(req.project) if req.project else None)]
    flags += [
        ("--identity", req.identity),
        ("--identity-resource-group", req.identity_resource_group),
    ]
    flags += [("--emit-setup", emit)]
    return fix_command("audit", *flags) + (" --force" if force else "")


def write_setup(path: Path, text: str, force: bool) -> None:
    """Write the file whole or not at all (a temporary file beside it, then renamed)."""
    import os
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        if not force and path.exists():  # made since the check, before any request
            raise UsageError(
                f"--emit-setup {str(path)!r} was created meanwhile; it was not replaced.",
                hint="Pass --force to replace it.",
            )
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def next_step(path: Path, moves: int) -> str:
    if not moves:
        return f"wrote {path}: nothing to move"
    run = (
        "kustomi setup --force"
        if path.name == "kustomi.toml"
        else f"KUSTOMI_CONFIG={path} kustomi setup --force"
    )
    where = (
        f" (in {path.parent})" if path.name == "kustomi.toml" and str(path.parent) != "." else ""
    )
    return f"wrote {path}: {moves} app(s) to move; next: {run}{where}, then rotate each secret"

"""kustomi doctor: read every Kusto binding of a function project, check what the code alone
tells, and with an app, check the deployed side of each binding: its setting, its identity,
that identity's role on the binding's database, and that the setting points at the cluster
where the role is held. Read-only: it sends no write.

The statuses are part of the interface (README, "doctor"): STATUSES is the closed set."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from .. import rules
from ..config import ClusterRef, IdentityRef, secret_keys_in
from ..errors import KustomiError
from ..model import DoctorStatus, Finding, Report, Status
from . import Flag, fix_command

STATUSES: tuple[str, ...] = get_args(DoctorStatus)
# A %Name% token of an [AutoResolve] property: the app setting Name, resolved by the host.
SETTING_TOKEN = re.compile(r"%([^%\s]+)%")


@dataclass(frozen=True)
class DoctorRequest:
    project: Path
    app: str | None = None
    resource_group: str | None = None
    slot: str | None = None
    cluster: ClusterRef | None = None


def run(req: DoctorRequest, azure: Callable[[], Any] | None = None) -> Report:
    """The code checks, and with req.app, the deployed-app checks through `azure()`."""
    from ..bindings.checks import code_findings, unresolved
    from ..bindings.scan import scan

    project = scan(req.project)
    report = Report("doctor")
    report.data = {
        "project": str(req.project),
        "filesRead": project.files_read,
        "bindings": len(project.bindings),
    }
    report.findings += [
        Finding(
            "file",
            "file_unreadable",
            f"not read ({why}): its bindings were not checked",
            "fix the file (or the folder's permissions) and run doctor again",
            file=rel,
            line=1,
        )
        for rel, why in project.unreadable
    ]
    if not project.bindings:
        report.findings.append(
            Finding(
                "project",
                "no_bindings",
                f"no Kusto binding in {project.files_read} file(s) under {req.project}",
                "point --project at the function project's root; kustomi snippet prints one "
                "to start from",
            )
        )
    report.findings += code_findings(project)
    note = unresolved(project)
    if note:
        report.notes.append(note)
    if req.app and project.bindings and azure is not None:
        report.data["app"] = req.app
        _app_checks(azure(), req, project.bindings, report)
    elif project.bindings:
        report.notes.append(
            "the deployed app was not checked: pass --app and -g (or set app in kustomi.toml)"
        )
    for f in report.findings:  # where, in words too: the table shows the detail only
        if f.file:
            f.detail = f"{f.file}:{f.line}: {f.detail}"
    return report


# --- the deployed app ------------------------------------------------------------------------


def _lookup(settings: dict[str, str], name: str) -> tuple[str, str] | None:
    """The host reads ConnectionStrings:<name> first, then <name>, case-insensitively
    (Azure/azure-webjobs-sdk .../Extensions/IConfigurationExtensions.cs
    GetConnectionStringOrSetting); in app settings `__` stands for `:`."""
    lower = {k.lower(): k for k in settings}
    for key in (f"connectionstrings:{name}", f"connectionstrings__{name}", name):
        if key.lower() in lower:
            real = lower[key.lower()]
            return real, settings[real]
    return None


@dataclass
class _App:
    azure: Any
    req: DoctorRequest
    site: Any
    settings: dict[str, str]
    report: Report

    def flags(self) -> tuple[Flag, ...]:
        assert self.req.app and self.req.resource_group
        return (("--app", self.req.app), ("-g", self.req.resource_group), ("--slot", self.req.slot))


def _app_checks(azure: Any, req: DoctorRequest, bindings: list[Any], report: Report) -> None:
    from ..azure import web

    assert req.app and req.resource_group
    site = web.get_site(azure, req.resource_group, req.app, req.slot)
    settings = web.list_settings(azure, req.resource_group, req.app, req.slot)
    # A Connection may be one of the app's connection strings, which the host sees as
    # ConnectionStrings:<name> (an app setting of the same key comes first).
    for name, value in web.list_connection_strings(
        azure, req.resource_group, req.app, req.slot
    ).items():
        settings.setdefault(f"ConnectionStrings:{name}", value)
    app = _App(azure, req, site, settings, report)
    seen: set[tuple[str, ...]] = set()
    clusters: dict[str, Any] = {}
    for b in bindings:
        conn = b.get("Connection")
        msi = b.get("ManagedServiceIdentity")
        db = b.get("Database")
        if conn is None or not conn.value:
            continue
        database = _database(app, b, db.value if db else None, seen)
        uri = _setting_check(app, b, conn.value, database, seen)
        principal = _identity_check(app, b, msi.value if msi else None, seen)
        if uri is None or principal is None or not database:
            continue
        _role_check(app, b, uri, principal, database, seen, clusters)


def _resolve_setting(settings: dict[str, str], name: str) -> str | None:
    """An app setting as the host's name resolver reads it: the configuration key, any case;
    in app settings `__` stands for `:`."""
    lower = {k.lower().replace("__", ":"): v for k, v in settings.items()}
    return lower.get(name.lower().replace("__", ":"))


# KustoAttribute's [AutoResolve] properties besides Database and ManagedServiceIdentity (each
# checked with what it names): a %Name% in any of them must be an app setting, or the host
# refuses the function when it indexes it (Azure/Webjobs.Extensions.Kusto src/KustoAttribute.cs).
AUTO_RESOLVED = (
    "TableName",
    "KqlCommand",
    "KqlParameters",
    "MappingRef",
    "DataFormat",
    "IngestionType",
    "IngestionProperties",
    "ClientRequestProperties",
)


def _resolve(app: _App, b: Any, prop: str, value: str, seen: set[tuple[str, ...]]) -> str | None:
    """`value` with each %Name% replaced by the app setting Name, as the host's name resolver
    does when it indexes the function ("'%Name%' does not resolve to a value" when there is no
    such setting: Azure/azure-webjobs-sdk src/Microsoft.Azure.WebJobs.Host/
    NameResolverExtensions.cs); None, with a setting_missing finding, when one is missing."""
    missing = []

    def resolve(m: re.Match[str]) -> str:
        found = _resolve_setting(app.settings, m.group(1))
        if found is None:
            missing.append(m.group(1))
            return m.group(0)
        return found

    resolved = SETTING_TOKEN.sub(resolve, value)
    where = f"{app.req.app}" + (f" (slot {app.req.slot})" if app.req.slot else "")
    for name in missing:
        key = ("resolve", prop, name.lower(), b.file, str(b.line))
        if key in seen:
            continue
        seen.add(key)
        p = b.get(prop)
        app.report.findings.append(
            Finding(
                "database" if prop == "Database" else "setting", "setting_missing",
                f"{prop} is {value}, and {where} has no setting {name}: the host cannot "
                "resolve it when it indexes the function, which then does not run",
                f"add the setting {name} = <{prop[0].lower() + prop[1:]}> to {app.req.app}",
                file=b.file, line=p.line if p is not None else b.line,
            )
        )  # fmt: skip
    return None if missing else resolved


def _database(app: _App, b: Any, value: str | None, seen: set[tuple[str, ...]]) -> str | None:
    """The Database the deployed function uses, or None when it cannot be told: [AutoResolve]
    (Azure/Webjobs.Extensions.Kusto src/KustoAttribute.cs), so a %Name% is the app setting
    Name; a {binding expression} is known only when the function runs. The other [AutoResolve]
    properties' %Name% are checked here too."""
    for prop in AUTO_RESOLVED:
        p = b.get(prop)
        if p is not None and p.value:
            _resolve(app, b, prop, p.value, seen)
    if not value:
        return None
    database = _resolve(app, b, "Database", value, seen)
    if database is None:
        return None
    if "{" in database:
        note = (
            f"{b.file}:{b.line} Database {value} is bound when the function runs: "
            "its role was not checked"
        )
        if note not in app.report.notes:
            app.report.notes.append(note)
        return None
    return database


def _cluster_flags(req: DoctorRequest) -> tuple[Flag, ...]:
    c = req.cluster
    if c is None:
        return (("--cluster", "<cluster>"),)
    if c.name:
        return (("--cluster", c.name), ("--cluster-resource-group", c.resource_group))
    return (("--cluster", c.uri or "<cluster>"),)


def _setting_check(
    app: _App, b: Any, name: str, db: str | None, seen: set[tuple[str, ...]]
) -> str | None:
    """The setting exists, holds no secret and names a cluster; returns its Data Source."""
    found = _lookup(app.settings, name)
    key = ("setting", name.lower())
    first = key not in seen
    seen.add(key)
    fix = fix_command(
        "set-connection",
        *app.flags(),
        *_cluster_flags(app.req),
        ("--database", db or "<db>"),
        ("--setting", name),
    )
    f = app.report.findings
    where = f"{app.req.app}" + (f" (slot {app.req.slot})" if app.req.slot else "")
    if found is None:
        if first:
            f.append(
                Finding(
                    "setting", "setting_missing",
                    f"{where} has no setting {name} (nor ConnectionStrings:{name})",
                    fix, file=b.file, line=b.line,
                )
            )  # fmt: skip
        return None
    real, value = found
    secrets = secret_keys_in(value)
    if secrets:
        if first:
            f.append(
                Finding(
                    "setting", "setting_has_secret",
                    f"{real} holds a secret ({', '.join(secrets)}); value not shown",
                    f"replace it: {fix} --force; then rotate that secret",
                    file=b.file, line=b.line,
                )
            )  # fmt: skip
        return None
    from ..azure import kusto_data

    source = (kusto_data.connection_target(value) or ("", ""))[0]
    # The extension derives the ingestion endpoint by inserting "ingest-" after "://"
    # (src/Services/IKustoClientFactory.cs): the Data Source must be the engine's https URI.
    if not source.lower().startswith("https://") or "://ingest-" in source.lower():
        if first:
            f.append(
                Finding(
                    "setting", "setting_wrong_target",
                    f"{real} has Data Source {source or '(none)'}: not a cluster's https URI",
                    f"fix it: {fix}", file=b.file, line=b.line,
                )
            )  # fmt: skip
        return None
    if first:
        f.append(Finding("setting", "ok", f"{real}: Data Source {source}, no secret"))
    return source


@dataclass(frozen=True)
class _Principal:
    label: str  # what the user wrote, or "system"
    client_id: str  # "" for a system-assigned identity (ARM does not report its client id)
    object_id: str
    resource_group: str  # of a user-assigned identity, for the grant hint


def _identity_check(
    app: _App, b: Any, value: str | None, seen: set[tuple[str, ...]]
) -> _Principal | None:
    from ..bindings.checks import identity_kind

    if not value:
        return None  # a code finding already
    key = ("identity", value.lower())
    first = key not in seen
    seen.add(key)
    f = app.report.findings if first else []
    kind = identity_kind(value)
    if kind == "setting":
        name = value.strip("%")
        found = _lookup(app.settings, name)
        if found is None:
            f.append(
                Finding(
                    "identity", "setting_missing",
                    f"ManagedServiceIdentity is %{name}%, and the app has no setting {name}",
                    f"add the setting {name} = <clientId> to {app.req.app}",
                    file=b.file, line=b.line,
                )
            )  # fmt: skip
            return None
        value = found[1].strip()
        kind = identity_kind(value)
        if kind in (None, "setting"):
            f.append(
                Finding(
                    "identity", "identity_invalid",
                    f"setting {name} (ManagedServiceIdentity) holds neither a client id nor "
                    "\"system\"",
                    f"set {name} to the identity's client id", file=b.file, line=b.line,
                )
            )  # fmt: skip
            return None
    if kind == "system":
        if app.site.system_principal_id:
            f.append(Finding("attached", "ok", f"{app.req.app} has a system-assigned identity"))
            return _Principal("system", "", app.site.system_principal_id.lower(), "")
        f.append(
            Finding(
                "attached", "identity_not_attached",
                f"ManagedServiceIdentity is \"system\", but {app.req.app} has no "
                "system-assigned identity",
                "turn it on: "
                + fix_command("attach", ("--identity", "system"), *app.flags())
                + ", or name a user-assigned identity's client id",
                file=b.file, line=b.line,
            )
        )  # fmt: skip
        return None
    if kind != "guid":
        return None  # identity_invalid, a code finding already
    wanted = value.lower()
    for rid, ids in app.site.user_assigned.items():
        if ids.get("clientId", "").lower() == wanted:
            f.append(Finding("attached", "ok", f"{rid.rsplit('/', 1)[-1]} is on {app.req.app}"))
            name = rid.rsplit("/", 1)[-1]
            return _Principal(
                name, wanted, ids.get("principalId", "").lower(), rules.resource_group_of(rid)
            )
        if ids.get("principalId", "").lower() == wanted:
            f.append(
                Finding(
                    "attached", "identity_not_attached",
                    f"{value} is the principal (object) id of {rid.rsplit('/', 1)[-1]}; "
                    "ManagedServiceIdentity takes its client id",
                    f"use {b.spell('ManagedServiceIdentity', ids.get('clientId', ''))}",
                    file=b.file, line=b.line,
                )
            )  # fmt: skip
            return None
    from ..azure import identities

    ident = identities.find(app.azure, IdentityRef("", "", client_id=wanted))
    if ident is None:
        f.append(
            Finding(
                "attached", "identity_not_found",
                f"no user-assigned identity has client id {value} in the subscription",
                "check ManagedServiceIdentity: kustomi create-identity prints the client id",
                file=b.file, line=b.line,
            )
        )  # fmt: skip
        return None
    f.append(
        Finding(
            "attached", "identity_not_attached",
            f"{ident.name} (client id {value}) is not on {app.req.app}",
            fix_command(
                "attach",
                *app.flags(),
                ("--identity", ident.name),
                ("--identity-resource-group", ident.resource_group),
            ),
            file=b.file, line=b.line,
        )
    )  # fmt: skip
    return None


def _role_check(
    app: _App,
    b: Any,
    source: str,
    who: _Principal,
    db: str,
    seen: set[tuple[str, ...]],
    clusters: dict[str, Any],
) -> None:
    """The identity holds the role its direction needs on the binding's Database, on the
    cluster the setting names (read as verify's control-plane mode reads it: ARM principal
    assignments, and the cluster's principal list where the operator may read it)."""
    from ..azure import kusto_mgmt

    key = ("role", who.object_id or who.client_id, source.lower(), db, b.direction)
    if key in seen:
        return
    seen.add(key)
    f = app.report.findings
    try:
        # One lookup per cluster: the one --cluster names, else each setting's Data Source.
        want = app.req.cluster or ClusterRef(uri=source)
        cache = f"{app.req.cluster}" if app.req.cluster else source.lower()
        cluster = clusters.get(cache) or kusto_mgmt.resolve(app.azure, want)
        clusters[cache] = cluster
    except KustomiError as e:
        f.append(
            Finding(
                "target", "setting_wrong_target",
                f"the setting's Data Source {source} is no cluster in the subscription: "
                f"{e.message}",
                fix_command(
                    "set-connection",
                    *app.flags(),
                    ("--cluster", "<cluster>"),
                    ("--database", db),
                    ("--setting", "<setting>"),
                ),
                file=b.file, line=b.line,
            )
        )  # fmt: skip
        return
    if cluster.uri.rstrip("/").lower() != source.lower():
        f.append(
            Finding(
                "target", "setting_wrong_target",
                f"the setting points at {source}, but the cluster is {cluster.uri}",
                fix_command(
                    "set-connection",
                    *app.flags(),
                    *_cluster_flags(app.req),
                    ("--database", db),
                    ("--setting", b.get("Connection").value if b.get("Connection") else None),
                ),
                file=b.file, line=b.line,
            )
        )  # fmt: skip
        return
    try:
        # The database's assignments, then the cluster's (a cluster-wide role holds on it too).
        held = {
            a.role
            for scope in (db, None)
            for a in kusto_mgmt.list_assignments(app.azure, cluster, scope)
            if a.succeeded and a.is_for(who.client_id or who.object_id, who.object_id)
        }
    except KustomiError as e:
        f.append(
            Finding("role", "not_authorized", e.message, e.hint or "", file=b.file, line=b.line)
        )
        return
    held |= _kql_roles(app, cluster.uri, db, who)
    table = b.get("TableName")
    table_name = None
    if b.direction == "out" and table is not None and table.value:
        # [AutoResolve] as Database: a %Name% is the app setting (a missing one is said in
        # _database); a {binding expression} is known only at run time: no table role then.
        table_name = _resolve(app, b, "TableName", table.value, seen)
        if table_name is not None and "{" in table_name:
            table_name = None
    on = f"{cluster.name}/{db}"
    if table_name:  # an output binding's table: its own roles count there
        held |= _kql_roles(app, cluster.uri, db, who, table_name)
        on = f"{cluster.name}/{db}/{table_name}"
    need = rules.needs(b.direction)
    purpose = rules.PURPOSE[rules.NEEDED_ROLE[b.direction]]
    if rules.satisfied(held, rules.NEEDED_ROLE[b.direction]):
        f.append(
            Finding(
                "role", "ok",
                f"{who.label} holds {', '.join(sorted(held))} on {on} ({purpose})",
            )
        )  # fmt: skip
        return
    role = rules.NEEDED_ROLE[b.direction].lower()
    if who.client_id:
        # The smallest role that works: an output binding's ingestor on its table alone.
        hint = fix_command(
            "grant",
            ("--role", role),
            ("--identity", who.client_id),
            ("--cluster", cluster.name),
            ("--cluster-resource-group", cluster.resource_group),
            ("--database", db),
            ("--table", table_name),
        )
    else:
        # The app's system identity: through ARM, by its principal (object) id. KQL would
        # need its client id, which ARM does not report; so no table role for it.
        hint = fix_command(
            "grant",
            ("--role", role),
            ("--identity", "system"),
            *app.flags(),
            ("--cluster", cluster.name),
            ("--cluster-resource-group", cluster.resource_group),
            ("--database", db),
        )
    status: Status = "role_mismatch" if held else "not_authorized"
    got = f"holds {', '.join(sorted(held))}" if held else "holds no role"
    f.append(
        Finding(
            "role", status,
            f"{who.label} {got} on {on}; {purpose} needs "
            f"{' or '.join(sorted(need))}",
            hint, file=b.file, line=b.line,
        )
    )  # fmt: skip


def _kql_roles(app: _App, uri: str, db: str, who: _Principal, table: str | None = None) -> set[str]:
    """Roles granted with `.add database` (no ARM assignment), or with `table` those of the
    table (`.add table`), where the operator may read the principal list; `.show database
    <db> principals` columns per
    https://learn.microsoft.com/kusto/management/manage-database-security-roles."""
    from .. import kql
    from ..azure import kusto_data

    try:
        rows = kusto_data.mgmt(app.azure.kusto_data(uri), db, kql.show_principals(db, table))
    except Exception as e:
        seen = f"table {table}'s roles" if table else "roles granted with .add database"
        note = f"{seen} were not seen: {kusto_data.api_error_text(e)}"
        if note not in app.report.notes:
            app.report.notes.append(note)
        return set()
    return rules.roles_of(rows, (who.client_id, who.object_id))

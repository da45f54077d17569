"""Step 5: prove access as the identity, or, where no token as the identity can be had, check
authorization from the control plane, and say plainly which of the two was done.

Every failure is a Finding with a named status and a hint that fixes it.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import kql
from ..azure import identities, kusto_data, kusto_mgmt, web
from ..azure.clients import Azure, managed_identity_credential
from ..config import (
    DEFAULT_SETTING,
    ClusterRef,
    IdentityRef,
    connection_value,
    secret_keys_in,
)
from ..errors import AuthError, KustomiError
from ..model import Finding, Report, Status
from . import Progress, retry_while

if TYPE_CHECKING:
    from azure.kusto.data import KustoClient

READ = {"Viewer", "User", "Admin", "UnrestrictedViewer"}
# Which held roles satisfy an expected role (AllDatabasesAdmin satisfies all).
SATISFIES = {
    "Viewer": READ,
    "User": {"User", "Admin"},
    "UnrestrictedViewer": {"UnrestrictedViewer", "Admin"},
    "Ingestor": {"Ingestor", "Admin"},
    "Monitor": {"Monitor", "Viewer", "User", "Admin"},
    "Admin": {"Admin"},
}
PURPOSE = {"Viewer": "an input binding", "Ingestor": "an output binding"}


@dataclass(frozen=True)
class VerifyRequest:
    identity_arg: str
    identity: IdentityRef  # a client id alone is enough in identity mode
    cluster_arg: str
    cluster: ClusterRef
    database: str
    role: str | None
    app: str | None = None
    slot: str | None = None
    resource_group: str | None = None
    setting: str = DEFAULT_SETTING
    mode: str = "auto"
    wait: float = 0.0
    grant_args: tuple[str, ...] = field(default_factory=tuple)


def choose_mode(requested: str, env: Mapping[str, str]) -> tuple[str, str]:
    if requested != "auto":
        return requested, f"--mode {requested}"
    if env.get("IDENTITY_ENDPOINT") and env.get("IDENTITY_HEADER"):
        return "identity", "a managed-identity endpoint is present (IDENTITY_ENDPOINT)"
    return "control-plane", (
        "no managed-identity endpoint here (IDENTITY_ENDPOINT is not set), "
        "so no token as the identity can be had"
    )


def grant_command(req: VerifyRequest, role: str | None = None) -> str:
    r = (role or req.role or "viewer").lower()
    return "kustomi grant " + " ".join(
        shlex.quote(a)
        for a in (
            "--role",
            r,
            "--identity",
            req.identity_arg,
            *req.grant_args,
            "--cluster",
            req.cluster_arg,
            "--database",
            req.database,
        )
    )


def roles_from_rows(rows: list[dict[str, Any]]) -> set[str]:
    """Role names from `.show ... principal roles` / `principals` rows. The column's values look
    like "Database X Viewer" or "Viewer" (https://learn.microsoft.com/kusto/management/show-principal-roles:
    the exact role strings are partly UNCONFIRMED),
    so the last word counts."""
    out = set()
    for r in rows:
        for k, v in r.items():
            if k.lower() == "role" and isinstance(v, str) and v.strip():
                out.add(v.strip().split()[-1])
    return out


def _role_finding(
    req: VerifyRequest,
    held: set[str],
    where: str,
    unfinished: Sequence[kusto_mgmt.Assignment] = (),
) -> Finding:
    found = _held_finding(req, held, where)
    wanted = SATISFIES.get(req.role or "", READ)
    late = [a for a in unfinished if a.role in wanted] if found.status != "ok" else []
    if late and not any(a.failed for a in late):
        a = late[0]
        return Finding(
            "role",
            "role_pending",
            f"principal assignment {a.name} ({a.role}) is still {a.state}: Azure has not "
            "finished it, and the cluster does not enforce it yet",
            f"wait, then rerun verify; or {grant_command(req, a.role)} (it waits for it)",
        )
    if late:
        a = next(a for a in late if a.failed)
        return Finding(
            "role",
            "role_failed",
            f"principal assignment {a.name} ({a.role}) {a.state}: the role was not granted",
            f"grant it again: {grant_command(req, a.role)}",
        )
    return found


def _held_finding(req: VerifyRequest, held: set[str], where: str) -> Finding:
    if "AllDatabasesAdmin" in held:
        return Finding("role", "ok", f"holds AllDatabasesAdmin on the cluster ({where})")
    if not held:
        return Finding(
            "role",
            "not_authorized",
            f"holds no role on database {req.database} ({where})",
            f"grant one: {grant_command(req)}",
        )
    if req.role and not held & SATISFIES[req.role]:
        need = PURPOSE.get(req.role, f"the {req.role} role")
        return Finding(
            "role",
            "role_mismatch",
            f"holds {', '.join(sorted(held))}; {need} needs "
            f"{' or '.join(sorted(SATISFIES[req.role]))}",
            f"grant it: {grant_command(req)}",
        )
    return Finding("role", "ok", f"holds {', '.join(sorted(held))} on {req.database} ({where})")


# --- identity mode ---------------------------------------------------------------------------


def _classify(e: Exception) -> tuple[Status, str]:
    """A Kusto or token error as (status, detail)."""
    name = type(e).__name__
    text = kusto_data.api_error_text(e)
    if name == "KustoClientInvalidConnectionStringException":
        return "cluster_untrusted", text
    if name == "KustoNetworkError":
        return "cluster_unreachable", text
    if name in ("KustoAuthenticationError", "ClientAuthenticationError"):
        return "token_failed", text
    status = kusto_data.status_of(e)
    if status == 403:
        return "not_authorized", text
    if status == 401 or text.startswith("401"):
        return "token_failed", "the cluster refused the identity's token (401)"
    if kusto_data.api_error_code(e) == "BadRequest_DatabaseNotExist":
        return "database_not_found", text
    return "cluster_unreachable", text


def _seen_principal(text: str) -> str | None:
    m = re.search(r"Principal '([^']+)'", text)
    return m.group(1) if m else None


class _Refused(Exception):
    """The cluster answered 403: not (yet) authorized."""


def by_identity(azure: Azure, req: VerifyRequest, reason: str, progress: Progress) -> Report:
    report = Report("verify")
    report.data = {"mode": "identity", "why": reason, "database": req.database}
    f = report.findings
    ident = None
    if req.identity.client_id:
        # Inside the app a client id is all it takes: no ARM request, no operator sign-in.
        client_id = req.identity.client_id
    else:
        try:
            ident = identities.find(azure, req.identity)
        except AuthError as e:
            raise AuthError(
                e.message,
                hint="Inside a function app, pass --identity <clientId>: "
                "verify then needs no ARM access.",
            ) from None
        if ident is None:
            f.append(_not_found(req.identity))
            return report
        client_id = ident.client_id
    report.data["clientId"] = client_id
    uri = _cluster_uri(azure, req, f)
    if uri is None:
        return report
    report.data["cluster"] = uri

    credential = managed_identity_credential(client_id)
    try:
        scope = kusto_data.token_scope(uri)
    except Exception as e:
        status, detail = _classify(e)
        f.append(Finding("cluster", status, detail, _hint_for(status, req)))
        return report
    try:
        token = credential.get_token(scope)
        del token  # only proves one can be had; never kept, logged or printed
        f.append(
            Finding(
                "token", "ok", "a token as the identity came from the managed-identity endpoint"
            )
        )
    except Exception as e:
        f.append(_token_finding(e, req))
        return report

    client = azure.kusto_data(uri, credential)
    roles_csl = f".show database {kql.name(req.database)} principal roles"

    def show_roles() -> list[dict[str, Any]]:
        try:
            return kusto_data.mgmt(client, req.database, roles_csl)
        except Exception as e:
            status, detail = _classify(e)
            if status == "not_authorized":
                raise _Refused(detail) from e
            raise

    try:
        if req.wait > 0:
            rows = retry_while(
                show_roles,
                lambda e: isinstance(e, _Refused),
                progress,
                "the role to reach the cluster",
                req.wait,
                first_delay=2,
                max_delay=10,
            )
        else:
            rows = show_roles()
    except _Refused as e:
        f.append(_refused_finding(azure, req, ident, str(e)))
        return report
    except Exception as e:
        status, detail = _classify(e)
        f.append(
            Finding(
                "cluster" if status != "database_not_found" else "database",
                status,
                detail,
                _hint_for(status, req),
            )
        )
        return report
    held = roles_from_rows(rows)
    report.data["rolesHeld"] = sorted(held)
    f.append(Finding("cluster", "ok", f"{uri} answered as the identity"))
    f.append(_role_finding(req, held, "as the cluster reports it"))
    _probe_query(client, req, held, report)
    _check_local_setting(req, uri, report)
    return report


def _not_found(ref: IdentityRef) -> Finding:
    if ref.client_id:
        return Finding(
            "identity",
            "identity_not_found",
            f"no user-assigned identity with client id {ref.client_id} in the subscription",
            "check the client id and --subscription",
        )
    return Finding(
        "identity",
        "identity_not_found",
        f"no identity {ref.name} in {ref.resource_group}",
        f"create it: kustomi create-identity -g {ref.resource_group} -n {ref.name}",
    )


def _cluster_uri(azure: Azure, req: VerifyRequest, f: list[Finding]) -> str | None:
    if req.cluster.uri:
        return req.cluster.uri
    try:
        return kusto_mgmt.resolve(azure, req.cluster).uri
    except KustomiError as e:
        f.append(Finding("cluster", "cluster_unreachable", e.message, e.hint or ""))
        return None


# What the managed-identity endpoint says when the identity is not on the compute that asked
# (https://learn.microsoft.com/azure/app-service/overview-managed-identity), and what
# azure-identity says when there is no endpoint at all.
UNAVAILABLE = (
    "Unable to load the proper Managed Identity",
    "no response from the IMDS",
    "ManagedIdentityCredential authentication unavailable",
)


def _token_finding(e: Exception, req: VerifyRequest) -> Finding:
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    if not any(u in str(e) for u in UNAVAILABLE):
        return Finding(
            "token",
            "token_failed",
            text,
            "the managed-identity endpoint refused; check the identity and retry",
        )
    where = f"app {web.where(req.app, req.slot)}" if req.app else "this compute"
    attach = "kustomi attach --app <app> -g <rg> --identity " + shlex.quote(req.identity_arg)
    if req.app:
        attach = (
            f"kustomi attach --app {req.app} -g {req.resource_group or '<rg>'} --identity "
            f"{shlex.quote(req.identity_arg)}" + (f" --slot {req.slot}" if req.slot else "")
        )
    return Finding(
        "token",
        "identity_unavailable",
        f"the managed-identity endpoint of {where} gives no token for that identity: {text}",
        f"attach it ({attach}), or pass the client id of an identity that is attached",
    )


def _refused_finding(
    azure: Azure, req: VerifyRequest, ident: identities.Identity | None, detail: str
) -> Finding:
    client_id = req.identity.client_id or (ident.client_id if ident else "?")
    seen = _seen_principal(detail) or f"aadapp={client_id}"
    if req.wait > 0:
        held = _control_plane_roles(azure, req, ident)
        if held and (not req.role or held & SATISFIES[req.role]):
            return Finding(
                "role",
                "not_propagated",
                f"the control plane shows {', '.join(sorted(held))} for {seen}, but "
                f"the cluster still refused it after {req.wait:.0f}s",
                "propagation can take minutes; rerun with a longer --wait",
            )
    hint = f"grant the role: {grant_command(req)}"
    hint += "" if req.wait else "; if it was granted moments ago, rerun with --wait 120"
    if req.role == "Ingestor":
        # Whether an Ingestor may list its own roles is undocumented (learn.microsoft.com
        # says nothing of it; UNCONFIRMED). Should a cluster refuse it that, the control
        # plane still tells.
        hint += (
            "; if the role is in place, `kustomi verify --mode control-plane` (as the operator) "
            "confirms the grant, since an Ingestor can neither query nor, on some clusters, "
            "list its own roles"
        )
    return Finding(
        "role",
        "not_authorized",
        detail if seen in detail else f"the cluster refused principal '{seen}': {detail}",
        hint,
    )


def _control_plane_roles(
    azure: Azure, req: VerifyRequest, ident: identities.Identity | None
) -> set[str]:
    """The roles ARM shows for the identity; empty when the operator cannot look."""
    try:
        ident = ident or identities.find(azure, req.identity)
        if ident is None:
            return set()
        cluster = kusto_mgmt.resolve(azure, req.cluster)
        return {
            a.role
            for a in kusto_mgmt.list_assignments(azure, cluster, req.database)
            if a.is_for(ident.client_id, ident.principal_id)
        }
    except KustomiError:
        return set()


def _probe_query(client: KustoClient, req: VerifyRequest, held: set[str], report: Report) -> None:
    """A read as the identity. An Ingestor may not query: that refusal is expected."""
    reads = bool(held & READ) or "AllDatabasesAdmin" in held
    if not reads and "Ingestor" not in held:
        report.notes.append("no query was run: the roles held do not allow reading")
        return
    try:
        rows = kusto_data.query(client, req.database, "print kustomi_probe = 'ok'")
        ok = bool(rows) and rows[0].get("kustomi_probe") == "ok"
        report.findings.append(
            Finding(
                "query",
                "ok" if ok else "cluster_unreachable",
                "a query as the identity ran" if ok else "the query returned no row",
            )
        )
    except Exception as e:
        status, detail = _classify(e)
        if not reads and status == "not_authorized":
            report.findings.append(
                Finding(
                    "query",
                    "ok",
                    "the query was refused, as it should be for an Ingestor (it may not read)",
                )
            )
        else:
            report.findings.append(Finding("query", status, detail, _hint_for(status, req)))
    if "Ingestor" in held:
        report.notes.append(
            "ingestion itself was not exercised: verify never writes data; the "
            "Ingestor role was confirmed from the cluster's own roles command"
        )


def _check_local_setting(req: VerifyRequest, uri: str, report: Report) -> None:
    """Inside the app, app settings are environment variables: check the binding's one."""
    value = os.environ.get(req.setting)
    if value is not None:
        report.findings.append(_setting_finding(req, value, uri))


def _hint_for(status: str, req: VerifyRequest) -> str:
    return {
        # The Kusto clients (azure-kusto-data here, Kusto.Data in the binding) refuse hosts outside
        # their list of known Kusto domains: https://aka.ms/kustotrustedendpoints
        "cluster_untrusted": "use the cluster's own URI as the portal shows it "
        "(https://<name>.<region>.kusto.windows.net), not a proxy or custom domain; the Kusto "
        "clients refuse other hosts (https://aka.ms/kustotrustedendpoints)",
        "cluster_unreachable": "check the cluster URI, the network and that the cluster runs",
        "database_not_found": f"check the database name {req.database!r} (case matters)",
        "token_failed": "check that the identity and the cluster are in the same tenant",
        "not_authorized": f"grant the role: {grant_command(req)}",
    }.get(status, "")


# --- control-plane mode ----------------------------------------------------------------------


def by_control_plane(azure: Azure, req: VerifyRequest, reason: str) -> Report:
    report = Report("verify")
    report.data = {"mode": "control-plane", "why": reason, "database": req.database}
    report.notes.append(
        "this is an authorization check from the control plane (ARM and the "
        "cluster's principal list, read as you), not a test as the identity: "
        "run verify inside the function app for that"
    )
    if req.wait:
        # The control plane shows a grant at once; propagation is only visible as the identity.
        report.notes.append("--wait applies to identity mode only; nothing was waited for")
    f = report.findings
    ident = identities.find(azure, req.identity)
    if ident is None:
        f.append(_not_found(req.identity))
        return report
    report.data.update(clientId=ident.client_id, principalFqn=ident.fqn)
    f.append(Finding("identity", "ok", f"{ident.name}: client id {ident.client_id}"))
    try:
        cluster = kusto_mgmt.resolve(azure, req.cluster)
    except KustomiError as e:
        f.append(Finding("cluster", "cluster_unreachable", e.message, e.hint or ""))
        return report
    report.data["cluster"] = cluster.uri
    try:
        assignments = kusto_mgmt.list_assignments(azure, cluster, req.database)
    except KustomiError as e:
        f.append(Finding("database", "database_not_found", e.message, e.hint or ""))
        return report
    mine = [a for a in assignments if a.is_for(ident.client_id, ident.principal_id)]
    held = {a.role for a in mine if a.succeeded}
    where = "ARM principal assignments"
    held_kql, why_not = _kql_roles(azure, cluster.uri, req.database, ident)
    if held_kql is not None:
        held |= held_kql
        where += " and the cluster's principal list"
    else:
        report.notes.append(f"roles granted with .add database were not seen: {why_not}")
    report.data["rolesHeld"] = sorted(held)
    f.append(_role_finding(req, held, where, [a for a in mine if not a.succeeded]))
    if req.app and req.resource_group:
        _check_app(azure, req, ident, cluster.uri, report)
    return report


def _kql_roles(
    azure: Azure, uri: str, db: str, ident: identities.Identity
) -> tuple[set[str] | None, str]:
    try:
        rows = kusto_data.mgmt(
            azure.kusto_data(uri), db, f".show database {kql.name(db)} principals"
        )
    except Exception as e:
        return None, f"the operator may not read them ({kusto_data.api_error_text(e)})"
    mine = [
        r
        for r in rows
        if ident.client_id in str(r.get("PrincipalFQN", "")).lower()
        or ident.principal_id == str(r.get("PrincipalObjectId", "")).lower()
    ]
    return roles_from_rows(mine), ""


def _check_app(
    azure: Azure, req: VerifyRequest, ident: identities.Identity, uri: str, report: Report
) -> None:
    assert req.app is not None and req.resource_group is not None
    where = web.where(req.app, req.slot)
    try:
        site = web.get_site(azure, req.resource_group, req.app, req.slot)
    except KustomiError as e:
        report.findings.append(
            Finding("attached", "identity_not_attached", e.message, e.hint or "")
        )
        return
    if site.has_user_assigned(ident.id):
        report.findings.append(Finding("attached", "ok", f"{ident.name} is on {where}"))
    else:
        report.findings.append(
            Finding(
                "attached",
                "identity_not_attached",
                f"{ident.name} is not on {where}",
                f"kustomi attach --app {req.app} -g {req.resource_group} --identity "
                f"{shlex.quote(req.identity_arg)}" + (f" --slot {req.slot}" if req.slot else ""),
            )
        )
    settings = web.list_settings(azure, req.resource_group, req.app, req.slot)
    value = settings.get(req.setting)
    if value is None:
        report.findings.append(
            Finding(
                "setting",
                "setting_missing",
                f"{where} has no setting {req.setting}",
                f"kustomi set-connection --app {req.app} -g {req.resource_group} --cluster "
                f"{shlex.quote(req.cluster_arg)} --database {shlex.quote(req.database)} --setting "
                f"{req.setting}" + (f" --slot {req.slot}" if req.slot else ""),
            )
        )
    else:
        report.findings.append(_setting_finding(req, value, uri))


def _setting_finding(req: VerifyRequest, value: str, uri: str) -> Finding:
    """The binding's setting: no secret, and this cluster and database. Never shows a secret."""
    secrets = secret_keys_in(value)
    fix = (
        f"kustomi set-connection --app {req.app or '<app>'} -g {req.resource_group or '<rg>'} "
        f"--cluster {shlex.quote(req.cluster_arg)} --database {shlex.quote(req.database)} "
        f"--setting {req.setting}" + (f" --slot {req.slot}" if req.slot else "")
    )
    if secrets:
        return Finding(
            "setting",
            "setting_has_secret",
            f"{req.setting} holds a secret ({', '.join(secrets)}); value not shown",
            f"replace it: {fix} --force; then rotate that secret",
        )
    got_uri, got_db = kusto_data.connection_target(value) or ("", "")
    got_uri = got_uri.lower()
    if got_uri != uri.rstrip("/").lower() or got_db != req.database:
        return Finding(
            "setting",
            "setting_wrong_target",
            f"{req.setting} points at {got_uri or '?'} / {got_db or '?'}, not "
            f"{uri} / {req.database}",
            f"fix it: {fix}",
        )
    expected = connection_value(uri, req.database)
    return Finding("setting", "ok", f"{req.setting} = {expected}")

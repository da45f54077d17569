"""verify in identity mode: a token from the managed-identity endpoint, then a role-aware
probe of the database as the identity itself."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ... import kql
from ...azure import identities, kusto_data, kusto_mgmt, web
from ...azure.clients import Azure, managed_identity_credential
from ...errors import AuthError, KustomiError
from ...model import Finding, Report, Status
from ...rules import reads, satisfied
from .. import Progress, retry_while
from . import (
    VerifyRequest,
    _not_found,
    _role_finding,
    _setting_finding,
    attach_command,
    grant_command,
    lookup_failed,
    roles_from_rows,
)

if TYPE_CHECKING:
    from ...azure.kusto_data import DataClient


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
    client_id: str | None
    if req.identity.system:
        # The app's own identity: the endpoint's default, asked for with no id at all.
        client_id = None
        report.data["identity"] = "system"
    elif req.identity.client_id:
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
    if client_id is not None:
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
        f.append(_token_finding(e, req, azure.env.values))
        return report

    client = azure.kusto_data(uri, credential)
    # On a table, its own roles and those of its database (which hold on every table).
    entity = f"table {kql.name(req.table)}" if req.table else f"database {kql.name(req.database)}"
    roles_csl = f".show {entity} principal roles"

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
                first_delay=1,
                max_delay=10,
            )
        else:
            rows = show_roles()
    except _Refused as e:
        f.append(_refused_finding(azure, req, ident, str(e), getattr(e, "waited", 0.0)))
        return report
    except Exception as e:
        if req.table and kusto_data.status_of(e) == 404:
            from .control_plane import _table_missing

            f.append(_table_missing(req))
            return report
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
    _check_local_setting(azure, req, uri, report)
    return report


def _cluster_uri(azure: Azure, req: VerifyRequest, f: list[Finding]) -> str | None:
    if req.cluster.uri:
        return req.cluster.uri
    try:
        return kusto_mgmt.resolve(azure, req.cluster).uri
    except KustomiError as e:
        f.append(lookup_failed("cluster", e, "cluster_not_found"))
        return None


# What the managed-identity endpoint says when the identity is not on the compute that asked
# (https://learn.microsoft.com/azure/app-service/overview-managed-identity), and what
# azure-identity says when there is no endpoint at all.
UNAVAILABLE = (
    "Unable to load the proper Managed Identity",
    "no response from the IMDS",
    "ManagedIdentityCredential authentication unavailable",
)


def _token_finding(e: Exception, req: VerifyRequest, env: Mapping[str, str]) -> Finding:
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    unavailable = any(u in str(e) for u in UNAVAILABLE)
    if unavailable and not env.get("IDENTITY_ENDPOINT") and not env.get("MSI_ENDPOINT"):
        # --mode identity where no managed-identity endpoint is (a laptop, a CI runner): the
        # identity and the app are not the cause.
        return Finding(
            "token",
            "identity_unavailable",
            "no managed-identity endpoint here (IDENTITY_ENDPOINT is not set): a token as the "
            "identity can be had only inside the function app (or on Azure compute that has it)",
            "run verify inside the function app, or --mode control-plane (the default "
            "outside it) for an authorization check as you",
        )
    if not any(u in str(e) for u in UNAVAILABLE):
        return Finding(
            "token",
            "token_failed",
            text,
            "the managed-identity endpoint refused; check the identity and retry",
        )
    where = f"app {web.where(req.app, req.slot)}" if req.app else "this compute"
    attach = attach_command(req)
    return Finding(
        "token",
        "identity_unavailable",
        f"the managed-identity endpoint of {where} gives no token for that identity: {text}",
        f"attach it ({attach}), or pass the client id of an identity that is attached",
    )


def _refused_finding(
    azure: Azure,
    req: VerifyRequest,
    ident: identities.Identity | None,
    detail: str,
    waited: float = 0.0,
) -> Finding:
    client_id = req.identity.client_id or (ident.client_id if ident else "?")
    seen = _seen_principal(detail) or (
        "the app's system identity" if req.identity.system else f"aadapp={client_id}"
    )
    if req.wait > 0:
        held = _control_plane_roles(azure, req, ident)
        if held and (not req.role or satisfied(held, req.role)):
            return Finding(
                "role",
                "not_propagated",
                f"the control plane shows {', '.join(sorted(held))} for {seen}, but "
                f"the cluster still refused it after {waited:.0f}s of waiting",
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
        if req.identity.system and req.identity.site is None:
            return set()  # no app named: nothing to look up
        ident = ident or identities.find(azure, req.identity)
        if ident is None:
            return set()
        cluster = kusto_mgmt.resolve(azure, req.cluster)
        return {
            a.role
            for scope in (req.database, None)  # the database's, then the cluster's
            for a in kusto_mgmt.list_assignments(azure, cluster, scope)
            if a.is_for(ident.client_id, ident.principal_id) and a.succeeded
        }
    except KustomiError:
        return set()


def _probe_query(client: DataClient, req: VerifyRequest, held: set[str], report: Report) -> None:
    """A read as the identity. An Ingestor may not query: that refusal is expected."""
    can_read = reads(held)
    if not can_read and "Ingestor" not in held:
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
        if not can_read and status == "not_authorized":
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


def _check_local_setting(azure: Azure, req: VerifyRequest, uri: str, report: Report) -> None:
    """Inside the app, app settings are environment variables: check the binding's one."""
    value = azure.env.get(req.setting)
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

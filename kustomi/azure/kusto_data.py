"""The Kusto data plane through azure-kusto-data (KUSTO_AND_IDENTITY.md 1)."""

from __future__ import annotations

from typing import Any

# What azure-kusto-data falls back to when a cluster serves no metadata (1.4, 4.5).
DEFAULT_RESOURCE = "https://kusto.kusto.windows.net"


def token_scope(cluster_uri: str) -> str:
    """The scope azure-kusto-data will ask a token for: the cluster's own
    KustoServiceResourceId from /v1/rest/auth/metadata, not the cluster URI (1.4, 4.5).

    It goes through the library's process-wide cache, so the client that follows sends no
    second metadata request. CloudSettings is not public API; without it, the default."""
    try:
        from azure.kusto.data._cloud_settings import CloudSettings
    except ImportError:  # pragma: no cover - a future azure-kusto-data
        return DEFAULT_RESOURCE + "/.default"
    info = CloudSettings.get_cloud_info_for_cluster(cluster_uri)
    resource = str(info.kusto_service_resource_id)
    if info.login_mfa_required:
        resource = resource.replace(".kusto.", ".kustomfa.")
    return resource + "/.default"


def rows(result: Any) -> list[dict[str, Any]]:
    """The primary result as dicts."""
    table = result.primary_results[0] if result.primary_results else None
    if table is None:
        return []
    names = [c.column_name for c in table.columns]
    return [dict(zip(names, list(r), strict=True)) for r in table]


def mgmt(client: Any, db: str, csl: str) -> list[dict[str, Any]]:
    return rows(client.execute_mgmt(db, csl))


def query(client: Any, db: str, csl: str) -> list[dict[str, Any]]:
    return rows(client.execute_query(db, csl))


def api_error_text(exc: BaseException) -> str:
    """Kusto's own message (`@message`), whatever the exception class."""
    get = getattr(exc, "get_api_error", None)
    if get is not None:
        try:
            err = get()
            return str(err.description or err.message or exc)
        except Exception:
            pass
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def api_error_code(exc: BaseException) -> str:
    """Kusto's error code (e.g. BadRequest_DatabaseNotExist), or ''."""
    get = getattr(exc, "get_api_error", None)
    try:
        return str(get().code) if get is not None else ""
    except Exception:
        return ""


def status_of(exc: BaseException) -> int | None:
    resp = getattr(exc, "http_response", None)
    return getattr(resp, "status_code", None)

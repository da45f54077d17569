"""The Kusto data plane through azure-kusto-data (KUSTO_AND_IDENTITY.md 1)."""

from __future__ import annotations

from typing import Any


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

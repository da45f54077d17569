"""The Kusto data plane through azure-kusto-data (https://learn.microsoft.com/kusto/api/rest/)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from azure.kusto.data import KustoClient
    from azure.kusto.data.response import KustoResponseDataSet


@dataclass(frozen=True)
class DataClient:
    """A data-plane client of one cluster, and how many times its requests are retried
    (KUSTOMI_RETRIES, as the session read it)."""

    client: KustoClient
    retries: int


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


def rows(result: KustoResponseDataSet) -> list[dict[str, Any]]:
    """The primary result as dicts."""
    table = result.primary_results[0] if result.primary_results else None
    if table is None:
        return []
    names = [c.column_name for c in table.columns]
    return [dict(zip(names, list(r), strict=True)) for r in table]


Progress = Callable[[str], None]
Rows = list[dict[str, Any]]


def connection_target(value: str) -> tuple[str, str] | None:
    """The (Data Source, Database) of a Kusto connection string, read by azure-kusto-data's
    own KustoConnectionStringBuilder, so that every keyword alias it knows (Server, Addr,
    Address, Network Address; Initial Catalog) counts; None when it cannot read the string.
    Database is "" when the string names none (the builder's own default is NetDefaultDB)."""
    from azure.kusto.data import KustoConnectionStringBuilder

    if "=" not in value and "://" not in value:
        return None  # the builder reads any word as a Data Source: "python" is not a cluster
    try:
        kcsb = KustoConnectionStringBuilder(value.strip().rstrip(";"))
    except (KeyError, ValueError):
        return None
    db = str(kcsb.initial_catalog or "")
    if db == "NetDefaultDB" and "netdefaultdb" not in value.lower():
        db = ""
    return str(kcsb.data_source or "").strip().rstrip("/"), db


# What each secret-bearing keyword of a Kusto connection string holds, in words (the
# keywords and their aliases are the SDKs' shared kcsb.json, as azure-kusto-data bundles it).
SECRET_KINDS = {
    "Application Key": "application key",
    "Password": "password",
    "User Token": "user token",
    "Application Token": "application token",
    "Application Certificate Blob": "certificate",
    "Application Certificate Thumbprint": "certificate",
    "Application Certificate Issuer Distinguished Name": "certificate",
    "Application Certificate Subject Distinguished Name": "certificate",
}


@dataclass(frozen=True)
class ConnectionString:
    """What a Kusto connection string says, never the value of a secret in it."""

    data_source: str  # as written, without a trailing "/"
    database: str  # "" when it names none
    secret_kinds: tuple[str, ...]  # "application key", "password", ... (SECRET_KINDS)
    secret_keys: tuple[str, ...]  # the secret-bearing keys as written
    application: str  # the Application Client Id it signs in as, or ""
    user: bool  # it names a user (User ID) to sign in as


@lru_cache(maxsize=1)
def keywords() -> dict[str, tuple[str, bool]]:
    """Every keyword and alias the Kusto SDKs accept, normalized as they normalize them (lower
    case, no spaces) -> (the keyword's name, whether it holds a secret)."""
    from azure.kusto.data.helpers import load_bundled_json

    out: dict[str, tuple[str, bool]] = {}
    for k in load_bundled_json("kcsb.json")["keywords"]:
        for alias in (k["name"], *k["aliases"]):
            out[_norm(alias)] = (str(k["name"]), bool(k["secret"]))
    return out


def _norm(key: str) -> str:
    return key.lower().replace(" ", "")


def parse_connection(value: str) -> ConnectionString | None:
    """A Kusto connection string's parts, read as the SDKs read one: `key=value` pairs split
    on `;`, keys in any casing and any alias of kcsb.json, a first part without `=` taken as
    the Data Source. Keys the SDKs do not know are skipped (the .NET SDK knows more than
    azure-kusto-data). None when no Data Source is named. A secret-bearing key whose value is
    empty holds no secret; a key outside kcsb.json that config.SECRET_KEYS names (ClientSecret,
    AccessToken, ...) counts, and so does an embedded token or certificate."""
    from ..config import JWT_RE, SECRET_KEYS

    known = keywords()
    source, database, application, user = "", "", "", False
    kinds: list[str] = []
    keys: list[str] = []
    for i, part in enumerate(value.split(";")):
        key, sep, raw = part.partition("=")
        if not sep:
            if i == 0 and key.strip():
                source = key.strip()
            continue
        val = raw.strip()
        if len(val) >= 2 and val[0] == val[-1] and val[0] in "'\"":
            val = val[1:-1].strip()
        name, secret = known.get(_norm(key), ("", False))
        if not name and re.sub(r"[\s_]", "", key).lower() in SECRET_KEYS:
            name, secret = key.strip(), True
        if secret:
            if val:
                kinds.append(SECRET_KINDS.get(name, "secret"))
                keys.append(key.strip())
        elif name == "Data Source":
            source = val
        elif name == "Initial Catalog":
            database = val
        elif name == "Application Client Id":
            application = val
        elif name == "User ID":
            user = bool(val)
    if JWT_RE.search(value) or "-----BEGIN" in value:
        kinds.append("embedded token or certificate")
        keys.append("(embedded)")
    if not source:
        return None
    return ConnectionString(
        source.rstrip("/"),
        database,
        tuple(dict.fromkeys(kinds)),
        tuple(dict.fromkeys(keys)),
        application,
        user,
    )


def mgmt(
    data: DataClient, db: str, csl: str, progress: Progress | None = None
) -> list[dict[str, Any]]:
    """A management command. Retried as the management SDKs retry: the commands kustomi sends
    (`.show`, `.add`, `.drop`) give the same result when sent twice."""
    return _read(
        lambda: rows(retried(lambda: data.client.execute_mgmt(db, csl), progress, data.retries)),
        csl,
    )


def query(
    data: DataClient, db: str, csl: str, progress: Progress | None = None
) -> list[dict[str, Any]]:
    return _read(
        lambda: rows(retried(lambda: data.client.execute_query(db, csl), progress, data.retries)),
        csl,
    )


def _read(call: Callable[[], Rows], csl: str) -> Rows:
    """The rows of one request; an answer whose frames cannot be read (azure-kusto-data
    raises KeyError 'Tables' on a v1 body without them) is said as such (exit 5)."""
    from .clients import note_request
    from .errors import is_unreadable, unreadable

    endpoint = "/v1/rest/mgmt" if csl.startswith(".") else "/v2/rest/query"
    note_request(f"POST {endpoint} ({' '.join(csl.split()[:3])})")
    try:
        return call()
    except Exception as e:
        if is_unreadable(e):
            raise unreadable(e, "Kusto") from None
        raise


def retried(
    call: Callable[[], KustoResponseDataSet],
    progress: Progress | None,
    total: int,
    sleep: Callable[[float], None] = time.sleep,
) -> KustoResponseDataSet:
    """azure-kusto-data retries nothing: a 429, a 5xx or a dropped connection is retried here
    `total` (KUSTOMI_RETRIES) times, honouring Retry-After, with azure-core's backoff (0, 1, 2,
    4 s...)."""
    attempt = 0
    while True:
        try:
            return call()
        except Exception as e:
            why, after = _transient(e)
            if why is None or attempt >= total:
                raise
            attempt += 1
            delay = after if after is not None else min(0.5 * 2 ** (attempt - 1), 8.0)
            delay = 0.0 if after is None and attempt == 1 else delay
            if progress is not None:
                progress(f"{why}; retrying in {delay:.0f}s (retry {attempt} of {total})")
            sleep(delay)


def _transient(exc: BaseException) -> tuple[str | None, float | None]:
    """Why a data-plane error is worth a retry (None: it is not), and its Retry-After."""
    from azure.kusto.data.exceptions import (
        KustoNetworkError,
        KustoServiceError,
        KustoThrottlingError,
    )

    if isinstance(exc, KustoThrottlingError):
        # Raised as KustoThrottlingError(message, response): the response is its second arg.
        response = exc.args[1] if len(exc.args) > 1 else None
        return "Kusto answered 429", _retry_after(response)
    if isinstance(exc, KustoNetworkError):
        return "the connection to Kusto failed", None
    if isinstance(exc, KustoServiceError):
        status = status_of(exc)
        if status in (500, 502, 503, 504):
            return f"Kusto answered {status}", _retry_after(exc.http_response)
    return None, None


def _retry_after(response: Any) -> float | None:
    value = getattr(response, "headers", {}).get("Retry-After") if response is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


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

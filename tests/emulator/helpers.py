"""Real SDK clients and raw HTTPS calls against the emulator, and shape comparison with the
official examples in tests/reference/arm-examples."""

from __future__ import annotations

import json
import os
from typing import Any

import requests

from tests.conftest import REFERENCE

ARM_SCOPE = "https://management.azure.com/.default"
FREE_FORM = {"tags", "userAssignedIdentities"}  # user data: only presence and type compared


def credential() -> Any:
    from azure.identity import EnvironmentCredential

    return EnvironmentCredential(disable_instance_discovery=True)


def client(kind: str, **kwargs: Any) -> Any:
    from azure.mgmt.kusto import KustoManagementClient
    from azure.mgmt.msi import ManagedServiceIdentityClient
    from azure.mgmt.resource.resources import ResourceManagementClient
    from azure.mgmt.web import WebSiteManagementClient

    cls = {
        "msi": ManagedServiceIdentityClient,
        "kusto": KustoManagementClient,
        "web": WebSiteManagementClient,
        "resources": ResourceManagementClient,
    }[kind]
    made = cls(
        credential(),
        os.environ["AZURE_SUBSCRIPTION_ID"],
        base_url=os.environ["KUSTOMI_ARM_ENDPOINT"],
        credential_scopes=[ARM_SCOPE],
        polling_interval=1,
        **kwargs,
    )
    OPEN.append(made)
    return made


# Clients the tests made; tests/conftest.py closes them after each test, so that no socket is
# left for the garbage collector (pytest turns an unclosed socket's ResourceWarning into an
# error).
OPEN: list[Any] = []


def raw(
    method: str, path: str, body: Any = None, token: str | None = "operator", api: str = ""
) -> requests.Response:
    """One HTTPS request to the emulator, as an SDK would send it."""
    headers = {"Accept": "application/json"}
    if token == "operator":
        headers["Authorization"] = "Bearer " + credential().get_token(ARM_SCOPE).token
    elif token:
        headers["Authorization"] = "Bearer " + token
    url = os.environ["KUSTOMI_ARM_ENDPOINT"] + path
    if api:
        url += ("&" if "?" in url else "?") + "api-version=" + api
    return requests.request(method, url, json=body, headers=headers, timeout=30)


def sub() -> str:
    return os.environ["AZURE_SUBSCRIPTION_ID"]


def example(rel: str, status: str = "200") -> Any:
    doc = json.loads((REFERENCE / "arm-examples" / rel).read_text())
    return doc["responses"][status].get("body")


def missing_keys(
    actual: dict[str, Any],
    expected: dict[str, Any],
    skip: frozenset[str] = frozenset(),
    depth: int = 2,
) -> list[str]:
    """Keys the official example has that the emulator's body lacks, or whose JSON type
    differs, down to `depth` levels (lists compared by their first element)."""
    out: list[str] = []
    for k, v in expected.items():
        if k in skip:
            continue
        if k not in actual:
            out.append(k)
            continue
        a = actual[k]
        if (
            v is not None
            and a is not None
            and type(a) is not type(v)
            and not (isinstance(a, (int, float)) and isinstance(v, (int, float)))
        ):
            out.append(f"{k} (type {type(a).__name__} != {type(v).__name__})")
        elif isinstance(v, dict) and isinstance(a, dict) and depth > 1 and k not in FREE_FORM:
            out += [f"{k}.{m}" for m in missing_keys(a, v, skip, depth - 1)]
        elif isinstance(v, list) and isinstance(a, list) and v and a and isinstance(v[0], dict):
            out += [f"{k}[].{m}" for m in missing_keys(a[0], v[0], skip, depth - 1)]
    return out

"""What the live tests do with the Azure SDKs directly (azure-mgmt-web, -kusto, -msi), not
through kustomi: snapshots of the function app, raw ARM requests whose status and headers are
the point, and the clean-up that puts the app and the database back as they were."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kustomi.azure.clients import Azure

# Terminal states of an ARM long-running operation
# (https://learn.microsoft.com/azure/azure-resource-manager/management/async-operations).
TERMINAL = ("succeeded", "failed", "canceled")
# How long an operation of the tests may run in Azure before the test gives up on it.
LRO_TIMEOUT = 600.0


def unique(prefix: str) -> str:
    """A name no earlier run used, e.g. id-kustomi-live-3f9a1c2e."""
    return prefix + secrets.token_hex(4)


@dataclass(frozen=True)
class Target:
    """The Azure resources the live tests work on (tests/live/conftest.py, VARIABLES)."""

    subscription: str
    resource_group: str  # disposable: identities are created and deleted in it
    location: str  # the resource group's
    app: str  # a function app in that resource group
    cluster: str
    cluster_resource_group: str
    database: str


@dataclass(frozen=True)
class AppIdentities:
    """A function app's identity block, as compared before and after a test."""

    type: str
    system_principal_id: str  # "" without a system-assigned identity
    user_assigned: frozenset[str]  # resource ids, lower-cased

    @property
    def has_system(self) -> bool:
        return bool(self.system_principal_id) or "systemassigned" in self.type.lower()


def app_settings(sdk: Azure, t: Target) -> dict[str, str]:
    return dict(sdk.web.web_apps.list_application_settings(t.resource_group, t.app).properties)


def put_app_settings(sdk: Azure, t: Target, values: dict[str, str]) -> dict[str, str]:
    """PUT .../config/appsettings: the whole set, as given; returns what Azure answered."""
    answer = sdk.web.web_apps.update_application_settings(
        t.resource_group, t.app, {"properties": values}
    )
    return dict(answer.properties or {})


def app_identities(sdk: Azure, t: Target) -> AppIdentities:
    ident = sdk.web.web_apps.get(t.resource_group, t.app).identity
    if ident is None:
        return AppIdentities("None", "", frozenset())
    return AppIdentities(
        type=str(getattr(ident.type, "value", ident.type) or "None"),
        system_principal_id=ident.principal_id or "",
        user_assigned=frozenset(k.lower() for k in (ident.user_assigned_identities or {})),
    )


def detach(sdk: Azure, t: Target, identity_id: str) -> str:
    """Take one user-assigned identity off the app and keep every other identity.

    A PATCH names the identity with null, ARM's way to remove one entry of
    userAssignedIdentities, beside every identity that stays (so a PATCH that replaces the
    block keeps them too); the type drops UserAssigned when none stays. If the identity is
    still there afterwards, the site is PUT whole with the identities that stay, as
    `az webapp identity remove` does."""
    from azure.core.exceptions import HttpResponseError

    gone = identity_id.lower()
    site = sdk.web.web_apps.get(t.resource_group, t.app)
    ident = site.identity
    keys = {k.lower(): k for k in ((ident.user_assigned_identities if ident else None) or {})}
    if gone not in keys:
        return "was not attached"
    stay = [key for lower, key in keys.items() if lower != gone]
    has_system = bool(ident.principal_id) or "systemassigned" in str(ident.type).lower()
    kinds = ["SystemAssigned"] if has_system else []
    if stay:
        block: dict[str, Any] = {
            "type": ", ".join([*kinds, "UserAssigned"]),
            "userAssignedIdentities": {**{k: {} for k in stay}, keys[gone]: None},
        }
    else:
        block = {"type": "SystemAssigned" if kinds else "None"}
    why = ""
    try:
        sdk.web.web_apps.update(t.resource_group, t.app, {"identity": block})
    except HttpResponseError as e:
        why = f"PATCH refused ({e.status_code}); "
    if gone not in app_identities(sdk, t).user_assigned:
        return why + "detached by PATCH"
    site = sdk.web.web_apps.get(t.resource_group, t.app)
    site.identity = {k: v for k, v in block.items() if k == "type"}
    if stay:
        site.identity["userAssignedIdentities"] = {k: {} for k in stay}
    sdk.web.web_apps.begin_create_or_update(t.resource_group, t.app, site).result(
        timeout=LRO_TIMEOUT
    )
    if gone in app_identities(sdk, t).user_assigned:
        raise AssertionError(f"identity {identity_id} is still on {t.app} after PATCH and PUT")
    return why + "detached by a PUT of the whole site"


def find_identity(sdk: Azure, t: Target, name: str) -> Any:
    """The identity (the SDK's model), or None."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        return sdk.msi.user_assigned_identities.get(t.resource_group, name)
    except ResourceNotFoundError:
        return None


def create_identity(sdk: Azure, t: Target, name: str) -> Any:
    return sdk.msi.user_assigned_identities.create_or_update(
        t.resource_group, name, {"location": t.location}
    )


def delete_identity(sdk: Azure, t: Target, name: str) -> None:
    sdk.msi.user_assigned_identities.delete(t.resource_group, name)
    if find_identity(sdk, t, name) is not None:
        raise AssertionError(f"identity {t.resource_group}/{name} is still there after DELETE")


def assignments_of(sdk: Azure, t: Target, *principal_ids: str) -> list[str]:
    """The names of the database's principal assignments for any of these ids (client id or
    object id, as principalId or aadObjectId)."""
    ids = {p.lower() for p in principal_ids if p}
    names = []
    for a in sdk.kusto.database_principal_assignments.list(
        t.cluster_resource_group, t.cluster, t.database
    ):
        if {(a.principal_id or "").lower(), (a.aad_object_id or "").lower()} & ids:
            names.append(str(a.name).split("/")[-1])
    return names


def delete_assignment(sdk: Azure, t: Target, name: str) -> None:
    """DELETE the assignment and wait for its operation to end."""
    poller = sdk.kusto.database_principal_assignments.begin_delete(
        t.cluster_resource_group, t.cluster, t.database, name
    )
    poller.result(timeout=LRO_TIMEOUT)


# --- raw ARM requests: the answer's status and headers are what the facts tests look at ------


def assignment_path(t: Target, name: str) -> str:
    return (
        f"/subscriptions/{t.subscription}/resourceGroups/{t.cluster_resource_group}/providers/"
        f"Microsoft.Kusto/clusters/{t.cluster}/databases/{t.database}/principalAssignments/{name}"
    )


def kusto_api_version(sdk: Azure) -> str:
    """The api-version azure-mgmt-kusto sends, so kustomi's: the raw requests match it."""
    return str(sdk.kusto._config.api_version)


def arm(sdk: Azure, method: str, url: str, body: Any = None) -> Any:
    """One request through the Kusto client's pipeline (its sign-in, retries on 429/5xx,
    no polling): the azure.core.rest.HttpResponse, whatever its status."""
    from azure.core.rest import HttpRequest

    request = HttpRequest(method, url, json=body)
    return sdk.kusto.send_request(request)


def error_of(response: Any) -> Exception:
    """The error the SDK would raise for this answer (kustomi reads the same object)."""
    from azure.core.exceptions import HttpResponseError
    from azure.mgmt.core.exceptions import ARMErrorFormat

    return HttpResponseError(response=response, error_format=ARMErrorFormat)


def retry_after(response: Any, default: float = 2.0) -> float:
    """Retry-After in seconds, between 1 and 30."""
    try:
        value = float(response.headers.get("Retry-After", default))
    except ValueError:
        value = default
    return min(max(value, 1.0), 30.0)


def wait_until(
    what: str,
    probe: Callable[[], Any],
    done: Callable[[Any], bool],
    timeout: float,
    every: float = 2.0,
) -> Any:
    """Call `probe` every `every` seconds until `done` holds of its result (or fail, naming
    `what`)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still not done after {timeout:.0f}s; last: {value!r}")
        time.sleep(every)


class Cleanup:
    """Steps that must all be tried, in order, whatever failed before; at the end, one error
    naming every step that failed (and so what is left in Azure to delete by hand)."""

    def __init__(self) -> None:
        self.failed: list[str] = []
        self.done: list[str] = []

    def step(self, what: str, action: Callable[[], object]) -> None:
        try:
            result = action()
        except Exception as e:
            self.failed.append(f"{what}: {type(e).__name__}: {str(e).splitlines()[0][:300]}")
        else:
            self.done.append(f"{what}: {result}" if result not in (None, "") else what)

    def check(self) -> None:
        if self.failed:
            raise AssertionError(
                "clean-up failed; delete what is left by hand:\n  " + "\n  ".join(self.failed)
            )

"""The Azure behaviour the emulator copies and kustomi relies on, settled against Azure: each
test records what Azure answered (tests/live/conftest.py, Facts) and asserts what the emulator
does (kustomi/emulator/arm_kusto.py, arm.py, arm_web.py; docs/DESIGN.md, Azure facts)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from kustomi.steps.grant import entra_not_yet
from tests.live.helpers import (
    LRO_TIMEOUT,
    TERMINAL,
    Cleanup,
    Target,
    app_settings,
    arm,
    assignment_path,
    assignments_of,
    create_identity,
    delete_assignment,
    delete_identity,
    error_of,
    kusto_api_version,
    put_app_settings,
    retry_after,
    unique,
    wait_until,
)

HEADERS = ("Azure-AsyncOperation", "Location", "Retry-After")


def _body(principal_id: str, tenant_id: str, role: str = "Viewer") -> dict[str, Any]:
    """A principal assignment as kustomi sends it (kustomi/azure/kusto_mgmt.py)."""
    return {
        "properties": {
            "principalId": principal_id,
            "role": role,
            "principalType": "App",
            "tenantId": tenant_id,
        }
    }


def _error_record(e: Exception) -> dict[str, Any]:
    err = getattr(e, "error", None)
    return {
        "status": getattr(e, "status_code", None),
        "code": getattr(err, "code", None),
        "message": getattr(err, "message", None),
        "kustomi_entra_not_yet": entra_not_yet(e),
    }


@dataclass
class Fresh:
    """An identity created for this module, and what its very first grant got."""

    name: str
    client_id: str
    principal_id: str
    tenant_id: str
    first_grant: Exception | None  # the error, or None if Azure took the grant at once


@pytest.fixture(scope="module")
def fresh(sdk: Any, target: Target) -> Iterator[Fresh]:
    """A new identity in the disposable group, granted Viewer the moment it exists (through
    the SDK, as kustomi grants); deleted, with every assignment it has, at the end."""
    t = target
    name = unique("id-kustomi-live-")
    cleanup = Cleanup()
    made = None
    try:
        made = create_identity(sdk, t, name)
        first: Exception | None = None
        assignment = unique("kustomi-live-first-")
        try:
            sdk.kusto.database_principal_assignments.begin_create_or_update(
                t.cluster_resource_group,
                t.cluster,
                t.database,
                assignment,
                _body(made.client_id, made.tenant_id),
            ).result(timeout=LRO_TIMEOUT)
        except Exception as e:
            first = e
        else:  # Entra knew it at once: the assignment goes, the other tests need none
            delete_assignment(sdk, t, assignment)
        yield Fresh(name, made.client_id, made.principal_id, made.tenant_id, first)
    finally:
        if made is not None:

            def remove_assignments() -> str:
                names = assignments_of(sdk, t, made.client_id, made.principal_id)
                for n in names:
                    delete_assignment(sdk, t, n)
                return ", ".join(names) or "none there"

            cleanup.step(f"delete the principal assignments of {name}", remove_assignments)
        cleanup.step(
            f"delete identity {t.resource_group}/{name}", lambda: delete_identity(sdk, t, name)
        )
        cleanup.check()


def test_a_just_created_identity_is_not_found_in_aad_tenant(fresh, facts):
    """kustomi grant retries while this error says Entra does not know the identity yet
    (kustomi/steps/grant.py, entra_not_yet); the emulator answers its wording
    (entra_propagation_seconds)."""
    if fresh.first_grant is None:
        pytest.skip(
            f"Entra knew identity {fresh.name} the moment it was created: there was no 400 "
            "to record this time"
        )
    record = _error_record(fresh.first_grant)
    facts.record("principal assignment PUT, identity created a moment ago", record)
    assert record["status"] == 400, record
    assert entra_not_yet(fresh.first_grant), record


def test_a_client_id_unknown_to_entra_gets_the_same_400(sdk, target, fresh, facts):
    """The same error for a client id no principal has (in the identity's tenant):
    deterministic, unlike the delay of a new identity. Nothing is created."""
    from azure.core.exceptions import HttpResponseError

    t = target
    nobody = str(uuid.uuid4())
    name = unique("kustomi-live-nobody-")
    tenant_id = fresh.tenant_id
    try:
        with pytest.raises(HttpResponseError) as caught:
            sdk.kusto.database_principal_assignments.begin_create_or_update(
                t.cluster_resource_group, t.cluster, t.database, name, _body(nobody, tenant_id)
            ).result(timeout=LRO_TIMEOUT)
    finally:
        if name in assignments_of(sdk, t, nobody):  # should Azure have taken it after all
            delete_assignment(sdk, t, name)
    record = _error_record(caught.value)
    facts.record("principal assignment PUT, client id unknown to Entra", record)
    assert record["status"] == 400, record
    assert entra_not_yet(caught.value), record


def _operation(sdk: Any, url: str, facts_key: str, facts: Any) -> dict[str, Any]:
    """Poll an Azure-AsyncOperation URL until the operation ends; every status seen is
    recorded."""
    seen: list[str] = []
    deadline = time.monotonic() + LRO_TIMEOUT
    while True:
        r = arm(sdk, "GET", url)
        assert r.status_code == 200, (r.status_code, r.text())
        body = r.json()
        status = str(body.get("status", ""))
        if not seen or seen[-1] != status:
            seen.append(status)
        if status.lower() in TERMINAL or time.monotonic() > deadline:
            facts.record(facts_key, {"statuses": seen, "final": body})
            return body  # type: ignore[no-any-return]
        time.sleep(retry_after(r))


def test_a_principal_assignment_put_and_delete_are_long_running(sdk, target, fresh, facts):
    """PUT: 201 with Azure-AsyncOperation (and Location, Retry-After), the assignment
    Succeeded once its operation has; DELETE: 202 with the same headers, then gone. The
    emulator answers both so (kustomi/emulator/arm.py, start_operation)."""
    t = target
    name = unique("kustomi-live-lro-")
    url = f"{assignment_path(t, name)}?api-version={kusto_api_version(sdk)}"
    body = _body(fresh.client_id, fresh.tenant_id)
    entra_waits = 0

    def put() -> Any:
        nonlocal entra_waits
        r = arm(sdk, "PUT", url, body)
        if r.status_code == 400 and entra_not_yet(error_of(r)):
            entra_waits += 1
            return None
        return r

    try:
        created = wait_until(
            f"Entra to know identity {fresh.name}",
            put,
            lambda r: r is not None,
            LRO_TIMEOUT,
            every=10.0,
        )
        # Right after the PUT, before any poll: the emulator shows Creating here.
        early = arm(sdk, "GET", url)
        facts.record(
            "principal assignment PUT",
            {
                "status": created.status_code,
                "headers": {h: created.headers.get(h) for h in HEADERS},
                "provisioningState": created.json().get("properties", {}).get("provisioningState"),
                "provisioningState read at once": early.json()
                .get("properties", {})
                .get("provisioningState"),
                "400s while Entra did not know the identity": entra_waits,
            },
        )
        assert created.status_code == 201, (created.status_code, created.text())
        operation = created.headers.get("Azure-AsyncOperation")
        assert operation, dict(created.headers)
        assert "operationresults" in operation.lower(), operation
        ended = _operation(sdk, operation, "principal assignment PUT, its operation", facts)
        assert str(ended.get("status")).lower() == "succeeded", ended
        got = arm(sdk, "GET", url)
        assert got.status_code == 200, got.text()
        assert got.json()["properties"]["provisioningState"] == "Succeeded", got.json()

        deleted = arm(sdk, "DELETE", url)
        facts.record(
            "principal assignment DELETE",
            {
                "status": deleted.status_code,
                "headers": {h: deleted.headers.get(h) for h in HEADERS},
                "provisioningState read at once": (
                    arm(sdk, "GET", url).json().get("properties", {}).get("provisioningState")
                ),
            },
        )
        assert deleted.status_code == 202, (deleted.status_code, deleted.text())
        operation = deleted.headers.get("Azure-AsyncOperation") or deleted.headers.get("Location")
        assert operation, dict(deleted.headers)
        if deleted.headers.get("Azure-AsyncOperation"):
            gone = _operation(sdk, operation, "principal assignment DELETE, its operation", facts)
            assert str(gone.get("status")).lower() == "succeeded", gone
        wait_until(
            f"assignment {name} to be gone",
            lambda: arm(sdk, "GET", url).status_code,
            lambda status: status == 404,
            LRO_TIMEOUT,
        )
    finally:
        if name in assignments_of(sdk, t, fresh.client_id, fresh.principal_id):
            delete_assignment(sdk, t, name)


def test_a_put_of_app_settings_replaces_the_whole_set(sdk, target, facts):
    """On the app itself: all its settings plus one, read back; then all of them without it,
    read back: the extra one is gone, so a PUT is the whole set, not a merge
    (UpdateAppSettings.json; kustomi/steps/set_connection.py merges before it writes, and the
    emulator replaces). The app ends with exactly the settings it had."""
    t = target
    before = app_settings(sdk, t)
    probe = unique("KUSTOMI_LIVE_PROBE_")
    try:
        answered = put_app_settings(sdk, t, {**before, probe: "1"})
        read = app_settings(sdk, t)
        assert answered == read == {**before, probe: "1"}
        answered = put_app_settings(sdk, t, before)
        read = app_settings(sdk, t)
        facts.record(
            "app settings PUT without a setting that was there",
            {
                "settings before": len(before),
                "the left-out setting after the PUT": read.get(probe, "(gone)"),
                "settings after": len(read),
            },
        )
        assert probe not in read, "a PUT of app settings merged instead of replacing the set"
        assert answered == read == before
    finally:
        if app_settings(sdk, t) != before:
            put_app_settings(sdk, t, before)

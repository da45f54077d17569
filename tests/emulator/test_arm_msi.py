"""Microsoft.ManagedIdentity against the official examples (tests/reference/arm-examples)."""

from __future__ import annotations

import pytest
from azure.core.exceptions import ResourceNotFoundError

from kustomi.emulator.state import Identity
from tests.emulator.helpers import client, example, missing_keys, raw, sub

API = "2024-11-30"
P = "/providers/Microsoft.ManagedIdentity/userAssignedIdentities"


def test_create_then_recreate_keeps_ids_and_answers_201_then_200(emu):
    path = f"/subscriptions/{sub()}/resourceGroups/rg-demo{P}/id-orders"
    first = raw("PUT", path, {"location": "westeurope", "tags": {"a": "b"}}, api=API)
    again = raw("PUT", path, {"location": "westeurope"}, api=API)
    assert (first.status_code, again.status_code) == (201, 200)
    a, b = first.json(), again.json()
    assert missing_keys(a, example("Microsoft.ManagedIdentity/IdentityCreate.json", "201")) == []
    assert a["properties"]["clientId"] != a["properties"]["principalId"]
    assert a["properties"]["clientId"] == b["properties"]["clientId"]
    assert a["properties"]["principalId"] == b["properties"]["principalId"]
    # The official examples' id uses lower-case resourcegroups.
    assert "/resourcegroups/rg-demo/" in a["id"]


def test_sdk_crud_and_lists(emu):
    msi = client("msi")
    created = msi.user_assigned_identities.create_or_update(
        "rg-demo", "id-a", {"location": "westeurope"}
    )
    got = msi.user_assigned_identities.get("rg-demo", "id-a")
    assert got.client_id == created.client_id and got.tenant_id == emu.env["AZURE_TENANT_ID"]
    patched = msi.user_assigned_identities.update("rg-demo", "id-a", {"tags": {"team": "x"}})
    assert patched.tags == {"team": "x"}
    assert [i.name for i in msi.user_assigned_identities.list_by_resource_group("rg-demo")] == [
        "id-a"
    ]
    assert [i.name for i in msi.user_assigned_identities.list_by_subscription()] == ["id-a"]
    msi.user_assigned_identities.delete("rg-demo", "id-a")
    with pytest.raises(ResourceNotFoundError) as err:
        msi.user_assigned_identities.get("rg-demo", "id-a")
    assert err.value.error.code == "ResourceNotFound"


def test_delete_missing_is_204(emu):
    r = raw("DELETE", f"/subscriptions/{sub()}/resourceGroups/rg-demo{P}/nope", api=API)
    assert r.status_code == 204


def test_list_pages_follow_next_link(emu):
    msi = client("msi")
    for n in range(103):
        emu.world.identities[("rg-demo", f"id-{n}")] = Identity(
            resource_group="rg-demo",
            name=f"id-{n}",
            location="westeurope",
            client_id=f"c{n}",
            principal_id=f"p{n}",
        )
    emu.clear_log()
    names = [i.name for i in msi.user_assigned_identities.list_by_resource_group("rg-demo")]
    assert len(names) == 103
    pages = [r for r in emu.requests() if r["route"] == "msi.identities.list"]
    assert len(pages) == 2


def test_missing_resource_group_vs_missing_resource(emu):
    missing_rg = raw("GET", f"/subscriptions/{sub()}/resourceGroups/rg-nope{P}/x", api=API)
    missing = raw("GET", f"/subscriptions/{sub()}/resourceGroups/rg-demo{P}/x", api=API)
    assert missing_rg.status_code == missing.status_code == 404
    assert missing_rg.json()["error"]["code"] == "ResourceGroupNotFound"
    assert missing.json()["error"]["code"] == "ResourceNotFound"


def test_invalid_name_is_400(emu):
    r = raw(
        "PUT", f"/subscriptions/{sub()}/resourceGroups/rg-demo{P}/-bad", {"location": "x"}, api=API
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidResourceName"

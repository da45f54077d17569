"""Microsoft.Kusto against the official examples (tests/reference/arm-examples)."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError

from tests.emulator.helpers import client, example, missing_keys, raw, sub

API = "2025-02-14"
K = "/resourceGroups/rg-data/providers/Microsoft.Kusto/clusters/adxdemo"
EX = "Microsoft.Kusto/"


def _identity(name: str = "id-orders"):
    return client("msi").user_assigned_identities.create_or_update(
        "rg-demo", name, {"location": "westeurope"}
    )


def _grant(ident, role="Viewer", name="pa1", principal=None):
    return (
        client("kusto")
        .database_principal_assignments.begin_create_or_update(
            "rg-data",
            "adxdemo",
            "Orders",
            name,
            {
                "properties": {
                    "principalId": principal or ident.client_id,
                    "role": role,
                    "principalType": "App",
                    "tenantId": ident.tenant_id,
                }
            },
        )
        .result()
    )


def test_cluster_and_database_shapes(emu):
    cluster = raw("GET", f"/subscriptions/{sub()}{K}", api=API).json()
    skip = frozenset(
        {
            "systemData",
            "identity",
            "allowedFqdnList",
            "allowedIpRangeList",
            "enableAutoStop",
            "enableDiskEncryption",
            "enablePurge",
            "keyVaultProperties",
            "migrationCluster",
            "privateEndpointConnections",
            "publicIPType",
            "restrictOutboundNetworkAccess",
            "zoneStatus",
            "zones",
            "etag",
        }
    )
    assert missing_keys(cluster, example(EX + "KustoClustersGet.json"), skip) == []
    assert cluster["type"] == "Microsoft.Kusto/Clusters"
    db = raw("GET", f"/subscriptions/{sub()}{K}/databases/Orders", api=API).json()
    assert missing_keys(db, example(EX + "KustoDatabasesGet.json")) == []
    assert db["name"] == "adxdemo/Orders" and db["kind"] == "ReadWrite"
    sdk_db = client("kusto").databases.get("rg-data", "adxdemo", "Orders")
    assert type(sdk_db).__name__ == "ReadWriteDatabase"


def test_principal_assignment_is_an_lro_and_matches_the_example(emu):
    ident = _identity()
    emu.clear_log()
    pa = _grant(ident)
    routes = [
        (r["method"], r["route"], r["status"])
        for r in emu.requests()
        if not r["route"].startswith("entra")
    ]
    assert routes == [
        ("PUT", "kusto.principalAssignments.put", 201),
        ("GET", "arm.operationResults", 200),
        ("GET", "kusto.principalAssignments.get", 200),
    ]
    assert pa.provisioning_state == "Succeeded"
    assert pa.aad_object_id == ident.principal_id
    body = raw(
        "GET", f"/subscriptions/{sub()}{K}/databases/Orders/principalAssignments/pa1", api=API
    ).json()
    assert missing_keys(body, example(EX + "KustoDatabasePrincipalAssignmentsGet.json")) == []
    assert body["name"] == "adxdemo/Orders/pa1"
    assert "/Clusters/adxdemo/Databases/Orders/PrincipalAssignments/pa1" in body["id"]
    listed = raw(
        "GET", f"/subscriptions/{sub()}{K}/databases/Orders/principalAssignments", api=API
    ).json()
    assert missing_keys(listed, example(EX + "KustoDatabasePrincipalAssignmentsList.json")) == []


def test_object_id_is_accepted_as_principal_id_too(emu):
    ident = _identity()
    pa = _grant(ident, principal=ident.principal_id)
    assert pa.principal_id == ident.principal_id and pa.aad_object_id == ident.principal_id
    fqns = [
        p.fqn for p in client("kusto").databases.list_principals("rg-data", "adxdemo", "Orders")
    ]
    assert fqns == [f"aadapp={ident.client_id};{ident.tenant_id}"]


def test_invalid_role_and_unknown_principal_are_400_with_service_codes(emu):
    ident = _identity()
    with pytest.raises(HttpResponseError) as bad_role:
        _grant(ident, role="UnrestrictedViewers")
    assert bad_role.value.status_code == 400
    assert "principal role is invalid" in bad_role.value.error.message
    with pytest.raises(HttpResponseError) as unknown:
        _grant(ident, principal="11111111-2222-3333-4444-555555555555")
    assert unknown.value.error.code == "400-BadRequest"
    assert "was not found in AAD tenant" in unknown.value.error.message


def test_entra_propagation_delay_refuses_a_new_identity_for_a_while(emu):
    emu.world.clock.freeze()
    emu.knobs(entra_propagation_seconds=0.4)
    ident = _identity()
    with pytest.raises(HttpResponseError) as early:
        _grant(ident)
    assert "not found in AAD tenant" in early.value.error.message
    emu.world.clock.advance(0.45)
    assert _grant(ident).provisioning_state == "Succeeded"


def test_check_name_availability_and_delete_lro(emu):
    ident = _identity()
    _grant(ident)
    kusto = client("kusto")
    from azure.mgmt.kusto.models import DatabasePrincipalAssignmentCheckNameRequest as Check

    taken = kusto.database_principal_assignments.check_name_availability(
        "rg-data", "adxdemo", "Orders", Check(name="pa1")
    )
    free = kusto.database_principal_assignments.check_name_availability(
        "rg-data", "adxdemo", "Orders", Check(name="pa2")
    )
    # A plain dict lacks the required "type": refused, as the service would.
    with pytest.raises(HttpResponseError) as no_type:
        kusto.database_principal_assignments.check_name_availability(
            "rg-data", "adxdemo", "Orders", {"name": "pa2"}
        )
    assert no_type.value.status_code == 400
    assert (taken.name_available, taken.reason, free.name_available) == (
        False,
        "AlreadyExists",
        True,
    )
    r = raw(
        "POST",
        f"/subscriptions/{sub()}{K}/databases/Orders/checkPrincipalAssignmentNameAvailability",
        {"name": "pa1", "type": "Microsoft.Kusto/clusters/databases/principalAssignments"},
        api=API,
    ).json()
    ex = example(EX + "KustoDatabasePrincipalAssignmentsCheckNameAvailability.json")
    assert missing_keys(r, ex) == []
    kusto.database_principal_assignments.begin_delete(
        "rg-data", "adxdemo", "Orders", "pa1"
    ).result()
    assert list(kusto.database_principal_assignments.list("rg-data", "adxdemo", "Orders")) == []
    gone = raw(
        "DELETE", f"/subscriptions/{sub()}{K}/databases/Orders/principalAssignments/pa1", api=API
    )
    assert gone.status_code == 204


def test_list_principals_matches_the_legacy_example(emu):
    _grant(_identity())
    r = raw("POST", f"/subscriptions/{sub()}{K}/databases/Orders/listPrincipals", api=API)
    assert missing_keys(r.json(), example(EX + "KustoDatabaseListPrincipals.json")) == []


def test_failed_lro_raises_and_leaves_no_assignment(emu):
    ident = _identity()
    emu.faults(
        [
            {
                "route": "kusto.principalAssignments.put",
                "kind": "lro_failed",
                "times": 1,
                "code": "InternalServerError",
                "message": "Provisioning failed.",
            }
        ]
    )
    with pytest.raises(HttpResponseError) as err:
        _grant(ident)
    assert "failed" in str(err.value).lower()
    assert emu.database("adxdemo", "Orders")["principals"] == []


def test_operation_status_matches_the_example(emu):
    ident = _identity()
    emu.world.clock.freeze()
    emu.knobs(lro_seconds=0.3)
    put = raw(
        "PUT",
        f"/subscriptions/{sub()}{K}/databases/Orders/principalAssignments/pa9",
        {
            "properties": {
                "principalId": ident.client_id,
                "role": "Viewer",
                "principalType": "App",
                "tenantId": ident.tenant_id,
            }
        },
        api=API,
    )
    assert put.status_code == 201 and put.headers["Retry-After"] == "1"
    monitor = put.headers["Azure-AsyncOperation"].removeprefix(emu.url)
    running = raw("GET", monitor).json()
    emu.world.clock.advance(0.35)
    done = raw("GET", monitor).json()
    assert (running["status"], done["status"]) == ("Running", "Succeeded")
    ex = example(EX + "KustoOperationResultsGet.json")
    assert missing_keys(done, ex, frozenset({"error"})) == []  # error only when Failed
    # The role takes effect only once the operation has ended.
    assert (
        raw(
            "GET", f"/subscriptions/{sub()}{K}/databases/Orders/principalAssignments/pa9", api=API
        ).json()["properties"]["provisioningState"]
        == "Succeeded"
    )


def test_a_database_name_with_a_space_is_decoded_from_the_path(emu):
    """The SDK percent-encodes path segments (Sales%20Archive); ARM answers for the decoded
    name, as the service does, and returns it decoded in the body."""
    put = raw(
        "PUT",
        f"/subscriptions/{sub()}{K}/databases/Sales%20Archive",
        {"location": "westeurope", "kind": "ReadWrite"},
        api=API,
    )
    assert put.status_code in (200, 201), put.text
    assert put.json()["name"] == "adxdemo/Sales Archive"
    got = client("kusto").databases.get("rg-data", "adxdemo", "Sales Archive")
    assert got.name == "adxdemo/Sales Archive"
    ident = _identity()
    client("kusto").database_principal_assignments.begin_create_or_update(
        "rg-data",
        "adxdemo",
        "Sales Archive",
        "pa-space",
        {
            "properties": {
                "principalId": ident.client_id,
                "role": "Viewer",
                "principalType": "App",
                "tenantId": ident.tenant_id,
            }
        },
    ).result()
    listed = client("kusto").database_principal_assignments.list(
        "rg-data", "adxdemo", "Sales Archive"
    )
    assert [p.name for p in listed] == ["adxdemo/Sales Archive/pa-space"]


def test_an_assignment_reads_deleting_until_its_delete_operation_ends(emu):
    """A client that does not poll (az rest) reads the assignment back while the delete runs:
    Azure shows it Deleting (ProvisioningState in kusto.json), then it is gone."""
    ident = _identity()
    _grant(ident)
    emu.world.clock.freeze()  # the delete runs until the clock is moved on
    emu.knobs(lro_seconds=0.3)
    path = f"/subscriptions/{sub()}{K}/databases/Orders/principalAssignments/pa1"
    assert raw("DELETE", path, api=API).status_code == 202
    during = raw("GET", path, api=API)
    listed = raw("GET", path.rsplit("/", 1)[0], api=API).json()["value"]
    assert during.status_code == 200
    assert during.json()["properties"]["provisioningState"] == "Deleting"
    assert [a["properties"]["provisioningState"] for a in listed] == ["Deleting"]
    emu.world.clock.advance(0.35)
    assert raw("GET", path, api=API).status_code == 404
    assert raw("GET", path.rsplit("/", 1)[0], api=API).json()["value"] == []

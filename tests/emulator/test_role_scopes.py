"""Roles above and below a database in the emulator: ARM cluster principal assignments
(KustoClusterPrincipalAssignments*.json) and the data plane's table principals
(https://learn.microsoft.com/kusto/management/manage-table-security-roles)."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError
from azure.kusto.data.exceptions import KustoApiError, KustoServiceError
from azure.mgmt.kusto.models import ClusterPrincipalAssignmentCheckNameRequest

from tests.emulator.helpers import client, example, missing_keys, raw, sub
from tests.emulator.test_kusto_data import _identity_in_app, _kusto

API = "2025-02-14"
K = "/resourceGroups/rg-data/providers/Microsoft.Kusto/clusters/adxdemo"
EX = "Microsoft.Kusto/"


def _cluster_grant(ident, role="AllDatabasesViewer", name="cpa1"):
    return (
        client("kusto")
        .cluster_principal_assignments.begin_create_or_update(
            "rg-data",
            "adxdemo",
            name,
            {
                "properties": {
                    "principalId": ident.client_id,
                    "role": role,
                    "principalType": "App",
                    "tenantId": ident.tenant_id,
                }
            },
        )
        .result()
    )


def test_a_cluster_principal_assignment_is_an_lro_shaped_as_the_example(emu, monkeypatch):
    ident, kc = _identity_in_app(emu, monkeypatch, role=None)
    emu.clear_log()
    pa = _cluster_grant(ident)
    routes = [r["route"] for r in emu.requests() if not r["route"].startswith("entra")]
    assert routes == [
        "kusto.clusterPrincipalAssignments.put",
        "arm.operationResults",
        "kusto.clusterPrincipalAssignments.get",
    ]
    assert pa.provisioning_state == "Succeeded" and pa.aad_object_id == ident.principal_id
    body = raw("GET", f"/subscriptions/{sub()}{K}/principalAssignments/cpa1", api=API).json()
    assert missing_keys(body, example(EX + "KustoClusterPrincipalAssignmentsGet.json")) == []
    assert body["name"] == "adxdemo/cpa1"
    assert body["type"] == "Microsoft.Kusto/Clusters/PrincipalAssignments"
    listed = client("kusto").cluster_principal_assignments.list("rg-data", "adxdemo")
    assert [(p.name, p.role) for p in listed] == [("adxdemo/cpa1", "AllDatabasesViewer")]
    # Enforced on every database, as the role it implies: a viewer reads, and is no admin.
    assert kc.execute_query("Orders", "print x=1").primary_results[0][0]["x"] == 1
    assert kc.execute_query("Telemetry", "print x=1").primary_results[0][0]["x"] == 1
    roles = kc.execute_mgmt("Orders", ".show database Orders principal roles").primary_results[0]
    assert [r["Role"] for r in roles] == ["AllDatabasesViewer"]
    with pytest.raises(KustoApiError) as refused:
        kc.execute_mgmt("Orders", f".add database Orders viewers ('aadapp={ident.client_id}')")
    assert refused.value.http_response.status_code == 403


def test_a_database_role_is_refused_on_the_cluster_and_the_name_check_needs_its_type(emu):
    ident = client("msi").user_assigned_identities.create_or_update(
        "rg-demo", "id-x", {"location": "westeurope"}
    )
    with pytest.raises(HttpResponseError) as bad:
        _cluster_grant(ident, role="Viewer")
    assert bad.value.status_code == 400
    assert "Cluster principal role is invalid" in bad.value.error.message
    _cluster_grant(ident, name="taken")
    ops = client("kusto").cluster_principal_assignments
    check = ops.check_name_availability(
        "rg-data", "adxdemo", ClusterPrincipalAssignmentCheckNameRequest(name="taken")
    )
    assert check.name_available is False and "already taken" in check.message
    wrong = raw(
        "POST",
        f"/subscriptions/{sub()}{K}/checkPrincipalAssignmentNameAvailability",
        api=API,
        body={"name": "x", "type": "Microsoft.Kusto/clusters/databases/principalAssignments"},
    )
    assert wrong.status_code == 400
    ops.begin_delete("rg-data", "adxdemo", "taken").result()
    assert list(ops.list("rg-data", "adxdemo")) == []


def test_table_principals_hold_on_their_table_alone(emu, monkeypatch):
    ident, kc = _identity_in_app(emu, monkeypatch, role=None)
    admin = _kusto()
    fqn = f"aadapp={ident.client_id};{ident.tenant_id}"
    rows = admin.execute_mgmt("Orders", f".add table Events ingestors ('{fqn}') 'by test'")
    [row] = rows.primary_results[0]
    assert row["Role"].split()[-1] == "Ingestor" and row["PrincipalFQN"] == fqn
    assert row["Notes"] == "by test"
    shown = admin.execute_mgmt("Orders", ".show table Events principals").primary_results[0]
    assert [r["PrincipalFQN"] for r in shown] == [fqn]
    assert (
        list(admin.execute_mgmt("Orders", ".show table Orders principals").primary_results[0]) == []
    )
    own = kc.execute_mgmt("Orders", ".show table Events principal roles").primary_results[0]
    assert [(r["Scope"], r["Role"]) for r in own] == [("Table Orders.Events", "Ingestor")]
    for csl in (".show table Orders principal roles", ".show database Orders principal roles"):
        with pytest.raises(KustoApiError) as refused:
            kc.execute_mgmt("Orders", csl)
        assert refused.value.http_response.status_code == 403
    admin.execute_mgmt("Orders", f".drop table Events ingestors ('{fqn}')")
    assert (
        list(admin.execute_mgmt("Orders", ".show table Events principals").primary_results[0]) == []
    )


def test_a_table_that_does_not_exist_is_kustos_404(emu):
    """A 404 with EntityNameDoesNotExistException (azure-kusto-data reads any 404 as "the
    requested endpoint does not exist"; the body says which entity)."""
    with pytest.raises(KustoServiceError) as missing:
        _kusto().execute_mgmt("Orders", ".show table Nope principals")
    response = missing.value.http_response
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["@message"] == "Entity name 'Nope' of kind 'Table' does not exist."
    assert error["@type"] == "Kusto.Common.Svc.Exceptions.EntityNameDoesNotExistException"


def test_only_an_admin_adds_table_principals(emu, monkeypatch):
    ident, kc = _identity_in_app(emu, monkeypatch, role="Viewer")
    with pytest.raises(KustoApiError) as refused:
        kc.execute_mgmt("Orders", f".add table Events ingestors ('aadapp={ident.client_id}')")
    assert refused.value.http_response.status_code == 403
    assert "Add or drop table principals" in str(refused.value)

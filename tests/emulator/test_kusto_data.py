"""The Kusto data plane, driven by azure-kusto-data, against the samples in
tests/reference/kusto-samples (https://learn.microsoft.com/kusto/api/rest/response-v2)."""

from __future__ import annotations

import json

import pytest
import requests
from azure.identity import ManagedIdentityCredential
from azure.kusto.data import KustoClient, KustoConnectionStringBuilder
from azure.kusto.data.exceptions import KustoApiError, KustoServiceError

from tests.conftest import REFERENCE
from tests.emulator.helpers import client, credential, raw, sub

SAMPLES = REFERENCE / "kusto-samples"


def _uri() -> str:
    return client("kusto").clusters.get("rg-data", "adxdemo").uri


def _kusto(cred=None) -> KustoClient:
    return KustoClient(
        KustoConnectionStringBuilder.with_azure_token_credential(_uri(), cred or credential())
    )


def _identity_in_app(emu, monkeypatch, role: str | None = "Viewer", name="id-orders"):
    ident = client("msi").user_assigned_identities.create_or_update(
        "rg-demo", name, {"location": "westeurope"}
    )
    client("web").web_apps.update(
        "rg-demo",
        "func-orders",
        {
            "identity": {
                "type": "SystemAssigned, UserAssigned",
                "userAssignedIdentities": {ident.id: {}},
            }
        },
    )
    if role:
        client("kusto").database_principal_assignments.begin_create_or_update(
            "rg-data",
            "adxdemo",
            "Orders",
            f"pa-{role.lower()}",
            {
                "properties": {
                    "principalId": ident.client_id,
                    "role": role,
                    "principalType": "App",
                    "tenantId": ident.tenant_id,
                }
            },
        ).result()
    for k, v in emu.app_env("func-orders", "rg-demo").items():
        monkeypatch.setenv(k, v)
    return ident, _kusto(ManagedIdentityCredential(client_id=ident.client_id))


def test_show_version_matches_the_sdk_sample(emu):
    result = _kusto().execute_mgmt("Orders", ".show version").primary_results[0]
    sample = json.loads((SAMPLES / "versionshowcommandresult.json").read_text())
    assert [c.column_name for c in result.columns] == [
        c["ColumnName"] for c in sample["Tables"][0]["Columns"]
    ]
    assert result.rows[0]["ServiceType"] == "Engine"


def test_query_frames_follow_the_v2_sample(emu, monkeypatch):
    ident, kc = _identity_in_app(emu, monkeypatch)
    result = kc.execute_query("Orders", "print ok = 'yes', n = 2").primary_results[0]
    assert (result.rows[0]["ok"], result.rows[0]["n"]) == ("yes", 2)
    token = (
        ManagedIdentityCredential(client_id=ident.client_id)
        .get_token("https://kusto.kusto.windows.net/.default")
        .token
    )
    frames = requests.post(
        _uri() + "/v2/rest/query",
        json={"db": "Orders", "csl": "print 1"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).json()
    sample = json.loads((SAMPLES / "zero_results.json").read_text())
    assert [f["FrameType"] for f in frames] == [f["FrameType"] for f in sample]
    assert [f.get("TableKind") for f in frames] == [f.get("TableKind") for f in sample]
    qci = next(f for f in frames if f.get("TableKind") == "QueryCompletionInformation")
    sample_qci = next(f for f in sample if f.get("TableKind") == "QueryCompletionInformation")
    assert [c["ColumnName"] for c in qci["Columns"]] == [
        c["ColumnName"] for c in sample_qci["Columns"]
    ]
    assert list(frames[2]) == ["FrameType", "TableId", "TableKind", "TableName", "Columns", "Rows"]


def test_ingestor_cannot_query_but_sees_its_role(emu, monkeypatch):
    ident, kc = _identity_in_app(emu, monkeypatch, role="Ingestor")
    with pytest.raises(KustoApiError) as err:
        kc.execute_query("Orders", "print 1")
    fqn = f"aadapp={ident.client_id};{ident.tenant_id}"
    assert err.value.http_response.status_code == 403
    assert str(err.value) == f"Principal '{fqn}' is not authorized to read database 'Orders'."
    assert err.value.get_api_error().code == "Forbidden"
    roles = kc.execute_mgmt("Orders", ".show database Orders principal roles").primary_results[0]
    assert [r["Role"] for r in roles] == ["Ingestor"]


def test_no_role_is_403_everywhere(emu, monkeypatch):
    _, kc = _identity_in_app(emu, monkeypatch, role=None)
    for run, csl in (
        (kc.execute_query, "print 1"),
        (kc.execute_mgmt, ".show database Orders principal roles"),
        (kc.execute_mgmt, ".show version"),
    ):
        with pytest.raises(KustoApiError) as err:
            run("Orders", csl)
        assert err.value.http_response.status_code == 403


def test_kql_add_and_arm_share_one_state(emu, monkeypatch):
    ident, kc = _identity_in_app(emu, monkeypatch, role=None)
    admin = _kusto()
    fqn = f"aadapp={ident.client_id};{ident.tenant_id}"
    table = admin.execute_mgmt("Orders", f".add database Orders viewers ('{fqn}') 'by test'")
    rows = table.primary_results[0]
    assert [c.column_name for c in rows.columns] == [
        "Role",
        "PrincipalType",
        "PrincipalDisplayName",
        "PrincipalObjectId",
        "PrincipalFQN",
        "Notes",
    ]
    assert rows[0]["Role"] == "Database Orders Viewer" and rows[0]["Notes"] == "by test"
    assert kc.execute_query("Orders", "print 1").primary_results[0].rows[0][0] == 1
    # The legacy ARM list shows it; principal assignments list only ARM-made ones.
    kusto = client("kusto")
    assert [p.fqn for p in kusto.databases.list_principals("rg-data", "adxdemo", "Orders")] == [fqn]
    assert list(kusto.database_principal_assignments.list("rg-data", "adxdemo", "Orders")) == []
    admin.execute_mgmt("Orders", f".drop database Orders viewers ('{fqn}')")
    with pytest.raises(KustoApiError):
        kc.execute_query("Orders", "print 1")


def test_role_propagation_delay(emu, monkeypatch):
    emu.world.clock.freeze()
    emu.knobs(role_propagation_seconds=0.6)
    _, kc = _identity_in_app(emu, monkeypatch)
    with pytest.raises(KustoApiError):
        kc.execute_query("Orders", "print 1")
    emu.world.clock.advance(0.65)
    assert kc.execute_query("Orders", "print 1").primary_results[0].rows[0][0] == 1


def test_401_without_a_valid_token(emu):
    for headers in (
        {},
        {
            "Authorization": "Bearer "
            + credential().get_token("https://management.azure.com/.default").token
        },
    ):
        r = requests.post(
            _uri() + "/v1/rest/mgmt",
            json={"db": "Orders", "csl": ".show version"},
            headers=headers,
            timeout=10,
        )
        assert r.status_code == 401


def test_unsupported_commands_and_bad_input_are_kusto_400s_not_key_errors(emu):
    admin = _kusto()
    for csl in (
        ".show tables",
        ".set database Orders viewers none",
        ".add database Orders viewers ('aadapp=x') 'a'; .drop database Orders admins ('b')",
        "Orders | take 1",
    ):
        run = admin.execute_query if not csl.startswith(".") else admin.execute_mgmt
        with pytest.raises(KustoServiceError) as err:
            run("Orders", csl)
        assert err.value.http_response.status_code == 400, csl
    with pytest.raises(KustoApiError) as missing:
        admin.execute_mgmt("Orders", ".show database Nope principals")
    assert missing.value.get_api_error().code == "BadRequest_DatabaseNotExist"


def test_error_body_has_the_documented_keys(emu):
    token = credential().get_token("https://kusto.kusto.windows.net/.default").token
    r = requests.post(
        _uri() + "/v1/rest/mgmt",
        json={"db": "Orders", "csl": ".show tables"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    sample = json.loads((SAMPLES / "docs_response-v2_http_error_example.json").read_text())
    assert {"code", "message", "@type", "@message", "@context", "@permanent"} <= set(
        r.json()["error"]
    )
    assert set(r.json()["error"]["@context"]) == set(sample["error"]["@context"])
    assert r.headers["x-ms-activity-id"]


def test_bracketed_names_and_escaped_strings_parse_as_kql(emu):
    from kustomi.emulator.kql import Token, tokenize

    toks = tokenize(r".add database ['we\'ird; db'] viewers ('a') 'note \' ; .drop'")
    assert Token("name", "we'ird; db") in toks
    assert toks[-1] == Token("string", "note ' ; .drop")


def test_auth_metadata_has_all_six_keys(emu):
    meta = requests.get(emu.url + "/v1/rest/auth/metadata", timeout=10).json()["AzureAD"]
    assert set(meta) == {
        "LoginEndpoint",
        "LoginMfaRequired",
        "KustoClientAppId",
        "KustoClientRedirectUri",
        "KustoServiceResourceId",
        "FirstPartyAuthorityUrl",
    }


def test_the_request_log_tells_writes_from_reads(emu):
    """The zero-writes assertions of the CLI tests rest on this predicate: it must see writes."""
    ident = client("msi").user_assigned_identities.create_or_update(
        "rg-demo", "id-w", {"location": "westeurope"}
    )
    client("web").web_apps.list_application_settings("rg-demo", "func-orders")
    admin = _kusto()
    admin.execute_mgmt("Orders", ".show database Orders principals")
    admin.execute_mgmt("Orders", f".add database Orders viewers ('aadapp={ident.client_id}')")
    assert [w["route"] for w in emu.writes()] == ["msi.identities.put", "kusto.data.mgmt"]


def _assignment_put_nobody_polls(ident):
    """A principal-assignment PUT sent raw, as a client that never polls would."""
    path = (
        f"/subscriptions/{sub()}/resourceGroups/rg-data/providers/Microsoft.Kusto/clusters/"
        "adxdemo/databases/Orders/principalAssignments/pa-raw"
    )
    body = {
        "properties": {
            "principalId": ident.client_id,
            "role": "Viewer",
            "principalType": "App",
            "tenantId": ident.tenant_id,
        }
    }
    return path, raw("PUT", path, body, api="2025-02-14")


def test_an_assignment_takes_effect_after_its_operation_even_if_nobody_polls(emu, monkeypatch):
    """In Azure the operation runs on the server; polling only reads its status."""
    emu.world.clock.freeze()
    emu.knobs(lro_seconds=0.4)
    ident, kc = _identity_in_app(emu, monkeypatch, role=None)
    path, put = _assignment_put_nobody_polls(ident)
    assert put.status_code == 201 and put.json()["properties"]["provisioningState"] == "Creating"
    with pytest.raises(KustoApiError):  # not enforced while the operation runs
        kc.execute_query("Orders", "print 1")
    emu.world.clock.advance(0.45)
    assert kc.execute_query("Orders", "print 1").primary_results[0].rows[0][0] == 1
    assert not any(r["route"] == "arm.operationResults" for r in emu.requests())
    got = raw("GET", path, api="2025-02-14").json()
    assert got["properties"]["provisioningState"] == "Succeeded"


def test_a_deleted_assignment_stops_being_enforced_once_the_delete_finished(emu, monkeypatch):
    ident, kc = _identity_in_app(emu, monkeypatch, role=None)
    path, _ = _assignment_put_nobody_polls(ident)
    assert kc.execute_query("Orders", "print 1").primary_results[0].rows[0][0] == 1
    emu.world.clock.freeze()
    emu.knobs(lro_seconds=0.4)
    deleted = raw("DELETE", path, api="2025-02-14")
    assert deleted.status_code == 202 and "Azure-AsyncOperation" in deleted.headers
    assert kc.execute_query("Orders", "print 1").primary_results[0].rows[0][0] == 1
    emu.world.clock.advance(0.45)
    with pytest.raises(KustoApiError):
        kc.execute_query("Orders", "print 1")
    assert raw("GET", path, api="2025-02-14").status_code == 404
    assert not any(r["route"] == "arm.operationResults" for r in emu.requests())

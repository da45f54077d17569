"""Exit codes and messages for each error class: not found (3), no rights (4), service errors
after retries (5). Bad input (2, nothing sent) has its catalogue in test_bad_input.py."""

from __future__ import annotations

import pytest

from tests.cli.worlds import busy_world
from tests.conftest import CL, G


def test_a_public_cloud_rejects_a_non_kusto_host(world, kustomi, monkeypatch):
    for k in ("KUSTOMI_ARM_ENDPOINT", "AZURE_AUTHORITY_HOST"):
        monkeypatch.delenv(k)
    r = kustomi(
        "set-connection",
        "--app",
        "func-busy",
        *G,
        "--cluster",
        "https://adx.example.com",
        "--database",
        "Sales",
    )
    assert r.exit_code == 2 and "is not a Kusto host of AzureCloud" in r.stderr


def test_reader_operator_gets_exit_4_naming_principal_and_right(emu_factory, kustomi):
    world = emu_factory(busy_world(operators=[{"name": "reader", "role": "Reader"}]))
    r = kustomi("create-identity", *G, "-n", "id-func")
    assert r.exit_code == 4
    assert world.env["AZURE_CLIENT_ID"] in r.stderr
    assert "Microsoft.ManagedIdentity/userAssignedIdentities/write" in r.stderr
    assert "Not done: create identity rg-app/id-func" in r.stderr


def test_persistent_5xx_is_exit_5_saying_what_was_and_was_not_done(world, kustomi, monkeypatch):
    monkeypatch.setenv("KUSTOMI_RETRIES", "1")
    world.faults([{"route": "web.appsettings.put", "status": 503}])
    r = kustomi("set-connection", "--app", "func-busy", *G, *CL, "--database", "Sales")
    assert r.exit_code == 5
    assert "writing app settings of func-busy" in r.stderr
    assert "Done before the error: nothing" in r.stderr
    assert "Not done: create setting KustoConnectionStringManagedIdentity" in r.stderr
    puts = [x for x in world.requests() if x["route"] == "web.appsettings.put"]
    assert len(puts) == 2  # one try and one SDK retry


def test_throttling_is_retried_and_said(world, kustomi):
    world.faults([{"route": "web.sites.get", "status": 429, "retry_after": 1, "times": 1}])
    r = kustomi("-o", "json", "attach", "--app", "func-busy", *G, "--identity", "id-other")
    assert r.exit_code == 0, r.stderr
    assert [x["status"] for x in world.requests() if x["route"] == "web.sites.get"] == [429, 200]
    assert "Azure answered 429 (throttled); retrying in 1s" in r.stderr


def test_throttling_does_not_spend_the_retries_meant_for_errors(world, kustomi, monkeypatch):
    monkeypatch.setenv("KUSTOMI_RETRIES", "0")
    world.faults([{"route": "web.sites.get", "status": 429, "retry_after": 0.05, "times": 3}])
    r = kustomi("-o", "json", "attach", "--app", "func-busy", *G, "--identity", "id-other")
    assert r.exit_code == 0, r.stderr
    statuses = [x["status"] for x in world.requests() if x["route"] == "web.sites.get"]
    assert statuses == [429, 429, 429, 200]


def test_a_dropped_connection_is_retried_and_said(world, kustomi):
    world.faults([{"route": "msi.identities.get", "kind": "drop", "times": 1}])
    r = kustomi("-o", "json", "create-identity", *G, "-n", "id-func")
    assert r.exit_code == 0, r.stderr
    assert "the connection failed; retrying in" in r.stderr


def test_failed_lro_is_exit_5(world, kustomi):
    kustomi("create-identity", *G, "-n", "id-func")
    world.faults([{"route": "kusto.principalAssignments.put", "kind": "lro_failed", "times": 1}])
    r = kustomi(
        "grant", "--role", "viewer", "--identity", "id-func", *G, *CL, "--database", "Sales"
    )
    assert r.exit_code == 5 and "Not done: create Viewer on adxbusy/Sales" in r.stderr
    assert world.database("adxbusy", "Sales")["principals"] == []


def test_no_sign_in_is_exit_4(world, kustomi, monkeypatch):
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "wrong-secret")
    r = kustomi("attach", "--app", "func-busy", *G, "--identity", "id-other")
    assert r.exit_code == 4 and "could not sign in" in r.stderr
    assert "wrong-secret" not in r.stderr


def test_no_subscription_is_exit_2(world, kustomi, monkeypatch):
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID")
    r = kustomi("attach", "--app", "func-busy", *G, "--identity", "id-other")
    assert r.exit_code == 2 and "--subscription" in r.stderr


COMMANDS = {
    "create-identity": ("create-identity", *G, "-n", "id-new"),
    "grant": (
        "grant",
        "--role",
        "viewer",
        "--identity",
        "id-other",
        *G,
        *CL,
        "--database",
        "Sales",
    ),
    "attach": ("attach", "--app", "func-busy", *G, "--identity", "id-other", "--slot", "staging2"),
    "set-connection": ("set-connection", "--app", "func-busy", *G, *CL, "--database", "Sales"),
}


@pytest.mark.parametrize("name", ["grant", "set-connection"])
def test_every_writing_command_is_exit_4_for_a_reader(emu_factory, kustomi, name):
    world = emu_factory(busy_world(operators=[{"name": "reader", "role": "Reader"}]))
    r = kustomi(*COMMANDS[name])
    assert r.exit_code == 4, r.stderr
    assert world.env["AZURE_CLIENT_ID"] in r.stderr and "does not have authorization" in r.stderr


def test_attach_as_reader_is_exit_4(emu_factory, kustomi):
    world = emu_factory(busy_world(operators=[{"name": "reader", "role": "Reader"}]))
    r = kustomi("attach", "--app", "func-busy", *G, "--identity", "id-other", "--slot", "staging")
    assert r.exit_code == 0  # already attached to the slot: a read is enough
    world.world.sites[("rg-app", "func-busy", "staging")].user_assigned.clear()
    r = kustomi("attach", "--app", "func-busy", *G, "--identity", "id-other", "--slot", "staging")
    assert r.exit_code == 4 and "Microsoft.Web/sites/slots/write" in r.stderr


@pytest.mark.parametrize(
    ("name", "route"),
    [
        ("create-identity", "msi.identities.put"),
        ("grant", "kusto.principalAssignments.put"),
        ("set-connection", "web.appsettings.put"),
    ],
)
def test_every_writing_command_is_exit_5_on_persistent_5xx(
    world, kustomi, monkeypatch, name, route
):
    monkeypatch.setenv("KUSTOMI_RETRIES", "1")
    world.faults([{"route": route, "status": 500}])
    r = kustomi(*COMMANDS[name])
    assert r.exit_code == 5, r.stderr
    assert "Not done:" in r.stderr and "Rerunning the same command is safe" in r.stderr


def test_attach_is_exit_5_on_persistent_5xx(world, kustomi, monkeypatch):
    monkeypatch.setenv("KUSTOMI_RETRIES", "1")
    world.world.sites[("rg-app", "func-busy", "staging")].user_assigned.clear()
    world.faults([{"route": "web.slots.patch", "status": 503}])
    r = kustomi("attach", "--app", "func-busy", *G, "--identity", "id-other", "--slot", "staging")
    assert r.exit_code == 5 and "Not done: update identity id-other" in r.stderr


def test_missing_app_for_set_connection_and_slot_for_attach_is_exit_3(world, kustomi):
    r = kustomi("set-connection", "--app", "func-nope", *G, *CL, "--database", "Sales")
    assert r.exit_code == 3 and "func-nope" in r.stderr
    r = kustomi(*COMMANDS["attach"])
    assert r.exit_code == 3 and "staging2" in r.stderr


def test_an_incomplete_answer_from_azure_is_a_service_error(emu, kustomi):
    """An identity without a client id is Azure's answer at fault: exit 5, naming the field."""
    sub = emu.env["AZURE_SUBSCRIPTION_ID"]
    body = {
        "id": f"/subscriptions/{sub}/resourceGroups/rg-demo/providers/"
        "Microsoft.ManagedIdentity/userAssignedIdentities/id-bug",
        "name": "id-bug",
        "type": "Microsoft.ManagedIdentity/userAssignedIdentities",
        "location": "westeurope",
        "properties": {},
    }
    emu.faults([{"route": "msi.identities.get", "kind": "body", "body": body}])
    r = kustomi("create-identity", "-g", "rg-demo", "-n", "id-bug")
    assert r.exit_code == 5, r.stderr
    assert "Azure answered something kustomi cannot read: the answer has no clientId" in r.stderr


def test_a_kusto_answer_of_the_wrong_shape_is_unreadable_not_a_bug(emu, kustomi):
    """A Kusto table whose rows are shorter than its columns: kustomi's row reader
    (zip(..., strict=True)) cannot read it. That is Azure's answer, said as such (exit 5,
    naming the request), never "a bug in kustomi" (exit 1)."""
    r = kustomi("create-identity", "-g", "rg-demo", "-n", "id-func")
    assert r.exit_code == 0, r.stderr
    columns = [{"ColumnName": n, "DataType": "String"} for n in ("Role", "PrincipalFQN")]
    table = {"TableName": "Table_0", "Columns": columns, "Rows": [["Viewer"]]}
    emu.faults([{"route": "kusto.data.mgmt", "kind": "body", "body": {"Tables": [table]}}])
    uri = f"{emu.url}/kusto/adxdemo"
    r = kustomi(
        "grant", "--role", "viewer", "--identity", "id-func", "-g", "rg-demo",
        "--cluster", uri, "--database", "Orders", "--via", "kql",
    )  # fmt: skip
    assert r.exit_code == 5, r.stderr
    assert "Azure answered something kustomi cannot read (Kusto)" in r.stderr
    assert "/v1/rest/mgmt (.show database" in r.stderr
    assert "bug in kustomi" not in r.stderr and "Traceback" not in r.stderr


def test_a_read_failure_of_kustomi_own_code_is_a_bug_and_one_of_an_sdk_is_an_answer():
    """The line between the two: a KeyError raised in kustomi's code, outside a wrapped SDK
    call, is a bug (None: exit 1); the same raised inside an SDK module is its answer's."""
    from kustomi.azure.errors import classify
    from kustomi.errors import UnreadableAnswer

    try:
        {}["Tables"]
    except KeyError as e:
        assert classify(e) is None
    namespace = {"__name__": "azure.kusto.data.response"}
    exec("def read(doc):\n    return doc['Tables']", namespace)
    try:
        namespace["read"]({})  # type: ignore[operator]
    except KeyError as e:
        assert isinstance(classify(e), UnreadableAnswer)


def test_an_untrusted_certificate_is_a_tls_error_not_a_sign_in_problem(emu, kustomi, monkeypatch):
    """A CA file that does not sign the endpoint's certificate (here: a CA of its own) is said
    as a TLS failure with the REQUESTS_CA_BUNDLE hint, exit 5, not "run az login" (exit 4)."""
    import trustme

    other = emu.running.state_dir / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other))
    r = kustomi("create-identity", "-g", "rg-demo", "-n", "id-tls")
    assert r.exit_code == 5, r.stderr
    assert "REQUESTS_CA_BUNDLE" in r.stderr and "az login" not in r.stderr


def test_an_unknown_subscription_is_said_as_such(emu, kustomi):
    other = "11111111-1111-1111-1111-111111111111"
    r = kustomi("--subscription", other, "create-identity", "-g", "rg-demo", "-n", "id-sub")
    assert r.exit_code == 3, r.stderr
    assert f"subscription '{other}' could not be found" in r.stderr
    assert "az account list" in r.stderr and "az group create" not in r.stderr


@pytest.mark.parametrize("route", ["entra.openid", "entra.token"])
def test_a_5xx_from_entra_is_a_service_error_not_a_sign_in_problem(
    emu, kustomi, monkeypatch, route
):
    """Whichever of Entra's requests fails (MSAL's authority metadata or the token itself), a
    500 is said as Entra's server error (exit 5), not as "run az login" (exit 4)."""
    monkeypatch.setenv("KUSTOMI_RETRIES", "1")  # the sign-in's retries: one is enough here
    emu.faults([{"route": route, "status": 500}])
    r = kustomi("create-identity", "-g", "rg-demo", "-n", "id-entra")
    assert r.exit_code == 5, r.stderr
    assert "Entra answered with a server error" in r.stderr and "az login" not in r.stderr

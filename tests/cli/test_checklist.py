"""The four checklist commands against the emulator, asserting output, exit code and the
emulator's state afterwards."""

from __future__ import annotations

from typing import Any

from tests.cli.worlds import TWENTY_SETTINGS, busy_world
from tests.conftest import CL, G


def _grant(role: str) -> tuple[str, ...]:
    return ("grant", "--role", role, "--identity", "id-func", *G, *CL, "--database", "Sales")


GRANT_VIEWER = _grant("viewer")
SET_CONNECTION = ("set-connection", "--app", "func-busy", *G, *CL, "--database", "Sales")


def _identity(kustomi, name="id-func"):
    r = kustomi("-o", "json", "create-identity", *G, "-n", name)
    assert r.exit_code == 0, r.stderr
    return r.json()["data"]


def _uri(world) -> str:
    return f"{world.url}/kusto/adxbusy"


# --- create-identity ------------------------------------------------------------------------


def test_create_identity_first_run_then_reuse_with_zero_writes(world, kustomi):
    first = kustomi("-o", "json", "create-identity", *G, "-n", "id-func")
    assert first.exit_code == 0
    data = first.json()["data"]
    assert [c["kind"] for c in first.json()["changes"]] == ["create"]
    assert data["location"] == "westeurope"  # the resource group's
    assert data["principalFqn"] == f"aadapp={data['clientId']};{data['tenantId']}"
    assert data["clientId"] != data["principalId"]
    world.clear_log()
    again = kustomi("-o", "json", "create-identity", *G, "-n", "id-func")
    assert again.exit_code == 0 and again.json()["changes"][0]["kind"] == "none"
    assert again.json()["data"]["clientId"] == data["clientId"]
    assert world.writes() == []
    assert len([r for r in world.requests() if not r["route"].startswith("entra")]) == 1


def test_create_identity_dry_run_writes_nothing(world, kustomi):
    r = kustomi("--dry-run", "-o", "json", "create-identity", *G, "-n", "id-func")
    assert r.exit_code == 0 and r.json()["dryRun"] is True
    assert r.json()["changes"][0]["kind"] == "create"
    assert world.writes() == []
    assert not [i for i in world.state()["identities"] if i["name"] == "id-func"]


def test_create_identity_table_output(world, kustomi):
    r = kustomi("-o", "table", "create-identity", *G, "-n", "id-func", "--location", "northeurope")
    assert r.exit_code == 0
    assert "+ create" in r.stdout and "clientId" in r.stdout and "northeurope" in r.stdout


def test_create_identity_missing_resource_group_is_exit_3(world, kustomi):
    r = kustomi("create-identity", "-g", "rg-nope", "-n", "id-func")
    assert r.exit_code == 3
    assert "Resource group 'rg-nope' could not be found" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout


# --- grant ----------------------------------------------------------------------------------


def test_grant_via_arm_first_second_and_another_role(world, kustomi):
    ident = _identity(kustomi)
    world.clear_log()
    first = kustomi(
        "-o",
        "json",
        *GRANT_VIEWER,
    )
    assert first.exit_code == 0, first.stderr
    out = first.json()
    assert out["changes"][0]["kind"] == "create"
    assert out["data"]["assignment"] == f"kustomi-viewer-{ident['clientId']}"
    for key in ("clientId", "principalId", "tenantId", "principalFqn"):
        assert out["data"][key] == ident[key]
    assert out["data"]["identityResourceId"] == ident["resourceId"]
    assert any(r["route"] == "kusto.principalAssignments.checkName" for r in world.requests())
    [p] = world.database("adxbusy", "Sales")["principals"]
    assert (p["role"], p["principal_id"], p["type"]) == ("Viewer", ident["clientId"], "App")
    world.clear_log()
    again = kustomi(
        "-o",
        "json",
        *_grant("Viewer"),
    )
    assert again.exit_code == 0 and again.json()["changes"][0]["kind"] == "none"
    assert world.writes() == []
    # Two reads: the identity, and the database's assignments (a named cluster needs no GET).
    assert [r["route"] for r in world.requests() if not r["route"].startswith("entra.")] == [
        "msi.identities.get",
        "kusto.principalAssignments.list",
    ]
    other = kustomi(
        "-o",
        "json",
        *_grant("ingestor"),
    )
    assert other.exit_code == 0
    roles = sorted(p["role"] for p in world.database("adxbusy", "Sales")["principals"])
    assert roles == ["Ingestor", "Viewer"]


def test_grant_counts_an_assignment_by_object_id_as_done(world, kustomi):
    from tests.emulator.helpers import client

    ident = _identity(kustomi)
    client("kusto").database_principal_assignments.begin_create_or_update(
        "rg-data",
        "adxbusy",
        "Sales",
        "made-by-hand",
        {
            "properties": {
                "principalId": ident["principalId"],
                "role": "Viewer",
                "principalType": "App",
                "tenantId": ident["tenantId"],
            }
        },
    ).result()
    world.clear_log()
    r = kustomi(
        "-o",
        "json",
        *GRANT_VIEWER,
    )
    assert r.exit_code == 0 and r.json()["changes"][0]["kind"] == "none"
    assert r.json()["data"]["assignment"] == "made-by-hand"
    assert world.writes() == []


def test_grant_by_cluster_uri_and_identity_resource_id(world, kustomi):
    ident = _identity(kustomi)
    r = kustomi(
        "-o",
        "json",
        "grant",
        "--role",
        "user",
        "--identity",
        ident["resourceId"],
        "--cluster",
        _uri(world),
        "--database",
        "Sales",
    )
    assert r.exit_code == 0, r.stderr
    assert r.json()["data"]["cluster"] == "adxbusy"


def test_grant_dry_run_writes_nothing(world, kustomi):
    _identity(kustomi)
    world.clear_log()
    r = kustomi(
        "--dry-run",
        "-o",
        "json",
        *GRANT_VIEWER,
    )
    assert r.exit_code == 0 and r.json()["changes"][0]["kind"] == "create"
    assert world.writes() == []
    assert world.database("adxbusy", "Sales")["principals"] == []


def test_grant_says_it_waits_for_a_slow_principal_assignment(world, kustomi, monkeypatch):
    """The assignment is an LRO polled every Retry-After (0.1 s here): past the progress
    interval (KUSTOMI_PROGRESS_SECONDS, 5 s unless set), a line says so."""
    monkeypatch.setenv("KUSTOMI_PROGRESS_SECONDS", "0.5")
    # The operation's clock moves 0.1 s a poll: it ends after eight polls, however slow the
    # machine, and the half second of real time before the line always passes first.
    world.world.clock.freeze()
    world.knobs(lro_seconds=0.8, lro_retry_after=0.1)
    world.faults([{"route": "arm.operationResults", "kind": "tick", "seconds": 0.1}])
    _identity(kustomi)
    r = kustomi("-o", "json", *GRANT_VIEWER)
    assert r.exit_code == 0, r.stderr
    assert "waiting for Azure to finish principal assignment kustomi-viewer-" in r.stderr
    polls = [x for x in world.requests() if x["route"] == "arm.operationResults"]
    assert len(polls) >= 5
    assert world.database("adxbusy", "Sales")["principals"][0]["role"] == "Viewer"


def test_grant_retries_while_entra_does_not_know_the_identity(world, kustomi):
    # Entra's clock moves 0.5 s with each refused PUT: the first is always refused.
    world.world.clock.freeze()
    world.knobs(entra_propagation_seconds=0.8)
    world.faults([{"route": "kusto.principalAssignments.put", "kind": "tick", "seconds": 0.5}])
    _identity(kustomi)
    r = kustomi(
        "-o",
        "json",
        *GRANT_VIEWER,
    )
    assert r.exit_code == 0, r.stderr
    assert "waiting for Entra to know identity id-func" in r.stderr
    assert len(world.database("adxbusy", "Sales")["principals"]) == 1


def test_grant_gives_up_on_entra_with_a_hint(world, kustomi):
    world.knobs(entra_propagation_seconds=60)
    _identity(kustomi)
    r = kustomi(
        *GRANT_VIEWER,
        "--entra-timeout",
        "2",
    )
    assert r.exit_code == 5
    assert "Entra still does not know identity id-func" in r.stderr
    assert "rerun the same command" in r.stderr


def test_grant_via_kql_first_second_and_quoting(world, kustomi):
    ident = _identity(kustomi)
    args = (
        "--role",
        "viewer",
        "--identity",
        "id-func",
        *G,
        "--cluster",
        _uri(world),
        "--database",
        "Sales Archive-2.0",
        "--via",
        "kql",
        "--note",
        "it's; .drop x",
    )
    first = kustomi("-o", "json", "grant", *args)
    assert first.exit_code == 0, first.stderr
    [p] = world.database("adxbusy", "Sales Archive-2.0")["principals"]
    assert p["fqn"] == ident["principalFqn"] and p["notes"] == "it's; .drop x"
    csl = [r["csl"] for r in world.requests() if r["route"] == "kusto.data.mgmt"]
    assert csl[-1].startswith(".add database ['Sales Archive-2.0'] viewers (")
    assert not any(c.lstrip().startswith(".set") for c in csl)
    world.clear_log()
    again = kustomi("-o", "json", "grant", *args)
    assert again.exit_code == 0 and again.json()["changes"][0]["kind"] == "none"
    assert world.writes() == []


def test_grant_via_kql_without_database_admin_is_exit_4(emu_factory, kustomi):
    world = emu_factory(
        busy_world(
            clusters=[
                {
                    "resource_group": "rg-data",
                    "name": "adxbusy",
                    "admins": [],
                    "databases": [{"name": "Sales"}],
                }
            ]
        )
    )
    _identity(kustomi)
    r = kustomi(
        "grant",
        "--role",
        "viewer",
        "--identity",
        "id-func",
        *G,
        "--cluster",
        _uri(world),
        "--database",
        "Sales",
        "--via",
        "kql",
    )
    assert r.exit_code == 4
    assert f"aadapp={world.env['AZURE_CLIENT_ID']}" in r.stderr
    assert "Database Admin" in r.stderr


def test_grant_missing_database_and_cluster_are_exit_3(world, kustomi):
    _identity(kustomi)
    db = kustomi(
        "grant", "--role", "viewer", "--identity", "id-func", *G, *CL, "--database", "Nope"
    )
    assert db.exit_code == 3 and "Database 'Nope' was not found" in db.stderr
    cl = kustomi(
        "grant",
        "--role",
        "viewer",
        "--identity",
        "id-func",
        *G,
        "--cluster",
        "adxnope",
        "--cluster-resource-group",
        "rg-data",
        "--database",
        "Sales",
    )
    assert cl.exit_code == 3 and "Kusto cluster 'adxnope' was not found" in cl.stderr
    assert "Database" not in cl.stderr
    ident = kustomi(
        "grant", "--role", "viewer", "--identity", "id-ghost", *G, *CL, "--database", "Sales"
    )
    assert ident.exit_code == 3 and "kustomi create-identity" in ident.stderr


def test_grant_admin_warns(world, kustomi):
    _identity(kustomi)
    r = kustomi("grant", "--role", "admin", "--identity", "id-func", *G, *CL, "--database", "Sales")
    assert r.exit_code == 0 and "warning: admin is far more than a binding needs" in r.stderr


# --- attach ---------------------------------------------------------------------------------


def test_attach_keeps_every_identity_and_second_run_writes_nothing(world, kustomi):
    ident = _identity(kustomi)
    before = world.site("rg-app", "func-busy")
    r = kustomi("-o", "json", "attach", "--app", "func-busy", *G, "--identity", "id-func")
    assert r.exit_code == 0, r.stderr
    after = world.site("rg-app", "func-busy")
    assert after["system_assigned"] == before["system_assigned"]
    assert {x.lower() for x in after["user_assigned"]} == {
        before["user_assigned"][0].lower(),
        ident["resourceId"].lower(),
    }
    assert r.json()["data"]["systemAssigned"] is True
    assert r.json()["data"]["principalFqn"] == ident["principalFqn"]
    assert any('ManagedServiceIdentity = "' + ident["clientId"] in n for n in r.json()["notes"])
    world.clear_log()
    again = kustomi(
        "-o",
        "json",
        "attach",
        "--app",
        "func-busy",
        *G,
        "--identity",
        ident["resourceId"].upper().replace("/SUBSCRIPTIONS/", "/subscriptions/"),
    )
    assert again.exit_code == 0 and again.json()["changes"][0]["kind"] == "none"
    assert world.writes() == []


def test_attach_slot_only_touches_the_slot(world, kustomi):
    _identity(kustomi)
    r = kustomi(
        "-o",
        "json",
        "attach",
        "--app",
        "func-busy",
        *G,
        "--slot",
        "staging",
        "--identity",
        "id-func",
    )
    assert r.exit_code == 0, r.stderr
    assert len(world.site("rg-app", "func-busy", "staging")["user_assigned"]) == 2
    assert len(world.site("rg-app", "func-busy")["user_assigned"]) == 1


def test_attach_dry_run_and_missing_app(world, kustomi):
    _identity(kustomi)
    world.clear_log()
    dry = kustomi(
        "--dry-run", "-o", "json", "attach", "--app", "func-busy", *G, "--identity", "id-func"
    )
    assert dry.exit_code == 0 and dry.json()["changes"][0]["kind"] == "update"
    assert world.writes() == []
    missing = kustomi("attach", "--app", "func-nope", *G, "--identity", "id-func")
    assert missing.exit_code == 3 and "func-nope" in missing.stderr


# --- set-connection -------------------------------------------------------------------------


def test_set_connection_merges_and_second_run_writes_nothing(world, kustomi):
    r = kustomi("-o", "json", *SET_CONNECTION)
    assert r.exit_code == 0, r.stderr
    value = f"Data Source={_uri(world)};Database=Sales;"
    assert r.json()["data"]["value"] == value
    settings = world.site("rg-app", "func-busy")["app_settings"]
    assert settings == {**TWENTY_SETTINGS, "KustoConnectionStringManagedIdentity": value}
    world.clear_log()
    again = kustomi(
        "-o",
        "json",
        "set-connection",
        "--app",
        "func-busy",
        *G,
        "--cluster",
        _uri(world),
        "--database",
        "Sales",
    )
    assert again.exit_code == 0 and again.json()["changes"][0]["kind"] == "none"
    assert world.writes() == []
    arm = [r for r in world.requests() if not r["route"].startswith("entra.")]
    assert [r["route"] for r in arm] == ["web.appsettings.list"]  # one read, no more


def test_set_connection_on_a_slot_writes_the_slot_only(world, kustomi):
    r = kustomi(
        "-o",
        "json",
        "set-connection",
        "--app",
        "func-busy",
        *G,
        "--slot",
        "staging",
        *CL,
        "--database",
        "Sales",
        "--setting",
        "KustoSales",
    )
    assert r.exit_code == 0
    assert world.site("rg-app", "func-busy", "staging")["app_settings"]["KustoSales"]
    assert world.site("rg-app", "func-busy")["app_settings"] == TWENTY_SETTINGS


def test_set_connection_survives_a_concurrent_writer(world, kustomi):
    world.faults(
        [
            {
                "route": "web.appsettings.list",
                "kind": "concurrent_appsettings",
                "times": 1,
                "set": {"DEPLOYED_BY_PIPELINE": "yes"},
            }
        ]
    )
    r = kustomi("-o", "json", *SET_CONNECTION)
    assert r.exit_code == 0, r.stderr
    settings = world.site("rg-app", "func-busy")["app_settings"]
    assert settings["DEPLOYED_BY_PIPELINE"] == "yes"
    assert all(settings[k] == v for k, v in TWENTY_SETTINGS.items())


def test_set_connection_refuses_to_replace_a_secret_without_force(emu_factory, kustomi):
    old = "Data Source=https://old.westeurope.kusto.windows.net;Database=X;AppKey=SuperSecret1"
    world = emu_factory(busy_world())
    world.world.sites[("rg-app", "func-busy", "")].app_settings[
        "KustoConnectionStringManagedIdentity"
    ] = old
    r = kustomi("-o", "json", *SET_CONNECTION)
    assert r.exit_code == 6
    assert r.json()["findings"][0]["status"] == "setting_has_secret"
    assert "SuperSecret1" not in r.stdout + r.stderr
    assert world.writes() == []
    forced = kustomi(
        "-o",
        "json",
        *SET_CONNECTION,
        "--force",
    )
    assert forced.exit_code == 0 and "SuperSecret1" not in forced.stdout + forced.stderr
    assert (
        "AppKey"
        not in world.site("rg-app", "func-busy")["app_settings"][
            "KustoConnectionStringManagedIdentity"
        ]
    )


def test_set_connection_dry_run(world, kustomi):
    r = kustomi(
        "--dry-run",
        "-o",
        "json",
        *SET_CONNECTION,
    )
    assert r.exit_code == 0 and r.json()["changes"][0]["kind"] == "create"
    assert world.writes() == []


# --- the whole checklist on a busy app ------------------------------------------------------


def test_four_commands_leave_everything_already_there_intact(world, kustomi):
    before = world.site("rg-app", "func-busy")
    steps = [
        ("create-identity", *G, "-n", "id-func"),
        GRANT_VIEWER,
        ("attach", "--app", "func-busy", *G, "--identity", "id-func"),
        SET_CONNECTION,
    ]
    for args in steps:
        assert kustomi("-o", "json", *args).exit_code == 0
    after = world.site("rg-app", "func-busy")
    assert after["system_assigned"] == before["system_assigned"]
    assert before["user_assigned"][0] in after["user_assigned"]
    assert len(after["user_assigned"]) == 2
    assert {k: after["app_settings"][k] for k in TWENTY_SETTINGS} == TWENTY_SETTINGS
    assert world.site("rg-app", "func-busy", "staging")["app_settings"] == {"SLOT_ONLY": "1"}
    world.clear_log()
    for args in steps:
        r = kustomi("-o", "json", *args)
        assert r.exit_code == 0 and {c["kind"] for c in r.json()["changes"]} == {"none"}
    assert world.writes() == []


def test_a_guid_is_a_valid_identity_name_for_create_identity(world, kustomi):
    name = "0b1f6471-1bf0-4dda-aec3-cb9272f09590"
    r = kustomi("-o", "json", "create-identity", *G, "-n", name)
    assert r.exit_code == 0, r.stderr
    assert r.json()["data"]["name"] == name


def test_attach_by_client_id(world, kustomi):
    ident = _identity(kustomi)
    r = kustomi("-o", "json", "attach", "--app", "func-busy", *G, "--identity", ident["clientId"])
    assert r.exit_code == 0, r.stderr
    assert r.json()["data"]["identity"] == "id-func"
    missing = kustomi(
        "attach", "--app", "func-busy", *G, "--identity", "0b1f6471-1bf0-4dda-aec3-cb9272f09590"
    )
    assert missing.exit_code == 3 and "No user-assigned identity with client id" in missing.stderr


def _assignment_by_hand(ident: dict, name: str = "made-by-hand") -> Any:
    """A Viewer assignment started with the SDK, nobody polling it (polling=False: no
    poller thread outlives the test)."""
    from tests.emulator.helpers import client

    return client("kusto").database_principal_assignments.begin_create_or_update(
        "rg-data",
        "adxbusy",
        "Sales",
        name,
        {
            "properties": {
                "principalId": ident["clientId"],
                "role": "Viewer",
                "principalType": "App",
                "tenantId": ident["tenantId"],
            }
        },
        polling=False,
    )


def _principal(world, name: str) -> Any:
    db = world.world.clusters[("rg-data", "adxbusy")].databases["sales"]
    return next(p for p in db.principals if p.assignment == name)


def test_grant_waits_for_an_assignment_still_being_made(world, kustomi):
    """An assignment still Creating is not a grant yet: grant waits for it to end, then
    counts it (no second assignment, no write)."""
    ident = _identity(kustomi)
    # The operation's clock moves only with each read of the assignments: the first read
    # always sees it Creating, the second sees it done.
    world.world.clock.freeze()
    world.knobs(lro_seconds=1.2)
    _assignment_by_hand(ident)
    world.faults([{"route": "kusto.principalAssignments.list", "kind": "tick", "seconds": 0.7}])
    world.clear_log()
    r = kustomi("-o", "json", *GRANT_VIEWER)
    assert r.exit_code == 0, r.stderr
    assert "made-by-hand is still Creating: waiting" in r.stderr
    assert r.json()["changes"][0]["kind"] == "none"
    assert world.writes() == []


def test_grant_sends_a_failed_assignment_again(world, kustomi):
    ident = _identity(kustomi)
    _assignment_by_hand(ident)
    world.state()  # the emulator finishes due operations before it answers
    _principal(world, "made-by-hand").provisioning = "Failed"
    world.clear_log()
    r = kustomi("-o", "json", *GRANT_VIEWER)
    assert r.exit_code == 0, r.stderr
    change = r.json()["changes"][0]
    assert change["kind"] == "update" and "made-by-hand is Failed" in change["detail"]
    assert _principal(world, "made-by-hand").provisioning == "Succeeded"
    assert [w["method"] for w in world.writes()] == ["PUT"]


def test_set_connection_writes_again_when_a_stale_writer_replaced_it(world, kustomi):
    """A writer that read before kustomi's PUT writes its stale copy right after it: kustomi's
    read-back misses its setting, so it merges into theirs and writes again; nothing is lost,
    theirs included."""
    before = dict(world.site("rg-app", "func-busy")["app_settings"])
    world.faults([{"route": "web.appsettings.put", "kind": "stale_appsettings", "times": 1}])
    r = kustomi("-o", "json", *SET_CONNECTION)
    assert r.exit_code == 0, r.stderr
    assert any("wrote again" in n for n in r.json()["notes"])
    after = world.site("rg-app", "func-busy")["app_settings"]
    assert after["KustoConnectionStringManagedIdentity"].startswith("Data Source=")
    assert after["STALE_WRITER"] == "1"
    assert {k: after[k] for k in before} == before
    assert [w["route"] for w in world.writes()].count("web.appsettings.put") == 2


def test_set_connection_gives_up_on_a_writer_that_always_wins(world, kustomi, monkeypatch):
    world.faults([{"route": "web.appsettings.put", "kind": "stale_appsettings"}])
    r = kustomi("-o", "json", *SET_CONNECTION)
    assert r.exit_code == 5
    assert "a race" in r.stderr and "Not done:" in r.stderr
    assert (
        "KustoConnectionStringManagedIdentity"
        not in world.site("rg-app", "func-busy")["app_settings"]
    )


def test_set_connection_never_writes_a_value_it_would_flag(world, kustomi):
    """A cluster whose URI (as ARM reports it) would put a secret-like value into the setting
    is refused before any write."""
    sub = world.env["AZURE_SUBSCRIPTION_ID"]
    body = {
        "id": f"/subscriptions/{sub}/resourceGroups/rg-data/providers/Microsoft.Kusto/"
        "clusters/adxbusy",
        "name": "adxbusy",
        "type": "Microsoft.Kusto/Clusters",
        "location": "northeurope",
        "sku": {"name": "Dev(No SLA)_Standard_E2a_v4", "tier": "Basic"},
        "properties": {"uri": "https://x.kusto.windows.net;AppKey=oops"},
    }
    world.faults([{"route": "kusto.clusters.get", "kind": "body", "body": body}])
    world.clear_log()
    r = kustomi(*SET_CONNECTION)
    assert r.exit_code == 5 and "nothing was written" in r.stderr
    assert world.writes() == []

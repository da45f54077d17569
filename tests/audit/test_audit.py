"""kustomi audit: what it tells apart, against the emulator with the real SDKs."""

from __future__ import annotations

import pytest

from tests.audit.worlds import SECRETS, audit_world

# What each app and slot of the audit world is, as the findings name it.
EXPECTED = {
    "rg-legacy/func-appkey secret": "setting_has_secret",
    "rg-legacy/func-appkey/staging secret": "setting_has_secret",
    "rg-legacy/func-usertoken secret": "setting_has_secret",
    "rg-legacy/func-password secret": "setting_has_secret",
    "rg-legacy/func-apptoken secret": "setting_has_secret",
    "rg-app/func-healthy secret": "ok",
    "rg-app/func-healthy identity": "ok",
    "rg-app/func-healthy role": "ok",
    "rg-app/func-lost secret": "ok",
    "rg-app/func-lost identity": "ok",
    "rg-app/func-lost role": "not_authorized",
    "rg-app/func-none secret": "ok",
    "rg-app/func-none identity": "identity_not_attached",
}


@pytest.fixture
def aw(emu_factory):
    return emu_factory(audit_world())


def _findings(doc):
    return {f["check"]: f for f in doc["findings"]}


def _no_secret(*texts: str) -> None:
    for text in texts:
        for name, secret in SECRETS.items():
            assert secret not in text, f"the {name} secret was printed"


def test_audit_tells_the_apps_apart(aw, kustomi):
    r = kustomi("-o", "json", "audit")
    assert r.exit_code == 6, r.stderr
    doc = r.json()
    found = _findings(doc)
    assert {k: f["status"] for k, f in found.items()} == EXPECTED
    # Which secret, never its value; who it signs in as.
    assert "an application key" in found["rg-legacy/func-appkey secret"]["detail"]
    assert "5a1e0c1d-0000-4000-8000-00000000a001" in found["rg-legacy/func-appkey secret"]["detail"]
    assert "a user token" in found["rg-legacy/func-usertoken secret"]["detail"]
    assert "a password" in found["rg-legacy/func-password secret"]["detail"]
    assert "an application token" in found["rg-legacy/func-apptoken secret"]["detail"]
    # Each problem's fix is a kustomi command.
    for f in doc["findings"]:
        if f["status"] != "ok":
            assert f["hint"].startswith("kustomi "), f
    assert found["rg-app/func-lost role"]["hint"].startswith(
        "kustomi grant --role viewer --identity id-lost --identity-resource-group rg-app "
        "--cluster adxaudit --cluster-resource-group rg-data --database Orders"
    )
    assert "--setting KustoConnString" not in found["rg-legacy/func-usertoken secret"]["hint"]
    assert "--setting KustoConn --force" in found["rg-legacy/func-usertoken secret"]["hint"]
    # Counted, not flagged: func-plain (a SQL password is not Kusto's) and its slot; the web
    # app is no function app.
    data = doc["data"]
    assert (data["functionApps"], data["slots"], data["withoutKusto"]) == (8, 2, 2)
    assert (data["kustoSettings"], data["secretBearing"], data["problems"]) == (8, 5, 7)
    assert not any(
        "func-plain" in f["check"] or "web-portal" in f["check"] for f in doc["findings"]
    )
    rows = {(s["app"], s["setting"]): s for s in data["settings"]}
    assert rows[("rg-legacy/func-appkey/staging", "Kusto")]["secretKinds"] == ["application key"]
    assert rows[("rg-app/func-healthy", "KustoConnectionStringManagedIdentity")]["rolesHeld"] == [
        "Viewer"
    ]
    _no_secret(r.stdout, r.stderr)
    assert doc["ok"] is False and doc["error"]["exitCode"] == 6


def test_audit_sends_no_write_and_reads_each_app_once(aw, kustomi):
    aw.clear_log()
    r = kustomi("-o", "json", "audit")
    assert r.exit_code == 6
    assert aw.writes() == []
    reads = [x["path"] for x in aw.requests() if x["route"] == "web.appsettings.list"]
    assert len(reads) == len(set(reads)) == 10  # 8 function apps, 2 slots; not the web app
    pa = [x for x in aw.requests() if x["route"] == "kusto.principalAssignments.list"]
    assert len(pa) == 2  # Orders and Sales, once each for every app that uses them


def test_a_table_on_a_terminal(aw, kustomi):
    r = kustomi("-o", "table", "audit", "-g", "rg-app")
    assert r.exit_code == 6
    lines = r.stdout.splitlines()
    assert lines[0] == "kustomi audit"
    assert any(ln.startswith("rg-app/func-lost role") and "not_authorized" in ln for ln in lines)
    assert any(ln.startswith("fix rg-app/func-lost role: kustomi grant ") for ln in lines)
    assert "settings       3 (-o json lists them)" in r.stdout
    assert "audit: read 4 of 4 app(s)" in r.stderr
    _no_secret(r.stdout, r.stderr)


def test_a_clean_scope_exits_0(aw, kustomi):
    r = kustomi(
        "-o", "json", "audit", "-g", "rg-app", "--app", "func-healthy", "--app", "func-plain"
    )
    assert r.exit_code == 0, r.stdout
    doc = r.json()
    assert doc["ok"] is True
    assert {f["status"] for f in doc["findings"]} == {"ok"}
    assert doc["data"]["withoutKusto"] == 2  # func-plain and its slot


def test_lost_role_then_granted(aw, kustomi):
    fix = _findings(kustomi("-o", "json", "audit", "-g", "rg-app").json())["rg-app/func-lost role"]
    r = kustomi(*fix["hint"].split()[1:])
    assert r.exit_code == 0, r.stderr
    again = _findings(kustomi("-o", "json", "audit", "-g", "rg-app").json())
    assert again["rg-app/func-lost role"]["status"] == "ok"


def test_one_app_that_cannot_be_read_is_a_finding_of_that_app(aw, kustomi):
    aw.faults([{"route": "web.appsettings.list", "path": "/sites/func-lost/", "status": 403}])
    r = kustomi("-o", "json", "audit", "-g", "rg-app")
    assert r.exit_code == 6
    found = _findings(r.json())
    assert found["rg-app/func-lost read"]["status"] == "no_access"
    assert "kustomi audit -g rg-app --app func-lost" in found["rg-app/func-lost read"]["hint"]
    assert found["rg-app/func-healthy role"]["status"] == "ok"  # the others were read
    assert r.json()["data"]["unreadable"] == 1


def test_a_failing_read_is_retried_then_a_finding(aw, kustomi, monkeypatch):
    monkeypatch.setenv("KUSTOMI_RETRIES", "1")
    aw.faults([{"route": "web.slots.list", "path": "/sites/func-none/", "status": 500}])
    r = kustomi("-o", "json", "audit", "-g", "rg-app")
    assert r.exit_code == 6
    found = _findings(r.json())
    assert found["rg-app/func-none read"]["status"] == "read_failed"
    assert "slots were not read" in found["rg-app/func-none read"]["detail"]
    assert found["rg-app/func-none identity"]["status"] == "identity_not_attached"


@pytest.mark.parametrize(
    "args, words",
    [
        (("-g", "rg-nowhere"), "rg-nowhere"),
        (("-g", "rg-app", "--app", "func-missing"), "func-missing"),
        (("--app", "web-portal"), "web-portal"),  # a web app, not a function app
        (("--parallel", "0"), "--parallel"),
        (("--project", "no-such-dir"), "--project"),
        (("--identity", "id-x"), "--emit-setup"),
        (("-g", "bad/name"), "resource group"),
    ],
)
def test_bad_input_exits_2(aw, kustomi, args, words):
    aw.clear_log()
    r = kustomi("-o", "json", "audit", *args)
    assert r.exit_code == 2, r.stderr
    assert words in r.stderr
    assert r.json()["error"]["exitCode"] == 2
    assert aw.writes() == []
    # Nothing past the listing: no app's settings were read.
    assert not [x for x in aw.requests() if x["route"] == "web.appsettings.list"]


def test_an_existing_emit_file_without_force_sends_nothing(aw, kustomi, tmp_path):
    (tmp_path / "kustomi.toml").write_text("# mine\n")
    aw.clear_log()
    r = kustomi("audit", "--emit-setup", "kustomi.toml")
    assert r.exit_code == 2
    assert "--force" in r.stderr
    assert (tmp_path / "kustomi.toml").read_text() == "# mine\n"
    assert aw.requests() == []


def test_a_project_file_scopes_the_audit_but_names_no_migration_identity(aw, kustomi, tmp_path):
    """Top-level keys of kustomi.toml apply to every command that has the option: its
    resource-group scopes the audit; its identity (setup's) is no --identity of audit."""
    (tmp_path / "kustomi.toml").write_text('resource-group = "rg-app"\nidentity = "id-healthy"\n')
    r = kustomi("-o", "json", "audit")
    assert r.exit_code == 6, r.stderr
    assert r.json()["data"]["scope"] == "resource group(s) rg-app"
    assert all(f["check"].startswith("rg-app/") for f in r.json()["findings"])


def test_a_cluster_wide_role_counts_for_every_database(aw, kustomi):
    """func-lost's identity lost its database role; a cluster-wide viewer gives it back on
    every database, and audit reads the cluster's principal assignments to see it."""
    r = kustomi(
        "grant", "--role", "alldatabasesviewer", "--identity", "id-lost", "-g", "rg-app",
        "--cluster", "adxaudit", "--cluster-resource-group", "rg-data",
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    found = _findings(kustomi("-o", "json", "audit", "-g", "rg-app").json())
    role = found["rg-app/func-lost role"]
    assert role["status"] == "ok" and "AllDatabasesViewer" in role["detail"], role


PROJECT_IN_OUT = """\
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Kusto;

public static class Orders
{
    [Function("GetOrders")]
    public static object Get([HttpTrigger(AuthorizationLevel.Function, "get")] object req,
        [KustoInput(Database: "Orders", KqlCommand = "Orders | take 1",
            Connection = "KustoConnectionStringManagedIdentity",
            ManagedServiceIdentity = "{client_id}")] object rows) => rows;

    [Function("AddEvent")]
    [KustoOutput(Database: "Orders", TableName = "Events",
        Connection = "KustoConnectionStringManagedIdentity",
        ManagedServiceIdentity = "{client_id}")]
    public static object Add([HttpTrigger(AuthorizationLevel.Function, "post")] object req)
        => req;
}
"""


def test_a_table_ingestor_serves_the_output_binding_to_its_table(aw, kustomi, tmp_path):
    """func-healthy's identity reads Orders; its project also writes to Orders.Events. The
    fix is the smallest grant (ingestor on Events), it is not one already held, and once
    made the audit counts the table role."""
    root = tmp_path / "src"
    root.mkdir()
    (root / "host.json").write_text('{"version": "2.0"}')
    client_id = aw.world.identities[("rg-app", "id-healthy")].client_id
    (root / "Orders.cs").write_text(PROJECT_IN_OUT.replace("{client_id}", client_id))
    audit = ("-o", "json", "audit", "-g", "rg-app", "--app", "func-healthy", "--project", str(root))
    first = _findings(kustomi(*audit).json())["rg-app/func-healthy role"]
    assert first["status"] == "role_mismatch", first
    assert "an output binding needs" in first["detail"] and "Events" in first["detail"]
    assert "--role ingestor" in first["hint"] and first["hint"].endswith("--table Events")
    assert kustomi(*first["hint"].split()[1:]).exit_code == 0  # the fix, as printed
    again = _findings(kustomi(*audit).json())["rg-app/func-healthy role"]
    assert again["status"] == "ok", again
    # An ingestor of another table is not enough for this one.
    aw.world.clusters[("rg-data", "adxaudit")].databases["orders"].tables[
        "events"
    ].principals.clear()
    grant = first["hint"].split()[1:]
    grant[grant.index("Events")] = "Audit"
    assert kustomi(*grant).exit_code == 0
    assert _findings(kustomi(*audit).json())["rg-app/func-healthy role"]["status"] != "ok"

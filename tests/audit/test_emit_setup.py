"""kustomi audit --emit-setup, then kustomi setup --force: no secret left, a clean audit."""

from __future__ import annotations

from pathlib import Path

import pytest

from kustomi.config import secret_keys_in
from kustomi.project_file import read_toml
from tests.audit.worlds import SECRETS, audit_world

PROJECT_CS = """\
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Kusto;

public static class AddOrder
{
    [Function("AddOrder")]
    [KustoOutput(Database: "Orders", TableName = "Orders",
        Connection = "KustoConnectionString")]
    public static Order Run([HttpTrigger(AuthorizationLevel.Function, "post")] object req)
        => new Order();
}
"""


@pytest.fixture
def aw(emu_factory):
    return emu_factory(audit_world())


def _secretless(state) -> None:
    for s in state["sites"]:
        if s["kind"].startswith("functionapp"):
            for name, value in s["app_settings"].items():
                if name != "SqlConnection":  # not Kusto's: not the audit's to move
                    assert not secret_keys_in(value), (s["name"], s["slot"], name)


def test_emit_then_setup_force_leaves_no_secret_and_a_clean_audit(aw, kustomi, tmp_path):
    r = kustomi("-o", "json", "audit", "--emit-setup", "kustomi.toml")
    assert r.exit_code == 6
    text = (tmp_path / "kustomi.toml").read_text()
    for secret in SECRETS.values():
        assert secret not in text and secret not in r.stdout and secret not in r.stderr
    doc = read_toml(tmp_path / "kustomi.toml")[1]
    apps = {(a["resource-group"], a["app"], a.get("slot")): a for a in doc["setup"]["apps"]}
    # Every secret-bearing app, the app with no identity, the app whose identity lost its role.
    assert set(apps) == {
        ("rg-legacy", "func-appkey", None),
        ("rg-legacy", "func-appkey", "staging"),
        ("rg-legacy", "func-usertoken", None),
        ("rg-legacy", "func-password", None),
        ("rg-legacy", "func-apptoken", None),
        ("rg-app", "func-none", None),
        ("rg-app", "func-lost", None),
    }
    # One identity per resource group; an app's own identity where only its role is missing.
    assert apps[("rg-legacy", "func-password", None)]["identity"] == "id-kusto-rg-legacy"
    assert apps[("rg-legacy", "func-password", None)]["setting"] == "ConnectionStrings__Kusto"
    assert apps[("rg-app", "func-none", None)]["identity"] == "id-kusto-rg-app"
    assert apps[("rg-app", "func-lost", None)]["identity"] == "id-lost"
    grants = {(g["identity"], g["database"], g["role"]) for g in doc["setup"]["grants"]}
    assert grants == {
        ("id-kusto-rg-legacy", "Orders", "viewer"),
        ("id-kusto-rg-legacy", "Sales", "viewer"),
        ("id-kusto-rg-app", "Sales", "viewer"),
        ("id-lost", "Orders", "viewer"),
    }
    assert "direction is unknown (no --project): viewer" in text

    aw.clear_log()
    r = kustomi("-o", "json", "--yes", "setup", "--force")
    assert r.exit_code == 0, r.stderr
    status = {a["app"]: a["status"] for a in r.json()["data"]["apps"]}
    assert status.pop("rg-app/func-lost") == "unchanged"  # its grant was all it lacked
    assert set(status.values()) == {"done"}
    for secret in SECRETS.values():
        assert secret not in r.stdout and secret not in r.stderr
    _secretless(aw.state())
    names = {i["name"] for i in aw.state()["identities"]}
    assert {"id-kusto-rg-legacy", "id-kusto-rg-app", "id-lost"} <= names

    again = kustomi("-o", "json", "audit")
    assert again.exit_code == 0, [f for f in again.json()["findings"] if f["status"] != "ok"]
    assert again.json()["data"]["secretBearing"] == 0
    # And setup is done: a rerun changes nothing.
    assert kustomi("--check", "setup", "--force").exit_code == 0


def test_one_identity_for_every_app(aw, kustomi, tmp_path):
    r = kustomi(
        "audit", "-g", "rg-legacy", "--emit-setup", "migrate.toml",
        "--identity", "id-kusto", "--identity-resource-group", "rg-app",
    )  # fmt: skip
    assert r.exit_code == 6
    doc = read_toml(tmp_path / "migrate.toml")[1]
    assert {(a["identity"], a["identity-resource-group"]) for a in doc["setup"]["apps"]} == {
        ("id-kusto", "rg-app")
    }
    assert "KUSTOMI_CONFIG=migrate.toml kustomi setup --force" in r.stdout
    r = kustomi("--yes", "setup", "--force", env={"KUSTOMI_CONFIG": "migrate.toml"})
    assert r.exit_code == 0, r.stderr
    assert kustomi("audit", "-g", "rg-legacy").exit_code == 0


def test_an_output_binding_gets_ingestor(aw, kustomi, tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "AddOrder.cs").write_text(PROJECT_CS)
    r = kustomi(
        "-o", "json", "audit", "-g", "rg-legacy", "--app", "func-appkey",
        "--project", "src", "--emit-setup", "kustomi.toml",
    )  # fmt: skip
    assert r.exit_code == 6
    row = next(s for s in r.json()["data"]["settings"] if s["slot"] is None)
    assert row["directions"] == ["out"]
    doc = read_toml(tmp_path / "kustomi.toml")[1]
    # The binding names the production app's setting (output: ingestor); the slot's setting is
    # another one, which no binding names (viewer, said so).
    assert [g["role"] for g in doc["setup"]["grants"]] == ["ingestor", "viewer"]
    assert (tmp_path / "kustomi.toml").read_text().count("direction is unknown") == 1


def test_the_binding_names_an_identity_that_is_not_on_the_app(aw, kustomi, tmp_path):
    client_id = next(i for i in aw.state()["identities"] if i["name"] == "id-healthy")["client_id"]
    (tmp_path / "src").mkdir()
    code = (
        PROJECT_CS.replace(
            'Connection = "KustoConnectionString")',
            'Connection = "KustoConnectionStringManagedIdentity", '
            f'ManagedServiceIdentity = "{client_id}")',
        )
        .replace("KustoOutput", "KustoInput")
        .replace('TableName = "Orders",', 'KqlCommand = "T",')
    )
    (tmp_path / "src" / "Get.cs").write_text(code)
    r = kustomi("-o", "json", "audit", "-g", "rg-app", "--project", "src")
    found = {f["check"]: f for f in r.json()["findings"]}
    assert found["rg-app/func-healthy identity"]["status"] == "ok"
    assert found["rg-app/func-healthy role"]["status"] == "ok"
    assert "what an input binding needs" in found["rg-app/func-healthy role"]["detail"]
    lost = found["rg-app/func-lost identity"]
    assert lost["status"] == "identity_not_attached"
    assert lost["hint"] == f"kustomi attach --app func-lost -g rg-app --identity {client_id}"


def test_emit_under_dry_run_writes_nothing(aw, kustomi, tmp_path):
    r = kustomi("--dry-run", "audit", "--emit-setup", "kustomi.toml")
    assert r.exit_code == 6
    assert not (tmp_path / "kustomi.toml").exists()
    assert "was not written" in r.stdout


def test_emit_force_replaces_the_file(aw, kustomi, tmp_path):
    (tmp_path / "kustomi.toml").write_text("# old\n")
    r = kustomi("audit", "-g", "rg-app", "--app", "func-healthy", "--emit-setup", "kustomi.toml",
                "--force")  # fmt: skip
    assert r.exit_code == 0
    assert "Nothing to move" in (tmp_path / "kustomi.toml").read_text()


def test_revoke_plans_the_emitted_file(aw, kustomi, tmp_path):
    assert kustomi("audit", "--emit-setup", "kustomi.toml").exit_code == 6
    assert kustomi("--yes", "setup", "--force").exit_code == 0
    r = kustomi("-o", "json", "--dry-run", "revoke")
    assert r.exit_code == 0, r.stderr
    deletes = [c["target"] for c in r.json()["changes"] if c["kind"] == "delete"]
    assert "setting KustoConnection on func-none" in deletes
    assert any("id-kusto-rg-legacy" in t for t in deletes)


def test_an_app_with_two_secret_settings_is_moved_whole_in_one_setup(emu_factory, kustomi):
    """Two bindings, two settings, each with a secret: --emit-setup lists the app once per
    setting, setup --force replaces both in one run, and the next audit is clean."""
    c = "{cluster:adxaudit}"
    world = audit_world()
    site = next(s for s in world["sites"] if s["name"] == "func-apptoken")
    site["app_settings"]["KustoSecond"] = (
        f"Data Source={c};Database=Orders;Application Client Id=5a1e0c1d-0000-4000-8000-"
        f"00000000a001;Application Key={SECRETS['appkey']};Authority Id=common"
    )
    aw = emu_factory(world)
    r = kustomi("-o", "json", "audit", "-g", "rg-legacy", "--emit-setup", "kustomi.toml")
    assert r.exit_code == 6, r.stderr
    assert r.json()["data"]["migrations"]
    doc = read_toml(Path("kustomi.toml"))[1]
    mine = [a["setting"] for a in doc["setup"]["apps"] if a["app"] == "func-apptoken"]
    assert sorted(mine) == sorted([*mine[:1], "KustoSecond"]) and len(mine) == 2, mine
    done = kustomi("--yes", "setup", "--force")
    assert done.exit_code == 0, done.stderr
    _secretless(aw.state())
    again = kustomi("-o", "json", "audit", "-g", "rg-legacy")
    assert again.exit_code == 0, [f for f in again.json()["findings"] if f["status"] != "ok"]


def test_emit_setup_to_the_apps_own_system_identity(aw, kustomi):
    r = kustomi("audit", "-g", "rg-legacy", "--emit-setup", "kustomi.toml", "--identity", "system")
    assert r.exit_code == 6, r.stderr
    text = Path("kustomi.toml").read_text()
    assert 'identity = "system"' in text and "identity-resource-group" not in text
    done = kustomi("--yes", "setup", "--force")
    assert done.exit_code == 0, done.stderr
    _secretless(aw.state())
    legacy = [s for s in aw.state()["sites"] if s["resource_group"] == "rg-legacy"]
    assert all(
        s["system_assigned"] for s in legacy if s["app_settings"].get("KustoConnectionString")
    )

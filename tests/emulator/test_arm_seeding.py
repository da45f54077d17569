"""The routes a world is seeded through (clusters, databases, sites, slots), the remaining
list and config routes, and the admin API."""

from __future__ import annotations

import json

from tests.conftest import SCENARIOS
from tests.emulator.helpers import client, example, missing_keys, raw, sub


def test_build_a_world_through_arm_with_the_sdks(emu_factory):
    emu = emu_factory({})
    rc = client("resources")
    rc.resource_groups.create_or_update("rg-a", {"location": "westeurope"})
    rc.resource_groups.create_or_update("rg-b", {"location": "northeurope"})
    assert sorted(g.name for g in rc.resource_groups.list()) == ["rg-a", "rg-b"]
    kusto = client("kusto")
    cluster = kusto.clusters.begin_create_or_update(
        "rg-b",
        "adxnew",
        {
            "location": "northeurope",
            "sku": {"name": "Dev(No SLA)_Standard_E2a_v4", "tier": "Basic"},
        },
    ).result()
    assert cluster.uri == f"{emu.url}/kusto/adxnew"
    db = kusto.databases.begin_create_or_update(
        "rg-b", "adxnew", "Events", {"kind": "ReadWrite", "location": "northeurope"}
    ).result()
    assert db.name == "adxnew/Events"
    assert [c.name for c in kusto.clusters.list_by_resource_group("rg-b")] == ["adxnew"]
    assert [c.name for c in kusto.clusters.list()] == ["adxnew"]
    assert [d.name for d in kusto.databases.list_by_cluster("rg-b", "adxnew")] == ["adxnew/Events"]
    # The creator is the cluster's AllDatabasesAdmin, as in Azure.
    assert emu.state()["clusters"][0]["admins"] == [emu.env["AZURE_CLIENT_ID"]]

    web = client("web")
    site = web.web_apps.begin_create_or_update(
        "rg-a", "func-new", {"location": "westeurope", "kind": "functionapp,linux"}
    ).result()
    assert site.kind == "functionapp,linux" and site.identity is None
    slot = web.web_apps.begin_create_or_update_slot(
        "rg-a", "func-new", "canary", {"location": "westeurope"}
    ).result()
    assert slot.name == "func-new/canary"
    assert [s.name for s in web.web_apps.list_slots("rg-a", "func-new")] == ["func-new/canary"]
    assert [s.name for s in web.web_apps.list_by_resource_group("rg-a")] == ["func-new"]
    config = raw(
        "GET",
        f"/subscriptions/{sub()}/resourceGroups/rg-a/providers/Microsoft.Web/"
        "sites/func-new/config/web",
        api="2025-05-01",
    ).json()
    ex = example("Microsoft.Web/GetSiteConfig.json")
    assert (
        missing_keys(
            {k: config[k] for k in ("id", "name", "type", "kind")},
            {k: ex[k] for k in ("id", "name", "type", "kind")},
        )
        == []
    )
    web.web_apps.delete("rg-a", "func-new")
    assert list(web.web_apps.list_by_resource_group("rg-a")) == []


def test_get_subscription(emu):
    body = raw("GET", f"/subscriptions/{sub()}", api="2022-12-01").json()
    assert body["subscriptionId"] == sub() and body["state"] == "Enabled"


def test_admin_api_loads_a_scenario_and_dumps_state_without_secrets(emu):
    doc = json.loads((SCENARIOS / "demo.json").read_text())
    doc["operators"] = [{"name": "ops", "client_secret": "s3cret-value-for-test"}]
    env = emu.admin("/_emulator/scenario", "POST", doc)
    assert env["AZURE_CLIENT_SECRET"] == "s3cret-value-for-test"
    state = emu.state()
    names = [s["name"] for s in state["sites"]]
    assert names == ["func-orders", "func-orders", "func-legacy", "func-reports"]
    assert "s3cret-value-for-test" not in json.dumps(state)
    # {cluster:adxdemo} in a seeded setting is the cluster's URI on this emulator.
    legacy = next(s for s in state["sites"] if s["name"] == "func-legacy")
    value = legacy["app_settings"]["KustoConnectionString"]
    assert value.startswith(f"Data Source={emu.url}/kusto/adxdemo;Database=Orders;")
    assert all("identity_header" not in s for s in state["sites"])

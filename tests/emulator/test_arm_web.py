"""Microsoft.Web sites, slots and app settings."""

from __future__ import annotations

import pytest
from azure.core.exceptions import ResourceExistsError

from tests.emulator.helpers import client, example, missing_keys, raw, sub

API = "2025-05-01"
S = "/resourceGroups/rg-demo/providers/Microsoft.Web/sites/func-orders"
SITE_KEYS = frozenset()  # compared: top level and these properties
PROPS = ("defaultHostName", "enabled", "hostNames", "httpsOnly", "state", "reserved")


def _uai(name="id-orders"):
    return client("msi").user_assigned_identities.create_or_update(
        "rg-demo", name, {"location": "westeurope"}
    )


def test_site_and_slot_shapes(emu):
    site = raw("GET", f"/subscriptions/{sub()}{S}", api=API).json()
    ex = example("Microsoft.Web/GetWebApp.json")
    assert (
        missing_keys(
            {k: site[k] for k in ex if k != "properties"},
            {k: ex[k] for k in ex if k != "properties"},
        )
        == []
    )
    assert all(p in site["properties"] for p in PROPS if p in ex["properties"])
    slot = raw("GET", f"/subscriptions/{sub()}{S}/slots/staging", api=API).json()
    assert slot["name"] == "func-orders/staging" and slot["type"] == "Microsoft.Web/sites/slots"
    assert slot["properties"]["defaultHostName"] == "func-orders-staging.azurewebsites.net"


def test_app_settings_put_replaces_the_whole_set(emu):
    """As in Azure: a PUT with one key deletes the others. No blind write can get away."""
    web = client("web")
    before = web.web_apps.list_application_settings("rg-demo", "func-orders").properties
    assert len(before) == 4
    web.web_apps.update_application_settings(
        "rg-demo", "func-orders", {"properties": {"ONLY": "this"}}
    )
    after = web.web_apps.list_application_settings("rg-demo", "func-orders").properties
    assert after == {"ONLY": "this"}
    listed = raw("POST", f"/subscriptions/{sub()}{S}/config/appsettings/list", api=API).json()
    assert (
        missing_keys(
            listed,
            example("Microsoft.Web/ListAppSettings.json"),
            frozenset({"Setting1", "Setting2"}),
        )
        == []
    )


def test_slot_settings_are_their_own(emu):
    web = client("web")
    web.web_apps.update_application_settings_slot(
        "rg-demo", "func-orders", "staging", {"properties": {"S": "1"}}
    )
    assert (
        web.web_apps.list_application_settings("rg-demo", "func-orders").properties[
            "FUNCTIONS_EXTENSION_VERSION"
        ]
        == "~4"
    )
    assert web.web_apps.list_application_settings_slot(
        "rg-demo", "func-orders", "staging"
    ).properties == {"S": "1"}


def test_connection_strings_round_trip(emu):
    web = client("web")
    web.web_apps.update_connection_strings(
        "rg-demo", "func-orders", {"properties": {"db": {"value": "Server=x", "type": "Custom"}}}
    )
    cs = web.web_apps.list_connection_strings("rg-demo", "func-orders").properties
    assert cs["db"].value == "Server=x"


def test_patch_merges_user_assigned_identities_and_keeps_system_assigned(emu):
    web = client("web")
    a, b = _uai("id-a"), _uai("id-b")
    web.web_apps.update(
        "rg-demo",
        "func-orders",
        {
            "identity": {
                "type": "SystemAssigned, UserAssigned",
                "userAssignedIdentities": {a.id: {}},
            }
        },
    )
    site = web.web_apps.update(
        "rg-demo",
        "func-orders",
        {
            "identity": {
                "type": "SystemAssigned, UserAssigned",
                "userAssignedIdentities": {b.id: {}},
            }
        },
    )
    assert site.identity.type == "SystemAssigned, UserAssigned"
    assert {k.lower() for k in site.identity.user_assigned_identities} == {
        a.id.lower(),
        b.id.lower(),
    }
    assert site.identity.user_assigned_identities[b.id].client_id == b.client_id
    removed = web.web_apps.update(
        "rg-demo",
        "func-orders",
        {
            "identity": {
                "type": "SystemAssigned, UserAssigned",
                "userAssignedIdentities": {a.id: None},
            }
        },
    )
    assert list(removed.identity.user_assigned_identities) == [b.id]
    assert removed.identity.principal_id  # the system-assigned identity is still there


def test_put_replaces_identities_and_slot_has_its_own(emu):
    web = client("web")
    a = _uai("id-a")
    web.web_apps.update_slot(
        "rg-demo",
        "func-orders",
        "staging",
        {"identity": {"type": "UserAssigned", "userAssignedIdentities": {a.id: {}}}},
    )
    assert web.web_apps.get("rg-demo", "func-orders").identity.type == "SystemAssigned"
    put = web.web_apps.begin_create_or_update(
        "rg-demo",
        "func-orders",
        {
            "location": "westeurope",
            "kind": "functionapp,linux",
            "identity": {"type": "UserAssigned", "userAssignedIdentities": {a.id: {}}},
        },
    ).result()
    assert put.identity.type == "UserAssigned"


def test_unknown_user_assigned_identity_and_global_name_conflict(emu):
    bad = raw(
        "PATCH",
        f"/subscriptions/{sub()}{S}",
        {
            "identity": {
                "type": "UserAssigned",
                "userAssignedIdentities": {
                    f"/subscriptions/{sub()}/resourceGroups/rg-demo/providers/"
                    "Microsoft.ManagedIdentity/userAssignedIdentities/ghost": {}
                },
            }
        },
        api=API,
    )
    assert bad.status_code == 400 and "Code" in bad.json()
    with pytest.raises(ResourceExistsError) as err:
        client("web").web_apps.begin_create_or_update(
            "rg-data", "func-orders", {"location": "westeurope"}
        ).result()
    # App Service's capitalised body: the SDK cannot parse it into .error.
    assert err.value.error is None
    assert err.value.response.json()["Code"] == "Conflict"


def test_missing_site_and_slot_are_404(emu):
    assert raw("GET", f"/subscriptions/{sub()}{S}x", api=API).json()["error"]["code"] == (
        "ResourceNotFound"
    )
    assert raw("GET", f"/subscriptions/{sub()}{S}/slots/nope", api=API).status_code == 404


def test_a_site_has_the_properties_clients_read(emu):
    """`az functionapp config appsettings set|list` read properties.sku (KeyError without it);
    a function app on the Consumption plan says Dynamic, as in Azure."""
    site = raw("GET", f"/subscriptions/{sub()}{S}", api=API).json()
    props = site["properties"]
    ex = example("Microsoft.Web/GetWebApp.json")["properties"]
    read = ("sku", "state", "hostNames", "enabledHostNames", "serverFarmId", "reserved")
    assert missing_keys(props, {k: ex[k] for k in (*read, "siteConfig")}, depth=1) == []
    basics = ("alwaysOn", "ftpsState", "linuxFxVersion", "minTlsVersion", "numberOfWorkers")
    assert missing_keys(props["siteConfig"], {k: ex["siteConfig"][k] for k in basics}) == []
    assert (site["kind"], props["sku"], props["reserved"]) == ("functionapp,linux", "Dynamic", True)
    assert "/providers/Microsoft.Web/serverfarms/" in props["serverFarmId"]


def test_slot_config_names_are_read_and_replaced_on_the_site(emu):
    web = client("web")
    first = web.web_apps.list_slot_configuration_names("rg-demo", "func-orders")
    assert (first.app_setting_names, first.connection_string_names) == ([], [])
    web.web_apps.update_slot_configuration_names(
        "rg-demo", "func-orders", {"properties": {"appSettingNames": ["KUSTO_DB", "SLOT_ONLY"]}}
    )
    web.web_apps.update_slot_configuration_names(
        "rg-demo", "func-orders", {"properties": {"appSettingNames": ["KUSTO_DB"]}}
    )
    got = raw("GET", f"/subscriptions/{sub()}{S}/config/slotConfigNames", api=API).json()
    assert got["id"].endswith("/sites/func-orders/config/slotConfigNames")
    assert (got["name"], got["type"]) == ("slotConfigNames", "Microsoft.Web/sites/config")
    assert got["properties"] == {
        "appSettingNames": ["KUSTO_DB"],  # a PUT replaces the lists
        "connectionStringNames": [],
        "azureStorageConfigNames": [],
    }
    slot = raw("GET", f"/subscriptions/{sub()}{S}/slots/staging/config/slotConfigNames", api=API)
    assert slot.status_code == 404  # a site's setting, not a slot's


def test_the_plan_a_site_names_exists(emu):
    """A site's serverFarmId names its App Service plan; az reads that plan (`az functionapp
    config show` checks for Linux Consumption, `az appservice plan show`). A function app on the
    Consumption plan: tier Dynamic, Y1, Linux when the site is reserved
    (GetAppServicePlan.json for the shape)."""
    web = client("web")
    site = web.web_apps.get("rg-demo", "func-orders")
    slot = web.web_apps.get_slot("rg-demo", "func-orders", "staging")
    assert slot.server_farm_id == site.server_farm_id
    plan_path = site.server_farm_id
    plan_name = plan_path.rsplit("/", 1)[1]
    plan = web.app_service_plans.get("rg-demo", plan_name)
    assert plan.id == plan_path and plan.type == "Microsoft.Web/serverfarms"
    assert (plan.sku.tier, plan.sku.name, plan.reserved, plan.kind) == (
        "Dynamic",
        "Y1",
        True,
        "functionapp",
    )
    assert (plan.status, plan.provisioning_state, plan.number_of_sites) == (
        "Ready",
        "Succeeded",
        1,
    )
    assert [p.id for p in web.app_service_plans.list_by_resource_group("rg-demo")] == [plan_path]
    missing = raw("GET", f"{plan_path}x", api=API)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "ResourceNotFound"


def _profiles(web, slot=None):
    from xml.etree import ElementTree

    args = ("rg-demo", "func-orders", *([slot] if slot else []), {"format": "WebDeploy"})
    op = (
        web.web_apps.list_publishing_profile_xml_with_secrets_slot
        if slot
        else (web.web_apps.list_publishing_profile_xml_with_secrets)
    )
    root = ElementTree.fromstring(b"".join(op(*args)))
    assert root.tag == "publishData"
    return {p.get("publishMethod"): p.attrib for p in root.findall("publishProfile")}


def test_publishing_profiles_are_served_as_xml(emu):
    """`az functionapp show` / `az webapp show` read the FTP publishUrl from publishxml and
    exit 3 without it. The password is the site's own and stays out of the admin API."""
    web = client("web")
    site, slot = _profiles(web), _profiles(web, "staging")
    assert sorted(site) == ["FTP", "MSDeploy", "ZipDeploy"]
    assert site["FTP"]["publishUrl"].startswith("ftps://")
    assert site["FTP"]["publishUrl"].endswith("/site/wwwroot")
    assert site["MSDeploy"]["publishUrl"] == "func-orders.scm.azurewebsites.net:443"
    assert (site["MSDeploy"]["userName"], slot["MSDeploy"]["userName"]) == (
        "$func-orders",
        "$func-orders__staging",
    )
    assert slot["ZipDeploy"]["publishUrl"] == "func-orders-staging.scm.azurewebsites.net:443"
    passwords = {p["userPWD"] for p in site.values()}
    assert len(passwords) == 1 and len(passwords.pop()) >= 40
    assert site["FTP"]["userPWD"] != slot["FTP"]["userPWD"]
    assert site["FTP"]["userPWD"] not in str(emu.state())
    xml = raw("POST", f"/subscriptions/{sub()}{S}/publishxml", {"format": "WebDeploy"}, api=API)
    assert xml.headers["Content-Type"] == "application/xml"


def test_the_subscription_wide_list_has_every_resource_groups_sites_and_no_slots(emu_factory):
    """WebApps_List (`web_apps.list()`): the production sites of every resource group, with
    their identities, in the body of the resource-group list; slots only under their site."""
    emu = emu_factory(
        {
            "resource_groups": [{"name": "rg-one"}, {"name": "rg-two"}, {"name": "rg-empty"}],
            "identities": [{"resource_group": "rg-two", "name": "id-shared"}],
            "sites": [
                {
                    "resource_group": "rg-one",
                    "name": "func-a",
                    "system_assigned": True,
                    "slots": [{"name": "staging", "system_assigned": True}],
                },
                {
                    "resource_group": "rg-two",
                    "name": "func-b",
                    "user_assigned": ["rg-two/id-shared"],
                },
                {"resource_group": "rg-two", "name": "web-c", "kind": "app"},
            ],
        }
    )
    web = client("web")
    listed = {s.name: s for s in web.web_apps.list()}
    assert sorted(listed) == ["func-a", "func-b", "web-c"]
    assert all(s.type == "Microsoft.Web/sites" for s in listed.values())
    assert listed["func-a"].resource_group == "rg-one"
    a = listed["func-a"].identity
    assert a.type == "SystemAssigned" and a.principal_id
    b = listed["func-b"].identity
    assert b.type == "UserAssigned"
    ((rid, uai),) = b.user_assigned_identities.items()
    assert rid.endswith("/userAssignedIdentities/id-shared") and uai.client_id
    assert listed["web-c"].identity is None
    # The same bodies as the resource-group list and the site's GET.
    by_rg = [s.as_dict() for s in web.web_apps.list_by_resource_group("rg-two")]
    assert [listed[s["name"]].as_dict() for s in by_rg] == by_rg
    assert listed["func-a"].as_dict() == web.web_apps.get("rg-one", "func-a").as_dict()
    assert [s.name for s in web.web_apps.list_slots("rg-one", "func-a")] == ["func-a/staging"]
    body = raw("GET", f"/subscriptions/{sub()}/providers/Microsoft.Web/sites", api=API).json()
    assert sorted(body) == ["value"] and len(body["value"]) == 3
    first = next(r for r in emu.requests() if "/sites" in r["path"])
    assert first["route"] == "web.sites.listBySubscription"

"""What every ARM request goes through: tokens, roles, 404 kinds, throttling, faults, and the
cloud metadata document."""

from __future__ import annotations

import time

import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

from tests.emulator.helpers import client, example, missing_keys, raw, sub

RG = "/resourceGroups/rg-demo/providers/Microsoft.ManagedIdentity/userAssignedIdentities/x"


def test_no_token_or_a_bad_token_is_401(emu):
    assert raw("GET", f"/subscriptions/{sub()}", token=None, api="2022-12-01").status_code == 401
    forged = raw(
        "GET", f"/subscriptions/{sub()}", token="eyJhbGciOiJub25lIn0.e30.", api="2022-12-01"
    )
    assert forged.status_code == 401
    assert forged.json()["error"]["code"] == "InvalidAuthenticationToken"


def test_a_token_for_another_audience_is_401(emu):
    from tests.emulator.helpers import credential

    kusto_token = credential().get_token("https://kusto.kusto.windows.net/.default").token
    assert (
        raw("GET", f"/subscriptions/{sub()}", token=kusto_token, api="2022-12-01").status_code
        == 401
    )


def test_sdk_raises_client_authentication_error_on_401(emu, monkeypatch):
    from azure.mgmt.msi import ManagedServiceIdentityClient

    class Forged:
        def get_token(self, *scopes, **kw):
            from azure.core.credentials import AccessToken

            return AccessToken("not-a-jwt", int(time.time()) + 3600)

    c = ManagedServiceIdentityClient(Forged(), sub(), base_url=emu.url)
    with pytest.raises(ClientAuthenticationError):
        c.user_assigned_identities.get("rg-demo", "x")


def test_reader_can_read_but_gets_403_authorization_failed_on_writes(emu_factory):
    emu_factory(
        {
            "operators": [{"name": "reader", "role": "Reader"}],
            "resource_groups": [{"name": "rg-demo", "location": "westeurope"}],
        }
    )
    assert (
        raw("GET", f"/subscriptions/{sub()}/resourcegroups/rg-demo", api="2025-04-01").status_code
        == 200
    )
    with pytest.raises(HttpResponseError) as err:
        client("msi").user_assigned_identities.create_or_update(
            "rg-demo", "id-x", {"location": "westeurope"}
        )
    assert err.value.status_code == 403
    assert err.value.error.code == "AuthorizationFailed"
    assert "Microsoft.ManagedIdentity/userAssignedIdentities/write" in err.value.error.message


def test_resource_groups(emu):
    rc = client("resources")
    assert rc.resource_groups.check_existence("rg-demo") is True
    assert rc.resource_groups.check_existence("rg-nope") is False
    got = raw("GET", f"/subscriptions/{sub()}/resourcegroups/rg-demo", api="2025-04-01").json()
    assert missing_keys(got, example("Microsoft.Resources/ResourceGroups_Get.json")) == []
    created = rc.resource_groups.create_or_update("rg-new", {"location": "westeurope"})
    assert created.name == "rg-new"
    missing = raw("GET", f"/subscriptions/{sub()}/resourcegroups/rg-nope", api="2025-04-01")
    assert missing.json()["error"]["code"] == "ResourceGroupNotFound"


def test_unknown_subscription_is_404(emu):
    r = raw("GET", f"/subscriptions/00000000-0000-0000-0000-000000000000{RG}", api="2024-11-30")
    assert r.status_code == 404 and r.json()["error"]["code"] == "SubscriptionNotFound"


def test_subscriptions_and_cloud_metadata_configure_a_custom_cloud(emu):
    subs = raw("GET", "/subscriptions", api="2022-12-01").json()["value"]
    assert [s["subscriptionId"] for s in subs] == [sub()]
    assert subs[0]["tenantId"] == emu.env["AZURE_TENANT_ID"]
    meta = requests.get(emu.url + "/metadata/endpoints?api-version=2022-09-01", timeout=10).json()
    assert meta["resourceManager"].rstrip("/") == emu.url
    assert meta["authentication"]["loginEndpoint"].rstrip("/") == emu.url
    assert "https://management.azure.com/" in meta["authentication"]["audiences"]
    assert meta["authentication"]["tenant"] == emu.env["AZURE_TENANT_ID"]


def test_429_with_retry_after_is_retried_by_the_sdk_then_succeeds(emu):
    emu.faults(
        [
            {
                "route": "web.sites.get",
                "kind": "status",
                "status": 429,
                "retry_after": 0.3,
                "times": 1,
            }
        ]
    )
    t = time.monotonic()
    site = client("web").web_apps.get("rg-demo", "func-orders")
    assert site.name == "func-orders" and time.monotonic() - t >= 0.3
    statuses = [r["status"] for r in emu.requests() if r["route"] == "web.sites.get"]
    assert statuses == [429, 200]


def test_persistent_503_surfaces_after_retries(emu):
    emu.faults([{"route": "web.sites.get", "status": 503}])
    with pytest.raises(HttpResponseError) as err:
        client("web", retry_total=1, retry_backoff_factor=0.01).web_apps.get(
            "rg-demo", "func-orders"
        )
    assert err.value.status_code == 503
    assert len([r for r in emu.requests() if r["route"] == "web.sites.get"]) == 2


def test_a_dropped_connection_is_retried(emu):
    emu.faults([{"route": "web.sites.get", "kind": "drop", "times": 1}])
    assert client("web").web_apps.get("rg-demo", "func-orders").name == "func-orders"
    assert [r["status"] for r in emu.requests() if r["route"] == "web.sites.get"] == [None, 200]


def test_latency_knob_slows_every_request(emu):
    emu.knobs(latency_ms=150)
    web = client("web")
    web.web_apps.get("rg-demo", "func-orders")  # token and first call
    t = time.monotonic()
    web.web_apps.get("rg-demo", "func-orders")
    assert time.monotonic() - t >= 0.15


def test_unknown_method_is_405_and_unknown_path_404(emu):
    r = raw(
        "POST",
        f"/subscriptions/{sub()}/resourceGroups/rg-demo/providers/Microsoft.Web/sites/func-orders",
        api="2025-05-01",
    )
    assert r.status_code == 405
    assert raw("GET", f"/subscriptions/{sub()}/nothing/here").status_code == 404


def test_api_version_is_required_and_checked(emu):
    path = (
        f"/subscriptions/{sub()}/resourceGroups/rg-demo/providers/Microsoft.Web/sites/func-orders"
    )
    missing = raw("GET", path)
    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == "MissingApiVersionParameter"
    wrong = raw("GET", path, api="2024-11-30")  # Microsoft.ManagedIdentity's, not Web's
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "NoRegisteredProviderFound"
    assert raw("GET", path, api="2025-05-01").status_code == 200


def test_every_api_version_the_specs_publish_is_served_and_others_get_arms_wording(emu):
    """`az identity create` (azure-cli 2.91) sends 2025-05-31-preview."""
    identity = (
        f"/subscriptions/{sub()}/resourceGroups/rg-demo/providers/"
        "Microsoft.ManagedIdentity/userAssignedIdentities/id-az"
    )
    assert raw("PUT", identity, {"location": "westeurope"}, api="2025-05-31-preview").ok
    for path, version in (
        (identity, "2018-11-30"),
        (
            f"/subscriptions/{sub()}/resourceGroups/rg-data/providers/Microsoft.Kusto/clusters/adxdemo",
            "2019-09-07",
        ),
        (
            f"/subscriptions/{sub()}/resourceGroups/rg-demo/providers/Microsoft.Web/sites/func-orders",
            "2016-08-01",
        ),
        (f"/subscriptions/{sub()}/resourcegroups/rg-demo", "2019-10-01"),
        (f"/subscriptions/{sub()}", "2016-06-01"),
    ):
        assert raw("GET", path, api=version).status_code == 200, (path, version)
    bad = raw("PUT", identity, {"location": "West Europe"}, api="2099-01-01")
    error = bad.json()["error"]
    assert (bad.status_code, error["code"]) == (400, "NoRegisteredProviderFound")
    assert error["message"].startswith(
        "No registered resource provider found for location 'westeurope' and API version "
        "'2099-01-01' for type 'userAssignedIdentities'. The supported api-versions are "
        "'2015-08-31-preview, 2018-11-30, "
    )
    assert "2025-05-31-preview" in error["message"]
    assert "'. The supported locations are '" in error["message"]
    assignments = (
        f"/subscriptions/{sub()}/resourceGroups/rg-data/providers/Microsoft.Kusto/clusters/"
        "adxdemo/databases/Orders/principalAssignments"
    )
    nested = raw("GET", assignments, api="2099-01-01").json()["error"]["message"]
    assert "for type 'clusters/databases/principalAssignments'" in nested


def test_a_client_gone_mid_request_prints_nothing_where_commands_write(emu, capsys):
    """The in-process emulator shares sys.stderr with the commands a test runs: a client that
    went away (ssl's SSLEOFError, a reset) must not print a traceback into their stderr."""
    import ssl

    server = emu.running.server
    for error in (
        ssl.SSLEOFError(8, "EOF occurred in violation of protocol"),
        ConnectionResetError(),
    ):
        try:
            raise error
        except OSError:
            server.handle_error(None, ("127.0.0.1", 0))
    assert capsys.readouterr().err == ""


def test_the_clock_freezes_and_advances_through_the_admin_api(emu):
    """A client that is not in-process (the az CLI, a script) drives the clock too."""
    emu.knobs(lro_seconds=5)
    frozen = emu.admin("/_emulator/clock", "POST", {"freeze": True})
    assert frozen["frozen"] is True
    moved = emu.admin("/_emulator/clock", "POST", {"advance": 10})
    assert moved["now"] - frozen["now"] == 10

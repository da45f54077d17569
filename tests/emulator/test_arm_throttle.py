"""ARM's throttling, by the knobs arm_rate and arm_burst
(https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling):
a token bucket per subscription, caller and kind of request; 429 with Retry-After past it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests
from azure.core.exceptions import HttpResponseError
from azure.identity import ClientSecretCredential

from tests.emulator.helpers import ARM_SCOPE, client, credential, sub

SITE = "/resourceGroups/rg-demo/providers/Microsoft.Web/sites/func-orders?api-version=2025-05-01"
READS = "x-ms-ratelimit-remaining-subscription-reads"
WRITES = "x-ms-ratelimit-remaining-subscription-writes"
KUSTO = "https://kusto.kusto.windows.net/.default"


@contextmanager
def arm(token: str | None = None) -> Iterator[requests.Session]:
    """One kept-alive HTTPS connection with the operator's token: requests in quick
    succession, as a busy client sends them."""
    with requests.Session() as s:
        s.headers["Authorization"] = "Bearer " + (token or credential().get_token(ARM_SCOPE).token)
        yield s


def get_site(s: requests.Session, emu) -> requests.Response:
    return s.get(f"{emu.url}/subscriptions/{sub()}{SITE}", timeout=10)


def test_past_the_burst_arm_answers_429_with_retry_after_then_lets_the_request_through(emu):
    emu.knobs(arm_rate=1, arm_burst=3)
    with arm() as s:
        first = [get_site(s, emu) for _ in range(3)]
        assert [r.status_code for r in first] == [200, 200, 200]
        assert [r.headers[READS] for r in first] == ["2", "1", "0"]
        throttled = get_site(s, emu)
        assert throttled.status_code == 429
        assert throttled.headers["Retry-After"] == "1"  # whole seconds, rounded up
        assert throttled.headers[READS] == "0"
        error = throttled.json()["error"]
        assert error["code"] == "SubscriptionRequestsThrottled"
        assert error["message"].startswith(
            f"Number of 'read' requests for subscription '{sub()}' actor '"
        )
        assert "Please try again after '1' seconds" in error["message"]
        # Writes have a bucket of their own.
        put = s.put(
            f"{emu.url}/subscriptions/{sub()}/resourcegroups/rg-new?api-version=2025-04-01",
            json={"location": "westeurope"},
            timeout=10,
        )
        assert put.status_code in (200, 201) and put.headers[WRITES] == "2"
        time.sleep(int(throttled.headers["Retry-After"]))
        after = get_site(s, emu)
        assert after.status_code == 200 and after.headers[READS] == "0"
    statuses = [r["status"] for r in emu.requests() if r["route"] == "web.sites.get"]
    assert statuses == [200, 200, 200, 429, 200]  # a client's 429s, counted from the log


def test_the_sdk_reads_the_429_as_arm_throttling(emu):
    emu.knobs(arm_rate=0.01, arm_burst=1)  # the next token in 100 s
    web = client("web", retry_total=0)
    assert web.web_apps.get("rg-demo", "func-orders").name == "func-orders"
    with pytest.raises(HttpResponseError) as err:
        web.web_apps.get("rg-demo", "func-orders")
    assert err.value.status_code == 429
    assert err.value.error is not None
    assert err.value.error.code == "SubscriptionRequestsThrottled"
    assert err.value.response.headers["Retry-After"] == "100"
    assert [r["status"] for r in emu.requests() if r["route"].startswith("web.")] == [200, 429]


def test_each_caller_has_its_own_bucket(emu_factory):
    emu = emu_factory(
        {
            "operators": [{"name": "ops"}, {"name": "pipeline"}],
            "resource_groups": [{"name": "rg-demo"}],
            "sites": [{"resource_group": "rg-demo", "name": "func-orders"}],
            "knobs": {"arm_rate": 0.01, "arm_burst": 1},  # from the scenario file
        }
    )
    other = emu.world.operators[1]
    with ClientSecretCredential(
        emu.env["AZURE_TENANT_ID"],
        other.client_id,
        other.secret,
        authority=emu.url,
        disable_instance_discovery=True,
    ) as cred:
        pipeline_token = cred.get_token(ARM_SCOPE).token
    with arm() as ops, arm(pipeline_token) as pipeline:
        assert [get_site(ops, emu).status_code for _ in range(2)] == [200, 429]
        assert get_site(pipeline, emu).status_code == 200
        assert get_site(pipeline, emu).status_code == 429


def test_routes_outside_arm_subscriptions_are_never_throttled(emu):
    emu.knobs(arm_rate=0.01, arm_burst=1)
    with arm() as s:
        assert [get_site(s, emu).status_code for _ in range(2)] == [200, 429]
    tenant = emu.env["AZURE_TENANT_ID"]
    mi = emu.app_env("func-orders", "rg-demo")
    with requests.Session() as s:
        for _ in range(5):
            for resp in (
                s.get(f"{emu.url}/{tenant}/v2.0/.well-known/openid-configuration", timeout=10),
                s.get(f"{emu.url}/{tenant}/discovery/v2.0/keys", timeout=10),
                s.get(f"{emu.url}/metadata/endpoints?api-version=2022-09-01", timeout=10),
                s.get(
                    mi["IDENTITY_ENDPOINT"],
                    params={
                        "api-version": "2019-08-01",
                        "resource": "https://management.azure.com",
                    },
                    headers={"X-IDENTITY-HEADER": mi["IDENTITY_HEADER"]},
                    timeout=10,
                ),
                s.post(
                    f"{emu.url}/kusto/adxdemo/v1/rest/mgmt",
                    json={"db": "Orders", "csl": ".show version"},
                    headers={"Authorization": "Bearer " + credential().get_token(KUSTO).token},
                    timeout=10,
                ),
                s.get(f"{emu.url}/_emulator/health", timeout=10),
            ):
                assert resp.status_code == 200, resp.url
    # A tenant request (no subscription in the path) is not counted against the subscription.
    with arm() as s:
        listed = s.get(f"{emu.url}/subscriptions?api-version=2022-12-01", timeout=10)
        assert listed.status_code == 200
        assert get_site(s, emu).status_code == 429
    log = emu.requests()
    assert {r["route"] for r in log if r["status"] == 429} == {"web.sites.get"}
    assert {"entra.token", "mi.token", "kusto.data.mgmt"} <= {r["route"] for r in log}


def test_with_the_knob_off_nothing_is_throttled(emu):
    with arm() as s:
        quick = [get_site(s, emu) for _ in range(20)]
        assert {r.status_code for r in quick} == {200}
        assert all(READS not in r.headers for r in quick)
        emu.knobs(arm_rate=0.01, arm_burst=1)
        assert [get_site(s, emu).status_code for _ in range(2)] == [200, 429]
        emu.knobs(arm_rate=0)
        assert {get_site(s, emu).status_code for _ in range(10)} == {200}
    assert emu.state()["knobs"]["arm_rate"] == 0

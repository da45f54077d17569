"""The admin API's request log: what the tests read of the requests the emulator served."""

from __future__ import annotations

import threading
import time

from tests.emulator.helpers import raw, sub

API = "2025-05-01"
SITE = "/resourceGroups/rg-demo/providers/Microsoft.Web/sites/func-orders"


def test_each_entry_has_its_start_and_end(emu):
    emu.knobs(latency_ms=100)
    assert raw("GET", f"/subscriptions/{sub()}{SITE}", api=API).status_code == 200
    [entry] = [r for r in emu.requests() if r["route"] == "web.sites.get"]
    assert entry["time"] - entry["start"] >= 0.1


def test_a_site_patch_is_logged_with_the_identity_block_it_sent(emu):
    ident = raw(
        "PUT",
        f"/subscriptions/{sub()}/resourceGroups/rg-demo/providers/"
        "Microsoft.ManagedIdentity/userAssignedIdentities/id-log",
        {"location": "westeurope"},
        api="2023-01-31",
    ).json()
    block = {"type": "UserAssigned", "userAssignedIdentities": {ident["id"]: {}}}
    assert raw("PATCH", f"/subscriptions/{sub()}{SITE}", {"identity": block}, api=API).ok
    settings = {"properties": {"SOME_SETTING": "not-in-the-log"}}
    put = raw("PUT", f"/subscriptions/{sub()}{SITE}/config/appsettings", settings, api=API)
    assert put.ok
    [patch] = [r for r in emu.requests() if r["route"] == "web.sites.patch"]
    assert patch["identity"] == block
    [logged] = [r for r in emu.requests() if r["route"] == "web.appsettings.put"]
    assert "not-in-the-log" not in str(logged)  # setting values may be secrets: never logged


def test_a_request_that_outlives_its_world_is_not_logged_in_the_next(emu, emu_factory):
    emu.faults([{"route": "web.sites.get", "kind": "slow", "seconds": 0.3, "times": 1}])
    statuses: list[int] = []
    slow = threading.Thread(
        target=lambda: statuses.append(
            raw("GET", f"/subscriptions/{sub()}{SITE}", api=API).status_code
        )
    )
    slow.start()
    deadline = time.monotonic() + 10
    while emu.world.faults[0]["times"] and time.monotonic() < deadline:  # until it arrives
        time.sleep(0.01)
    assert emu.world.faults[0]["times"] == 0
    nxt = emu_factory({})  # the next test's world, loaded while the GET is still answered
    slow.join(timeout=10)
    assert statuses == [200]
    assert [r["route"] for r in nxt.requests()] == []

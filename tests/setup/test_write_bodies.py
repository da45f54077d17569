"""What attach, setup and revoke send: the bodies of their writes as the emulator received
them (it merges identities, so its state alone cannot tell), the number of apps in flight,
the plan of a setting that is not kustomi's, and the exit codes of what Azure answers."""

from __future__ import annotations

from typing import Any

from tests.conftest import CL, G
from tests.setup.worlds import fleet_world

ONE = ("--identity", "id-func", *G, *CL, "--database", "Sales", "--role", "viewer")
SETTING = "KustoConnectionStringManagedIdentity"


def _fleet(n: int) -> tuple[str, ...]:
    return tuple(x for i in range(n) for x in ("--app", f"func-{i:02d}"))


def _patches(world, app: str) -> list[dict[str, Any]]:
    """The identity blocks of the PATCHes the app (or its slots) received, in order."""
    return [
        w["identity"]
        for w in world.writes()
        if w["route"] in ("web.sites.patch", "web.slots.patch") and f"/sites/{app}" in w["path"]
    ]


def _names(block: dict[str, Any]) -> dict[str, bool]:
    """{identity name: kept (True) or removed (False)} of a PATCH's userAssignedIdentities."""
    return {k.rsplit("/", 1)[-1]: v is not None for k, v in block["userAssignedIdentities"].items()}


def test_attach_sends_every_identity_already_there_with_the_new_one(world, kustomi):
    assert kustomi("create-identity", *G, "-n", "id-func").exit_code == 0
    world.clear_log()
    r = kustomi("-o", "json", "attach", "--app", "func-busy", *G, "--identity", "id-func")
    assert r.exit_code == 0, r.stderr
    [block] = _patches(world, "func-busy")
    assert _names(block) == {"id-other": True, "id-func": True}
    assert block["type"].replace(" ", "") == "SystemAssigned,UserAssigned"


def test_setup_sends_every_identity_of_each_app_with_the_new_one(emu_factory, kustomi):
    world = emu_factory(fleet_world(4))
    r = kustomi("-o", "json", "--yes", "setup", *ONE, *_fleet(4))
    assert r.exit_code == 0, r.stderr
    for i in range(4):
        [block] = _patches(world, f"func-{i:02d}")
        # fleet_world: id-other on every third app, a system-assigned identity on the even ones
        expected = {"id-other": True, "id-func": True} if i % 3 == 0 else {"id-func": True}
        assert _names(block) == expected, (i, block)
        assert ("SystemAssigned" in block["type"]) == (i % 2 == 0), (i, block)


def test_revoke_sends_the_identity_as_null_and_keeps_the_others(world, kustomi):
    assert kustomi("-o", "json", "--yes", "setup", *ONE, "--app", "func-busy").exit_code == 0
    world.clear_log()
    r = kustomi("-o", "json", "--yes", "revoke", *ONE, "--app", "func-busy")
    assert r.exit_code == 0, r.stderr
    [block] = _patches(world, "func-busy")
    assert _names(block) == {"id-other": True, "id-func": False}
    assert "SystemAssigned" in block["type"]


def test_no_more_apps_in_flight_than_parallel(emu_factory, kustomi):
    world = emu_factory(fleet_world(8))
    world.knobs(latency_ms=20)  # every request takes a while: the apps' requests overlap
    r = kustomi("-o", "json", "--yes", "setup", *ONE, *_fleet(8), "--parallel", "2")
    assert r.exit_code == 0, r.stderr
    spans = [
        (q["start"], q["time"], q["path"].split("/sites/")[1].split("/")[0])
        for q in world.requests()
        if "/sites/func-0" in q["path"]
    ]
    assert len({app for _, _, app in spans}) == 8
    most = max(len({app for s, e, app in spans if s < t <= e}) for _, t, _ in spans)
    assert most == 2, f"{most} apps had a request in flight at once, with --parallel 2"


def test_parallel_32_is_the_documented_maximum(world, kustomi):
    top = kustomi(
        "-o", "json", "--dry-run", "setup", *ONE, "--app", "func-busy", "--parallel", "32"
    )
    assert top.exit_code == 0, top.stderr
    over = kustomi(
        "-o", "json", "--dry-run", "setup", *ONE, "--app", "func-busy", "--parallel", "33"
    )
    assert over.exit_code == 2
    assert "--parallel must be 1 to 32, not 33" in over.stderr


def test_the_revoke_plan_keeps_a_setting_that_holds_another_value(world, kustomi):
    assert kustomi("-o", "json", "--yes", "setup", *ONE, "--app", "func-busy").exit_code == 0
    other = "https://elsewhere.westeurope.kusto.windows.net"
    moved = ("set-connection", "--app", "func-busy", *G, "--cluster", other, "--database", "Sales")
    assert kustomi(*moved).exit_code == 0
    world.clear_log()
    plan = kustomi("-o", "json", "--dry-run", "revoke", *ONE, "--app", "func-busy")
    assert plan.exit_code == 0, plan.stderr
    [change] = [c for c in plan.json()["changes"] if c["target"].startswith(f"setting {SETTING}")]
    assert change["kind"] == "none", change
    assert change["detail"] == f"kept: it points at {other}, database Sales"
    assert world.writes() == []


def test_a_404_where_none_is_expected_is_not_found(world, kustomi):
    world.faults([{"route": "web.appsettings.put", "status": 404}])
    args = ("set-connection", "--app", "func-busy", *G, *CL, "--database", "Sales")
    r = kustomi("-o", "json", *args)
    assert r.exit_code == 3, r.stderr
    assert "writing app settings of func-busy" in r.stderr


def test_a_fleet_where_one_app_is_refused_exits_with_that_apps_code(emu_factory, kustomi):
    world = emu_factory(fleet_world(3))
    world.faults([{"route": "web.", "method": "PATCH", "path": "/sites/func-01", "status": 403}])
    r = kustomi("-o", "json", "--yes", "setup", *ONE, *_fleet(3))
    assert r.exit_code == 4, r.stderr
    [err] = r.json()["errors"]
    assert err["app"] == "rg-app/func-01" and err["exitCode"] == 4


def test_an_identity_attached_under_other_casing_is_already_attached(world, kustomi):
    from tests.emulator.helpers import raw, sub

    ident = kustomi("-o", "json", "create-identity", *G, "-n", "id-func").json()["data"]
    site = f"/subscriptions/{sub()}/resourceGroups/rg-app/providers/Microsoft.Web/sites/func-busy"
    lower = ident["resourceId"].lower()  # as some tools write it
    body = {
        "identity": {"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {lower: {}}}
    }
    assert raw("PATCH", site, body, api="2025-05-01").status_code == 200
    assert lower in world.site("rg-app", "func-busy")["user_assigned"]
    world.clear_log()
    r = kustomi("-o", "json", "attach", "--app", "func-busy", *G, "--identity", "id-func")
    assert r.exit_code == 0, r.stderr
    assert [(c["kind"], c["detail"]) for c in r.json()["changes"]] == [("none", "already attached")]
    assert world.writes() == []


def test_revoke_holds_the_role_back_while_an_app_did_not_finish(emu_factory, kustomi):
    world = emu_factory(fleet_world(3))
    r = kustomi("-o", "json", "--yes", "setup", *ONE, *_fleet(3))
    assert r.exit_code == 0, r.stderr
    client_id = r.json()["data"]["clientId"]
    world.faults([{"route": "web.", "method": "PATCH", "path": "/sites/func-01", "status": 409}])
    out = kustomi("-o", "json", "--yes", "revoke", *ONE, *_fleet(3))
    assert out.exit_code == 5, out.stderr
    [role] = [c for c in out.json()["changes"] if c["target"].startswith("Viewer on")]
    assert role["detail"].endswith("not done: an app did not finish"), role
    assert not role["applied"]
    held = world.database("adxbusy", "Sales")["principals"]
    assert [p["role"] for p in held if p["app_id"] == client_id] == ["Viewer"]
    assert "Held back until they do: delete Viewer on adxbusy/Sales" in out.stderr


def test_an_answer_that_lost_another_identity_is_an_error_naming_it(world, kustomi):
    """Whether App Service's PATCH merges is UNCONFIRMED (azure/web.py): should its answer
    lack an identity that was there, attach says so rather than report success."""
    from tests.emulator.helpers import raw, sub

    ident = kustomi("-o", "json", "create-identity", *G, "-n", "id-func").json()["data"]
    site = f"/subscriptions/{sub()}/resourceGroups/rg-app/providers/Microsoft.Web/sites/func-busy"
    answer = raw("GET", site, api="2025-05-01").json()
    uais = answer["identity"]["userAssignedIdentities"]
    assert [k.rsplit("/", 1)[-1] for k in uais] == ["id-other"]
    answer["identity"]["userAssignedIdentities"] = {
        ident["resourceId"]: {"clientId": ident["clientId"], "principalId": ident["principalId"]}
    }
    world.faults([{"route": "web.sites.patch", "kind": "body", "status": 200, "body": answer}])
    r = kustomi("-o", "json", "attach", "--app", "func-busy", *G, "--identity", "id-func")
    assert r.exit_code == 5, r.stderr
    assert "After the update func-busy lacks" in r.stderr and "/id-other" in r.stderr

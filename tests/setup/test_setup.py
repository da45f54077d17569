"""setup and revoke against the emulator: the plan, the apply, the fleet, the undo."""

from __future__ import annotations

import json

from tests.conftest import CL, G
from tests.setup.worlds import TWENTY_SETTINGS, fleet_world, wiring

ONE = ("--identity", "id-func", *G, *CL, "--database", "Sales", "--role", "viewer")
SETUP = ("setup", *ONE, "--app", "func-busy")
REVOKE = ("revoke", *ONE, "--app", "func-busy")


def _fleet(n: int) -> tuple[str, ...]:
    return tuple(x for i in range(n) for x in ("--app", f"func-{i:02d}"))


def test_setup_from_scratch_on_a_busy_world_then_check_sends_no_write(world, kustomi):
    r = kustomi("-o", "json", "--yes", *SETUP)
    assert r.exit_code == 0, r.stderr
    doc = r.json()
    assert [c["kind"] for c in doc["changes"]] == ["create", "create", "update", "create"]
    assert all(c["applied"] for c in doc["changes"])
    assert doc["data"]["apps"] == [{"app": "rg-app/func-busy", "status": "done", "changes": 2}]
    site = world.site("rg-app", "func-busy")
    names = {u.rsplit("/", 1)[-1] for u in site["user_assigned"]}
    assert names == {"id-other", "id-func"} and site["system_assigned"]
    expected = f"Data Source={world.url}/kusto/adxbusy;Database=Sales;"
    assert site["app_settings"] == {
        **TWENTY_SETTINGS,
        "KustoConnectionStringManagedIdentity": expected,
    }
    held = world.database("adxbusy", "Sales")["principals"]
    assert [p["role"] for p in held if p["app_id"] == doc["data"]["clientId"]] == ["Viewer"]
    # the slot was not in the plan: untouched
    assert world.site("rg-app", "func-busy", "staging")["app_settings"] == {"SLOT_ONLY": "1"}

    world.clear_log()
    check = kustomi("-o", "json", "--check", *SETUP)
    assert check.exit_code == 0, check.stderr
    assert {c["kind"] for c in check.json()["changes"]} == {"none"}
    assert world.writes() == []


def test_setup_sends_no_more_requests_than_the_four_step_commands(emu_factory, kustomi):
    from tests.cli.worlds import busy_world

    world = emu_factory(busy_world())
    steps = [
        ("create-identity", *G, "-n", "id-func"),
        ("grant", "--role", "viewer", "--identity", "id-func", *G, *CL, "--database", "Sales"),
        ("attach", "--app", "func-busy", *G, "--identity", "id-func"),
        ("set-connection", "--app", "func-busy", *G, *CL, "--database", "Sales"),
    ]
    for step in steps:
        assert kustomi("-o", "json", *step).exit_code == 0
    by_steps = [r for r in world.requests() if not r["route"].startswith("entra")]
    world = emu_factory(busy_world())  # the same world again, from scratch
    r = kustomi("-o", "json", "--yes", *SETUP)
    assert r.exit_code == 0, r.stderr
    by_setup = [r for r in world.requests() if not r["route"].startswith("entra")]
    assert len(by_setup) <= len(by_steps), (len(by_setup), len(by_steps))
    assert len([q for q in by_setup if q["method"] in ("PUT", "PATCH", "DELETE")]) == 4


def test_setup_where_two_steps_are_done_changes_only_the_rest(world, kustomi):
    assert kustomi("-o", "json", "create-identity", *G, "-n", "id-func").exit_code == 0
    grant = ("grant", "--role", "viewer", "--identity", "id-func", *G, *CL, "--database", "Sales")
    assert kustomi("-o", "json", *grant).exit_code == 0
    world.clear_log()
    r = kustomi("-o", "json", "--yes", *SETUP)
    assert r.exit_code == 0, r.stderr
    assert [c["kind"] for c in r.json()["changes"]] == ["none", "none", "update", "create"]
    routes = sorted(w["route"] for w in world.writes())
    assert routes == ["web.appsettings.put", "web.sites.patch"]


def test_a_fleet_where_one_app_fails_finishes_the_others_and_a_rerun_finishes_it(
    emu_factory, kustomi
):
    world = emu_factory(fleet_world(10))
    before = wiring(world.state())
    # Every write to func-07 is refused, as a locked or broken app would be.
    world.faults([{"route": "web.", "method": "PATCH", "path": "/sites/func-07", "status": 409}])
    r = kustomi("-o", "json", "--yes", "setup", *ONE, *_fleet(10), "--parallel", "4")
    assert r.exit_code == 5, r.stderr
    assert "1 of 10 app(s) did not finish: rg-app/func-07" in r.stderr
    doc = r.json()
    status = {a["app"]: a["status"] for a in doc["data"]["apps"]}
    assert status.pop("rg-app/func-07") == "failed"
    assert set(status.values()) == {"done"}
    [err] = doc["errors"]
    assert err["app"] == "rg-app/func-07" and err["exitCode"] == 5
    assert err["notDone"] == [
        "update identity id-func on func-07",
        "create setting KustoConnectionStringManagedIdentity on func-07",  # never sent
    ]
    after = world.state()
    for s in after["sites"]:
        if s["name"][5:].isdigit() and s["name"] != "func-07":
            assert any(u.endswith("/id-func") for u in s["user_assigned"]), s["name"]
            assert "KustoConnectionStringManagedIdentity" in s["app_settings"]
    s07 = next(s for s in after["sites"] if s["name"] == "func-07")
    assert s07["app_settings"] == {"FUNCTIONS_WORKER_RUNTIME": "python", "N": "7"}
    # nothing of any app was lost
    kept = {(s[0], s[1], s[2]): s for s in before["sites"]}
    for s in wiring(after)["sites"]:
        old = kept[(s[0], s[1], s[2])]
        assert set(old[4]) <= set(s[4]) and set(old[5]) <= set(s[5])

    table = kustomi("-o", "table", "--yes", "setup", *ONE, *_fleet(10))  # the fault is still on
    assert table.exit_code == 5
    rows = [line for line in table.stdout.splitlines() if line.startswith("! not done")]
    assert len(rows) == 2 and all("func-07" in row for row in rows)  # attach, then the setting
    assert "rg-app/func-07  failed" in table.stdout and "rg-app/func-00  unchanged" in table.stdout

    world.faults([])
    world.clear_log()
    again = kustomi("-o", "json", "--yes", "setup", *ONE, *_fleet(10))
    assert again.exit_code == 0, again.stderr
    status = {a["app"]: a["status"] for a in again.json()["data"]["apps"]}
    assert status.pop("rg-app/func-07") == "done"
    assert set(status.values()) == {"unchanged"}
    assert {w["route"] for w in world.writes()} == {"web.sites.patch", "web.appsettings.put"}
    assert all("/sites/func-07/" in w["path"] + "/" for w in world.writes())


def test_revoke_after_setup_leaves_the_world_as_it_was(emu_factory, kustomi):
    world = emu_factory(fleet_world(3))
    before = wiring(world.state())
    apps = ("--app", "func-busy", *_fleet(3))
    assert kustomi("-o", "json", "--yes", "setup", *ONE, *apps).exit_code == 0
    assert wiring(world.state()) != before
    r = kustomi("-o", "json", "--yes", "revoke", *ONE, *apps, "--delete-identity")
    assert r.exit_code == 0, r.stderr
    kinds = [c["kind"] for c in r.json()["changes"]]
    assert kinds == ["delete"] * (2 * 4 + 2)
    assert wiring(world.state()) == before
    world.clear_log()
    again = kustomi("-o", "json", "--yes", "revoke", *ONE, *apps, "--delete-identity")
    assert again.exit_code == 0, again.stderr
    assert {c["kind"] for c in again.json()["changes"]} == {"none"}
    assert world.writes() == []


def test_revoke_keeps_a_setting_that_points_at_another_cluster(world, kustomi):
    assert kustomi("-o", "json", "--yes", *SETUP).exit_code == 0
    other = "https://elsewhere.westeurope.kusto.windows.net"
    moved = ("set-connection", "--app", "func-busy", *G, "--cluster", other, "--database", "Sales")
    assert kustomi("-o", "json", *moved).exit_code == 0
    r = kustomi("-o", "json", "--yes", *REVOKE)
    assert r.exit_code == 0, r.stderr
    first = r.json()["changes"][0]
    assert first["kind"] == "none" and "elsewhere" in first["detail"], first
    settings = world.site("rg-app", "func-busy")["app_settings"]
    assert settings["KustoConnectionStringManagedIdentity"].startswith(f"Data Source={other};")


def test_revoke_delete_identity_is_refused_while_a_slot_outside_the_plan_has_it(world, kustomi):
    assert kustomi("-o", "json", "--yes", *SETUP).exit_code == 0
    slot = ("attach", "--app", "func-busy", "--slot", "staging", *G, "--identity", "id-func")
    assert kustomi("-o", "json", *slot).exit_code == 0
    world.clear_log()
    r = kustomi("-o", "json", "--yes", *REVOKE, "--delete-identity")
    assert r.exit_code == 2, r.stderr
    assert "rg-app/func-busy (slot staging)" in r.stderr
    assert "nothing was changed" in r.stderr
    assert world.writes() == []
    # The hint names the slot as revoke takes it; revoked there first, the delete goes.
    assert "-g rg-app --app func-busy --slot staging" in r.stderr, r.stderr
    there = kustomi("--yes", "revoke", *ONE, "--app", "func-busy", "--slot", "staging")
    assert there.exit_code == 0, there.stderr
    assert kustomi("--yes", *REVOKE, "--delete-identity").exit_code == 0


def test_no_terminal_and_no_yes_is_refused_before_any_request(world, kustomi):
    r = kustomi("-o", "json", *SETUP)  # the test runner's stdin is not a terminal
    assert r.exit_code == 2
    assert "--yes" in r.stderr and "nothing was sent" in r.stderr
    assert world.requests() == []
    assert r.json()["error"]["exitCode"] == 2


def test_dry_run_needs_no_confirmation_and_writes_nothing(world, kustomi):
    r = kustomi("-o", "json", "--dry-run", *SETUP)
    assert r.exit_code == 0, r.stderr
    assert r.json()["dryRun"] is True
    assert [c["kind"] for c in r.json()["changes"]] == ["create", "create", "update", "create"]
    assert r.json()["data"]["apps"][0]["status"] == "pending"
    assert world.writes() == []
    check = kustomi("-o", "json", "--check", *SETUP)
    assert check.exit_code == 6


def test_the_setup_table_in_kustomi_toml(world, kustomi, tmp_path):
    (tmp_path / "kustomi.toml").write_text(
        'resource-group = "rg-app"\n'
        "[setup]\n"
        'identity = "id-func"\n'
        "[[setup.grants]]\n"
        'cluster = "adxbusy"\n'
        'cluster-resource-group = "rg-data"\n'
        'database = "Sales"\n'
        'role = "viewer"\n'
        "[[setup.grants]]\n"
        'cluster = "adxbusy"\n'
        'cluster-resource-group = "rg-data"\n'
        'database = "Sales Archive-2.0"\n'
        'role = "ingestor"\n'
        "[[setup.apps]]\n"
        'app = "func-busy"\n'
        "[[setup.apps]]\n"
        'app = "func-busy"\n'
        'slot = "staging"\n'
        'setting = "KustoArchive"\n'
        'database = "Sales Archive-2.0"\n'
    )
    r = kustomi("-o", "json", "--yes", "setup")
    assert r.exit_code == 0, r.stderr
    doc = r.json()
    assert [c["kind"] for c in doc["changes"]] == ["create", "create", "create"] + [
        "update",
        "create",
    ] * 2
    client = doc["data"]["clientId"]
    roles = {
        db: [
            p["role"] for p in world.database("adxbusy", db)["principals"] if p["app_id"] == client
        ]
        for db in ("Sales", "Sales Archive-2.0")
    }
    assert roles == {"Sales": ["Viewer"], "Sales Archive-2.0": ["Ingestor"]}
    slot = world.site("rg-app", "func-busy", "staging")["app_settings"]
    assert slot["KustoArchive"].endswith(";Database=Sales Archive-2.0;")
    assert world.site("rg-app", "func-busy")["app_settings"][
        "KustoConnectionStringManagedIdentity"
    ].endswith(";Database=Sales;")
    # revoke reads the same table; a flag overrides it (one app only)
    r = kustomi("-o", "json", "--yes", "revoke", "--app", "func-busy")
    assert r.exit_code == 0, r.stderr
    assert (
        "KustoConnectionStringManagedIdentity"
        not in world.site("rg-app", "func-busy")["app_settings"]
    )
    assert "KustoArchive" in world.site("rg-app", "func-busy", "staging")["app_settings"]


def test_an_invalid_setup_table_names_the_file_the_key_and_the_line(world, kustomi, tmp_path):
    (tmp_path / "kustomi.toml").write_text(
        'resource-group = "rg-app"\n'
        "[setup]\n"
        'identity = "id-func"\n'
        "[[setup.grants]]\n"
        'cluster = "adxbusy"\n'
        'cluster-resource-group = "rg-data"\n'
        'database = "Sales"\n'
        'role = "viewer"\n'
        "[[setup.apps]]\n"
        'app = "func-busy"\n'
        "[[setup.apps]]\n"
        'app = "func busy"\n'
    )
    r = kustomi("-o", "json", "--yes", "setup")
    assert r.exit_code == 2
    assert "kustomi.toml, line 12: [[setup.apps]] #2, app:" in r.stderr
    assert world.requests() == []
    (tmp_path / "kustomi.toml").write_text(
        '[setup]\nidentity = "id-func"\n[[setup.grants]]\ncluster = "adxbusy"\nrole = "viewer"\n'
        'database = "Sales"\ncolour = "blue"\n'
    )
    r = kustomi("--yes", "setup", "-g", "rg-app")
    assert r.exit_code == 2
    assert "line 7: [[setup.grants]] #1, colour: not a key of kustomi" in r.stderr


def test_throttled_fleet_backs_off_and_finishes(emu_factory, kustomi):
    world = emu_factory(fleet_world(6))
    world.knobs(arm_rate=20, arm_burst=8)
    r = kustomi("-o", "json", "--yes", "setup", *ONE, *_fleet(6), "--parallel", "6")
    assert r.exit_code == 0, r.stderr
    throttled = [q for q in world.requests() if q["status"] == 429]
    assert throttled, "the knob should have throttled some requests"
    assert {a["status"] for a in r.json()["data"]["apps"]} == {"done"}
    for s in world.state()["sites"]:
        if s["name"][5:].isdigit():
            assert "KustoConnectionStringManagedIdentity" in s["app_settings"]
            assert s["app_settings"]["N"] == str(int(s["name"][5:]))


def test_setup_verify_ends_with_a_control_plane_check_per_app(world, kustomi):
    r = kustomi("-o", "json", "--yes", *SETUP, "--verify")
    assert r.exit_code == 0, r.stderr
    checks = {f["check"]: f["status"] for f in r.json()["findings"]}
    assert checks and set(checks.values()) == {"ok"}
    assert all(c.startswith("rg-app/func-busy ") for c in checks)


def test_setup_json_is_one_document(world, kustomi):
    """stdout is the report alone: the plan and the progress go to stderr."""
    r = kustomi("-o", "json", "--yes", *SETUP)
    assert r.exit_code == 0, r.stderr
    doc, end = json.JSONDecoder().raw_decode(r.stdout)
    assert r.stdout[end:].strip() == ""  # nothing after the one document
    assert doc["command"] == "setup" and doc["ok"] is True and doc["dryRun"] is False
    assert [c["applied"] for c in doc["changes"]] == [True] * 4
    assert "would create" not in r.stdout and "would create" in r.stderr


def test_one_sign_in_for_a_whole_fleet(emu_factory, kustomi):
    world = emu_factory(fleet_world(5))
    r = kustomi("-o", "json", "--yes", "setup", *ONE, *_fleet(5))
    assert r.exit_code == 0, r.stderr
    tokens = [q for q in world.requests() if q["route"] == "entra.token"]
    assert len(tokens) == 1  # one credential, one token for ARM, shared by every app


def test_setup_and_revoke_via_kql(emu_factory, kustomi):
    world = emu_factory(fleet_world(1))
    uri = f"{world.url}/kusto/adxbusy"
    kql = ("--identity", "id-func", *G, "--cluster", uri, "--database", "Sales", "--role")
    r = kustomi(
        "-o", "json", "--yes", "setup", *kql, "ingestor", "--via", "kql", "--app", "func-00"
    )
    assert r.exit_code == 0, r.stderr
    client = r.json()["data"]["clientId"]
    assert r.json()["changes"][1]["detail"].startswith(".add database Sales ingestors")

    def held() -> list[str]:
        return [
            p["role"]
            for p in world.database("adxbusy", "Sales")["principals"]
            if p["app_id"] == client
        ]

    assert held() == ["Ingestor"]
    r = kustomi(
        "-o", "json", "--yes", "revoke", *kql, "ingestor", "--via", "kql", "--app", "func-00"
    )
    assert r.exit_code == 0, r.stderr
    assert r.json()["changes"][2]["detail"].startswith(".drop database Sales ingestors")
    assert held() == []


def test_sigterm_stops_the_fleet_and_says_what_was_done_and_what_was_not(emu_factory):
    import os
    import signal
    import subprocess
    import time

    from tests.setup.test_confirm import KUSTOMI

    world = emu_factory(fleet_world(3))
    world.faults(
        [{"kind": "slow", "seconds": 3, "route": "web.sites.patch", "path": "/sites/func-01"}]
    )
    proc = subprocess.Popen(
        [KUSTOMI, "--yes", "setup", *ONE, *_fleet(3), "--parallel", "1"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=dict(os.environ),
    )

    def func00_read_back() -> bool:  # the read after func-00's PUT (it waits a moment first)
        routes = [q["route"] for q in world.requests() if "/func-00/" in q["path"]]
        put = "web.appsettings.put"
        return put in routes and "web.appsettings.list" in routes[routes.index(put) + 1 :]

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not func00_read_back():
        time.sleep(0.05)
    time.sleep(0.5)  # func-01's PATCH is now waiting on the slow answer
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Sent, outcome unknown: update identity id-func on func-01" in err
    done = err.split("Done before the error: ")[1].splitlines()[0]
    not_done = err.split("Not done: ")[1].splitlines()[0]
    assert "create setting KustoConnectionStringManagedIdentity on func-00" in done
    assert "func-02" in not_done and "func-02" not in done
    site = world.site("rg-app", "func-02")
    assert site["app_settings"] == {"FUNCTIONS_WORKER_RUNTIME": "python", "N": "2"}


def test_revoke_of_an_app_deleted_since_setup_undoes_the_rest(emu_factory, kustomi):
    world = emu_factory(fleet_world(2))
    apps = _fleet(2)
    assert kustomi("-o", "json", "--yes", "setup", *ONE, *apps).exit_code == 0
    del world.world.sites[("rg-app", "func-01", "")]  # deleted by its owner meanwhile
    r = kustomi("-o", "json", "--yes", "revoke", *ONE, *apps, "--delete-identity")
    assert r.exit_code == 0, r.stderr
    gone = [c for c in r.json()["changes"] if c["target"] == "app rg-app/func-01"]
    assert gone and gone[0]["kind"] == "none" and "not found" in gone[0]["detail"]
    assert not [i for i in world.state()["identities"] if i["name"] == "id-func"]
    settings = world.site("rg-app", "func-00")["app_settings"]
    assert "KustoConnectionStringManagedIdentity" not in settings


def test_with_yes_the_plan_is_still_shown_before_any_write(world, kustomi):
    r = kustomi("-o", "json", "--yes", *SETUP)
    assert r.exit_code == 0, r.stderr
    err = r.stderr
    assert "+ would create  identity rg-app/id-func" in err
    assert err.index("+ would create") < err.index("create identity rg-app/id-func ...")
    quiet = kustomi("-o", "json", "-q", "--yes", *REVOKE)
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_revoking_one_app_keeps_the_role_the_others_still_use(emu_factory, kustomi):
    world = emu_factory(fleet_world(3))
    assert kustomi("-o", "json", "--yes", "setup", *ONE, *_fleet(3)).exit_code == 0
    r = kustomi("-o", "json", "--yes", "revoke", *ONE, "--app", "func-01")
    assert r.exit_code == 0, r.stderr
    role = next(c for c in r.json()["changes"] if c["target"].startswith("Viewer on"))
    assert role["kind"] == "none" and "rg-app/func-00" in role["detail"], role
    client = r.json()["data"]["clientId"]
    held = [p for p in world.database("adxbusy", "Sales")["principals"] if p["app_id"] == client]
    assert held, "the role the other apps use was removed"
    verify = ("verify", *ONE[:-2], "--role", "viewer", "--app", "func-00")
    assert kustomi("-o", "json", *verify).exit_code == 0


def test_setup_does_not_replace_a_setting_that_holds_another_value(emu_factory, kustomi):
    world = emu_factory(fleet_world(2))
    r = kustomi(
        "-o", "json", "--yes", "setup", *ONE, *_fleet(2), "--setting", "FUNCTIONS_WORKER_RUNTIME"
    )
    assert r.exit_code == 2, r.stderr
    assert "FUNCTIONS_WORKER_RUNTIME on func-00 already holds another value" in r.stderr
    assert "--force" in r.stderr and world.writes() == []
    forced = kustomi(
        "-o", "json", "--yes", "setup", *ONE, "--app", "func-00", "--setting", "N", "--force"
    )
    assert forced.exit_code == 0, forced.stderr
    assert world.site("rg-app", "func-00")["app_settings"]["N"].startswith("Data Source=")


def test_ok_is_false_when_an_app_did_not_finish(emu_factory, kustomi):
    world = emu_factory(fleet_world(2))
    world.faults([{"route": "web.appsettings.put", "path": "/sites/func-01", "status": 409}])
    r = kustomi("-o", "json", "--yes", "setup", *ONE, *_fleet(2))
    assert r.exit_code == 5 and r.json()["ok"] is False


def test_verify_runs_on_a_converged_rerun_too(world, kustomi):
    assert kustomi("-o", "json", "--yes", *SETUP).exit_code == 0
    world.clear_log()
    r = kustomi("-o", "json", "--yes", *SETUP, "--verify")
    assert r.exit_code == 0, r.stderr
    assert {c["kind"] for c in r.json()["changes"]} == {"none"}
    assert r.json()["findings"] and {f["status"] for f in r.json()["findings"]} == {"ok"}
    assert world.writes() == []


def test_an_app_error_on_the_read_before_its_write_says_the_write_was_not_done(
    emu_factory, kustomi
):
    world = emu_factory(fleet_world(2))
    # func-01's second settings read (right before the PUT) is refused.
    world.faults(
        [{"route": "web.appsettings.list", "path": "/sites/func-01", "after": 1, "status": 400}]
    )
    r = kustomi("-o", "json", "--yes", "setup", *ONE, *_fleet(2))
    assert r.exit_code == 5, r.stderr
    [err] = r.json()["errors"]
    assert err["notDone"] == ["create setting KustoConnectionStringManagedIdentity on func-01"]
    assert "update identity id-func on func-01" in err["done"]
    assert "create identity rg-app/id-func" in err["done"]


def test_a_fleet_under_heavy_throttling_still_finishes(emu_factory, kustomi):
    world = emu_factory(fleet_world(10))
    world.knobs(arm_rate=40, arm_burst=4)
    r = kustomi("-o", "json", "--yes", "setup", *ONE, *_fleet(10), "--parallel", "10")
    assert r.exit_code == 0, r.stderr[-2000:]
    assert len([q for q in world.requests() if q["status"] == 429]) >= 3
    assert "429 (throttled)" in r.stderr


def test_a_setting_with_a_secret_blocks_its_app_and_the_finding_names_it(emu_factory, kustomi):
    doc = fleet_world(2)
    secret = (
        "Data Source=https://x.kusto.windows.net;Application Key=NotForPrinting-Zq9;AppClientId=1"
    )
    doc["sites"][-1]["app_settings"]["KustoConnectionStringManagedIdentity"] = secret
    emu_factory(doc)
    r = kustomi("-o", "json", "--yes", "setup", *ONE, *_fleet(2))
    assert r.exit_code == 6, r.stderr
    [finding] = r.json()["findings"]
    assert finding["check"] == "rg-app/func-01 existing_setting"
    assert finding["status"] == "setting_has_secret" and "NotForPrinting" not in r.stdout + r.stderr
    status = {a["app"]: a["status"] for a in r.json()["data"]["apps"]}
    assert status == {"rg-app/func-00": "done", "rg-app/func-01": "blocked"}


def test_a_setting_changed_between_the_plan_and_the_write_is_not_replaced(emu_factory, kustomi):
    world = emu_factory(fleet_world(1))
    other = "Data Source=https://other.westeurope.kusto.windows.net;Database=Prod;"
    # Another writer sets the value right after setup's plan read it (the second read is the
    # one right before the write).
    world.faults(
        [
            {
                "route": "web.appsettings.list",
                "kind": "concurrent_appsettings",
                "set": {"KustoConnectionStringManagedIdentity": other},
                "times": 1,
            }
        ]
    )
    r = kustomi("-o", "json", "--yes", "setup", *ONE, "--app", "func-00")
    assert r.exit_code == 5, r.stderr
    assert "changed by another writer since the plan" in r.stderr
    settings = world.site("rg-app", "func-00")["app_settings"]
    assert settings["KustoConnectionStringManagedIdentity"] == other


def test_revoke_removes_only_the_value_kustomi_writes(emu_factory, kustomi):
    world = emu_factory(fleet_world(1))
    mine = ("set-connection", "--app", "func-00", *G, *CL, "--database", "Sales Archive-2.0")
    assert kustomi("-o", "json", *mine).exit_code == 0  # same cluster, another database
    r = kustomi("-o", "json", "--yes", "revoke", *ONE, "--app", "func-00")
    assert r.exit_code == 0, r.stderr
    first = r.json()["changes"][0]
    assert first["kind"] == "none" and "database Sales Archive-2.0" in first["detail"]
    assert "KustoConnectionStringManagedIdentity" in world.site("rg-app", "func-00")["app_settings"]


def test_an_app_blocked_by_a_finding_gets_no_write(emu_factory, kustomi):
    doc = fleet_world(1)
    secret = (
        "Data Source=https://x.kusto.windows.net;Application Key=NotForPrinting-Zq9;AppClientId=1"
    )
    doc["sites"][-1]["app_settings"]["KustoConnectionStringManagedIdentity"] = secret
    world = emu_factory(doc)
    r = kustomi("-o", "json", "--yes", "setup", *ONE, "--app", "func-00")
    assert r.exit_code == 6, r.stderr
    assert not [w for w in world.writes() if "/sites/func-00" in w["path"]]
    assert "func-00: done" not in r.stderr


def test_a_grant_listed_twice_is_refused(world, kustomi, tmp_path):
    grant = (
        '[[setup.grants]]\ncluster = "adxbusy"\ncluster-resource-group = "rg-data"\n'
        'database = "{db}"\nrole = "viewer"\n'
    )
    (tmp_path / "kustomi.toml").write_text(
        '[setup]\nidentity = "id-func"\n' + grant.format(db="Sales") + grant.format(db="sales")
    )
    r = kustomi("-o", "json", "--yes", "setup", "-g", "rg-app")
    assert r.exit_code == 2 and "listed twice" in r.stderr
    assert world.requests() == []


def test_an_option_given_twice_is_refused_naming_both_values(world, kustomi):
    r = kustomi("-o", "json", "--yes", *SETUP, "--role", "admin")
    assert r.exit_code == 2
    assert "--role is given 2 times: 'viewer', 'admin'" in r.stderr
    assert r.json()["error"]["exitCode"] == 2 and world.requests() == []


def test_a_root_option_error_is_a_json_report_too(world, kustomi):
    r = kustomi("-o", "json", "-v", "-q", *SETUP)
    assert r.exit_code == 2 and r.json()["error"]["message"].startswith("-v/--verbose and -q")


def test_an_app_listed_twice_in_the_table_names_the_line(world, kustomi, tmp_path):
    (tmp_path / "kustomi.toml").write_text(
        '[setup]\nidentity = "id-func"\nparallel = 4\n[[setup.grants]]\ncluster = "adxbusy"\n'
        'cluster-resource-group = "rg-data"\ndatabase = "Sales"\nrole = "viewer"\n'
        '[[setup.apps]]\napp = "func-busy"\n[[setup.apps]]\napp = "FUNC-busy"\n'
    )
    r = kustomi("--yes", "setup", "-g", "rg-app")
    assert r.exit_code == 2
    assert "kustomi.toml, line 12: [[setup.apps]] #2, app: FUNC-busy is listed twice" in r.stderr
    (tmp_path / "kustomi.toml").write_text('[setup]\nidentity = "id-func"\nparallel = 99\n')
    r = kustomi("--yes", "setup", "-g", "rg-app")
    assert r.exit_code == 2 and "(parallel in kustomi.toml)" in r.stderr
    assert world.requests() == []

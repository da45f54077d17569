"""One JSON error shape: under -o json, every non-zero exit prints one report whose
`error.exitCode` is the exit code, whatever failed; per-app errors stay beside it."""

from __future__ import annotations

import json

from tests.setup.worlds import fleet_world

ONE = ("--identity", "id-func", "-g", "rg-app", "--cluster", "adxbusy")
ONE += ("--cluster-resource-group", "rg-data", "--database", "Sales", "--role", "viewer")


def _error_matches(r) -> dict:
    doc, end = json.JSONDecoder().raw_decode(r.stdout)
    assert r.stdout[end:].strip() == "", "one document"
    assert doc["ok"] is False and doc["error"]["exitCode"] == r.exit_code, doc
    assert doc["error"]["message"] and doc["error"]["hint"]
    return doc


def test_a_fleet_whose_app_failed_has_a_top_level_error_and_each_app_error(emu_factory, kustomi):
    world = emu_factory(fleet_world(2))
    world.faults([{"route": "web.appsettings.put", "path": "/sites/func-01", "status": 409}])
    r = kustomi("-o", "json", "--yes", "setup", *ONE, "--app", "func-00", "--app", "func-01")
    assert r.exit_code == 5, r.stderr
    doc = _error_matches(r)
    assert [e["app"] for e in doc["errors"]] == ["rg-app/func-01"]
    assert "create setting KustoConnectionStringManagedIdentity on func-00" in doc["error"]["done"]


def test_checks_that_failed_and_changes_pending_under_check_say_exit_6(emu, kustomi):
    r = kustomi("-o", "json", "--check", "create-identity", "-g", "rg-demo", "-n", "id-new")
    assert r.exit_code == 6
    assert "pending" in _error_matches(r)["error"]["message"]
    r = kustomi(
        "-o", "json", "verify", "--identity", "id-orders", "-g", "rg-demo", "--cluster",
        "adxdemo", "--cluster-resource-group", "rg-data", "--database", "Orders",
        "--mode", "control-plane",
    )  # fmt: skip
    if r.exit_code == 6:  # the demo's id-orders holds no role yet
        doc = _error_matches(r)
        assert doc["findings"] and "check(s) failed" in doc["error"]["message"]
    else:
        assert r.exit_code == 0 and "error" not in r.json()


def test_a_successful_report_has_no_error(emu, kustomi):
    r = kustomi("-o", "json", "create-identity", "-g", "rg-demo", "-n", "id-new")
    assert r.exit_code == 0 and "error" not in r.json() and r.json()["ok"] is True


def test_an_output_format_that_does_not_exist_still_gets_a_json_error(emu, spawn):
    """KUSTOMI_OUTPUT=xml is refused (exit 2); a script reading stdout still gets JSON."""
    r = spawn(
        "create-identity", "-g", "rg-demo", "-n", "id-x", env={"KUSTOMI_OUTPUT": "xml"}
    ).finish()
    assert r.exit_code == 2
    assert "KUSTOMI_OUTPUT" in r.stderr or "xml" in r.stderr
    _error_matches(r)
    r = spawn("-o", "yaml", "create-identity", "-g", "rg-demo", "-n", "id-x").finish()
    assert r.exit_code == 2
    _error_matches(r)

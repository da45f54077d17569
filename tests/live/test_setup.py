"""setup and revoke against real Azure: the whole checklist as one plan, a --check that finds
nothing left to do, then revoke --delete-identity, after which the app is as it was (the
`run` fixture's finalizer also undoes anything a failure left behind)."""

from __future__ import annotations

from typing import Any

from tests.live.helpers import app_identities, app_settings, find_identity
from tests.live.test_checklist import _kinds, _ok, run

__all__ = ["run"]  # the fixture, shared with test_checklist.py


def test_setup_then_revoke_against_azure(sdk: Any, target: Any, run: Any, kustomi: Any) -> None:
    t = target
    one = (
        "--identity",
        run.identity,
        "-g",
        t.resource_group,
        "--cluster",
        t.cluster,
        "--cluster-resource-group",
        t.cluster_resource_group,
        "--database",
        t.database,
        "--role",
        "viewer",
        "--app",
        t.app,
        "--setting",
        run.setting,
    )
    made = _ok(kustomi, "--yes", "setup", *one, "--entra-timeout", "600")
    assert _kinds(made) == ["create", "create", "update", "create"], made["changes"]
    assert made["data"]["apps"][0]["status"] == "done"
    again = _ok(kustomi, "--check", "setup", *one)
    assert set(_kinds(again)) == {"none"}, again["changes"]

    undone = _ok(kustomi, "--yes", "revoke", *one, "--delete-identity")
    assert _kinds(undone) == ["delete"] * 4, undone["changes"]
    assert app_settings(sdk, t) == run.settings_before
    assert app_identities(sdk, t) == run.identities_before
    assert find_identity(sdk, t, run.identity) is None

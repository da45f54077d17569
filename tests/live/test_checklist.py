"""The demo's checklist against real Azure, with the kustomi CLI as a user types it; every
command run twice, the second time with --check (exit 0: nothing left to write). A finalizer
that always runs undoes it all with the SDKs and checks that the app is as it was."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.live.helpers import (
    AppIdentities,
    Cleanup,
    Target,
    app_identities,
    app_settings,
    assignments_of,
    delete_assignment,
    delete_identity,
    detach,
    find_identity,
    put_app_settings,
    unique,
)


@dataclass(frozen=True)
class Run:
    identity: str  # a new identity's name, id-kustomi-live-<random>
    setting: str  # the connection setting's name, KustoLive_<random>
    settings_before: dict[str, str]
    identities_before: AppIdentities


def _undo(sdk: Any, t: Target, run: Run) -> Cleanup:
    """Each step tried whatever failed before: the setting, the identity on the app, the
    principal assignment, the identity."""
    cleanup = Cleanup()

    def remove_setting() -> str:
        now = app_settings(sdk, t)
        if run.setting not in now:
            return "was not there"
        put_app_settings(sdk, t, {k: v for k, v in now.items() if k != run.setting})
        return "removed"

    made = find_identity(sdk, t, run.identity)
    cleanup.step(f"remove setting {run.setting} from {t.app}", remove_setting)
    if made is not None:
        cleanup.step(
            f"detach identity {run.identity} from {t.app}", lambda: detach(sdk, t, made.id)
        )

        def remove_assignments() -> str:
            names = assignments_of(sdk, t, made.client_id, made.principal_id)
            for name in names:
                delete_assignment(sdk, t, name)
            return ", ".join(names) or "none there"

        cleanup.step(
            f"delete the principal assignments of {run.identity} on {t.cluster}/{t.database}",
            remove_assignments,
        )
        cleanup.step(
            f"delete identity {t.resource_group}/{run.identity}",
            lambda: delete_identity(sdk, t, run.identity),
        )
    return cleanup


@pytest.fixture
def run(sdk: Any, target: Target) -> Iterator[Run]:
    """The app as it is before the test; afterwards, whatever happened, everything the test
    made is deleted and the app is checked against that snapshot."""
    made = Run(
        identity=unique("id-kustomi-live-"),
        setting=unique("KustoLive_"),
        settings_before=app_settings(sdk, target),
        identities_before=app_identities(sdk, target),
    )
    yield made
    cleanup = _undo(sdk, target, made)
    cleanup.check()
    assert app_settings(sdk, target) == made.settings_before, "the app's settings changed"
    assert app_identities(sdk, target) == made.identities_before, "the app's identities changed"


def _ok(kustomi: Any, *args: str) -> dict[str, Any]:
    r = kustomi("-o", "json", *args)
    assert r.exit_code == 0, f"kustomi {' '.join(args)}: exit {r.exit_code}\n{r.stderr}"
    return r.json()  # type: ignore[no-any-return]


def _kinds(report: dict[str, Any]) -> list[str]:
    return [c["kind"] for c in report["changes"]]


def test_the_checklist_against_azure(sdk, target, run, kustomi):
    t = target
    g = ("-g", t.resource_group)
    cluster = ("--cluster", t.cluster, "--cluster-resource-group", t.cluster_resource_group)
    steps = [
        (("create-identity", *g, "-n", run.identity), ["create"]),
        (
            (
                "grant",
                "--role",
                "viewer",
                "--identity",
                run.identity,
                *g,
                *cluster,
                "--database",
                t.database,
                "--via",
                "arm",
                # A new identity is unknown to Entra for a minute or two; grant waits for it.
                "--entra-timeout",
                "600",
            ),
            ["create"],
        ),
        (("attach", "--app", t.app, *g, "--identity", run.identity), ["update"]),
        (
            (
                "set-connection",
                "--app",
                t.app,
                *g,
                *cluster,
                "--database",
                t.database,
                "--setting",
                run.setting,
            ),
            ["create"],
        ),
    ]
    reports = {}
    for args, first_kinds in steps:
        first = _ok(kustomi, *args)
        assert _kinds(first) == first_kinds, (args[0], first["changes"])
        assert all(c["applied"] for c in first["changes"]), (args[0], first["changes"])
        reports[args[0]] = first
        # The second run: --check sends no write and exits 6 while anything would change.
        again = _ok(kustomi, "--check", *args)
        assert set(_kinds(again)) == {"none"}, (args[0], again["changes"])

    ident = reports["create-identity"]["data"]
    assert reports["grant"]["data"]["assignment"] == f"kustomi-viewer-{ident['clientId']}"
    assert reports["grant"]["data"]["clientId"] == ident["clientId"]
    value = reports["set-connection"]["data"]["value"]
    assert value.startswith("Data Source=https://") and value.endswith(f";Database={t.database};")

    # What is already on the app stays: every setting, the system-assigned identity (the same
    # principal, not a new one) and every other user-assigned identity.
    assert app_settings(sdk, t) == {**run.settings_before, run.setting: value}
    now = app_identities(sdk, t)
    before = run.identities_before
    assert now.system_principal_id == before.system_principal_id
    assert now.user_assigned == before.user_assigned | {ident["resourceId"].lower()}

    verify = (
        "verify",
        "--identity",
        run.identity,
        *g,
        *cluster,
        "--database",
        t.database,
        "--role",
        "viewer",
        "--app",
        t.app,
        "--setting",
        run.setting,
        # No managed-identity endpoint off Azure: an authorization check as the operator.
        "--mode",
        "control-plane",
    )
    for _ in range(2):
        report = _ok(kustomi, *verify)
        assert report["data"]["mode"] == "control-plane"
        assert report["ok"] is True, report["findings"]
        checks = {f["check"]: f["status"] for f in report["findings"]}
        assert checks == dict.fromkeys(("identity", "role", "attached", "setting"), "ok"), checks
        assert report["changes"] == []

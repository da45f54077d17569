"""Every command of the CLI as a call of kustomi.api, against the emulator: the checklist one
step at a time, doctor and snippet; each call's report is the one the CLI renders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kustomi.api import Kustomi
from kustomi.errors import UsageError
from tests.setup.worlds import fleet_world

PROJECT = Path(__file__).parents[1] / "doctor" / "projects" / "python-v2"
IDENTITY = {"identity": "id-api", "resource_group": "rg-app"}
CLUSTER = {"cluster": "adxbusy", "cluster_resource_group": "rg-data", "database": "Sales"}
APP = {"app": "func-00", "resource_group": "rg-app"}


def _site(world: Any, name: str) -> dict[str, Any]:
    [site] = [s for s in world.state()["sites"] if s["name"] == name and not s["slot"]]
    return site


def test_the_checklist_doctor_and_snippet_through_the_api(emu_factory):
    world = emu_factory(fleet_world(1))
    before = _site(world, "func-00")
    with Kustomi() as k:
        made = k.create_identity("id-api", "rg-app")
        client_id = made.data["clientId"]
        assert ("rg-app", "id-api") in {
            (i["resource_group"], i["name"]) for i in world.state()["identities"]
        }

        planned = k.grant(**IDENTITY, **CLUSTER, role="viewer", dry_run=True)
        assert planned.dry_run and [c.kind for c in planned.changes] == ["create"]
        assert not [w for w in world.writes() if "principalAssignments" in w["path"]]
        granted = k.grant(**IDENTITY, **CLUSTER, role="viewer")
        assert [c.applied for c in granted.changes] == [True]
        again = k.grant(**IDENTITY, **CLUSTER, role="viewer")
        assert [c.kind for c in again.changes] == ["none"]

        attached = k.attach(identity="id-api", **APP)
        assert attached.ok and any("id-api" in u for u in _site(world, "func-00")["user_assigned"])

        k.set_connection(**APP, **CLUSTER)
        settings = _site(world, "func-00")["app_settings"]
        assert "Database=Sales;" in settings["KustoConnectionStringManagedIdentity"]
        assert all(settings[n] == v for n, v in before["app_settings"].items())  # all kept
        assert _site(world, "func-00")["system_assigned"] == before["system_assigned"]

        checked = k.verify(identity="id-api", **CLUSTER, role="viewer", **APP)
        assert checked.ok and checked.findings, checked.to_dict()["findings"]

        doctored = k.doctor(PROJECT)
        assert doctored.data["bindings"] > 0

        code = k.snippet(
            lang="python", direction="input", database="Sales", identity="id-api",
            resource_group="rg-app",
        )  # fmt: skip
        assert client_id in code.data["code"] and code.data["file"]


def test_an_api_report_is_the_cli_report(emu_factory, kustomi):
    """The CLI is the API and its rendering: the same JSON for the same request."""
    emu_factory(fleet_world(1))
    flags = ["--identity", "id-other", "-g", "rg-app", "--cluster", "adxbusy"]
    flags += ["--cluster-resource-group", "rg-data", "--database", "Sales", "--role", "viewer"]
    r = kustomi("-o", "json", "--dry-run", "grant", *flags)
    assert r.exit_code == 0, r.stderr
    with Kustomi() as k:
        report = k.grant(
            identity="id-other", resource_group="rg-app", **CLUSTER, role="viewer", dry_run=True
        )
    assert report.to_dict() == r.json()


@pytest.mark.parametrize(
    ("method", "args"),
    [
        ("create_identity", {"name": 5, "resource_group": "rg-app"}),
        ("create_identity", {"name": "id-x", "resource_group": "rg-app", "dry_run": "no"}),
        ("grant", {**IDENTITY, **CLUSTER, "role": None}),
        ("grant", {**IDENTITY, **CLUSTER, "role": "viewer", "note": "x"}),  # note needs kql
        ("grant", {**IDENTITY, **CLUSTER, "role": "viewer", "entra_timeout": "10"}),
        ("grant", {**IDENTITY, **CLUSTER, "role": "viewer", "via": "rest"}),
        ("attach", {"identity": "id-func", **APP, "slot": ""}),
        ("attach", {"identity": "id-func", "app": "func 00", "resource_group": "rg-app"}),
        ("set_connection", {**APP, **CLUSTER, "force": "yes"}),
        ("set_connection", {**APP, **CLUSTER, "setting": 5}),
        ("verify", {"identity": "id-func", "resource_group": "rg-app", **CLUSTER, "mode": "x"}),
        ("verify", {"identity": "id-func", "resource_group": "rg-app", **CLUSTER, "slot": "s"}),
        ("verify", {"identity": "id-func"}),
        ("doctor", {"project": 5}),
        ("doctor", {"project": "/nonexistent/project"}),
        ("doctor", {"project": str(PROJECT), "slot": "staging"}),  # a slot needs an app
        ("snippet", {"lang": "cobol", "direction": "input", "database": "Sales"}),
        ("snippet", {"lang": "python", "direction": 3, "database": "Sales"}),
        (
            "snippet",
            {
                "lang": "python",
                "direction": "input",
                "database": "Sales",
                "client_id": "6f4c319d-7b85-4743-9f50-ae5a69cd79d6",
                "identity": "id-func",
            },
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else ",".join(f"{k}={v!r}" for k, v in v.items())[:60],
)
def test_bad_arguments_of_every_command_are_usage_errors_before_any_request(
    emu_factory, method, args
):
    world = emu_factory(fleet_world(1))
    with Kustomi() as k, pytest.raises(UsageError) as bad:
        getattr(k, method)(**args)
    assert bad.value.exit_code == 2 and bad.value.hint
    assert world.requests() == []

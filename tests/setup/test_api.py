"""The Python API, driven directly: the same plans, reports and errors as the CLI."""

from __future__ import annotations

import pytest

from kustomi.api import Kustomi
from kustomi.errors import KustomiError, NotFoundError, UsageError
from tests.setup.worlds import fleet_world, wiring

SPEC = dict(
    identity="id-func",
    resource_group="rg-app",
    cluster="adxbusy",
    cluster_resource_group="rg-data",
    database="Sales",
    role="viewer",
    apps=["func-00"],
)


def _spec(k: Kustomi, *apps: str):
    return k.spec(**{**SPEC, "apps": list(apps)})


def test_plan_apply_verify_revoke(emu_factory):
    world = emu_factory(fleet_world(2))
    before = wiring(world.state())
    said: list[str] = []
    with Kustomi(progress=said.append) as k:
        spec = _spec(k, "func-00", "func-01")
        plan = k.plan(spec)
        assert world.writes() == []  # planning only reads
        planned = plan.report()
        assert planned.dry_run and [c.kind for c in planned.changes] == [
            "create",
            "create",
            "update",
            "create",
            "update",
            "create",
        ]
        report = k.apply(plan)
        assert not report.errors and all(c.applied for c in report.changes)
        assert report.to_dict()["data"]["apps"][0]["status"] == "done"
        checked = k.verify(spec)
        assert checked.findings and checked.ok
        assert {f.check.split()[0] for f in checked.findings} == {
            "rg-app/func-00",
            "rg-app/func-01",
        }
        again = k.plan(spec)
        assert again.pending == 0
        undone = k.revoke(spec, delete_identity=True)
        assert {c.kind for c in undone.changes} == {"delete"}
    assert wiring(world.state()) == before
    assert any("rg-app/func-01: done" in line for line in said)


def test_bad_input_raises_the_cli_error_family_before_any_request(emu_factory):
    world = emu_factory(fleet_world(1))
    with Kustomi() as k:
        with pytest.raises(UsageError) as bad:
            k.spec(
                identity="id-func",
                resource_group="rg-app",
                cluster="adxbusy;Password=x",
                database="Sales",
                role="viewer",
            )
        assert bad.value.exit_code == 2
        with pytest.raises(UsageError):
            _spec(k, "func 00")
    assert world.requests() == []


@pytest.mark.parametrize(
    ("where", "values"),
    [
        ("session", {"parallel": "4"}),
        ("session", {"parallel": True}),
        ("session", {"parallel": 1.5}),
        ("session", {"subscription": 5}),
        ("session", {"progress": "stderr"}),
        ("session", {"cloud": "AzureCloud"}),
        ("spec", {"apps": [5]}),
        ("spec", {"apps": "func-00"}),
        ("spec", {"apps": ["func-00", ""]}),
        ("spec", {"database": 5}),
        ("spec", {"role": None}),
        ("spec", {"slot": ""}),
        ("spec", {"resource_group": ["rg-app"]}),
        ("spec", {"via": True}),
        ("verify", {"wait": "10"}),
        ("verify", {"wait": True}),
        ("revoke", {"delete_identity": "yes"}),
        ("revoke", {"delete_identity": 1}),
        ("plan", {"force": "no"}),
        ("plan", {"spec": {"identity": "id-func"}}),
    ],
    ids=lambda v: v if isinstance(v, str) else repr(v),
)
def test_a_value_of_another_type_is_a_usage_error_before_any_request(emu_factory, where, values):
    """Whatever a caller passes, the API answers with kustomi's error family (exit code 2),
    never a TypeError from deep inside, and sends nothing."""
    world = emu_factory(fleet_world(1))
    with pytest.raises(UsageError) as bad:
        if where == "session":
            Kustomi(**values)
        else:
            with Kustomi() as k:
                spec = k.spec(**{**SPEC, **(values if where == "spec" else {})})
                if where == "verify":
                    k.verify(spec, **values)
                elif where == "revoke":
                    k.plan_revoke(spec, **values)
                elif where == "plan":
                    k.plan(values.get("spec", spec), force=values.get("force", False))
    assert bad.value.exit_code == 2 and bad.value.hint
    assert world.requests() == []


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("KUSTOMI_PROGRESS_SECONDS", "abc"),
        ("KUSTOMI_RETRIES", "many"),
        ("KUSTOMI_SIGNIN_NOTICE_SECONDS", "nan"),
        ("KUSTOMI_MANAGED_IDENTITY", "banana"),
        ("AZURE_TENANT_ID", "bad/../tenant"),
    ],
)
def test_a_bad_environment_is_refused_when_the_session_starts(
    emu_factory, monkeypatch, variable, value
):
    """Not after the identity and the role were written: the session checks every variable
    kustomi reads before it sends anything."""
    world = emu_factory(fleet_world(1))
    monkeypatch.setenv(variable, value)
    with pytest.raises(UsageError) as bad, Kustomi() as k:
        k.setup(k.spec(**SPEC))
    assert variable in bad.value.message
    assert world.requests() == []


def test_a_missing_app_is_a_not_found_error_and_nothing_is_written(emu_factory):
    world = emu_factory(fleet_world(1))
    with Kustomi() as k, pytest.raises(NotFoundError) as missing:
        k.setup(_spec(k, "func-00", "func-nope"))
    assert "func-nope" in missing.value.message and missing.value.exit_code == 3
    assert world.writes() == []


def test_an_app_that_fails_raises_after_the_others_finish(emu_factory):
    world = emu_factory(fleet_world(3))
    world.faults([{"route": "web.appsettings.put", "path": "/sites/func-01", "status": 409}])
    with Kustomi() as k:
        spec = _spec(k, "func-00", "func-01", "func-02")
        with pytest.raises(KustomiError) as failed:
            k.setup(spec)
        assert failed.value.exit_code == 5 and "rg-app/func-01" in failed.value.message
        report = k.setup(spec, check=False)  # the fault is still there
        assert [e.app for e in report.errors] == ["rg-app/func-01"]
    settings = {s["name"]: s["app_settings"] for s in world.state()["sites"] if not s["slot"]}
    assert "KustoConnectionStringManagedIdentity" in settings["func-00"]
    assert "KustoConnectionStringManagedIdentity" in settings["func-02"]
    assert "KustoConnectionStringManagedIdentity" not in settings["func-01"]


def test_the_spec_from_a_setup_table(emu_factory, tmp_path):
    emu_factory(fleet_world(1))
    path = tmp_path / "kustomi.toml"
    path.write_text(
        'resource-group = "rg-app"\n[setup]\nidentity = "id-func"\n[[setup.grants]]\n'
        'cluster = "adxbusy"\ncluster-resource-group = "rg-data"\ndatabase = "Sales"\n'
        'role = "ingestor"\n[[setup.apps]]\napp = "func-00"\n'
    )
    with Kustomi() as k:
        spec = k.spec_from_file(path)
        assert spec.grants[0].role == "Ingestor" and spec.apps[0].database == "Sales"
        assert k.setup(spec).data["apps"][0]["status"] == "done"


def test_an_unfinished_apply_raises_with_what_was_and_was_not_done(emu_factory):
    world = emu_factory(fleet_world(2))
    world.faults([{"route": "web.sites.patch", "path": "/sites/func-01", "status": 409}])
    with Kustomi() as k, pytest.raises(KustomiError) as failed:
        k.setup(_spec(k, "func-00", "func-01"))
    outcome = failed.value.outcome
    assert outcome is not None and "create identity rg-app/id-func" in outcome.done
    assert outcome.not_done == [
        "update identity id-func on func-01",
        "create setting KustoConnectionStringManagedIdentity on func-01",
    ]


def test_a_grant_made_by_another_run_meanwhile_is_taken_as_done(emu_factory, kustomi):
    emu_factory(fleet_world(1))
    assert kustomi("-o", "json", "create-identity", "-g", "rg-app", "-n", "id-func").exit_code == 0
    with Kustomi() as k:
        spec = _spec(k, "func-00")
        plan = k.plan(spec)
        # Another run grants the same role to the same identity between the plan and the apply.
        grant = ("grant", "--role", "viewer", "--identity", "id-func", "-g", "rg-app")
        grant += ("--cluster", "adxbusy", "--cluster-resource-group", "rg-data", "--database")
        assert kustomi("-o", "json", *grant, "Sales").exit_code == 0
        report = k.apply(plan)
    role = next(c for c in report.changes if c.target.startswith("Viewer on"))
    assert role.kind == "none" and "made by another run" in role.detail


def test_the_api_reads_the_files_the_cli_reads(emu_factory, tmp_path):
    emu_factory(fleet_world(1))
    path = tmp_path / "kustomi.toml"
    path.write_text(
        'identity = "id-func"\nresource-group = "rg-app"\n[setup]\nsetting = "KustoConn"\n'
        'parallel = 4\n[[setup.grants]]\ncluster = "adxbusy"\n'
        + 'cluster-resource-group = "rg-data"\ndatabase = "Sales"\nrole = "viewer"\n'
        '[[setup.apps]]\napp = "func-00"\n[verify]\nrole = "viewer"\n'
    )
    with Kustomi() as k:
        spec = k.spec_from_file(path)
    assert spec.identity.name == "id-func" and spec.apps[0].setting == "KustoConn"


def test_an_app_blocked_by_a_finding_raises_checks_failed(emu_factory):
    from kustomi.errors import ChecksFailed

    doc = fleet_world(2)
    secret = (
        "Data Source=https://x.kusto.windows.net;Application Key=NotForPrinting-Zq9;AppClientId=1"
    )
    doc["sites"][-1]["app_settings"]["KustoConnectionStringManagedIdentity"] = secret
    emu_factory(doc)
    with Kustomi() as k, pytest.raises(ChecksFailed) as blocked:
        k.setup(_spec(k, "func-00", "func-01"))
    assert "rg-app/func-01 existing_setting: setting_has_secret" in blocked.value.message
    with Kustomi() as k, pytest.raises(UsageError):
        k.spec(
            identity="id",
            resource_group="rg-app",
            cluster="adxbusy",
            database="Sales",
            role="viewer",
            apps="func-00",
        )

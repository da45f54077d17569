"""Writers racing each other on one app's settings. App Service has no conditional write for
app settings: kustomi may lose a race, but it never says done for a setting that its read-back
does not hold (README, set-connection)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from kustomi.azure.clients import Azure
from kustomi.cloud import from_environment
from kustomi.config import ClusterRef, connection_value
from kustomi.errors import KustomiError
from kustomi.spec import AppSpec
from kustomi.steps import set_connection
from tests.conftest import CL, G

SETTING = "KustoConnectionStringManagedIdentity"
SET_CONNECTION = ("set-connection", "--app", "func-busy", *G, *CL, "--database", "Sales")
RACE = "another writer changed the app's settings at the same time (a race)"


def _settings(world: Any) -> dict[str, str]:
    return world.site("rg-app", "func-busy")["app_settings"]  # type: ignore[no-any-return]


def _puts(world: Any) -> int:
    return [w["route"] for w in world.writes()].count("web.appsettings.put")


def test_a_stale_copy_landing_after_the_put_answered_is_seen_and_written_again(
    world, kustomi, monkeypatch
):
    """The other writer read before kustomi's PUT, and its PUT lands 0.2 s after kustomi's
    answered: a read-back at once would still see kustomi's setting. The read-back waits, sees
    it gone, and kustomi merges into the other writer's copy and writes again."""
    monkeypatch.setattr(set_connection, "SETTLE_SECONDS", 0.4)
    world.faults(
        [{"route": "web.appsettings.put", "kind": "stale_appsettings", "times": 1, "seconds": 0.2}]
    )
    r = kustomi("-o", "json", *SET_CONNECTION)
    assert r.exit_code == 0, r.stderr
    assert any("wrote again" in n for n in r.json()["notes"])
    after = _settings(world)
    assert after[SETTING].startswith("Data Source=")
    assert after["STALE_WRITER"] == "1"  # the other writer's change is kept too
    assert _puts(world) == 2


def test_a_race_lost_every_time_is_exit_5_naming_the_setting_and_the_app(world, kustomi):
    world.faults([{"route": "web.appsettings.put", "kind": "stale_appsettings"}])
    r = kustomi("-o", "json", *SET_CONNECTION)
    assert r.exit_code == 5
    error = r.json()["error"]
    assert error["message"].startswith(f"{SETTING} on func-busy was not set: {RACE}")
    assert error["notDone"] == [f"create setting {SETTING} on func-busy"]
    assert error["done"] == [] and error["unknown"] == []
    assert SETTING not in _settings(world)
    assert _puts(world) == set_connection.MAX_WRITES


def _azure() -> Azure:
    import os

    from kustomi.config import environment

    return Azure(from_environment(), os.environ["AZURE_SUBSCRIPTION_ID"], environment(os.environ))


@pytest.mark.parametrize("lost", [1, set_connection.MAX_WRITES])
def test_a_removal_a_stale_writer_undoes_is_done_again_or_not_reported_done(world, kustomi, lost):
    r = kustomi("-o", "json", *SET_CONNECTION)
    assert r.exit_code == 0, r.stderr
    uri = r.json()["data"]["cluster"]
    assert _settings(world)[SETTING] == connection_value(uri, "Sales")
    world.faults([{"route": "web.appsettings.put", "kind": "stale_appsettings", "times": lost}])
    azure = _azure()
    try:
        planned = set_connection.plan_remove(
            azure,
            AppSpec("rg-app", "func-busy", ClusterRef(uri=uri), "Sales", setting=SETTING),
        )
        if lost < set_connection.MAX_WRITES:
            report = planned.apply()
            assert SETTING not in _settings(world)
            assert any("wrote again" in n for n in report.notes)
        else:
            with pytest.raises(KustomiError) as e:
                planned.apply()
            assert e.value.exit_code == 5
            assert e.value.message.startswith(f"{SETTING} on func-busy was not removed: {RACE}")
            assert e.value.outcome.not_done == [f"delete setting {SETTING} on func-busy"]
            assert SETTING in _settings(world)
    finally:
        azure.close()
    assert _settings(world)["STALE_WRITER"] == str(lost)


def test_twelve_concurrent_writers_never_report_a_setting_they_lost(world, monkeypatch):
    """12 writers of one app at once, each its own setting and its own session (as 12
    `kustomi set-connection --setting Kusto_i` would be). The PUT is slower than the read (as
    in Azure, where it restarts the app), so a writer's read-back at once would miss a PUT
    still in flight. Each that succeeds has its setting at the end; each other is exit 5,
    the race said."""
    monkeypatch.setattr(set_connection, "SETTLE_SECONDS", 0.6)
    monkeypatch.setattr(set_connection, "BACKOFF_SECONDS", 0.15)
    world.faults([{"route": "web.appsettings.put", "kind": "slow", "seconds": 0.05}])
    n = 12
    sessions = [_azure() for _ in range(n)]
    results: list[Any] = [None] * n
    start = threading.Barrier(n)

    def writer(i: int) -> None:
        start.wait()
        try:
            results[i] = set_connection.run(
                sessions[i],
                AppSpec(
                    "rg-app",
                    "func-busy",
                    ClusterRef(name="adxbusy", resource_group="rg-data"),
                    "Sales",
                    setting=f"Kusto_{i}",
                ),
                False,
                False,
            )
        except KustomiError as e:
            results[i] = e

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(n)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        for s in sessions:
            s.close()
    world.faults([])
    final = _settings(world)
    won = [i for i, x in enumerate(results) if not isinstance(x, KustomiError)]
    lost = [i for i, x in enumerate(results) if isinstance(x, KustomiError)]
    assert all(f"Kusto_{i}" in final for i in won), (won, sorted(final))
    for i in lost:
        e = results[i]
        assert e.exit_code == 5, e.message
        assert e.message.startswith(f"Kusto_{i} on func-busy was not set: {RACE}")
        assert e.outcome.not_done == [f"create setting Kusto_{i} on func-busy"]
    assert won, "no writer won"
    # The writes overlapped: some writer lost at least one race and wrote again.
    assert any("wrote again" in note for i in won for note in results[i].notes) or lost

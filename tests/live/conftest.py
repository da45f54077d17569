"""Live tests: kustomi against real Azure. Opt-in; never part of `make test`, never in CI.

They run with `KUSTOMI_LIVE=1 make test-live`, and only when every variable of VARIABLES
below is set; otherwise tests/live is not collected at all (tests/conftest.py,
collect_ignore), and with KUSTOMI_LIVE=1 but a variable missing the run stops before any
request, naming each missing variable.

What they do, and what it costs:

- test_checklist.py: the demo's checklist with the kustomi CLI, as a user types it:
  create-identity (a new identity, `id-kustomi-live-<random>`), grant --role viewer --via arm,
  attach, set-connection (a setting of its own, `KustoLive_<random>`), verify in control-plane
  mode; each run again with --check, which must exit 0 (nothing left to write). A finalizer
  that always runs removes the setting, detaches the identity, deletes the principal
  assignment and the identity, then checks that the app's settings and identities are as
  they were before the test.
- test_facts.py: the Azure behaviour the emulator copies and kustomi relies on: the
  principal assignment's long-running PUT and DELETE (status, Azure-AsyncOperation,
  Location, Retry-After), a PUT of app settings replacing the whole set (on the app itself:
  all its settings plus one, read back, then all of them again, read back), and the 400 a
  principal assignment gets while Entra does not know an identity yet. What Azure answered
  is printed at the end of the run and written to .kustomi-live/facts-<time>.json.

Nothing is created outside KUSTOMI_LIVE_RESOURCE_GROUP but principal assignments on the
existing database (deleted again). Identities cost nothing; writing app settings or identities
restarts the function app, so use a function app nobody depends on. A run takes a few minutes,
most of it waiting for Entra to know a new identity. If a run is killed, look for
`id-kustomi-live-*` identities, `kustomi-*` / `kustomi-live-*` principal assignments and
`KustoLive_*` / `KUSTOMI_LIVE_PROBE_*` settings to delete by hand.

Sign-in is kustomi's own chain (kustomi/azure/credentials.py): `az login`, a service principal
in AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET, and the rest of
DefaultAzureCredential's order. The signed-in principal needs Contributor (or Owner) on the
disposable resource group and on the cluster. KUSTOMI_CLOUD selects a national cloud.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live.helpers import Target

LIVE = Path(__file__).resolve().parent
ROOT = LIVE.parents[1]

# Every variable the live tests need, and what it names.
VARIABLES = {
    "AZURE_SUBSCRIPTION_ID": "the subscription that holds everything below",
    "KUSTOMI_LIVE_RESOURCE_GROUP": "a disposable resource group that already exists; the tests "
    "create and delete identities in it",
    "KUSTOMI_LIVE_APP": "an existing function app in that resource group that nobody depends on "
    "(its settings and identities are changed, then put back)",
    "KUSTOMI_LIVE_CLUSTER": "an existing Kusto cluster (its name)",
    "KUSTOMI_LIVE_CLUSTER_RESOURCE_GROUP": "the cluster's resource group",
    "KUSTOMI_LIVE_DATABASE": "an existing database on that cluster (principal assignments are "
    "added to it, then deleted)",
}

# kustomi's global options read from the environment; a developer's own would change what
# the commands do (the tests pass what they need as flags).
OPTION_VARIABLES = (
    "KUSTOMI_OUTPUT",
    "KUSTOMI_DRY_RUN",
    "KUSTOMI_CHECK",
    "KUSTOMI_QUIET",
    "KUSTOMI_VERBOSE",
    "KUSTOMI_DEBUG",
    "KUSTOMI_YES",
    "KUSTOMI_CONFIG",
    "KUSTOMI_RESOURCE_GROUP",
)


def missing_variables(env: dict[str, str] | None = None) -> list[str]:
    env = dict(os.environ) if env is None else env
    return [name for name in VARIABLES if not env.get(name, "").strip()]


def refusal(names: list[str]) -> str:
    """Why the live tests do not run: each missing variable, what it is, and where to read."""
    lines = [f"  {name}: {VARIABLES[name]}" for name in names]
    return (
        "the live tests run against real Azure and need these variables, which are not set:\n"
        + "\n".join(lines)
        + "\nSee README.md, Live tests (opt-in). Nothing was sent to Azure."
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Stop before any test runs when a live test was collected without its configuration."""
    if not any(LIVE in item.path.parents for item in items):
        return
    if os.environ.get("KUSTOMI_LIVE") != "1":
        raise pytest.UsageError(
            "tests/live runs against real Azure only with KUSTOMI_LIVE=1: "
            "KUSTOMI_LIVE=1 make test-live (README.md, Live tests (opt-in))."
        )
    names = missing_variables()
    if names:
        raise pytest.UsageError(refusal(names))


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """In place of tests/conftest.py's fixture of that name, which hides the developer's
    sign-in from the emulator tests: here the sign-in is the point. Only kustomi's option
    variables go (the tests pass flags), and no kustomi.toml applies (a fresh directory)."""
    for name in OPTION_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")


@pytest.fixture(scope="session")
def sdk() -> Iterator[Any]:
    """A kustomi Azure session (kustomi's sign-in chain and retry policy) whose SDK clients
    the tests call directly: sdk.web, sdk.kusto, sdk.msi, sdk.resources."""
    from kustomi.azure.clients import Azure
    from kustomi.cloud import from_environment
    from kustomi.config import environment

    session = Azure(
        from_environment(), os.environ["AZURE_SUBSCRIPTION_ID"].strip(), environment(os.environ)
    )
    yield session
    session.close()


@pytest.fixture(scope="session")
def target(sdk: Any) -> Target:
    """The configured resources, each read once before any test writes: a missing one, or a
    failed sign-in, stops the run with what to fix."""
    env = {name: os.environ[name].strip() for name in VARIABLES}
    rg, app = env["KUSTOMI_LIVE_RESOURCE_GROUP"], env["KUSTOMI_LIVE_APP"]
    cluster, cluster_rg = env["KUSTOMI_LIVE_CLUSTER"], env["KUSTOMI_LIVE_CLUSTER_RESOURCE_GROUP"]
    db = env["KUSTOMI_LIVE_DATABASE"]
    checks = (
        ("KUSTOMI_LIVE_RESOURCE_GROUP", lambda: sdk.resources.resource_groups.get(rg)),
        ("KUSTOMI_LIVE_APP", lambda: sdk.web.web_apps.get(rg, app)),
        ("KUSTOMI_LIVE_CLUSTER", lambda: sdk.kusto.clusters.get(cluster_rg, cluster)),
        ("KUSTOMI_LIVE_DATABASE", lambda: sdk.kusto.databases.get(cluster_rg, cluster, db)),
    )
    found: dict[str, Any] = {}
    for name, read in checks:
        try:
            found[name] = read()
        except Exception as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            pytest.exit(
                f"live tests: reading {name}={env[name]} failed before any write: {first}\n"
                f"  {name} is {VARIABLES[name]}; the sign-in is kustomi's chain "
                "(`az login`, or a service principal in AZURE_CLIENT_*)",
                returncode=pytest.ExitCode.USAGE_ERROR,
            )
    kind = str(found["KUSTOMI_LIVE_APP"].kind or "")
    if "functionapp" not in kind.lower():
        pytest.exit(
            f"live tests: KUSTOMI_LIVE_APP={app} is not a function app (kind {kind!r})",
            returncode=pytest.ExitCode.USAGE_ERROR,
        )
    return Target(
        subscription=sdk.subscription_id,
        resource_group=rg,
        location=str(found["KUSTOMI_LIVE_RESOURCE_GROUP"].location),
        app=app,
        cluster=cluster,
        cluster_resource_group=cluster_rg,
        database=db,
    )


class Facts:
    """What Azure answered, kept for the end of the run: printed, and written to a file."""

    def __init__(self) -> None:
        self.entries: dict[str, Any] = {}

    def record(self, key: str, value: Any) -> None:
        self.entries[key] = value


FACTS = pytest.StashKey[Facts]()


@pytest.fixture(scope="session")
def facts(request: pytest.FixtureRequest) -> Facts:
    return request.config.stash.setdefault(FACTS, Facts())


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    recorded = config.stash.get(FACTS, None)
    if recorded is None or not recorded.entries:
        return
    out = ROOT / ".kustomi-live" / time.strftime("facts-%Y%m%dT%H%M%SZ.json", time.gmtime())
    out.parent.mkdir(exist_ok=True)
    text = json.dumps(recorded.entries, indent=2, sort_keys=True, default=str)
    out.write_text(text + "\n")
    terminalreporter.section("what Azure answered (live facts)")
    terminalreporter.write_line(text)
    terminalreporter.write_line(f"written to {out}")

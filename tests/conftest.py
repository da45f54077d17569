"""Shared fixtures: one emulator per test session on a free port, a fresh world per test,
and a `kustomi` runner that records every output for the secret scan, which runs when the
session ends, whatever the order the tests ran in."""

from __future__ import annotations

import functools
import json
import os
import re
import ssl
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import typer.testing
from typer.testing import CliRunner

from kustomi.cli import app
from kustomi.emulator.server import RunningEmulator, is_write
from kustomi.emulator.state import World

# typer's CliRunner builds the click command tree from the functions' signatures on every
# invoke; the installed `kustomi` builds it once per process. Build it once per test process
# too (a sixth of the suite's time went there).
typer.testing._get_command = functools.cache(typer.testing._get_command)  # type: ignore[attr-defined]

# Copies of the official examples and Kusto response samples, with their provenance
# (tests/reference/arm-examples/SOURCES.md, tests/reference/kusto-samples/README.md).
REFERENCE = Path(__file__).resolve().parent / "reference"
SCENARIOS = Path(__file__).resolve().parents[1] / "kustomi" / "emulator" / "scenarios"

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.")

# tests/live runs against real Azure, only when asked for (KUSTOMI_LIVE=1 make test-live;
# README, Live tests): otherwise it is not collected at all, not even as skipped tests.
collect_ignore = [] if os.environ.get("KUSTOMI_LIVE") == "1" else ["live"]


@dataclass
class SecretScan:
    """What every CLI run of the session printed, and every secret the emulator held."""

    outputs: list[str] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)

    def leaks(self, outputs: list[str] | None = None) -> list[str]:
        """A line per leak: a JWT-shaped string, or a secret, in what a run printed."""
        found = []
        for i, out in enumerate(self.outputs if outputs is None else outputs):
            if JWT.search(out):
                found.append(f"run {i}: a JWT")
            found += [f"run {i}: a secret of the emulator" for s in self.secrets if s in out]
        return found


@pytest.fixture(scope="session", autouse=True)
def secret_scan() -> Iterator[SecretScan]:
    """Fails the session (an error at teardown) if any CLI run printed a token or a secret:
    the in-process runs, and every kustomi process a test starts (what its communicate()
    returns, subprocess.run included)."""
    import subprocess

    scan = SecretScan()
    real = subprocess.Popen.communicate

    def communicate(self: Any, *args: Any, **kwargs: Any) -> Any:
        out, err = real(self, *args, **kwargs)
        argv = self.args if isinstance(self.args, (list, tuple)) else [str(self.args)]
        words = [str(a) for a in argv]
        ours = any(w.endswith("/kustomi") or w == "kustomi" for w in words[:3])
        if ours and "emulator" not in words:  # `emulator env|app-env` print its secrets
            text = [
                x.decode(errors="replace") if isinstance(x, bytes) else x or "" for x in (out, err)
            ]
            scan.outputs.append("\n".join(text))
        return out, err

    subprocess.Popen.communicate = communicate  # type: ignore[method-assign]
    try:
        yield scan
    finally:
        subprocess.Popen.communicate = real  # type: ignore[method-assign]
    leaks = scan.leaks()
    assert not leaks, f"{len(leaks)} leak(s): " + "; ".join(leaks[:10])


@dataclass
class Emu:
    running: RunningEmulator
    env: dict[str, str]

    @property
    def url(self) -> str:
        return self.running.base_url

    @property
    def world(self) -> World:
        return self.running.emulator.world

    def admin(self, path: str, method: str = "GET", body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, method=method, data=data)
        ctx = ssl.create_default_context(cafile=str(self.running.ca_path))
        with urllib.request.urlopen(req, context=ctx) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def state(self) -> dict[str, Any]:
        return self.admin("/_emulator/state")  # type: ignore[no-any-return]

    def requests(self) -> list[dict[str, Any]]:
        return self.admin("/_emulator/requests")["requests"]  # type: ignore[no-any-return]

    def writes(self) -> list[dict[str, Any]]:
        """Requests that changed Azure state (see kustomi.emulator.server.is_write)."""
        return [r for r in self.requests() if is_write(r)]

    def clear_log(self) -> None:
        self.admin("/_emulator/requests", "DELETE")

    def knobs(self, **values: Any) -> None:
        self.admin("/_emulator/knobs", "POST", values)

    def faults(self, rules: list[dict[str, Any]]) -> None:
        self.admin("/_emulator/faults", "POST", rules)

    def app_env(self, app: str, rg: str, slot: str = "") -> dict[str, str]:
        q = f"?app={app}&resource_group={rg}&slot={slot}"
        return self.admin("/_emulator/app-env" + q)  # type: ignore[no-any-return]

    def site(self, rg: str, name: str, slot: str | None = None) -> dict[str, Any]:
        return next(
            s
            for s in self.state()["sites"]
            if s["resource_group"].lower() == rg.lower() and s["name"] == name and s["slot"] == slot
        )

    def database(self, cluster: str, db: str) -> dict[str, Any]:
        c = next(c for c in self.state()["clusters"] if c["name"] == cluster)
        return next(d for d in c["databases"] if d["name"] == db)


@pytest.fixture(scope="session")
def _running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    running = RunningEmulator(World.empty(), tmp_path_factory.mktemp("emulator")).start()
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def _close_test_clients() -> Iterator[None]:
    yield
    from tests.emulator.helpers import OPEN

    while OPEN:
        OPEN.pop().close()


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's Azure sign-in or settings."""
    for k in list(os.environ):
        if k.startswith(("AZURE_", "KUSTOMI_", "IDENTITY_", "MSI_", "IMDS_")) or k in (
            "REQUESTS_CA_BUNDLE",
            "CURL_CA_BUNDLE",
        ):
            monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)  # no kustomi.toml of the developer's applies
    # The emulator is on loopback: no proxy a machine may have configured applies to it.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    # Should anything fall through to IMDS, it reaches a closed loopback port, not the network
    # (azure-identity reads it in azure/identity/_credentials/imds.py).
    monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9")
    monkeypatch.setenv("AZURE_CONFIG_DIR", str(tmp_path / "az"))
    monkeypatch.setenv("COLUMNS", "200")


def load_world(running: RunningEmulator, doc: dict[str, Any], scan: SecretScan) -> dict[str, str]:
    running.emulator.load(World.from_scenario(doc))
    with running.emulator.log_lock:
        running.emulator.log.clear()
    running.write_env()
    env = running.environment()
    scan.secrets.add(env["AZURE_CLIENT_SECRET"])
    for site in running.emulator.world.sites.values():
        scan.secrets.update((site.identity_header, site.publishing_password))
        values = [
            *site.app_settings.values(),
            *(c["value"] for c in site.connection_strings.values()),
        ]
        scan.secrets.update(s for v in values for s in seeded_secrets(v))
    return env


def seeded_secrets(value: str) -> list[str]:
    """The secret values a seeded setting holds (a connection string's AppKey, Password, token,
    ...), long enough not to match by chance: none may ever be printed."""
    from kustomi.azure.kusto_data import keywords
    from kustomi.config import SECRET_KEYS

    out = []
    for part in value.split(";"):
        key, sep, val = part.partition("=")
        norm = key.lower().replace(" ", "")
        secret = keywords().get(norm, ("", False))[1] or norm.replace("_", "") in SECRET_KEYS
        if sep and secret and len(val.strip()) >= 8:
            out.append(val.strip())
    return out


@pytest.fixture
def emu_factory(
    _running: RunningEmulator, monkeypatch: pytest.MonkeyPatch, secret_scan: SecretScan
) -> Any:
    def make(doc: dict[str, Any] | None = None) -> Emu:
        env = load_world(_running, doc or {}, secret_scan)
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        return Emu(_running, env)

    return make


# The busy world's names, as the CLI tests type them (tests/cli/worlds.py, busy_world).
G = ("-g", "rg-app")
CL = ("--cluster", "adxbusy", "--cluster-resource-group", "rg-data")


@pytest.fixture
def world(emu_factory: Any) -> Emu:
    """The busy world: an app with twenty settings, both kinds of identity and a slot, and a
    cluster in another resource group (tests/cli/worlds.py)."""
    from tests.cli.worlds import busy_world

    return emu_factory(busy_world())  # type: ignore[no-any-return]


@pytest.fixture
def emu(emu_factory: Any) -> Emu:
    """The demo world: see kustomi/emulator/scenarios/demo.json."""
    return emu_factory(json.loads((SCENARIOS / "demo.json").read_text()))


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture
def kustomi(secret_scan: SecretScan) -> Any:
    """Run the CLI in-process, as a user would type it; stdout and stderr apart."""

    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        runner = CliRunner()
        r = runner.invoke(app, list(args), catch_exceptions=False, env=env)
        if "emulator" not in args:  # `emulator env|app-env` exist to print the emulated secrets
            secret_scan.outputs.append(r.stdout + "\n" + r.stderr)
        return Result(r.exit_code, r.stdout, r.stderr)

    return run


KUSTOMI_SCRIPT = str(Path(__import__("sys").executable).parent / "kustomi")


@dataclass
class Spawned:
    """A `kustomi` process (the installed console script) whose output, once read, goes to
    the session's secret scan like every in-process run's."""

    proc: Any
    scan: SecretScan

    def finish(self, timeout: float = 30) -> Result:
        out, err = self.proc.communicate(timeout=timeout)  # scanned (secret_scan)
        return Result(self.proc.returncode, out or "", err or "")


@pytest.fixture
def spawn(secret_scan: SecretScan) -> Any:
    """Start the console script with the test's environment: spawn(*args) -> Spawned."""
    import subprocess

    started: list[Any] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Spawned:
        proc = subprocess.Popen(
            [KUSTOMI_SCRIPT, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env={**os.environ, **(env or {})},
        )
        started.append(proc)
        return Spawned(proc, secret_scan)

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.fixture(autouse=True)
def _no_settle_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """The settings read-back does not wait after the PUT, nor before writing again (the
    emulator's writers are in-process: the tests that race them set their own waits)."""
    from kustomi.steps import set_connection

    monkeypatch.setattr(set_connection, "SETTLE_SECONDS", 0.0)
    monkeypatch.setattr(set_connection, "BACKOFF_SECONDS", 0.0)

"""The Azure CLI against the emulator: the checklist with az, then interop both ways.

A user's own az scripts can be tested on the emulator. This runs what such a script runs, as a
new user would: `kustomi emulator serve` with the bundled demo world, `az cloud register` (az
reads the rest from the emulator's /metadata/endpoints), `az login --service-principal`, then

  1. the checklist with az and its read-backs: `az identity create|show`, `az rest` PUT/GET of
     a database principal assignment, `az functionapp identity assign|show`, `az functionapp
     config appsettings set|list`;
  2. kustomi on what az made: `--check` of each step (nothing left to do) and `verify` in
     control-plane mode and as the identity;
  3. az read-backs on what kustomi made (on the app's staging slot);
  4. kustomi revoke of that, read back by az; then `az functionapp identity remove` (az's
     way of detaching, which the emulator must serve as Azure does) and az's grant deleted.

Every step's exit code and output are checked against what Azure would show; the table gives
each step's wall time, and from the emulator's request log (GET /_emulator/requests) its
requests, writes and sign-in requests. Exits 1 if any step fails.

az runs with its own AZURE_CONFIG_DIR (a temporary directory, so a user's az profile is never
touched) and REQUESTS_CA_BUNDLE at the emulator's ca.pem. The operator's secret only travels in
the environment: no printed command holds it.

    make az-compat      (installs azure-cli into .venv-az first)
    .venv/bin/python bench/az_compat.py --az /path/to/az
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kustomi.emulator.server import is_write

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "kustomi" / "emulator" / "scenarios" / "demo.json"
KUSTO_API = "2024-04-13"  # any version the specification publishes; az rest sends what it is given
SETTING = "KustoConnectionStringManagedIdentity"
# How long a long-running operation runs on the emulator's clock. az rest does not poll: the
# read-back must see the operation finish on its own.
LRO_SECONDS = 1.0

Check = Callable[[Any], str | None]  # the parsed output -> None if as Azure shows it, else why


@dataclass
class Step:
    tool: str
    label: str
    exit_code: int
    seconds: float
    requests: int
    writes: int
    sign_in: int
    problem: str | None


class Emulator:
    """`kustomi emulator serve` in a child process, and its admin API."""

    def __init__(self, work: Path, scenario: Path) -> None:
        state_dir = work / "emulator"
        self.log = work / "emulator.log"
        serve = ["emulator", "serve", "--state-dir", str(state_dir), "--scenario", str(scenario)]
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "kustomi", *serve],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        env_file = state_dir / "env"
        deadline = time.monotonic() + 60
        # Written once the server listens: `export NAME=value` lines, values shell-quoted.
        while not (env_file.exists() and "REQUESTS_CA_BUNDLE=" in env_file.read_text()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the emulator did not start: {self.log.read_text().strip()}")
            time.sleep(0.1)
        words = shlex.split(env_file.read_text())
        self.env = dict(w.split("=", 1) for w in words if w != "export")
        self.url = self.env["KUSTOMI_ARM_ENDPOINT"]
        self.ssl = ssl.create_default_context(cafile=self.env["REQUESTS_CA_BUNDLE"])

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, method=method, data=data)
        with urllib.request.urlopen(req, context=self.ssl, timeout=30) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Runner:
    """Runs az and kustomi as a user's script would, one step at a time, and records each."""

    def __init__(self, emu: Emulator, az: str, az_config: Path) -> None:
        self.emu = emu
        self.az_path = az
        self.steps: list[Step] = []
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "KUSTOMI_"))},
            **emu.env,
            "AZURE_CONFIG_DIR": str(az_config),
            # az's own settings, through its environment overrides of `az config` (core.*):
            # no telemetry sent anywhere, no survey prompt, plain output.
            "AZURE_CORE_COLLECT_TELEMETRY": "false",
            "AZURE_CORE_SURVEY_MESSAGE": "false",
            "AZURE_CORE_NO_COLOR": "true",
            "AZURE_CORE_ONLY_SHOW_ERRORS": "true",
        }

    def az(self, label: str, command: str, check: Check | None = None) -> Any:
        """`az <command>`: shell words, $VARIABLES expanded by sh from the environment, so that
        a secret never stands in the command text. Returns az's parsed JSON output."""
        return self._run("az", label, ["sh", "-c", f'exec "$AZ" {command}'], check)

    def kustomi(self, label: str, command: str, check: Check | None = None) -> Any:
        argv = [sys.executable, "-m", "kustomi", "-o", "json", *shlex.split(command)]
        return self._run("kustomi", label, argv, check or kustomi_ok)

    def _run(self, tool: str, label: str, argv: list[str], check: Check | None) -> Any:
        self.emu.admin("DELETE", "/_emulator/requests")
        started = time.perf_counter()
        proc = subprocess.run(
            argv, env={**self.env, "AZ": self.az_path}, capture_output=True, text=True, timeout=300
        )
        seconds = time.perf_counter() - started
        log = self.emu.admin("GET", "/_emulator/requests")["requests"]
        try:
            out = json.loads(proc.stdout) if proc.stdout.strip() else None
        except ValueError:
            out = proc.stdout
        problem = None
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
            problem = f"exit {proc.returncode}: {last}"
        elif check is not None:
            try:
                problem = check(out)
            except (AttributeError, KeyError, TypeError, IndexError) as e:
                problem = f"unexpected output ({type(e).__name__}: {e})"
        api = [r for r in log if not r["route"].startswith("entra.")]
        writes = len([r for r in api if is_write(r)])
        self.steps.append(
            Step(
                tool,
                label,
                proc.returncode,
                seconds,
                len(api),
                writes,
                len(log) - len(api),
                problem,
            )
        )
        print(f"  {'ok  ' if problem is None else 'FAIL'} {tool:<8}{label}")
        if problem:
            print(f"       {problem}")
        return out


def expect(**fields: Any) -> Check:
    """A check that `out` has each field (a dotted path) with the value given."""

    def check(out: Any) -> str | None:
        for path, want in fields.items():
            got = out
            for part in path.split("__"):
                got = got.get(part) if isinstance(got, dict) else None
            if got != want:
                return f"{path.replace('__', '.')} is {got!r}, Azure would show {want!r}"
        return None

    return check


def kustomi_ok(out: Any) -> str | None:
    """A kustomi report with nothing to change and every finding ok."""
    if not isinstance(out, dict) or not out.get("ok"):
        return f"report not ok: {out!r}"[:300]
    pending = [c for c in out.get("changes", []) if c.get("kind") not in ("unchanged", "none")]
    if out.get("dryRun") and pending:
        return f"changes pending: {pending}"
    bad = [f for f in out.get("findings", []) if f.get("status") != "ok"]
    return f"findings: {bad}" if bad else None


def setting_value(name: str, value: str, sticky: bool = False) -> Check:
    def check(out: Any) -> str | None:
        found = [s for s in out or [] if s.get("name") == name]
        if not found:
            return f"no setting {name}"
        if found[0].get("value") != value or found[0].get("slotSetting") is not sticky:
            return f"{name} is {found[0]!r}, Azure would show value {value!r}"
        return None

    return check


def has_identity(resource_id: str, client_id: str) -> Check:
    def check(out: Any) -> str | None:
        uais = {k.lower(): v for k, v in ((out or {}).get("userAssignedIdentities") or {}).items()}
        entry = uais.get(resource_id.lower())
        if entry is None or entry.get("clientId") != client_id:
            return f"identity {resource_id} not attached with client id {client_id}: {out!r}"
        if "SystemAssigned" not in str(out.get("type")):
            return f"the system-assigned identity was lost: type {out.get('type')!r}"
        return None

    return check


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--az", default=str(ROOT / ".venv-az" / "bin" / "az"), help="the az to test"
    )
    found = shutil.which(parser.parse_args().az)
    if found is None:
        raise SystemExit("no az to test: run `make az-compat`, which installs azure-cli")
    az = str(Path(found).resolve())
    work = Path(tempfile.mkdtemp(prefix="kustomi-az-compat-"))
    emu = Emulator(work, SCENARIO)
    try:
        emu.admin("POST", "/_emulator/knobs", {"lro_seconds": LRO_SECONDS})
        run = Runner(emu, az, work / "azure-config")
        checklist(run, emu)
        print("kustomi revoke, read back by az; az removes its identity and its grant")
        cleanup(run, emu)
        print("one app from scratch: az's four commands against one kustomi setup")
        mine = versus(run, emu)
    finally:
        emu.stop()
        shutil.rmtree(work, ignore_errors=True)
    print_table([s for s in run.steps if s not in mine])
    print_versus(mine)
    failed = [s for s in run.steps if s.problem]
    print(f"\n{len(run.steps) - len(failed)} of {len(run.steps)} steps as Azure would answer them.")
    return 1 if failed else 0


def checklist(run: Runner, emu: Emulator) -> None:
    sub, tenant = emu.env["AZURE_SUBSCRIPTION_ID"], emu.env["AZURE_TENANT_ID"]
    cluster_uri = f"{emu.url}/kusto/adxdemo"
    connection = f"Data Source={cluster_uri};Database=Orders;"
    app, cluster = "-g rg-demo -n func-orders", "--cluster adxdemo --cluster-resource-group rg-data"
    db = f"{cluster} --database Orders"
    assignments = (
        f"/subscriptions/{sub}/resourceGroups/rg-data/providers/Microsoft.Kusto/clusters/adxdemo"
        "/databases/Orders/principalAssignments"
    )

    print("az: point az at the emulator, as a custom cloud, and sign in")
    run.az("config set core.instance_discovery=false", "config set core.instance_discovery=false")
    run.az(
        "cloud register --endpoint-resource-manager",
        'cloud register -n Emu --endpoint-resource-manager "$KUSTOMI_ARM_ENDPOINT"',
    )
    run.az("cloud set", "cloud set -n Emu")
    run.az(
        "login --service-principal",
        'login --service-principal -u "$AZURE_CLIENT_ID" -p "$AZURE_CLIENT_SECRET" '
        '--tenant "$AZURE_TENANT_ID" -o json',
        lambda out: None if out and out[0].get("id") == sub else f"subscriptions: {out!r}",
    )

    print("az: the checklist, each write read back")
    made = run.az(
        "identity create",
        "identity create -g rg-demo -n id-az -o json",
        expect(name="id-az", tenantId=tenant, location="westeurope"),
    )
    made = made if isinstance(made, dict) else {}
    client_id, object_id, identity_id = (
        str(made.get(k)) for k in ("clientId", "principalId", "id")
    )
    run.az(
        "identity show",
        "identity show -g rg-demo -n id-az -o json",
        expect(clientId=client_id, principalId=object_id, id=identity_id),
    )
    body = {
        "properties": {
            "principalId": client_id,
            "principalType": "App",
            "role": "Viewer",
            "tenantId": tenant,
        }
    }
    url = f"{assignments}/az-viewer?api-version={KUSTO_API}"
    run.az(
        "rest PUT principalAssignment",
        f"rest --method put --url {shlex.quote(url)} --body {shlex.quote(json.dumps(body))}"
        " -o json",
        # 201, the operation still running: az rest does not poll.
        expect(properties__provisioningState="Creating", properties__role="Viewer"),
    )
    time.sleep(LRO_SECONDS)  # the operation ends on the server's clock, polled or not
    run.az(
        "rest GET principalAssignment",
        f"rest --method get --url {shlex.quote(url)} -o json",
        expect(
            properties__provisioningState="Succeeded",
            properties__principalId=client_id,
            properties__aadObjectId=object_id,
        ),
    )
    run.az(
        "functionapp identity assign",
        f"functionapp identity assign {app} --identities {identity_id} -o json",
        has_identity(identity_id, client_id),
    )
    run.az(
        "functionapp identity show",
        f"functionapp identity show {app} -o json",
        has_identity(identity_id, client_id),
    )
    run.az(
        "functionapp config appsettings set",
        f"functionapp config appsettings set {app} "
        f"--settings {shlex.quote(f'{SETTING}={connection}')} -o json",
        # az lists every setting, old and new, and hides the values (null).
        lambda out: (
            None
            if {s["name"] for s in out or []} >= {SETTING, "FUNCTIONS_WORKER_RUNTIME"}
            else f"settings: {out!r}"
        ),
    )
    run.az(
        "functionapp config appsettings list",
        f"functionapp config appsettings list {app} -o json",
        setting_value(SETTING, connection),
    )

    shown = run.az(
        "functionapp show",
        f"functionapp show {app} -o json",
        expect(sku="Dynamic", state="Running", kind="functionapp,linux", reserved=True),
    )
    plan = str((shown or {}).get("serverFarmId"))
    run.az(
        "functionapp plan show --ids <serverFarmId>",
        f"functionapp plan show --ids {shlex.quote(plan)} -o json",
        expect(id=plan, sku__tier="Dynamic", sku__name="Y1", reserved=True),
    )

    print("kustomi on what az made: nothing left to do, and verify")
    run.kustomi("--check create-identity", "--check create-identity -g rg-demo -n id-az")
    ident = "--identity id-az -g rg-demo"
    run.kustomi("--check grant --role viewer", f"--check grant --role viewer {ident} {db}")
    run.kustomi("--check attach", f"--check attach --app func-orders {ident}")
    run.kustomi(
        "--check set-connection", f"--check set-connection --app func-orders -g rg-demo {db}"
    )
    run.kustomi(
        "verify --mode control-plane",
        f"verify --mode control-plane {ident} {db} --role viewer --app func-orders",
    )
    # Inside the app: the managed-identity endpoint as the app's processes see it.
    inside = emu.admin("GET", "/_emulator/app-env?app=func-orders&resource_group=rg-demo")
    run.env.update(inside)
    run.kustomi(
        "verify --mode identity (inside the app)",
        f"verify --mode identity --identity {client_id} --cluster {cluster_uri} "
        "--database Orders --role viewer",
    )
    for key in inside:
        del run.env[key]

    print("kustomi makes a setup (on the staging slot); az reads it back")
    made = run.kustomi("create-identity", "create-identity -g rg-demo -n id-kustomi")
    data = (made or {}).get("data", {})
    k_client, k_id = data.get("clientId", ""), data.get("resourceId", "")
    ident = "--identity id-kustomi -g rg-demo"
    run.kustomi("grant --role viewer", f"grant --role viewer {ident} {db}")
    run.kustomi("attach --slot staging", f"attach --app func-orders --slot staging {ident}")
    run.kustomi(
        "set-connection --slot staging",
        f"set-connection --app func-orders --slot staging -g rg-demo {db}",
    )
    k_url = f"{assignments}/kustomi-viewer-{k_client}?api-version={KUSTO_API}"
    run.az(
        "identity show",
        "identity show -g rg-demo -n id-kustomi -o json",
        expect(clientId=k_client, id=k_id),
    )
    run.az(
        "rest GET principalAssignment",
        f"rest --method get --url {shlex.quote(k_url)} -o json",
        expect(
            properties__provisioningState="Succeeded",
            properties__role="Viewer",
            properties__principalType="App",
        ),
    )
    run.az(
        "functionapp identity show --slot staging",
        f"functionapp identity show {app} --slot staging -o json",
        lambda out: (
            None
            if k_id.lower() in {k.lower() for k in (out or {}).get("userAssignedIdentities") or {}}
            else f"not attached to the slot: {out!r}"
        ),
    )
    run.az(
        "functionapp config appsettings list --slot staging",
        f"functionapp config appsettings list {app} --slot staging -o json",
        setting_value(SETTING, connection),
    )


def cleanup(run: Runner, emu: Emulator) -> None:
    """kustomi revoke undoes its setup and az reads that back; az detaches its own identity
    (az's way, which kustomi's revoke must agree with) and removes its grant: a DELETE that
    runs as an operation; nobody polls."""
    app = "-g rg-demo -n func-orders"
    db = "--cluster adxdemo --cluster-resource-group rg-data --database Orders --role viewer"
    run.kustomi(
        "revoke --slot staging --delete-identity",
        f"--yes revoke --identity id-kustomi -g rg-demo {db} --app func-orders --slot staging "
        "--delete-identity",
    )
    run.az(
        "functionapp identity show --slot staging (after revoke)",
        f"functionapp identity show {app} --slot staging -o json",
        lambda out: (
            None
            if not [k for k in (out or {}).get("userAssignedIdentities") or {} if "id-kustomi" in k]
            else f"id-kustomi still attached: {out!r}"
        ),
    )
    run.az(
        "functionapp config appsettings list --slot staging (after revoke)",
        f"functionapp config appsettings list {app} --slot staging -o json",
        lambda out: (
            None if not [x for x in out or [] if x.get("name") == SETTING] else f"{SETTING} kept"
        ),
    )
    run.az(
        "identity list (after revoke)",
        "identity list -g rg-demo -o json",
        lambda out: (
            None
            if not [x for x in out or [] if x.get("name") == "id-kustomi"]
            else "id-kustomi still exists"
        ),
    )
    made = run.az("identity show (id-az)", "identity show -g rg-demo -n id-az -o json")
    identity_id = (made or {}).get("id", "") if isinstance(made, dict) else ""
    run.az(
        "functionapp identity remove",
        f"functionapp identity remove {app} --identities {identity_id} -o json",
        lambda out: (
            None
            if "SystemAssigned" in str((out or {}).get("type"))
            and identity_id.lower()
            not in {k.lower() for k in (out or {}).get("userAssignedIdentities") or {}}
            else f"after remove: {out!r}"
        ),
    )
    sub = emu.env["AZURE_SUBSCRIPTION_ID"]
    assignments = (
        f"/subscriptions/{sub}/resourceGroups/rg-data/providers/Microsoft.Kusto/clusters/adxdemo"
        "/databases/Orders/principalAssignments"
    )
    url = shlex.quote(f"{assignments}/az-viewer?api-version={KUSTO_API}")
    run.az("rest DELETE principalAssignment", f"rest --method delete --url {url} -o json")
    run.az(
        "rest GET principalAssignment",
        f"rest --method get --url {url} -o json",
        expect(properties__provisioningState="Deleting"),
    )
    time.sleep(LRO_SECONDS)
    run.az(
        "rest GET principalAssignments (list)",
        f"rest --method get --url {shlex.quote(f'{assignments}?api-version={KUSTO_API}')} -o json",
        lambda out: (
            None
            if not [a for a in out["value"] if a["name"].endswith("/az-viewer")]
            else "az-viewer still listed after its delete operation"
        ),
    )


VERSUS_TARGET = 0.25  # kustomi setup within a quarter of az's four commands' wall time
VERSUS_LATENCY_MS = 40  # a network's latency per request, for both tools


def versus(run: Runner, emu: Emulator) -> list[Step]:
    """The checklist for one app that neither tool touched before, each tool on its own app:
    az's four commands (identity create, the principal assignment's PUT, functionapp
    identity assign, appsettings set), as a script runs them one after another, against one
    `kustomi setup`, its first run. Both see the same latency per request; no long-running
    operation runs for long (the emulator's default), so that kustomi's wait for the
    assignment to end costs what Azure's fastest answer would."""
    emu.admin("POST", "/_emulator/knobs", {"lro_seconds": 0, "latency_ms": VERSUS_LATENCY_MS})
    sub, tenant = emu.env["AZURE_SUBSCRIPTION_ID"], emu.env["AZURE_TENANT_ID"]
    cluster_uri = f"{emu.url}/kusto/adxdemo"
    connection = f"Data Source={cluster_uri};Database=Orders;"
    first = len(run.steps)
    made = run.az(
        "versus: identity create",
        "identity create -g rg-legacy -n id-az-reports -o json",
        expect(name="id-az-reports"),
    )
    made = made if isinstance(made, dict) else {}
    body = {
        "properties": {
            "principalId": str(made.get("clientId")),
            "principalType": "App",
            "role": "Viewer",
            "tenantId": tenant,
        }
    }
    url = (
        f"/subscriptions/{sub}/resourceGroups/rg-data/providers/Microsoft.Kusto/clusters/adxdemo"
        f"/databases/Orders/principalAssignments/az-reports-viewer?api-version={KUSTO_API}"
    )
    run.az(
        "versus: rest PUT principalAssignment",
        f"rest --method put --url {shlex.quote(url)} --body {shlex.quote(json.dumps(body))}"
        " -o json",
    )
    run.az(
        "versus: functionapp identity assign",
        f"functionapp identity assign -g rg-legacy -n func-reports --identities {made.get('id')}"
        " -o json",
        lambda out: (
            None
            if str(made.get("id")).lower()
            in {k.lower() for k in (out or {}).get("userAssignedIdentities") or {}}
            else f"not attached: {out!r}"
        ),
    )
    run.az(
        "versus: functionapp config appsettings set",
        "functionapp config appsettings set -g rg-legacy -n func-reports "
        f"--settings {shlex.quote(f'{SETTING}={connection}')} -o json",
    )
    run.kustomi(
        "versus: setup (first run)",
        "--yes setup --identity id-kustomi-legacy -g rg-legacy --cluster adxdemo "
        "--cluster-resource-group rg-data --database Orders --role viewer --app func-legacy",
        lambda out: None if isinstance(out, dict) and out.get("ok") else f"report: {out!r}"[:300],
    )
    emu.admin("POST", "/_emulator/knobs", {"lro_seconds": LRO_SECONDS, "latency_ms": 0})
    return run.steps[first:]


def print_versus(steps: list[Step]) -> None:
    az = [s for s in steps if s.tool == "az"]
    kustomi = [s for s in steps if s.tool == "kustomi"]
    print(
        f"\nOne app from scratch ({VERSUS_LATENCY_MS} ms per request; each tool on an app of "
        "its own)\n"
    )
    print(f"{'':<34}{'seconds':>9}{'requests':>10}{'writes':>8}{'sign-in':>9}  result")
    for label, mine in (("az, its four commands", az), ("kustomi setup, first run", kustomi)):
        print(
            f"{label:<34}{sum(s.seconds for s in mine):>9.2f}{sum(s.requests for s in mine):>10}"
            f"{sum(s.writes for s in mine):>8}{sum(s.sign_in for s in mine):>9}  "
            f"{'ok' if all(s.problem is None for s in mine) else 'FAIL'}"
        )
    ratio = sum(s.seconds for s in kustomi) / sum(s.seconds for s in az)
    print(f"\nkustomi setup / az's four commands: {ratio:.2f} (target: at most {VERSUS_TARGET})")


def print_table(steps: list[Step]) -> None:
    w = max(54, *(len(s.label) + 2 for s in steps))
    print(
        f"\n{'tool':<9}{'step':<{w}}{'exit':>5}{'seconds':>9}{'requests':>10}{'writes':>8}"
        f"{'sign-in':>9}  result"
    )
    for s in steps:
        print(
            f"{s.tool:<9}{s.label:<{w}}{s.exit_code:>5}{s.seconds:>9.2f}{s.requests:>10}"
            f"{s.writes:>8}{s.sign_in:>9}  {'ok' if s.problem is None else 'FAIL'}"
        )
    for tool in ("az", "kustomi"):
        mine = [s for s in steps if s.tool == tool]
        print(
            f"{tool + ' total':<{w + 9}}{sum(s.seconds for s in mine):>9.2f}"
            f"{sum(s.requests for s in mine):>10}{sum(s.writes for s in mine):>8}"
            f"{sum(s.sign_in for s in mine):>9}"
        )


if __name__ == "__main__":
    sys.exit(main())

"""Sign-in cost per command: a service principal against `az login`, against the emulator.

For create-identity, grant --via kql and verify, each run as its own `python -m kustomi`
process (as a user runs it), it times the command signed in with a service principal
(AZURE_CLIENT_*) and with `az login`, in paired rounds (one run of each per round, in turn
first, so that both see the same machine load), and prints the median wall time of each, the
median of the rounds' ratios, and the `az` runs per command. Each command runs once untimed
first, so that every timed run finds its work done and the two sign-ins are timed on the same
requests. The emulator adds 40 ms per request for a network.

`az login` is the real Azure CLI when one is installed (`make az-compat` puts it in .venv-az;
`--az PATH` names another): signed in to the emulator with `az login --service-principal`
in a temporary AZURE_CONFIG_DIR, as bench/az_compat.py does. Without one (or with
`--stand-in`), tests/fake_az.py stands in for it: a small Python script that asks the
emulator's Entra endpoint for the token, which on its own costs a fraction of what the real
CLI's start-up costs (on a 2-core machine: about 0.1 s, against 0.4-0.6 s for azure-cli
2.91's `az account get-access-token` with its token cached). `--az-delay S` (default 0.35)
makes each run of the stand-in take S seconds more, so that it costs what az costs.
Prints a table; asserts nothing.

    make bench-signin     (or: .venv/bin/python bench/signin.py [--az PATH | --stand-in]
                           [--az-delay 0.35] [--runs 7])
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kustomi.emulator.server import RunningEmulator  # noqa: E402
from kustomi.emulator.state import World  # noqa: E402
from tests import fake_az  # noqa: E402

SCENARIO = ROOT / "kustomi" / "emulator" / "scenarios" / "demo.json"
TARGET = 1.3
INSTALLED_AZ = ROOT / ".venv-az" / "bin" / "az"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--az", help="the Azure CLI to sign in with (default: .venv-az's)")
    parser.add_argument("--stand-in", action="store_true", help="tests/fake_az.py, not az")
    parser.add_argument("--az-delay", type=float, default=0.35)
    parser.add_argument("--runs", type=int, default=7)
    opts = parser.parse_args()
    real = None
    if not opts.stand_in:
        found = shutil.which(opts.az or str(INSTALLED_AZ))
        real = str(Path(found).resolve()) if found else None
        if opts.az and real is None:
            raise SystemExit(f"no az at {opts.az}")

    state = Path(tempfile.mkdtemp(prefix="kustomi-bench-signin-"))
    doc = json.loads(SCENARIO.read_text())
    doc["identities"] = [{"resource_group": "rg-demo", "name": "id-orders"}]
    running = RunningEmulator(World.from_scenario(doc), state).start()
    running.emulator.world.knobs.latency_ms = 40
    env = running.environment()
    bin_dir = state / "bin"
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AZURE_", "KUSTOMI_", "IDENTITY_", "MSI_"))
    }
    # No IMDS on this machine to reach by mistake: a closed loopback port stands in for it.
    base.update(AZURE_POD_IDENTITY_AUTHORITY_HOST="http://127.0.0.1:9", NO_PROXY="127.0.0.1")
    sp = {**base, **env}
    az = {
        **base,
        **{k: v for k, v in env.items() if not k.startswith("AZURE_CLIENT_")},
        "PATH": f"{bin_dir}{os.pathsep}{base.get('PATH', '')}",
        "AZURE_CONFIG_DIR": str(state / "az"),
    }
    az.pop("AZURE_TENANT_ID")
    try:
        if real is not None:
            runs_log = _real_az(real, bin_dir, {**sp, "AZURE_CONFIG_DIR": az["AZURE_CONFIG_DIR"]})
            az.update(_AZ_SETTINGS)
            what = f"the Azure CLI ({real})"
        else:
            fake_az.install(
                bin_dir,
                {
                    "authority": running.base_url,
                    "tenant": env["AZURE_TENANT_ID"],
                    "client_id": env["AZURE_CLIENT_ID"],
                    "client_secret": env["AZURE_CLIENT_SECRET"],
                    "subscription": env["AZURE_SUBSCRIPTION_ID"],
                    "ca": str(running.ca_path),
                    "delay": opts.az_delay,
                },
            )
            runs_log = None
            what = f"the `az` stand-in, {opts.az_delay:g} s extra per run"
        _table(running.base_url, sp, az, bin_dir, runs_log, what, opts.runs)
    finally:
        running.stop()
        shutil.rmtree(state, ignore_errors=True)


# az's own settings, through its environment overrides of `az config` (core.*), as in
# bench/az_compat.py: no telemetry, no survey, plain output.
_AZ_SETTINGS = {
    "AZURE_CORE_COLLECT_TELEMETRY": "false",
    "AZURE_CORE_SURVEY_MESSAGE": "false",
    "AZURE_CORE_ONLY_SHOW_ERRORS": "true",
}


def _real_az(real: str, bin_dir: Path, env: dict[str, str]) -> Path:
    """Sign the real az in to the emulator (its own config directory); put an `az` on the
    bench's PATH that notes each run in a log and then is the real one (a shell's exec)."""
    env = {**env, **_AZ_SETTINGS, "AZURE_CORE_NO_COLOR": "true"}
    steps = [
        ["config", "set", "core.instance_discovery=false"],
        [
            "cloud",
            "register",
            "-n",
            "Emu",
            "--endpoint-resource-manager",
            env["KUSTOMI_ARM_ENDPOINT"],
        ],
        ["cloud", "set", "-n", "Emu"],
        ["login", "--service-principal", "-u", env["AZURE_CLIENT_ID"], "-p", "@secret"],
    ]
    for args in steps:
        if args[0] == "login":  # the secret goes in the environment, never in an argument
            args = ["login", "--service-principal", "-u", env["AZURE_CLIENT_ID"]]
            cmd = [
                "sh",
                "-c",
                f'exec {shlex.quote(real)} {shlex.join(args)} -p "$AZURE_CLIENT_SECRET" '
                '--tenant "$AZURE_TENANT_ID" -o none',
            ]
        else:
            cmd = [real, *args]
        r = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(f"az {args[0]} {args[1]}: exit {r.returncode}: {r.stderr.strip()}")
    bin_dir.mkdir(parents=True, exist_ok=True)
    log = bin_dir / "az-runs.log"
    wrapper = bin_dir / "az"
    wrapper.write_text(
        f'#!/bin/sh\necho "$*" >> {shlex.quote(str(log))}\nexec {shlex.quote(real)} "$@"\n'
    )
    wrapper.chmod(0o755)
    return log


def _table(
    url: str,
    sp: dict[str, str],
    az: dict[str, str],
    bin_dir: Path,
    runs_log: Path | None,
    what: str,
    runs: int,
) -> None:
    uri = f"{url}/kusto/adxdemo"
    on = ["--identity", "id-orders", "-g", "rg-demo", "--cluster", uri, "--database", "Orders"]
    commands = {
        "create-identity": ["create-identity", "-g", "rg-demo", "-n", "id-orders"],
        "grant --via kql": ["grant", "--role", "viewer", *on, "--via", "kql"],
        "verify": ["verify", *on, "--role", "viewer", "--mode", "control-plane"],
    }

    def az_runs() -> int:
        if runs_log is None:
            return len(fake_az.calls(bin_dir))
        return len(runs_log.read_text().splitlines()) if runs_log.exists() else 0

    print(
        f"Sign-in per command (emulator, 40 ms per request; az login: {what}; "
        f"median of {runs} paired rounds)\n"
    )
    print(
        f"{'command':<18}{'service principal':>19}{'az login':>10}{'ratio':>8}"
        f"{'az runs':>9}   target: az login within {TARGET}x"
    )
    for label, args in commands.items():
        cmd = [sys.executable, "-m", "kustomi", "-o", "json", *args]
        _once(cmd, sp)  # does the work, if any
        _once(cmd, az)
        sp_t, az_t, ratios = [], [], []
        before = az_runs()
        for i in range(runs):
            if i % 2:
                a, s = _once(cmd, az), _once(cmd, sp)
            else:
                s, a = _once(cmd, sp), _once(cmd, az)
            sp_t.append(s)
            az_t.append(a)
            ratios.append(a / s)
        per_run = (az_runs() - before) / runs
        ratio = statistics.median(ratios)
        print(
            f"{label:<18}{statistics.median(sp_t):>17.2f} s{statistics.median(az_t):>8.2f} s"
            f"{ratio:>7.2f}x{per_run:>9.0f}   {'ok' if ratio <= TARGET else 'over'}"
        )


def _once(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[3:])}: exit {r.returncode}: {r.stderr}")
    return seconds


if __name__ == "__main__":
    main()

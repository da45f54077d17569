"""Sign-in cost per command: a service principal against `az login`, against the emulator.

For create-identity and grant --via kql, each run as its own `python -m kustomi` process (as a
user runs it), it times the command signed in with a service principal (AZURE_CLIENT_*) and
with `az login` (tests/fake_az.py on PATH, a stand-in `az` that the emulator's Entra endpoint
serves), and prints the median wall time of each, their ratio, and the `az` runs per command.
Each command runs once untimed first, so that every timed run finds its work done and the two
sign-ins are timed on the same requests. The emulator adds 40 ms per request for a network.
`--az-delay S` makes each `az` run take S seconds more (the real CLI takes about a second).
Prints a table; asserts nothing.

    make bench-signin     (or: .venv/bin/python bench/signin.py [--az-delay 1.0] [--runs 5])
"""

from __future__ import annotations

import argparse
import json
import os
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
TARGET = 1.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--az-delay", type=float, default=0.0)
    parser.add_argument("--runs", type=int, default=5)
    opts = parser.parse_args()

    state = Path(tempfile.mkdtemp(prefix="kustomi-bench-signin-"))
    doc = json.loads(SCENARIO.read_text())
    doc["identities"] = [{"resource_group": "rg-demo", "name": "id-orders"}]
    running = RunningEmulator(World.from_scenario(doc), state).start()
    running.emulator.world.knobs.latency_ms = 40
    env = running.environment()
    bin_dir = state / "bin"
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
    uri = f"{running.base_url}/kusto/adxdemo"
    commands = {
        "create-identity": ["create-identity", "-g", "rg-demo", "-n", "id-orders"],
        "grant --via kql": [
            "grant",
            "--role",
            "viewer",
            "--identity",
            "id-orders",
            "-g",
            "rg-demo",
            "--cluster",
            uri,
            "--database",
            "Orders",
            "--via",
            "kql",
        ],
    }
    print(
        f"Sign-in per command (emulator, 40 ms per request; `az` stand-in with "
        f"{opts.az_delay:g} s extra per run; median of {opts.runs} processes)\n"
    )
    print(
        f"{'command':<18}{'service principal':>19}{'az login':>10}{'ratio':>8}"
        f"{'az runs':>9}   target: az login within {TARGET}x"
    )
    try:
        for label, args in commands.items():
            sp_time = _median(args, sp, opts.runs)
            before = len(fake_az.calls(bin_dir))
            az_time = _median(args, az, opts.runs)
            runs = (len(fake_az.calls(bin_dir)) - before) / (opts.runs + 1)
            ratio = az_time / sp_time
            verdict = "ok" if ratio <= TARGET else "over"
            print(
                f"{label:<18}{sp_time:>17.2f} s{az_time:>8.2f} s{ratio:>7.2f}x"
                f"{runs:>9.0f}   {verdict}"
            )
    finally:
        running.stop()
        shutil.rmtree(state, ignore_errors=True)


def _median(args: list[str], env: dict[str, str], runs: int) -> float:
    cmd = [sys.executable, "-m", "kustomi", "-o", "json", *args]
    subprocess.run(cmd, env=env, capture_output=True, check=True)  # does the work, if any
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        r = subprocess.run(cmd, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - t)
        if r.returncode != 0:
            raise SystemExit(f"{' '.join(args)}: exit {r.returncode}: {r.stderr}")
    return statistics.median(times)


if __name__ == "__main__":
    main()

"""Requests per command against the emulator: the figure that matters most against Azure.

For each checklist command, first run (does the work) and second run (nothing to do), it
counts the Azure API requests (ARM and Kusto), the writes among them, and the Entra sign-in
requests, with the emulator adding 40 ms per request to stand in for a network. Then the start
time of `kustomi --help` against a bare Python. Prints tables; asserts nothing.

    make bench        (or: .venv/bin/python bench/requests_per_command.py)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from typer.testing import CliRunner

from kustomi.cli import app
from kustomi.emulator.server import RunningEmulator, is_write
from kustomi.emulator.state import World

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "kustomi" / "emulator" / "scenarios" / "demo.json"


def classify(log: list[dict]) -> tuple[int, int, int]:
    entra = [r for r in log if r["route"].startswith("entra.")]
    api = [r for r in log if not r["route"].startswith("entra.")]
    return len(api), len([r for r in api if is_write(r)]), len(entra)


def main() -> None:
    state = Path(tempfile.mkdtemp(prefix="kustomi-bench-"))
    world = World.from_scenario(json.loads(SCENARIO.read_text()))
    running = RunningEmulator(world, state).start()
    os.environ.update(running.environment())
    running.emulator.world.knobs.latency_ms = 40
    g = ["-g", "rg-demo"]
    cl = ["--cluster", "adxdemo", "--cluster-resource-group", "rg-data"]
    uri = f"{running.base_url}/kusto/adxdemo"
    commands = [
        ("create-identity", ["create-identity", *g, "-n", "id-orders"]),
        (
            "grant --via arm",
            [
                "grant",
                "--role",
                "viewer",
                "--identity",
                "id-orders",
                *g,
                *cl,
                "--database",
                "Orders",
            ],
        ),
        (
            "grant --via kql",
            [
                "grant",
                "--role",
                "ingestor",
                "--identity",
                "id-orders",
                *g,
                "--cluster",
                uri,
                "--database",
                "Orders",
                "--via",
                "kql",
            ],
        ),
        ("attach", ["attach", "--app", "func-orders", *g, "--identity", "id-orders"]),
        (
            "set-connection",
            ["set-connection", "--app", "func-orders", *g, *cl, "--database", "Orders"],
        ),
        (
            "verify (control plane)",
            [
                "verify",
                "--identity",
                "id-orders",
                *g,
                *cl,
                "--database",
                "Orders",
                "--app",
                "func-orders",
            ],
        ),
    ]
    runner = CliRunner()
    print("Requests per command (emulator, 40 ms per request)\n")
    print(f"{'command':<24}{'run':>5}{'API requests':>14}{'writes':>8}{'sign-in':>9}{'seconds':>9}")
    for label, args in commands:
        for attempt in (1, 2):
            with running.emulator.log_lock:
                running.emulator.log.clear()
            t = time.perf_counter()
            r = runner.invoke(app, ["-o", "json", *args])
            elapsed = time.perf_counter() - t
            if r.exit_code != 0:
                raise SystemExit(f"{label}: exit {r.exit_code}: {r.stderr}")
            api, writes, entra = classify(list(running.emulator.log))
            print(f"{label:<24}{attempt:>5}{api:>14}{writes:>8}{entra:>9}{elapsed:>9.2f}")
    running.emulator.world.knobs.latency_ms = 0
    # verify as the identity, from inside the app
    site = running.emulator.world.sites[("rg-demo", "func-orders", "")]
    os.environ.update(
        IDENTITY_ENDPOINT=f"{running.base_url}/msi/token", IDENTITY_HEADER=site.identity_header
    )
    client_id = next(iter(running.emulator.world.identities.values())).client_id
    with running.emulator.log_lock:
        running.emulator.log.clear()
    r = runner.invoke(
        app,
        ["-o", "json", "verify", "--identity", client_id, "--cluster", uri, "--database", "Orders"],
    )
    api, writes, _ = classify(list(running.emulator.log))
    mi = len([x for x in running.emulator.log if x["route"] == "mi.token"])
    print(
        f"{'verify (as identity)':<24}{1:>5}{api:>14}{writes:>8}{'-':>9}     (exit "
        f"{r.exit_code}, {mi} managed-identity token request)"
    )
    running.stop()
    shutil.rmtree(state, ignore_errors=True)

    print("\nStart-up time (median of 5)\n")
    bare = _median([sys.executable, "-c", "pass"])
    help_ = _median([sys.executable, "-m", "kustomi", "--help"])
    print(f"{'python -c pass':<28}{bare:>8.3f} s")
    print(f"{'kustomi --help':<28}{help_:>8.3f} s   ({help_ / bare:.1f}x a bare interpreter)")


def _median(cmd: list[str]) -> float:
    times = []
    for _ in range(5):
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        times.append(time.perf_counter() - t)
    return sorted(times)[2]


if __name__ == "__main__":
    main()

"""setup against the step commands, and a fleet in parallel against one app at a time.

1. One app from scratch on the demo world (the emulator's default latency): the four step
   commands run one after another (four processes, four sign-ins) against one `kustomi setup`;
   wall time (median of 3 fresh worlds), API requests and writes, and a re-run's writes.
2. A fleet of 50 apps at 100 ms per request, with ARM throttling on: `setup --parallel 1`
   against the default `--parallel`; wall time, requests, 429s seen, and a check that every
   app kept its settings and identities and got the new ones.

Prints tables; asserts nothing.

    make bench-setup     (or: .venv/bin/python bench/setup.py [--apps 50] [--latency-ms 100])
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
from typing import Any

from kustomi.emulator.server import RunningEmulator, is_write
from kustomi.emulator.state import Knobs, World
from kustomi.names import DEFAULT_PARALLEL

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "kustomi" / "emulator" / "scenarios" / "demo.json"
KUSTOMI = str(Path(sys.executable).parent / "kustomi")
G = ["-g", "rg-demo"]
CL = ["--cluster", "adxdemo", "--cluster-resource-group", "rg-data"]
STEPS = [
    ["create-identity", *G, "-n", "id-orders"],
    ["grant", "--role", "viewer", "--identity", "id-orders", *G, *CL, "--database", "Orders"],
    ["attach", "--app", "func-orders", *G, "--identity", "id-orders"],
    ["set-connection", "--app", "func-orders", *G, *CL, "--database", "Orders"],
]
ONE = ["--identity", "id-orders", *G, *CL, "--database", "Orders", "--role", "viewer"]


def run(args: list[str]) -> float:
    t = time.perf_counter()
    r = subprocess.run([KUSTOMI, "-o", "json", *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"kustomi {' '.join(args)}: exit {r.returncode}\n{r.stderr}")
    return time.perf_counter() - t


LAST: dict[str, int] = {}  # the last run's ARM requests that went through, by bucket


def counts(running: RunningEmulator) -> tuple[int, int, int]:
    with running.emulator.log_lock:
        log = list(running.emulator.log)
        running.emulator.log.clear()
    api = [r for r in log if not r["route"].startswith("entra.")]
    throttled = len([r for r in api if r["status"] == 429])
    LAST.clear()
    for r in api:  # the emulator's buckets: GET/HEAD reads, DELETE deletes, the rest writes
        if r["status"] != 429 and r["path"].startswith("/subscriptions/"):
            kind = {"GET": "reads", "HEAD": "reads", "DELETE": "deletes"}.get(r["method"], "writes")
            LAST[kind] = LAST.get(kind, 0) + 1
    return len(api), len([r for r in api if is_write(r)]), throttled


def fresh(running: RunningEmulator, doc: dict[str, Any], knobs: Knobs | None = None) -> None:
    world = World.from_scenario(doc)
    world.knobs = knobs or world.knobs
    running.emulator.load(world)
    with running.emulator.log_lock:
        running.emulator.log.clear()
    running.write_env()
    os.environ.update(running.environment())  # a new world has its own tenant and secret


def one_app(running: RunningEmulator) -> None:
    doc = json.loads(SCENARIO.read_text())
    steps_t, setup_t = [], []
    for _ in range(3):
        fresh(running, doc)
        steps_t.append(sum(run(step) for step in STEPS))
        steps_n = counts(running)
        fresh(running, doc)
        setup_t.append(run(["--yes", "setup", *ONE, "--app", "func-orders"]))
        setup_n = counts(running)
        run(["--yes", "setup", *ONE, "--app", "func-orders"])
        rerun = counts(running)
        revoke = ["--yes", "revoke", *ONE, "--app", "func-orders", "--delete-identity"]
        run(revoke)
        undone = counts(running)
        run(revoke)
        undone_again = counts(running)
    a, b = statistics.median(steps_t), statistics.median(setup_t)
    print("One app from scratch (demo world, default latency; median of 3)\n")
    print(f"{'':<34}{'seconds':>9}{'API requests':>14}{'writes':>8}")
    print(f"{'four step commands, one by one':<34}{a:>9.2f}{steps_n[0]:>14}{steps_n[1]:>8}")
    print(f"{'kustomi setup':<34}{b:>9.2f}{setup_n[0]:>14}{setup_n[1]:>8}")
    print(f"{'kustomi setup, again':<34}{'':>9}{rerun[0]:>14}{rerun[1]:>8}")
    print(f"{'kustomi revoke --delete-identity':<34}{'':>9}{undone[0]:>14}{undone[1]:>8}")
    print(f"{'kustomi revoke, again':<34}{'':>9}{undone_again[0]:>14}{undone_again[1]:>8}")
    print(f"\nsetup / four commands: {b / a:.2f} (target: at most 0.50)\n")


def fleet_doc(n: int) -> dict[str, Any]:
    doc = json.loads(SCENARIO.read_text())
    doc["identities"] = [{"resource_group": "rg-demo", "name": "id-other"}]
    for i in range(n):
        doc["sites"].append(
            {
                "resource_group": "rg-demo",
                "name": f"func-{i:03d}",
                "kind": "functionapp",
                "system_assigned": i % 2 == 0,
                "user_assigned": ["rg-demo/id-other"] if i % 3 == 0 else [],
                "app_settings": {"FUNCTIONS_WORKER_RUNTIME": "python", "N": str(i)},
            }
        )
    return doc


def intact(running: RunningEmulator, n: int) -> bool:
    """Every fleet app kept what it had and got the identity and the setting."""
    for (_, name, slot), s in running.emulator.world.sites.items():
        if not name.startswith("func-") or slot or not name[5:].isdigit():
            continue
        i = int(name[5:])
        ok = (
            s.app_settings.get("N") == str(i)
            and "KustoConnectionStringManagedIdentity" in s.app_settings
            and any(u.endswith("/id-orders") for u in s.user_assigned)
            and (i % 3 != 0 or any(u.endswith("/id-other") for u in s.user_assigned))
            and (i % 2 != 0 or s.system_assigned is not None)
        )
        if not ok:
            return False
    return True


def fleet(running: RunningEmulator, n: int, latency_ms: float, rate: float, burst: float) -> None:
    apps = [x for i in range(n) for x in ("--app", f"func-{i:03d}")]
    knobs = Knobs(latency_ms=latency_ms, arm_rate=rate, arm_burst=burst)
    print(
        f"A fleet of {n} apps ({latency_ms:g} ms per request; ARM throttling: {burst:g} "
        f"requests, then {rate:g} per second)\n"
    )
    print(f"{'':<22}{'seconds':>9}{'API requests':>14}{'writes':>8}{'429s':>6}  nothing lost")
    times = {}
    for parallel in (1, DEFAULT_PARALLEL):
        fresh(running, fleet_doc(n), knobs)
        times[parallel] = run(["--yes", "setup", *ONE, *apps, "--parallel", str(parallel)])
        api, writes, throttled = counts(running)
        label = f"--parallel {parallel}"
        print(
            f"{label:<22}{times[parallel]:>9.2f}{api:>14}{writes:>8}{throttled:>6}  "
            f"{'yes' if intact(running, n) else 'NO'}"
        )
    ratio = times[1] / times[DEFAULT_PARALLEL]
    print(f"\n--parallel 1 / --parallel {DEFAULT_PARALLEL}: {ratio:.1f}x (target: at least 5x)")
    # The time the buckets alone need to let the run's requests through: past its burst,
    # each bucket passes `rate` requests a second.
    floor = max(max(n - burst, 0) / rate for n in LAST.values())
    if floor > times[1] / 5:
        print(
            f"(ARM's buckets alone let these requests through in no less than {floor:.1f} s "
            f"({', '.join(f'{n} {k}' for k, n in LAST.items())}): --parallel "
            f"{DEFAULT_PARALLEL} took {times[DEFAULT_PARALLEL] - floor:.1f} s more)"
        )
    print()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--apps", type=int, default=50)
    p.add_argument("--latency-ms", type=float, default=100)
    args = p.parse_args()
    state = Path(tempfile.mkdtemp(prefix="kustomi-bench-"))
    running = RunningEmulator(World.from_scenario(json.loads(SCENARIO.read_text())), state)
    running.start()
    os.environ.update(running.environment())
    try:
        one_app(running)
        # ARM's published bucket (250 reads, refilled at 25 per second) never empties for 50
        # apps; a tighter one shows the back-off at work.
        fleet(running, args.apps, args.latency_ms, rate=25, burst=250)
        fleet(running, args.apps, args.latency_ms, rate=25, burst=40)
    finally:
        running.stop()
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()

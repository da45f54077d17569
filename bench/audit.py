"""kustomi audit of a large subscription: 500 function apps at 100 ms per request.

A world of N apps in five resource groups: a third reach Kusto with an application key, a
third through a user-assigned identity that holds Viewer, the rest with no Kusto setting;
every tenth app has a slot. `kustomi audit` runs as a process (as a user runs it): wall time,
API requests, requests by route, and whether the report counted every app as seeded. Then the
same with ARM's throttling on (a bucket smaller than the audit's reads), and with --parallel 1
for scale. Prints tables; asserts nothing.

    .venv/bin/python bench/audit.py [--apps 500] [--latency-ms 100] [--parallel 20]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from kustomi.emulator.server import RunningEmulator
from kustomi.emulator.state import Knobs, World
from kustomi.names import DEFAULT_AUDIT_PARALLEL

KUSTOMI = str(Path(sys.executable).parent / "kustomi")
GROUPS = [f"rg-fleet-{i}" for i in range(5)]


def world(n: int) -> dict[str, Any]:
    c = "{cluster:adxbench}"
    sites = []
    for i in range(n):
        rg = GROUPS[i % len(GROUPS)]
        site: dict[str, Any] = {
            "resource_group": rg,
            "name": f"func-{i:04d}",
            "kind": "functionapp",
            "app_settings": {"FUNCTIONS_WORKER_RUNTIME": "dotnet-isolated", "N": str(i)},
        }
        if i % 3 == 0:
            site["app_settings"]["KustoConnectionString"] = (
                f"Data Source={c};Database=Orders;Application Client Id="
                f"00000000-0000-4000-8000-{i:012d};Application Key=bench-key-{i:06d}-x"
            )
        elif i % 3 == 1:
            site["user_assigned"] = [f"{rg}/id-{rg}"]
            site["app_settings"]["KustoConnectionStringManagedIdentity"] = (
                f"Data Source={c};Database=Orders;"
            )
        if i % 10 == 0:
            site["slots"] = [{"name": "staging", "app_settings": dict(site["app_settings"])}]
        sites.append(site)
    return {
        "resource_groups": [
            {"name": "rg-data", "location": "westeurope"},
            *({"name": rg, "location": "westeurope"} for rg in GROUPS),
        ],
        "identities": [{"resource_group": rg, "name": f"id-{rg}"} for rg in GROUPS],
        "clusters": [
            {
                "resource_group": "rg-data",
                "name": "adxbench",
                "location": "westeurope",
                "databases": [
                    {
                        "name": "Orders",
                        "principals": [
                            {"role": "Viewer", "identity": f"{rg}/id-{rg}"} for rg in GROUPS
                        ],
                    }
                ],
            }
        ],
        "sites": sites,
    }


def expected(n: int) -> dict[str, int]:
    slots = len(range(0, n, 10))
    # A slot is a copy of its app (i % 10 == 0): those of apps with a key (i % 30 == 0) hold one.
    secret = len(range(0, n, 3)) + len(range(0, n, 30))
    return {"functionApps": n, "slots": slots, "secretBearing": secret}


def audit(
    running: RunningEmulator, knobs: Knobs, doc: dict[str, Any], parallel: int
) -> list[dict[str, Any]]:
    w = World.from_scenario(doc)
    w.knobs = knobs
    running.emulator.load(w)
    with running.emulator.log_lock:
        running.emulator.log.clear()
    running.write_env()
    env = {**os.environ, **running.environment(), "KUSTOMI_OUTPUT": "json"}
    start = time.perf_counter()
    r = subprocess.run(
        [KUSTOMI, "audit", "--parallel", str(parallel)], capture_output=True, text=True, env=env
    )
    wall = time.perf_counter() - start
    with running.emulator.log_lock:
        log = list(running.emulator.log)
    api = [x for x in log if not x["route"].startswith(("entra.", "_"))]
    data = json.loads(r.stdout)["data"] if r.stdout.startswith("{") else {}
    want = expected(len(doc["sites"]))
    ok = all(data.get(k) == v for k, v in want.items())
    throttled = len([x for x in api if x["status"] == 429])
    print(
        f"{len(doc['sites']):>5}  {knobs.latency_ms:>6.0f}  {parallel:>8}  "
        f"{knobs.arm_rate or '-':>7}  {wall:>7.2f}  {len(api):>8}  {throttled:>5}  "
        f"{r.returncode:>4}  {'yes' if ok else 'NO ' + json.dumps(data)[:200]}"
    )
    return api


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--apps", type=int, default=500)
    p.add_argument("--latency-ms", type=float, default=100)
    p.add_argument("--parallel", type=int, default=DEFAULT_AUDIT_PARALLEL)
    p.add_argument("--serial", action="store_true", help="also run --parallel 1 (slow)")
    a = p.parse_args()
    doc = world(a.apps)
    running = RunningEmulator(World.empty(), Path(tempfile.mkdtemp(prefix="kustomi-bench-")))
    running.start()
    try:
        print("  apps  ms/req  parallel  arm_rate  wall(s)  requests  429s  exit  counted all")
        first = audit(running, Knobs(latency_ms=a.latency_ms), doc, a.parallel)
        routes = Counter(x["route"] for x in first)
        # ARM's throttling on: a bucket of 250 reads refilled 50 a second, too few for the
        # audit's reads: it must wait for the bucket (at least (reads - 250) / 50 seconds).
        audit(running, Knobs(latency_ms=a.latency_ms, arm_rate=50), doc, a.parallel)
        # The emulator's buckets: GET reads; POST (config/appsettings/list) writes.
        arm = [x for x in first if x["path"].startswith("/subscriptions/")]
        per = Counter("reads" if x["method"] == "GET" else "writes" for x in arm)
        need = max((n - 250) / 50 for n in per.values())
        print(f"  (throttled: ARM's buckets alone need {need:.1f} s for {dict(per)})")
        if a.serial:
            audit(running, Knobs(latency_ms=a.latency_ms), doc, 1)
        print("\nrequests by route (first run):")
        for route, count in sorted(routes.items(), key=lambda x: -x[1]):
            print(f"  {route:<40} {count:>6}")
    finally:
        running.stop()


if __name__ == "__main__":
    main()

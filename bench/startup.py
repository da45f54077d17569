"""Start-up time of kustomi's help paths against `python -c "import typer, rich"`.

Each round runs the baseline and every help path once, one after another, so that both sides
of a ratio see the same machine load; the table gives the median of the per-round ratios.
Both sides run from bytecode, as an installed kustomi does (pip compiles a wheel's modules):
PYTHONDONTWRITEBYTECODE is left out of their environment, so that the warm-up round writes
kustomi's __pycache__ as typer's already is (with it set, kustomi alone would compile its
modules on every start). Prints a table; asserts nothing.

    make bench        (or: .venv/bin/python bench/startup.py [ROUNDS])
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
BASELINE = [sys.executable, "-c", "import typer, rich"]
PATHS = [
    ["--help"],
    ["--version"],
    ["create-identity", "--help"],
    ["grant", "--help"],
    ["attach", "--help"],
    ["set-connection", "--help"],
    ["verify", "--help"],
    ["emulator", "--help"],
    ["emulator", "serve", "--help"],
]


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=ENV)
    return time.perf_counter() - start


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    kustomi = [str(BIN / "kustomi")]
    for argv in (BASELINE, *[kustomi + p for p in PATHS]):  # warm the file cache
        timed(argv)
    ratios: dict[str, list[float]] = {" ".join(p): [] for p in PATHS}
    seconds: dict[str, list[float]] = {" ".join(p): [] for p in PATHS}
    base: list[float] = []
    for _ in range(rounds):
        for p in PATHS:
            b = timed(BASELINE)
            t = timed(kustomi + p)
            base.append(b)
            ratios[" ".join(p)].append(t / b)
            seconds[" ".join(p)].append(t)
    print(f"baseline `python -c 'import typer, rich'`: {statistics.median(base):.3f}s")
    print(f"{'kustomi ...':28} {'median s':>9} {'ratio':>6}")
    for name, rs in ratios.items():
        print(f"{name:28} {statistics.median(seconds[name]):9.3f} {statistics.median(rs):5.2f}x")


if __name__ == "__main__":
    main()

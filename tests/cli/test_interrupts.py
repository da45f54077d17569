"""Ctrl-C and SIGTERM at any moment of a run of the console script: during start-up (the
imports), while it signs in, while a write is in flight, and once the report is printed.
Whenever it comes: exit 130, no traceback, one line on stderr saying whether a write may be
in flight, and under -o json exactly one JSON report on stdout."""

from __future__ import annotations

import json
import signal
import time

import pytest

CREATE = ("-o", "json", "create-identity", "-g", "rg-demo", "-n", "id-sig")


def _check(r, signame: str) -> None:
    assert "Traceback" not in r.stderr, r.stderr
    doc = json.loads(r.stdout)  # one document, whatever the moment
    if r.exit_code == 0:  # it finished before the signal came
        assert doc["ok"] is True
        return
    assert r.exit_code == 130, (r.exit_code, r.stderr)
    if doc["ok"] is True:  # it came once the report was out: that report stands (README)
        first = [x for x in r.stderr.splitlines() if x.startswith("Error: ")]
        assert first == [
            f"Error: interrupted ({signame}) after the report was printed: the report stands."
        ], r.stderr
        return
    assert doc["ok"] is False and doc["error"]["exitCode"] == 130, r.stderr
    first = [x for x in r.stderr.splitlines() if x.startswith("Error: ")]
    assert len(first) == 1 and f"interrupted ({signame})" in first[0], r.stderr
    assert any(
        w in first[0] for w in ("in flight", "while sending", "nothing was changed", "report")
    ), first


def _handled(pid: int) -> bool:
    """Whether the process catches SIGTERM yet (the SigCgt mask of /proc/<pid>/status): from
    then on, kustomi's handler is installed. Before it, the interpreter itself is starting
    (some 20 ms), and the signal's default action applies."""
    try:
        with open(f"/proc/{pid}/status") as f:
            mask = next(x for x in f if x.startswith("SigCgt:")).split()[1]
    except (OSError, StopIteration):
        return False
    return bool(int(mask, 16) & (1 << (signal.SIGTERM - 1)))


def _started(p) -> None:
    deadline = time.monotonic() + 10
    while not _handled(p.proc.pid) and time.monotonic() < deadline:
        time.sleep(0.001)


@pytest.mark.parametrize("delay", [0.0, 0.01, 0.05, 0.15, 0.3, 0.6])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_at_any_moment_of_start_up_or_sign_in(emu, spawn, sig, delay):
    """From kustomi's first line on: the imports, the parsing, the sign-in, the reads."""
    emu.knobs(latency_ms=150)
    p = spawn(*CREATE)
    _started(p)
    time.sleep(delay)
    p.proc.send_signal(sig)
    r = p.finish()
    _check(r, "Ctrl-C" if sig == signal.SIGINT else "SIGTERM")


def _wait_for(emu, route: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not any(q["route"] == route for q in emu.requests()):
        time.sleep(0.02)
    assert any(q["route"] == route for q in emu.requests()), route


def test_a_signal_while_a_write_is_in_flight_says_its_outcome_is_unknown(emu, spawn):
    emu.faults([{"route": "msi.identities.put", "kind": "slow", "seconds": 2}])
    p = spawn(*CREATE)
    _wait_for(emu, "arm.resourceGroups.get")  # the last read before the PUT
    time.sleep(0.4)
    p.proc.send_signal(signal.SIGINT)
    r = p.finish()
    assert r.exit_code == 130, r.stderr
    assert "while sending: create identity rg-demo/id-sig" in r.stderr
    assert r.json()["error"]["unknown"] == ["create identity rg-demo/id-sig"]
    _wait_for(emu, "msi.identities.put")  # the PUT ends in the emulator, not in the next test


def test_a_signal_before_any_write_says_nothing_was_changed(emu, spawn):
    emu.faults([{"route": "arm.resourceGroups.get", "kind": "slow", "seconds": 2}])
    p = spawn(*CREATE)
    _wait_for(emu, "msi.identities.get")
    time.sleep(0.3)
    p.proc.send_signal(signal.SIGTERM)
    r = p.finish()
    assert r.exit_code == 130, r.stderr
    assert "interrupted (SIGTERM) before any write was sent: nothing was changed" in r.stderr
    assert r.json()["error"]["unknown"] == [] and emu.writes() == []


def test_a_signal_once_the_report_is_printed_keeps_that_one_report(emu, spawn):
    """The report is on stdout; the process is still closing its connections. A signal then
    does not add a second document, and does not turn the run into a traceback."""
    import os

    p = spawn(*CREATE)
    first = os.read(p.proc.stdout.fileno(), 1).decode()  # the report is being printed
    assert first == "{"
    p.proc.send_signal(signal.SIGINT)
    r = p.finish()
    doc = json.loads(first + r.stdout)
    assert "Traceback" not in r.stderr and "Exception ignored" not in r.stderr, r.stderr
    assert doc["ok"] is True and doc["data"]["name"] == "id-sig"
    if r.exit_code == 130:  # else it had ended before the signal came
        assert "interrupted (Ctrl-C) after the report was printed: the report stands" in r.stderr
    else:
        assert r.exit_code == 0


INSIDE_A_CALLBACK = """
import signal, sys, time, weakref
from kustomi import interrupts
interrupts.install()
class Thing: pass
thing = Thing()
def gone(_ref):
    signal.raise_signal(signal.SIGINT)  # the handler runs here, inside the weakref callback
    for _ in range(1000): pass
ref = weakref.ref(thing, gone)
try:
    del thing
    time.sleep(2)
    print("not interrupted")
except KeyboardInterrupt:
    print("interrupted")
"""


def test_a_signal_inside_a_weakref_callback_is_not_lost_nor_a_traceback():
    """A KeyboardInterrupt raised where Python cannot pass it on (a weakref callback, as
    importlib's module locks have; a finalizer) is "Exception ignored" with a traceback:
    the interrupt is delivered again to the main thread instead."""
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-c", INSIDE_A_CALLBACK], capture_output=True, text=True, timeout=30
    )
    assert "Traceback" not in r.stderr and "Exception ignored" not in r.stderr, r.stderr
    assert r.stdout.strip() == "interrupted", (r.stdout, r.stderr)

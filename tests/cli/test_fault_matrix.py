"""The fault matrix: every request the checklist sends, under every fault.

A clean run of the checklist records, per command, the world before it, the requests it sends
(from the emulator's log) and the world after it. Then, for each command and each fault, every
one of its requests in turn gets that fault (the `after` of a fault rule lets the earlier
requests of the same route through), on a copy of the world as it was before the command:

- a transient fault (once): the command still succeeds, and the world ends as in the clean run;
- a persistent fault: the command fails with the exit code of its kind and a message, nothing
  that was there before is lost, and once the fault is gone a re-run converges to the clean
  world.

The matrix comes from the log, so a request a command starts to send is covered without an
edit here.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import Any

import pytest

from kustomi.emulator.server import is_write
from kustomi.emulator.state import World
from tests.cli.worlds import busy_world
from tests.conftest import CL, G

IDENT = ("--identity", "id-func", *G)
KQL_DB = ("--database", "Sales", "--via", "kql")
VERIFY_APP = ("--app", "func-busy", "--mode", "control-plane")
APP = ("--app", "func-busy")
STEPS: list[tuple[str, tuple[str, ...]]] = [
    ("create-identity", ("create-identity", *G, "-n", "id-func")),
    ("grant-arm", ("grant", "--role", "viewer", *IDENT, *CL, "--database", "Sales")),
    ("grant-kql", ("grant", "--role", "ingestor", *IDENT, "--cluster", "{uri}", *KQL_DB)),
    ("attach", ("attach", "--app", "func-busy", *IDENT)),
    ("set-connection", ("set-connection", "--app", "func-busy", *G, *CL, "--database", "Sales")),
    ("verify", ("verify", *IDENT, *CL, "--database", "Sales", "--role", "viewer", *VERIFY_APP)),
    # Then the checklist undone and done again as one plan each (a fleet of one app: an error
    # in the app is the report's errors[0], the command still exits with its code).
    (
        "revoke",
        (
            "--yes",
            "revoke",
            *IDENT,
            *CL,
            "--database",
            "Sales",
            "--role",
            "viewer",
            *APP,
            "--delete-identity",
        ),
    ),
    ("setup", ("--yes", "setup", *IDENT, *CL, "--database", "Sales", "--role", "viewer", *APP)),
]
TRANSIENT = {
    "429": {"status": 429, "retry_after": 0},
    # 500 and 503 in turn, request by request: both statuses meet every kind of request
    # across the steps, at the cost of one case per step.
    "5xx": {"status": 500},
    "drop": {"kind": "drop"},
    "slow": {"kind": "slow", "seconds": 0.05},
}
PERSISTENT = {
    "503-forever": {"status": 503},
    "drop-forever": {"kind": "drop"},
    "malformed": {"kind": "mangled", "body": {"properties": "nope", "value": 5}},
}
# Answers of other shapes than the service's ("malformed" above), served after the request
# was handled (a write is made): each request of a step gets the next shape in turn, so that
# every shape meets every kind of request across the steps.
SHAPES: list[dict[str, Any]] = [
    {"body": {"properties": "nope", "value": 5}},
    {"body": []},
    {"body": "text"},
    {"body": {}},
    {"body": None},
    {"body": {"value": [5], "properties": {"principalId": 5}, "name": 3, "id": 4, "Tables": 5}},
    {"text": "<html><body>502 Bad Gateway</body></html>"},
]


# What a command whose request keeps failing may end with: a service error (5); verify makes
# a finding of what it could not check (6). A sign-in whose requests keep failing (a 5xx from
# Entra, a dropped connection) is a service error too, not "run az login" (4).
FAILED = {5, 6}


@dataclass
class Step:
    args: tuple[str, ...]
    before: World
    requests: list[tuple[str, str]]  # (route, method), in order
    writes: list[bool]  # whether each request changed state
    after: str  # the world after the clean run, normalised
    kept: set[tuple[Any, ...]]  # what was there before and still is after the clean run


def normal(state: dict[str, Any]) -> str:
    """The world as JSON, with each identity's generated ids named after the identity, so
    that two runs that did the same compare equal."""
    text = json.dumps(state, sort_keys=True)
    for ident in state["identities"]:
        for key in ("client_id", "principal_id"):
            text = text.replace(ident[key], f"<{ident['name']}.{key}>")
    return text


_CLEAN: dict[str, Step] = {}


@pytest.fixture
def clean(emu_factory, kustomi) -> dict[str, Step]:
    """The clean run, once per test session (each case loads its own copy of a world)."""
    emu = emu_factory(busy_world())
    if _CLEAN and next(iter(_CLEAN.values())).before.tenant_id == emu.world.tenant_id:
        return _CLEAN
    _CLEAN.clear()
    uri = f"{emu.url}/kusto/adxbusy"
    for name, args in STEPS:
        args = tuple(a.replace("{uri}", uri) for a in args)
        before = emu.world.copy()
        emu.clear_log()
        r = kustomi("-o", "json", *args)
        assert r.exit_code == 0, (name, r.stderr)
        log = emu.requests()
        requests = [(x["route"], x["method"]) for x in log]
        state = emu.state()
        # What the command must keep: all that was there, but for what it exists to remove
        # (revoke: kustomi's own setting and identity).
        kept = set(_settings_and_identities(before.dump())) & set(_settings_and_identities(state))
        _CLEAN[name] = Step(args, before, requests, [is_write(x) for x in log], normal(state), kept)
    return _CLEAN


def _start(emu: Any, step: Step, rule: dict[str, Any] | None) -> None:
    emu.running.emulator.load(step.before.copy())
    emu.clear_log()
    emu.faults([rule] if rule else [])


def _shape(name: str, route: str, method: str, before: int) -> int:
    """Which of SHAPES a request gets: fixed by the request itself, not by its place in the
    step's log (which holds a token or metadata request or not, as the process's caches
    have it), so that every run tries the same shape on the same request."""
    return zlib.crc32(f"{name} {route} {method} {before}".encode()) % len(SHAPES)


@pytest.mark.parametrize("shape", range(len(SHAPES)))
@pytest.mark.parametrize(
    ("name", "route", "service"),
    [
        ("grant-kql", "kusto.data.mgmt", "Kusto"),
        ("set-connection", "web.appsettings.list", "App Service"),
    ],
)
def test_every_malformed_shape_of_a_read_is_unreadable(
    emu, clean, kustomi, shape, name, route, service
):
    """The first read a write is built on, answered in every shape (a 200 whose body is an
    HTML page; an object whose values the SDK reads as settings): exit 5, saying it could
    not be read, and nothing written, so nothing lost."""
    step = clean[name]
    _start(emu, step, {"route": route, "method": "POST", "kind": "mangled", **SHAPES[shape]})
    r = kustomi("-o", "json", *step.args)
    assert r.exit_code == 5, r.stderr
    assert "Azure answered something kustomi cannot read" in r.stderr, r.stderr
    assert r.json()["error"]["done"] == [] and emu.writes() == []


def _targets(step: Step) -> list[tuple[str, str, int]]:
    """Each request of the step as (route, method, how many of that route and method came
    before it)."""
    seen: dict[tuple[str, str], int] = {}
    out = []
    for route, method in step.requests:
        out.append((route, method, seen.get((route, method), 0)))
        seen[(route, method)] = seen.get((route, method), 0) + 1
    return out


def _untruthful(where: str, step: Step, index: int, fault: str, error: dict[str, Any]) -> list[str]:
    """What the error report must say of the command's write, if it has one: refused (an
    error status on the write itself) is not done; a dropped write, or a read after the
    write, is done or of unknown outcome, never "not done"."""
    writes = [i for i, w in enumerate(step.writes) if w]
    if not writes:
        return [f"{where}: a read-only command says it wrote"] if error["done"] else []
    said = f"{where}: {error}"
    if index < writes[0]:
        return [] if not error["done"] and not error["unknown"] else [f"{said}: before it"]
    if index == writes[0] and fault.startswith("503"):
        return [] if error["notDone"] and not error["unknown"] else [f"{said}: refused"]
    if index == writes[0]:
        return [] if error["unknown"] else [f"{said}: dropped, so outcome unknown"]
    return [] if error["done"] or error["unknown"] else [f"{said}: after the write"]


def _settings_and_identities(state: dict[str, Any]) -> list[tuple[Any, ...]]:
    """What must never be lost: every app setting and every identity on every site."""
    out: list[tuple[Any, ...]] = []
    for s in state["sites"]:
        where = (s["resource_group"], s["name"], s["slot"])
        out += [(*where, "setting", k, v) for k, v in s["app_settings"].items()]
        out += [(*where, "identity", i.lower()) for i in s["user_assigned"]]
        out.append((*where, "system", bool(s["system_assigned"])))
    return out


# setup and revoke send the step commands' requests (the same routes, through the same
# clients), which meet every transient fault above; they run under the two whose handling is
# theirs to get right: an answer lost after a write was made, and throttling.
PLANS = ("revoke", "setup")
TRANSIENT_CASES = [
    (name, fault)
    for name, _ in STEPS
    for fault in sorted(TRANSIENT)
    if name not in PLANS or fault in ("drop", "429")
]


@pytest.mark.parametrize(("name", "fault"), TRANSIENT_CASES)
def test_a_transient_fault_on_any_request_is_retried(emu, clean, kustomi, monkeypatch, name, fault):
    step = clean[name]
    failures = []
    for index, (route, method, before) in enumerate(_targets(step)):
        rule = {"route": route, "method": method, "after": before, "times": 1, **TRANSIENT[fault]}
        if fault == "5xx":
            rule["status"] = (500, 503)[(index + len(name)) % 2]
        _start(emu, step, rule)
        r = kustomi("-o", "json", *step.args)
        where = f"{route} {method} #{before + 1}"
        if r.exit_code != 0:
            failures.append(f"{where}: exit {r.exit_code}: {r.stderr.strip()[-300:]}")
        elif normal(emu.state()) != step.after:
            failures.append(f"{where}: the world differs from the clean run's")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("fault", sorted(PERSISTENT))
@pytest.mark.parametrize("name", [n for n, _ in STEPS])
def test_a_persistent_fault_fails_truthfully_loses_nothing_and_a_rerun_converges(
    emu, clean, kustomi, monkeypatch, name, fault
):
    monkeypatch.setenv("KUSTOMI_RETRIES", "1")
    step = clean[name]
    failures = []
    for index, (route, method, before) in enumerate(_targets(step)):
        where = f"{route} {method} #{before + 1}"
        rule = PERSISTENT[fault]
        if fault == "malformed":  # each request gets the next shape in turn (SHAPES)
            rule = {
                "kind": "mangled",
                **SHAPES[_shape(name, route, method, before)],
            }
        _start(emu, step, {"route": route, "method": method, "after": before, **rule})
        kept = step.kept
        r = kustomi("-o", "json", *step.args)
        if r.exit_code == 0 and name == "verify":
            # verify still decides on what it could read, and says what it could not.
            if not any("not seen" in n for n in r.json()["notes"]):
                failures.append(f"{where}: verify passed without saying what it did not see")
        elif r.exit_code == 0:
            # A request the command can do without (azure-kusto-data falls back to its default
            # when a cluster's auth metadata cannot be read): the job must still be done.
            if normal(emu.state()) != step.after:
                failures.append(f"{where}: exit 0, but the world differs from the clean run's")
            continue
        elif r.exit_code not in FAILED:
            failures.append(f"{where}: exit {r.exit_code}, not a failure: {r.stderr[-300:]}")
            continue
        if "Traceback" in r.stderr or "bug in" in r.stderr:
            failures.append(f"{where}: a crash: {r.stderr[-300:]}")
        elif (
            r.exit_code == 5
            and fault == "malformed"
            # (a read-back of settings that are names and values, but not those written, is
            # as another writer's: nothing tells the two apart)
            and not any(w in r.stderr for w in ("cannot read", "another writer"))
        ):
            failures.append(f"{where}: exit 5 without saying the answer was unreadable")
        if "Error:" not in r.stderr and r.exit_code not in (0, 6):
            failures.append(f"{where}: no error message")
        if r.exit_code not in (0, 6):
            doc = r.json()
            error = doc["error"] if "error" in doc else doc["errors"][0]
            failures += _untruthful(where, step, index, fault, error)
        lost = set(kept) - set(_settings_and_identities(emu.state()))
        if lost:
            failures.append(f"{where}: lost {sorted(lost)[:3]}")
        emu.faults([])
        again = kustomi("-o", "json", *step.args)
        if again.exit_code != 0:
            failures.append(f"{where}: the re-run failed: {again.stderr.strip()[-300:]}")
        elif normal(emu.state()) != step.after:
            failures.append(f"{where}: the re-run did not converge to the clean world")
    assert not failures, "\n".join(failures)


def test_the_matrix_covers_every_kind_of_request(clean):
    """A sanity check of the generated matrix: the writes, the LRO, the Kusto data plane and
    the sign-in are all in it, and two clean runs compare equal once normalised."""
    routes = {r for step in clean.values() for r, _ in step.requests}
    assert {"msi.identities.put", "kusto.data.mgmt", "web.appsettings.put"} <= routes
    assert any(r.startswith("entra.") for r in routes)
    assert any("operation" in r for r in routes), routes

"""`--check`: the plan of --dry-run, and exit 6 while anything would change, so a script or a
CI job can ask "is this wired up?" without writing."""

from __future__ import annotations

import pytest

from tests.conftest import CL, G

COMMANDS = {
    "create-identity": ("create-identity", *G, "-n", "id-func"),
    "grant": ("grant", "--role", "viewer", "--identity", "id-func", *G, *CL, "--database", "Sales"),
    "attach": ("attach", "--app", "func-busy", *G, "--identity", "id-func"),
    "set-connection": ("set-connection", "--app", "func-busy", *G, *CL, "--database", "Sales"),
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_check_exits_6_with_pending_changes_then_0_once_applied(world, kustomi, command):
    # What the command needs before it: the steps that come earlier in the checklist.
    for earlier in list(COMMANDS)[: list(COMMANDS).index(command)]:
        if earlier != "grant":
            assert kustomi(*COMMANDS[earlier]).exit_code == 0
    world.clear_log()
    pending = kustomi("--check", "-o", "json", *COMMANDS[command])
    assert pending.exit_code == 6, pending.stdout + pending.stderr
    report = pending.json()
    assert report["dryRun"] is True and report["changes"][0]["kind"] in ("create", "update")
    assert "change(s) pending" in pending.stderr
    assert world.writes() == []

    assert kustomi(*COMMANDS[command]).exit_code == 0
    world.clear_log()
    done = kustomi("--check", "-o", "json", *COMMANDS[command])
    assert done.exit_code == 0, done.stdout + done.stderr
    assert {c["kind"] for c in done.json()["changes"]} == {"none"}
    assert "pending" not in done.stderr
    assert world.writes() == []

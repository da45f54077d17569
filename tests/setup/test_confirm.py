"""The confirmation prompt, on a real terminal: setup and revoke run as a subprocess whose stdin
is a pseudo-terminal, as when a user types the command."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from tests.setup.test_setup import REVOKE, SETUP

KUSTOMI = str(Path(sys.executable).parent / "kustomi")


def _on_a_terminal(
    answer: str, args: tuple[str, ...] = ("-o", "json", *SETUP)
) -> subprocess.CompletedProcess[str]:
    leader, follower = pty.openpty()
    try:
        os.write(leader, answer.encode() + b"\n")  # typed ahead: the line waits in the terminal
        return subprocess.run(
            [KUSTOMI, *args],
            stdin=follower,
            capture_output=True,
            text=True,
            timeout=60,
            env=os.environ,
        )
    finally:
        os.close(leader)
        os.close(follower)


@pytest.mark.parametrize("answer", ["y", "yes"])
def test_the_plan_is_shown_and_a_yes_applies_it(world, answer):
    r = _on_a_terminal(answer)
    assert r.returncode == 0, r.stderr
    assert "+ would create" in r.stderr and "identity rg-app/id-func" in r.stderr
    assert "Apply these 4 change(s) to 1 app(s)?" in r.stderr
    assert {w["route"] for w in world.writes()} >= {"msi.identities.put", "web.sites.patch"}


@pytest.mark.parametrize("answer", ["n", "", "whatever"])
def test_anything_but_yes_changes_nothing(world, answer):
    r = _on_a_terminal(answer)
    assert r.returncode == 2
    assert "setup was not confirmed: nothing was changed." in r.stderr
    assert world.writes() == []


@pytest.mark.parametrize("command", ["setup", "revoke"])
def test_a_no_is_said_as_an_answer_not_as_an_error(world, kustomi, command):
    """Declining prints "nothing was changed" with no `Error:`, even under -q; the exit code
    is 2 (README, Exit codes), and under -o json stdout has its error report."""
    if command == "revoke":
        assert kustomi("--yes", *SETUP).exit_code == 0
        world.clear_log()
    args = SETUP if command == "setup" else REVOKE
    r = _on_a_terminal("n", ("-o", "json", *args))
    assert r.returncode == 2
    assert f"{command} was not confirmed: nothing was changed." in r.stderr
    assert "Error:" not in r.stderr and "Hint:" not in r.stderr
    assert "Rerun and answer y, or add --yes" in r.stderr
    doc = json.loads(r.stdout)
    assert doc["ok"] is False and doc["error"]["exitCode"] == 2
    assert world.writes() == []
    quiet = _on_a_terminal("n", ("-q", "-o", "table", *args))
    assert quiet.returncode == 2 and quiet.stdout == ""
    # (the answer typed, and its newline, are echoed by the terminal, not written on stderr)
    assert quiet.stderr.endswith(
        "? [y/N]: "
        f"{command} was not confirmed: nothing was changed.\n"
        "Rerun and answer y, or add --yes to apply without asking.\n"
    )

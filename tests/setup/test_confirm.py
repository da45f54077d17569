"""The confirmation prompt, on a real terminal: setup runs as a subprocess whose stdin is a
pseudo-terminal, as when a user types the command."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from tests.setup.test_setup import SETUP

KUSTOMI = str(Path(sys.executable).parent / "kustomi")


def _on_a_terminal(answer: str) -> subprocess.CompletedProcess[str]:
    leader, follower = pty.openpty()
    try:
        os.write(leader, answer.encode() + b"\n")  # typed ahead: the line waits in the terminal
        return subprocess.run(
            [KUSTOMI, "-o", "json", *SETUP],
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
    assert "not confirmed; nothing was changed" in r.stderr
    assert world.writes() == []

"""The global options before the command or after it (and after its options), as az takes
them: the same meaning, the same precedence over the environment, and the last one given wins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kustomi.cli import COMMANDS
from kustomi.cli.global_options import HEADING
from tests.conftest import CL, G

CREATE = ("create-identity", *G, "-n", "id-func")
SETUP = (
    "setup",
    "--identity",
    "id-func",
    *G,
    *CL,
    "--database",
    "Sales",
    "--role",
    "viewer",
    "--app",
    "func-busy",
)
OTHER_SUB = "11111111-2222-3333-4444-555555555555"


def test_setup_yes_after_the_command_applies_without_a_terminal(world, kustomi):
    """`kustomi setup --yes`, the example `kustomi setup --help` prints, is not refused."""
    r = kustomi(*SETUP, "--yes")
    assert r.exit_code == 0, r.stderr
    assert "No such option" not in r.stderr
    assert {w["route"] for w in world.writes()} >= {"msi.identities.put", "web.sites.patch"}


@pytest.mark.parametrize("where", ["before", "after", "among"])
def test_dry_run_anywhere_sends_no_write(world, kustomi, where):
    args = {
        "before": ("--dry-run", *CREATE),
        "after": (*CREATE, "--dry-run"),
        "among": (CREATE[0], "--dry-run", *CREATE[1:]),
    }[where]
    r = kustomi("-o", "json", *args)
    assert r.exit_code == 0, r.stderr
    assert r.json()["dryRun"] is True
    assert world.writes() == []


@pytest.mark.parametrize("where", ["before", "after"])
def test_check_anywhere_exits_6_while_changes_are_pending(world, kustomi, where):
    args = ("--check", *CREATE) if where == "before" else (*CREATE, "--check")
    r = kustomi(*args)
    assert r.exit_code == 6, r.stderr
    assert "change(s) pending" in r.stderr and world.writes() == []


def test_output_after_the_command_wins_over_the_environment_and_over_one_before(world, kustomi):
    table = kustomi(*CREATE, "-o", "table", env={"KUSTOMI_OUTPUT": "json"})
    assert table.exit_code == 0 and table.stdout.startswith("kustomi create-identity")
    last = kustomi("-o", "table", *CREATE, "--output", "json")
    assert last.exit_code == 0 and json.loads(last.stdout)["command"] == "create-identity"
    first = kustomi("-o", "json", *CREATE, "-o", "table")
    assert first.exit_code == 0 and first.stdout.startswith("kustomi create-identity")


def test_a_global_option_given_twice_after_the_command_is_not_refused(world, kustomi):
    """The last one wins, as in az; a command's own option given twice is still refused."""
    r = kustomi(*CREATE, "-o", "table", "-o", "json")
    assert r.exit_code == 0 and r.json()["ok"] is True
    twice = kustomi(*CREATE, "-n", "id-other")
    assert twice.exit_code == 2 and "-n/--name is given 2 times" in twice.stderr


def test_subscription_after_the_command_wins_over_the_one_before(world, kustomi):
    sub = world.env["AZURE_SUBSCRIPTION_ID"]
    # The last one given is the emulator's subscription: the identity is created there.
    ok = kustomi("--subscription", OTHER_SUB, *CREATE, "--subscription", sub)
    assert ok.exit_code == 0, ok.stderr
    assert f"/subscriptions/{sub}/" in ok.json()["data"]["resourceId"]
    # The last one is a subscription the emulator does not have: nothing is created there.
    world.clear_log()
    other = kustomi(
        "--subscription", sub, "-o", "json", *CREATE[:-1], "id-two", "--subscription", OTHER_SUB
    )
    assert other.exit_code != 0
    assert not any(sub in w["path"] for w in world.writes())


def test_a_bad_value_after_the_command_is_refused_before_any_request(world, kustomi):
    world.clear_log()
    r = kustomi(*CREATE, "--subscription", "not-a-guid")
    assert r.exit_code == 2 and "'not-a-guid' is not a GUID" in r.stderr
    assert world.requests() == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("-v", *CREATE, "-q"), "-v/--verbose and -q/--quiet cannot be used together"),
        ((*CREATE, "-q", "-v"), "-v/--verbose and -q/--quiet cannot be used together"),
        ((*CREATE, "-o", "sarif"), "-o sarif is for doctor"),
    ],
)
def test_contradictions_across_positions_are_exit_2_naming_both(world, kustomi, args, message):
    world.clear_log()
    r = kustomi(*args)
    assert r.exit_code == 2 and message in r.stderr
    assert world.requests() == []


def test_quiet_and_verbose_and_debug_after_the_command(world, kustomi):
    loud = kustomi(*CREATE, "--debug")
    assert loud.exit_code == 0 and "debug: " in loud.stderr
    quiet = kustomi(*CREATE, "-q")
    assert quiet.exit_code == 0 and quiet.stderr == ""
    path = Path.cwd() / "kustomi.toml"
    path.write_text('resource-group = "rg-app"\n')
    verbose = kustomi("create-identity", "-n", "id-func", "-v")
    assert verbose.exit_code == 0 and f"defaults from {path}" in verbose.stderr
    plain = kustomi("create-identity", "-n", "id-func")
    assert "defaults from" not in plain.stderr


def test_a_typed_v_after_the_command_replaces_kustomi_verbose(world, kustomi):
    env = kustomi(*CREATE, "-v", env={"KUSTOMI_VERBOSE": "-1"})
    assert env.exit_code == 0, env.stderr  # the typed -v replaced the bad value


def test_an_error_is_a_json_report_under_o_json_given_after_the_command(world, kustomi):
    """An error found while the command's options are read is a JSON report when -o json is
    given after the command."""
    r = kustomi(*CREATE, "-o", "json", "--subscription", "nope")
    assert r.exit_code == 2
    assert r.json()["error"]["exitCode"] == 2 and "not a GUID" in r.json()["error"]["message"]


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_s_help_lists_the_global_options(kustomi, command):
    r = kustomi(command, "--help")
    assert r.exit_code == 0
    head, _, shared = r.stdout.partition(HEADING)
    for opt in (
        "--output",
        "--subscription",
        "--dry-run",
        "--check",
        "--yes",
        "--verbose",
        "--quiet",
        "--debug",
    ):
        assert opt in shared and f" {opt}" not in head.split("Options:")[1], opt

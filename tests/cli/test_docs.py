"""Every command has --help with an example and is documented in the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kustomi.cli import COMMAND_MODULES, EMULATOR, app

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
COMMANDS = [name for name in COMMAND_MODULES if name != "emulator"]


def test_there_are_commands():
    assert {"create-identity", "grant", "attach", "set-connection", "verify"} <= set(COMMANDS)


def test_the_help_list_says_what_each_command_says_of_itself():
    """`kustomi --help` lists each command by COMMAND_MODULES' line, without building it: the
    line is the one the command's own help starts with, shortened the same way."""
    import typer

    root = typer.main.get_command(app)
    ctx = root.make_context("kustomi", ["create-identity"], resilient_parsing=True)
    for name, (_, line) in [*COMMAND_MODULES.items(), ("emulator", EMULATOR)]:
        cmd = root.get_command(ctx, name)  # type: ignore[attr-defined]
        assert cmd.name == name
        for limit in (45, 60, 150):
            assert cmd.get_short_help_str(limit) == typer._click.utils.make_default_short_help(
                line, limit
            ), name


@pytest.mark.parametrize("name", COMMANDS)
def test_help_has_an_example_and_the_readme_documents_it(kustomi, name):
    r = kustomi(name, "--help")
    assert r.exit_code == 0
    assert "Example" in r.stdout
    assert f"### {name}" in README and f"kustomi {name} " in README


def test_readme_gives_the_two_newcomer_commands_first():
    head = README[:600]
    assert "make demo" in head and "make test" in head
    ci = (Path(__file__).resolve().parents[2] / ".ci" / "run").read_text()
    assert "make test" in ci


def _exit_code_table() -> dict[int, str]:
    """The README's "Exit codes" section as {code: meaning}."""
    section = README.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d+) \| (.+) \|$", section, re.MULTILINE)
    return {int(code): meaning for code, meaning in rows}


def test_exit_codes_in_the_readme_match_the_error_family():
    from kustomi import errors
    from kustomi.cli import EPILOG

    table = _exit_code_table()
    assert sorted(table) == [0, 1, 2, 3, 4, 5, 6, 130]
    for cls, words in (
        (errors.UsageError, "bad usage"),
        (errors.NotFoundError, "not found"),
        (errors.AuthError, "not signed in"),
        (errors.ServiceError, "service error"),
        (errors.ChecksFailed, "checks failed"),
    ):
        assert words in table[cls.exit_code], (cls.__name__, table[cls.exit_code])
    # --help's epilog lists the same codes.
    assert re.findall(r"(\d+) [A-Za-z]", EPILOG.split("Exit codes:", 1)[1]) == [
        str(c) for c in sorted(table)
    ]


def test_the_readme_kustomi_toml_runs(emu, kustomi, tmp_path):
    """The README's example file is accepted as it stands and supplies every option a grant
    needs: the dry run reaches ARM, which has none of the example's resources (exit 3, not 2)."""
    section = README.split("### Project defaults: kustomi.toml", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "kustomi.toml").write_text(example)
    r = kustomi("--dry-run", "grant")
    assert r.exit_code == 3, r.stderr
    assert "rg-orders" in r.stderr or "id-orders" in r.stderr


@pytest.mark.parametrize("name", ["serve", "env", "app-env"])
def test_emulator_commands_have_an_example(kustomi, name):
    r = kustomi("emulator", name, "--help")
    assert r.exit_code == 0 and "Example" in r.stdout


def test_every_global_option_has_an_environment_variable_in_the_readme():
    import typer

    root = typer.main.get_command(app)
    # --query has none: an expression is about one command's report (README, Commands); nor
    # typer's completion options, which act at once.
    no_env = ("version", "help", "query", "install_completion", "show_completion")
    options = [p for p in root.params if p.name not in no_env]
    assert len(options) >= 8
    for p in options:
        assert p.envvar, f"--{p.name} has no environment variable"
        assert f"`{p.envvar}`" in README, f"{p.envvar} is not in the README"


def test_quiet_and_check_from_the_environment(emu, kustomi, monkeypatch):
    monkeypatch.setenv("KUSTOMI_CHECK", "1")
    monkeypatch.setenv("KUSTOMI_QUIET", "1")
    r = kustomi("-o", "json", "create-identity", "-g", "rg-demo", "-n", "id-env")
    assert r.exit_code == 6 and r.json()["dryRun"] is True
    assert r.stderr == ""  # quiet: not even the pending-changes line
    assert emu.writes() == []


def test_every_verify_status_is_in_the_readme():
    from typing import get_args

    from kustomi.model import AuditStatus, VerifyStatus

    for command, statuses in (("verify", VerifyStatus), ("audit", AuditStatus)):
        section = README.split(f"### {command}", 1)[1].split("\n### ", 1)[0]
        for status in set(get_args(statuses)) - {"ok"}:
            assert f"`{status}`" in section, (command, status)

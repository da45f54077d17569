"""`kustomi help [COMMAND]`, --help at the terminal's width with whole examples, and shell
completion (typer's), fixed values included."""

from __future__ import annotations

import os
import subprocess

import pytest
import typer.main
from typer.testing import CliRunner

from kustomi.cli import app
from kustomi.cli.params import is_example_line
from tests.conftest import KUSTOMI_SCRIPT

ROOT = typer.main.get_command(app)
_CTX = ROOT.make_context("kustomi", ["help"], resilient_parsing=True)
PATHS = [
    (name, *([sub] if sub else []))
    for name in ROOT.list_commands(_CTX)  # type: ignore[attr-defined]
    for sub in [None, *getattr(ROOT.get_command(_CTX, name), "commands", {})]  # type: ignore[attr-defined]
]


def _out(*args: str, columns: int = 200) -> tuple[int, str]:
    """The help as the console script prints it on a terminal of that many COLUMNS (typer's
    CliRunner forces 80 columns: the command runs as `kustomi.cli.main` runs it)."""
    import contextlib
    import io

    out = io.StringIO()
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(columns)
    try:
        with contextlib.redirect_stdout(out):
            code = ROOT.main(list(args), prog_name="kustomi", standalone_mode=False)
    finally:
        os.environ.pop("COLUMNS")
        if old is not None:
            os.environ["COLUMNS"] = old
    return code or 0, out.getvalue()


@pytest.mark.parametrize("path", [(), *PATHS], ids=lambda p: " ".join(p) or "kustomi")
def test_help_command_prints_what_help_prints(path):
    code, text = _out("help", *path)
    assert code == 0 and text.startswith(f"Usage: {' '.join(['kustomi', *path])} ")
    assert (code, text) == _out(*path, "--help")


def test_help_of_an_unknown_command_is_exit_2_naming_it():
    r = CliRunner().invoke(app, ["help", "setpu"])
    assert r.exit_code == 2 and "No such command 'setpu' in kustomi." in r.stderr
    deeper = CliRunner().invoke(app, ["help", "emulator", "nope"])
    assert deeper.exit_code == 2 and "No such command 'nope' in kustomi emulator." in deeper.stderr


def _example_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if is_example_line(line)]


@pytest.mark.parametrize("path", PATHS, ids=" ".join)
@pytest.mark.parametrize("columns", [60, 100])
def test_help_wraps_at_the_terminal_width_and_never_breaks_an_example(path, columns):
    _, wide = _out(*path, "--help", columns=400)
    _, text = _out(*path, "--help", columns=columns)
    examples = _example_lines(text)
    assert examples == _example_lines(wide)  # the same examples, each whole on its line
    verbatim = {line for line in wide.splitlines() if line.startswith("    ")}
    for line in text.splitlines():
        if line in verbatim or " " not in line.strip():
            continue  # an example or a sample output, as written; one word wider than the width
        assert len(line) <= columns, f"{len(line)} > {columns}: {line!r}"


def test_help_uses_more_than_80_columns_when_the_terminal_has_them():
    r = subprocess.run(
        [KUSTOMI_SCRIPT, "setup", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "160"},
    )
    prose = [line for line in r.stdout.splitlines() if not is_example_line(line)]
    assert 100 < max(len(line) for line in prose) <= 160
    assert "--install-completion" in _out("--help")[1]
    assert "--show-completion" in _out("--help")[1]


@pytest.mark.parametrize(
    ("words", "want"),
    [
        ("kustomi grant --role v", ["viewer"]),
        (
            "kustomi setup --role ",
            [
                "viewer",
                "user",
                "ingestor",
                "monitor",
                "admin",
                "unrestrictedviewer",
                "alldatabasesviewer",
                "alldatabasesmonitor",
                "alldatabasesadmin",
            ],
        ),
        (
            "kustomi grant --role all",
            ["alldatabasesviewer", "alldatabasesmonitor", "alldatabasesadmin"],
        ),
        ("kustomi verify --role in", ["ingestor"]),
        ("kustomi grant --via ", ["arm", "kql"]),
        ("kustomi snippet --lang py", ["python", "python-v1"]),
        ("kustomi snippet --direction ", ["input", "output"]),
        ("kustomi -o ", ["table", "json", "tsv", "none", "sarif"]),
        ("kustomi set", ["setup", "set-connection"]),
    ],
)
def test_bash_completion_completes_fixed_values(words, want):
    """What the script `kustomi --show-completion bash` prints asks: the installed console
    script, with bash's COMP_WORDS and COMP_CWORD."""
    cword = len(words.split()) - (0 if words.endswith(" ") else 1)
    env = {
        **os.environ,
        "_KUSTOMI_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(cword),
    }
    r = subprocess.run([KUSTOMI_SCRIPT], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == want


def test_the_completed_values_are_the_ones_kustomi_takes():
    from kustomi.bindings.snippets import LANGUAGES, TEMPLATES
    from kustomi.config import ROLES
    from kustomi.names import DIRECTION_NAMES, LANGUAGE_NAMES, ROLE_NAMES

    assert tuple(ROLES) == ROLE_NAMES
    assert LANGUAGES == LANGUAGE_NAMES
    assert {d for _, d in TEMPLATES} == set(DIRECTION_NAMES)


def test_show_completion_prints_a_script_for_the_shell():
    # typer detects the shell from the process tree (shellingham): under make it is sh, which
    # it does not support. With detection off (typer's own tests do this), the option takes
    # the shell's name, as a user in bash gets it detected.
    env = {**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    r = subprocess.run(
        [KUSTOMI_SCRIPT, "--show-completion", "bash"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert r.returncode == 0 and "_KUSTOMI_COMPLETE=complete_bash" in r.stdout

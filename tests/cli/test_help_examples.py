"""Every example that a `--help` prints, run against the emulator as printed.

The examples come from the help text itself (`examples()`): each line of a help whose text is a
command line to paste into a shell as it is (`kustomi ...`, `$ kustomi ...`,
`eval "$(kustomi ...)"`), with `&&` between two commands and a trailing `# comment`.
Each runs in a fresh demo world (kustomi/emulator/scenarios/demo.json) where `make demo`'s
first steps were done (id-orders in rg-demo, Viewer on adxdemo/Orders, on func-orders, its
connection setting), from a directory holding what the examples name: the function projects
./orders, ./src/OrdersFunctions and ./src/Orders, and, for an example that says it reads
./kustomi.toml, one whose [setup] describes that. Placeholders are filled from that world:
`<clientId>` is id-orders' client id, the Azure cluster URI the emulated cluster's. A `kustomi
verify` that gives the identity by client id alone runs as the identity, with the function
app's managed-identity endpoint (what `kustomi emulator app-env` prints); setup and revoke,
which ask before they write, run on a pseudo-terminal where `y` is typed; `emulator serve`
runs until it says it listens.

No example may exit 2 (refused as bad input): each exit code is also checked against the one
the example's world makes it have, and every key of the JSON reports they print is camelCase.
"""

from __future__ import annotations

import json
import os
import pty
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kustomi.cli import app
from kustomi.cli.params import is_example_line
from tests.conftest import SCENARIOS

KUSTOMI = str(Path(sys.executable).parent / "kustomi")
AZURE_CLUSTER = "https://adxdemo.westeurope.kusto.windows.net"
PROJECT = Path(__file__).resolve().parents[1] / "doctor" / "projects" / "csharp-isolated"

SETUP_TOML = """\
resource-group = "rg-demo"
[setup]
identity = "id-orders"
[[setup.grants]]
cluster = "adxdemo"
cluster-resource-group = "rg-data"
database = "Orders"
role = "viewer"
[[setup.apps]]
app = "func-orders"
"""

# The exit code each example has in its world, when not 0 (6: a check or a finding stands).
EXPECTED = {
    "doctor --project ./orders": 6,  # the sample project's bindings name no identity
    "doctor ./src/OrdersFunctions": 6,  # the project as PATH
    "doctor --project .": 6,
    "doctor --project ./orders --app func-orders -g rg-demo": 6,
    "-o sarif doctor --project .": 6,
    "doctor --project . --app func-orders -g rg-demo": 6,
    "audit": 6,  # rg-legacy's two apps reach Kusto with a secret
    "audit -g rg-legacy -g rg-demo --app func-orders --project ./src/Orders": 6,
    "audit --emit-setup kustomi.toml": 6,
    # func-orders' own identity holds no role in the demo world: verify says so
    "verify --identity system --app func-orders -g rg-demo --cluster adxdemo "
    "--cluster-resource-group rg-data --database Orders --table Events": 6,
}


def _help(*words: str) -> str:
    r = CliRunner().invoke(app, [*words, "--help"], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    return r.stdout


def helps() -> dict[str, str]:
    """Every --help: the root's, each command's, the emulator's and each of its commands'."""
    import typer.main

    root: Any = typer.main.get_command(app)
    ctx = root.make_context("kustomi", ["help"], resilient_parsing=True)
    out = {"kustomi": _help()}
    for name in root.list_commands(ctx):
        cmd = root.get_command(ctx, name)
        out[name] = _help(name)
        for sub in getattr(cmd, "commands", {}):
            out[f"{name} {sub}"] = _help(name, sub)
    return out


def command_lines(line: str) -> list[str]:
    """The kustomi command lines of one help line (none for prose)."""
    if not is_example_line(line):
        return []
    text = line.strip()
    text = re.sub(r"^\$ ", "", text)
    inner = re.match(r'^eval "\$\((.*)\)"$', text)
    if inner:
        text = inner.group(1)
    out = []
    text = re.sub(r"\s+#.*$", "", text)  # a trailing shell comment
    for part in re.split(r"\s*&&\s*", text):
        part = part.strip()
        assert part.startswith("kustomi "), line
        out.append(part)
    return out


def examples() -> list[tuple[str, str, list[str]]]:
    """(help, the help line, its command lines), for every example of every help."""
    found = []
    for name, text in helps().items():
        for line in text.splitlines():
            cmds = command_lines(line)
            if cmds:
                found.append((name, line.strip(), cmds))
    return found


EXAMPLES = examples()


def test_the_examples_are_found_in_every_command_s_help():
    """The parser finds examples everywhere they are printed (so that none escapes the run)."""
    assert len(EXAMPLES) >= 25
    seen = {name for name, _, _ in EXAMPLES}
    import typer.main

    root: Any = typer.main.get_command(app)
    ctx = root.make_context("kustomi", ["help"], resilient_parsing=True)
    assert seen >= set(root.list_commands(ctx)) - {"emulator"}
    assert {"emulator serve", "emulator app-env", "emulator env"} <= seen
    cmds = {c for _, _, line in EXAMPLES for c in line}
    assert "kustomi --yes setup --force" in cmds  # the second command of a `then` line
    assert "kustomi emulator env" in cmds  # inside eval "$(...)"
    assert "kustomi setup --yes" in cmds  # without its comment


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def demo(emu_factory, kustomi, tmp_path, monkeypatch):
    """The demo world after `make demo`'s setup, and a directory with what the examples name."""
    emu = emu_factory(json.loads((SCENARIOS / "demo.json").read_text()))
    r = kustomi(
        "--yes",
        "setup",
        "--identity",
        "id-orders",
        "-g",
        "rg-demo",
        "--cluster",
        "adxdemo",
        "--cluster-resource-group",
        "rg-data",
        "--database",
        "Orders",
        "--role",
        "viewer",
        "--app",
        "func-orders",
    )
    assert r.exit_code == 0, r.stderr
    for where in ("orders", "src/OrdersFunctions", "src/Orders"):
        shutil.copytree(PROJECT, tmp_path / where)
    monkeypatch.setenv("KUSTOMI_EMULATOR_DIR", str(emu.running.state_dir))
    return emu


def _fill(words: list[str], emu: Any) -> list[str]:
    client_id = next(i["client_id"] for i in emu.state()["identities"] if i["name"] == "id-orders")
    cluster = f"{emu.url}/kusto/adxdemo"
    return [w.replace("<clientId>", client_id).replace(AZURE_CLUSTER, cluster) for w in words]


def _asks(words: list[str]) -> bool:
    return words[0] in ("setup", "revoke") and not {"--yes", "-y", "--dry-run"} & set(words)


def _run(words: list[str], emu: Any, kustomi: Any, env: dict[str, str]) -> Ran:
    """One example, as a user types it: `> file` writes stdout to the file, `&` runs it in
    the background (emulator serve: until it says it listens)."""
    out_file = None
    if ">" in words:
        at = words.index(">")
        words, out_file = words[:at], words[at + 1]
    if words[-1] == "&":
        return _served(words[:-1])
    if _asks(words):
        ran = _on_a_terminal(words, env)
    else:
        r = kustomi(*words, env=env)
        ran = Ran(r.exit_code, r.stdout, r.stderr)
    if out_file is not None:
        Path(out_file).write_text(ran.stdout)
    return ran


def _on_a_terminal(words: list[str], env: dict[str, str]) -> Ran:
    leader, follower = pty.openpty()
    try:
        os.write(leader, b"y\n")  # typed ahead: the line waits in the terminal
        r = subprocess.run(
            [KUSTOMI, *words],
            stdin=follower,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, **env},
        )
    finally:
        os.close(leader)
        os.close(follower)
    return Ran(r.returncode, r.stdout, r.stderr)


def _served(words: list[str]) -> Ran:
    proc = subprocess.Popen(
        [KUSTOMI, *words],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "KUSTOMI_EMULATOR_DIR": os.environ["HOME"] + "/served"},
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()  # blocks until it listens, or has exited
        if "listening on" in line:
            return Ran(0, "", line)
        proc.wait(timeout=60)
        return Ran(proc.returncode, "", line + proc.stderr.read())
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.communicate(timeout=60)


CAMEL = re.compile(r"^[a-z][a-zA-Z0-9]*$")


def _not_camel(stdout: str) -> list[str]:
    """The keys of a JSON report that are not camelCase (its data's keys included)."""
    try:
        doc = json.loads(stdout)
    except ValueError:
        return []  # the code of a snippet, the lines of `emulator env`
    if not isinstance(doc, dict) or not str(doc.get("schema", "")).startswith("kustomi.report"):
        return []
    bad: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            bad.extend(k for k in value if not CAMEL.match(k))
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(doc)
    return bad


def _key(words: list[str]) -> str:
    return " ".join(words)


@pytest.mark.parametrize(
    ("name", "line", "cmds"),
    EXAMPLES,
    ids=[f"{n}#{i}" for i, (n, _, _) in enumerate(EXAMPLES)],
)
def test_every_help_example_runs_as_printed(name, line, cmds, demo, kustomi, tmp_path):
    """The commands of one line run in turn (`audit --emit-setup kustomi.toml   then   kustomi
    --yes setup --force`); an example that says it reads ./kustomi.toml has one."""
    if "kustomi.toml" in line and "--emit-setup" not in line:
        (tmp_path / "kustomi.toml").write_text(SETUP_TOML)
    for cmd in cmds:
        env: dict[str, str] = {}
        words = _fill(shlex.split(cmd)[1:], demo)
        if words[0] == "verify" and "-g" not in words:  # as the identity, inside the app
            env = demo.app_env("func-orders", "rg-demo")
        ran = _run(words, demo, kustomi, env)
        if words[:2] == ["emulator", "serve"] and "cannot listen on" in ran.stderr:
            continue  # the port it names is taken on this machine: not the example's doing
        assert ran.code != 2, f"{cmd}\n{ran.stderr}"
        assert "Traceback" not in ran.stderr
        assert not _not_camel(ran.stdout), f"{cmd}: {_not_camel(ran.stdout)}"
        want = EXPECTED.get(re.sub(r" > \S+$", "", _key(shlex.split(cmd)[1:])), 0)
        assert ran.code == want, f"{cmd}: exit {ran.code}\n{ran.stderr}"

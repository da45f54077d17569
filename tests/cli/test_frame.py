"""The CLI frame: help, version, global options, cloud profiles, and the emulator commands as a
user runs them (subprocesses of the installed console script)."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kustomi.cloud import from_environment
from kustomi.errors import UsageError

KUSTOMI = str(Path(sys.executable).parent / "kustomi")


HEAVY = ("azure", "pydantic", "rich.console", "ssl", "urllib.request", "kustomi.emulator")


@pytest.mark.parametrize(
    "args",
    [["--help"], ["grant", "--help"], ["verify", "--help"], ["emulator", "serve", "--help"]],
    ids=" ".join,
)
def test_help_paths_import_nothing_heavy(args):
    """What `kustomi ... --help` needs is typer; the SDKs, pydantic (typer's coercion, skipped
    for values that need none), rich's console, TLS and the emulator wait for a real command
    (bench/startup.py prints the times)."""
    code = (
        "import sys\nfrom kustomi.cli import main\nsys.argv = ['kustomi', *sys.argv[1:]]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
        f"print(sorted(m for m in sys.modules if m.startswith({HEAVY!r})), file=sys.stderr)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    )
    assert "Usage: kustomi" in out.stdout
    assert out.stderr.strip() == "[]"


@pytest.mark.parametrize(
    ("args", "built"),
    [
        (["--help"], []),
        (["--version"], []),
        (["grant", "--help"], ["kustomi.cli.grant"]),
        (["emulator", "serve", "--help"], ["kustomi.cli.emulator"]),
    ],
    ids=["--help", "--version", "grant --help", "emulator serve --help"],
)
def test_help_builds_only_the_command_it_shows(args, built):
    """`kustomi --help` lists the commands without importing or building any; a command's
    help imports that command's module alone, and no domain module (the spec and config
    checks, which a kustomi.toml needs, not help)."""
    code = (
        "import sys\nfrom kustomi.cli import main\nsys.argv = ['kustomi', *sys.argv[1:]]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
        "from kustomi.cli import COMMAND_MODULES as C, EMULATOR as E\n"
        "mods = {'kustomi.cli.' + m for m, _ in [*C.values(), E]}\n"
        "mods |= {'kustomi.spec', 'kustomi.config'}\n"
        "print(sorted(m for m in sys.modules if m in mods), file=sys.stderr)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip()
    assert out.stderr.strip() == repr(built)


def test_version_and_module_entry_point():
    from kustomi import __version__

    out = subprocess.run(
        [sys.executable, "-m", "kustomi", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"kustomi {__version__}"


def test_help_lists_exit_codes_and_global_options(kustomi):
    r = kustomi("--help")
    assert r.exit_code == 0
    for flag in (
        "--output",
        "--subscription",
        "--dry-run",
        "--yes",
        "--verbose",
        "--quiet",
        "--debug",
        "--version",
    ):
        assert flag in r.stdout
    assert "6 checks failed" in r.stdout
    block = r.stdout.split("Commands:")[1].split("\n\n")[0]
    listed = [line.split()[0] for line in block.splitlines() if line.strip()]
    assert listed == [
        "setup",
        "create-identity",
        "grant",
        "attach",
        "set-connection",
        "verify",
        "revoke",
        "doctor",
        "snippet",
        "audit",
        "help",
        "emulator",
    ]  # the checklist's order


def test_bad_output_format_is_a_usage_error(kustomi):
    r = kustomi("-o", "yaml", "emulator", "env")
    assert r.exit_code == 2 and "'yaml' is not one of 'table', 'json'" in r.stderr


@pytest.mark.parametrize(
    ("env", "name", "arm"),
    [
        ({}, "AzureCloud", "https://management.azure.com"),
        (
            {"KUSTOMI_CLOUD": "AzureChinaCloud"},
            "AzureChinaCloud",
            "https://management.chinacloudapi.cn",
        ),
        (
            {"KUSTOMI_CLOUD": "azureusgovernment"},
            "AzureUSGovernment",
            "https://management.usgovcloudapi.net",
        ),
        (
            {
                "KUSTOMI_ARM_ENDPOINT": "https://127.0.0.1:8443/",
                "AZURE_AUTHORITY_HOST": "https://127.0.0.1:8443",
            },
            "Custom",
            "https://127.0.0.1:8443",
        ),
    ],
)
def test_cloud_profiles(env, name, arm):
    cloud = from_environment(env)
    assert (cloud.name, cloud.arm_endpoint) == (name, arm)
    assert cloud.custom == (name == "Custom")


@pytest.mark.parametrize(
    "env",
    [
        {"KUSTOMI_CLOUD": "mars"},
        {"KUSTOMI_ARM_ENDPOINT": "http://127.0.0.1:1", "AZURE_AUTHORITY_HOST": "https://x"},
        {"KUSTOMI_ARM_ENDPOINT": "https://127.0.0.1:1"},
    ],
)
def test_bad_cloud_settings_are_usage_errors(env):
    with pytest.raises(UsageError):
        from_environment(env)


def test_custom_cloud_signs_in_without_instance_discovery(emu):
    import os

    from kustomi.azure.clients import Azure
    from kustomi.config import environment

    azure = Azure(from_environment(), emu.env["AZURE_SUBSCRIPTION_ID"], environment(os.environ))
    site = azure.web.web_apps.get("rg-demo", "func-orders")
    assert site.name == "func-orders"
    # Every request went to the emulator; none to a public Entra host (it would have failed).
    assert any(r["route"] == "entra.token" for r in emu.requests())


def test_emulator_serve_writes_env_and_ca_and_app_env_prints_exports(tmp_path):
    state = tmp_path / "state"
    scenario = Path(__file__).resolve().parents[2] / "kustomi/emulator/scenarios/demo.json"
    proc = subprocess.Popen(
        [KUSTOMI, "emulator", "serve", "--state-dir", str(state), "--scenario", str(scenario)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not (state / "env").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        env_text = (state / "env").read_text()
        names = [line.split("=")[0].removeprefix("export ") for line in env_text.splitlines()]
        assert set(names) >= {
            "KUSTOMI_ARM_ENDPOINT",
            "AZURE_AUTHORITY_HOST",
            "AZURE_TENANT_ID",
            "AZURE_CLIENT_ID",
            "AZURE_CLIENT_SECRET",
            "AZURE_SUBSCRIPTION_ID",
            "REQUESTS_CA_BUNDLE",
        }
        assert (state / "ca.pem").read_text().startswith("-----BEGIN CERTIFICATE-----")
        assert oct((state / "env").stat().st_mode & 0o777) == "0o600"
        out = subprocess.run(
            [
                KUSTOMI,
                "emulator",
                "app-env",
                "--app",
                "func-orders",
                "-g",
                "rg-demo",
                "--state-dir",
                str(state),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "export IDENTITY_ENDPOINT=https://127.0.0.1:" in out
        assert "export IDENTITY_HEADER=" in out
        missing = subprocess.run(
            [
                KUSTOMI,
                "emulator",
                "app-env",
                "--app",
                "nope",
                "-g",
                "rg-demo",
                "--state-dir",
                str(state),
            ],
            capture_output=True,
            text=True,
        )
        assert missing.returncode == 3 and "no app 'nope'" in missing.stderr
        # A shell that sources DIR/env reaches the emulator with the real SDKs.
        script = (
            f'. {state / "env"} && {sys.executable} -c "import os, json; '
            "from azure.identity import EnvironmentCredential as C; "
            "from azure.mgmt.web import WebSiteManagementClient as W; "
            "w = W(C(disable_instance_discovery=True), os.environ['AZURE_SUBSCRIPTION_ID'], "
            "base_url=os.environ['KUSTOMI_ARM_ENDPOINT']); "
            "print(json.dumps(w.web_apps.get('rg-demo', 'func-orders').kind))\""
        )
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "KUSTOMI_"))}
        kind = subprocess.run(
            ["bash", "-c", script], capture_output=True, text=True, check=True, env=clean
        ).stdout
        assert json.loads(kind) == "functionapp,linux"
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0 and "stopped" in err


def test_app_env_without_a_running_emulator_is_exit_3(kustomi, tmp_path):
    r = kustomi("emulator", "app-env", "--app", "a", "-g", "b", "--state-dir", str(tmp_path))
    assert r.exit_code == 3 and "kustomi emulator serve" in r.stderr


def test_a_custom_cloud_from_the_arm_endpoint_alone(emu, kustomi, monkeypatch):
    """ARM's /metadata/endpoints names the authority and audience; nothing else is needed."""
    monkeypatch.delenv("AZURE_AUTHORITY_HOST")
    cloud = from_environment()
    assert cloud.custom and cloud.authority_host == emu.url
    assert cloud.arm_audience == "https://management.core.windows.net/"
    r = kustomi(
        "-o", "json", "attach", "--app", "func-orders", "-g", "rg-demo", "--identity", "id-nope"
    )
    assert r.exit_code == 3  # signed in, asked ARM, and the identity is not there
    assert any(x["route"] == "arm.metadata" for x in emu.requests())


def test_emulator_env_prints_the_env_file(emu, kustomi, tmp_path):
    r = kustomi("emulator", "env", "--state-dir", str(emu.running.state_dir))
    assert r.exit_code == 0
    assert f"export KUSTOMI_ARM_ENDPOINT={shlex.quote(emu.url)}\n" in r.stdout
    missing = kustomi("emulator", "env", "--state-dir", str(tmp_path / "none"))
    assert missing.exit_code == 3 and "kustomi emulator serve" in missing.stderr


def test_console_script_defaults_to_json_when_piped(emu):
    """As a user's script runs it: the installed entry point, stdout a pipe, so JSON."""
    env = {k: v for k, v in os.environ.items()}
    out = subprocess.run(
        [KUSTOMI, "create-identity", "-g", "rg-demo", "-n", "id-script"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["schema"] == "kustomi.report/2" and doc["data"]["name"] == "id-script"
    bad = subprocess.run(
        [KUSTOMI, "create-identity", "-g", "rg-demo", "-n", "x"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert bad.returncode == 2 and "Error:" in bad.stderr
    # A script reading stdout gets JSON for an error too: the exit code, message and hint.
    err = json.loads(bad.stdout)
    assert err["ok"] is False and err["command"] == "create-identity"
    assert err["error"]["exitCode"] == 2 and "managed identity name" in err["error"]["message"]
    assert err["error"]["hint"]


def test_json_error_report_says_what_was_done(emu_factory, kustomi, monkeypatch):
    """-o json: an error after a write says in JSON what was done and what was not."""
    from tests.cli.worlds import busy_world

    monkeypatch.setenv("KUSTOMI_RETRIES", "0")
    world = emu_factory(busy_world())
    world.faults([{"route": "web.appsettings.put", "status": 503, "times": 99}])
    r = kustomi(
        "-o",
        "json",
        "set-connection",
        "--app",
        "func-busy",
        "-g",
        "rg-app",
        "--cluster",
        "adxbusy",
        "--cluster-resource-group",
        "rg-data",
        "--database",
        "Sales",
    )
    assert r.exit_code == 5
    err = r.json()["error"]
    assert err["exitCode"] == 5 and err["notDone"] and err["message"]


@pytest.mark.parametrize(
    ("args", "code"),
    [(("-o", "table"), 0), (("--check", "-o", "table"), 6), (("-o", "json"), 0)],
)
def test_a_reader_that_closes_the_pipe_keeps_the_exit_code(emu, args, code):
    """`kustomi ... | true` (or `| head -1`): the output is cut short, the exit code is still
    the command's, not 1 (internal error), and no traceback shows."""
    cmd = " ".join([KUSTOMI, *args, "create-identity", "-g", "rg-demo", "-n", "id-p"])
    out = subprocess.run(
        ["bash", "-c", f"{cmd} | true; echo ${{PIPESTATUS[0]}}"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
    )
    assert out.stdout.strip() == str(code), out.stderr
    assert "Traceback" not in out.stderr and "Error" not in out.stderr


def test_serve_without_the_emulator_extra_says_how_to_install_it(kustomi, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "trustme", None)  # as if `pip install .` without the extra
    r = kustomi("emulator", "serve", "--state-dir", str(tmp_path / "state"))
    assert r.exit_code == 2
    assert "needs trustme" in r.stderr and "pip install '.[emulator]'" in r.stderr
    assert not (tmp_path / "state").exists()


def test_a_port_out_of_range_is_a_usage_error(kustomi, tmp_path):
    r = kustomi("emulator", "serve", "--port", "99999", "--state-dir", str(tmp_path))
    assert r.exit_code == 2 and "--port" in r.stderr and "Traceback" not in r.stderr


def test_an_old_env_file_becomes_owner_only(tmp_path):
    """DIR/env holds the emulated operator's secret: an existing 0644 file is made 0600."""
    from kustomi.emulator.server import RunningEmulator
    from kustomi.emulator.state import World

    (tmp_path / "env").write_text("old")
    (tmp_path / "env").chmod(0o644)
    running = RunningEmulator(World.empty(), tmp_path)
    try:
        path = running.write_env()
    finally:
        running.server.server_close()
    assert path.stat().st_mode & 0o777 == 0o600


def test_sigterm_says_interrupted_and_exits_130(emu):
    """A command stopped by SIGTERM (a CI job's timeout) says so, and exits 130."""
    emu.knobs(latency_ms=800)
    proc = subprocess.Popen(
        [KUSTOMI, "create-identity", "-g", "rg-demo", "-n", "id-term"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    # Once signed in, the command waits on ARM (the emulator answers after 800 ms): the signal
    # lands there, not in the middle of a library's import.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not any(
        r["route"] == "entra.token" for r in emu.requests()
    ):
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err


def test_a_bundled_scenario_is_found_by_name_as_the_help_prints_it(tmp_path, monkeypatch):
    from kustomi.cli.emulator import scenario_path

    monkeypatch.chdir(tmp_path)  # no demo.json here: the bundled one is meant
    assert scenario_path("demo.json").name == "demo.json"
    assert scenario_path("demo") == scenario_path("demo.json")
    mine = tmp_path / "demo.json"
    mine.write_text("{}")
    assert scenario_path("demo.json") == Path("demo.json")  # a file given wins


def test_an_unknown_scenario_is_a_usage_error(kustomi, tmp_path):
    r = kustomi("emulator", "serve", "--scenario", "nope", "--state-dir", str(tmp_path / "s"))
    assert r.exit_code == 2 and "one of: demo" in r.stderr
    assert not (tmp_path / "s").exists()


def test_a_closed_stdout_keeps_the_exit_code_and_shows_no_traceback(emu):
    """`kustomi ... >&-`: nowhere to print the report; the exit code still tells."""
    for fmt, code in (("json", 0), ("table", 0)):
        cmd = " ".join([KUSTOMI, "-o", fmt, "create-identity", "-g", "rg-demo", "-n", "id-c"])
        out = subprocess.run(
            ["bash", "-c", f"{cmd} >&-; echo $? >&2"],
            capture_output=True,
            text=True,
            env=dict(os.environ),
            timeout=60,
        )
        assert out.stderr.strip().splitlines()[-1] == str(code), out.stderr
        assert "Traceback" not in out.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("setup",), "Missing option '--identity'"),
        (("setup", "--identity", "x", "--parallel", "abc"), "'--parallel'"),
        (("revoke", "--bogus"), "No such option: --bogus"),
        (("nope",), "No such command 'nope'"),
    ],
)
def test_a_command_line_click_refuses_is_a_json_error_report_on_stdout_too(args, message):
    """Piped (so -o defaults to json), a script reads stdout and gets JSON even when the
    command line itself is wrong; with -o table, stdout stays empty."""
    r = subprocess.run([KUSTOMI, *args], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    doc = json.loads(r.stdout)
    assert doc["ok"] is False and doc["error"]["exitCode"] == 2
    assert message in doc["error"]["message"] and message in r.stderr
    table = subprocess.run([KUSTOMI, "-o", "table", *args], capture_output=True, text=True)
    assert table.returncode == 2 and table.stdout == ""

"""Tokens and secrets never reach stdout or stderr, --debug included.

Every CLI run of the session is scanned when the session ends (the `secret_scan` fixture in
tests/conftest.py), in whatever order the tests ran. This module runs every command with --debug
against a world with a secret-bearing setting and scans those runs at once."""

from __future__ import annotations

from tests.cli.worlds import busy_world
from tests.conftest import CL, G, SecretScan


def test_debug_runs_of_every_command_print_no_secret(emu_factory, kustomi, secret_scan):
    world = emu_factory(busy_world())
    secret_setting = "Data Source=https://x.kusto.windows.net;AppKey=TopSecretValue42"
    world.world.sites[("rg-app", "func-busy", "")].app_settings["KustoOld"] = secret_setting
    secret_scan.secrets.add("TopSecretValue42")
    first = len(secret_scan.outputs)
    for args in (
        ("create-identity", *G, "-n", "id-func"),
        ("grant", "--role", "viewer", "--identity", "id-func", *G, *CL, "--database", "Sales"),
        (
            "grant",
            "--role",
            "ingestor",
            "--identity",
            "id-func",
            *G,
            "--cluster",
            f"{world.url}/kusto/adxbusy",
            "--database",
            "Sales",
            "--via",
            "kql",
        ),
        ("attach", "--app", "func-busy", *G, "--identity", "id-func"),
        (
            "set-connection",
            "--app",
            "func-busy",
            *G,
            *CL,
            "--database",
            "Sales",
            "--setting",
            "KustoOld",
        ),
        (
            "set-connection",
            "--app",
            "func-busy",
            *G,
            *CL,
            "--database",
            "Sales",
            "--setting",
            "KustoOld",
            "--force",
        ),
    ):
        r = kustomi("--debug", "-o", "json", *args)
        assert r.exit_code in (0, 6), r.stderr
    outputs = secret_scan.outputs[first:]
    assert len(outputs) == 6
    assert all("debug: azure" in o for o in outputs), "no HTTP lines: the scan would prove nothing"
    assert secret_scan.leaks(outputs) == []


def test_the_scan_finds_a_token_and_a_secret():
    """The session scan is only worth something if it can fail."""
    scan = SecretScan(secrets={"TopSecretValue42"})
    scan.outputs += ["fine", "Authorization: Bearer eyJhbGciOi.eyJhdWQiOi.sig", "TopSecretValue42"]
    assert scan.leaks() == ["run 1: a JWT", "run 2: a secret of the emulator"]


def test_the_scan_covers_kustomi_processes_too(secret_scan):
    """What a kustomi process prints (subprocess.run or Popen.communicate) is scanned as an
    in-process run's is."""
    import subprocess
    import sys
    from pathlib import Path

    first = len(secret_scan.outputs)
    script = str(Path(sys.executable).parent / "kustomi")
    subprocess.run([script, "--version"], capture_output=True, text=True, check=True)
    assert secret_scan.outputs[first:] and "kustomi " in secret_scan.outputs[first]

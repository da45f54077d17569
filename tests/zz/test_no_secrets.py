"""Tokens and secrets never reach stdout or stderr, --debug included.

This module runs last (tests/zz): it first runs every command with --debug against a world
with a secret-bearing setting, then scans what every CLI run of the whole session printed for
JWT-shaped strings and for the secrets of every scenario loaded."""

from __future__ import annotations

import re

from tests.cli.worlds import busy_world
from tests.conftest import CLI_OUTPUTS, SECRETS_SEEN

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.")
G = ("-g", "rg-app")
CL = ("--cluster", "adxbusy", "--cluster-resource-group", "rg-data")


def test_debug_runs_of_every_command_then_scan_the_whole_session(emu_factory, kustomi):
    world = emu_factory(busy_world())
    secret_setting = "Data Source=https://x.kusto.windows.net;AppKey=TopSecretValue42"
    world.world.sites[("rg-app", "func-busy", "")].app_settings["KustoOld"] = secret_setting
    SECRETS_SEEN.add("TopSecretValue42")
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
    debug_lines = [o for o in CLI_OUTPUTS if "debug: azure" in o]
    assert debug_lines, "--debug printed no HTTP lines: the scan would prove nothing"
    assert len(CLI_OUTPUTS) >= 6
    for out in CLI_OUTPUTS:
        assert not JWT.search(out), out[:2000]
        for secret in SECRETS_SEEN:
            assert secret not in out

"""A stand-in for the Azure CLI's `az account get-access-token`, signed in to the emulator.

`install(directory, config)` writes an executable `az` (this file, with the running Python in
its first line) and its settings `az.json` beside it. Run, it does what azure-identity's
AzureCliCredential expects of `az` (azure/identity/_credentials/azure_cli.py): it takes
`account get-access-token --output json --resource R [--tenant T] [--subscription S]` and
prints the JSON the real one prints (accessToken, expiresOn as local time, expires_on, tenant,
subscription, tokenType), with a token the emulator's Entra endpoint issued to its operator.
Signed out (`"logged_in": false`) it fails as the real one does ("Please run 'az login'").

Each run appends a line to `az-calls.jsonl` beside it: the resource and tenant asked for, the
exit code, and when it started and ended, so that tests can count runs per audience and see overlap.
As it starts, before anything else, it appends its process id to `az-pids` (a run killed before
it ends leaves no line in az-calls.jsonl, only its id there).
`delay` seconds stand in for the real CLI's start-up (about a second); `expires_in` seconds,
when set, replace the token's lifetime in what it prints. Standard library only.
"""

from __future__ import annotations

import json
import os
import ssl
import sys
import time
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any


def install(directory: Path, config: dict[str, Any]) -> Path:
    """An executable `az` in `directory`, with `config` (owner-only: it holds a secret)."""
    directory.mkdir(parents=True, exist_ok=True)
    settings = directory / "az.json"
    settings.touch(mode=0o600)
    settings.write_text(json.dumps(config))
    az = directory / "az"
    az.write_text(f"#!{sys.executable}\n" + Path(__file__).read_text())
    az.chmod(0o755)
    return az


def calls(directory: Path) -> list[dict[str, Any]]:
    path = directory / "az-calls.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def pids(directory: Path) -> list[int]:
    path = directory / "az-pids"
    return [int(x) for x in path.read_text().split()] if path.exists() else []


def main(argv: list[str]) -> int:
    started = time.time()
    fd = os.open(Path(__file__).with_name("az-pids"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.write(fd, f"{os.getpid()}\n".encode())
    os.close(fd)
    args = dict(zip(argv[2::2], argv[3::2], strict=False))
    code = 1
    try:
        code = run(argv)
    finally:
        line = {
            "resource": args.get("--resource", ""),
            "tenant": args.get("--tenant", ""),
            "exit": code,
            "start": started,
            "end": time.time(),
        }
        fd = os.open(
            Path(__file__).with_name("az-calls.jsonl"),
            os.O_WRONLY | os.O_APPEND | os.O_CREAT,
            0o600,
        )
        with os.fdopen(fd, "a") as log:
            log.write(json.dumps(line) + "\n")
    return code


def _barrier(n: int) -> None:
    """With `barrier`: wait (at most 10 s) until `n` runs have started, so that a test can
    tell runs made at the same time from runs made one after another, whatever the load."""
    if n <= 0:
        return
    marks = Path(__file__).with_name("az-started")
    marks.mkdir(exist_ok=True)
    (marks / str(os.getpid())).touch()
    deadline = time.monotonic() + 10
    while len(list(marks.iterdir())) < n and time.monotonic() < deadline:
        time.sleep(0.01)


def run(argv: list[str]) -> int:
    config = json.loads(Path(__file__).with_name("az.json").read_text())
    if argv[:2] != ["account", "get-access-token"]:
        sys.stderr.write(f"ERROR: this stand-in knows only 'az account get-access-token': {argv}\n")
        return 2
    args = dict(zip(argv[2::2], argv[3::2], strict=False))
    resource = args.get("--resource", "")
    tenant = args.get("--tenant", config["tenant"])
    time.sleep(float(config.get("delay", 0)))
    _barrier(int(config.get("barrier", 0)))
    if not config.get("logged_in", True):
        sys.stderr.write("ERROR: Please run 'az login' to setup account.\n")
        return 1
    form = urllib.parse.urlencode(
        {
            "grant_type": "client_credentials",
            "client_id": config["client_id"],
            "client_secret": config["client_secret"],
            "scope": resource.rstrip("/") + "/.default",
        }
    ).encode()
    url = f"{config['authority'].rstrip('/')}/{tenant}/oauth2/v2.0/token"
    context = ssl.create_default_context(cafile=config["ca"])
    try:
        with urllib.request.urlopen(url, data=form, context=context, timeout=10) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as e:
        error = json.loads(e.read() or b"{}")
        sys.stderr.write(f"ERROR: {error.get('error_description', e)}\n")
        return 1
    expires_on = int(time.time()) + int(config.get("expires_in", body["expires_in"]))
    print(
        json.dumps(
            {
                "accessToken": body["access_token"],
                "expiresOn": datetime.fromtimestamp(expires_on).strftime("%Y-%m-%d %H:%M:%S.%f"),
                "expires_on": expires_on,
                "subscription": config.get("subscription", ""),
                "tenant": tenant,
                "tokenType": "Bearer",
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""`make demo`: start the emulator with a demo world and walk through the checklist with the
real kustomi commands, as a user would type them. Stops the emulator at the end."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCENARIO = Path(__file__).parent / "emulator" / "scenarios" / "demo.json"
KUSTOMI = [sys.executable, "-m", "kustomi"]


def say(text: str) -> None:
    print(f"\n\033[1m# {text}\033[0m" if sys.stdout.isatty() else f"\n# {text}", flush=True)


def kustomi(*args: str, env: dict[str, str], expect: int = 0, show: bool = True) -> str:
    r = subprocess.run([*KUSTOMI, *args], env=env, capture_output=True, text=True)
    if show:
        print("$ kustomi " + " ".join(shlex.quote(a) for a in args), flush=True)
        sys.stdout.write(r.stdout)
        sys.stdout.write("".join(f"  {line}\n" for line in r.stderr.splitlines()))
        print(f"(exit {r.returncode})", flush=True)
    if r.returncode != expect:
        raise SystemExit(f"demo: expected exit {expect}, got {r.returncode}")
    return r.stdout


def read_env(path: Path) -> dict[str, str]:
    return read_env_text(path.read_text())


def read_env_text(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        out[name] = shlex.split(value)[0] if value else ""
    return out


def main() -> None:
    state = Path(tempfile.mkdtemp(prefix="kustomi-demo-"))
    say("Start the local emulator of ARM, Entra, the managed-identity endpoint and Kusto")
    print(f"$ kustomi emulator serve --state-dir {state} --scenario {SCENARIO.name} &")
    server = subprocess.Popen(
        [*KUSTOMI, "emulator", "serve", "--state-dir", str(state), "--scenario", str(SCENARIO)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (state / "env").exists():
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("demo: the emulator did not start")
            time.sleep(0.1)
        emulated = read_env(state / "env")
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AZURE_", "KUSTOMI_", "IDENTITY_"))
        }
        env.update(emulated, KUSTOMI_OUTPUT="table", COLUMNS="110", NO_PROXY="127.0.0.1,localhost")
        print(f"$ . {state / 'env'}   # sets " + ", ".join(sorted(emulated)))
        run(env, state)
    finally:
        server.terminate()
        server.wait(timeout=20)
        shutil.rmtree(state, ignore_errors=True)  # its env file holds the operator's secret
        say("Emulator stopped. That was the whole checklist, against the real Azure SDKs.")


def run(env: dict[str, str], state: Path) -> None:
    g = ["-g", "rg-demo"]
    cluster = ["--cluster", "adxdemo", "--cluster-resource-group", "rg-data"]
    one = ["--identity", "id-orders", *g, *cluster, "--database", "Orders", "--role", "viewer"]
    setup = ["setup", *one, "--app", "func-orders"]
    say("1. setup plans the whole checklist first: identity, role, attach, connection setting")
    kustomi("--dry-run", *setup, env=env)
    say("2. Then applies it (--yes: no question; on a terminal it asks before it writes)")
    kustomi("--yes", *setup, env=env)
    say("For a CI job: --check exits 6 while anything would change, 0 when all is in place")
    kustomi("--check", *setup, env=env)
    say("3a. verify from a laptop: an authorization check from the control plane, said plainly")
    verify = ["verify", *one, "--app", "func-orders"]
    kustomi(*verify, env=env)
    say("3b. verify inside the function app: a real test as the identity")
    client_id = json.loads(
        kustomi("-o", "json", "create-identity", *g, "-n", "id-orders", env=env, show=False)
    )["data"]["clientId"]
    print(f'$ eval "$(kustomi emulator app-env --app func-orders -g rg-demo --state-dir {state})"')
    app_env = subprocess.run(
        [*KUSTOMI, "emulator", "app-env", "--app", "func-orders", *g, "--state-dir", str(state)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    inside = {**env, **read_env_text(app_env)}
    uri = _cluster_uri(env, g, cluster)
    as_identity = ("verify", "--identity", client_id, "--cluster", uri, "--role", "viewer")
    kustomi(*as_identity, "--database", "Orders", env=inside)
    say("A failing verify: no role on the Telemetry database; it says why and how to fix it")
    kustomi(*as_identity, "--database", "Telemetry", env=inside, expect=6)
    say("Bad input is refused before any request (exit 2)")
    kustomi("grant", *one[:-2], "--role", "reader", env=env, expect=2)
    say("4. revoke undoes it in reverse, keeping every other setting and identity of the app")
    kustomi("--yes", "revoke", *one, "--app", "func-orders", "--delete-identity", env=env)
    say("The same checklist, one step at a time (each step reads first; a rerun writes nothing)")
    kustomi("create-identity", *g, "-n", "id-orders", env=env)
    kustomi("grant", *one, env=env)
    kustomi("attach", "--app", "func-orders", *g, "--identity", "id-orders", env=env)
    kustomi("set-connection", "--app", "func-orders", *g, *cluster, "--database", "Orders", env=env)
    kustomi("attach", "--app", "func-orders", *g, "--identity", "id-orders", env=env)
    audit(env, state)


def audit(env: dict[str, str], state: Path) -> None:
    say("5. audit: every function app of the subscription; two still reach Kusto with a secret")
    kustomi("audit", env=env, expect=6)
    say("--emit-setup writes the kustomi.toml that moves them to a managed identity (no secret)")
    path = state / "kustomi.toml"
    kustomi("-q", "audit", "-g", "rg-legacy", "--emit-setup", str(path), env=env, expect=6)
    print(f"$ cat {path}")
    sys.stdout.write(path.read_text())
    say("setup --force applies it: identity, roles, attach, and settings without the secrets")
    kustomi("--yes", "setup", "--force", env={**env, "KUSTOMI_CONFIG": str(path)})
    say("The audit again: nothing left to fix (exit 0); now rotate the secrets it named")
    kustomi("audit", env=env)


def _cluster_uri(env: dict[str, str], g: list[str], cluster: list[str]) -> str:
    out = kustomi(
        "-o",
        "json",
        "--dry-run",
        "set-connection",
        "--app",
        "func-orders",
        *g,
        *cluster,
        "--database",
        "Orders",
        env=env,
        show=False,
    )
    return str(json.loads(out)["data"]["cluster"])


if __name__ == "__main__":
    main()

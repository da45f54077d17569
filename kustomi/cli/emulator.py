"""`kustomi emulator`: a local Azure (ARM, Entra, managed identity, Kusto) for trying and
testing kustomi on a machine with no Azure account."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import NotFoundError, ServiceError, UsageError
from .frame import reported
from .params import ExamplesCommand, PlainFirstGroup

app = typer.Typer(
    cls=PlainFirstGroup,
    help="Run a local emulator of the Azure APIs kustomi uses.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def default_state_dir() -> Path:
    env = os.environ.get("KUSTOMI_EMULATOR_DIR")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "kustomi" / "emulator"


StateDir = Annotated[
    Path | None,
    typer.Option(
        "--state-dir",
        help="Where ca.pem and env live. Default: $KUSTOMI_EMULATOR_DIR or "
        "~/.local/state/kustomi/emulator.",
    ),
]


@app.command(
    cls=ExamplesCommand,
    epilog="Example:\n\n  kustomi emulator serve --port 8443 --scenario demo.json &\n\n"
    "  . ~/.local/state/kustomi/emulator/env",
)
def serve(
    port: Annotated[
        int,
        typer.Option("--port", min=0, max=65535, help="Port on 127.0.0.1 (0 picks a free one)."),
    ] = 0,
    state_dir: StateDir = None,
    scenario: Annotated[
        str | None,
        typer.Option(
            "--scenario",
            help="A scenario JSON file (see README, 'Emulator scenarios'), or the name of a "
            "bundled one: demo. Default: an empty subscription whose operator is Owner.",
        ),
    ] = None,
) -> None:
    """Serve the emulator in the foreground until interrupted.

    Once ready it writes DIR/ca.pem and DIR/env (export lines for KUSTOMI_ARM_ENDPOINT,
    AZURE_AUTHORITY_HOST, AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET,
    AZURE_SUBSCRIPTION_ID and REQUESTS_CA_BUNDLE). With those exported, kustomi and any
    Azure SDK script talk to the emulator.
    """
    with reported():
        running, directory = _start(port, state_dir, scenario)
    import signal
    import time

    def _stop(*_: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    typer.echo(f"kustomi emulator listening on {running.base_url}", err=True)
    typer.echo(f"environment: . {directory / 'env'}", err=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        running.stop()
        typer.echo("kustomi emulator stopped", err=True)


def scenario_path(value: str) -> Path:
    """A scenario file: the path given, or a bundled scenario by name (`demo`, `demo.json`)."""
    path = Path(value)
    if path.is_file():
        return path
    bundled = Path(__file__).resolve().parents[1] / "emulator" / "scenarios"
    named = bundled / (path.name if path.suffix == ".json" else path.name + ".json")
    if not path.parent.name and named.is_file():
        return named
    names = ", ".join(sorted(p.stem for p in bundled.glob("*.json")))
    raise UsageError(
        f"--scenario {value!r} is neither a file nor a bundled scenario.",
        hint=f"Give a path to a JSON file, or one of: {names}.",
    )


def _start(port: int, state_dir: Path | None, scenario: str | None) -> tuple[Any, Path]:
    try:
        import jwt  # noqa: F401
        import trustme  # noqa: F401
    except ImportError as e:
        raise UsageError(
            f"the emulator needs {e.name}, which is not installed.",
            hint="install kustomi with its emulator extra: pip install '.[emulator]' in a "
            "checkout (make install does).",
        ) from None
    from kustomi.emulator.server import RunningEmulator, load_scenario

    directory = state_dir or default_state_dir()
    try:
        world = load_scenario(scenario_path(scenario) if scenario else None)
    except (ValueError, KeyError, TypeError) as e:
        raise UsageError(
            f"the scenario {scenario} is not valid: {type(e).__name__}: {e}",
            hint="See the README, 'Emulator scenarios'.",
        ) from None
    try:
        return RunningEmulator(world, directory, port).start(), directory
    except OSError as e:
        raise ServiceError(
            f"cannot listen on 127.0.0.1:{port}: {e.strerror}",
            hint="Pick another --port, or 0 for a free one.",
        ) from None


def _no_state(directory: Path) -> NotFoundError:
    return NotFoundError(
        f"no emulator state in {directory}.", hint="start one with `kustomi emulator serve`."
    )


def _admin(directory: Path, path: str) -> Any:
    import json
    import ssl
    import urllib.error
    import urllib.request

    endpoint_file = directory / "endpoint"
    if not endpoint_file.exists():
        raise _no_state(directory)
    base = endpoint_file.read_text().strip()
    ctx = ssl.create_default_context(cafile=str(directory / "ca.pem"))
    try:
        with urllib.request.urlopen(base + path, context=ctx, timeout=10) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as e:
        detail = json.loads(e.read() or b"{}").get("error", e.reason)
        raise NotFoundError(str(detail), hint="Check --app, -g and --slot.") from None
    except (urllib.error.URLError, OSError) as e:
        raise ServiceError(
            f"the emulator at {base} does not answer: {e}",
            hint="start one with `kustomi emulator serve`.",
        ) from None


@app.command(
    "app-env",
    cls=ExamplesCommand,
    epilog='Example:\n\n  eval "$(kustomi emulator app-env --app func-orders '
    '-g rg-demo)"\n\n  kustomi verify --identity <clientId> --cluster '
    "https://adxdemo.westeurope.kusto.windows.net --database Orders --role viewer",
)
def app_env(
    app_name: Annotated[str, typer.Option("--app", help="Function app name.")],
    resource_group: Annotated[str, typer.Option("-g", "--resource-group")],
    slot: Annotated[str | None, typer.Option("--slot")] = None,
    state_dir: StateDir = None,
) -> None:
    """Print the export lines a process inside that function app (or slot) would see:
    IDENTITY_ENDPOINT and IDENTITY_HEADER of the emulated managed-identity endpoint."""
    from urllib.parse import urlencode

    directory = state_dir or default_state_dir()
    query = urlencode({"app": app_name, "resource_group": resource_group, "slot": slot or ""})
    with reported():
        env = _admin(directory, f"/_emulator/app-env?{query}")
    for k, v in env.items():
        sys.stdout.write(f"export {k}={shlex.quote(v)}\n")


@app.command(
    "env",
    cls=ExamplesCommand,
    epilog='Example:\n\n  eval "$(kustomi emulator env)"\n\n  kustomi create-identity -g rg-demo '
    "-n id-orders",
)
def env_cmd(state_dir: StateDir = None) -> None:
    """Print the operator's export lines (the content of DIR/env), for `eval "$(...)"`."""
    directory = state_dir or default_state_dir()
    path = directory / "env"
    with reported():
        if not path.exists():
            raise _no_state(directory)
    sys.stdout.write(path.read_text())

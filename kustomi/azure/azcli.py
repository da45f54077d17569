"""`az account get-access-token`, run by kustomi itself: started as early as the process can,
at most once per audience, and never left running when kustomi ends.

The Azure CLI takes about a second to start (it is a large Python program), as long as the rest
of a kustomi command. Signed in through `az login`, the token for the command's first audience
(ARM) is asked for before anything heavy is imported (`begin`, called by kustomi.entry), and
the command takes that run's answer when it needs the token (`take`). What is run, and where,
is what azure-identity's AzureCliCredential runs (azure/identity/_credentials/azure_cli.py,
_run_command): `az account get-access-token --output json --resource R [--tenant T]`, from
/bin, with AZURE_CORE_NO_COLOR=true, stdin closed, 10 s at most.

A run nobody took (bad input exits 2, --dry-run of a command that stops early, Ctrl-C) is
killed and reaped when the process exits: no `az` outlives kustomi. The token is only ever in
memory: `az` prints it on a pipe.

Standard library only: imported before the signal handler's first chance to matter.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import subprocess
import sys
import threading
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

COMMAND = ["account", "get-access-token", "--output", "json"]
TIMEOUT = 10.0  # AzureCliCredential's process_timeout default

# The commands that sign in as the operator; doctor only with --app (the deployed app).
SIGNING_IN = {
    "setup",
    "create-identity",
    "grant",
    "attach",
    "set-connection",
    "verify",
    "revoke",
    "audit",
}
# Root options that take a value (kustomi/cli/__init__.py, root).
ROOT_VALUES = {"-o", "--output", "--subscription", "--query"}
HELP = {"-h", "--help", "--version"}


class NotFound(Exception):
    """No `az` on PATH."""


class Run:
    """One `az` process, its arguments, and when it started."""

    def __init__(self, argv: list[str], proc: subprocess.Popen[str], early: bool) -> None:
        self.argv = argv
        self.proc = proc
        self.early = early  # started by `begin`, before the command knew it would need it
        self.started = time.monotonic()

    def result(self) -> tuple[int, str, str]:
        """Its exit code, stdout and stderr, once it ends (subprocess.TimeoutExpired past
        TIMEOUT from its start: then it is killed)."""
        left = max(TIMEOUT - (time.monotonic() - self.started), 0.0)
        try:
            out, err = self.proc.communicate(timeout=left)
        except subprocess.TimeoutExpired:
            _end(self.proc)
            raise
        finally:
            if self.proc.returncode is not None:
                _forget(self)
        return self.proc.returncode, out or "", err or ""


_lock = threading.Lock()
_runs: dict[tuple[str, ...], Run] = {}  # running, not yet taken, by arguments
_live: set[subprocess.Popen[str]] = set()  # every process started and not yet reaped
_hooked = False


def argv(resource: str, tenant: str = "", subscription: str = "") -> list[str]:
    """The arguments AzureCliCredential gives `az` for one token."""
    args = [*COMMAND, "--resource", resource]
    if tenant:
        args += ["--tenant", tenant]
    if subscription:
        args += ["--subscription", subscription]
    return args


def executable() -> str | None:
    if sys.platform.startswith("win"):
        return shutil.which("az.cmd") or shutil.which("az")
    return shutil.which("az")


def _working_dir() -> str:
    """As azure-identity (get_safe_working_dir): a directory of the OS, not the project's,
    so that an `az` script in the current directory is never what runs."""
    if sys.platform.startswith("win"):
        return os.environ.get("SYSTEMROOT") or "C:\\Windows"
    return "/bin"


def _spawn(args: list[str], early: bool) -> Run:
    path = executable()
    if path is None:
        raise NotFound
    global _hooked
    proc = subprocess.Popen(
        [path, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=_working_dir(),
        text=True,
        env=dict(os.environ, AZURE_CORE_NO_COLOR="true"),
    )
    run = Run(args, proc, early)
    with _lock:
        _live.add(proc)
        _runs[tuple(args)] = run
        if not _hooked:
            atexit.register(stop)
            _hooked = True
    return run


def take(args: list[str]) -> Run:
    """The run for these arguments: the one already started (early), else a new one. Raises
    NotFound without `az` on PATH, OSError if it cannot be started."""
    with _lock:
        run = _runs.get(tuple(args))
    return run if run is not None else _spawn(args, early=False)


def started_early(args: list[str]) -> bool:
    with _lock:
        run = _runs.get(tuple(args))
    return run is not None and run.early


def _forget(run: Run) -> None:
    with _lock:
        if _runs.get(tuple(run.argv)) is run:
            del _runs[tuple(run.argv)]
        _live.discard(run.proc)


def _end(proc: subprocess.Popen[str]) -> None:
    """Kill and reap one process (it may have ended already)."""
    if proc.poll() is None:
        with contextlib.suppress(OSError):
            proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):  # a process that ignores SIGKILL
        proc.wait(timeout=5)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    with _lock:
        _live.discard(proc)


def stop() -> None:
    """Kill and reap every `az` still running (at exit, after an error or Ctrl-C)."""
    with _lock:
        procs = list(_live)
        _runs.clear()
    for proc in procs:
        _end(proc)


def running() -> int:
    """How many `az` processes are running now (for tests)."""
    with _lock:
        return len([p for p in _live if p.poll() is None])


# The audience of every Kusto cluster of the public cloud: the KustoServiceResourceId that a
# cluster's /v1/rest/auth/metadata names, and azure-kusto-data's own default when it cannot be
# read (DEFAULT_KUSTO_SERVICE_RESOURCE_ID, azure/kusto/data/_cloud_settings.py).
KUSTO_RESOURCE = "https://kusto.kusto.windows.net"


def early_resources(args: Sequence[str], env: Mapping[str, str]) -> list[str]:
    """The audiences to ask `az` for before the command is even parsed: none unless the
    command signs in, no help or version is asked for, and sign-in will come to `az login`
    (kustomi's chain, kustomi/azure/credentials.py: no service principal, workload or managed
    identity configured before it). Then ARM's, which every such command asks for first, and
    for the commands that always read a cluster's data plane (grant --via kql, verify) the
    Kusto audience of the public cloud (or of a custom one, such as the emulator, which
    serves the same). A cluster whose metadata names another audience (one that requires MFA)
    leaves that run unused: it is killed at exit, and the audience named is asked for then."""
    command = _command(args)
    if command is None or (command not in SIGNING_IN and not _doctor_app(command, args)):
        return []
    if not _reaches_az(env):
        return []
    if env.get("KUSTOMI_ARM_ENDPOINT") and not env.get("AZURE_AUTHORITY_HOST"):
        return []  # the audience is in ARM's metadata: a request, not made before parsing
    try:
        from ..cloud import from_environment

        cloud = from_environment(dict(env))
    except Exception:  # a bad value: the command says so, exit 2
        return []
    scope = cloud.arm_scope
    resources = [scope[: -len("/.default")] if scope.endswith("/.default") else scope]
    if (cloud.custom or cloud.name == "AzureCloud") and _reads_kusto(command, args):
        resources.append(KUSTO_RESOURCE)
    return resources


def _reads_kusto(command: str, args: Sequence[str]) -> bool:
    """grant --via kql, and verify (as the operator: no managed identity here, see
    _reaches_az), read the cluster's data plane whatever else they find."""
    if command == "grant":
        return _value(args, "--via") == "kql"
    return command == "verify" and _value(args, "--mode") != "identity"


def _value(args: Sequence[str], option: str) -> str | None:
    for i, a in enumerate(args):
        if a == "--":
            break
        if a == option and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(option + "="):
            return a[len(option) + 1 :]
    return None


def _command(args: Sequence[str]) -> str | None:
    """The command word of a command line, or None when help or the version is asked for."""
    words = list(args)
    found = None
    i = 0
    while i < len(words):
        a = words[i]
        if a == "--":
            break
        if a in HELP:
            return None
        if found is None:
            if a in ROOT_VALUES:
                i += 2
                continue
            if not a.startswith("-"):
                found = a
        i += 1
    return found


def _doctor_app(command: str, args: Sequence[str]) -> bool:
    return command == "doctor" and any(a == "--app" or a.startswith("--app=") for a in args)


def _reaches_az(env: Mapping[str, str]) -> bool:
    """Whether kustomi's chain would sign in with AzureCliCredential: as chosen_names in
    credentials.py, and EnvironmentCredential unconfigured (azure-identity's test: each of
    its variables set, azure/identity/_credentials/environment.py)."""
    value = env.get("AZURE_TOKEN_CREDENTIALS", "").strip().lower()
    if value in ("dev", "azureclicredential"):
        return True
    if value:
        return False
    if env.get("AZURE_FEDERATED_TOKEN_FILE"):
        return False
    if env.get("IDENTITY_ENDPOINT") or env.get("MSI_ENDPOINT"):
        return False
    if env.get("KUSTOMI_MANAGED_IDENTITY", "").strip():
        return False
    service_principal = (
        ("AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID"),
        ("AZURE_CLIENT_ID", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_TENANT_ID"),
        ("AZURE_CLIENT_ID", "AZURE_USERNAME", "AZURE_PASSWORD"),
    )
    return not any(all(env.get(v) is not None for v in vs) for vs in service_principal)


def begin(args: Sequence[str], env: Mapping[str, str]) -> None:
    """Start `az` for the command's audiences, if the command will sign in through it (see
    early_resources). Never raises: whatever goes wrong here, the command does again."""
    try:
        resources = early_resources(args, env)
        if resources and executable() is not None:
            for resource in resources:
                _spawn(argv(resource), early=True)
    except Exception:
        return

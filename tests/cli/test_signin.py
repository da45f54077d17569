"""Signing in as users do: `az login` (a stand-in `az` on PATH, tests/fake_az.py), a service
principal, AZURE_TOKEN_CREDENTIALS, and no managed-identity probe outside an app."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from kustomi.errors import KustomiError
from tests import fake_az
from tests.conftest import SCENARIOS

ID_ORDERS = {"resource_group": "rg-demo", "name": "id-orders"}
GRANT_KQL = ("grant", "--role", "viewer", "--identity", "id-orders", "-g", "rg-demo")


@dataclass
class Az:
    bin: Path
    config: dict[str, Any]

    def calls(self) -> list[dict[str, Any]]:
        return fake_az.calls(self.bin)

    def set(self, **values: Any) -> None:
        self.config.update(values)
        fake_az.install(self.bin, self.config)


@dataclass
class Imds:
    """A stand-in for IMDS where AZURE_POD_IDENTITY_AUTHORITY_HOST points (azure-identity's
    ImdsCredential sends there instead of 169.254.169.254): it records each request and
    answers as IMDS does on a machine with no identity (400)."""

    paths: list[str] = field(default_factory=list)


@pytest.fixture
def world(emu_factory: Any) -> Any:
    doc = json.loads((SCENARIOS / "demo.json").read_text())
    doc["identities"] = [ID_ORDERS]
    return emu_factory(doc)


@pytest.fixture
def az(world: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Az:
    """Signed in with `az login` only: no service principal in the environment."""
    config = {
        "authority": world.url,
        "tenant": world.env["AZURE_TENANT_ID"],
        "client_id": world.env["AZURE_CLIENT_ID"],
        "client_secret": world.env["AZURE_CLIENT_SECRET"],
        "subscription": world.env["AZURE_SUBSCRIPTION_ID"],
        "ca": str(world.running.ca_path),
    }
    bin_dir = tmp_path / "bin"
    fake_az.install(bin_dir, config)
    # Only the stand-in: no azd, pwsh or real az of the machine takes part.
    monkeypatch.setenv("PATH", str(bin_dir))
    for name in ("AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID"):
        monkeypatch.delenv(name)
    return Az(bin_dir, config)


@pytest.fixture
def imds(monkeypatch: pytest.MonkeyPatch) -> Iterator[Imds]:
    seen = Imds()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.paths.append(self.path.split("?")[0])
            body = b'{"error": "invalid_request", "error_description": "Identity not found"}'
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv(
        "AZURE_POD_IDENTITY_AUTHORITY_HOST", f"http://127.0.0.1:{server.server_port}"
    )
    yield seen
    server.shutdown()
    server.server_close()


def grant_kql(world: Any) -> tuple[str, ...]:
    uri = f"{world.url}/kusto/adxdemo"
    return (*GRANT_KQL, "--cluster", uri, "--database", "Orders", "--via", "kql")


def test_az_login_signs_in_without_a_managed_identity_probe(
    kustomi: Any, world: Any, az: Az, imds: Imds
) -> None:
    r = kustomi("--debug", "-o", "json", "create-identity", "-g", "rg-demo", "-n", "id-new")
    assert r.exit_code == 0, r.stderr
    assert r.json()["data"]["name"] == "id-new"
    assert "signed in with AzureCliCredential" in r.stderr
    assert "EnvironmentCredential" not in r.stderr.split("signed in with")[1].splitlines()[0]
    # One `az` run, for ARM, although the command sent several ARM requests.
    assert [c["exit"] for c in az.calls()] == [0]
    arm = [q for q in world.requests() if not q["route"].startswith(("entra.", "mi."))]
    assert len(arm) >= 2
    # Nothing asked a managed-identity endpoint: not the App Service one, not IMDS.
    assert not [q for q in world.requests() if q["route"].startswith("mi.")]
    assert imds.paths == []


def test_each_audience_is_fetched_once_and_at_the_same_time(
    kustomi: Any, world: Any, az: Az
) -> None:
    # Each run waits for the other to start: run one after the other, the first would wait
    # out the barrier's 10 s alone, and end before the second starts.
    az.set(barrier=2)
    r = kustomi("-o", "json", *grant_kql(world))
    assert r.exit_code == 0, r.stderr
    assert r.json()["changes"][0]["kind"] == "create"
    calls = az.calls()
    # ARM and the cluster: one run each, though the command sent several requests to each.
    assert len(calls) == 2, calls
    assert len({c["resource"] for c in calls}) == 2
    kusto = [q for q in world.requests() if q["route"].startswith("kusto.data.")]
    assert len(kusto) >= 2
    # The two runs overlapped: the command knew both audiences up front.
    first, second = sorted(calls, key=lambda c: c["start"])
    assert second["start"] < first["end"]


def test_a_token_near_expiry_is_fetched_again(kustomi: Any, world: Any, az: Az) -> None:
    """A token that expires within five minutes is not reused (as azure-core's own policy)."""
    az.set(expires_in=120)
    r = kustomi("-o", "json", *grant_kql(world))
    assert r.exit_code == 0, r.stderr
    kusto = [q for q in world.requests() if q["route"] in ("kusto.data.mgmt", "kusto.data.query")]
    runs = [c for c in az.calls() if c["resource"] != "https://management.azure.com"]
    # One run up front, then one for each request, since no token outlives the margin.
    assert len(kusto) >= 2
    assert len(runs) == 1 + len(kusto)


def test_slow_sign_in_says_what_it_waits_on(
    kustomi: Any, world: Any, az: Az, monkeypatch: pytest.MonkeyPatch
) -> None:
    az.set(delay=0.4)
    monkeypatch.setenv("KUSTOMI_SIGNIN_NOTICE_SECONDS", "0.1")
    r = kustomi("-o", "json", "create-identity", "-g", "rg-demo", "-n", "id-new")
    assert r.exit_code == 0, r.stderr
    line = "signing in: waiting on the Azure CLI (az account get-access-token)"
    assert r.stderr.count(line) == 1
    # -q keeps stderr for errors only.
    r = kustomi("-q", "-o", "json", "create-identity", "-g", "rg-demo", "-n", "id-new")
    assert r.exit_code == 0, r.stderr
    assert "signing in" not in r.stderr


def test_a_service_principal_comes_first(kustomi: Any, world: Any, tmp_path: Path) -> None:
    """The emulator's environment holds a service principal: it signs in, with no `az`."""
    r = kustomi("--debug", "-o", "json", "create-identity", "-g", "rg-demo", "-n", "id-new")
    assert r.exit_code == 0, r.stderr
    assert "signed in with EnvironmentCredential" in r.stderr


def test_azure_token_credentials_picks_the_credential(
    kustomi: Any, world: Any, az: Az, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The service principal is there too, but AzureCliCredential is asked for.
    for k in ("AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID"):
        monkeypatch.setenv(k, world.env[k])
    monkeypatch.setenv("AZURE_TOKEN_CREDENTIALS", "AzureCliCredential")
    r = kustomi("--debug", "-o", "json", "create-identity", "-g", "rg-demo", "-n", "id-new")
    assert r.exit_code == 0, r.stderr
    assert "signed in with AzureCliCredential" in r.stderr
    assert "AZURE_TOKEN_CREDENTIALS=AzureCliCredential" in r.stderr
    assert len(az.calls()) == 1

    # `prod` leaves the developer sign-ins out: the service principal signs in, `az` never runs.
    monkeypatch.setenv("AZURE_TOKEN_CREDENTIALS", "prod")
    r = kustomi("--debug", "-o", "json", "create-identity", "-g", "rg-demo", "-n", "id-new")
    assert r.exit_code == 0, r.stderr
    assert "signed in with EnvironmentCredential" in r.stderr
    assert len(az.calls()) == 1


def test_azure_token_credentials_dev_skips_the_service_principal(
    kustomi: Any, world: Any, az: Az, monkeypatch: pytest.MonkeyPatch
) -> None:
    for k in ("AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID"):
        monkeypatch.setenv(k, world.env[k])
    monkeypatch.setenv("AZURE_TOKEN_CREDENTIALS", "dev")
    r = kustomi("--debug", "-o", "json", "create-identity", "-g", "rg-demo", "-n", "id-new")
    assert r.exit_code == 0, r.stderr
    assert "signed in with AzureCliCredential" in r.stderr
    assert len(az.calls()) == 1


def test_an_unknown_azure_token_credentials_is_bad_input(
    kustomi: Any, world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_TOKEN_CREDENTIALS", "AzureCli")
    r = kustomi("create-identity", "-g", "rg-demo", "-n", "id-new")
    assert r.exit_code == 2, r.stderr
    assert "AZURE_TOKEN_CREDENTIALS='AzureCli'" in r.stderr
    assert "AzureCliCredential" in r.stderr  # the hint lists what is accepted
    assert world.requests() == []


def test_managed_identity_only_when_asked(
    kustomi: Any, world: Any, az: Az, imds: Imds, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a VM, AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential goes to IMDS (here a
    stand-in with no identity): the one case where a request goes there."""
    monkeypatch.setenv("AZURE_TOKEN_CREDENTIALS", "ManagedIdentityCredential")
    r = kustomi("create-identity", "-g", "rg-demo", "-n", "id-new")
    assert r.exit_code == 4, r.stderr
    assert "/metadata/identity/oauth2/token" in imds.paths
    assert "ManagedIdentityCredential" in r.stderr
    assert az.calls() == []

    imds.paths.clear()
    monkeypatch.delenv("AZURE_TOKEN_CREDENTIALS")
    monkeypatch.setenv("KUSTOMI_MANAGED_IDENTITY", "1")
    az.set(logged_in=False)
    r = kustomi("create-identity", "-g", "rg-demo", "-n", "id-new")
    assert r.exit_code == 4, r.stderr
    assert "/metadata/identity/oauth2/token" in imds.paths


def test_inside_an_app_the_managed_identity_endpoint_is_tried(
    kustomi: Any, world: Any, az: Az, imds: Imds, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = world.running.emulator.world.sites[("rg-demo", "func-orders", "")]
    monkeypatch.setenv("IDENTITY_ENDPOINT", f"{world.url}/msi/token")
    monkeypatch.setenv("IDENTITY_HEADER", site.identity_header)
    r = kustomi("--debug", "create-identity", "-g", "rg-demo", "-n", "id-new")
    # The app's own identity signs in (whether it may create identities is ARM's to say).
    assert "signed in with ManagedIdentityCredential" in r.stderr
    assert [q["route"] for q in world.requests()].count("mi.token") == 1
    assert az.calls() == []
    assert imds.paths == []


def test_no_credential_works_exit_4_with_the_sign_in_hint(
    kustomi: Any, world: Any, az: Az, imds: Imds
) -> None:
    az.set(logged_in=False)
    r = kustomi("create-identity", "-g", "rg-demo", "-n", "id-new")
    assert r.exit_code == 4, r.stderr
    assert "could not sign in to Azure: no credential gave a token" in r.stderr
    assert "AzureCliCredential: Please run 'az login'" in r.stderr
    assert "Hint: Run `az login`" in r.stderr
    assert "AZURE_CLIENT_ID" in r.stderr
    # Tried once, and nothing reached ARM, the managed-identity endpoint or IMDS.
    assert len(az.calls()) == 1
    assert world.requests() == []
    assert imds.paths == []


def test_no_credential_works_for_kusto_either(kustomi: Any, world: Any, az: Az) -> None:
    """grant --via kql signs in for its two audiences first: exit 4 before any API request."""
    az.set(logged_in=False)
    r = kustomi(*grant_kql(world))
    assert r.exit_code == 4, r.stderr
    assert "Hint: Run `az login`" in r.stderr
    # At most the cluster's sign-in metadata was read (it names the token's audience;
    # azure-kusto-data keeps it for the process).
    assert {q["route"] for q in world.requests()} <= {"kusto.data.metadata"}


def test_azure_token_credentials_values_are_azure_identitys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """kustomi accepts what azure-identity's DefaultAzureCredential accepts, and the README
    lists each value."""
    from azure.identity import DefaultAzureCredential

    from kustomi.azure import credentials
    from tests.cli.test_docs import README

    section = README.split("## How kustomi signs in", 1)[1].split("\n## ", 1)[0]
    for value in ["dev", "prod", *credentials.NAMES.values()]:
        monkeypatch.setenv("AZURE_TOKEN_CREDENTIALS", value)
        DefaultAzureCredential()  # raises ValueError for a value it does not know
        names, why = credentials.chosen_names(os.environ)
        assert names and value.lower() in why.lower()
        assert f"`{value}`" in section
    monkeypatch.setenv("AZURE_TOKEN_CREDENTIALS", "SharedTokenCacheCredential")
    with pytest.raises(ValueError):
        DefaultAzureCredential()
    with pytest.raises(KustomiError) as e:
        credentials.chosen_names(os.environ)
    assert e.value.exit_code == 2


def test_a_configured_service_principal_that_fails_ends_the_chain(
    kustomi: Any, world: Any, az: Az, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As ChainedTokenCredential: a credential that is configured but refused is an error to
    report, not a reason to sign in as someone else."""
    for k in ("AZURE_CLIENT_ID", "AZURE_TENANT_ID"):
        monkeypatch.setenv(k, world.env[k])
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "wrong-secret")
    r = kustomi("create-identity", "-g", "rg-demo", "-n", "id-new")
    assert r.exit_code == 4, r.stderr
    assert "could not sign in to Azure with EnvironmentCredential" in r.stderr
    assert "AADSTS7000215" in r.stderr and "wrong-secret" not in r.stderr
    assert az.calls() == []


def test_an_unreachable_managed_identity_endpoint_is_a_network_error(
    kustomi: Any, world: Any, az: Az, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sign-in endpoint that refuses the connection is not a sign-in the user can fix with
    `az login`: exit 5, with the network hint."""
    monkeypatch.setenv("AZURE_TOKEN_CREDENTIALS", "ManagedIdentityCredential")
    monkeypatch.setenv("IDENTITY_ENDPOINT", "https://127.0.0.1:9/msi/token")
    monkeypatch.setenv("IDENTITY_HEADER", "header")
    monkeypatch.setenv("KUSTOMI_RETRIES", "0")
    r = kustomi("create-identity", "-g", "rg-demo", "-n", "id-new")
    assert r.exit_code == 5, r.stderr
    assert "could not be reached" in r.stderr and "az login" not in r.stderr


# --- `az` started at start-up, by the console script (kustomi.entry) --------------------------


def _alive(pid: int) -> bool:
    """Whether a process is still there, as more than a zombie nobody reaped."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _az_processes(az: Az) -> list[int]:
    """Processes now running the stand-in (its path in their command line)."""
    mine = str(az.bin / "az").encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if mine in (entry / "cmdline").read_bytes() and _alive(int(entry.name)):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_the_console_script_asks_az_for_arm_before_the_command_needs_it(
    spawn: Any, world: Any, az: Az
) -> None:
    r = spawn("--debug", "-o", "json", "create-identity", "-g", "rg-demo", "-n", "id-new").finish()
    assert r.exit_code == 0, r.stderr
    assert "for https://management.azure.com was started at start-up" in r.stderr
    # The run started early is the one taken: one run in all, for ARM.
    assert [c["resource"] for c in az.calls()] == ["https://management.azure.com"]
    assert len(fake_az.pids(az.bin)) == 1


def test_each_audience_is_asked_for_at_start_up_and_once(spawn: Any, world: Any, az: Az) -> None:
    """grant --via kql and verify read the cluster's data plane: ARM and Kusto are both asked
    for at start-up, at the same time (each run waits for the other: see barrier)."""
    az.set(barrier=2)
    r = spawn("--debug", "-o", "json", *grant_kql(world)).finish()
    assert r.exit_code == 0, r.stderr
    assert r.stderr.count("was started at start-up") == 2, r.stderr
    calls = az.calls()
    assert sorted(c["resource"] for c in calls) == [
        "https://kusto.kusto.windows.net",
        "https://management.azure.com",
    ]
    first, second = sorted(calls, key=lambda c: c["start"])
    assert second["start"] < first["end"]

    az.bin.joinpath("az-calls.jsonl").unlink()
    uri = f"{world.url}/kusto/adxdemo"
    args = ("--identity", "id-orders", "-g", "rg-demo", "--cluster", uri, "--database", "Orders")
    r = spawn("--debug", "-o", "json", "verify", *args, "--role", "viewer").finish()
    assert r.exit_code == 0, r.stderr
    assert r.json()["data"]["mode"] == "control-plane"
    assert r.stderr.count("was started at start-up") == 2, r.stderr
    assert len(az.calls()) == 2 and len({c["resource"] for c in az.calls()}) == 2


def test_help_version_and_commands_that_do_not_sign_in_start_no_az() -> None:
    """Decided from the command line and the environment alone, before anything is parsed:
    help, the version, a service principal, a managed identity, a command with no sign-in."""
    from kustomi.azure.azcli import early_resources

    az_login = {"PATH": "/usr/bin"}
    arm = "https://management.azure.com"
    assert early_resources(["create-identity", "-n", "x"], az_login) == [arm]
    assert early_resources(["-o", "json", "--subscription", "s", "attach"], az_login) == [arm]
    assert early_resources(["--query", "data", "attach", "-o", "tsv"], az_login) == [arm]
    for args in (
        ["--help"],
        ["--version"],
        ["create-identity", "--help"],
        ["grant", "-h", "--via", "kql"],
        ["snippet", "--lang", "python"],
        ["emulator", "serve"],
        ["doctor", "."],
        ["-o", "create-identity"],  # `create-identity` is the value of -o here
        [],
    ):
        assert early_resources(args, az_login) == [], args
    assert early_resources(["doctor", ".", "--app", "func"], az_login) == [arm]
    sp = {"AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": "s", "AZURE_TENANT_ID": "t"}
    for env in (
        sp,
        {"IDENTITY_ENDPOINT": "http://x"},
        {"MSI_ENDPOINT": "http://x"},
        {"AZURE_FEDERATED_TOKEN_FILE": "/f"},
        {"KUSTOMI_MANAGED_IDENTITY": "1"},
        {"AZURE_TOKEN_CREDENTIALS": "prod"},
        {"KUSTOMI_CLOUD": "Nowhere"},  # refused by the command, exit 2
        {"KUSTOMI_ARM_ENDPOINT": "https://arm.example"},  # its audience is in ARM's metadata
    ):
        assert early_resources(["create-identity"], env) == [], env
    for env in (
        {**sp, "AZURE_TOKEN_CREDENTIALS": "dev"},
        {"AZURE_TOKEN_CREDENTIALS": "AzureCliCredential"},
    ):
        assert early_resources(["create-identity"], env) == [arm], env
    china = {"KUSTOMI_CLOUD": "AzureChinaCloud"}
    assert early_resources(["create-identity"], china) == ["https://management.chinacloudapi.cn"]
    kusto = "https://kusto.kusto.windows.net"
    assert early_resources(["grant", "--via=kql"], az_login) == [arm, kusto]
    assert early_resources(["grant", "--via", "arm"], az_login) == [arm]
    assert early_resources(["verify", "--mode", "identity"], az_login) == [arm]
    # Only where the Kusto audience is known without asking a cluster.
    assert early_resources(["verify"], china) == ["https://management.chinacloudapi.cn"]


def test_an_early_az_is_killed_when_input_is_bad(spawn: Any, world: Any, az: Az) -> None:
    az.set(delay=60)  # a run that would outlive kustomi by far, if left running
    r = spawn("create-identity", "-g", "rg-demo", "-n", "bad name!").finish()
    assert r.exit_code == 2, r.stderr
    assert world.requests() == []
    assert _az_processes(az) == []
    assert not [p for p in fake_az.pids(az.bin) if _alive(p)]
    assert az.calls() == []  # none ran to its end


def test_an_early_az_is_killed_on_ctrl_c(spawn: Any, world: Any, az: Az) -> None:
    az.set(delay=60)
    p = spawn("-o", "json", "create-identity", "-g", "rg-demo", "-n", "id-new")
    deadline = time.monotonic() + 20
    while not fake_az.pids(az.bin) and time.monotonic() < deadline:
        time.sleep(0.01)  # until the run started at start-up is there
    started = fake_az.pids(az.bin)
    assert len(started) == 1
    p.proc.send_signal(signal.SIGINT)
    r = p.finish()
    assert r.exit_code == 130, r.stderr
    assert "Traceback" not in r.stderr
    assert not _alive(started[0])
    assert _az_processes(az) == []


def test_how_az_fails_is_said_as_azure_identity_says_it(
    kustomi: Any, world: Any, az: Az, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kustomi runs `az` itself (kustomi.azure.azcli) and says its failures as
    AzureCliCredential does: not installed and not signed in pass to the next credential; an
    error of Entra's ends the chain with az's own message, no secret in it."""
    az.set(client_secret="wrong-secret")
    r = kustomi("create-identity", "-g", "rg-demo", "-n", "id-new")
    assert r.exit_code == 4, r.stderr
    assert "could not sign in to Azure with AzureCliCredential" in r.stderr
    assert "AADSTS7000215" in r.stderr and "wrong-secret" not in r.stderr
    assert len(az.calls()) == 1
    assert [q["route"] for q in world.requests()] == ["entra.token"]  # az's own, refused

    monkeypatch.setenv("PATH", str(az.bin.parent / "nowhere"))
    r = kustomi("create-identity", "-g", "rg-demo", "-n", "id-new")
    assert r.exit_code == 4, r.stderr
    assert "AzureCliCredential: Azure CLI not found on path" in r.stderr
    assert len(az.calls()) == 1

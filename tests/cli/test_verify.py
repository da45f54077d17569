"""kustomi verify: identity mode with the environment `kustomi emulator app-env` gives (the
real ManagedIdentityCredential and azure-kusto-data do the work), and control-plane mode."""

from __future__ import annotations

import time

import pytest

from tests.cli.worlds import busy_world
from tests.conftest import CL, G


def _setup(kustomi, role: str | None = "viewer", attach: bool = True, slot: str | None = None):
    ident = kustomi("-o", "json", "create-identity", *G, "-n", "id-func").json()["data"]
    if role:
        assert (
            kustomi(
                "grant", "--role", role, "--identity", "id-func", *G, *CL, "--database", "Sales"
            ).exit_code
            == 0
        )
    if attach:
        extra = ("--slot", slot) if slot else ()
        assert (
            kustomi("attach", "--app", "func-busy", *G, "--identity", "id-func", *extra).exit_code
            == 0
        )
    return ident


def _inside_app(world, monkeypatch, slot: str = ""):
    for k, v in world.app_env("func-busy", "rg-app", slot).items():
        monkeypatch.setenv(k, v)


def _verify(kustomi, world, *extra, identity=None, cluster=None, database="Sales"):
    return kustomi(
        "-o",
        "json",
        "verify",
        "--identity",
        identity or "id-func",
        *G,
        "--cluster",
        cluster or f"{world.url}/kusto/adxbusy",
        "--database",
        database,
        *extra,
    )


def _status(result) -> dict[str, str]:
    return {f["check"]: f["status"] for f in result.json()["findings"]}


def test_viewer_granted_and_attached_passes_both_probes(world, kustomi, monkeypatch):
    ident = _setup(kustomi)
    _inside_app(world, monkeypatch)
    world.clear_log()
    r = _verify(kustomi, world, "--role", "viewer", identity=ident["clientId"])
    assert r.exit_code == 0, r.stdout + r.stderr
    out = r.json()
    assert out["data"]["mode"] == "identity" and "IDENTITY_ENDPOINT" in out["data"]["why"]
    assert _status(r) == {"token": "ok", "cluster": "ok", "role": "ok", "query": "ok"}
    assert out["data"]["rolesHeld"] == ["Viewer"]
    assert "verify: identity mode" in r.stderr
    routes = [x["route"] for x in world.requests()]
    assert "mi.token" in routes and "kusto.data.query" in routes
    assert not any(r.startswith(("msi.", "kusto.clusters", "web.")) for r in routes)  # no ARM


def test_ingestor_passes_without_a_false_query_failure(world, kustomi, monkeypatch):
    _setup(kustomi, role="ingestor")
    _inside_app(world, monkeypatch)
    r = _verify(kustomi, world, "--role", "ingestor")
    assert r.exit_code == 0, r.stdout
    assert _status(r)["query"] == "ok"
    assert any("ingestion itself was not exercised" in n for n in r.json()["notes"])
    assert "refused, as it should be for an Ingestor" in r.stdout


def test_nothing_granted_is_not_authorized_with_the_fixing_command(world, kustomi, monkeypatch):
    ident = _setup(kustomi, role=None)
    _inside_app(world, monkeypatch)
    r = _verify(kustomi, world, "--role", "viewer")
    assert r.exit_code == 6
    role = next(f for f in r.json()["findings"] if f["check"] == "role")
    assert role["status"] == "not_authorized"
    assert f"aadapp={ident['clientId']};{ident['tenantId']}" in role["detail"]
    assert (
        "kustomi grant --role viewer --identity id-func --identity-resource-group rg-app --cluster "
        f"{world.url}/kusto/adxbusy --database Sales"
    ) in role["hint"]
    assert "--wait" in role["hint"]


def test_an_ingestor_refused_is_pointed_at_the_control_plane_check(world, kustomi, monkeypatch):
    _setup(kustomi, role=None)
    _inside_app(world, monkeypatch)
    r = _verify(kustomi, world, "--role", "ingestor")
    role = next(f for f in r.json()["findings"] if f["check"] == "role")
    assert r.exit_code == 6 and role["status"] == "not_authorized"
    assert "kustomi grant --role ingestor" in role["hint"]
    assert "verify --mode control-plane" in role["hint"]
    viewer = next(
        f
        for f in _verify(kustomi, world, "--role", "viewer").json()["findings"]
        if f["check"] == "role"
    )
    assert "control-plane" not in viewer["hint"]


def test_grant_command_from_the_hint_fixes_it(world, kustomi, monkeypatch):
    _setup(kustomi, role=None)
    _inside_app(world, monkeypatch)
    hint = next(
        f
        for f in _verify(kustomi, world, "--role", "viewer").json()["findings"]
        if f["check"] == "role"
    )["hint"]
    command = hint.split("grant the role: ")[1].split(";")[0]
    import shlex

    assert kustomi(*shlex.split(command)[1:]).exit_code == 0
    assert _verify(kustomi, world, "--role", "viewer").exit_code == 0


def test_identity_not_attached_is_identity_unavailable(world, kustomi, monkeypatch):
    _setup(kustomi, attach=False)
    _inside_app(world, monkeypatch)
    r = _verify(kustomi, world, "--app", "func-busy")
    assert r.exit_code == 6
    token = next(f for f in r.json()["findings"] if f["check"] == "token")
    assert token["status"] == "identity_unavailable"
    assert "kustomi attach --app func-busy -g rg-app --identity id-func" in token["hint"]


def test_a_slot_sees_only_its_own_identities(world, kustomi, monkeypatch):
    _setup(kustomi, slot="staging")
    _inside_app(world, monkeypatch, "staging")
    assert _verify(kustomi, world).exit_code == 0
    _inside_app(world, monkeypatch)  # production has no id-func
    assert _status(_verify(kustomi, world))["token"] == "identity_unavailable"


def test_role_mismatch_ingestor_for_an_input_binding(world, kustomi, monkeypatch):
    _setup(kustomi, role="ingestor")
    _inside_app(world, monkeypatch)
    r = _verify(kustomi, world, "--role", "viewer")
    assert r.exit_code == 6 and _status(r)["role"] == "role_mismatch"
    assert "an input binding needs" in r.stdout


def test_propagation_with_wait_succeeds_after_retries(world, kustomi, monkeypatch):
    # The cluster's clock moves only after the first probe: that one is refused, however
    # long the steps before it took; the next one is let through.
    world.world.clock.freeze()
    world.knobs(role_propagation_seconds=1)
    _setup(kustomi)
    _inside_app(world, monkeypatch)
    world.faults([{"route": "kusto.data.mgmt", "kind": "tick", "seconds": 1, "times": 1}])
    r = _verify(kustomi, world, "--role", "viewer", "--wait", "20")
    assert r.exit_code == 0, r.stdout
    assert "waiting for the role to reach the cluster: attempt 1" in r.stderr
    assert "s of 20s" in r.stderr


def test_propagation_without_wait_is_not_authorized_with_a_hint_to_wait(
    world, kustomi, monkeypatch
):
    world.knobs(role_propagation_seconds=30)
    _setup(kustomi)
    _inside_app(world, monkeypatch)
    r = _verify(kustomi, world, "--role", "viewer")
    assert r.exit_code == 6 and _status(r)["role"] == "not_authorized"
    assert "rerun with --wait" in r.stdout


def test_propagation_that_outlasts_wait_is_not_propagated(world, kustomi, monkeypatch):
    world.knobs(role_propagation_seconds=60)
    _setup(kustomi)
    _inside_app(world, monkeypatch)
    start = time.monotonic()
    r = _verify(kustomi, world, "--role", "viewer", "--wait", "1.2")
    waited = time.monotonic() - start
    assert r.exit_code == 6 and _status(r)["role"] == "not_propagated"
    # The wait lasts to its deadline (the last attempt at it), and says the time really waited.
    assert waited >= 1.2
    role = next(f for f in r.json()["findings"] if f["check"] == "role")
    assert "after 1s of waiting" in role["detail"]


def test_database_not_found(world, kustomi, monkeypatch):
    _setup(kustomi)
    _inside_app(world, monkeypatch)
    r = _verify(kustomi, world, database="Nope")
    assert r.exit_code == 6 and _status(r)["database"] == "database_not_found"


# --- control-plane mode ----------------------------------------------------------------------


def _cp(kustomi, *extra):
    return kustomi(
        "-o",
        "json",
        "verify",
        "--identity",
        "id-func",
        *G,
        *CL,
        "--database",
        "Sales",
        *(() if "--app" in extra else ("--app", "func-busy")),
        *extra,
    )


def test_control_plane_all_ok_says_it_did_not_test_as_the_identity(world, kustomi):
    _setup(kustomi)
    kustomi("set-connection", "--app", "func-busy", *G, *CL, "--database", "Sales")
    r = _cp(kustomi, "--role", "viewer")
    assert r.exit_code == 0, r.stdout
    out = r.json()
    assert out["data"]["mode"] == "control-plane"
    assert "IDENTITY_ENDPOINT is not set" in out["data"]["why"]
    assert _status(r) == {"identity": "ok", "role": "ok", "attached": "ok", "setting": "ok"}
    assert any("not a test as the identity" in n for n in out["notes"])
    assert not any("--wait" in n for n in out["notes"])
    waited = _cp(kustomi, "--role", "viewer", "--wait", "30")
    assert waited.exit_code == 0
    assert "--wait applies to identity mode only" in " ".join(waited.json()["notes"])


def test_control_plane_sees_kql_grants_too(world, kustomi):
    _setup(kustomi, role=None)
    kustomi(
        "grant",
        "--role",
        "viewer",
        "--identity",
        "id-func",
        *G,
        "--cluster",
        f"{world.url}/kusto/adxbusy",
        "--database",
        "Sales",
        "--via",
        "kql",
    )
    r = _cp(kustomi)
    assert _status(r)["role"] == "ok" and r.json()["data"]["rolesHeld"] == ["Viewer"]


def test_control_plane_findings_for_a_broken_setup(world, kustomi):
    _setup(kustomi, role=None, attach=False)
    r = _cp(kustomi, "--role", "viewer")
    assert r.exit_code == 6
    assert _status(r) == {
        "identity": "ok",
        "role": "not_authorized",
        "attached": "identity_not_attached",
        "setting": "setting_missing",
    }
    hints = " ".join(f["hint"] for f in r.json()["findings"])
    assert "kustomi attach --app func-busy" in hints and "kustomi set-connection" in hints


def test_control_plane_missing_identity(world, kustomi):
    r = _cp(kustomi)
    assert r.exit_code == 6 and _status(r) == {"identity": "identity_not_found"}
    assert "kustomi create-identity -g rg-app -n id-func" in r.stdout


def test_setting_with_a_secret_is_reported_without_its_value(world, kustomi):
    _setup(kustomi)
    world.world.sites[("rg-app", "func-busy", "")].app_settings[
        "KustoConnectionStringManagedIdentity"
    ] = f"Data Source={world.url}/kusto/adxbusy;Database=Sales;Application Key=Sh0uldNotShow"
    r = _cp(kustomi)
    assert _status(r)["setting"] == "setting_has_secret"
    assert "Sh0uldNotShow" not in r.stdout + r.stderr


def test_setting_pointing_at_another_cluster(world, kustomi):
    _setup(kustomi)
    world.world.sites[("rg-app", "func-busy", "")].app_settings[
        "KustoConnectionStringManagedIdentity"
    ] = "Data Source=https://other.westeurope.kusto.windows.net;Database=Sales;"
    r = _cp(kustomi)
    assert _status(r)["setting"] == "setting_wrong_target"
    assert "other.westeurope.kusto.windows.net" in r.stdout


def test_table_output_of_a_failing_verify(world, kustomi, monkeypatch):
    """On an 80-column terminal the fixing command still stands on one line, to copy."""
    monkeypatch.setenv("COLUMNS", "80")
    _setup(kustomi, role=None)
    r = kustomi("-o", "table", "verify", "--identity", "id-func", *G, *CL, "--database", "Sales")
    assert r.exit_code == 6
    assert "not_authorized" in r.stdout
    [fix] = [line for line in r.stdout.splitlines() if line.startswith("fix role: ")]
    assert "kustomi grant --role viewer --identity id-func --identity-resource-group rg-app" in fix
    assert fix.rstrip().endswith("--database Sales")


def test_the_fix_from_inside_the_app_works_with_a_client_id(world, kustomi, monkeypatch):
    """Inside the app only the client id is known; the grant command in the hint takes it."""
    ident = _setup(kustomi, role=None)
    _inside_app(world, monkeypatch)
    r = _verify(kustomi, world, "--role", "ingestor", identity=ident["clientId"])
    hint = next(f for f in r.json()["findings"] if f["check"] == "role")["hint"]
    assert f"--identity {ident['clientId']} --cluster" in hint and " -g " not in hint
    import shlex

    command = hint.split("grant the role: ")[1].split(";")[0]
    fixed = kustomi("-o", "json", *shlex.split(command)[1:])
    assert fixed.exit_code == 0, fixed.stderr
    assert fixed.json()["data"]["identity"] == "id-func"
    assert _verify(kustomi, world, "--role", "ingestor", identity=ident["clientId"]).exit_code == 0


def test_unreachable_cluster_in_identity_mode(world, kustomi, monkeypatch):
    ident = _setup(kustomi)
    _inside_app(world, monkeypatch)
    r = kustomi(
        "-o",
        "json",
        "verify",
        "--identity",
        ident["clientId"],
        "--cluster",
        "https://127.0.0.1:9/kusto/adxbusy",
        "--database",
        "Sales",
    )
    assert r.exit_code == 6 and _status(r) == {"cluster": "cluster_unreachable"}


def test_token_failed_when_the_endpoint_refuses(world, kustomi, monkeypatch):
    ident = _setup(kustomi)
    _inside_app(world, monkeypatch)
    world.faults([{"route": "mi.token", "status": 400}])
    r = _verify(kustomi, world, identity=ident["clientId"])
    assert r.exit_code == 6 and _status(r)["token"] == "token_failed"


def test_untrusted_cluster(world, kustomi, monkeypatch):
    """A host azure-kusto-data does not trust: it refuses it before any token is sent.

    The emulator also answers as https://127.1, which is loopback but not a local address to the
    library's trusted-endpoints check (only localhost, 127.0.0.1 and dotted 127.x.x.x count)."""
    _setup(kustomi)
    _inside_app(world, monkeypatch)
    world.clear_log()
    untrusted = world.url.replace("127.0.0.1", "127.1")
    r = _verify(kustomi, world, cluster=f"{untrusted}/kusto/adxbusy")
    assert r.exit_code == 6, r.stdout + r.stderr
    cluster = next(f for f in r.json()["findings"] if f["check"] == "cluster")
    assert cluster["status"] == "cluster_untrusted" and "127.1" in cluster["detail"]
    assert "aka.ms/kustotrustedendpoints" in cluster["hint"]
    assert _status(r)["token"] == "ok"  # the identity did get its token; the host was the problem
    routes = [x["route"] for x in world.requests()]
    assert "kusto.data.mgmt" not in routes and "kusto.data.query" not in routes


def test_untrusted_cluster_is_classified(world):
    """azure-kusto-data refuses hosts outside its trusted list before sending a token."""
    from azure.kusto.data.exceptions import KustoClientInvalidConnectionStringException

    from kustomi.steps.verify.identity import _classify

    e = KustoClientInvalidConnectionStringException(
        "Can't communicate with 'evil.example.com' as this hostname is currently not trusted"
    )
    assert _classify(e)[0] == "cluster_untrusted"


def test_control_plane_database_and_cluster_not_found(world, kustomi):
    _setup(kustomi)
    db = kustomi("-o", "json", "verify", "--identity", "id-func", *G, *CL, "--database", "Nope")
    assert db.exit_code == 6 and _status(db)["database"] == "database_not_found"
    cl = kustomi(
        "-o",
        "json",
        "verify",
        "--identity",
        "id-func",
        *G,
        "--cluster",
        "adxnope",
        "--cluster-resource-group",
        "rg-data",
        "--database",
        "Sales",
    )
    assert cl.exit_code == 6 and _status(cl)["cluster"] == "cluster_not_found"


def test_verify_bad_input_is_exit_2(world, kustomi):
    world.clear_log()
    for args in (("--mode", "laptop"), ("--wait", "-1"), ("--role", "reader")):
        r = kustomi("verify", "--identity", "id-func", *G, *CL, "--database", "Sales", *args)
        assert r.exit_code == 2, (args, r.stderr)
    assert world.requests() == []


def test_inside_the_app_the_setting_is_read_from_the_environment(world, kustomi, monkeypatch):
    """App settings are environment variables of the app's processes."""
    ident = _setup(kustomi)
    _inside_app(world, monkeypatch)
    monkeypatch.setenv(
        "KustoConnectionStringManagedIdentity",
        "Data Source=https://other.westeurope.kusto.windows.net;Database=Sales;",
    )
    r = _verify(kustomi, world, identity=ident["clientId"])
    assert r.exit_code == 6 and _status(r)["setting"] == "setting_wrong_target"
    monkeypatch.setenv(
        "KustoConnectionStringManagedIdentity",
        f"Data Source={world.url}/kusto/adxbusy;Database=Sales;",
    )
    assert _status(_verify(kustomi, world, identity=ident["clientId"]))["setting"] == "ok"


def test_inside_the_app_without_arm_access_it_says_to_pass_the_client_id(
    world, kustomi, monkeypatch
):
    _setup(kustomi)
    _inside_app(world, monkeypatch)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "not-the-operator")
    r = _verify(kustomi, world)  # by name: needs ARM, and the sign-in fails
    assert r.exit_code == 4 and "pass --identity <clientId>" in r.stderr


@pytest.mark.parametrize(
    "template",
    [
        "Server={uri};Database=Sales;",
        "Addr={uri};Initial Catalog=Sales",
        "network address = {uri} ; database = Sales ;",
        "Data Source={uri}/;Database=Sales",
    ],
)
def test_a_setting_with_the_documented_aliases_is_ok(world, kustomi, template):
    """Connection strings are read by azure-kusto-data's own builder: Server=, Addr= and the
    other aliases name the same cluster, and count as the right target."""
    _setup(kustomi)
    world.world.sites[("rg-app", "func-busy", "")].app_settings[
        "KustoConnectionStringManagedIdentity"
    ] = template.format(uri=f"{world.url}/kusto/adxbusy")
    r = _cp(kustomi)
    assert _status(r)["setting"] == "ok", r.stdout


def test_an_assignment_still_creating_is_pending_not_held(world, kustomi):
    """The control plane lists an assignment Azure has not finished: the cluster does not
    enforce it yet, so verify says role_pending, not "holds Viewer"."""
    from tests.cli.test_checklist import _assignment_by_hand

    ident = _setup(kustomi, role=None)
    world.knobs(lro_seconds=60)
    _assignment_by_hand(ident)
    r = _cp(kustomi, "--role", "viewer")
    assert r.exit_code == 6
    role = next(f for f in r.json()["findings"] if f["check"] == "role")
    assert role["status"] == "role_pending" and "still Creating" in role["detail"]
    assert "kustomi grant --role viewer" in role["hint"]


def test_a_failed_assignment_is_not_held(world, kustomi):
    from tests.cli.test_checklist import _assignment_by_hand, _principal

    ident = _setup(kustomi, role=None)
    _assignment_by_hand(ident)
    world.state()  # the emulator finishes due operations before it answers
    _principal(world, "made-by-hand").provisioning = "Failed"
    r = _cp(kustomi, "--role", "viewer")
    assert _status(r)["role"] == "role_failed"
    assert "grant it again: kustomi grant --role viewer" in r.json()["findings"][1]["hint"]


def test_every_fix_command_runs_as_printed(emu_factory, kustomi):
    """In a layout like the README's (identity and app in one group, the cluster in
    rg-data), each hint verify prints is a kustomi command that runs as printed, and once
    they ran verify passes."""
    import shlex

    emu_factory(busy_world())
    assert kustomi("create-identity", *G, "-n", "id-func").exit_code == 0
    args = ("--identity", "id-func", *G, *CL, "--database", "Sales", "--role", "viewer")
    r = kustomi("-o", "json", "verify", *args, "--app", "func-busy", "--mode", "control-plane")
    failing = {f["check"]: f["hint"] for f in r.json()["findings"] if f["status"] != "ok"}
    assert set(failing) == {"role", "attached", "setting"}, failing
    for check, hint in failing.items():
        line = hint[hint.index("kustomi ") :].split(";")[0]
        words = shlex.split(line)
        assert words[0] == "kustomi"
        ran = kustomi(*words[1:])
        assert ran.exit_code == 0, (check, line, ran.stderr)
    r = kustomi("-o", "json", "verify", *args, "--app", "func-busy", "--mode", "control-plane")
    assert r.exit_code == 0, r.stdout


def test_a_missing_app_is_app_not_found_not_identity_not_attached(world, kustomi):
    _setup(kustomi)
    r = _cp(kustomi, "--app", "func-nope")
    assert r.exit_code == 6 and _status(r)["app"] == "app_not_found"
    assert "identity_not_attached" not in _status(r).values()


def test_a_reader_keeps_the_findings_it_could_make(emu_factory, kustomi):
    """A Reader may read the site but not list its settings (a POST .../list action): verify
    says no_access for the setting and keeps every other finding."""
    from tests.cli.worlds import busy_world

    world = emu_factory(
        busy_world(operators=[{"name": "owner"}, {"name": "reader", "role": "Reader"}])
    )
    assert kustomi("create-identity", *G, "-n", "id-func").exit_code == 0
    reader = world.world.operators[1]
    env = {"AZURE_CLIENT_ID": reader.client_id, "AZURE_CLIENT_SECRET": reader.secret}
    r = kustomi(
        "-o", "json", "verify", "--identity", "id-func", *G, *CL, "--database", "Sales",
        "--app", "func-busy", "--mode", "control-plane", env=env,
    )  # fmt: skip
    assert r.exit_code == 6, r.stderr
    status = _status(r)
    assert status["setting"] == "no_access" and status["identity"] == "ok"
    assert status["attached"] == "identity_not_attached" and "role" in status
    setting = next(f for f in r.json()["findings"] if f["check"] == "setting")
    assert "config/list/action" in setting["detail"] or "list" in setting["detail"]

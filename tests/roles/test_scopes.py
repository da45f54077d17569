"""Roles below and above a database: a table role through `.add table`, a cluster-wide role
through an ARM cluster principal assignment; each idempotent, revocable, and refused before
any request where the flags contradict each other."""

from __future__ import annotations

import pytest

from tests.conftest import CL, G

IDENT = ("--identity", "id-func", *G)


def _identity(kustomi) -> dict[str, str]:
    r = kustomi("-o", "json", "create-identity", *G, "-n", "id-func")
    assert r.exit_code == 0, r.stderr
    return r.json()["data"]  # type: ignore[no-any-return]


def _cluster(world):
    return world.world.clusters[("rg-data", "adxbusy")]


def _table(world, table: str = "Events"):
    return _cluster(world).databases["sales"].tables[table.lower()]


# --- cluster-wide ----------------------------------------------------------------------------


def test_a_cluster_wide_role_is_an_arm_cluster_assignment_made_once(world, kustomi):
    ident = _identity(kustomi)
    world.clear_log()
    r = kustomi("-o", "json", "grant", "--role", "alldatabasesviewer", *IDENT, *CL)
    assert r.exit_code == 0, r.stderr
    doc = r.json()
    assert doc["data"]["scope"] == "cluster" and doc["data"]["database"] is None
    [change] = doc["changes"]
    assert change["kind"] == "create"
    assert change["target"] == "AllDatabasesViewer on cluster adxbusy for id-func"
    writes = [(w["method"], w["route"]) for w in world.writes()]
    assert writes == [("PUT", "kusto.clusterPrincipalAssignments.put")]
    held = [(p.role, p.app_id, p.provisioning) for p in _cluster(world).principals]
    assert held == [("AllDatabasesViewer", ident["clientId"], "Succeeded")]
    # No database was touched.
    assert all(not d.principals for d in _cluster(world).databases.values())
    world.clear_log()
    again = kustomi("-o", "json", "grant", "--role", "alldatabasesviewer", *IDENT, *CL)
    assert again.exit_code == 0, again.stderr
    assert [c["kind"] for c in again.json()["changes"]] == ["none"]
    assert world.writes() == []


def _as_identity(world, kustomi, monkeypatch, client_id: str):
    """A Kusto client signed in as the identity, inside func-busy (its managed-identity
    endpoint), as a binding would be."""
    from azure.identity import ManagedIdentityCredential
    from azure.kusto.data import KustoClient, KustoConnectionStringBuilder

    assert kustomi("attach", *IDENT, "--app", "func-busy").exit_code == 0
    for k, v in world.app_env("func-busy", "rg-app").items():
        monkeypatch.setenv(k, v)
    uri = f"{world.url}/kusto/adxbusy"
    cred = ManagedIdentityCredential(client_id=client_id)
    return KustoClient(KustoConnectionStringBuilder.with_azure_token_credential(uri, cred))


def test_a_cluster_wide_viewer_reads_every_database_as_the_identity(world, kustomi, monkeypatch):
    """What the data plane enforces: AllDatabasesViewer queries each database, and is no
    admin of any."""
    ident = _identity(kustomi)
    assert kustomi("grant", "--role", "alldatabasesviewer", *IDENT, *CL).exit_code == 0
    kc = _as_identity(world, kustomi, monkeypatch, ident["clientId"])
    for db in ("Sales", "Sales Archive-2.0"):
        assert kc.execute(db, "print x=1").primary_results[0][0]["x"] == 1
    with pytest.raises(Exception) as refused:
        kc.execute_mgmt("Sales", f".add database Sales viewers ('{ident['principalFqn']}')")
    assert "not authorized" in str(refused.value)


def test_a_cluster_wide_role_is_revoked_by_grant_revoke_pair(world, kustomi):
    _identity(kustomi)
    assert kustomi("grant", "--role", "alldatabasesmonitor", *IDENT, *CL).exit_code == 0
    assert kustomi("grant", "--role", "alldatabasesviewer", *IDENT, *CL).exit_code == 0
    r = kustomi("-o", "json", "--yes", "revoke", *IDENT, *CL, "--role", "alldatabasesviewer")
    assert r.exit_code == 0, r.stderr + r.stdout
    kinds = [(c["kind"], c["target"]) for c in r.json()["changes"] if "cluster" in c["target"]]
    assert kinds == [("delete", "AllDatabasesViewer on cluster adxbusy for id-func")]
    assert [p.role for p in _cluster(world).principals] == ["AllDatabasesMonitor"]


@pytest.mark.parametrize(
    "flags, named",
    [
        (("--role", "alldatabasesviewer", "--database", "Sales"), "--database"),
        (("--role", "alldatabasesadmin", "--table", "Events"), "--table"),
        (("--role", "alldatabasesviewer", "--via", "kql"), "--via kql"),
        (
            (
                "--role",
                "viewer",
            ),
            "needs --database",
        ),
        (("--role", "viewer", "--database", "Sales", "--table", "Events"), "on a table"),
        (
            ("--role", "ingestor", "--database", "Sales", "--table", "Events", "--via", "arm"),
            "--via arm",
        ),
        (("--role", "ingestor", "--database", "Sales", "--table", "Ev/ents"), "table name"),
    ],
)
def test_contradictory_scopes_are_refused_before_any_request(world, kustomi, flags, named):
    world.clear_log()
    r = kustomi("grant", *IDENT, *CL, *flags)
    assert r.exit_code == 2, r.stdout + r.stderr
    assert named in r.stderr
    assert world.requests() == []


# --- table -----------------------------------------------------------------------------------


def test_a_table_ingestor_is_added_on_that_table_alone(world, kustomi):
    ident = _identity(kustomi)
    world.clear_log()
    grant = ("grant", "--role", "ingestor", *IDENT, *CL, "--database", "Sales")
    r = kustomi("-o", "json", *grant, "--table", "Orders Log")
    assert r.exit_code == 0, r.stderr
    doc = r.json()
    assert doc["data"]["scope"] == "table" and doc["data"]["table"] == "Orders Log"
    [change] = doc["changes"]
    assert change["kind"] == "create"
    assert change["detail"].startswith(".add table ['Orders Log'] ingestors ('aadapp=")
    csl = [w["csl"].split(" (")[0] for w in world.writes()]
    assert csl == [".add table ['Orders Log'] ingestors"]
    t = _table(world, "Orders Log")
    assert [(p.role, p.app_id) for p in t.principals] == [("Ingestor", ident["clientId"])]
    assert _table(world, "Events").principals == []
    assert _cluster(world).databases["sales"].principals == []
    world.clear_log()
    again = kustomi("-o", "json", *grant, "--table", "Orders Log")
    assert [c["kind"] for c in again.json()["changes"]] == ["none"]
    assert world.writes() == []


def test_a_table_role_on_a_table_that_does_not_exist_is_not_found(world, kustomi):
    _identity(kustomi)
    r = kustomi(
        "grant", "--role", "ingestor", *IDENT, *CL, "--database", "Sales", "--table", "Nope"
    )
    assert r.exit_code == 3, r.stderr
    assert "Table 'Nope' was not found in database 'Sales'" in r.stderr


def test_a_table_role_is_revoked_with_drop_table(world, kustomi):
    _identity(kustomi)
    where = (*CL, "--database", "Sales", "--table", "Events")
    assert kustomi("grant", "--role", "ingestor", *IDENT, *where).exit_code == 0
    assert kustomi("grant", "--role", "admin", *IDENT, *where).exit_code == 0
    r = kustomi("-o", "json", "--yes", "revoke", *IDENT, *where, "--role", "ingestor")
    assert r.exit_code == 0, r.stderr + r.stdout
    drops = [c["detail"] for c in r.json()["changes"] if c["kind"] == "delete"]
    assert any(d.startswith(".drop table Events ingestors (") for d in drops), drops
    assert [p.role for p in _table(world).principals] == ["Admin"]


# --- verify counts each role where it holds --------------------------------------------------


def _verify(kustomi, *extra: str, mode: str = "control-plane"):
    return kustomi(
        "-o", "json", "verify", *IDENT, *CL, "--database", "Sales", "--mode", mode, *extra
    )


def _role(result) -> dict[str, str]:
    [f] = [f for f in result.json()["findings"] if f["check"] in ("role", "table")]
    return f  # type: ignore[no-any-return]


def test_verify_counts_a_cluster_wide_viewer_as_viewer_and_not_as_ingestor(world, kustomi):
    _identity(kustomi)
    assert kustomi("grant", "--role", "alldatabasesviewer", *IDENT, *CL).exit_code == 0
    ok = _verify(kustomi, "--role", "viewer")
    assert ok.exit_code == 0, ok.stdout
    assert "AllDatabasesViewer" in _role(ok)["detail"]
    no = _verify(kustomi, "--role", "ingestor")
    assert no.exit_code == 6 and _role(no)["status"] == "role_mismatch"
    # The fix is a grant that runs as printed: a database role on the database.
    assert "kustomi grant --role ingestor" in _role(no)["hint"]
    assert "--database Sales" in _role(no)["hint"]


def test_verify_table_counts_a_table_ingestor_for_its_table_only(world, kustomi):
    _identity(kustomi)
    where = (*CL, "--database", "Sales", "--table", "Events")
    assert kustomi("grant", "--role", "ingestor", *IDENT, *where).exit_code == 0
    ok = _verify(kustomi, "--table", "Events")
    assert ok.exit_code == 0, ok.stdout
    assert _role(ok)["detail"].startswith("holds Ingestor on table Sales.Events")
    other = _verify(kustomi, "--table", "Orders Log")
    assert other.exit_code == 6
    assert _role(other)["status"] == "not_authorized"
    hint = _role(other)["hint"]
    assert "--role ingestor" in hint and "--table 'Orders Log'" in hint, hint
    # Without --table, the database itself: no database role is held.
    assert _verify(kustomi, "--role", "ingestor").exit_code == 6
    missing = _verify(kustomi, "--table", "Evnts")
    assert _role(missing)["status"] == "table_not_found"


def test_verify_as_the_identity_reads_the_table_roles(world, kustomi, monkeypatch):
    ident = _identity(kustomi)
    where = (*CL, "--database", "Sales", "--table", "Events")
    assert kustomi("grant", "--role", "ingestor", *IDENT, *where).exit_code == 0
    _as_identity(world, kustomi, monkeypatch, ident["clientId"])  # attach, the app's env
    uri = f"{world.url}/kusto/adxbusy"
    base = ("-o", "json", "verify", "--identity", ident["clientId"], "--cluster", uri)
    base += ("--database", "Sales", "--mode", "identity")
    ok = kustomi(*base, "--table", "Events")
    assert ok.exit_code == 0, ok.stdout
    statuses = {f["check"]: f["status"] for f in ok.json()["findings"]}
    assert statuses == {"token": "ok", "cluster": "ok", "role": "ok", "query": "ok"}, statuses
    other = kustomi(*base, "--table", "Orders Log")
    assert other.exit_code == 6
    assert _role(other)["status"] == "not_authorized"


# --- setup and revoke for a fleet ------------------------------------------------------------


def test_setup_with_a_table_ingestor_then_revoke(world, kustomi):
    ident = _identity(kustomi)
    fleet = (*IDENT, *CL, "--database", "Sales", "--app", "func-busy")
    r = kustomi("-o", "json", "--yes", "setup", *fleet, "--role", "ingestor", "--table", "Events")
    assert r.exit_code == 0, r.stderr + r.stdout
    grants = [c for c in r.json()["changes"] if c["detail"].startswith(".add table")]
    assert len(grants) == 1 and grants[0]["kind"] == "create"
    assert [(p.role, p.app_id) for p in _table(world).principals] == [
        ("Ingestor", ident["clientId"])
    ]
    assert _cluster(world).databases["sales"].principals == []
    site = world.site("rg-app", "func-busy")
    assert site["app_settings"]["KustoConnectionStringManagedIdentity"].endswith("Database=Sales;")
    world.clear_log()
    again = kustomi(
        "-o", "json", "--yes", "setup", *fleet, "--role", "ingestor", "--table", "Events"
    )
    assert again.exit_code == 0 and world.writes() == []
    assert {c["kind"] for c in again.json()["changes"]} == {"none"}
    out = kustomi(
        "-o", "json", "--yes", "revoke", *fleet, "--role", "ingestor", "--table", "Events"
    )
    assert out.exit_code == 0, out.stderr + out.stdout
    assert _table(world).principals == []


def test_setup_with_a_cluster_wide_viewer_from_kustomi_toml(world, kustomi, tmp_path):
    _identity(kustomi)
    (tmp_path / "kustomi.toml").write_text(
        'resource-group = "rg-app"\n'
        "[setup]\n"
        'identity = "id-func"\n'
        "[[setup.grants]]\n"
        'cluster = "adxbusy"\n'
        'cluster-resource-group = "rg-data"\n'
        'role = "alldatabasesviewer"\n'
        "[[setup.apps]]\n"
        'app = "func-busy"\n'
        'database = "Sales"\n'
    )
    r = kustomi("-o", "json", "--yes", "setup")
    assert r.exit_code == 0, r.stderr + r.stdout
    assert [p.role for p in _cluster(world).principals] == ["AllDatabasesViewer"]
    ver = kustomi("-o", "json", "verify", *IDENT, *CL, "--database", "Sales",
                  "--mode", "control-plane", "--role", "viewer", "--app", "func-busy")  # fmt: skip
    assert ver.exit_code == 0, ver.stdout


def test_a_cluster_wide_grant_in_kustomi_toml_with_no_app_database_is_refused(
    world, kustomi, tmp_path
):
    (tmp_path / "kustomi.toml").write_text(
        'resource-group = "rg-app"\n[setup]\nidentity = "id-func"\n[[setup.grants]]\n'
        'cluster = "adxbusy"\ncluster-resource-group = "rg-data"\nrole = "alldatabasesviewer"\n'
        '[[setup.apps]]\napp = "func-busy"\n'
    )
    world.clear_log()
    r = kustomi("--yes", "setup")
    assert r.exit_code == 2
    assert "no database" in r.stderr
    assert world.requests() == []


# --- the system-assigned identity ------------------------------------------------------------

SYS = ("--identity", "system", "--app", "func-busy", *G)


def _site(world, slot=None):
    return world.world.sites[("rg-app", "func-busy", (slot or "").lower())]


def test_attach_system_enables_it_and_keeps_the_user_assigned_ones(world, kustomi):
    """The staging slot has no system identity (the busy world): attach enables the slot's
    own, production's is untouched."""
    before = _site(world, "staging")
    assert before.system_assigned is None
    kept = list(before.user_assigned)
    prod = dict(_site(world).system_assigned or {})
    world.clear_log()
    r = kustomi("-o", "json", "attach", *SYS, "--slot", "staging")
    assert r.exit_code == 0, r.stderr + r.stdout
    [change] = r.json()["changes"]
    assert change["kind"] == "update" and change["target"].startswith("system identity on")
    after = _site(world, "staging")
    assert after.system_assigned is not None and after.user_assigned == kept
    assert r.json()["data"]["principalId"] == after.system_assigned["principal_id"]
    assert _site(world).system_assigned == prod
    assert r.json()["notes"] == ['binding: ManagedServiceIdentity = "system"']
    world.clear_log()
    again = kustomi("-o", "json", "attach", *SYS, "--slot", "staging")
    assert [c["kind"] for c in again.json()["changes"]] == ["none"] and world.writes() == []


def test_grant_verify_and_revoke_with_the_apps_system_identity(world, kustomi, monkeypatch):
    principal = _site(world).system_assigned["principal_id"]
    where = (*CL, "--database", "Sales")
    r = kustomi("-o", "json", "grant", "--role", "viewer", *SYS, *where)
    assert r.exit_code == 0, r.stderr
    held = _cluster(world).databases["sales"].principals
    assert [(p.role, p.object_id) for p in held] == [("Viewer", principal)]
    cp = kustomi(
        "-o", "json", "verify", *SYS, *where, "--role", "viewer", "--mode", "control-plane"
    )
    statuses = {f["check"]: f["status"] for f in cp.json()["findings"]}
    assert statuses["role"] == "ok" and statuses["attached"] == "ok"
    # Inside the app: a token with no client id is the system identity's.
    for k, v in world.app_env("func-busy", "rg-app").items():
        monkeypatch.setenv(k, v)
    uri = f"{world.url}/kusto/adxbusy"
    inside = kustomi(
        "-o", "json", "verify", "--identity", "system", "--cluster", uri,
        "--database", "Sales", "--role", "viewer",
    )  # fmt: skip
    assert inside.exit_code == 0, inside.stdout
    assert inside.json()["data"]["mode"] == "identity"
    ingest = kustomi(
        "-o", "json", "verify", "--identity", "system", "--cluster", uri,
        "--database", "Sales", "--role", "ingestor",
    )  # fmt: skip
    assert ingest.exit_code == 6
    monkeypatch.delenv("IDENTITY_ENDPOINT")
    out = kustomi("-o", "json", "--yes", "revoke", *SYS, *where, "--role", "viewer")
    assert out.exit_code == 0, out.stderr + out.stdout
    assert _cluster(world).databases["sales"].principals == []
    assert _site(world).system_assigned is not None  # never disabled as a side effect


def test_setup_gives_each_app_its_own_principal_and_revoke_disables_only_when_asked(world, kustomi):
    fleet = ("--identity", "system", *G, *CL, "--database", "Sales", "--role", "viewer")
    fleet += ("--app", "func-busy", "--slot", "staging")
    r = kustomi("-o", "json", "--yes", "setup", *fleet)
    assert r.exit_code == 0, r.stderr + r.stdout
    slot = _site(world, "staging")
    assert slot.system_assigned is not None
    held = [p.object_id for p in _cluster(world).databases["sales"].principals]
    assert held == [slot.system_assigned["principal_id"]]
    assert slot.app_settings["KustoConnectionStringManagedIdentity"].endswith("Database=Sales;")
    world.clear_log()
    again = kustomi("-o", "json", "--yes", "setup", *fleet)
    assert again.exit_code == 0 and world.writes() == []
    kept = list(slot.user_assigned)
    out = kustomi("-o", "json", "--yes", "revoke", *fleet, "--disable-system-identity")
    assert out.exit_code == 0, out.stderr + out.stdout
    slot = _site(world, "staging")
    assert slot.system_assigned is None and slot.user_assigned == kept
    assert _site(world).system_assigned is not None  # production's is its own
    assert _cluster(world).databases["sales"].principals == []


@pytest.mark.parametrize(
    "args, named",
    [
        (
            ("grant", "--role", "viewer", "--identity", "system", *G, *CL, "--database", "Sales"),
            "--identity system needs --app",
        ),
        (
            ("grant", "--role", "ingestor", *SYS, *CL, "--database", "Sales", "--table", "Events"),
            "--identity system and --table",
        ),
        (
            ("grant", "--role", "viewer", *SYS, *CL, "--database", "Sales", "--via", "kql"),
            "--identity system and --via kql",
        ),
        (
            ("grant", "--role", "viewer", *IDENT, "--app", "func-busy", *CL, "--database", "Sales"),
            "--app and --identity as a user-assigned identity",
        ),
        (
            (
                "verify",
                "--identity",
                "system",
                *G,
                *CL,
                "--database",
                "Sales",
                "--mode",
                "control-plane",
            ),
            "--identity system needs --app",
        ),
        (
            (
                "--yes",
                "setup",
                "--identity",
                "system",
                *G,
                *CL,
                "--database",
                "Sales",
                "--role",
                "viewer",
            ),
            "needs the apps",
        ),
        (
            (
                "--yes",
                "revoke",
                *IDENT,
                *CL,
                "--database",
                "Sales",
                "--role",
                "viewer",
                "--app",
                "func-busy",
                "--disable-system-identity",
            ),
            "--disable-system-identity and",
        ),
        (("create-identity", *G, "-n", "system"), "system-assigned identity"),
    ],
)
def test_system_identity_misuse_is_refused_before_any_request(world, kustomi, args, named):
    world.clear_log()
    r = kustomi(*args)
    assert r.exit_code == 2, r.stdout + r.stderr
    assert named in r.stderr
    assert world.requests() == []


def test_a_new_system_identity_is_granted_once_entra_knows_it(world, kustomi):
    """Entra learns of a newly enabled system identity with a delay, as of any new service
    principal: setup retries the grant and says so."""
    world.world.clock.freeze()
    world.knobs(entra_propagation_seconds=0.8)
    world.faults([{"route": "kusto.principalAssignments.put", "kind": "tick", "seconds": 0.5}])
    fleet = ("--identity", "system", *G, *CL, "--database", "Sales", "--role", "viewer")
    r = kustomi("--yes", "setup", *fleet, "--app", "func-busy", "--slot", "staging")
    assert r.exit_code == 0, r.stderr
    assert "waiting for Entra to know the system identity of rg-app/func-busy" in r.stderr
    held = [p.object_id for p in _cluster(world).databases["sales"].principals]
    assert held == [_site(world, "staging").system_assigned["principal_id"]]


# --- the same through the Python API ---------------------------------------------------------


def test_roles_scopes_and_the_system_identity_through_the_api(world, kustomi):
    from kustomi.api import Kustomi
    from kustomi.errors import UsageError

    _identity(kustomi)
    who = {"identity": "id-func", "resource_group": "rg-app"}
    where = {"cluster": "adxbusy", "cluster_resource_group": "rg-data"}
    with Kustomi() as k:
        table = k.grant(**who, **where, database="Sales", table="Events", role="ingestor")
        assert table.data["scope"] == "table" and table.changes[0].kind == "create"
        wide = k.grant(**who, **where, role="alldatabasesviewer")
        assert wide.data["scope"] == "cluster" and wide.data["database"] is None
        checked = k.verify(**who, **where, database="Sales", table="Events", mode="control-plane")
        assert checked.ok, checked.to_dict()["findings"]
        k.attach(identity="system", app="func-busy", resource_group="rg-app", slot="staging")
        sys_grant = k.grant(
            identity="system", app="func-busy", resource_group="rg-app", slot="staging",
            **where, database="Sales", role="viewer",
        )  # fmt: skip
        principal = _site(world, "staging").system_assigned["principal_id"]
        assert sys_grant.data["principalId"] == principal
        spec = k.spec(identity="system", resource_group="rg-app", **where, database="Sales",
                      role="viewer", apps=["func-busy"], slot="staging")  # fmt: skip
        k.revoke(spec, disable_system_identity=True)
        assert _site(world, "staging").system_assigned is None
        for bad in (
            {"role": "alldatabasesviewer", "database": "Sales"},
            {"role": "viewer", "database": "Sales", "table": "Events"},
            {"role": "viewer"},
        ):
            world.clear_log()
            with pytest.raises(UsageError):
                k.grant(**who, **where, **bad)
            assert world.requests() == []
        with pytest.raises(UsageError):
            k.grant(identity="system", resource_group="rg-app", **where, database="Sales",
                    role="viewer")  # fmt: skip
        with pytest.raises(UsageError):
            k.plan_revoke(k.spec(**who, **where, database="Sales", role="viewer",
                                 apps=["func-busy"]), disable_system_identity=True)  # fmt: skip


def test_verify_of_a_cluster_wide_role_wants_that_role_on_the_cluster(world, kustomi):
    _identity(kustomi)
    assert kustomi("grant", "--role", "alldatabasesviewer", *IDENT, *CL).exit_code == 0
    no = _verify(kustomi, "--role", "alldatabasesadmin")
    assert no.exit_code == 6 and _role(no)["status"] == "role_mismatch", no.stdout
    assert "AllDatabasesAdmin" in _role(no)["detail"]
    fix = _role(no)["hint"].removeprefix("grant it: ")
    assert "--database" not in fix
    assert kustomi(*fix.split()[1:]).exit_code == 0  # the fix, as printed
    assert _verify(kustomi, "--role", "alldatabasesadmin").exit_code == 0


def test_a_cluster_wide_assignment_still_being_made_is_role_pending(world, kustomi):
    world.world.clock.freeze()
    world.knobs(lro_seconds=120)
    ident = _identity(kustomi)
    from tests.emulator.helpers import client

    client("kusto").cluster_principal_assignments.begin_create_or_update(
        "rg-data", "adxbusy", "pending-1",
        {"properties": {"principalId": ident["clientId"], "role": "AllDatabasesViewer",
                        "principalType": "App", "tenantId": ident["tenantId"]}},
    )  # fmt: skip
    r = _verify(kustomi, "--role", "viewer")
    assert r.exit_code == 6 and _role(r)["status"] == "role_pending", r.stdout
    assert "pending-1" in _role(r)["detail"]


def test_verify_fix_for_a_system_identity_on_a_table_is_a_grant_that_runs(world, kustomi):
    where = (*CL, "--database", "Sales", "--table", "Events", "--mode", "control-plane")
    r = kustomi("-o", "json", "verify", *SYS, *where)
    assert r.exit_code == 6
    fix = _role(r)["hint"].split(": ", 1)[1]
    assert "--table" not in fix and "--identity system" in fix
    assert kustomi(*fix.split()[1:]).exit_code == 0, fix
    assert _role(kustomi("-o", "json", "verify", *SYS, *where))["status"] == "ok"


def test_verify_as_the_identity_where_there_is_no_endpoint_says_so_in_its_own_words(world, kustomi):
    """--mode identity on a laptop: no managed-identity endpoint here is the cause (not the
    app, not the identity), and no SDK log line reaches stderr."""
    r = kustomi("-o", "json", "verify", *SYS, *CL, "--database", "Sales", "--mode", "identity")
    assert r.exit_code == 6
    [token] = [f for f in r.json()["findings"] if f["check"] == "token"]
    assert token["status"] == "identity_unavailable"
    assert token["detail"].startswith("no managed-identity endpoint here"), token
    assert "attach" not in token["hint"]
    assert "get_token failed" not in r.stderr and "ImdsCredential" not in r.stderr, r.stderr


def test_setup_verify_from_a_laptop_adds_no_note_of_a_wait_nobody_asked_for(world, kustomi):
    _identity(kustomi)
    fleet = (*IDENT, *CL, "--database", "Sales", "--role", "viewer", "--app", "func-busy")
    r = kustomi("-o", "json", "--yes", "setup", *fleet, "--verify")
    assert r.exit_code == 0, r.stderr + r.stdout
    assert not any("--wait" in n for n in r.json()["notes"]), r.json()["notes"]


def test_alldatabasesadmin_is_granted_with_a_warning_that_it_is_far_more_than_needed(
    world, kustomi
):
    _identity(kustomi)
    r = kustomi("-o", "json", "grant", "--role", "alldatabasesadmin", *IDENT, *CL)
    assert r.exit_code == 0, r.stderr
    assert "far more than a binding needs" in r.stderr
    assert any("AllDatabasesAdmin is far more" in n for n in r.json()["notes"])
    plain = kustomi("-o", "json", "grant", "--role", "alldatabasesviewer", *IDENT, *CL)
    assert "far more" not in plain.stderr

"""Role rules against the emulator: which role an ARM assignment or a row of the cluster's
principal list gives the identity, and which held roles satisfy the role a binding needs."""

from __future__ import annotations

from tests.conftest import CL, G

IDENT = ("--identity", "id-func", *G)


def _identity(kustomi, name: str = "id-func") -> dict[str, str]:
    r = kustomi("-o", "json", "create-identity", *G, "-n", name)
    assert r.exit_code == 0, r.stderr
    return r.json()["data"]  # type: ignore[no-any-return]


def _grant(kustomi, role: str, *where: str, identity: str = "id-func"):
    r = kustomi("-o", "json", "grant", "--role", role, "--identity", identity, *G, *where)
    assert r.exit_code == 0, r.stderr
    return r


def _kql(world) -> tuple[str, ...]:
    return ("--cluster", f"{world.url}/kusto/adxbusy", "--database", "Sales", "--via", "kql")


def _cp(kustomi, *extra: str):
    """verify from the control plane, as the operator."""
    return kustomi(
        "-o",
        "json",
        "verify",
        *IDENT,
        *CL,
        "--database",
        "Sales",
        "--mode",
        "control-plane",
        *extra,
    )


def _status(result) -> dict[str, str]:
    return {f["check"]: f["status"] for f in result.json()["findings"]}


# --- grant and revoke: the role, not only the identity ----------------------------------------


def test_a_kql_grant_of_another_role_is_made_beside_the_one_held(world, kustomi):
    ident = _identity(kustomi)
    _grant(kustomi, "viewer", *_kql(world))
    world.clear_log()
    r = _grant(kustomi, "ingestor", *_kql(world))
    [change] = r.json()["changes"]
    assert change["kind"] == "create", change
    assert change["detail"].startswith(".add database Sales ingestors (")
    held = world.database("adxbusy", "Sales")["principals"]
    roles = sorted(p["role"] for p in held if p["fqn"] == ident["principalFqn"])
    assert roles == ["Ingestor", "Viewer"]
    assert [w["csl"].split(" (")[0] for w in world.writes()] == [".add database Sales ingestors"]


def test_a_kql_revoke_drops_only_the_role_named(world, kustomi):
    ident = _identity(kustomi)
    _grant(kustomi, "viewer", *_kql(world))
    _grant(kustomi, "ingestor", *_kql(world))
    r = kustomi("-o", "json", "--dry-run", "grant", "--role", "ingestor", *IDENT, *_kql(world))
    assert r.json()["changes"][0]["kind"] == "none"  # held: the second grant is a no-op
    revoke = (
        "--yes",
        "revoke",
        *IDENT,
        *_kql(world),
        "--role",
        "viewer",
        "--app",
        "func-busy",
    )
    out = kustomi("-o", "json", *revoke)
    assert out.exit_code == 0, out.stderr
    held = world.database("adxbusy", "Sales")["principals"]
    assert [p["role"] for p in held if p["fqn"] == ident["principalFqn"]] == ["Ingestor"]


def test_revoke_of_one_role_keeps_another_role_on_the_same_database(world, kustomi):
    ident = _identity(kustomi)
    _grant(kustomi, "viewer", *CL, "--database", "Sales")
    _grant(kustomi, "ingestor", *CL, "--database", "Sales")
    revoke = (
        "revoke",
        *IDENT,
        *CL,
        "--database",
        "Sales",
        "--role",
        "viewer",
        "--app",
        "func-busy",
    )
    plan = kustomi("-o", "json", "--dry-run", *revoke)
    assert plan.exit_code == 0, plan.stderr
    deletes = [c["target"] for c in plan.json()["changes"] if c["kind"] == "delete"]
    assert deletes == [f"Viewer on adxbusy/Sales for {ident['name']}"], deletes
    r = kustomi("-o", "json", "--yes", *revoke)
    assert r.exit_code == 0, r.stderr
    held = world.database("adxbusy", "Sales")["principals"]
    assert [p["role"] for p in held if p["app_id"] == ident["clientId"]] == ["Ingestor"]


# --- verify: which held roles satisfy the role asked for ---------------------------------------


def test_a_user_satisfies_viewer(world, kustomi):
    _identity(kustomi)
    _grant(kustomi, "user", *CL, "--database", "Sales")
    r = _cp(kustomi, "--role", "viewer")
    assert r.exit_code == 0, r.stdout
    assert _status(r)["role"] == "ok" and r.json()["data"]["rolesHeld"] == ["User"]


def test_a_viewer_does_not_satisfy_ingestor(world, kustomi):
    _identity(kustomi)
    _grant(kustomi, "viewer", *CL, "--database", "Sales")
    r = _cp(kustomi, "--role", "ingestor")
    assert r.exit_code == 6
    role = next(f for f in r.json()["findings"] if f["check"] == "role")
    assert role["status"] == "role_mismatch", role
    assert "an output binding needs Admin or Ingestor" in role["detail"]
    assert "kustomi grant --role ingestor" in role["hint"]


def test_a_kql_grant_of_another_principal_is_not_the_identitys(world, kustomi):
    _identity(kustomi)
    _identity(kustomi, "id-second")
    _grant(kustomi, "viewer", *_kql(world), identity="id-second")
    r = _cp(kustomi, "--role", "viewer")
    assert r.exit_code == 6
    assert _status(r)["role"] == "not_authorized"
    assert r.json()["data"]["rolesHeld"] == []


def test_an_app_with_only_another_identity_does_not_have_this_one(world, kustomi):
    _identity(kustomi)
    _grant(kustomi, "viewer", *CL, "--database", "Sales")
    assert world.site("rg-app", "func-busy")["user_assigned"]  # id-other is on it
    r = _cp(kustomi, "--role", "viewer", "--app", "func-busy")
    assert _status(r)["attached"] == "identity_not_attached"


def test_a_setting_pointing_at_another_database_is_the_wrong_target(world, kustomi):
    _identity(kustomi)
    _grant(kustomi, "viewer", *CL, "--database", "Sales")
    assert kustomi("attach", "--app", "func-busy", *IDENT).exit_code == 0
    other = ("set-connection", "--app", "func-busy", *G, *CL, "--database", "Sales Archive-2.0")
    assert kustomi(*other).exit_code == 0
    r = _cp(kustomi, "--role", "viewer", "--app", "func-busy")
    assert r.exit_code == 6
    setting = next(f for f in r.json()["findings"] if f["check"] == "setting")
    assert setting["status"] == "setting_wrong_target", setting
    assert "Sales Archive-2.0" in setting["detail"]


def test_a_viewer_whose_query_is_refused_is_not_ok(world, kustomi, monkeypatch):
    ident = _identity(kustomi)
    _grant(kustomi, "viewer", *CL, "--database", "Sales")
    assert kustomi("attach", "--app", "func-busy", *IDENT).exit_code == 0
    for k, v in world.app_env("func-busy", "rg-app").items():
        monkeypatch.setenv(k, v)
    world.faults([{"route": "kusto.data.query", "status": 403}])
    r = kustomi(
        "-o",
        "json",
        "verify",
        "--identity",
        ident["clientId"],
        "--cluster",
        f"{world.url}/kusto/adxbusy",
        "--database",
        "Sales",
        "--role",
        "viewer",
    )
    assert r.exit_code == 6, r.stdout
    assert _status(r)["role"] == "ok"
    assert _status(r)["query"] == "not_authorized"


def test_a_kql_grant_held_by_another_principal_is_still_made(world, kustomi):
    ident = _identity(kustomi)
    _identity(kustomi, "id-second")
    _grant(kustomi, "viewer", *_kql(world), identity="id-second")
    r = _grant(kustomi, "viewer", *_kql(world))
    assert r.json()["changes"][0]["kind"] == "create"
    held = world.database("adxbusy", "Sales")["principals"]
    assert [p["role"] for p in held if p["fqn"] == ident["principalFqn"]] == ["Viewer"]


def test_all_databases_admin_runs_the_query_as_the_identity(world, kustomi, monkeypatch):
    ident = _identity(kustomi)
    assert kustomi("attach", "--app", "func-busy", *IDENT).exit_code == 0
    cluster = world.world.clusters[("rg-data", "adxbusy")]
    cluster.admins.append((ident["clientId"], ident["principalId"]))  # no database role
    for k, v in world.app_env("func-busy", "rg-app").items():
        monkeypatch.setenv(k, v)
    world.clear_log()
    r = kustomi(
        "-o",
        "json",
        "verify",
        "--identity",
        ident["clientId"],
        "--cluster",
        f"{world.url}/kusto/adxbusy",
        "--database",
        "Sales",
        "--role",
        "viewer",
    )
    assert r.exit_code == 0, r.stdout
    assert r.json()["data"]["rolesHeld"] == ["AllDatabasesAdmin"]
    assert _status(r) == {"token": "ok", "cluster": "ok", "role": "ok", "query": "ok"}
    assert [q["route"] for q in world.requests()].count("kusto.data.query") == 1

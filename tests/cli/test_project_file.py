"""kustomi.toml: project defaults for command options. Flags win, then environment
variables, then the file; a key that is not an option is refused before any request."""

from __future__ import annotations

import pytest

from tests.cli.worlds import busy_world

PROJECT = """
resource-group = "rg-app"
app = "func-busy"
identity = "id-func"
cluster = "adxbusy"
cluster-resource-group = "rg-data"
database = "Sales"

[grant]
role = "viewer"
"""


@pytest.fixture
def world(emu_factory, tmp_path):
    (tmp_path / "kustomi.toml").write_text(PROJECT)
    return emu_factory(busy_world())


def test_the_whole_checklist_from_the_file(world, kustomi):
    ident = kustomi("-o", "json", "create-identity", "-n", "id-func")
    assert ident.exit_code == 0, ident.stderr
    assert ident.json()["data"]["resourceGroup"] == "rg-app"
    grant = kustomi("-o", "json", "grant")
    assert grant.exit_code == 0, grant.stderr
    assert grant.json()["data"]["role"] == "Viewer"
    assert [p["role"] for p in world.database("adxbusy", "Sales")["principals"]] == ["Viewer"]
    assert kustomi("attach").exit_code == 0
    conn = kustomi("-o", "json", "set-connection")
    assert conn.exit_code == 0, conn.stderr
    assert conn.json()["data"]["value"].endswith("/kusto/adxbusy;Database=Sales;")
    verify = kustomi("-o", "json", "verify", "--role", "viewer")
    assert verify.exit_code == 0, verify.stdout + verify.stderr


def test_flags_then_environment_then_file(world, kustomi, monkeypatch):
    _ = kustomi("create-identity", "-n", "id-func")
    # The file says Sales; the flag wins.
    r = kustomi("--dry-run", "-o", "json", "grant", "--database", "Sales Archive-2.0")
    assert r.exit_code == 0, r.stderr
    assert r.json()["data"]["database"] == "Sales Archive-2.0"
    # The environment wins over the file: a resource group with no identity of that name.
    monkeypatch.setenv("KUSTOMI_RESOURCE_GROUP", "rg-data")
    r = kustomi("--dry-run", "-o", "json", "create-identity", "-n", "id-func")
    assert r.exit_code == 0 and r.json()["data"]["resourceGroup"] == "rg-data"


def test_a_command_table_applies_to_that_command_only(world, kustomi):
    # role = "viewer" is for grant only: verify, asked for no role, accepts the Ingestor role
    # (had the table leaked into verify, it would report role_mismatch).
    _ = kustomi("create-identity", "-n", "id-func")
    assert kustomi("grant", "--role", "ingestor").exit_code == 0
    r = kustomi("-o", "json", "verify", "--mode", "control-plane")
    role = next(f for f in r.json()["findings"] if f["check"] == "role")
    assert role["status"] == "ok" and "Ingestor" in role["detail"]
    leaked = kustomi("-o", "json", "verify", "--mode", "control-plane", "--role", "viewer")
    assert {f["check"]: f["status"] for f in leaked.json()["findings"]}["role"] == "role_mismatch"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('resouce-group = "rg"\n', "resouce-group is not an option"),
        ('[grnat]\nrole = "viewer"\n', "[grnat] is not a command"),
        ('[grant]\napps = "func"\n', "apps in [grant] is not an option"),
        ("[set-connection]\nforce = true\n", "force in [set-connection] is not an option"),
        ('database = ["Sales"]\n', "database must be a string"),
        ('database = "Sales\n', "cannot be read"),
    ],
)
def test_a_bad_file_exits_2_before_any_request(world, kustomi, tmp_path, text, message):
    (tmp_path / "kustomi.toml").write_text(text)
    world.clear_log()
    r = kustomi("grant", "--role", "viewer")
    assert r.exit_code == 2, r.stdout + r.stderr
    assert message in r.stderr and "kustomi.toml" in r.stderr
    assert world.requests() == []


def test_kustomi_config_names_the_file(world, kustomi, tmp_path, monkeypatch):
    other = tmp_path / "elsewhere.toml"
    other.write_text('resource-group = "rg-data"\n')
    monkeypatch.setenv("KUSTOMI_CONFIG", str(other))
    r = kustomi("-v", "-o", "json", "--dry-run", "create-identity", "-n", "id-x")
    assert r.exit_code == 0 and r.json()["data"]["resourceGroup"] == "rg-data"
    assert "defaults from" in r.stderr and "elsewhere.toml" in r.stderr
    monkeypatch.setenv("KUSTOMI_CONFIG", str(tmp_path / "missing.toml"))
    r = kustomi("create-identity", "-n", "id-x")
    assert r.exit_code == 2 and "KUSTOMI_CONFIG" in r.stderr


def test_the_emulator_commands_ignore_the_file(world, kustomi, tmp_path):
    (tmp_path / "kustomi.toml").write_text("not toml at all [")
    r = kustomi("emulator", "--help")
    assert r.exit_code == 0

"""doctor --app: the deployed side of each binding, against the emulator, through the real
SDKs; the app is set up with kustomi's own commands, and doctor writes nothing."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import CL, G

SETTING = "KustoConnectionStringManagedIdentity"


def _identity(kustomi, name: str = "id-func") -> dict[str, str]:
    r = kustomi("-o", "json", "create-identity", *G, "-n", name)
    assert r.exit_code == 0, r.stderr
    return r.json()["data"]  # type: ignore[no-any-return]


def _grant(kustomi, role: str, name: str = "id-func") -> None:
    r = kustomi("grant", "--role", role, "--identity", name, *G, *CL, "--database", "Sales")
    assert r.exit_code == 0, r.stderr


def _attach(kustomi, name: str = "id-func") -> None:
    assert kustomi("attach", "--app", "func-busy", *G, "--identity", name).exit_code == 0


def _connect(kustomi, setting: str = SETTING) -> None:
    r = kustomi("set-connection", "--app", "func-busy", *G, *CL, "--database", "Sales",
                "--setting", setting)  # fmt: skip
    assert r.exit_code == 0, r.stderr


def _project(kustomi, root: Path, identity: str, direction: str = "input", **kw: str) -> Path:
    """A project holding the snippet kustomi prints: the binding is right by construction."""
    args = [f"--{k}={v}" for k, v in kw.items()]
    r = kustomi(
        "-o", "json", "snippet", "--lang", "csharp-isolated", "--direction", direction,
        "--client-id", identity, "--database", "Sales",
        *(("--table", "Events") if direction == "output" else ()), *args,
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    path = root / f"{direction}-{len(list(root.glob('*')))}.cs"
    root.mkdir(exist_ok=True)
    path.write_text(r.json()["data"]["code"])
    return root


def _doctor(kustomi, root: Path, *extra: str):
    return kustomi("-o", "json", "doctor", "--project", str(root), "--app", "func-busy", *G,
                   *extra)  # fmt: skip


def _status(r) -> dict[str, str]:
    return {f["check"]: f["status"] for f in r.json()["findings"]}


def test_a_healthy_input_binding_passes_and_nothing_is_written(world, kustomi, tmp_path):
    ident = _identity(kustomi)
    _grant(kustomi, "viewer")
    _attach(kustomi)
    _connect(kustomi)
    root = _project(kustomi, tmp_path / "p", ident["clientId"])
    world.clear_log()
    r = _doctor(kustomi, root)
    assert r.exit_code == 0, r.stdout
    assert _status(r) == {"binding": "ok", "setting": "ok", "attached": "ok", "role": "ok"}
    role = next(f for f in r.json()["findings"] if f["check"] == "role")
    assert "Viewer" in role["detail"] and "adxbusy/Sales" in role["detail"]
    assert world.writes() == []


def test_an_output_binding_needs_ingestor(world, kustomi, tmp_path):
    ident = _identity(kustomi)
    _grant(kustomi, "viewer")
    _attach(kustomi)
    _connect(kustomi)
    root = _project(kustomi, tmp_path / "p", ident["clientId"], "output")
    r = _doctor(kustomi, root)
    assert r.exit_code == 6
    assert _status(r)["role"] == "role_mismatch"
    role = next(f for f in r.json()["findings"] if f["check"] == "role")
    assert role["hint"].startswith(f"kustomi grant --role ingestor --identity {ident['clientId']}")
    lines = (root / role["file"]).read_text().splitlines()
    assert lines[role["line"] - 1].strip().startswith("[KustoOutput(Database:")
    _grant(kustomi, "ingestor")
    assert _doctor(kustomi, root).exit_code == 0


def test_nothing_set_up_on_the_app(world, kustomi, tmp_path):
    ident = _identity(kustomi)
    root = _project(kustomi, tmp_path / "p", ident["clientId"])
    r = _doctor(kustomi, root)
    assert r.exit_code == 6
    assert _status(r) == {
        "binding": "ok",
        "setting": "setting_missing",
        "attached": "identity_not_attached",
    }
    hints = {f["check"]: f["hint"] for f in r.json()["findings"]}
    assert hints["attached"] == (
        "kustomi attach --app func-busy -g rg-app --identity id-func "
        "--identity-resource-group rg-app"
    )
    assert hints["setting"].startswith("kustomi set-connection --app func-busy -g rg-app")
    assert f"--setting {SETTING}" in hints["setting"]


def test_no_role_at_all(world, kustomi, tmp_path):
    ident = _identity(kustomi)
    _attach(kustomi)
    _connect(kustomi)
    r = _doctor(kustomi, _project(kustomi, tmp_path / "p", ident["clientId"]))
    assert r.exit_code == 6 and _status(r)["role"] == "not_authorized"
    assert "--role viewer" in r.stdout


def test_setting_with_a_secret_is_named_not_shown(world, kustomi, tmp_path):
    ident = _identity(kustomi)
    _attach(kustomi)
    world.world.sites[("rg-app", "func-busy", "")].app_settings[SETTING] = (
        f"Data Source={world.url}/kusto/adxbusy;Database=Sales;AppKey=Sh0uldNotShow"
    )
    r = _doctor(kustomi, _project(kustomi, tmp_path / "p", ident["clientId"]))
    assert r.exit_code == 6 and _status(r)["setting"] == "setting_has_secret"
    assert "Sh0uldNotShow" not in r.stdout + r.stderr


def test_setting_in_connection_strings_form_and_wrong_cluster(world, kustomi, tmp_path):
    ident = _identity(kustomi)
    _grant(kustomi, "viewer")
    _attach(kustomi)
    settings = world.world.sites[("rg-app", "func-busy", "")].app_settings
    settings[f"ConnectionStrings__{SETTING}"] = "Data Source=https://127.0.0.1:9/kusto/nope;"
    r = _doctor(kustomi, _project(kustomi, tmp_path / "p", ident["clientId"]))
    assert _status(r)["target"] == "setting_wrong_target"
    settings[f"ConnectionStrings__{SETTING}"] = f"Data Source={world.url}/kusto/adxbusy;"
    r = _doctor(kustomi, tmp_path / "p")
    assert r.exit_code == 0, r.stdout
    # --cluster names the cluster every setting must point at.
    world.world.clusters[("rg-data", "adxother")] = world.world.clusters[("rg-data", "adxbusy")]
    r = _doctor(kustomi, tmp_path / "p", "--cluster", f"{world.url}/kusto/adxother")
    assert _status(r)["target"] == "setting_wrong_target"


def test_object_id_unknown_client_id_and_setting_reference(world, kustomi, tmp_path):
    ident = _identity(kustomi)
    _attach(kustomi)
    _connect(kustomi)
    r = _doctor(kustomi, _project(kustomi, tmp_path / "a", ident["principalId"]))
    assert _status(r)["attached"] == "identity_not_attached"
    assert "principal (object) id" in r.stdout and ident["clientId"] in r.stdout
    r = _doctor(kustomi, _project(kustomi, tmp_path / "b", "00000000-0000-0000-0000-0000000000aa"))
    assert _status(r)["attached"] == "identity_not_found"
    # %Setting% is resolved from the app's settings before it is compared.
    world.world.sites[("rg-app", "func-busy", "")].app_settings["OrdersIdentity"] = ident[
        "clientId"
    ]
    code = (
        (tmp_path / "a" / "input-0.cs")
        .read_text()
        .replace(ident["principalId"], "%OrdersIdentity%")
    )
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "F.cs").write_text(code)
    r = _doctor(kustomi, tmp_path / "c")
    assert _status(r)["attached"] == "ok"
    (tmp_path / "c" / "F.cs").write_text(code.replace("%OrdersIdentity%", "%Missing%"))
    assert _status(_doctor(kustomi, tmp_path / "c"))["identity"] == "setting_missing"


def test_system_identity(world, kustomi, tmp_path):
    _connect(kustomi)
    root = _project(kustomi, tmp_path / "p", "00000000-0000-0000-0000-000000000001")
    path = next(root.glob("*.cs"))
    path.write_text(path.read_text().replace("00000000-0000-0000-0000-000000000001", "system"))
    r = _doctor(kustomi, root)
    assert _status(r)["attached"] == "ok"  # func-busy has a system-assigned identity
    assert _status(r)["role"] == "not_authorized"
    role = next(f for f in r.json()["findings"] if f["check"] == "role")
    assert role["hint"].startswith("kustomi grant --role viewer --identity system --app func-busy")
    assert kustomi(*role["hint"].split()[1:]).exit_code == 0  # the fix, as printed
    assert _status(_doctor(kustomi, root))["role"] == "ok"
    world.world.sites[("rg-app", "func-busy", "")].system_assigned = None
    r = _doctor(kustomi, root)
    assert _status(r)["attached"] == "identity_not_attached"
    attached = next(f for f in r.json()["findings"] if f["check"] == "attached")
    assert attached["hint"].startswith("turn it on: kustomi attach --identity system")
    fix = attached["hint"].removeprefix("turn it on: ").split(", or")[0]
    assert kustomi(*fix.split()[1:]).exit_code == 0
    assert _site_system(world) is not None


def _site_system(world):
    return world.world.sites[("rg-app", "func-busy", "")].system_assigned


def test_app_from_the_project_file(world, kustomi, tmp_path, monkeypatch):
    ident = _identity(kustomi)
    root = _project(kustomi, tmp_path / "p", ident["clientId"])
    (tmp_path / "kustomi.toml").write_text('app = "func-busy"\nresource-group = "rg-app"\n')
    r = kustomi("-o", "json", "doctor", "--project", str(root))
    assert r.json()["data"]["app"] == "func-busy"
    assert _status(r)["setting"] == "setting_missing"


def test_missing_app_is_exit_3_and_bad_app_name_exit_2(world, kustomi, tmp_path):
    root = _project(kustomi, tmp_path / "p", "00000000-0000-0000-0000-000000000001")
    r = kustomi("doctor", "--project", str(root), "--app", "func-nope", *G)
    assert r.exit_code == 3
    world.clear_log()
    r = kustomi("doctor", "--project", str(root), "--app", "bad_name", *G)
    assert r.exit_code == 2 and "bad_name" in r.stderr and world.requests() == []


def test_each_setting_is_checked_against_its_own_cluster(world, kustomi, tmp_path):
    ident = _identity(kustomi)
    _grant(kustomi, "viewer")
    _attach(kustomi)
    _connect(kustomi)
    root = _project(kustomi, tmp_path / "p", ident["clientId"])
    _project(kustomi, root, ident["clientId"], setting="KustoElsewhere")
    world.world.sites[("rg-app", "func-busy", "")].app_settings["KustoElsewhere"] = (
        "Data Source=https://127.0.0.1:9/kusto/gone;Database=Sales;"
    )
    r = _doctor(kustomi, root)
    statuses = sorted((f["check"], f["status"]) for f in r.json()["findings"])
    assert ("role", "ok") in statuses and ("target", "setting_wrong_target") in statuses
    wrong = next(f for f in r.json()["findings"] if f["check"] == "target")
    assert wrong["file"] == "input-1.cs" and "127.0.0.1:9/kusto/gone" in wrong["detail"]
    assert "is no cluster in the subscription" in wrong["detail"]


def test_a_table_ingestor_serves_an_output_binding_to_that_table(world, kustomi, tmp_path):
    """The smallest role for an output binding: ingestor on its table. doctor's fix grants
    that, and counts it once held; a table ingestor of another table does not count."""
    ident = _identity(kustomi)
    _attach(kustomi)
    _connect(kustomi)
    root = _project(kustomi, tmp_path / "p", ident["clientId"], "output")  # TableName Events
    where = ("--identity", "id-func", *G, *CL, "--database", "Sales")
    r = kustomi("grant", "--role", "ingestor", *where, "--table", "Orders Log")
    assert r.exit_code == 0, r.stderr
    first = _doctor(kustomi, root)
    assert first.exit_code == 6
    role = next(f for f in first.json()["findings"] if f["check"] == "role")
    assert role["status"] == "not_authorized" and "adxbusy/Sales/Events" in role["detail"]
    assert role["hint"].endswith("--database Sales --table Events"), role["hint"]
    assert kustomi(*role["hint"].split()[1:]).exit_code == 0  # the fix, run as printed
    assert _doctor(kustomi, root).exit_code == 0


def test_a_cluster_wide_viewer_serves_an_input_binding(world, kustomi, tmp_path):
    ident = _identity(kustomi)
    _attach(kustomi)
    _connect(kustomi)
    root = _project(kustomi, tmp_path / "p", ident["clientId"])
    r = kustomi("grant", "--role", "alldatabasesviewer", "--identity", "id-func", *G, *CL)
    assert r.exit_code == 0, r.stderr
    ok = _doctor(kustomi, root)
    assert ok.exit_code == 0, ok.stdout
    role = next(f for f in ok.json()["findings"] if f["check"] == "role")
    assert "AllDatabasesViewer" in role["detail"]


# The binding of hfleitas/SignalRToKusto (https://github.com/hfleitas/SignalRToKusto,
# ConsumeSignalRMessages.cs): Database and TableName are %Setting% references, which the host
# resolves from the app's settings ([AutoResolve] on KustoAttribute.Database).
SIGNALR_TO_KUSTO = """\
    public class ConsumeSignalRMessages
    {{
        [FunctionName("TrimbleNotificationToKusto24")]
        public void TrimbleNotificationToKusto(
        [TimerTrigger("* */5 * * * *", RunOnStartup = true)] TimerInfo timer, ILogger logger,
        [Kusto(Database: "%KustoDB%", TableName = "%KustoTable%", Connection = "{setting}",
               ManagedServiceIdentity = "{client_id}")] IAsyncCollector<string> notifications)
        {{
        }}
    }}
"""


def test_a_database_named_by_a_setting_is_the_settings_value(world, kustomi, tmp_path):
    ident = _identity(kustomi)
    _grant(kustomi, "ingestor")
    _attach(kustomi)
    _connect(kustomi)
    root = tmp_path / "p"
    root.mkdir()
    code = SIGNALR_TO_KUSTO.format(setting=SETTING, client_id=ident["clientId"])
    (root / "ConsumeSignalRMessages.cs").write_text(code)
    settings = world.world.sites[("rg-app", "func-busy", "")].app_settings
    settings["KustoDB"] = "Sales"
    # Every [AutoResolve] property's %Name% must be a setting: TableName's too.
    r = _doctor(kustomi, root)
    assert r.exit_code == 6
    table = next(f for f in r.json()["findings"] if f["status"] == "setting_missing")
    assert table["check"] == "setting" and "TableName is %KustoTable%" in table["detail"]
    assert table["hint"] == "add the setting KustoTable = <tableName> to func-busy"
    assert _status(r)["role"] == "ok"  # the database is known all the same
    settings["KustoTable"] = "Events"
    r = _doctor(kustomi, root)
    assert r.exit_code == 0, r.stdout
    role = next(f for f in r.json()["findings"] if f["check"] == "role")
    assert role["status"] == "ok" and "adxbusy/Sales" in role["detail"]
    assert "adxbusy/Sales/Events" in role["detail"]  # the table the setting names
    assert "%KustoDB%" not in r.stdout and "%KustoTable%" not in r.stdout  # never looked up
    del settings["KustoDB"]
    r = _doctor(kustomi, root)
    assert r.exit_code == 6
    assert _status(r)["database"] == "setting_missing"
    missing = next(f for f in r.json()["findings"] if f["check"] == "database")
    assert missing["file"] == "ConsumeSignalRMessages.cs" and missing["line"] == 6
    assert "no setting KustoDB" in missing["detail"]
    assert missing["hint"] == "add the setting KustoDB = <database> to func-busy"
    assert "role" not in _status(r)  # no role is looked up on a database it cannot name
    # A binding expression is bound when the function runs: said, not taken for a database.
    (root / "ConsumeSignalRMessages.cs").write_text(code.replace("%KustoDB%", "{Query.db}"))
    r = _doctor(kustomi, root)
    assert r.exit_code == 0, r.stdout
    assert "role" not in _status(r)
    assert any(
        "Database {Query.db} is bound when the function runs" in n for n in r.json()["notes"]
    )


def test_a_connection_in_the_apps_connection_strings_is_found(world, kustomi, tmp_path):
    """App Service's Connection strings (not app settings) reach the host as
    ConnectionStrings:<name>, which it reads a binding's Connection from first: no
    setting_missing for them, and their secrets are found as an app setting's are."""
    ident = _identity(kustomi)
    _grant(kustomi, "viewer")
    _attach(kustomi)
    root = _project(kustomi, tmp_path / "p", ident["clientId"], setting="KustoOrders")
    site = world.world.sites[("rg-app", "func-busy", "")]
    assert "KustoOrders" not in site.app_settings
    site.connection_strings["KustoOrders"] = {
        "value": f"Data Source={world.url}/kusto/adxbusy;Database=Sales;",
        "type": "Custom",
    }
    world.clear_log()
    r = _doctor(kustomi, root)
    assert r.exit_code == 0, r.stdout
    assert _status(r) == {"binding": "ok", "setting": "ok", "attached": "ok", "role": "ok"}
    assert "ConnectionStrings:KustoOrders" in r.stdout
    assert world.writes() == []
    site.connection_strings["KustoOrders"]["value"] += "AppKey=Sh0uldNotShow"
    r = _doctor(kustomi, root)
    assert r.exit_code == 6 and _status(r)["setting"] == "setting_has_secret"
    assert "Sh0uldNotShow" not in r.stdout + r.stderr

"""doctor on code shaped as real projects write it: the extension's own public samples (copied
in projects/public-samples, provenance in its SOURCES.md), and the shapes they and users
write: several functions per file, blueprints, constants and variables declared elsewhere,
options objects built from variables, imperative IBinder bindings. No crash, no false
finding; what cannot be known from the source is said once, in a note; and what the
extension refuses when it indexes a function is found, at its file and line, with a fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kustomi.bindings.checks import code_findings, unresolved
from kustomi.bindings.scan import scan

SAMPLES = Path(__file__).resolve().parent / "projects" / "public-samples"
CLIENT_ID = "6f4c319d-7b85-4743-9f50-ae5a69cd79d6"
GOOD = f"connection: 'KustoConn', managedServiceIdentity: '{CLIENT_ID}'"


def test_every_binding_of_the_public_samples_is_read_and_right():
    project = scan(SAMPLES)
    per_sample: dict[str, int] = {}
    for b in project.bindings:
        top = b.file.split("/")[0]
        per_sample[top] = per_sample.get(top, 0) + 1
    assert per_sample == {
        "samples-blob-ingest": 1,
        "samples-csharp": 5,
        "samples-java": 3,
        "samples-node": 2,
        "samples-outofproc": 3,
        "samples-powershell": 1,
        "samples-python": 2,
    }
    assert project.unreadable == []
    # Constants of another file (SampleConstants.DatabaseName, Constants.SDKTESTSDB, a static
    # import) are read: every Database is known, and none is taken for a mistake.
    assert {b.get("Database").value for b in project.bindings} == {"e2e"}
    assert unresolved(project) is None
    bad = {f.status for f in code_findings(project) if f.status != "ok"}
    assert bad == {"identity_missing"}  # the samples name no identity: true of every one
    by_fn = {(b.file.rsplit("/", 1)[-1], b.line): b for b in project.bindings}
    timer = by_fn[("TimeBasedExport.cs", 30)]  # new KustoAttribute(...) { ... } -> BindAsync
    assert timer.imperative and timer.direction == "in" and timer.function == "TimeBasedExport"
    assert timer.get("KqlCommand").value.startswith("declare query_parameters")
    ingest = by_fn[("IngestBlobToKusto.cs", 29)]
    assert ingest.imperative and ingest.get("KqlCommand").value is None  # an interpolation
    assert {b.direction for b in project.bindings if b.file.endswith("AddMultiTable.cs")} == {"out"}
    assert by_fn[("AddProducts.cs", 13)].direction == "out"  # [KustoOutput] on the method
    tables = {b.get("TableName").value for b in project.bindings if b.direction == "out"}
    assert "ProductsChangeLog" in tables and None not in tables


def test_the_cli_on_the_public_samples_adds_no_note_of_unknown_values(kustomi):
    r = kustomi("-o", "json", "doctor", "--project", str(SAMPLES))
    assert r.exit_code == 6  # identity_missing
    assert r.json()["data"]["bindings"] == 17
    assert not [n for n in r.json()["notes"] if "not known from the source" in n]


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def statuses(root: Path) -> list[tuple[str, str, int]]:
    return sorted((f.status, f.file or "", f.line or 0) for f in code_findings(scan(root)))


def test_python_blueprints_constants_and_options(tmp_path):
    write(tmp_path, {
        "settings.py": f'DATABASE = "Orders"\nIDENTITY = "{CLIENT_ID}"\n',
        "function_app.py": (
            "import azure.functions as func\nfrom blueprints import bp\n\n"
            "app = func.FunctionApp()\napp.register_functions(bp)\n"
        ),
        "blueprints.py": (
            "import azure.functions as func\nfrom settings import DATABASE, IDENTITY\n\n"
            'KUSTO = "kusto"\nTABLE = "Events"\n'
            "COMMON = dict(type=KUSTO, connection='KustoConn', managedServiceIdentity=IDENTITY)\n"
            "bp = func.Blueprint()\n\n\n"
            '@bp.function_name(name="GetRows")\n@bp.route(route="rows")\n'
            '@bp.generic_input_binding(arg_name="rows", database=DATABASE,\n'
            '    kql_command=f"{TABLE} | take 10", **COMMON)\n'
            "def get_rows(req, rows):\n    return rows\n\n\n"
            '@bp.route(route="add")\n'
            '@bp.generic_output_binding(arg_name="row", type=KUSTO, database=DATABASE,\n'
            "    table_name=TABLE, connection='KustoConn', managed_service_identity=IDENTITY)\n"
            "def add_row(req, row):\n    row.set('{}')\n"
        ),
    })  # fmt: skip
    project = scan(tmp_path)
    found = {b.function: b for b in project.bindings}
    assert set(found) == {"GetRows", "add_row"}
    assert found["GetRows"].get("KqlCommand").value == "Events | take 10"
    assert found["add_row"].get("TableName").value == "Events"
    assert statuses(tmp_path) == [
        ("ok", "blueprints.py", 12),
        ("ok", "blueprints.py", 19),
    ]


def test_javascript_options_from_variables_spreads_and_app_generic(tmp_path):
    write(tmp_path, {
        "src/config.js": "export const DB = 'Orders';\n",
        "src/functions/rows.js": (
            "const { app, input, output, trigger } = require('@azure/functions');\n"
            "const { DB } = require('../config');\n"
            f"const base = {{ type: 'kusto', {GOOD} }};\n"
            "const TABLE = 'Events';\n"
            "const queryOptions = { ...base, database: DB, kqlCommand: `${TABLE} | take 10` };\n"
            "const rowsIn = input.generic(queryOptions);\n\n"
            "app.generic('exportRows', {\n"
            "    trigger: trigger.generic({ type: 'timerTrigger', schedule: '0 */5 * * * *' }),\n"
            "    extraInputs: [rowsIn],\n"
            "    return: output.generic({ ...base, database: DB, tableName: TABLE }),\n"
            "    handler: async (timer, context) => context.extraInputs.get(rowsIn),\n"
            "});\n"
        ),
    })  # fmt: skip
    project = scan(tmp_path)
    assert [(b.function, b.direction) for b in project.bindings] == [
        ("exportRows/rowsIn", "in"),
        ("exportRows", "out"),
    ]
    assert project.bindings[0].get("KqlCommand").value == "Events | take 10"
    assert project.bindings[1].get("Database").value == "Orders"
    assert [s for s, _, _ in statuses(tmp_path)] == ["ok", "ok"]


def test_csharp_several_functions_and_constants_of_the_file(tmp_path):
    write(tmp_path, {
        "Functions.cs": (
            "using Microsoft.Azure.Functions.Worker;\n"
            "using Microsoft.Azure.Functions.Worker.Extensions.Kusto;\n"
            "public static class Names\n{\n"
            '    public const string Db = "Orders";\n'
            '    public const string Conn = "Kusto" + "Conn";\n'
            f'    public const string Id = "{CLIENT_ID}";\n'
            "}\n"
            "public static class Functions\n{\n"
            '    private const string Query = "Orders | take 10";\n'
            "    [Function(nameof(GetOrders))]\n"
            "    public static string GetOrders([KustoInput(Names.Db, KqlCommand = Query,\n"
            "        Connection = Names.Conn, ManagedServiceIdentity = Names.Id)] string rows)\n"
            "        => rows;\n"
            "    [Function(\"AddOrder\")]\n"
            "    [KustoOutput(Database: Names.Db, TableName = \"Orders\",\n"
            "        Connection = Names.Conn, ManagedServiceIdentity = Names.Id)]\n"
            "    public static string AddOrder(string body) => body;\n"
            "}\n"
        ),
    })  # fmt: skip
    found = {b.function: b for b in scan(tmp_path).bindings}
    assert set(found) == {"GetOrders", "AddOrder"}
    assert found["GetOrders"].get("Connection").value == "KustoConn"
    assert [s for s, _, _ in statuses(tmp_path)] == ["ok", "ok"]


def test_what_is_not_known_from_the_source_is_said_once_not_as_a_finding(kustomi, tmp_path):
    write(tmp_path, {
        "function_app.py": (
            "import os\nimport azure.functions as func\napp = func.FunctionApp()\n\n"
            "@app.generic_input_binding(arg_name='rows', type='kusto',\n"
            "    database=os.environ['KUSTO_DB'], kqlCommand='T | take 1',\n"
            f"    connection='KustoConn', managedServiceIdentity='{CLIENT_ID}')\n"
            "def rows(req, rows):\n    return rows\n"
        ),
    })  # fmt: skip
    r = kustomi("-o", "json", "doctor", "--project", str(tmp_path))
    assert r.exit_code == 0, r.stdout
    assert [f["status"] for f in r.json()["findings"]] == ["ok"]
    said = [n for n in r.json()["notes"] if "not known from the source" in n]
    assert said == [
        "1 value(s) are not known from the source, so what depends on them was not checked: "
        "function_app.py:6 database = os.environ['KUSTO_DB']"
    ]


# --- what the extension refuses when it indexes a function ------------------------------------


@pytest.mark.parametrize(
    ("files", "want"),
    [
        (
            {"F/function.json": json.dumps({"bindings": [{
                "type": "kusto", "direction": "in", "name": "rows", "kqlCommand": "T",
                "connection": "KustoConn", "managedServiceIdentity": CLIENT_ID}]}, indent=1)},
            [("database_missing", "F/function.json", 3, '"database": "<db>"')],
        ),
        (
            {"F.cs": (
                "public static class F {\n  [Function(\"F\")]\n  public static string Run(\n"
                "    [KustoInput(Database: \"\", KqlCommand = \"T\", Connection = \"KustoConn\",\n"
                f"      ManagedServiceIdentity = \"{CLIENT_ID}\")] string rows) => rows;\n}}\n")},
            [("database_missing", "F.cs", 4, 'Database: "<db>"')],
        ),
        (
            {"src/f.ts": (
                "import { app, input } from '@azure/functions';\n"
                f"const rows = input.generic({{ type: 'kusto', database: 'Orders', {GOOD} }});\n")},
            [("kql_command_missing", "src/f.ts", 2, "kqlCommand: '<KQL query")],
        ),
        (
            {"Out.java": (
                "public class Out {\n  @FunctionName(\"Out\")\n  public void run(\n"
                "    @KustoOutput(name = \"row\", database = \"Orders\", tableName = \"\",\n"
                f"      connection = \"KustoConn\", managedServiceIdentity = \"{CLIENT_ID}\")\n"
                "    OutputBinding<String> row) {}\n}\n")},
            [("table_name_missing", "Out.java", 4, 'tableName = "<table>"')],
        ),
        (
            {"Timer.cs": (
                "public static class Timer {\n  [FunctionName(\"Export\")]\n"
                "  public static async Task Run(IBinder binder) {\n"
                "    var a = new KustoAttribute(\"Orders\") { KqlCommand = \"T | take 1\" };\n"
                f"    a.ManagedServiceIdentity = \"{CLIENT_ID}\";\n"
                "    var rows = await binder.BindAsync<JArray>(a);\n  }\n}\n")},
            [("connection_missing", "Timer.cs", 4, 'Connection = "KustoConnectionString')],
        ),
    ],
)  # fmt: skip
def test_what_the_extension_refuses_is_found_with_its_fix(tmp_path, files, want):
    write(tmp_path, files)
    findings = [f for f in code_findings(scan(tmp_path)) if f.status != "ok"]
    got = [(f.status, f.file, f.line) for f in findings]
    assert got == [w[:3] for w in want], [(f.status, f.file, f.line, f.detail) for f in findings]
    for f, w in zip(findings, want, strict=True):
        assert w[3] in f.hint, f.hint


# Azure/azure-functions-templates Functions.Templates/Templates/KustoInputBinding-Python/
# function.json (https://github.com/Azure/azure-functions-templates), the bindings object cut
# to the Kusto one: doctor pointed at the function's own folder, function.json at its root.
TEMPLATE_FUNCTION_JSON = """{
    "scriptFile": "__init__.py",
    "bindings": [
      {
        "name": "products",
        "type": "kusto",
        "database": "db",
        "direction": "in",
        "kqlCommand": "QUERY",
        "kqlParameters": "@productId={productId}",
        "connection": "KustoConnectionString"
      }
    ]
  }""".replace(
    "QUERY", "declare query_parameters (productId:long);Products | where ProductID == productId"
)


def test_a_function_json_at_the_root_is_named_after_its_folder(kustomi, tmp_path, monkeypatch):
    root = write(tmp_path / "KustoInputBinding-Python", {"function.json": TEMPLATE_FUNCTION_JSON})
    [b] = scan(root).bindings
    assert (b.function, b.direction, b.line) == ("KustoInputBinding-Python/products", "in", 4)
    monkeypatch.chdir(root)  # `kustomi doctor` in the folder: the project is "."
    r = kustomi("-o", "json", "doctor")
    [f] = r.json()["findings"]
    assert f["status"] == "identity_missing"  # true: the template names no identity
    assert f["detail"].startswith("function.json:4: KustoInputBinding-Python/products (input")


def test_the_project_may_be_given_as_a_path(kustomi):
    """`kustomi doctor samples/samples-node`, as one points a linter at a folder."""
    node = str(SAMPLES / "samples-node")
    by_path = kustomi("-o", "json", "doctor", node)
    by_option = kustomi("-o", "json", "doctor", "--project", node)
    assert by_path.exit_code == by_option.exit_code == 6  # identity_missing: true of them
    assert by_path.json()["findings"] == by_option.json()["findings"]
    assert by_path.json()["data"]["bindings"] == 2
    assert kustomi("-o", "json", "doctor", node, "--project", node).exit_code == 6  # the same
    both = kustomi("doctor", node, "--project", str(SAMPLES / "samples-java"))
    assert both.exit_code == 2 and "Two projects" in both.stderr
    assert both.json()["error"]["exitCode"] == 2  # not a terminal: the error as JSON too
    empty = kustomi("doctor", "")
    assert empty.exit_code == 2 and "PATH is empty" in empty.stderr


# local.settings.json as hfleitas/SignalRToKusto's README ships it
# (https://github.com/hfleitas/SignalRToKusto, README.md), cut to the Kusto values.
README_LOCAL_SETTINGS = """{
    "IsEncrypted": false,
    "Values": {
        "FUNCTIONS_WORKER_RUNTIME": "dotnet",
        "KustoConnectionString": "CONNECTION",
        "KustoDB": "<DatabaseName>"
    }
}""".replace(
    "CONNECTION",
    "Data Source=https://<kustocluster>.<region>.kusto.windows.net;Database=e2e;Fed=True;"
    "AppClientId=<AppId>;AppKey=<AppKey>;Authority Id=<Tenant Id>",
)
SIGNALR_BINDING = """public class ConsumeSignalRMessages {
    [FunctionName("TrimbleNotificationToKusto24")]
    public void TrimbleNotificationToKusto([TimerTrigger("* */5 * * * *")] TimerInfo timer,
        [Kusto(Database: "%KustoDB%", TableName = "%KustoTable%",
               Connection = "KustoConnectionString")] IAsyncCollector<string> notifications) { }
}"""


@pytest.mark.parametrize(
    ("app_key", "secret"),
    [("<AppKey>", False), ("{app-key}", False), ("xxxxxxxx", False), ("q8Hw.Zt3~k", True)],
)
def test_a_placeholder_in_local_settings_is_no_secret(tmp_path, app_key, secret):
    """A template's AppKey=<AppKey> is nothing to rotate; a key that is one is."""
    text = README_LOCAL_SETTINGS.replace("<AppKey>", app_key)
    root = write(tmp_path, {"local.settings.json": text, "Consume.cs": SIGNALR_BINDING})
    assert scan(root).unreadable == [] and len(scan(root).local_settings) == 3
    found = statuses(root)
    assert ("identity_missing", "Consume.cs", 4) in found  # true: no identity named
    assert (("local_setting_has_secret", "local.settings.json", 5) in found) == secret
    assert len(found) == 1 + secret


def test_an_isolated_output_on_a_property_of_the_return_type_is_named_by_it(tmp_path):
    """The isolated worker's several outputs are properties of the type the function returns
    (https://learn.microsoft.com/azure/azure-functions/dotnet-isolated-process-guide,
    "Multiple output bindings"): the binding is that property, named Type.Property, not '?'."""
    code = f"""public class AddProductMulti
{{
    [Function("AddProductMulti")]
    public static MultiResponse Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post")] HttpRequestData req)
        => new MultiResponse();
}}

public class MultiResponse
{{
    [KustoOutput(Database: "e2e", TableName = "Products", Connection = "KustoConnectionString",
        ManagedServiceIdentity = "{CLIENT_ID}")]
    public Product Product {{ get; set; }}
    public HttpResponseData HttpResponse {{ get; set; }}
}}
"""
    root = write(tmp_path, {"Multi.cs": code})
    [b] = scan(root).bindings
    assert (b.function, b.direction, b.model, b.line) == (
        "MultiResponse.Product", "out", "csharp-isolated", 11,
    )  # fmt: skip
    assert statuses(root) == [("ok", "Multi.cs", 11)]


@pytest.mark.parametrize(
    "declared",
    [
        "module.exports.kustoInput = ",
        "exports.kustoInput = ",
        "export const kustoInput = ",
        "const bindings = { kustoInput: ",
    ],
)
def test_a_v4_binding_kept_in_a_module_of_bindings_is_named_by_its_key(tmp_path, declared):
    """One module holds the bindings that functions in other files register (extraInputs:
    [kustoInput]): each is named by the name it is kept under, not '?'."""
    close = " };" if declared.startswith("const bindings") else ";"
    code = (
        "const { input } = require('@azure/functions');\n"
        f"{declared}input.generic({{\n"
        "    type: 'kusto', database: 'e2e', kqlCommand: 'Products | take 10',\n"
        f"    connection: 'KustoConnectionString', managedServiceIdentity: '{CLIENT_ID}',\n"
        f"}}){close}\n"
    )
    root = write(tmp_path, {"src/bindings.js": code})
    [b] = scan(root).bindings
    assert (b.function, b.direction, b.line) == ("kustoInput", "in", 2)
    assert statuses(root) == [("ok", "src/bindings.js", 2)]


def test_a_v4_bindings_own_keys_are_no_unknown_property(tmp_path):
    """`direction` and `dataType` belong to the binding, as in function.json (v4 code writes
    them: `output.generic({ type: 'socketio', direction: 'out', ... })`); a misspelt Kusto
    property beside them is still found."""
    code = (
        "const { app, input } = require('@azure/functions');\n"
        "const kustoInput = input.generic({\n"
        "    type: 'kusto', direction: 'in', name: 'products', dataType: 'string',\n"
        "    database: 'e2e', kqlCommand: 'Products | take 10',\n"
        f"    connection: 'KustoConnectionString', managedServiceIdentity: '{CLIENT_ID}',\n"
        "});\n"
        "app.http('GetProducts', { extraInputs: [kustoInput], handler: async () => ({}) });\n"
    )
    root = write(tmp_path, {"src/functions/get.js": code})
    assert statuses(root) == [("ok", "src/functions/get.js", 2)]
    (root / "src/functions/get.js").write_text(code.replace("kqlCommand", "kqlComand"))
    found = statuses(root)
    assert ("unknown_property", "src/functions/get.js", 4) in found
    assert ("kql_command_missing", "src/functions/get.js", 2) in found


# Azure/Webjobs.Extensions.Kusto samples/samples-csharp/InputBindingSamples/
# GetProductsFunctionManagedIdentity.cs (https://github.com/Azure/Webjobs.Extensions.Kusto),
# the function alone, the database written in place of SampleConstants.DatabaseName.
MI_SAMPLE = """public static class GetProductsFunctionManagedIdentity
{
    [FunctionName("GetProductsFunctionManagedIdentity")]
    public static IActionResult Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "getproductsmi/{name}")]
        HttpRequest req,
        [Kusto(Database:"e2e" ,
        KqlCommand = "declare query_parameters (name:string);GetProductsByName(name)" ,
        KqlParameters = "@name={name}",
        Connection = "KustoConnectionStringManagedIdentity", ManagedServiceIdentity ="IDENTITY")]
        IEnumerable<Product> products)
    {
        return new OkObjectResult(products);
    }
}
"""


def test_bindings_of_two_apps_in_one_repository_never_share_a_connection(tmp_path):
    """A repository of several Functions projects (the extension's own samples: one host.json
    each), checked from its root as CI does: each app has its own client cache, so one
    Connection with two identities in two apps is no finding; in one app, it is."""
    other = "00000000-0000-0000-0000-0000000000aa"
    mine = MI_SAMPLE.replace("IDENTITY", "ed501a5f-e46e-4ca0-9bc0-27a46c7799ff")
    theirs = MI_SAMPLE.replace("IDENTITY", other).replace(
        "class GetProductsFunctionManagedIdentity", "class GetProductsOther"
    )
    root = write(tmp_path, {
        "samples-csharp/host.json": "{}",
        "samples-csharp/GetProductsFunctionManagedIdentity.cs": mine,
        "samples-other/host.json": "{}",
        "samples-other/GetProductsOther.cs": theirs,
    })  # fmt: skip
    project = scan(root)
    assert [b.app for b in project.bindings] == ["samples-csharp", "samples-other"]
    assert [s for s, _, _ in statuses(root)] == ["ok", "ok"]
    for app in ("samples-csharp", "samples-other"):  # one app: the second identity is lost
        (root / app / "host.json").unlink()
    (root / "host.json").write_text("{}")
    found = statuses(root)
    assert ("connection_shared", "samples-other/GetProductsOther.cs", 10) in found


# Azure/Webjobs.Extensions.Kusto test/UnitTests/KustoBindingE2EMockTests.cs
# (https://github.com/Azure/Webjobs.Extensions.Kusto), cut to its constants and the three
# bindings its tests InvalidBindingAttributesError and EmptyDatabaseError expect the host to
# refuse with a FunctionIndexingException: the extension's own word for what doctor says.
EXTENSION_NEGATIVE_TESTS = """\
    public class KustoBindingE2EMockTests : IDisposable
    {
        private const string DatabaseName = "TestDatabase";
        private const string QueryWithBoundParam = "declare query_parameters (name:string);TestTable | where Name == name";

        private sealed class NoConnectionString
        {
            [NoAutomaticTrigger]
            public static void ErrBinding([Kusto(Database: DatabaseName, KqlCommand = QueryWithBoundParam, KqlParameters = "@name=I1")] IEnumerable<Item> _)
            {

            }
        }

        private sealed class EmptyDatabase
        {
            [NoAutomaticTrigger]
            public static void ErrBinding([Kusto(Database: "", KqlCommand = QueryWithBoundParam, KqlParameters = "@name=I1", Connection = KustoConstants.DefaultConnectionStringName)] IEnumerable<Item> _)
            {

            }
        }

        private sealed class NoCommandOrTable
        {
            [NoAutomaticTrigger]
            public static void ErrBinding([Kusto(Database: DatabaseName, Connection = KustoConstants.DefaultConnectionStringName)] IEnumerable<Item> _)
            {

            }
        }
    }
"""  # noqa: E501


def test_what_the_extensions_own_tests_expect_to_fail_indexing_is_found(tmp_path):
    root = write(tmp_path, {"KustoBindingE2EMockTests.cs": EXTENSION_NEGATIVE_TESTS})
    project = scan(root)
    assert [b.line for b in project.bindings] == [9, 18, 27]
    wrong = [(s, line) for s, _, line in statuses(root) if s != "identity_missing"]
    assert wrong == [
        ("connection_missing", 9),  # ArgumentNullException at indexing
        ("database_missing", 18),  # ArgumentNullException at indexing
        ("kql_command_missing", 27),  # InvalidOperationException at indexing
    ]
    # KustoConstants.DefaultConnectionStringName is the extension's, not the project's: said.
    note = unresolved(project)
    assert note is not None and "Connection = KustoConstants.DefaultConnectionStringName" in note

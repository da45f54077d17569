"""The bad-input catalogue: every input below is refused with exit 2, a message naming the
field and a hint, before any request (the emulator's request log stays empty). Inputs come
from flags, environment variables and kustomi.toml, as a hostile or careless user gives them.

Placeholders: {base} is the emulator's URL (its clusters live at {base}/kusto/<name>), {sub}
the demo world's subscription."""

from __future__ import annotations

from typing import Any

import pytest

OTHER_SUB = "11111111-2222-3333-4444-555555555555"
IDENTITY_ID = (
    "/subscriptions/{sub}/resourceGroups/rg-demo/providers/"
    "Microsoft.ManagedIdentity/userAssignedIdentities/id-orders"
)
URI = "{base}/kusto/adxdemo"
JWT_SHAPED = "eyJhbGciOiJub25lIn0.eyJhIjoxfQ.x"

CREATE = ("create-identity", "-g", "rg-demo", "-n", "id-orders")
GRANT = (
    "grant",
    "--role",
    "viewer",
    "--identity",
    "id-orders",
    "-g",
    "rg-demo",
    "--cluster",
    "adxdemo",
    "--cluster-resource-group",
    "rg-data",
    "--database",
    "Orders",
)
GRANT_URI = ("grant", "--role", "viewer", "--identity", "id-orders", "-g", "rg-demo")
GRANT_URI += ("--cluster", URI, "--database", "Orders")
ATTACH = ("attach", "--app", "func-orders", "-g", "rg-demo", "--identity", "id-orders")
SET = ("set-connection", "--app", "func-orders", "-g", "rg-demo", "--cluster", URI)
SET += ("--database", "Orders")
VERIFY = ("verify", "--identity", "id-orders", "-g", "rg-demo", "--cluster", "adxdemo")
VERIFY += ("--cluster-resource-group", "rg-data", "--database", "Orders")
VERIFY += ("--mode", "control-plane")
ONE = ("--identity", "id-orders", "-g", "rg-demo", "--cluster", "adxdemo")
ONE += ("--cluster-resource-group", "rg-data", "--database", "Orders", "--role", "viewer")
SETUP = ("--yes", "setup", *ONE, "--app", "func-orders")
REVOKE = ("--yes", "revoke", *ONE, "--app", "func-orders")
TABLE = (
    '[setup]\nidentity = "id-orders"\n[[setup.grants]]\ncluster = "adxdemo"\n'
    'cluster-resource-group = "rg-data"\ndatabase = "Orders"\nrole = "viewer"\n'
)


def w(base: tuple[str, ...], *pairs: str) -> tuple[str, ...]:
    """`base` with each option in `pairs` (flag, value, ...) set: replaced if there, else
    appended. A flag followed by None is removed with its value."""
    args = list(base)
    for flag, value in zip(pairs[::2], pairs[1::2], strict=True):
        if flag in args:
            i = args.index(flag)
            del args[i : i + 2]
            if value is not None:
                args[i:i] = [flag, value]
        elif value is not None:
            args += [flag, value]
    return tuple(args)


def case(
    id: str,
    args: tuple[str, ...],
    *names: str,
    env: dict[str, str | None] | None = None,
    toml: str | None = None,
) -> Any:
    """`names`: what the message must say (the field, and more where it matters)."""
    return pytest.param(args, names, env or {}, toml, id=id)


CATALOGUE = [
    # --- create-identity: names Azure rejects, control characters, locations
    case("name-newline", w(CREATE, "-n", "id-nl\n"), "-n/--name", "control character"),
    case("name-tab", w(CREATE, "-n", "id\torders"), "-n/--name", "control character"),
    case("name-zero-width", w(CREATE, "-n", "id\u200borders"), "-n/--name", "control"),
    case("name-leading-dash", w(CREATE, "-n", "-starts-with-dash"), "managed identity name"),
    case("name-too-short", w(CREATE, "-n", "id"), "managed identity name"),
    case("name-too-long", w(CREATE, "-n", "i" * 129), "managed identity name"),
    case("name-space", w(CREATE, "-n", "id orders"), "managed identity name"),
    case("name-dot", w(CREATE, "-n", "id.orders"), "managed identity name"),
    case("rg-slash", w(CREATE, "-g", "rg/slash"), "resource group name"),
    case("rg-trailing-dot", w(CREATE, "-g", "rg-demo."), "resource group name"),
    case("rg-too-long", w(CREATE, "-g", "r" * 91), "resource group name"),
    case("rg-empty", w(CREATE, "-g", ""), "resource group"),
    case("rg-newline", w(CREATE, "-g", "rg-demo\n"), "-g/--resource-group", "control"),
    case("location-newline", w(CREATE, "--location", "westeurope\n"), "--location", "control"),
    case("location-punctuation", w(CREATE, "--location", "west;europe"), "Azure location"),
    # --- grant: roles, databases (KQL metacharacters), identities, clusters, numbers
    case("role-unknown", w(GRANT, "--role", "reader"), "Unknown role 'reader'"),
    case(
        "role-cluster-wide-with-database",
        w(GRANT, "--role", "AllDatabasesAdmin"),
        "--database and --role alldatabasesadmin cannot be used together",
    ),
    case("role-cluster-only-kind", w(GRANT, "--role", "AllDatabasesUser"), "Unknown role"),
    case(
        "table-with-cluster-role",
        (*w(GRANT, "--role", "alldatabasesviewer", "--database", None), "--table", "T"),
        "--table",
    ),
    case(
        "cluster-ingest-endpoint",
        w(GRANT_URI, "--cluster", "https://ingest-adxdemo.westeurope.kusto.windows.net"),
        "ingestion endpoint",
        "--cluster https://adxdemo.westeurope.kusto.windows.net",
    ),
    case("table-with-viewer", (*GRANT, "--table", "Events"), "cannot be granted on a table"),
    case("table-bracket", (*w(GRANT, "--role", "ingestor"), "--table", "T']"), "table name"),
    case(
        "table-via-arm",
        (*w(GRANT, "--role", "ingestor", "--via", "arm"), "--table", "Events"),
        "--table and --via arm cannot be used together",
    ),
    case("role-newline", w(GRANT, "--role", "viewer\n"), "--role", "control"),
    case("db-newline", w(GRANT, "--database", "Orders\n"), "--database", "control"),
    case("db-bracket", w(GRANT, "--database", "Orders]"), "Kusto database name"),
    case("db-quote", w(GRANT, "--database", "Orders'"), "Kusto database name"),
    case("db-pipe", w(GRANT, "--database", "Orders | take 1"), "Kusto database name"),
    case("db-semicolon", w(GRANT, "--database", "Orders; .drop x"), "Kusto database name"),
    case("db-drop", w(GRANT, "--database", "Sales'; .drop table T"), "Kusto database name"),
    case("db-empty", w(GRANT, "--database", ""), "database (--database) is empty"),
    case("db-too-long", w(GRANT, "--database", "d" * 261), "Kusto database name"),
    case("db-jwt", w(GRANT, "--database", JWT_SHAPED), "database name", "token"),
    case(
        "id-sub-not-guid",
        w(GRANT, "--identity", IDENTITY_ID.replace("{sub}", "not-a-guid")),
        "subscription in the identity id",
        "is not a GUID",
    ),
    case(
        "id-truncated",
        w(GRANT, "--identity", "/subscriptions/x/resourceGroups/rg"),
        "not a user-assigned identity resource id",
    ),
    case(
        "id-other-provider",
        w(GRANT, "--identity", IDENTITY_ID.replace("ManagedIdentity", "Compute")),
        "not a user-assigned identity resource id",
    ),
    case(
        "id-bad-rg",
        w(GRANT, "--identity", IDENTITY_ID.replace("rg-demo", "rg%20demo")),
        "resource group name",
    ),
    case(
        "id-other-subscription",
        w(GRANT, "--identity", IDENTITY_ID.replace("{sub}", OTHER_SUB)),
        "subscription",
        OTHER_SUB,
        "{sub}",
    ),
    case("id-braced-guid", w(GRANT, "--identity", "{" + OTHER_SUB + "}"), "identity name"),
    case("id-newline", w(GRANT, "--identity", "id-orders\n"), "--identity", "control"),
    case(
        "id-rg-with-client-id",
        w(GRANT, "--identity", OTHER_SUB, "--identity-resource-group", "rg-demo"),
        "--identity-resource-group",
        "--identity as a client id",
    ),
    case("cluster-http", w(GRANT_URI, "--cluster", "http://127.0.0.1/kusto/x"), "not https"),
    case("cluster-ftp", w(GRANT_URI, "--cluster", "ftp://adxdemo"), "not https"),
    case("cluster-bare-scheme", w(GRANT_URI, "--cluster", "https://"), "not a cluster URI"),
    case("cluster-bad-name", w(GRANT, "--cluster", "Bad_Name!"), "cluster name or URI"),
    case("cluster-upper-name", w(GRANT, "--cluster", "ADXDEMO"), "cluster name or URI"),
    case("cluster-short-name", w(GRANT, "--cluster", "adx"), "cluster name or URI"),
    case(
        "cluster-password",
        w(GRANT_URI, "--cluster", URI + ";Password=hunter2"),
        "not a cluster URI",
    ),
    case("cluster-userinfo", w(GRANT_URI, "--cluster", "https://u:p@127.0.0.1/x"), "cluster URI"),
    case("cluster-query", w(GRANT_URI, "--cluster", URI + "?x=1"), "not a cluster URI"),
    case("cluster-fragment", w(GRANT_URI, "--cluster", URI + "#x"), "not a cluster URI"),
    case("cluster-space", w(GRANT_URI, "--cluster", "{base}/kusto/adx demo"), "cluster URI"),
    case("cluster-newline", w(GRANT_URI, "--cluster", URI + "\n"), "--cluster", "control"),
    case(
        "cluster-uri-with-rg",
        w(GRANT_URI, "--cluster-resource-group", "rg-data"),
        "--cluster-resource-group",
        "--cluster as a URI",
    ),
    case("via-unknown", w(GRANT, "--via", "sql"), "'--via'", "'arm', 'kql'"),
    case("note-with-arm", w(GRANT, "--note", "for orders"), "--note", "--via arm"),
    case(
        "note-newline",
        w(GRANT, "--via", "kql", "--note", "a\n.drop database Orders"),
        "--note",
        "control",
    ),
    case("timeout-negative", w(GRANT, "--entra-timeout", "-5"), "--entra-timeout"),
    case("timeout-nan", w(GRANT, "--entra-timeout", "nan"), "--entra-timeout"),
    case("timeout-inf", w(GRANT, "--entra-timeout", "inf"), "--entra-timeout"),
    # --- attach
    case("app-underscore", w(ATTACH, "--app", "func_orders"), "function app name"),
    case("app-too-short", w(ATTACH, "--app", "f"), "function app name"),
    case("app-trailing-dash", w(ATTACH, "--app", "func-orders-"), "function app name"),
    case("app-too-long", w(ATTACH, "--app", "f" * 61), "function app name"),
    case("slot-newline", w(ATTACH, "--slot", "staging\n"), "--slot", "control"),
    case("slot-leading-dash", w(ATTACH, "--slot", "-staging"), "slot name"),
    case(
        "id-rg-with-resource-id",
        w(ATTACH, "--identity", IDENTITY_ID, "--identity-resource-group", "rg-demo"),
        "--identity-resource-group",
        "--identity as a resource id",
    ),
    # --- set-connection: what would end up in the connection setting
    case("setting-space", w(SET, "--setting", "has space"), "app setting name"),
    case("setting-digit", w(SET, "--setting", "1Kusto"), "app setting name"),
    case("setting-newline", w(SET, "--setting", "Kusto\nX"), "--setting", "control"),
    case("set-app-key", w(SET, "--cluster", URI + ";Application Key=abc"), "not a cluster URI"),
    case("set-password", w(SET, "--cluster", URI + ";Password=hunter2"), "not a cluster URI"),
    case("set-equals", w(SET, "--cluster", URI + "=x"), "not a cluster URI"),
    case(
        "set-uri-token", w(SET, "--cluster", "{base}/kusto/" + JWT_SHAPED), "cluster URI", "token"
    ),
    case("set-db-token", w(SET, "--database", JWT_SHAPED), "database name", "token"),
    case("set-db-pem", w(SET, "--database", "-----BEGIN KEY"), "database name", "certificate"),
    case("set-db-semicolon", w(SET, "--database", "Orders;AppKey=x"), "Kusto database name"),
    # --- verify
    case("slot-without-app", w(VERIFY, "--slot", "staging"), "--slot", "--app"),
    case("wait-nan", w(VERIFY, "--wait", "nan"), "--wait"),
    case("wait-inf", w(VERIFY, "--wait", "inf"), "--wait"),
    case("wait-negative", w(VERIFY, "--wait", "-1"), "--wait"),
    case("mode-unknown", w(VERIFY, "--mode", "both"), "'--mode'", "'control-plane'"),
    case("verify-role", w(VERIFY, "--role", "reader"), "Unknown role"),
    case("verify-identity-cr", w(VERIFY, "--identity", "id-orders\r"), "--identity", "control"),
    case("verify-app", w(VERIFY, "--app", "func_orders"), "function app name"),
    # --- global options
    case("subscription-short", ("--subscription", "1234", *ATTACH), "subscription '1234'"),
    case("subscription-newline", ("--subscription", "{sub}\n", *ATTACH), "--subscription"),
    case("verbose-and-quiet", ("-v", "-q", *ATTACH), "--verbose", "--quiet"),
    case("output-unknown", ("-o", "yaml", *ATTACH), "'-o' / '--output'", "'table', 'json'"),
    # --- environment
    case("retries-word", ATTACH, "KUSTOMI_RETRIES", env={"KUSTOMI_RETRIES": "lots"}),
    case("retries-negative", ATTACH, "KUSTOMI_RETRIES", env={"KUSTOMI_RETRIES": "-3"}),
    case("retries-too-many", ATTACH, "KUSTOMI_RETRIES", env={"KUSTOMI_RETRIES": "11"}),
    case(
        "progress-zero", ATTACH, "KUSTOMI_PROGRESS_SECONDS", env={"KUSTOMI_PROGRESS_SECONDS": "0"}
    ),
    case(
        "progress-word", ATTACH, "KUSTOMI_PROGRESS_SECONDS", env={"KUSTOMI_PROGRESS_SECONDS": "x"}
    ),
    case(
        "arm-bare-scheme", ATTACH, "KUSTOMI_ARM_ENDPOINT", env={"KUSTOMI_ARM_ENDPOINT": "https://"}
    ),
    case(
        "arm-http",
        ATTACH,
        "KUSTOMI_ARM_ENDPOINT",
        env={"KUSTOMI_ARM_ENDPOINT": "http://127.0.0.1:1"},
    ),
    case("arm-query", ATTACH, "KUSTOMI_ARM_ENDPOINT", env={"KUSTOMI_ARM_ENDPOINT": "{base}?a=b"}),
    case("arm-newline", ATTACH, "KUSTOMI_ARM_ENDPOINT", env={"KUSTOMI_ARM_ENDPOINT": "{base}\n"}),
    case(
        "arm-bad-port",
        ATTACH,
        "KUSTOMI_ARM_ENDPOINT",
        env={"KUSTOMI_ARM_ENDPOINT": "https://127.0.0.1:99999"},
    ),
    case(
        "authority-http",
        ATTACH,
        "AZURE_AUTHORITY_HOST",
        env={"AZURE_AUTHORITY_HOST": "http://127.0.0.1:1"},
    ),
    case(
        "authority-userinfo",
        ATTACH,
        "AZURE_AUTHORITY_HOST",
        env={"AZURE_AUTHORITY_HOST": "https://me@127.0.0.1"},
    ),
    case(
        "authority-space",
        ATTACH,
        "AZURE_AUTHORITY_HOST",
        env={"AZURE_AUTHORITY_HOST": "https://login host"},
    ),
    case(
        "audience-not-url",
        ATTACH,
        "KUSTOMI_ARM_AUDIENCE",
        env={"KUSTOMI_ARM_AUDIENCE": "management"},
    ),
    case(
        "cloud-unknown",
        ATTACH,
        "KUSTOMI_CLOUD",
        env={"KUSTOMI_CLOUD": "AzureMoon", "KUSTOMI_ARM_ENDPOINT": None},
    ),
    case(
        "subscription-env",
        ATTACH,
        "subscription",
        env={"AZURE_SUBSCRIPTION_ID": "not-a-guid"},
    ),
    case(
        "subscription-env-newline",
        ATTACH,
        "--subscription",
        "control",
        env={"AZURE_SUBSCRIPTION_ID": "{sub}\n"},
    ),
    case(
        "rg-env-newline",
        w(ATTACH, "-g", None),
        "-g/--resource-group",
        "control",
        env={"KUSTOMI_RESOURCE_GROUP": "rg-demo\n"},
    ),
    case("output-env", ATTACH, "KUSTOMI_OUTPUT", "'table', 'json'", env={"KUSTOMI_OUTPUT": "xml"}),
    case("verbose-env", ATTACH, "--verbose", env={"KUSTOMI_VERBOSE": "-3"}),
    # --- kustomi.toml
    case("toml-newline", w(GRANT, "--database", None), "database", toml='database = "Orders\\n"'),
    case("toml-role", w(GRANT, "--role", None), "Unknown role", toml='[grant]\nrole = "reader"'),
    case("toml-name", w(ATTACH, "--identity", None), "identity name", toml='identity = "id x"'),
    case(
        "toml-cluster",
        w(SET, "--cluster", None),
        "not a cluster URI",
        toml='cluster = "{base}/kusto/adxdemo;Password=x"',
    ),
    case("toml-wait-nan", VERIFY, "--wait", toml="[verify]\nwait = nan"),
    case("toml-timeout", GRANT, "--entra-timeout", toml="[grant]\nentra-timeout = -5"),
    # --- setup and revoke: the fleet's flags, the [setup] table, the confirmation
    case("setup-parallel-0", w(SETUP, "--parallel", "0"), "--parallel must be 1 to 32"),
    case("setup-parallel-99", w(SETUP, "--parallel", "99"), "--parallel must be 1 to 32"),
    case("setup-app-space", w(SETUP, "--app", "func orders"), "function app name"),
    case("setup-app-newline", w(SETUP, "--app", "func-orders\n"), "--app", "control"),
    case("setup-app-twice", (*SETUP, "--app", "FUNC-ORDERS"), "listed twice"),
    case("setup-slot-no-app", w(SETUP, "--app", None, "--slot", "staging"), "--slot", "--app"),
    case("setup-slot-bad", w(SETUP, "--slot", "stag ing"), "slot name"),
    case("setup-no-role", w(SETUP, "--role", None), "Missing --role"),
    case("setup-role", w(SETUP, "--role", "owner"), "Unknown role 'owner'"),
    case("setup-note-arm", w(SETUP, "--note", "hi"), "--note", "--via arm"),
    case("setup-db-kql", w(SETUP, "--database", "Orders | take 1"), "Kusto database name"),
    case(
        "setup-cluster-secret",
        w(SETUP, "--cluster", URI + ";Password=x", "--cluster-resource-group", None),
        "not a cluster URI",
    ),
    case("setup-setting-bad", w(SETUP, "--setting", "a=b"), "setting name"),
    case("setup-location", w(SETUP, "--location", "west;europe"), "Azure location"),
    case("setup-timeout-nan", w(SETUP, "--entra-timeout", "nan"), "--entra-timeout"),
    case("setup-no-terminal", SETUP[1:], "no terminal", "--yes", "nothing was sent"),
    case("revoke-no-terminal", REVOKE[1:], "no terminal", "--yes"),
    case(
        "setup-env-before-confirmation",
        SETUP[1:],
        "KUSTOMI_RETRIES",
        env={"KUSTOMI_RETRIES": "99"},
    ),
    case("revoke-role", w(REVOKE, "--role", "reader"), "Unknown role 'reader'"),
    case("revoke-db-quote", w(REVOKE, "--database", "Orders'"), "Kusto database name"),
    case("revoke-app-dot", w(REVOKE, "--app", "func.orders"), "function app name"),
    case(
        "toml-setup-app",
        ("--yes", "setup", "-g", "rg-demo"),
        "kustomi.toml, line 9: [[setup.apps]] #1, app:",
        toml=TABLE + '[[setup.apps]]\napp = "func orders"\n',
    ),
    case(
        "toml-setup-key",
        ("--yes", "setup", "-g", "rg-demo"),
        "line 8: [[setup.grants]] #1, colour: not a key of kustomi",
        toml=TABLE.replace('role = "viewer"\n', 'role = "viewer"\ncolour = "blue"\n'),
    ),
    case(
        "toml-setup-missing",
        ("--yes", "setup", "-g", "rg-demo"),
        "line 3: [[setup.grants]] #1: database is missing",
        toml=TABLE.replace('database = "Orders"\n', ""),
    ),
    case(
        "toml-setup-not-tables",
        ("--yes", "setup", "-g", "rg-demo"),
        "apps in [setup] must be a list of tables",
        toml='[setup]\nidentity = "id-orders"\napps = ["func-orders"]\n',
    ),
    case(
        "toml-revoke-delete",
        REVOKE,
        "delete-identity in [revoke] is not an option",
        toml="[revoke]\ndelete-identity = true\n",
    ),
    case("toml-setup-parallel", SETUP, "--parallel", toml="[setup]\nparallel = 0\n"),
    case(
        "toml-subscription",
        ATTACH,
        "subscription",
        env={"AZURE_SUBSCRIPTION_ID": None},
        toml='subscription = "not-a-guid"',
    ),
    # --- URLs: a port out of range, a path that a server would resolve elsewhere
    case("uri-port-99999", w(SET, "--cluster", "https://127.0.0.1:99999/kusto/adxdemo"), "99999"),
    case("uri-port-0", w(SET, "--cluster", "https://127.0.0.1:0/kusto/adxdemo"), "cluster URI"),
    case("uri-dotdot", w(SET, "--cluster", "{base}/kusto/../kusto/adxdemo"), "'..'"),
    case("uri-dot-encoded", w(GRANT_URI, "--cluster", "{base}/kusto/%2e%2e/adxdemo"), "'..'"),
    case(
        "arm-endpoint-port",
        CREATE,
        "KUSTOMI_ARM_ENDPOINT",
        env={"KUSTOMI_ARM_ENDPOINT": "https://127.0.0.1:70000"},
    ),
    case(
        "arm-endpoint-dotdot",
        CREATE,
        "KUSTOMI_ARM_ENDPOINT",
        env={"KUSTOMI_ARM_ENDPOINT": "{base}/a/../b"},
    ),
    # --- an empty value is refused, never read as "not given" (production, the default...)
    case("slot-empty-attach", w(ATTACH, "--slot", ""), "slot (--slot) is empty"),
    case("slot-empty-verify", w(VERIFY, "--slot", ""), "slot (--slot) is empty"),
    case("slot-empty-set", w(SET, "--slot", ""), "slot (--slot) is empty"),
    case("setting-blank", w(SET, "--setting", "  "), "setting (--setting) is empty"),
    case("identity-empty", w(ATTACH, "--identity", ""), "identity (--identity) is empty"),
    case(
        "subscription-empty",
        ("--subscription", "", *CREATE),
        "subscription (--subscription) is empty",
    ),
    case("app-empty-setup", w(SETUP, "--app", ""), "app (--app) is empty"),
    case("slot-empty-toml", ATTACH, "kustomi.toml", toml='slot = ""'),
    # --- kustomi.toml values of another type than the option's, or too deep to read
    case("toml-app-true", w(ATTACH, "--app", None), "app must be a string", toml="app = true"),
    case("toml-slot-number", ATTACH, "slot must be a string", toml="slot = 5"),
    case(
        "toml-parallel-bool",
        SETUP,
        "parallel must be a whole number",
        toml="[setup]\nparallel = true",
    ),
    case(
        "toml-bool-string",
        SETUP,
        "verify must be true or false",
        toml='[setup]\nverify = "yes"',
    ),
    case("toml-wait-string", VERIFY, "wait must be a number", toml='[verify]\nwait = "10"'),
    case(
        "toml-subscription-number", CREATE, "subscription must be a string", toml="subscription = 5"
    ),
    case("toml-deep-array", CREATE, "nested too deeply", toml="x = " + "[" * 5000 + "]" * 5000),
    # --- options that exclude each other
    case(
        "snippet-client-id-and-identity",
        (
            "snippet",
            "--lang",
            "python",
            "--direction",
            "input",
            "--database",
            "Orders",
            "--client-id",
            OTHER_SUB,
            "--identity",
            "id-orders",
            "-g",
            "rg-demo",
        ),
        "--client-id and --identity",
    ),
    # --- environment variables, whatever command reads them
    case(
        "signin-notice-negative",
        CREATE,
        "KUSTOMI_SIGNIN_NOTICE_SECONDS",
        env={"KUSTOMI_SIGNIN_NOTICE_SECONDS": "-1"},
    ),
    case(
        "signin-notice-nan",
        CREATE,
        "KUSTOMI_SIGNIN_NOTICE_SECONDS",
        env={"KUSTOMI_SIGNIN_NOTICE_SECONDS": "nan"},
    ),
    case(
        "managed-identity-banana",
        CREATE,
        "KUSTOMI_MANAGED_IDENTITY",
        env={"KUSTOMI_MANAGED_IDENTITY": "banana"},
    ),
    case("cloud-mars-custom", CREATE, "KUSTOMI_CLOUD", "Mars", env={"KUSTOMI_CLOUD": "Mars"}),
    case(
        "cloud-named-beside-endpoint",
        CREATE,
        "KUSTOMI_CLOUD",
        env={"KUSTOMI_CLOUD": "AzureChinaCloud"},
    ),
    case("tenant-path", CREATE, "AZURE_TENANT_ID", env={"AZURE_TENANT_ID": "bad/../tenant"}),
    case("client-id-not-guid", CREATE, "AZURE_CLIENT_ID", env={"AZURE_CLIENT_ID": "me"}),
    case(
        "progress-abc-setup",
        SETUP,
        "KUSTOMI_PROGRESS_SECONDS",
        env={"KUSTOMI_PROGRESS_SECONDS": "abc"},
    ),
    case("output-xml", CREATE, "KUSTOMI_OUTPUT", env={"KUSTOMI_OUTPUT": "xml"}),
    case(
        "toml-subscription-other",
        w(ATTACH, "--identity", IDENTITY_ID.replace("{sub}", OTHER_SUB)),
        OTHER_SUB,
        env={"AZURE_SUBSCRIPTION_ID": None},
        toml='subscription = "{sub}"',
    ),
]


@pytest.mark.parametrize(("args", "names", "env", "toml"), CATALOGUE)
def test_bad_input_is_exit_2_naming_the_field_before_any_request(
    emu, kustomi, monkeypatch, tmp_path, args, names, env, toml
):
    sub = emu.env["AZURE_SUBSCRIPTION_ID"]

    def fill(s: str) -> str:
        return s.replace("{base}", emu.url).replace("{sub}", sub)

    for k, v in env.items():
        if v is None:
            monkeypatch.delenv(k, raising=False)
        else:
            monkeypatch.setenv(k, fill(v))
    if toml is not None:
        (tmp_path / "kustomi.toml").write_text(fill(toml))
    emu.clear_log()
    r = kustomi(*(fill(a) for a in args))
    assert r.exit_code == 2, r.stdout + r.stderr
    for name in names:
        assert fill(name) in r.stderr, r.stderr
    # kustomi's own checks end with a Hint line; a choice that typer checks (the values of
    # --via, -o) is told the way click tells it, with the command's --help as the hint.
    assert "Hint:" in r.stderr or "-h' for help." in r.stderr
    assert emu.requests() == []


def test_the_catalogue_covers_every_command_and_source():
    args = [p.values[0] for p in CATALOGUE]
    commands = ("create-identity", "grant", "attach", "set-connection", "verify", "setup")
    for command in (*commands, "revoke"):
        assert sum(command in a for a in args) >= (5 if command != "revoke" else 4), command
    assert sum(bool(p.values[2]) for p in CATALOGUE) >= 10  # environment
    assert sum(p.values[3] is not None for p in CATALOGUE) >= 5  # kustomi.toml
    assert len(CATALOGUE) >= 60


# --- what the checks above must not refuse, and the numbers they guard


def test_an_identity_id_brings_its_subscription_when_none_is_given(emu, kustomi, monkeypatch):
    sub = emu.env["AZURE_SUBSCRIPTION_ID"]
    assert kustomi("create-identity", "-g", "rg-demo", "-n", "id-orders").exit_code == 0
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID")
    emu.clear_log()
    r = kustomi(*w(ATTACH, "--identity", IDENTITY_ID.replace("{sub}", sub)))
    assert r.exit_code == 0, r.stderr
    paths = [x["path"] for x in emu.requests() if x["path"].startswith("/subscriptions/")]
    assert paths and all(p.startswith(f"/subscriptions/{sub}/") for p in paths)
    assert any(
        "/userAssignedIdentities/id-orders" in a
        for a in emu.site("rg-demo", "func-orders")["user_assigned"]
    )


def test_resource_groups_from_kustomi_toml_do_not_conflict(emu, kustomi, tmp_path):
    """A file's shared keys apply to every command; only typed flags can conflict."""
    (tmp_path / "kustomi.toml").write_text(
        'identity-resource-group = "rg-demo"\ncluster-resource-group = "rg-data"\n'
    )
    r = kustomi("--dry-run", *w(SET, "--cluster", emu.url + "/kusto/adxdemo"))
    assert r.exit_code == 0, r.stderr


@pytest.mark.parametrize(("retries", "tries"), [(None, 5), ("0", 1), ("2", 3), ("6", 7)])
def test_kustomi_retries_is_the_real_number_of_retries(emu, kustomi, monkeypatch, retries, tries):
    """KUSTOMI_RETRIES=N retries N times, past azure-core's per-kind limit of 3 too; the
    default, 4, is what the README says."""
    if retries is not None:
        monkeypatch.setenv("KUSTOMI_RETRIES", retries)
    emu.faults([{"route": "msi.identities.get", "status": 503, "retry_after": 0.05}])
    r = kustomi(*CREATE)
    assert r.exit_code == 5, r.stderr
    got = [x["status"] for x in emu.requests() if x["route"] == "msi.identities.get"]
    assert got == [503] * tries
    said = [line for line in r.stderr.splitlines() if "retrying in" in line]
    assert len(said) == tries - 1
    if said:
        assert said[-1].endswith(f"(retry {tries - 1} of {tries - 1})")

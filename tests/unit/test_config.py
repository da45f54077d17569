"""Input validation (kustomi.config), all offline."""

from __future__ import annotations

import pytest

from kustomi import config
from kustomi.cloud import AZURE_CHINA, AZURE_CLOUD, from_environment
from kustomi.errors import UsageError


@pytest.mark.parametrize(
    ("typed", "arm"),
    [
        ("viewer", "Viewer"),
        ("Viewers", "Viewer"),
        ("USER", "User"),
        ("ingestor", "Ingestor"),
        ("admins", "Admin"),
        ("unrestrictedviewer", "UnrestrictedViewer"),
        ("monitor", "Monitor"),
        ("AllDatabasesAdmin", "AllDatabasesAdmin"),
        ("alldatabasesviewers", "AllDatabasesViewer"),
        ("alldatabasesmonitor", "AllDatabasesMonitor"),
    ],
)
def test_roles(typed, arm):
    assert config.role(typed) == arm


@pytest.mark.parametrize("bad", ["reader", "", "viewerz", "AllDatabasesUser", "clusteradmin"])
def test_unknown_roles(bad):
    with pytest.raises(UsageError):
        config.role(bad)


def test_identity_ref_from_resource_id_or_name():
    rid = (
        "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg-x/providers/"
        "Microsoft.ManagedIdentity/userAssignedIdentities/id-y"
    )
    ref = config.IdentityRef.parse(rid, None)
    assert (ref.resource_group, ref.name, ref.subscription) == (
        "rg-x",
        "id-y",
        "0b1f6471-1bf0-4dda-aec3-cb9272f09590",
    )
    assert config.IdentityRef.parse("id-y", "rg-z").resource_group == "rg-z"
    with pytest.raises(UsageError):
        config.IdentityRef.parse("id-y", None)


@pytest.mark.parametrize(
    ("uri", "cloud", "expected"),
    [
        (
            "https://adx.westeurope.kusto.windows.net",
            AZURE_CLOUD,
            "https://adx.westeurope.kusto.windows.net",
        ),
        (
            "https://ADX.westeurope.kusto.windows.net/",
            AZURE_CLOUD,
            "https://adx.westeurope.kusto.windows.net",
        ),
        (
            "https://adx.chinaeast2.kusto.chinacloudapi.cn",
            AZURE_CHINA,
            "https://adx.chinaeast2.kusto.chinacloudapi.cn",
        ),
    ],
)
def test_cluster_uris(uri, cloud, expected):
    assert config.cluster_uri(uri, cloud) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "http://adx.westeurope.kusto.windows.net",
        "https://adx.example.com",
        "https://adx.westeurope.kusto.windows.net/db",
        "https://adx.kusto.windows.net?x=1",
        "https://user@adx.westeurope.kusto.windows.net",
        "ftp://adx",
        "https://",
    ],
)
def test_bad_cluster_uris(bad):
    with pytest.raises(UsageError):
        config.cluster_uri(bad, AZURE_CLOUD)


def test_custom_cloud_accepts_any_https_host_with_path():
    cloud = from_environment(
        {
            "KUSTOMI_ARM_ENDPOINT": "https://127.0.0.1:1",
            "AZURE_AUTHORITY_HOST": "https://127.0.0.1:1",
        }
    )
    assert config.cluster_uri("https://127.0.0.1:1/kusto/adx/", cloud) == (
        "https://127.0.0.1:1/kusto/adx"
    )


@pytest.mark.parametrize(
    "value",
    [
        "Data Source=https://x;Database=y;AppKey=abc",
        "Data Source=https://x;Application Key=abc",
        "data source=https://x;password=hunter2",
        "Data Source=https://x;User Token=eyJhbGciOiJub25lIn0.eyJhIjoxfQ.sig",
        "Data Source=https://x;Application Client Secret = s3cret",
        "Data Source=https://x;Application Certificate Private Key=-----BEGIN PRIVATE KEY-----",
    ],
)
def test_secrets_in_connection_strings_are_found(value):
    assert config.secret_keys_in(value)


@pytest.mark.parametrize(
    "value",
    [
        "Data Source=https://x;Database=y;",
        "Data Source=https://x;Fed=True;",
        "Data Source=https://x;AppKey=;",
    ],
)
def test_connection_strings_without_secrets(value):
    assert config.secret_keys_in(value) == []


@pytest.mark.parametrize("name", ["Orders", "Sales Archive-2.0", "a_b.c"])
def test_database_names(name):
    assert config.database(name) == name


@pytest.mark.parametrize("name", ["", "  ", "x'y", "a;b", "a\nb", "[x]", "x" * 261])
def test_bad_database_names(name):
    with pytest.raises(UsageError):
        config.database(name)


@pytest.mark.parametrize(
    "uri",
    [
        "https://adx.westeurope.kusto.windows.net",
        "https://adx.westeurope.kusto.windows.net:443/",
        "https://help.kusto.windows.net",
        "https://adx.eastus.kusto.fabric.microsoft.com",
    ],
)
def test_an_accepted_cluster_uri_makes_a_setting_without_secrets(uri):
    value = config.connection_value(config.cluster_uri(uri, AZURE_CLOUD), "Orders")
    assert config.secret_keys_in(value) == []
    assert value.count(";") == 2 and value.count("=") == 2


@pytest.mark.parametrize(
    "bad",
    [
        "https://adx.westeurope.kusto.windows.net;Password=x",
        "https://adx.westeurope.kusto.windows.net/;AppKey=x",
        "https://adx.westeurope.kusto.windows.net\n",
        " https://adx.westeurope.kusto.windows.net",
        "https://adx.westeurope.kusto.windows.net#x",
        "https://adx.westeurope.kusto.windows.net:0",
    ],
)
def test_cluster_uris_that_could_carry_more(bad):
    with pytest.raises(UsageError):
        config.cluster_uri(bad, AZURE_CLOUD)


@pytest.mark.parametrize(
    ("check", "value"),
    [
        (lambda v: config.guid(v, "x"), "0b1f6471-1bf0-4dda-aec3-cb9272f09590\n"),
        (config.identity_name, "id-orders\n"),
        (config.resource_group, "rg-demo\n"),
        (config.app_name, "func-orders\n"),
        (config.database, "Orders\n"),
        (config.setting_name, "Kusto\n"),
        (config.role, "viewer\n"),
        (config.location, "westeurope\n"),
        (lambda v: config.text(v, "x"), "a\u202eb"),
    ],
)
def test_a_final_newline_or_invisible_character_is_refused(check, value):
    with pytest.raises(UsageError):
        check(value)


def test_retries_and_seconds():
    assert config.retries(None) == config.retries("") == 4
    assert [config.retries(v) for v in ("0", "1", "10")] == [0, 1, 10]
    for bad in ("11", "-1", "lots", "1.5", " 2", "2\n"):
        with pytest.raises(UsageError, match="KUSTOMI_RETRIES"):
            config.retries(bad)
    assert config.seconds(0.0, "--wait") == 0.0
    for bad in (float("nan"), float("inf"), -0.5):
        with pytest.raises(UsageError, match="--wait"):
            config.seconds(bad, "--wait")


def test_the_subscription_of_an_identity_id():
    sub, other = "0b1f6471-1bf0-4dda-aec3-cb9272f09590", "11111111-2222-3333-4444-555555555555"
    ref = config.IdentityRef("rg", "id-x", subscription=sub)
    assert config.subscription(None, ref) == sub
    assert config.subscription(sub.upper(), ref) == sub
    assert config.subscription(other, None) == other
    with pytest.raises(UsageError, match=other):
        config.subscription(other, ref)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("KUSTOMI_ARM_ENDPOINT", "https://"),
        ("KUSTOMI_ARM_ENDPOINT", "http://127.0.0.1:1"),
        ("KUSTOMI_ARM_ENDPOINT", "https://127.0.0.1:1\n"),
        ("AZURE_AUTHORITY_HOST", "https://login.example.com?x=1"),
        ("AZURE_AUTHORITY_HOST", "login.example.com"),
        ("KUSTOMI_ARM_AUDIENCE", "https://a b/"),
    ],
)
def test_bad_endpoints_name_their_variable(name, value):
    env = {"KUSTOMI_ARM_ENDPOINT": "https://127.0.0.1:1", "AZURE_AUTHORITY_HOST": "https://x"}
    env[name] = value
    with pytest.raises(UsageError, match=name):
        from_environment(env)

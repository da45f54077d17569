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
    ],
)
def test_roles(typed, arm):
    assert config.role(typed) == arm


@pytest.mark.parametrize("bad", ["reader", "", "viewerz", "AllDatabasesAdmin"])
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

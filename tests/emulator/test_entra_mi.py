"""Entra sign-in (client credentials) and the App Service managed-identity endpoint
(https://learn.microsoft.com/azure/app-service/overview-managed-identity#rest-endpoint-reference)."""

from __future__ import annotations

import jwt
import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import CredentialUnavailableError, ManagedIdentityCredential

from tests.emulator.helpers import client, credential

KUSTO = "https://kusto.kusto.windows.net/.default"


def test_operator_signs_in_with_the_real_environment_credential(emu):
    token = credential().get_token("https://management.azure.com/.default").token
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["aud"] == "https://management.azure.com"
    assert claims["tid"] == emu.env["AZURE_TENANT_ID"]
    assert claims["appid"] == emu.env["AZURE_CLIENT_ID"]
    assert {"iss", "oid", "exp"} <= set(claims)


def test_openid_metadata_and_keys(emu):
    tenant = emu.env["AZURE_TENANT_ID"]
    meta = requests.get(
        f"{emu.url}/{tenant}/v2.0/.well-known/openid-configuration", timeout=10
    ).json()
    assert meta["token_endpoint"] == f"{emu.url}/{tenant}/oauth2/v2.0/token"
    keys = requests.get(meta["jwks_uri"], timeout=10).json()["keys"]
    token = credential().get_token(KUSTO).token
    key = jwt.PyJWK(keys[0]).key
    assert jwt.decode(token, key, algorithms=["RS256"], audience="https://kusto.kusto.windows.net")


def test_wrong_secret_fails_sign_in(emu, monkeypatch):
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "wrong")
    with pytest.raises(ClientAuthenticationError) as err:
        credential().get_token(KUSTO)
    assert "AADSTS7000215" in str(err.value)


def _identity_on_app(emu, name="id-orders", slot=None):
    msi = client("msi")
    ident = msi.user_assigned_identities.create_or_update(
        "rg-demo", name, {"location": "westeurope"}
    )
    web = client("web")
    body = {
        "identity": {
            "type": "SystemAssigned, UserAssigned",
            "userAssignedIdentities": {ident.id: {}},
        }
    }
    if slot:
        web.web_apps.update_slot("rg-demo", "func-orders", slot, body)
    else:
        web.web_apps.update("rg-demo", "func-orders", body)
    return ident


def test_mi_endpoint_issues_tokens_only_for_identities_attached_to_that_app(emu, monkeypatch):
    ident = _identity_on_app(emu)
    other = client("msi").user_assigned_identities.create_or_update(
        "rg-demo", "id-other", {"location": "westeurope"}
    )
    for k, v in emu.app_env("func-orders", "rg-demo").items():
        monkeypatch.setenv(k, v)
    token = ManagedIdentityCredential(client_id=ident.client_id).get_token(KUSTO).token
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["appid"], claims["oid"]) == (ident.client_id, ident.principal_id)
    assert claims["aud"] == "https://kusto.kusto.windows.net"
    by_object = ManagedIdentityCredential(identity_config={"object_id": ident.principal_id})
    assert (
        jwt.decode(by_object.get_token(KUSTO).token, options={"verify_signature": False})["appid"]
        == ident.client_id
    )
    by_res = ManagedIdentityCredential(identity_config={"resource_id": ident.id})
    assert by_res.get_token(KUSTO).token
    with pytest.raises(CredentialUnavailableError) as err:
        ManagedIdentityCredential(client_id=other.client_id).get_token(KUSTO)
    assert "Unable to load the proper Managed Identity" in str(err.value)


def test_slot_has_its_own_header_and_identities(emu, monkeypatch):
    ident = _identity_on_app(emu, slot="staging")
    prod, staging = (
        emu.app_env("func-orders", "rg-demo"),
        emu.app_env("func-orders", "rg-demo", "staging"),
    )
    assert prod["IDENTITY_HEADER"] != staging["IDENTITY_HEADER"]
    for k, v in prod.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(CredentialUnavailableError):
        ManagedIdentityCredential(client_id=ident.client_id).get_token(KUSTO)
    for k, v in staging.items():
        monkeypatch.setenv(k, v)
    assert ManagedIdentityCredential(client_id=ident.client_id).get_token(KUSTO).token


def test_mi_endpoint_refuses_a_wrong_header_and_api_version(emu):
    env = emu.app_env("func-orders", "rg-demo")
    url = env["IDENTITY_ENDPOINT"]
    q = {"api-version": "2019-08-01", "resource": "https://kusto.kusto.windows.net"}
    wrong = requests.get(url, params=q, headers={"X-IDENTITY-HEADER": "nope"}, timeout=10)
    assert wrong.status_code == 401 and set(wrong.json()) == {
        "statusCode",
        "message",
        "correlationId",
    }
    old = requests.get(
        url,
        params={**q, "api-version": "2017-09-01"},
        headers={"X-IDENTITY-HEADER": env["IDENTITY_HEADER"]},
        timeout=10,
    )
    assert old.status_code == 400
    system = requests.get(
        url, params=q, headers={"X-IDENTITY-HEADER": env["IDENTITY_HEADER"]}, timeout=10
    ).json()
    assert system["token_type"] == "Bearer" and int(system["expires_on"]) > 0

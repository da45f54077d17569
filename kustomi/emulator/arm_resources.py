"""Microsoft.Resources: subscriptions, resource groups, and ARM's cloud metadata document.

Sources: ARM.md D; ResourceGroups_Get.json and CreateResourceGroup.json; the metadata
document's 2022-09-01 shape as hashicorp/go-azure-sdk and the az CLI read it.
"""

from __future__ import annotations

from typing import Any

from .arm import ArmContext, paged, rg_not_found
from .wire import Request, Response, Router, arm_error, json_response


def register(router: Router, ctx: ArmContext) -> None:
    w = ctx.world

    def rg_body(rg: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": f"/subscriptions/{w.subscription_id}/resourceGroups/{rg['name']}",
            "name": rg["name"],
            "type": "Microsoft.Resources/resourceGroups",
            "location": rg["location"],
            "tags": rg.get("tags", {}),
            "properties": {"provisioningState": "Succeeded"},
        }

    def list_subscriptions(req: Request) -> Response:
        return json_response(200, {"value": [sub_body()]})

    def sub_body() -> dict[str, Any]:
        return {
            "id": f"/subscriptions/{w.subscription_id}",
            "subscriptionId": w.subscription_id,
            "tenantId": w.tenant_id,
            "displayName": w.subscription_name,
            "state": "Enabled",
            "subscriptionPolicies": {
                "locationPlacementId": "Public_2014-09-01",
                "quotaId": "PayAsYouGo_2014-09-01",
                "spendingLimit": "Off",
            },
            "authorizationSource": "RoleBased",
        }

    def get_subscription(req: Request) -> Response:
        return json_response(200, sub_body())

    def get_rg(req: Request) -> Response:
        rg = w.resource_groups.get(req.params["rg"].lower())
        if rg is None:
            return rg_not_found(req.params["rg"])
        return json_response(200, rg_body(rg))

    def head_rg(req: Request) -> Response:
        # The SDK's check_existence accepts only 204 and 404 (ARM.md D).
        return Response(204 if ctx.rg_exists(req.params["rg"]) else 404)

    def put_rg(req: Request) -> Response:
        body = req.json() or {}
        if not body.get("location"):
            return arm_error(
                400, "LocationRequired", "The location property is required for this definition."
            )
        key = req.params["rg"].lower()
        with w.lock:
            existed = key in w.resource_groups
            rg = w.resource_groups.setdefault(
                key, {"name": req.params["rg"], "location": body["location"]}
            )
            rg["tags"] = body.get("tags", rg.get("tags", {}))
        return json_response(200 if existed else 201, rg_body(rg))

    def list_rgs(req: Request) -> Response:
        return paged(req, [rg_body(rg) for rg in w.resource_groups.values()])

    P = "/subscriptions/{sub}/resourcegroups/{rg}"
    router.add("GET", "/subscriptions", list_subscriptions, "arm.subscriptions.list")
    router.add("GET", "/subscriptions/{sub}", get_subscription, "arm.subscriptions.get")
    router.add("GET", "/subscriptions/{sub}/resourcegroups", list_rgs, "arm.resourceGroups.list")
    router.add("GET", P, get_rg, "arm.resourceGroups.get")
    router.add("HEAD", P, head_rg, "arm.resourceGroups.head")
    router.add("PUT", P, put_rg, "arm.resourceGroups.put")


def metadata_endpoints(req: Request, tenant_id: str) -> Response:
    """GET /metadata/endpoints: the document from which a custom cloud is configured.

    Both the 2022-09-01 shape (one object, field names as go-azure-sdk and the az CLI read
    them) and the older 2019-05-01 one differ only in a few names; we serve the former.
    """
    base = req.base_url
    return json_response(
        200,
        {
            "name": "KustomiEmulator",
            "portal": base,
            "resourceManager": base + "/",
            "authentication": {
                "loginEndpoint": base + "/",
                "audiences": [
                    "https://management.core.windows.net/",
                    "https://management.azure.com/",
                ],
                "tenant": tenant_id,
                "identityProvider": "AAD",
            },
            "media": base,
            "graphAudience": "https://graph.windows.net/",
            "graph": "https://graph.windows.net/",
            "batch": "https://batch.core.windows.net/",
            "microsoftGraphResourceId": "https://graph.microsoft.com/",
            "sqlManagement": "https://management.core.windows.net:8443/",
            "vmImageAliasDoc": "",
            "activeDirectoryDataLake": "https://datalake.azure.net/",
            "logAnalyticsResourceId": "https://api.loganalytics.io",
            "appInsightsResourceId": "https://api.applicationinsights.io",
            "appInsightsTelemetryChannelResourceId": "https://dc.applicationinsights.azure.com/v2/track",
            "synapseAnalyticsResourceId": "https://dev.azuresynapse.net",
            "attestationResourceId": "https://attest.azure.net",
            "ossrDbmsResourceId": "https://ossrdbms-aad.database.windows.net",
            "suffixes": {
                "azureDataLakeStoreFileSystem": "azuredatalakestore.net",
                "acrLoginServer": "azurecr.io",
                "sqlServerHostname": "database.windows.net",
                "azureDataLakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.net",
                "keyVaultDns": "vault.azure.net",
                "storage": "core.windows.net",
                "azureFrontDoorEndpointSuffix": "azurefd.net",
                "storageSyncEndpointSuffix": "afs.azure.net",
                "mhsmDns": "managedhsm.azure.net",
                "mysqlServerEndpoint": "mysql.database.azure.com",
                "postgresqlServerEndpoint": "postgres.database.azure.com",
                "mariadbServerEndpoint": "mariadb.database.azure.com",
                "synapseAnalytics": "dev.azuresynapse.net",
                "attestationEndpoint": "attest.azure.net",
            },
        },
    )

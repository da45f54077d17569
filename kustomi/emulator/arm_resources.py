"""Microsoft.Resources: subscriptions, resource groups, and ARM's cloud metadata document.

Sources: ResourceGroups_Get.json and CreateResourceGroup.json (specification/resources/
resource-manager/Microsoft.Resources/stable/2025-04-01/examples); HEAD answers 204 or 404,
the only codes ResourceGroupsOperations.check_existence accepts (azure-mgmt-resource); the
metadata document's 2022-09-01 shape as hashicorp/go-azure-sdk and the az CLI read it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from .arm import Provider, paged, require_location
from .wire import Request, Response, Route, json_response


class Resources(Provider):
    API_VERSIONS: ClassVar[dict[str, tuple[str, ...]]] = {
        # specification/resources/resource-manager/Microsoft.Resources/resources/stable/*/
        # resources.json
        "microsoft.resources/resourcegroups": (
            "2015-11-01",
            "2016-02-01",
            "2016-07-01",
            "2016-09-01",
            "2017-05-10",
            "2018-02-01",
            "2018-05-01",
            "2019-03-01",
            "2019-05-01",
            "2019-05-10",
            "2019-07-01",
            "2019-08-01",
            "2019-10-01",
            "2020-06-01",
            "2020-08-01",
            "2020-10-01",
            "2021-01-01",
            "2021-04-01",
            "2022-09-01",
            "2023-07-01",
            "2024-03-01",
            "2024-07-01",
            "2024-11-01",
            "2025-03-01",
            "2025-04-01",
        ),
        # specification/resources/resource-manager/Microsoft.Resources/subscriptions/stable/*
        "microsoft.resources/subscriptions": (
            "2015-11-01",
            "2016-06-01",
            "2018-06-01",
            "2019-06-01",
            "2019-11-01",
            "2020-01-01",
            "2021-01-01",
            "2022-12-01",
        ),
    }

    def routes(self) -> list[Route]:
        subs = "/subscriptions"
        rg = subs + "/{sub}/resourcegroups/{rg}"
        return [
            ("GET", subs, self.list_subscriptions, "arm.subscriptions.list"),
            ("GET", subs + "/{sub}", self.get_subscription, "arm.subscriptions.get"),
            ("GET", subs + "/{sub}/resourcegroups", self.list_rgs, "arm.resourceGroups.list"),
            ("GET", rg, self.get_rg, "arm.resourceGroups.get"),
            ("HEAD", rg, self.head_rg, "arm.resourceGroups.head"),
            ("PUT", rg, self.put_rg, "arm.resourceGroups.put"),
        ]

    def rg_body(self, rg: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": f"/subscriptions/{self.world.subscription_id}/resourceGroups/{rg['name']}",
            "name": rg["name"],
            "type": "Microsoft.Resources/resourceGroups",
            "location": rg["location"],
            "tags": rg.get("tags", {}),
            "properties": {"provisioningState": "Succeeded"},
        }

    def sub_body(self) -> dict[str, Any]:
        w = self.world
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

    def list_subscriptions(self, req: Request) -> Response:
        return json_response(200, {"value": [self.sub_body()]})

    def get_subscription(self, req: Request) -> Response:
        return json_response(200, self.sub_body())

    def get_rg(self, req: Request) -> Response:
        return json_response(200, self.rg_body(self.ctx.resource_group(req.params["rg"])))

    def head_rg(self, req: Request) -> Response:
        return Response(204 if req.params["rg"].lower() in self.world.resource_groups else 404)

    def put_rg(self, req: Request) -> Response:
        body = req.json() or {}
        location = require_location(body)
        key = req.params["rg"].lower()
        with self.world.lock:
            existed = key in self.world.resource_groups
            rg = self.world.resource_groups.setdefault(
                key, {"name": req.params["rg"], "location": location}
            )
            rg["tags"] = body.get("tags", rg.get("tags", {}))
        return json_response(200 if existed else 201, self.rg_body(rg))

    def list_rgs(self, req: Request) -> Response:
        return paged(req, [self.rg_body(rg) for rg in self.world.resource_groups.values()])


def metadata_endpoints(req: Request, tenant_id: str) -> Response:
    """GET /metadata/endpoints: the document from which a custom cloud is configured.

    Both the 2022-09-01 shape (one object, field names as go-azure-sdk and the az CLI read
    them) and the older 2019-05-01 one differ only in a few names; we serve the former.
    """
    base = req.base_url
    suffixes = {
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
    }
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
            "suffixes": suffixes,
        },
    )

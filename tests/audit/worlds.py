"""The audit world: apps that reach Kusto with secrets of several kinds, healthy apps, an app
whose identity lost its role, apps with no Kusto setting, and a web app."""

from __future__ import annotations

from typing import Any

APP_ID = "5a1e0c1d-0000-4000-8000-00000000a001"
TENANT = "f3154ac5-4320-4cbb-acd7-5de30eca5c92"
# Every secret seeded below: none may be printed or written (tests/conftest.py scans them).
SECRETS = {
    "appkey": "k3y-Vq9!appkey-7f1c2e",
    "slotkey": "k3y-Zx2!slotkey-90ab",
    "usertoken": "usr-T0ken-4c4e-91d2-secret",
    "password": "P4ssw0rd-audit-b7e1",
    "apptoken": "app-T0ken-77aa-31ce-secret",
    "sql": "SqlPassw0rd-not-kusto",
}


def audit_world(**extra: Any) -> dict[str, Any]:
    c = "{cluster:adxaudit}"
    return {
        "resource_groups": [
            {"name": "rg-data", "location": "westeurope"},
            {"name": "rg-legacy", "location": "westeurope"},
            {"name": "rg-app", "location": "northeurope"},
        ],
        "identities": [
            {"resource_group": "rg-app", "name": "id-healthy"},
            {"resource_group": "rg-app", "name": "id-lost"},
        ],
        "clusters": [
            {
                "resource_group": "rg-data",
                "name": "adxaudit",
                "location": "westeurope",
                "databases": [
                    {
                        "name": "Orders",
                        "principals": [{"role": "Viewer", "identity": "rg-app/id-healthy"}],
                        "tables": ["Events", "Audit"],
                    },
                    {"name": "Sales"},
                ],
            }
        ],
        "sites": [
            {
                "resource_group": "rg-legacy",
                "name": "func-appkey",
                "kind": "functionapp,linux",
                "app_settings": {
                    "FUNCTIONS_WORKER_RUNTIME": "dotnet-isolated",
                    "KustoConnectionString": f"Data Source={c};Database=Orders;Fed=True;"
                    f"Application Client Id={APP_ID};Application Key={SECRETS['appkey']};"
                    f"Authority Id={TENANT}",
                },
                "slots": [
                    {
                        "name": "staging",
                        "app_settings": {
                            "Kusto": f"server={c};initial catalog=Orders;appclientid={APP_ID};"
                            f"APPKEY={SECRETS['slotkey']};tenantid={TENANT}"
                        },
                    }
                ],
            },
            {
                "resource_group": "rg-legacy",
                "name": "func-usertoken",
                "kind": "functionapp",
                "app_settings": {
                    "KustoConn": f"{c};Initial Catalog=Sales;Fed=True;"
                    f"UsrToken={SECRETS['usertoken']}"
                },
            },
            {
                "resource_group": "rg-legacy",
                "name": "func-password",
                "kind": "functionapp",
                "app_settings": {
                    "ConnectionStrings__Kusto": f"Addr={c};Database=Orders;"
                    f"User ID=ops@contoso.com;pwd={SECRETS['password']}"
                },
            },
            {
                "resource_group": "rg-legacy",
                "name": "func-apptoken",
                "kind": "functionapp",
                "app_settings": {
                    "KUSTO": f"Data Source = {c} ; Database = Sales ; "
                    f"Application Token = {SECRETS['apptoken']}"
                },
            },
            {
                "resource_group": "rg-app",
                "name": "func-healthy",
                "kind": "functionapp,linux",
                "system_assigned": True,
                "user_assigned": ["rg-app/id-healthy"],
                "app_settings": {
                    "KustoConnectionStringManagedIdentity": f"Data Source={c};Database=Orders;"
                },
            },
            {
                "resource_group": "rg-app",
                "name": "func-lost",
                "kind": "functionapp,linux",
                "user_assigned": ["rg-app/id-lost"],
                "app_settings": {
                    "KustoConnectionStringManagedIdentity": f"Data Source={c};Database=Orders;"
                },
            },
            {
                "resource_group": "rg-app",
                "name": "func-none",
                "kind": "functionapp",
                "app_settings": {"KustoConnection": f"Data Source={c};Database=Sales;"},
            },
            {
                "resource_group": "rg-app",
                "name": "func-plain",
                "kind": "functionapp",
                "app_settings": {
                    "FUNCTIONS_WORKER_RUNTIME": "python",
                    "SqlConnection": "Server=tcp:sql1.database.windows.net,1433;Database=d;"
                    f"User ID=u;Password={SECRETS['sql']};Encrypt=True",
                    "APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=1;"
                    "IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/",
                },
                "slots": [{"name": "blue", "app_settings": {}}],
            },
            {
                "resource_group": "rg-app",
                "name": "web-portal",
                "kind": "app",
                "app_settings": {
                    "Kusto": f"Data Source={c};AppKey={SECRETS['appkey']}",
                },
            },
        ],
        **extra,
    }

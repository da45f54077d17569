"""Scenario documents for the CLI tests."""

from __future__ import annotations

from typing import Any

# Twenty settings whose values a careless merge would mangle.
TWENTY_SETTINGS = {
    "FUNCTIONS_EXTENSION_VERSION": "~4",
    "FUNCTIONS_WORKER_RUNTIME": "dotnet-isolated",
    "WITH_SPACES": "  leading and trailing  ",
    "WITH_EQUALS": "a=b=c",
    "WITH_SEMICOLONS": "x;y;z;",
    "WITH_QUOTES": 'it\'s "quoted"',
    "UNICODE": "Grüße, 東京, ☃",
    "EMPTY": "",
    "JSON": '{"a": [1, 2], "b": "c"}',
    "URL": "https://example.org/path?q=1&r=2",
    "NEWLINE": "line1\nline2",
    "BACKSLASH": "C:\\temp\\x",
    "PERCENT": "100%",
    "LONG": "x" * 2000,
    "AzureWebJobsStorage__accountName": "stdemo",
    "WEBSITE_RUN_FROM_PACKAGE": "1",
    "ServiceBusConnection__fullyQualifiedNamespace": "sb-demo.servicebus.windows.net",
    "SCM_DO_BUILD_DURING_DEPLOYMENT": "false",
    "TZ": "Europe/Berlin",
    "APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=1;IngestionEndpoint=https://x/",
}


def busy_world(**extra: Any) -> dict[str, Any]:
    """A function app with 20 settings, a system-assigned identity and another user-assigned
    identity, a slot, and a cluster in another resource group."""
    return {
        "resource_groups": [
            {"name": "rg-app", "location": "westeurope"},
            {"name": "rg-data", "location": "northeurope"},
        ],
        "identities": [{"resource_group": "rg-app", "name": "id-other"}],
        "clusters": [
            {
                "resource_group": "rg-data",
                "name": "adxbusy",
                "location": "northeurope",
                "databases": [
                    {"name": "Sales", "tables": ["Events", "Orders Log"]},
                    {"name": "Sales Archive-2.0"},
                ],
            }
        ],
        "sites": [
            {
                "resource_group": "rg-app",
                "name": "func-busy",
                "kind": "functionapp,linux",
                "system_assigned": True,
                "user_assigned": ["rg-app/id-other"],
                "app_settings": dict(TWENTY_SETTINGS),
                "slots": [
                    {
                        "name": "staging",
                        "app_settings": {"SLOT_ONLY": "1"},
                        "user_assigned": ["rg-app/id-other"],
                    }
                ],
            }
        ],
        **extra,
    }

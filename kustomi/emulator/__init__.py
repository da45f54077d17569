"""A local emulator of the Azure APIs kustomi uses: ARM, Entra, the App Service
managed-identity endpoint and the Kusto data plane, on one HTTPS port.

Wire formats follow the Azure REST API specifications (Azure/azure-rest-api-specs), their
official examples (copies in tests/reference) and the Microsoft Learn pages each module names.
"""

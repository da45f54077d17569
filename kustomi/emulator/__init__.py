"""A local emulator of the Azure APIs kustomi uses: ARM, Entra, the App Service
managed-identity endpoint and the Kusto data plane, on one HTTPS port.

Wire formats follow ../shared/reference (ARM.md, KUSTO_AND_IDENTITY.md); each module says
which section it implements.
"""

"""kustomi: wire an Azure Functions app to Azure Data Explorer with a managed identity."""

__version__ = "0.1.0"

"""The only code that imports the Azure SDKs: small typed wrappers, imported lazily."""

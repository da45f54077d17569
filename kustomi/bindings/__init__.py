"""Kusto bindings as they are written in a Functions project, read with a real parser per
language: C# and Java through tree-sitter, Python through `ast`, function.json and
local.settings.json through a JSON reader that keeps line numbers.

Every model reaches one implementation, the .NET extension's `KustoAttribute`; the host maps
binding properties onto it case-insensitively and ignores unknown keys
(Azure/azure-webjobs-sdk src/Microsoft.Azure.WebJobs.Host/Bindings/AttributeConverter.cs;
https://learn.microsoft.com/azure/azure-functions/functions-bindings-azure-data-explorer-input).
The parsers are imported only when a project is scanned, so `kustomi --help` does not load them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# KustoAttribute's properties (Azure/Webjobs.Extensions.Kusto src/KustoAttribute.cs), the
# worker attributes' and the Java annotations' elements are the same names, cased per language.
PROPERTIES = (
    "Database",
    "Connection",
    "ManagedServiceIdentity",
    "KqlCommand",
    "KqlParameters",
    "ClientRequestProperties",
    "TableName",
    "MappingRef",
    "DataFormat",
    "IngestionType",
    "IngestionProperties",
)


@dataclass(frozen=True)
class Prop:
    key: str  # as written
    value: str | None  # the string it holds; None when it is not known from the source
    line: int  # 1-based
    expr: str = ""  # as written, when value is None (a call, a value known at run time)


@dataclass
class Binding:
    # csharp, csharp-isolated, java, function.json, python, javascript or typescript
    model: str
    direction: str  # "in" or "out"
    file: str  # relative to the project, with forward slashes
    line: int  # 1-based: where the attribute, annotation, decorator or object starts
    function: str  # the function (or binding name) it belongs to, for messages
    props: list[Prop] = field(default_factory=list)
    # Keys that belong to the language's binding form, not to KustoAttribute ("type", "name").
    structural: frozenset[str] = frozenset()
    # C#: a `new KustoAttribute(...)` bound at run time (IBinder.BindAsync), not declared.
    imperative: bool = False
    # The Functions project (one app) it belongs to: the folder of the nearest host.json above
    # it, relative to the scanned root ("." for the root itself, "" when there is none).
    app: str = ""

    def norm(self, key: str) -> str:
        """The key as the host compares it. Python v2 camel-cases snake_case keyword arguments
        before they reach function metadata (Azure/azure-functions-python-library
        azure/functions/decorators/utils.py `to_camel_case`); the host then ignores case."""
        if self.model == "python" and "_" in key.strip("_"):
            first, *rest = key.split("_")
            key = first + "".join(w.title() for w in rest)
        return key.lower()

    def get(self, name: str) -> Prop | None:
        for p in self.props:
            if self.norm(p.key) == name.lower():
                return p
        return None

    def spell(self, name: str, value: str) -> str:
        """`name = value` as this language writes it: a line to paste."""
        if self.model in ("csharp", "csharp-isolated"):
            if name == "Database":  # the constructor's argument (its setter is private)
                return f'Database: "{value}"'
            return f'{name} = "{value}"'
        camel = name[0].lower() + name[1:]
        if self.model == "java":
            return f'{camel} = "{value}"'
        if self.model == "function.json":
            return f'"{camel}": "{value}"'
        if self.model == "python":
            return f'{camel}="{value}"'
        return f"{camel}: '{value}'"


@dataclass
class LocalSetting:
    """A value of local.settings.json (Values or ConnectionStrings)."""

    name: str
    value: str
    file: str
    line: int


@dataclass
class Project:
    bindings: list[Binding] = field(default_factory=list)
    local_settings: list[LocalSetting] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (file, why)
    files_read: int = 0

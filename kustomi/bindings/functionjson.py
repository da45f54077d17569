"""function.json (Python v1, JavaScript and TypeScript v3, PowerShell): a binding object with
`"type": "kusto"` in any case
(https://learn.microsoft.com/azure/azure-functions/functions-bindings-azure-data-explorer-input,
"Configuration"), and local.settings.json (`Values`, `ConnectionStrings`)."""

from __future__ import annotations

from . import Binding, LocalSetting, Prop
from .jsonpos import Node, loads

STRUCTURAL = frozenset({"type", "direction", "name", "datatype"})


def read(source: bytes, file: str, folder: str = "") -> list[Binding]:
    """`folder`: the name of the directory holding function.json, which is the function's
    name; given by the caller because `file` has no directory when doctor is pointed at the
    function's own folder (a template, `kustomi snippet ... > function.json`)."""
    doc = loads(source.decode("utf-8-sig"))
    bindings = doc.value.get("bindings") if isinstance(doc.value, dict) else None
    # The host names a function after the folder of its function.json
    # (https://learn.microsoft.com/azure/azure-functions/functions-reference-node?pivots=nodejs-model-v3#folder-structure).
    function = file.rsplit("/", 2)[-2] if "/" in file else folder or "?"
    found = []
    for item in bindings.value if bindings is not None and isinstance(bindings.value, list) else []:
        if not isinstance(item.value, dict):
            continue
        members: dict[str, Node] = item.value
        props = [
            Prop(k, v.value if isinstance(v.value, str) else None, v.key_line)
            for k, v in members.items()
        ]
        kind = next((p.value for p in props if p.key.lower() == "type"), None)
        if (kind or "").lower() != "kusto":
            continue
        direction = next((p.value for p in props if p.key.lower() == "direction"), None)
        name = next((p.value for p in props if p.key.lower() == "name"), None)
        found.append(
            Binding(
                "function.json",
                "out" if (direction or "").lower() == "out" else "in",
                file,
                item.line,
                f"{function}/{name or '?'}",
                props,
                STRUCTURAL,
            )
        )
    return found


def local_settings(source: bytes, file: str) -> list[LocalSetting]:
    doc = loads(source.decode("utf-8-sig"))
    out: list[LocalSetting] = []
    if not isinstance(doc.value, dict):
        return out
    for section in ("Values", "ConnectionStrings"):
        node = doc.value.get(section)
        if node is None or not isinstance(node.value, dict):
            continue
        for name, v in node.value.items():
            value = v.value if isinstance(v.value, str) else None
            # ConnectionStrings entries may be {"ConnectionString": "...", "ProviderName": ...}.
            if isinstance(v.value, dict):
                inner = next(
                    (x for k, x in v.value.items() if k.lower() == "connectionstring"), None
                )
                value = inner.value if inner is not None and isinstance(inner.value, str) else None
            if value is not None:
                prefix = "ConnectionStrings:" if section == "ConnectionStrings" else ""
                out.append(LocalSetting(prefix + name, value, file, v.key_line))
    return out

"""Quoting for everything kustomi puts into KQL. The one place that does it.

KQL string literals: single quotes, with backslash escapes for the quote, the backslash and
line breaks; entity names that are not plain identifiers go in brackets as ['name'] (KQL's
entity-name rules). A value that passes through these functions cannot end the literal it sits
in, so it cannot add a command, a pipe or another principal.
"""

from __future__ import annotations

import re

from .errors import UsageError

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ESCAPE = {"\\": "\\\\", "'": "\\'", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def string(value: str) -> str:
    """A KQL string literal holding exactly `value`."""
    out = []
    for ch in value:
        if ch in _ESCAPE:
            out.append(_ESCAPE[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            raise UsageError(f"Control character {ch!r} cannot go into a KQL string.")
        else:
            out.append(ch)
    return "'" + "".join(out) + "'"


def name(value: str) -> str:
    """An entity name: bare when it is a plain identifier, else ['...']."""
    if _IDENT.fullmatch(value):
        return value
    return "[" + string(value) + "]"


def add_principal(
    verb: str, database: str, kql_role: str, fqn: str, note: str, table: str | None = None
) -> str:
    """`.add|.drop database <db> <role> ('<fqn>') ['<note>']`, or with `table`,
    `.add|.drop table <T> <role> (...)` (run in the table's database); never `.set`, which
    replaces the whole list of that role."""
    if verb not in ("add", "drop"):
        raise ValueError(verb)
    entity = f"table {name(table)}" if table is not None else f"database {name(database)}"
    command = f".{verb} {entity} {kql_role} ({string(fqn)})"
    return command + (f" {string(note)}" if note else "")


def show_principals(database: str, table: str | None = None) -> str:
    """`.show database <db> principals`, or `.show table <T> principals`."""
    entity = f"table {name(table)}" if table is not None else f"database {name(database)}"
    return f".show {entity} principals"

"""The code checks: what can be told from the project alone, with no Azure.

Each failing check is a Finding with the file and line it is about, and a hint that is the
corrected line (or the kustomi command) that fixes it."""

from __future__ import annotations

import difflib
import re
import shlex

from ..config import GUID_RE, secret_keys_in
from ..model import Finding, Status
from ..names import DEFAULT_SETTING
from . import PROPERTIES, Binding, Project

SETTING_REF = re.compile(r"^%[^%\s]+%\Z")
# What a Connection setting is called when doctor must suggest one.
SUGGESTED = DEFAULT_SETTING


def where(b: Binding) -> str:
    kind = ", IBinder" if b.imperative else ""
    return f"{b.function} ({'input' if b.direction == 'in' else 'output'}, {b.model}{kind})"


def _finding(
    b: Binding, check: str, status: Status, detail: str, hint: str, line: int = 0
) -> Finding:
    return Finding(check, status, detail, hint, file=b.file, line=line or b.line)


def identity_kind(value: str) -> str | None:
    """ "system", "guid" or "setting" for a valid ManagedServiceIdentity, else None.

    The extension passes anything but "system" (any case) verbatim to
    WithAadUserManagedIdentity as a client id, unchecked, and resolves %Setting% first
    (Azure/Webjobs.Extensions.Kusto src/Services/IKustoClientFactory.cs, src/KustoAttribute.cs)."""
    v = value.strip()
    if v.lower() == "system":
        return "system"
    if GUID_RE.match(v):
        return "guid"
    if SETTING_REF.match(v):
        return "setting"
    return None


def check_binding(b: Binding) -> list[Finding]:
    out = []
    known = {p.lower(): p for p in PROPERTIES}
    for p in b.props:
        k = b.norm(p.key)
        if k in known or k in b.structural:
            continue
        if b.model == "java" and k == "ingestiontyoe":
            # The annotation's own misspelling: written to function.json as is, matched to no
            # KustoAttribute property, so ignored (Azure/Webjobs.Extensions.Kusto java-library
            # .../annotation/KustoOutput.java).
            out.append(
                _finding(
                    b, "property", "unknown_property",
                    f"{where(b)}: {p.key} (the annotation's own misspelling of ingestionType) is "
                    "ignored by the host: ingestion stays managed (streaming)",
                    f"remove {p.key} = ...: Java cannot choose queued ingestion with it",
                    p.line,
                )
            )  # fmt: skip
            continue
        close = difflib.get_close_matches(k, list(known) + sorted(b.structural), 1, 0.6)
        if close and close[0] in known:
            like = known[close[0]]
            fix = b.spell(like, p.value if p.value is not None else "...")
            hint = f"rename {p.key} to the property it resembles: {fix}"
            resembles = f"; it resembles {like}"
        else:
            hint = f"remove {p.key}, or use one of: {', '.join(PROPERTIES)}"
            resembles = ""
        out.append(
            _finding(
                b, "property", "unknown_property",
                f"{where(b)}: {p.key} is not a property of the Kusto binding, and the host "
                f"ignores it without a word{resembles}",
                hint, p.line,
            )
        )  # fmt: skip
    conn = b.get("Connection")
    if conn is None or conn.value == "":
        # Docs give a default (KustoConnectionString), but the indexing-time validator resolves
        # the raw value, so a binding without one fails to index (src/Config/
        # KustoExtensionConfigProvider.cs, ValidateConnection).
        out.append(
            _finding(
                b, "connection", "connection_missing",
                f"{where(b)} names no Connection setting: the function fails to index",
                f"add {b.spell('Connection', SUGGESTED)}, and set it with kustomi set-connection "
                f"--app <app> -g <rg> --cluster <cluster> --database {_db(b)}",
                conn.line if conn else 0,
            )
        )  # fmt: skip
    out += check_required(b)
    msi = b.get("ManagedServiceIdentity")
    fix = b.spell("ManagedServiceIdentity", "<clientId>")
    if msi is None or msi.value == "":
        out.append(
            _finding(
                b, "identity", "identity_missing",
                f"{where(b)} names no ManagedServiceIdentity: it signs in with whatever the "
                "connection string holds, a secret or nothing",
                f"add {fix} (the client id kustomi create-identity prints)",
                msi.line if msi else 0,
            )
        )  # fmt: skip
    elif msi.value is not None and identity_kind(msi.value) is None:
        out.append(
            _finding(
                b, "identity", "identity_invalid",
                f"{where(b)}: ManagedServiceIdentity {msi.value!r} is neither a client id "
                "(GUID), \"system\" nor a %Setting% reference; it is passed to the Kusto SDK "
                "unchecked and fails only at run time",
                f"use the identity's client id: {fix}",
                msi.line,
            )
        )  # fmt: skip
    return out


# The extension's indexing-time validator, word for word (src/Config/
# KustoExtensionConfigProvider.cs, ValidateConnection and the attribute's constructor).
NO_QUERY_NOR_TABLE = (
    '"The KustoAttribute.TableName or KustoAttribute.KqlCommand property cannot be an empty value."'
)


def _empty(p: object) -> bool:
    """Absent, or a literal that is empty (a value not known from the source is not)."""
    return p is None or getattr(p, "value", None) == ""


def check_required(b: Binding) -> list[Finding]:
    """What the extension refuses when it indexes the function: no Database (the attribute's
    constructor throws; function.json: "Can't figure out which ctor to call"), neither
    KqlCommand nor TableName; and what the direction cannot run without: an input's
    KqlCommand (the query it runs), an output's TableName (the table it ingests into)."""
    out = []
    db, kql, tbl = b.get("Database"), b.get("KqlCommand"), b.get("TableName")
    if _empty(db):
        out.append(
            _finding(
                b, "database", "database_missing",
                f"{where(b)} names no Database: the host refuses the binding when it indexes "
                "the function, which then does not run",
                f"add {b.spell('Database', '<db>')}", db.line if db else 0,
            )
        )  # fmt: skip
    neither = _empty(kql) and _empty(tbl)
    fails = f"the function fails to index: {NO_QUERY_NOR_TABLE}"
    if b.direction == "in" and _empty(kql):
        out.append(
            _finding(
                b, "kql-command", "kql_command_missing",
                f"{where(b)} names no KqlCommand, the query an input binding runs: "
                + (fails if neither else "it has nothing to query"),
                f"add {b.spell('KqlCommand', '<KQL query, e.g. MyTable | take 10>')}",
                kql.line if kql else 0,
            )
        )  # fmt: skip
    if b.direction == "out" and _empty(tbl):
        out.append(
            _finding(
                b, "table-name", "table_name_missing",
                f"{where(b)} names no TableName, the table an output binding ingests into: "
                + (fails if neither else "it has nowhere to ingest"),
                f"add {b.spell('TableName', '<table>')}", tbl.line if tbl else 0,
            )
        )  # fmt: skip
    return out


# The properties whose value a check reads: one that is not known from the source is said.
VALUED = ("Database", "Connection", "ManagedServiceIdentity")


def unresolved(project: Project) -> str | None:
    """One note for every value a check needs that is not known from the source (a call, an
    interpolation, a setting read at run time, a constant declared outside the project)."""
    found = [
        f"{b.file}:{p.line} {p.key} = {p.expr}"
        for b in project.bindings
        for name in VALUED
        if (p := b.get(name)) is not None and p.value is None
    ]
    if not found:
        return None
    return (
        f"{len(found)} value(s) are not known from the source, so what depends on them was "
        "not checked: " + "; ".join(found)
    )


def check_shared(bindings: list[Binding]) -> list[Finding]:
    """Bindings of one app that share one Connection but name different identities. The
    extension caches its Kusto clients by the connection string's value, not the identity, so
    all of them use whichever identity built the client first
    (src/Config/KustoExtensionConfigProvider.cs)."""
    groups: dict[str, list[Binding]] = {}
    for b in bindings:
        conn, msi = b.get("Connection"), b.get("ManagedServiceIdentity")
        # Only literal identities compare: a missing or invalid one is reported already, and a
        # %Setting% reference is known only with the app's settings.
        kind = identity_kind(msi.value) if msi is not None and msi.value else None
        if conn is not None and conn.value and kind in ("guid", "system"):
            # The cache is the app's own: bindings of two projects (two host.json) never share.
            groups.setdefault(f"{b.app}\n{conn.value.lower()}", []).append(b)
    out = []
    for group in groups.values():
        first = group[0]
        first_id = _identity(first)
        for b in group[1:]:
            ident = _identity(b)
            if ident.strip().lower() == first_id.strip().lower():
                continue
            conn = b.get("Connection")
            assert conn is not None and conn.value
            out.append(
                _finding(
                    b, "shared-connection", "connection_shared",
                    f"{where(b)} uses Connection {conn.value} with identity {ident}, as "
                    f"{first.file}:{first.line} does with {first_id}: the extension caches one "
                    "client per connection string, so both get whichever identity came first",
                    f"give this identity its own setting: {b.spell('Connection', conn.value + '2')}"
                    f"; kustomi set-connection --app <app> -g <rg> --cluster <cluster> "
                    f"--database {_db(b)} --setting {conn.value}2",
                    conn.line,
                )
            )  # fmt: skip
    return out


def _db(b: Binding) -> str:
    db = b.get("Database")
    return shlex.quote(db.value) if db is not None and db.value else "<db>"


def _value(b: Binding, name: str) -> str:
    p = b.get(name)
    if p is None:
        return "(none)"
    return p.value if p.value is not None else f"{p.expr} (not known from the source)"


def _identity(b: Binding) -> str:
    msi = b.get("ManagedServiceIdentity")
    if msi is None or not msi.value:
        return "(none)"
    return msi.value


# A value written to be replaced, as templates and READMEs ship local.settings.json
# (AppKey=<AppKey>, {app-key}, ${APP_KEY}, xxxx): not a secret, and nothing to rotate.
PLACEHOLDER = re.compile(r"<[^<>]*>|\{[^{}]*\}|\$\{[^{}]*\}|\[[^\[\]]*\]|x{3,}|\*{3,}|\.{3}", re.I)


def placeholders(value: str) -> set[str]:
    """The keys of a connection string whose whole value is a placeholder."""
    out = set()
    for part in value.split(";"):
        key, sep, val = part.partition("=")
        if sep and PLACEHOLDER.fullmatch(val.strip()):
            out.add(key.strip())
    return out


def check_local_settings(project: Project) -> list[Finding]:
    """local.settings.json values that a binding names, or that point at Kusto, with a secret."""
    named = {
        c.value.lower()
        for b in project.bindings
        if (c := b.get("Connection")) is not None and c.value
    }
    out = []
    for s in project.local_settings:
        bare = s.name.split(":", 1)[-1].lower()
        if bare not in named and "kusto" not in s.value.lower():
            continue
        secrets = [k for k in secret_keys_in(s.value) if k not in placeholders(s.value)]
        if secrets:
            out.append(
                Finding(
                    "local-settings", "local_setting_has_secret",
                    f"{s.name} holds a secret ({', '.join(secrets)}); value not shown",
                    f'"{s.name.split(":", 1)[-1]}": "Data Source=https://<cluster>.<region>.'
                    'kusto.windows.net;Database=<db>;" and the identity in the binding; '
                    "then rotate that secret",
                    file=s.file, line=s.line,
                )
            )  # fmt: skip
    return out


def code_findings(project: Project) -> list[Finding]:
    out: list[Finding] = []
    for b in project.bindings:
        mine = check_binding(b)
        out += mine
        if not mine:
            conn, msi = _value(b, "Connection"), _value(b, "ManagedServiceIdentity")
            detail = f"{where(b)}: Connection {conn}, ManagedServiceIdentity {msi}"
            out.append(_finding(b, "binding", "ok", detail, ""))
    out += check_shared(project.bindings)
    out += check_local_settings(project)
    return out

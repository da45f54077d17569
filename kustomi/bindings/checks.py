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
    return f"{b.function} ({'input' if b.direction == 'in' else 'output'}, {b.model})"


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


def check_shared(bindings: list[Binding]) -> list[Finding]:
    """Bindings that share one Connection but name different identities. The extension caches
    its Kusto clients by the connection string's value, not the identity, so all of them use
    whichever identity built the client first (src/Config/KustoExtensionConfigProvider.cs)."""
    groups: dict[str, list[Binding]] = {}
    for b in bindings:
        conn, msi = b.get("Connection"), b.get("ManagedServiceIdentity")
        # Only literal identities compare: a missing or invalid one is reported already, and a
        # %Setting% reference is known only with the app's settings.
        kind = identity_kind(msi.value) if msi is not None and msi.value else None
        if conn is not None and conn.value and kind in ("guid", "system"):
            groups.setdefault(conn.value.lower(), []).append(b)
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
    return "(a constant)" if p is None or p.value is None else p.value


def _identity(b: Binding) -> str:
    msi = b.get("ManagedServiceIdentity")
    if msi is None or not msi.value:
        return "(none)"
    return msi.value


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
        secrets = secret_keys_in(s.value)
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

"""The Kusto data plane of every emulated cluster, as https://learn.microsoft.com/kusto/api/rest/
(request, response, response-v2) and the role commands of
https://learn.microsoft.com/kusto/management/manage-database-security-roles describe it.

Routes: GET /v1/rest/auth/metadata (cloud discovery), POST <cluster>/v1/rest/mgmt (v1 frames),
POST <cluster>/v2/rest/query (v2 frames). Tokens are checked (401), then database roles, read
from the same state that ARM principal assignments and `.add database` write (403 with the
service's error body). It answers `print`, `.show version`, `.show database <db> principals`,
`.show database <db> principal roles`, `.add`/`.drop database <db> <role> (...)`, and on a
table of the request's database `.show table T principals|principal roles` and `.add`/`.drop
table T admins|ingestors (...)`
(https://learn.microsoft.com/kusto/management/manage-table-security-roles); anything else is a
400 with Kusto's error body, never a fake success. Cluster-wide roles (ARM cluster principal
assignments) hold, on every database, the database role each implies.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from .entra import KUSTO_AUDIENCES, TokenIssuer, bearer
from .kql import KqlSyntaxError, Token, tokenize
from .state import (
    CLUSTER_ROLES,
    DB_ROLES,
    KQL_ROLE,
    READ_ROLES,
    TABLE_KQL_ROLE,
    Cluster,
    Database,
    DbPrincipal,
    Table,
    World,
)
from .wire import HttpError, Request, Response, json_response

SHOW_PRINCIPALS_ROLES = {"Admin", "User", "Viewer", "Monitor", "UnrestrictedViewer"}


class KustoError(Exception):
    def __init__(self, status: int, code: str, message: str, at_message: str, at_type: str) -> None:
        super().__init__(at_message)
        self.status, self.code, self.message = status, code, message
        self.at_message, self.at_type = at_message, at_type


def _bad_request(
    at_message: str,
    code: str = "General_BadRequest",
    at_type: str = "Kusto.Data.Exceptions.KustoBadRequestException",
) -> KustoError:
    return KustoError(400, code, "Request is invalid and cannot be executed.", at_message, at_type)


def _forbidden(at_message: str) -> KustoError:
    return KustoError(
        403,
        "Forbidden",
        "Caller is not authorized to perform this action",
        at_message,
        "Kusto.DataNode.Exceptions.UnauthorizedDatabaseAccessException",
    )


def error_body(e: KustoError, req: Request, activity: str) -> dict[str, Any]:
    """The documented failure body (tests/reference/kusto-samples, from
    https://learn.microsoft.com/kusto/api/rest/response-v2).

    It always has the "error" key: azure-kusto-data 6.0.4 raises a raw KeyError otherwise
    (_handle_http_error in azure/kusto/data/client_base.py)."""
    return {
        "error": {
            "code": e.code,
            "message": e.message,
            "@type": e.at_type,
            "@message": e.at_message,
            "@context": {
                "timestamp": dt.datetime.now(dt.timezone.utc).isoformat(),
                "serviceAlias": "KUSTOMI-EMULATOR",
                "machineName": "KEngine000000",
                "processName": "Kusto.WinSvc.Svc",
                "processId": 1,
                "threadId": 1,
                "clientRequestId": req.headers.get("x-ms-client-request-id", ""),
                "activityId": activity,
                "subActivityId": str(uuid.uuid4()),
                "activityType": "DN.FE.ExecuteQuery",
                "parentActivityId": str(uuid.uuid4()),
                "activityStack": f"(Activity stack: ARID={activity})",
            },
            "@permanent": e.status != 429,
        }
    }


def metadata(req: Request, authority: str) -> Response:
    """Cloud discovery: all six AzureAD keys, or azure-kusto-data raises KeyError
    (azure/kusto/data/_cloud_settings.py)."""
    return json_response(
        200,
        {
            "AzureAD": {
                "LoginEndpoint": authority,
                "LoginMfaRequired": False,
                "KustoClientAppId": "db662dc1-0cfe-4e1c-a843-19a68e65be58",
                "KustoClientRedirectUri": "https://microsoft/kustoclient",
                "KustoServiceResourceId": "https://kusto.kusto.windows.net",
                "FirstPartyAuthorityUrl": f"{authority}/f8cdef31-a31e-4b4a-93e4-5f571e91255a",
            },
            "dSTS": {
                "CloudEndpointSuffix": "windows.net",
                "DstsRealm": "realm://dsts.core.windows.net",
                "DstsInstance": "prod-dsts.dsts.core.windows.net",
                "KustoDnsHostName": "kusto.windows.net",
                "ServiceName": "kusto",
            },
        },
    )


class KustoDataPlane:
    def __init__(self, world: World, issuer: TokenIssuer) -> None:
        self.world = world
        self.issuer = issuer

    # --- entry points --------------------------------------------------------------------
    def mgmt(self, req: Request) -> Response:
        return self._execute(req, v2=False)

    def query(self, req: Request) -> Response:
        return self._execute(req, v2=True)

    def _execute(self, req: Request, v2: bool) -> Response:
        activity = str(uuid.uuid4())
        headers = {
            "x-ms-activity-id": activity,
            "x-ms-client-request-id": req.headers.get("x-ms-client-request-id", ""),
        }
        cluster = self._cluster(req.params["cluster"])
        if cluster is None:
            not_found = {"code": "NotFound", "message": "Not found", "@message": "No such cluster."}
            raise HttpError(json_response(404, {"error": not_found}, headers))
        token = bearer(req)
        uri = f"{req.base_url}/kusto/{cluster.name.lower()}"
        claims = self.issuer.verify(token, (*KUSTO_AUDIENCES, uri)) if token else None
        if claims is None:
            # A 401 body need not be JSON; azure-kusto-data says "Missing adequate access rights"
            # whatever it holds (azure/kusto/data/client_base.py).
            raise HttpError(
                Response(
                    401,
                    b'{"Message":"Authorization has been denied for this request."}',
                    {**headers, "Content-Type": "application/json"},
                )
            )
        try:
            doc = req.json() or {}
            csl = str(doc.get("csl", ""))
            db = str(doc.get("db", ""))
            tables = self._run(cluster, uri, db, csl, claims, v2)
        except KustoError as e:
            return json_response(e.status, error_body(e, req, activity), headers)
        except (ValueError, KeyError) as e:
            err = _bad_request(f"Request is invalid and cannot be processed: {e}")
            return json_response(400, error_body(err, req, activity), headers)
        body = (
            v2_frames(tables, req)
            if v2
            else {
                "Tables": [
                    {"TableName": f"Table_{i}", "Columns": cols, "Rows": rows}
                    for i, (cols, rows) in enumerate(tables)
                ]
            }
        )
        return json_response(200, body, headers)

    # --- commands ------------------------------------------------------------------------
    def _run(
        self, cluster: Cluster, uri: str, db: str, csl: str, claims: dict[str, Any], v2: bool
    ) -> list[tuple[list[dict[str, str]], list[list[Any]]]]:
        try:
            toks = tokenize(csl)
        except KqlSyntaxError as e:
            raise _bad_request(
                f"Syntax error: SYN0002: {e}",
                "BadRequest_SyntaxError",
                "Kusto.Data.Exceptions.SyntaxException",
            ) from e
        words = [t.value.lower() if t.kind == "ident" else t.value for t in toks]
        fqn = f"aadapp={claims.get('appid')};{claims.get('tid')}"
        if words[:1] == ["print"] and v2:
            database = self._database(cluster, db)
            self._require(
                cluster,
                database,
                claims,
                READ_ROLES,
                f"Principal '{fqn}' is not authorized to read database '{database.name}'.",
            )
            return [self._print(toks[1:])]
        if v2 or words[:1] != ["."]:
            raise self._unsupported(csl)
        if words[1:3] == ["show", "version"] and len(words) == 3:
            if not self._any_access(cluster, claims):
                raise _forbidden(
                    f"Principal '{fqn}' is not authorized to perform operation "
                    f"'VersionShowCommand' on '{uri}:443/'."
                )
            return [version_table()]
        if words[1:3] == ["show", "database"] and len(toks) >= 5:
            database = self._database(cluster, _entity(toks[3]))
            rest = words[4:]
            if rest == ["principals"]:
                self._require(
                    cluster,
                    database,
                    claims,
                    SHOW_PRINCIPALS_ROLES,
                    f"Principal '{fqn}' is not authorized to read database '{database.name}'.",
                )
                return [self._principals_table(cluster, database)]
            if rest == ["principal", "roles"]:
                return [self._own_roles_table(cluster, database, claims, fqn)]
        if words[1:2] in (["add"], ["drop"]) and words[2:3] == ["database"]:
            return self._change_roles(cluster, toks, claims, fqn, words[1])
        if words[1:3] == ["show", "table"] and len(toks) >= 5:
            database = self._database(cluster, db)
            table = self._table(database, _entity(toks[3]))
            rest = words[4:]
            if rest == ["principals"]:
                if not (
                    self._held(cluster, database, claims) & SHOW_PRINCIPALS_ROLES
                    or "Admin" in self._mine(table.principals, claims)
                ):
                    raise _forbidden(
                        f"Principal '{fqn}' is not authorized to read table "
                        f"'{database.name}.{table.name}'."
                    )
                return [self._table_principals(database, table)]
            if rest == ["principal", "roles"]:
                return [self._own_table_roles(cluster, database, table, claims, fqn)]
        if words[1:2] in (["add"], ["drop"]) and words[2:3] == ["table"]:
            return self._change_table_roles(cluster, db, toks, claims, fqn, words[1])
        raise self._unsupported(csl)

    def _unsupported(self, csl: str) -> KustoError:
        first = csl.strip().split("\n")[0][:80]
        return _bad_request(
            f"Request is invalid and cannot be processed: Syntax error: SYN0002: A recognition "
            f"error occurred. The kustomi emulator does not implement: {first}",
            "BadRequest_SyntaxError",
            "Kusto.Data.Exceptions.SyntaxException",
        )

    def _role_change(
        self, toks: list[Token], roles: dict[str, str], scope: str
    ) -> tuple[str, str, list[str], bool, str]:
        """`.add|.drop <scope> <name> <role> ( 'p' [, 'p'...] ) [skip-results] ['notes']`:
        the entity's name, the role, the principals, skip-results and the notes."""
        if len(toks) < 7:
            raise self._unsupported(" ".join(t.value for t in toks))
        entity = _entity(toks[3])
        role = roles.get(toks[4].value.lower()) if toks[4].kind == "ident" else None
        if role is None:
            raise _bad_request(
                f"Syntax error: SYN0002: '{toks[4].value}' is not a {scope} "
                f"role ({', '.join(roles)}).",
                "BadRequest_SyntaxError",
                "Kusto.Data.Exceptions.SyntaxException",
            )
        if toks[5] != Token("punct", "("):
            raise _bad_request(
                "Syntax error: SYN0002: expected '('",
                "BadRequest_SyntaxError",
                "Kusto.Data.Exceptions.SyntaxException",
            )
        i, principals = 6, []
        while i < len(toks) and toks[i] != Token("punct", ")"):
            if toks[i].kind != "string":
                raise _bad_request(
                    "Syntax error: SYN0002: a principal must be a string literal",
                    "BadRequest_SyntaxError",
                    "Kusto.Data.Exceptions.SyntaxException",
                )
            principals.append(toks[i].value)
            i += 1
            if i < len(toks) and toks[i] == Token("punct", ","):
                i += 1
        if i >= len(toks):
            raise _bad_request(
                "Syntax error: SYN0002: expected ')'",
                "BadRequest_SyntaxError",
                "Kusto.Data.Exceptions.SyntaxException",
            )
        rest = toks[i + 1 :]
        skip = bool(rest) and rest[0].kind == "ident" and rest[0].value.lower() == "skip-results"
        rest = rest[1:] if skip else rest
        notes = ""
        if rest:
            if len(rest) != 1 or rest[0].kind != "string":
                raise _bad_request(
                    "Syntax error: SYN0002: unexpected tokens after the principal list",
                    "BadRequest_SyntaxError",
                    "Kusto.Data.Exceptions.SyntaxException",
                )
            notes = rest[0].value
        return entity, role, principals, skip, notes

    def _apply_change(
        self, held: list[DbPrincipal], role: str, principals: list[str], verb: str, notes: str
    ) -> None:
        """Add (once) or drop each principal's `role` in the list `held`."""
        w = self.world
        resolved = [self._resolve(p) for p in principals]
        with w.lock:
            for r in resolved:
                same = [
                    x
                    for x in held
                    if x.role == role and (x.app_id == r["app_id"] or x.object_id == r["object_id"])
                ]
                if verb == "add" and not same:
                    held.append(
                        DbPrincipal(
                            role=role,
                            principal_type=r["type"],
                            app_id=r["app_id"],
                            object_id=r["object_id"],
                            tenant_id=w.tenant_id,
                            display_name=r["name"],
                            principal_id=r["app_id"],
                            notes=notes,
                            granted_at=w.now(),
                        )
                    )
                elif verb == "drop":
                    for x in same:
                        held.remove(x)

    def _change_roles(
        self, cluster: Cluster, toks: list[Token], claims: dict[str, Any], fqn: str, verb: str
    ) -> list[tuple[list[dict[str, str]], list[list[Any]]]]:
        name, role, principals, skip, notes = self._role_change(toks, KQL_ROLE, "database")
        database = self._database(cluster, name)
        if not self._is_admin(cluster, database, claims):
            raise _forbidden(
                f"Principal '{fqn}' is not authorized to perform operation "
                f"'Add or drop database principals' on database '{database.name}'."
            )
        self._apply_change(database.principals, role, principals, verb, notes)
        return [] if skip else [self._principals_table(cluster, database)]

    def _change_table_roles(
        self,
        cluster: Cluster,
        db: str,
        toks: list[Token],
        claims: dict[str, Any],
        fqn: str,
        verb: str,
    ) -> list[tuple[list[dict[str, str]], list[list[Any]]]]:
        """`.add|.drop table T admins|ingestors (...)`: Database Admin or the table's Admin
        (https://learn.microsoft.com/kusto/management/manage-table-security-roles)."""
        name, role, principals, skip, notes = self._role_change(toks, TABLE_KQL_ROLE, "table")
        database = self._database(cluster, db)
        table = self._table(database, name)
        if not (
            self._is_admin(cluster, database, claims)
            or "Admin" in self._mine(table.principals, claims)
        ):
            raise _forbidden(
                f"Principal '{fqn}' is not authorized to perform operation "
                f"'Add or drop table principals' on table '{database.name}.{table.name}'."
            )
        self._apply_change(table.principals, role, principals, verb, notes)
        return [] if skip else [self._table_principals(database, table)]

    def _resolve(self, principal: str) -> dict[str, str]:
        kind, _, rest = principal.partition("=")
        ident, _, tenant = rest.partition(";")
        kind = kind.strip().lower()
        if kind not in ("aadapp", "aaduser", "aadgroup") or not ident:
            raise _bad_request(
                f"Principal '{principal}' is not a valid principal FQN "
                "(aadapp=..., aaduser=..., aadgroup=...)."
            )
        known = self.world.entra_principal(ident.strip())
        if known is None or (tenant and tenant.strip().lower() != self.world.tenant_id):
            # Kusto's wording here is undocumented; the status (400) and body shape are its own.
            raise _bad_request(
                f"Principal '{principal}' could not be resolved: the AAD principal was not "
                f"found in tenant '{tenant or self.world.tenant_id}'.",
                "BadRequest_PrincipalNotFound",
                "Kusto.Data.Exceptions.KustoBadRequestException",
            )
        return known

    # --- role checks ---------------------------------------------------------------------
    def _mine(self, principals: list[DbPrincipal], claims: dict[str, Any]) -> set[str]:
        """The roles of `principals` this caller holds now (granted and propagated)."""
        appid, oid = str(claims.get("appid", "")), str(claims.get("oid", ""))
        tid = str(claims.get("tid", ""))
        horizon = self.world.now() - self.world.knobs.role_propagation_seconds
        return {
            p.role
            for p in principals
            if p.enforced
            and p.granted_at <= horizon
            and p.tenant_id == tid
            and (p.app_id == appid or p.object_id == oid)
        }

    def _cluster_roles(self, cluster: Cluster, claims: dict[str, Any]) -> set[str]:
        """The cluster-wide roles this caller holds (AllDatabasesViewer, ...)."""
        held = self._mine(cluster.principals, claims)
        if self._creator_admin(cluster, claims):
            held.add("AllDatabasesAdmin")
        return held

    def _held(self, cluster: Cluster, db: Database, claims: dict[str, Any]) -> set[str]:
        """The database roles this caller holds on db now: its own, and those its cluster-wide
        roles hold on every database."""
        own = self._mine(db.principals, claims)
        return own | {CLUSTER_ROLES[r] for r in self._cluster_roles(cluster, claims)}

    def _creator_admin(self, cluster: Cluster, claims: dict[str, Any]) -> bool:
        pair = (str(claims.get("appid", "")), str(claims.get("oid", "")))
        return any(a == pair[0] or o == pair[1] for a, o in cluster.admins)

    def _cluster_admin(self, cluster: Cluster, claims: dict[str, Any]) -> bool:
        return "AllDatabasesAdmin" in self._cluster_roles(cluster, claims)

    def _is_admin(self, cluster: Cluster, db: Database, claims: dict[str, Any]) -> bool:
        return "Admin" in self._held(cluster, db, claims)

    def _any_access(self, cluster: Cluster, claims: dict[str, Any]) -> bool:
        return bool(self._cluster_roles(cluster, claims)) or any(
            self._held(cluster, d, claims) or self._on_tables(d, claims)
            for d in cluster.databases.values()
        )

    def _on_tables(self, db: Database, claims: dict[str, Any]) -> set[str]:
        """The table roles this caller holds on any table of db."""
        return set().union(*(self._mine(t.principals, claims) for t in db.tables.values()))

    def _require(
        self, cluster: Cluster, db: Database, claims: dict[str, Any], roles: set[str], message: str
    ) -> None:
        if not self._held(cluster, db, claims) & roles:
            raise _forbidden(message)

    # --- lookups and tables --------------------------------------------------------------
    def _cluster(self, name: str) -> Cluster | None:
        return next(
            (c for c in self.world.clusters.values() if c.name.lower() == name.lower()), None
        )

    def _database(self, cluster: Cluster, name: str) -> Database:
        db = cluster.databases.get(name.lower())
        if db is None:
            raise _bad_request(
                f"Database '{name}' was not found.",
                "BadRequest_DatabaseNotExist",
                "Kusto.Data.Exceptions.DatabaseNotFoundException",
            )
        return db

    def _table(self, db: Database, name: str) -> Table:
        t = db.tables.get(name.lower())
        if t is None:
            # The shape of Kusto's answer for an entity that does not exist (a 404 with
            # EntityNameDoesNotExistException, as in Azure/azure-kusto-samples-dotnet#29).
            message = f"Entity name '{name}' of kind 'Table' does not exist."
            raise KustoError(
                404,
                "NotFound",
                message,
                message,
                "Kusto.Common.Svc.Exceptions.EntityNameDoesNotExistException",
            )
        return t

    def _table_principals(
        self, db: Database, t: Table
    ) -> tuple[list[dict[str, str]], list[list[Any]]]:
        """`.show table T principals`: the columns of `.show database principals`; the Role
        reads "Table <db>.<T> <role>" (the wording is undocumented; kustomi reads its last word)."""
        return _principal_rows(f"Table {db.name}.{t.name}", t.principals, app_id_shown=False)

    def _own_table_roles(
        self, cluster: Cluster, db: Database, t: Table, claims: dict[str, Any], fqn: str
    ) -> tuple[list[dict[str, str]], list[list[Any]]]:
        """The caller's own roles on a table: those of the table, then those of its database
        (which hold on every table)."""
        on_table = sorted(self._mine(t.principals, claims))
        rows = [[f"Table {db.name}.{t.name}", r] for r in on_table]
        rows += [[f"Database {db.name}", r] for r in sorted(self._held(cluster, db, claims))]
        if not rows:
            raise _forbidden(
                f"Principal '{fqn}' is not authorized to read table '{db.name}.{t.name}'."
            )
        cols = _columns(("Scope", "DisplayName", "AADObjectID", "Role", "PrincipalFQN"))
        who = [str(claims.get("appid")), str(claims.get("oid"))]
        return cols, [[scope, *who, role, fqn] for scope, role in rows]

    def _principals_table(
        self, cluster: Cluster, db: Database
    ) -> tuple[list[dict[str, str]], list[list[Any]]]:
        return _principal_rows(f"Database {db.name}", db.principals, app_id_shown=True)

    def _own_roles_table(
        self, cluster: Cluster, db: Database, claims: dict[str, Any], fqn: str
    ) -> tuple[list[dict[str, str]], list[list[Any]]]:
        """The caller's own roles. https://learn.microsoft.com/kusto/management/security-roles
        documents the command, not its output schema: these columns are a guess, and kustomi
        reads only `Role`."""
        cluster_wide = sorted(self._cluster_roles(cluster, claims))
        own = self._mine(db.principals, claims)
        held = [*cluster_wide, *sorted(own, key=DB_ROLES.index)]
        if not held:
            raise _forbidden(f"Principal '{fqn}' is not authorized to read database '{db.name}'.")
        cols = _columns(("Scope", "DisplayName", "AADObjectID", "Role", "PrincipalFQN"))
        return cols, [
            [
                "Cluster" if r in CLUSTER_ROLES else f"Database {db.name}",
                str(claims.get("appid")),
                str(claims.get("oid")),
                r,
                fqn,
            ]
            for r in held
        ]

    def _print(self, toks: list[Token]) -> tuple[list[dict[str, str]], list[list[Any]]]:
        names: list[str] = []
        types: list[str] = []
        values: list[Any] = []
        i = 0
        while i < len(toks):
            name = f"print_{len(values)}"
            if i + 1 < len(toks) and toks[i].kind == "ident" and toks[i + 1] == Token("punct", "="):
                name, i = toks[i].value, i + 2
            if i >= len(toks):
                raise _bad_request("Syntax error: SYN0002: expected an expression after '='")
            t = toks[i]
            if t.kind == "string":
                types.append("string")
                values.append(t.value)
            elif t.kind == "number":
                types.append("long" if "." not in t.value else "real")
                values.append(int(t.value) if "." not in t.value else float(t.value))
            elif t.kind == "ident" and t.value in ("true", "false"):
                types.append("bool")
                values.append(t.value == "true")
            else:
                raise _bad_request(
                    f"Semantic error: SEM0100: the kustomi emulator evaluates only literals in "
                    f"print, not '{t.value}'."
                )
            names.append(name)
            i += 1
            if i < len(toks):
                if toks[i] != Token("punct", ","):
                    raise _bad_request("Syntax error: SYN0002: expected ','")
                i += 1
        cols = [{"ColumnName": n, "ColumnType": t} for n, t in zip(names, types, strict=False)]
        return cols, [values]


def _principal_rows(
    scope: str, principals: list[DbPrincipal], app_id_shown: bool
) -> tuple[list[dict[str, str]], list[list[Any]]]:
    """A `.show database|table ... principals` table: one row per principal the cluster
    enforces, its Role reading "<scope> <role>"."""
    cols = _columns(
        (
            "Role",
            "PrincipalType",
            "PrincipalDisplayName",
            "PrincipalObjectId",
            "PrincipalFQN",
            "Notes",
        )
    )
    ptype = {"App": "AAD Application", "User": "AAD User", "Group": "AAD Group"}
    rows = [
        [
            f"{scope} {p.role}",
            ptype[p.principal_type],
            f"{p.display_name} (app id: {p.app_id})"
            if app_id_shown and p.principal_type == "App"
            else p.display_name,
            p.object_id,
            p.fqn,
            p.notes,
        ]
        for p in principals
        if p.enforced
    ]
    return cols, rows


def _entity(tok: Token) -> str:
    if tok.kind not in ("ident", "name"):
        raise _bad_request(
            f"Syntax error: SYN0002: '{tok.value}' is not an entity name",
            "BadRequest_SyntaxError",
            "Kusto.Data.Exceptions.SyntaxException",
        )
    return tok.value


def _columns(names: tuple[str, ...]) -> list[dict[str, str]]:
    return [{"ColumnName": n, "DataType": "String", "ColumnType": "string"} for n in names]


def version_table() -> tuple[list[dict[str, str]], list[list[Any]]]:
    """As kusto-samples/versionshowcommandresult.json."""
    cols = [
        {"ColumnName": "BuildVersion", "DataType": "String"},
        {"ColumnName": "BuildTime", "DataType": "DateTime"},
        {"ColumnName": "ServiceType", "DataType": "String"},
        {"ColumnName": "ProductVersion", "DataType": "String"},
    ]
    return cols, [["1.0.9000.1", "2026-01-01T00:00:00Z", "Engine", "KustomiEmulator_1.0"]]


def v2_frames(
    tables: list[tuple[list[dict[str, str]], list[list[Any]]]], req: Request
) -> list[dict[str, Any]]:
    """The v2 frame array (https://learn.microsoft.com/kusto/api/rest/response-v2), keys in
    the order azure-kusto-data's streaming parser needs (azure/kusto/data/streaming_response.py)."""
    frames: list[dict[str, Any]] = [
        {"FrameType": "DataSetHeader", "IsProgressive": False, "Version": "v2.0"},
        {
            "FrameType": "DataTable",
            "TableId": 0,
            "TableKind": "QueryProperties",
            "TableName": "@ExtendedProperties",
            "Columns": [
                {"ColumnName": "TableId", "ColumnType": "int"},
                {"ColumnName": "Key", "ColumnType": "string"},
                {"ColumnName": "Value", "ColumnType": "dynamic"},
            ],
            "Rows": [[1, "Visualization", json.dumps({"Visualization": None})]],
        },
    ]
    for n, (cols, rows) in enumerate(tables):
        frames.append(
            {
                "FrameType": "DataTable",
                "TableId": n + 1,
                "TableKind": "PrimaryResult",
                "TableName": "PrimaryResult",
                "Columns": cols,
                "Rows": rows,
            }
        )
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    frames.append(
        {
            "FrameType": "DataTable",
            "TableId": len(tables) + 1,
            "TableKind": "QueryCompletionInformation",
            "TableName": "QueryCompletionInformation",
            "Columns": [
                {"ColumnName": n, "ColumnType": t}
                for n, t in (
                    ("Timestamp", "datetime"),
                    ("ClientRequestId", "string"),
                    ("ActivityId", "guid"),
                    ("SubActivityId", "guid"),
                    ("ParentActivityId", "guid"),
                    ("Level", "int"),
                    ("LevelName", "string"),
                    ("StatusCode", "int"),
                    ("StatusCodeName", "string"),
                    ("EventType", "int"),
                    ("EventTypeName", "string"),
                    ("Payload", "string"),
                )
            ],
            "Rows": [
                [
                    now,
                    req.headers.get("x-ms-client-request-id", ""),
                    str(uuid.uuid4()),
                    str(uuid.uuid4()),
                    str(uuid.uuid4()),
                    4,
                    "Info",
                    0,
                    "S_OK (0)",
                    4,
                    "QueryInfo",
                    json.dumps({"Count": 1, "Text": "Query completed successfully"}),
                ]
            ],
        }
    )
    frames.append({"FrameType": "DataSetCompletion", "HasErrors": False, "Cancelled": False})
    return frames

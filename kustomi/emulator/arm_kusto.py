"""Microsoft.Kusto clusters, databases and database principal assignments, api-version
2025-02-14 (ARM.md B).

Responses use slash-joined names and capitalised `Clusters`/`Databases`/`PrincipalAssignments`
in ids and types, as the official examples do. A principal assignment PUT is a long-running
operation answered 201 with Azure-AsyncOperation; the role takes effect when it completes.
"""

from __future__ import annotations

import re
import time
from typing import Any

from . import faults
from .arm import ArmContext, paged, resource_not_found
from .state import DB_ROLES, Cluster, Database, DbPrincipal
from .wire import Request, Response, Router, arm_error, json_response

PROVIDER = "Microsoft.Kusto"
ASSIGNMENT_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,259}$")


def cluster_uri(base_url: str, name: str) -> str:
    """The data-plane URI of an emulated cluster: loopback, so azure-kusto-data trusts it
    (KUSTO_AND_IDENTITY.md 0.1), and path-prefixed, so one port serves every cluster."""
    return f"{base_url}/kusto/{name.lower()}"


def register(router: Router, ctx: ArmContext) -> None:
    w = ctx.world

    def cid(rg: str, c: Cluster) -> str:
        return (
            f"/subscriptions/{w.subscription_id}/resourceGroups/{rg}/providers/"
            f"Microsoft.Kusto/Clusters/{c.name}"
        )

    def cluster_body(req: Request, c: Cluster) -> dict[str, Any]:
        uri = cluster_uri(req.base_url, c.name)
        return {
            "id": cid(c.resource_group, c),
            "name": c.name,
            "type": "Microsoft.Kusto/Clusters",
            "location": c.location,
            "etag": '"E1"',
            "sku": {"name": "Dev(No SLA)_Standard_E2a_v4", "tier": "Basic", "capacity": 1},
            "properties": {
                "state": "Running",
                "provisioningState": "Succeeded",
                "uri": uri,
                "dataIngestionUri": uri.replace("/kusto/", "/kusto/ingest-"),
                "engineType": "V3",
                "publicNetworkAccess": "Enabled",
                "enableStreamingIngest": False,
            },
        }

    def db_body(c: Cluster, d: Database) -> dict[str, Any]:
        return {
            "id": f"{cid(c.resource_group, c)}/Databases/{d.name}",
            "name": f"{c.name}/{d.name}",
            "type": "Microsoft.Kusto/Clusters/Databases",
            "kind": "ReadWrite",
            "location": c.location,
            "properties": {
                "softDeletePeriod": "P365D",
                "hotCachePeriod": "P31D",
                "provisioningState": "Succeeded",
                "statistics": {"size": 0.0},
                "isFollowed": False,
            },
        }

    def pa_body(c: Cluster, d: Database, p: DbPrincipal) -> dict[str, Any]:
        return {
            "id": (
                f"{cid(c.resource_group, c)}/Databases/{d.name}/PrincipalAssignments/{p.assignment}"
            ),
            "name": f"{c.name}/{d.name}/{p.assignment}",
            "type": "Microsoft.Kusto/Clusters/Databases/PrincipalAssignments",
            "properties": {
                "principalId": p.principal_id,
                "role": p.role,
                "principalType": p.principal_type,
                "tenantId": p.tenant_id,
                "tenantName": "kustomi-emulator",
                "principalName": p.display_name,
                "provisioningState": p.provisioning,
                "aadObjectId": p.object_id,
            },
        }

    def find_cluster(req: Request) -> Cluster | Response:
        c = w.clusters.get((req.params["rg"].lower(), req.params["cluster"].lower()))
        if c is None:
            return resource_not_found(
                "Microsoft.Kusto/clusters", req.params["cluster"], req.params["rg"]
            )
        return c

    def find_db(req: Request) -> tuple[Cluster, Database] | Response:
        c = find_cluster(req)
        if isinstance(c, Response):
            return c
        d = c.databases.get(req.params["db"].lower())
        if d is None:
            # The RP's own 404 for a child resource (ARM.md D: code UNCONFIRMED per RP).
            return arm_error(404, "NotFound", f"{c.name}/{req.params['db']} not found")
        return c, d

    def find_assignment(d: Database, name: str) -> DbPrincipal | None:
        return next(
            (
                p
                for p in d.principals
                if p.assignment is not None and p.assignment.lower() == name.lower()
            ),
            None,
        )

    # --- clusters ------------------------------------------------------------------------
    def put_cluster(req: Request) -> Response:
        doc = req.json() or {}
        if not doc.get("location") or not doc.get("sku"):
            return arm_error(400, "InvalidPayload", "location and sku are required.")
        name = req.params["cluster"]
        if any(c.name.lower() == name.lower() for c in w.clusters.values()) and (
            (req.params["rg"].lower(), name.lower()) not in w.clusters
        ):
            return arm_error(409, "Conflict", f"Cluster name '{name}' is already taken.")
        with w.lock:
            key = (req.params["rg"].lower(), name.lower())
            c = w.clusters.get(key)
            status = 200
            if c is None:
                status = 201
                rg = w.resource_groups[req.params["rg"].lower()]["name"]
                c = Cluster(resource_group=rg, name=name, location=doc["location"])
                # The cluster's creator is made AllDatabasesAdmin.
                claims = req.claims or {}
                c.admins.append((str(claims.get("appid", "")), str(claims.get("oid", ""))))
                w.clusters[key] = c
            return json_response(status, cluster_body(req, c))

    def get_cluster(req: Request) -> Response:
        c = find_cluster(req)
        return c if isinstance(c, Response) else json_response(200, cluster_body(req, c))

    def list_clusters_rg(req: Request) -> Response:
        rg = req.params["rg"].lower()
        return paged(req, [cluster_body(req, c) for (r, _), c in w.clusters.items() if r == rg])

    def list_clusters_sub(req: Request) -> Response:
        return paged(req, [cluster_body(req, c) for c in w.clusters.values()])

    # --- databases -----------------------------------------------------------------------
    def put_db(req: Request) -> Response:
        c = find_cluster(req)
        if isinstance(c, Response):
            return c
        doc = req.json() or {}
        if doc.get("kind") not in ("ReadWrite", "ReadOnlyFollowing"):
            return arm_error(400, "InvalidPayload", "The database kind is required.")
        with w.lock:
            d = c.databases.get(req.params["db"].lower())
            status = 200 if d else 201
            if d is None:
                d = c.databases[req.params["db"].lower()] = Database(name=req.params["db"])
        return json_response(status, db_body(c, d))

    def get_db(req: Request) -> Response:
        found = find_db(req)
        return found if isinstance(found, Response) else json_response(200, db_body(*found))

    def list_dbs(req: Request) -> Response:
        c = find_cluster(req)
        if isinstance(c, Response):
            return c
        return paged(req, [db_body(c, d) for d in c.databases.values()])

    # --- principal assignments -----------------------------------------------------------
    def put_pa(req: Request) -> Response:
        found = find_db(req)
        if isinstance(found, Response):
            return found
        c, d = found
        props = (req.json() or {}).get("properties") or {}
        role = next((r for r in DB_ROLES if r.lower() == str(props.get("role", "")).lower()), None)
        if role is None:
            # Wording from Azure/azure-cli-extensions#2857 (ARM.md B.3).
            return arm_error(
                400,
                "BadRequest",
                "Database principal role is invalid. Please provide valid database "
                "principal role (Admin, Viewer, User, etc.).",
            )
        ptype = props.get("principalType")
        if ptype not in ("App", "User", "Group"):
            return arm_error(400, "BadRequest", f"Principal type '{ptype}' is invalid.")
        pid = str(props.get("principalId", ""))
        tenant = str(props.get("tenantId") or w.tenant_id).lower()
        known = w.entra_principal(pid) if tenant == w.tenant_id else None
        if known is None:
            # Wording from Azure/azure-sdk-for-net#16416 (ARM.md B.3).
            kind = {"App": "AAD Application Id", "User": "AAD User", "Group": "AAD Group"}[ptype]
            return arm_error(
                400,
                "400-BadRequest",
                f"[BadRequest] Entity ID '{pid}' of type '{kind}' was not found in "
                f"AAD tenant '{tenant}'.",
            )
        name = req.params["name"]
        fail = faults.take(w, "kusto.principalAssignments.put", "PUT", ("lro_failed",))
        with w.lock:
            existing = find_assignment(d, name)
            if existing is not None:
                existing.role, existing.principal_type = role, ptype
                existing.app_id, existing.object_id = known["app_id"], known["object_id"]
                existing.principal_id = pid
                return json_response(200, pa_body(c, d, existing))
            p = DbPrincipal(
                role=role,
                principal_type=ptype,
                app_id=known["app_id"],
                object_id=known["object_id"],
                tenant_id=tenant,
                display_name=known["name"],
                principal_id=pid,
                assignment=name,
                provisioning="Creating",
            )
            d.principals.append(p)

        def done(ok: bool) -> None:
            with w.lock:
                if ok:
                    p.provisioning, p.granted_at = "Succeeded", time.time()
                elif p in d.principals:
                    d.principals.remove(p)

        error = None
        if fail is not None:
            error = {
                "code": fail.get("code", "InternalServerError"),
                "message": fail.get("message", "The operation failed."),
            }
        headers = ctx.start_operation(
            req, c.location.replace(" ", "").lower(), PROVIDER, done, error
        )
        return json_response(201, pa_body(c, d, p), headers)

    def get_pa(req: Request) -> Response:
        found = find_db(req)
        if isinstance(found, Response):
            return found
        c, d = found
        p = find_assignment(d, req.params["name"])
        if p is None:
            return arm_error(404, "NotFound", f"{c.name}/{d.name}/{req.params['name']} not found")
        return json_response(200, pa_body(c, d, p))

    def list_pa(req: Request) -> Response:
        found = find_db(req)
        if isinstance(found, Response):
            return found
        c, d = found
        return paged(req, [pa_body(c, d, p) for p in d.principals if p.assignment])

    def delete_pa(req: Request) -> Response:
        found = find_db(req)
        if isinstance(found, Response):
            return found
        c, d = found
        p = find_assignment(d, req.params["name"])
        if p is None:
            return Response(204)

        def done(ok: bool) -> None:
            with w.lock:
                if ok and p in d.principals:
                    d.principals.remove(p)

        headers = ctx.start_operation(req, c.location.replace(" ", "").lower(), PROVIDER, done)
        return Response(202, b"", headers)

    def check_name(req: Request) -> Response:
        found = find_db(req)
        if isinstance(found, Response):
            return found
        _, d = found
        body = req.json() or {}
        name = str(body.get("name", ""))
        # Both properties are required by the spec (ARM.md B, checkPrincipalAssignmentName...).
        if body.get("type") != "Microsoft.Kusto/clusters/databases/principalAssignments":
            return arm_error(
                400,
                "InvalidRequestContent",
                "The request content was invalid: 'type' must be "
                "'Microsoft.Kusto/clusters/databases/principalAssignments'.",
            )
        if not ASSIGNMENT_NAME_RE.match(name):
            return json_response(
                200,
                {
                    "name": name,
                    "nameAvailable": False,
                    "reason": "Invalid",
                    "message": f"Name '{name}' is invalid.",
                },
            )
        if find_assignment(d, name) is not None:
            return json_response(
                200,
                {
                    "name": name,
                    "nameAvailable": False,
                    "reason": "AlreadyExists",
                    "message": f"Name '{name}' is already taken. Please specify a different name",
                },
            )
        return json_response(200, {"name": name, "nameAvailable": True})

    def list_principals(req: Request) -> Response:
        """The legacy listPrincipals action (KustoDatabaseListPrincipals.json)."""
        found = find_db(req)
        if isinstance(found, Response):
            return found
        _, d = found
        return json_response(
            200,
            {
                "value": [
                    {
                        "name": p.display_name,
                        "type": p.principal_type,
                        "appId": p.app_id if p.principal_type == "App" else "",
                        "email": "",
                        "fqn": p.fqn,
                        "role": p.role,
                        "tenantName": "kustomi-emulator",
                    }
                    for p in d.principals
                    if p.provisioning == "Succeeded"
                ]
            },
        )

    k = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Kusto/clusters"
    c1 = k + "/{cluster}"
    d1 = c1 + "/databases/{db}"
    router.add("PUT", c1, put_cluster, "kusto.clusters.put")
    router.add("GET", c1, get_cluster, "kusto.clusters.get")
    router.add("GET", k, list_clusters_rg, "kusto.clusters.list")
    router.add(
        "GET",
        "/subscriptions/{sub}/providers/Microsoft.Kusto/clusters",
        list_clusters_sub,
        "kusto.clusters.listBySubscription",
    )
    router.add("PUT", d1, put_db, "kusto.databases.put")
    router.add("GET", d1, get_db, "kusto.databases.get")
    router.add("GET", c1 + "/databases", list_dbs, "kusto.databases.list")
    router.add("PUT", d1 + "/principalAssignments/{name}", put_pa, "kusto.principalAssignments.put")
    router.add("GET", d1 + "/principalAssignments/{name}", get_pa, "kusto.principalAssignments.get")
    router.add(
        "DELETE",
        d1 + "/principalAssignments/{name}",
        delete_pa,
        "kusto.principalAssignments.delete",
    )
    router.add("GET", d1 + "/principalAssignments", list_pa, "kusto.principalAssignments.list")
    router.add(
        "POST",
        d1 + "/checkPrincipalAssignmentNameAvailability",
        check_name,
        "kusto.principalAssignments.checkName",
    )
    router.add("POST", d1 + "/listPrincipals", list_principals, "kusto.databases.listPrincipals")

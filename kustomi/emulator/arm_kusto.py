"""Microsoft.Kusto clusters, databases and database principal assignments, as in
specification/azure-kusto/resource-manager/Microsoft.Kusto/Kusto/stable/2025-02-14/kusto.json
and its examples (KustoClustersGet.json, KustoDatabasePrincipalAssignmentsCreateOrUpdate.json,
...).

Responses use slash-joined names and capitalised `Clusters`/`Databases`/`PrincipalAssignments`
in ids and types, as the official examples do. A principal assignment PUT is a long-running
operation answered 201 with Azure-AsyncOperation; the role takes effect when it completes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar

from . import faults
from .arm import Provider, paged, require_location, resource_not_found
from .state import CLUSTER_ROLES, DB_ROLES, Cluster, Database, DbPrincipal
from .wire import ArmError, Request, Response, Route, json_response

PROVIDER = "Microsoft.Kusto"
ASSIGNMENT_TYPE = "Microsoft.Kusto/clusters/databases/principalAssignments"
CLUSTER_ASSIGNMENT_TYPE = "Microsoft.Kusto/clusters/principalAssignments"
ASSIGNMENT_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,259}\Z")


def cluster_uri(base_url: str, name: str) -> str:
    """The data-plane URI of an emulated cluster: loopback, so azure-kusto-data trusts it
    (_is_local_address in azure/kusto/data/security.py), and path-prefixed, so one port
    serves every cluster."""
    return f"{base_url}/kusto/{name.lower()}"


class Kusto(Provider):
    API_VERSIONS: ClassVar[dict[str, tuple[str, ...]]] = {
        # specification/azure-kusto/resource-manager/Microsoft.Kusto/{stable,preview}/* and
        # .../Microsoft.Kusto/Kusto/stable/2025-02-14
        "microsoft.kusto": (
            "2017-09-07-privatepreview",
            "2018-09-07-preview",
            "2019-01-21",
            "2019-03-20",
            "2019-05-15",
            "2019-09-07",
            "2019-11-09",
            "2020-02-15",
            "2020-06-14",
            "2020-09-18",
            "2021-01-01",
            "2021-08-27",
            "2022-02-01",
            "2022-07-07",
            "2022-11-11",
            "2022-12-29",
            "2023-05-02",
            "2023-08-15",
            "2024-04-13",
            "2025-02-14",
        ),
    }

    def routes(self) -> list[Route]:
        clusters = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Kusto/clusters"
        c1 = clusters + "/{cluster}"
        d1 = c1 + "/databases/{db}"
        pa = d1 + "/principalAssignments"
        cpa = c1 + "/principalAssignments"
        by_sub = "/subscriptions/{sub}/providers/Microsoft.Kusto/clusters"
        check = "kusto.principalAssignments.checkName"
        ccheck = "kusto.clusterPrincipalAssignments.checkName"
        return [
            ("PUT", c1, self.put_cluster, "kusto.clusters.put"),
            ("GET", c1, self.get_cluster, "kusto.clusters.get"),
            ("GET", clusters, self.list_clusters_rg, "kusto.clusters.list"),
            ("GET", by_sub, self.list_clusters_sub, "kusto.clusters.listBySubscription"),
            ("PUT", d1, self.put_db, "kusto.databases.put"),
            ("GET", d1, self.get_db, "kusto.databases.get"),
            ("GET", c1 + "/databases", self.list_dbs, "kusto.databases.list"),
            ("PUT", pa + "/{name}", self.put_pa, "kusto.principalAssignments.put"),
            ("GET", pa + "/{name}", self.get_pa, "kusto.principalAssignments.get"),
            ("DELETE", pa + "/{name}", self.delete_pa, "kusto.principalAssignments.delete"),
            ("GET", pa, self.list_pa, "kusto.principalAssignments.list"),
            ("POST", d1 + "/checkPrincipalAssignmentNameAvailability", self.check_name, check),
            ("PUT", cpa + "/{name}", self.put_cpa, "kusto.clusterPrincipalAssignments.put"),
            ("GET", cpa + "/{name}", self.get_cpa, "kusto.clusterPrincipalAssignments.get"),
            (
                "DELETE",
                cpa + "/{name}",
                self.delete_cpa,
                "kusto.clusterPrincipalAssignments.delete",
            ),
            ("GET", cpa, self.list_cpa, "kusto.clusterPrincipalAssignments.list"),
            ("POST", c1 + "/checkPrincipalAssignmentNameAvailability", self.check_cname, ccheck),
            (
                "POST",
                d1 + "/listPrincipals",
                self.list_principals,
                "kusto.databases.listPrincipals",
            ),
        ]

    # --- bodies --------------------------------------------------------------------------
    def cid(self, c: Cluster) -> str:
        return (
            f"/subscriptions/{self.world.subscription_id}/resourceGroups/{c.resource_group}/"
            f"providers/Microsoft.Kusto/Clusters/{c.name}"
        )

    def cluster_body(self, req: Request, c: Cluster) -> dict[str, Any]:
        uri = cluster_uri(req.base_url, c.name)
        return {
            "id": self.cid(c),
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

    def db_body(self, c: Cluster, d: Database) -> dict[str, Any]:
        return {
            "id": f"{self.cid(c)}/Databases/{d.name}",
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

    def pa_body(self, c: Cluster, d: Database, p: DbPrincipal) -> dict[str, Any]:
        return {
            "id": f"{self.cid(c)}/Databases/{d.name}/PrincipalAssignments/{p.assignment}",
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

    def cpa_body(self, c: Cluster, p: DbPrincipal) -> dict[str, Any]:
        """A cluster principal assignment (KustoClusterPrincipalAssignmentsGet.json)."""
        body = self.pa_body(c, Database(name=""), p)
        body.update(
            id=f"{self.cid(c)}/PrincipalAssignments/{p.assignment}",
            name=f"{c.name}/{p.assignment}",
            type="Microsoft.Kusto/Clusters/PrincipalAssignments",
        )
        return body

    # --- lookups -------------------------------------------------------------------------
    def find_cluster(self, req: Request) -> Cluster:
        c = self.world.clusters.get((req.params["rg"].lower(), req.params["cluster"].lower()))
        if c is None:
            raise resource_not_found(
                "Microsoft.Kusto/clusters", req.params["cluster"], req.params["rg"]
            )
        return c

    def find_db(self, req: Request) -> tuple[Cluster, Database]:
        c = self.find_cluster(req)
        d = c.databases.get(req.params["db"].lower())
        if d is None:
            # A child resource's 404 comes from the RP, not ARM; Pulumi's issue
            # pulumi/pulumi-azure-native#2633 shows one. Its exact code is the RP's own.
            raise ArmError(404, "NotFound", f"{c.name}/{req.params['db']} not found")
        return c, d

    @staticmethod
    def find_assignment(d: Database | Cluster, name: str) -> DbPrincipal | None:
        return next(
            (
                p
                for p in d.principals
                if p.assignment is not None and p.assignment.lower() == name.lower()
            ),
            None,
        )

    # --- clusters ------------------------------------------------------------------------
    def put_cluster(self, req: Request) -> Response:
        w = self.world
        doc = req.json() or {}
        location = require_location(doc)
        if not doc.get("sku"):
            raise ArmError(400, "InvalidPayload", "location and sku are required.")
        name = req.params["cluster"]
        key = (req.params["rg"].lower(), name.lower())
        if key not in w.clusters and any(
            c.name.lower() == name.lower() for c in w.clusters.values()
        ):
            raise ArmError(409, "Conflict", f"Cluster name '{name}' is already taken.")
        with w.lock:
            c = w.clusters.get(key)
            status = 200
            if c is None:
                status = 201
                rg = w.resource_groups[req.params["rg"].lower()]["name"]
                c = Cluster(resource_group=rg, name=name, location=location)
                # The cluster's creator is made AllDatabasesAdmin.
                claims = req.claims or {}
                c.admins.append((str(claims.get("appid", "")), str(claims.get("oid", ""))))
                w.clusters[key] = c
            return json_response(status, self.cluster_body(req, c))

    def get_cluster(self, req: Request) -> Response:
        return json_response(200, self.cluster_body(req, self.find_cluster(req)))

    def list_clusters_rg(self, req: Request) -> Response:
        rg = req.params["rg"].lower()
        items = [self.cluster_body(req, c) for (r, _), c in self.world.clusters.items() if r == rg]
        return paged(req, items)

    def list_clusters_sub(self, req: Request) -> Response:
        return paged(req, [self.cluster_body(req, c) for c in self.world.clusters.values()])

    # --- databases -----------------------------------------------------------------------
    def put_db(self, req: Request) -> Response:
        c = self.find_cluster(req)
        doc = req.json() or {}
        if doc.get("kind") not in ("ReadWrite", "ReadOnlyFollowing"):
            raise ArmError(400, "InvalidPayload", "The database kind is required.")
        with self.world.lock:
            d = c.databases.get(req.params["db"].lower())
            status = 200 if d else 201
            if d is None:
                d = c.databases[req.params["db"].lower()] = Database(name=req.params["db"])
        return json_response(status, self.db_body(c, d))

    def get_db(self, req: Request) -> Response:
        return json_response(200, self.db_body(*self.find_db(req)))

    def list_dbs(self, req: Request) -> Response:
        c = self.find_cluster(req)
        return paged(req, [self.db_body(c, d) for d in c.databases.values()])

    # --- principal assignments -----------------------------------------------------------
    def put_pa(self, req: Request) -> Response:
        c, d = self.find_db(req)
        route = "kusto.principalAssignments.put"
        return self._put_assignment(req, c, d, lambda p: self.pa_body(c, d, p), route)

    def put_cpa(self, req: Request) -> Response:
        c = self.find_cluster(req)
        route = "kusto.clusterPrincipalAssignments.put"
        return self._put_assignment(req, c, c, lambda p: self.cpa_body(c, p), route)

    def _put_assignment(
        self,
        req: Request,
        c: Cluster,
        holder: Database | Cluster,
        body: Callable[[DbPrincipal], dict[str, Any]],
        route: str,
    ) -> Response:
        """A database's (holder: the Database) or the cluster's (holder: the Cluster) principal
        assignment PUT: the same contract, with the roles of its own scope."""
        w = self.world
        props = (req.json() or {}).get("properties") or {}
        cluster_wide = holder is c
        roles = tuple(CLUSTER_ROLES) if cluster_wide else DB_ROLES
        role = next((r for r in roles if r.lower() == str(props.get("role", "")).lower()), None)
        if role is None:
            # Wording from Azure/azure-cli-extensions#2857 (the database's; the cluster's is
            # assumed to follow it).
            scope, valid = (
                ("Cluster", "AllDatabasesAdmin, AllDatabasesViewer, AllDatabasesMonitor")
                if cluster_wide
                else ("Database", "Admin, Viewer, User, etc.")
            )
            raise ArmError(
                400,
                "BadRequest",
                f"{scope} principal role is invalid. Please provide valid {scope.lower()} "
                f"principal role ({valid}).",
            )
        ptype = props.get("principalType")
        if ptype not in ("App", "User", "Group"):
            raise ArmError(400, "BadRequest", f"Principal type '{ptype}' is invalid.")
        pid = str(props.get("principalId", ""))
        tenant = str(props.get("tenantId") or w.tenant_id).lower()
        known = w.entra_principal(pid) if tenant == w.tenant_id else None
        if known is None:
            # Wording from Azure/azure-sdk-for-net#16416.
            kind = {"App": "AAD Application Id", "User": "AAD User", "Group": "AAD Group"}[ptype]
            raise ArmError(
                400,
                "400-BadRequest",
                f"[BadRequest] Entity ID '{pid}' of type '{kind}' was not found in "
                f"AAD tenant '{tenant}'.",
            )
        name = req.params["name"]
        fail = faults.take(w, route, "PUT", ("lro_failed",))
        with w.lock:
            existing = self.find_assignment(holder, name)
            if existing is not None:
                existing.role, existing.principal_type = role, ptype
                existing.app_id, existing.object_id = known["app_id"], known["object_id"]
                existing.principal_id = pid
                if existing.provisioning != "Succeeded":  # a Failed one, sent again, is made
                    existing.provisioning, existing.granted_at = "Succeeded", w.now()
                return json_response(200, body(existing))
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
            holder.principals.append(p)

        def done(ok: bool, when: float) -> None:
            with w.lock:
                if p.provisioning != "Creating":
                    return  # deleted meanwhile
                if ok:
                    p.provisioning, p.granted_at = "Succeeded", when
                elif p in holder.principals:
                    holder.principals.remove(p)

        error = None
        if fail is not None:
            error = {
                "code": fail.get("code", "InternalServerError"),
                "message": fail.get("message", "The operation failed."),
            }
        headers = self.ctx.start_operation(req, _region(c), PROVIDER, done, error)
        return json_response(201, body(p), headers)

    def get_pa(self, req: Request) -> Response:
        c, d = self.find_db(req)
        p = self.find_assignment(d, req.params["name"])
        if p is None:
            raise ArmError(404, "NotFound", f"{c.name}/{d.name}/{req.params['name']} not found")
        return json_response(200, self.pa_body(c, d, p))

    def list_pa(self, req: Request) -> Response:
        c, d = self.find_db(req)
        return paged(req, [self.pa_body(c, d, p) for p in d.principals if p.assignment])

    def delete_pa(self, req: Request) -> Response:
        c, d = self.find_db(req)
        return self._delete_assignment(req, c, d)

    def get_cpa(self, req: Request) -> Response:
        c = self.find_cluster(req)
        p = self.find_assignment(c, req.params["name"])
        if p is None:
            raise ArmError(404, "NotFound", f"{c.name}/{req.params['name']} not found")
        return json_response(200, self.cpa_body(c, p))

    def list_cpa(self, req: Request) -> Response:
        c = self.find_cluster(req)
        return paged(req, [self.cpa_body(c, p) for p in c.principals if p.assignment])

    def delete_cpa(self, req: Request) -> Response:
        c = self.find_cluster(req)
        return self._delete_assignment(req, c, c)

    def _delete_assignment(self, req: Request, c: Cluster, holder: Database | Cluster) -> Response:
        w = self.world
        p = self.find_assignment(holder, req.params["name"])
        if p is None:
            return Response(204)
        with w.lock:
            # Until the operation ends, a GET shows a granted assignment Deleting, and the
            # cluster still enforces its role.
            if p.provisioning == "Succeeded":
                p.provisioning = "Deleting"

        def done(ok: bool, when: float) -> None:
            with w.lock:
                if p in holder.principals:
                    holder.principals.remove(p)

        headers = self.ctx.start_operation(req, _region(c), PROVIDER, done)
        return Response(202, b"", headers)

    def check_name(self, req: Request) -> Response:
        _, d = self.find_db(req)
        return self._check_name(req, d, ASSIGNMENT_TYPE)

    def check_cname(self, req: Request) -> Response:
        c = self.find_cluster(req)
        return self._check_name(req, c, CLUSTER_ASSIGNMENT_TYPE)

    def _check_name(self, req: Request, holder: Database | Cluster, kind: str) -> Response:
        body = req.json() or {}
        name = str(body.get("name", ""))
        # Both properties are required by the spec (...PrincipalAssignmentCheckNameRequest).
        if body.get("type") != kind:
            raise ArmError(
                400,
                "InvalidRequestContent",
                f"The request content was invalid: 'type' must be '{kind}'.",
            )
        if not ASSIGNMENT_NAME_RE.match(name):
            reason, message = "Invalid", f"Name '{name}' is invalid."
        elif self.find_assignment(holder, name) is not None:
            reason = "AlreadyExists"
            message = f"Name '{name}' is already taken. Please specify a different name"
        else:
            return json_response(200, {"name": name, "nameAvailable": True})
        return json_response(
            200, {"name": name, "nameAvailable": False, "reason": reason, "message": message}
        )

    def list_principals(self, req: Request) -> Response:
        """The legacy listPrincipals action (KustoDatabaseListPrincipals.json)."""
        _, d = self.find_db(req)
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
                    if p.enforced
                ]
            },
        )


def _region(c: Cluster) -> str:
    return c.location.replace(" ", "").lower()

"""Microsoft.ManagedIdentity/userAssignedIdentities, api-version 2024-11-30 (ARM.md A).

clientId and principalId are two distinct new GUIDs, stable across re-PUT; the id uses
lower-case `resourcegroups`, as the official examples do.
"""

from __future__ import annotations

import re
import time
from typing import Any

from .arm import ArmContext, paged, resource_not_found
from .state import Identity, new_guid
from .wire import Request, Response, Router, arm_error, json_response

TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities"
# The service's rule: 3-128 characters, letters, digits, '-' and '_', starting alphanumeric.
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$")


def register(router: Router, ctx: ArmContext) -> None:
    w = ctx.world

    def body(i: Identity) -> dict[str, Any]:
        return {
            "id": i.resource_id(w.subscription_id),
            "name": i.name,
            "type": TYPE,
            "location": i.location,
            "tags": i.tags,
            "properties": {
                "tenantId": w.tenant_id,
                "principalId": i.principal_id,
                "clientId": i.client_id,
                "isolationScope": "None",
            },
        }

    def key(req: Request) -> tuple[str, str]:
        return req.params["rg"].lower(), req.params["name"].lower()

    def put(req: Request) -> Response:
        name = req.params["name"]
        if not NAME_RE.match(name):
            return arm_error(
                400,
                "InvalidResourceName",
                f"Resource name {name} is invalid. The name can contain only letters, numbers, "
                "underscores and hyphens; it must start with a letter or number and be 3 to "
                "128 characters long.",
            )
        doc = req.json() or {}
        if not doc.get("location"):
            return arm_error(
                400, "LocationRequired", "The location property is required for this definition."
            )
        with w.lock:
            ident = w.identities.get(key(req))
            status = 200
            if ident is None:
                status = 201
                ident = Identity(
                    resource_group=w.resource_groups[req.params["rg"].lower()]["name"],
                    name=name,
                    location=doc["location"],
                    client_id=new_guid(),
                    principal_id=new_guid(),
                    created_at=time.time(),
                )
                w.identities[key(req)] = ident
            elif (
                doc["location"].replace(" ", "").lower() != ident.location.replace(" ", "").lower()
            ):
                return arm_error(
                    400,
                    "InvalidResourceLocation",
                    f"The resource '{name}' already exists in location '{ident.location}' in "
                    f"resource group '{req.params['rg']}'. A resource with the same name cannot "
                    f"be created in location '{doc['location']}'. Please select a new resource "
                    "name.",
                )
            ident.tags = doc.get("tags", ident.tags)
            return json_response(status, body(ident))

    def get(req: Request) -> Response:
        ident = w.identities.get(key(req))
        if ident is None:
            return resource_not_found(TYPE, req.params["name"], req.params["rg"])
        return json_response(200, body(ident))

    def patch(req: Request) -> Response:
        with w.lock:
            ident = w.identities.get(key(req))
            if ident is None:
                return resource_not_found(TYPE, req.params["name"], req.params["rg"])
            doc = req.json() or {}
            if "tags" in doc:
                ident.tags = doc["tags"] or {}
            return json_response(200, body(ident))

    def delete(req: Request) -> Response:
        with w.lock:
            existed = w.identities.pop(key(req), None) is not None
        return Response(200 if existed else 204)

    def list_rg(req: Request) -> Response:
        rg = req.params["rg"].lower()
        return paged(req, [body(i) for (r, _), i in w.identities.items() if r == rg])

    def list_sub(req: Request) -> Response:
        return paged(req, [body(i) for i in w.identities.values()])

    p = (
        "/subscriptions/{sub}/resourceGroups/{rg}/providers/"
        "Microsoft.ManagedIdentity/userAssignedIdentities"
    )
    router.add("PUT", p + "/{name}", put, "msi.identities.put")
    router.add("GET", p + "/{name}", get, "msi.identities.get")
    router.add("PATCH", p + "/{name}", patch, "msi.identities.patch")
    router.add("DELETE", p + "/{name}", delete, "msi.identities.delete")
    router.add("GET", p, list_rg, "msi.identities.list")
    router.add(
        "GET",
        "/subscriptions/{sub}/providers/Microsoft.ManagedIdentity/userAssignedIdentities",
        list_sub,
        "msi.identities.listBySubscription",
    )

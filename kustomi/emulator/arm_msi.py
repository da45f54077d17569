"""Microsoft.ManagedIdentity/userAssignedIdentities, as in
specification/msi/resource-manager/Microsoft.ManagedIdentity/stable/2024-11-30/ManagedIdentity.json
and its examples (IdentityCreate.json, IdentityGet.json, ...).

clientId and principalId are two distinct new GUIDs, stable across re-PUT; the id uses
lower-case `resourcegroups`, as the official examples do.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from .arm import Provider, paged, require_location, resource_not_found
from .state import Identity, new_guid
from .wire import ArmError, Request, Response, Route, json_response

TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities"
BY_SUBSCRIPTION = "msi.identities.listBySubscription"
# The service's rule: 3-128 characters, letters, digits, '-' and '_', starting alphanumeric.
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,127}\Z")


class ManagedIdentities(Provider):
    API_VERSIONS: ClassVar[dict[str, tuple[str, ...]]] = {
        # specification/msi/resource-manager/Microsoft.ManagedIdentity/ManagedIdentity/
        # {stable,preview}/*
        "microsoft.managedidentity": (
            "2015-08-31-preview",
            "2018-11-30",
            "2021-09-30-preview",
            "2022-01-31-preview",
            "2023-01-31",
            "2023-07-31-preview",
            "2024-11-30",
            "2025-01-31-preview",
            "2025-05-31-preview",
            "2026-04-30",
            "2026-05-31",
        ),
    }

    def routes(self) -> list[Route]:
        one = "/subscriptions/{sub}/resourceGroups/{rg}/providers/" + TYPE + "/{name}"
        return [
            ("PUT", one, self.put, "msi.identities.put"),
            ("GET", one, self.get, "msi.identities.get"),
            ("PATCH", one, self.patch, "msi.identities.patch"),
            ("DELETE", one, self.delete, "msi.identities.delete"),
            ("GET", one.removesuffix("/{name}"), self.list_rg, "msi.identities.list"),
            ("GET", "/subscriptions/{sub}/providers/" + TYPE, self.list_sub, BY_SUBSCRIPTION),
        ]

    def body(self, i: Identity) -> dict[str, Any]:
        w = self.world
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

    @staticmethod
    def key(req: Request) -> tuple[str, str]:
        return req.params["rg"].lower(), req.params["name"].lower()

    def find(self, req: Request) -> Identity:
        ident = self.world.identities.get(self.key(req))
        if ident is None:
            raise resource_not_found(TYPE, req.params["name"], req.params["rg"])
        return ident

    def get(self, req: Request) -> Response:
        return json_response(200, self.body(self.find(req)))

    def put(self, req: Request) -> Response:
        w, name = self.world, req.params["name"]
        if not NAME_RE.match(name):
            raise ArmError(
                400,
                "InvalidResourceName",
                f"Resource name {name} is invalid. The name can contain only letters, numbers, "
                "underscores and hyphens; it must start with a letter or number and be 3 to "
                "128 characters long.",
            )
        doc = req.json() or {}
        location = require_location(doc)
        with w.lock:
            ident = w.identities.get(self.key(req))
            status = 200
            if ident is None:
                status = 201
                ident = Identity(
                    resource_group=w.resource_groups[req.params["rg"].lower()]["name"],
                    name=name,
                    location=location,
                    client_id=new_guid(),
                    principal_id=new_guid(),
                    created_at=self.world.now(),
                )
                w.identities[self.key(req)] = ident
            elif location.replace(" ", "").lower() != ident.location.replace(" ", "").lower():
                raise ArmError(
                    400,
                    "InvalidResourceLocation",
                    f"The resource '{name}' already exists in location '{ident.location}' in "
                    f"resource group '{req.params['rg']}'. A resource with the same name cannot "
                    f"be created in location '{location}'. Please select a new resource name.",
                )
            ident.tags = doc.get("tags", ident.tags)
            return json_response(status, self.body(ident))

    def patch(self, req: Request) -> Response:
        doc = req.json() or {}
        with self.world.lock:
            ident = self.find(req)
            if "tags" in doc:  # PATCH keeps what it omits
                ident.tags = doc["tags"] or {}
            return json_response(200, self.body(ident))

    def delete(self, req: Request) -> Response:
        with self.world.lock:
            existed = self.world.identities.pop(self.key(req), None) is not None
        return Response(200 if existed else 204)

    def list_rg(self, req: Request) -> Response:
        rg = req.params["rg"].lower()
        items = [self.body(i) for (r, _), i in self.world.identities.items() if r == rg]
        return paged(req, items)

    def list_sub(self, req: Request) -> Response:
        return paged(req, [self.body(i) for i in self.world.identities.values()])

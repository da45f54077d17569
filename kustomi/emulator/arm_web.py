"""Microsoft.Web sites and slots, api-version 2025-05-01 (ARM.md C).

- PUT config/appsettings and config/connectionstrings replace the whole set (C.3): a key
  not in the body is deleted, as in Azure.
- PATCH on a site merges `identity.userAssignedIdentities`; a null entry removes one; a type
  without UserAssigned drops them all (C.2, the ARM PATCH convention).
- PUT replaces the identity block but never clears read-only fields it does not carry.
- App Service's own errors use its capitalised, unwrapped body (C, "Web error shapes").
"""

from __future__ import annotations

from typing import Any

from . import faults
from .arm import ArmContext, paged, resource_not_found
from .state import Site, new_guid
from .wire import Request, Response, Router, app_service_error, arm_error, json_response

SITE_TYPE = "Microsoft.Web/sites"
IDENTITY_TYPES = ("None", "SystemAssigned", "UserAssigned", "SystemAssigned, UserAssigned")


def register(router: Router, ctx: ArmContext) -> None:
    w = ctx.world

    def key(req: Request) -> tuple[str, str, str]:
        return (
            req.params["rg"].lower(),
            req.params["name"].lower(),
            req.params.get("slot", "").lower(),
        )

    def site_id(s: Site) -> str:
        base = (
            f"/subscriptions/{w.subscription_id}/resourceGroups/{s.resource_group}/"
            f"providers/Microsoft.Web/sites/{s.name}"
        )
        return base + (f"/slots/{s.slot}" if s.slot else "")

    def identity_block(s: Site) -> dict[str, Any] | None:
        kinds = (["SystemAssigned"] if s.system_assigned else []) + (
            ["UserAssigned"] if s.user_assigned else []
        )
        if not kinds:
            return None
        block: dict[str, Any] = {"type": ", ".join(kinds)}
        if s.system_assigned:
            block["tenantId"] = s.system_assigned["tenant_id"]
            block["principalId"] = s.system_assigned["principal_id"]
        if s.user_assigned:
            block["userAssignedIdentities"] = {}
            for rid in s.user_assigned:
                ident = w.identity_by_any_id(rid)
                block["userAssignedIdentities"][rid] = (
                    {"principalId": ident.principal_id, "clientId": ident.client_id}
                    if ident
                    else {}
                )
        return block

    def site_body(s: Site) -> dict[str, Any]:
        host = f"{s.name}-{s.slot}" if s.slot else s.name
        body: dict[str, Any] = {
            "id": site_id(s),
            "name": f"{s.name}/{s.slot}" if s.slot else s.name,
            "type": "Microsoft.Web/sites/slots" if s.slot else SITE_TYPE,
            "kind": s.kind,
            "location": s.location,
            "tags": s.tags,
            "properties": {
                "state": "Running",
                "hostNames": [f"{host}.azurewebsites.net"],
                "defaultHostName": f"{host}.azurewebsites.net",
                "enabled": True,
                "reserved": "linux" in s.kind,
                "resourceGroup": s.resource_group,
                "httpsOnly": True,
                "keyVaultReferenceIdentity": "SystemAssigned",
                "serverFarmId": (
                    f"/subscriptions/{w.subscription_id}/resourceGroups/"
                    f"{s.resource_group}/providers/Microsoft.Web/serverfarms/"
                    f"{s.name}-plan"
                ),
            },
        }
        ident = identity_block(s)
        if ident:
            body["identity"] = ident
        return body

    def find(req: Request) -> Site | Response:
        s = w.sites.get(key(req))
        if s is None:
            if req.params.get("slot") and (key(req)[0], key(req)[1], "") in w.sites:
                return arm_error(
                    404, "ResourceNotFound", f"Cannot find Site with name {req.params['slot']}."
                )
            return resource_not_found(SITE_TYPE, req.params["name"], req.params["rg"])
        return s

    def apply_identity(s: Site, ident: dict[str, Any] | None, merge: bool) -> Response | None:
        """Set the site's identities from an `identity` block; None when all is well."""
        if ident is None:
            return None
        type_ = ident.get("type", "None")
        norm = {t.replace(" ", "").lower(): t for t in IDENTITY_TYPES}
        canonical = norm.get(str(type_).replace(" ", "").lower())
        if canonical is None:
            return arm_error(400, "BadRequest", f"Invalid identity type '{type_}'.")
        uais = ident.get("userAssignedIdentities") or {}
        for rid, v in uais.items():
            if v is not None and w.identity_by_any_id(rid) is None:
                return app_service_error(
                    400, "BadRequest", f"The user assigned identity '{rid}' could not be found."
                )
        if "UserAssigned" in canonical and not uais and not (merge and s.user_assigned):
            return arm_error(
                400,
                "BadRequest",
                "userAssignedIdentities is required when the type is UserAssigned.",
            )
        if "SystemAssigned" in canonical:
            s.system_assigned = s.system_assigned or {
                "principal_id": new_guid(),
                "client_id": new_guid(),
                "tenant_id": w.tenant_id,
            }
        else:
            s.system_assigned = None
        if "UserAssigned" not in canonical:
            s.user_assigned = []
            return None
        current = list(s.user_assigned) if merge else []
        lowered = [r.lower() for r in current]
        for rid, v in uais.items():
            if v is None:
                current = [r for r in current if r.lower() != rid.lower()]
                lowered = [r.lower() for r in current]
            elif rid.lower() not in lowered:
                current.append(rid)
                lowered.append(rid.lower())
        s.user_assigned = current
        return None

    # --- sites and slots -----------------------------------------------------------------
    def put_site(req: Request) -> Response:
        doc = req.json() or {}
        if not doc.get("location"):
            return arm_error(
                400, "LocationRequired", "The location property is required for this definition."
            )
        rg, name, slot = key(req)
        if slot and (rg, name, "") not in w.sites:
            return resource_not_found(SITE_TYPE, req.params["name"], req.params["rg"])
        if not slot:
            # Site names are global (they are host names): another resource group's site of
            # that name is a conflict, in App Service's own error shape.
            for (r, n, sl), _ in w.sites.items():
                if n == name and not sl and r != rg:
                    return app_service_error(
                        409,
                        "Conflict",
                        f"Website with given name {req.params['name']} already exists.",
                    )
        with w.lock:
            s = w.sites.get((rg, name, slot))
            status = 200
            if s is None:
                parent = w.sites.get((rg, name, ""))
                s = Site(
                    resource_group=w.resource_groups[rg]["name"],
                    name=parent.name if parent else req.params["name"],
                    location=doc["location"],
                    kind=doc.get("kind") or (parent.kind if parent else "app"),
                    slot=req.params.get("slot"),
                )
                status = 200  # App Service answers a synchronous create with 200 (ARM.md C.2)
                new = True
            else:
                new = False
            error = apply_identity(s, doc.get("identity") or {"type": "None"}, merge=False)
            if error is not None:
                return error
            s.tags = doc.get("tags", s.tags)
            if doc.get("kind"):
                s.kind = doc["kind"]
            if new:
                w.sites[(rg, name, slot)] = s
            return json_response(status, site_body(s))

    def get_site(req: Request) -> Response:
        s = find(req)
        return s if isinstance(s, Response) else json_response(200, site_body(s))

    def patch_site(req: Request) -> Response:
        with w.lock:
            s = find(req)
            if isinstance(s, Response):
                return s
            doc = req.json() or {}
            error = apply_identity(s, doc.get("identity"), merge=True)
            if error is not None:
                return error
            if "tags" in doc:
                s.tags = doc["tags"] or {}
            return json_response(200, site_body(s))

    def delete_site(req: Request) -> Response:
        with w.lock:
            k = key(req)
            if k not in w.sites:
                return Response(204)
            for other in [x for x in w.sites if x[:2] == k[:2] and (not k[2] or x == k)]:
                del w.sites[other]
        return Response(200)

    def list_sites(req: Request) -> Response:
        rg = req.params["rg"].lower()
        return paged(req, [site_body(s) for (r, _, sl), s in w.sites.items() if r == rg and not sl])

    def list_slots(req: Request) -> Response:
        rg, name, _ = key(req)
        if (rg, name, "") not in w.sites:
            return resource_not_found(SITE_TYPE, req.params["name"], req.params["rg"])
        return paged(
            req, [site_body(s) for (r, n, sl), s in w.sites.items() if r == rg and n == name and sl]
        )

    # --- config --------------------------------------------------------------------------
    def settings_body(s: Site, name: str, props: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": f"{site_id(s)}/config/{name}",
            "name": name,
            "type": "Microsoft.Web/sites/config"
            if not s.slot
            else "Microsoft.Web/sites/slots/config",
            "kind": "app",
            "properties": props,
        }

    def list_appsettings(req: Request) -> Response:
        s = find(req)
        if isinstance(s, Response):
            return s
        with w.lock:
            body = settings_body(s, "appsettings", dict(s.app_settings))
            race = faults.take(w, "web.appsettings.list", "POST", ("concurrent_appsettings",))
            if race is not None:
                # Another writer changes the settings right after this read.
                s.app_settings.update(race.get("set", {"CONCURRENT_WRITER": "1"}))
        return json_response(200, body)

    def put_appsettings(req: Request) -> Response:
        s = find(req)
        if isinstance(s, Response):
            return s
        props = (req.json() or {}).get("properties")
        if not isinstance(props, dict) or not all(isinstance(v, str) for v in props.values()):
            return app_service_error(
                400, "BadRequest", "The parameter properties has an invalid value."
            )
        with w.lock:
            s.app_settings = dict(props)  # full replacement, as in Azure
            return json_response(200, settings_body(s, "appsettings", dict(s.app_settings)))

    def list_connstrings(req: Request) -> Response:
        s = find(req)
        if isinstance(s, Response):
            return s
        return json_response(200, settings_body(s, "connectionstrings", dict(s.connection_strings)))

    def put_connstrings(req: Request) -> Response:
        s = find(req)
        if isinstance(s, Response):
            return s
        props = (req.json() or {}).get("properties")
        if not isinstance(props, dict) or not all(
            isinstance(v, dict) and isinstance(v.get("value"), str) for v in props.values()
        ):
            return app_service_error(
                400, "BadRequest", "The parameter properties has an invalid value."
            )
        with w.lock:
            s.connection_strings = {
                k: {"value": v["value"], "type": v.get("type", "Custom")} for k, v in props.items()
            }
            return json_response(
                200, settings_body(s, "connectionstrings", dict(s.connection_strings))
            )

    def get_config_web(req: Request) -> Response:
        s = find(req)
        if isinstance(s, Response):
            return s
        return json_response(
            200,
            settings_body(
                s,
                "web",
                {
                    "numberOfWorkers": 1,
                    "netFrameworkVersion": "v4.0",
                    "linuxFxVersion": "",
                    "alwaysOn": False,
                    "http20Enabled": True,
                    "minTlsVersion": "1.2",
                    "ftpsState": "FtpsOnly",
                    "appSettings": None,
                },
            ),
        )

    site = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Web/sites/{name}"
    for base, label in ((site, "web.sites"), (site + "/slots/{slot}", "web.slots")):
        router.add("PUT", base, put_site, f"{label}.put")
        router.add("GET", base, get_site, f"{label}.get")
        router.add("PATCH", base, patch_site, f"{label}.patch")
        router.add("DELETE", base, delete_site, f"{label}.delete")
        router.add(
            "POST", base + "/config/appsettings/list", list_appsettings, "web.appsettings.list"
        )
        router.add("PUT", base + "/config/appsettings", put_appsettings, "web.appsettings.put")
        router.add(
            "POST",
            base + "/config/connectionstrings/list",
            list_connstrings,
            "web.connectionstrings.list",
        )
        router.add(
            "PUT", base + "/config/connectionstrings", put_connstrings, "web.connectionstrings.put"
        )
        router.add("GET", base + "/config/web", get_config_web, "web.config.get")
    router.add("GET", site + "/slots", list_slots, "web.slots.list")
    router.add(
        "GET",
        "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Web/sites",
        list_sites,
        "web.sites.list",
    )

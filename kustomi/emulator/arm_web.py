"""Microsoft.Web sites and slots, as in
specification/web/resource-manager/Microsoft.Web/AppService/stable/2025-05-01 and its examples
(GetWebApp.json, UpdateAppSettings.json, ...).

- PUT config/appsettings and config/connectionstrings replace the whole set: a key not in the
  body is deleted, as in Azure ("Replaces the application settings of an app", the SDK's
  update_application_settings).
- PATCH on a site merges `identity.userAssignedIdentities`; a null entry removes one; a type
  without UserAssigned drops them all (ARM's PATCH convention for identities,
  https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/qs-configure-rest-vm).
- PUT replaces the identity block but never clears read-only fields it does not carry.
- App Service's own errors use its capitalised, unwrapped body (wire.AppServiceError).
- POST publishxml answers the site's publishing profiles (Web Deploy, FTP, Zip Deploy) as XML,
  which `az functionapp show` / `az webapp show` read for the FTP publishUrl
  (list_publish_profiles in azure-cli's appservice/custom.py).
- GET /subscriptions/{sub}/providers/Microsoft.Web/sites (WebApps_List in WebApps.json, the
  SDK's web_apps.list) lists the production sites of every resource group, in the body of
  the resource-group list (WebApps_ListByResourceGroup); slots are listed under their site
  only (WebApps_ListSlots).
- Each site runs on its own App Service plan, `<site>-plan` in the site's resource group (the
  site's serverFarmId); the plan is served read-only, in the shape of GetAppServicePlan.json.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from typing import Any, ClassVar

from . import faults
from .arm import Provider, paged, require_location, resource_not_found
from .state import Site, new_guid
from .wire import AppServiceError, ArmError, Request, Response, Route, json_response

SITE_TYPE = "Microsoft.Web/sites"
BY_SUBSCRIPTION = "/subscriptions/{sub}/providers/" + SITE_TYPE
SLOT_CONFIG = "/config/slotConfigNames"
# SlotConfigNames: the settings that stay with a slot in a swap (WebApps.json).
SLOT_CONFIG_KEYS = ("appSettingNames", "connectionStringNames", "azureStorageConfigNames")
IDENTITY_TYPES = ("None", "SystemAssigned", "UserAssigned", "SystemAssigned, UserAssigned")
PLAN_TYPE = "Microsoft.Web/serverfarms"
# A plan's SKU by the tier a site reports as properties.sku: (name, family, capacity), as
# `az functionapp plan create` / `az appservice plan create` make them (Y1 is Consumption).
PLAN_SKUS = {
    "Dynamic": ("Y1", "Y", 0),
    "FlexConsumption": ("FC1", "FC", 0),
    "ElasticPremium": ("EP1", "EP", 1),
    "Free": ("F1", "F", 1),
    "Basic": ("B1", "B", 1),
    "Standard": ("S1", "S", 1),
    "Premium": ("P1", "P", 1),
    "PremiumV2": ("P1v2", "Pv2", 1),
    "PremiumV3": ("P1v3", "Pv3", 1),
}


class Web(Provider):
    API_VERSIONS: ClassVar[dict[str, tuple[str, ...]]] = {
        # specification/web/resource-manager/Microsoft.Web/AppService/{stable,preview}/*: the
        # versions whose WebApps.json (openapi.json from 2025-03-01 on) defines sites.
        "microsoft.web": (
            "2016-08-01",
            "2018-02-01",
            "2018-11-01",
            "2019-08-01",
            "2020-06-01",
            "2020-09-01",
            "2020-10-01",
            "2020-12-01",
            "2021-01-01",
            "2021-01-15",
            "2021-02-01",
            "2021-03-01",
            "2022-03-01",
            "2022-09-01",
            "2023-01-01",
            "2023-12-01",
            "2024-04-01",
            "2024-11-01",
            "2025-03-01",
            "2025-05-01",
            "2026-03-01-preview",
            "2026-03-15",
            "2026-07-15",
            "2026-09-01",
        ),
    }

    def routes(self) -> list[Route]:
        web = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Web"
        site = web + "/sites/{name}"
        routes: list[Route] = [
            ("GET", web + "/serverfarms/{plan}", self.get_plan, "web.serverfarms.get"),
            ("GET", web + "/serverfarms", self.list_plans, "web.serverfarms.list"),
            ("GET", site + "/slots", self.list_slots, "web.slots.list"),
            ("GET", site + SLOT_CONFIG, self.get_slot_config_names, "web.slotConfigNames.get"),
            ("PUT", site + SLOT_CONFIG, self.put_slot_config_names, "web.slotConfigNames.put"),
            ("GET", web + "/sites", self.list_sites, "web.sites.list"),
            ("GET", BY_SUBSCRIPTION, self.list_sites_sub, "web.sites.listBySubscription"),
        ]
        for base, label in ((site, "web.sites"), (site + "/slots/{slot}", "web.slots")):
            routes += [
                ("PUT", base, self.put_site, f"{label}.put"),
                ("GET", base, self.get_site, f"{label}.get"),
                ("PATCH", base, self.patch_site, f"{label}.patch"),
                ("DELETE", base, self.delete_site, f"{label}.delete"),
                (
                    "POST",
                    base + "/config/appsettings/list",
                    self.list_appsettings,
                    "web.appsettings.list",
                ),
                ("PUT", base + "/config/appsettings", self.put_appsettings, "web.appsettings.put"),
                (
                    "POST",
                    base + "/config/connectionstrings/list",
                    self.list_connstrings,
                    "web.connectionstrings.list",
                ),
                (
                    "PUT",
                    base + "/config/connectionstrings",
                    self.put_connstrings,
                    "web.connectionstrings.put",
                ),
                ("GET", base + "/config/web", self.get_config_web, "web.config.get"),
                ("POST", base + "/publishxml", self.publishxml, "web.publishxml"),
            ]
        return routes

    # --- bodies --------------------------------------------------------------------------
    def site_id(self, s: Site) -> str:
        base = (
            f"/subscriptions/{self.world.subscription_id}/resourceGroups/{s.resource_group}/"
            f"providers/Microsoft.Web/sites/{s.name}"
        )
        return base + (f"/slots/{s.slot}" if s.slot else "")

    def identity_block(self, s: Site) -> dict[str, Any] | None:
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
                ident = self.world.identity_by_any_id(rid)
                block["userAssignedIdentities"][rid] = (
                    {"principalId": ident.principal_id, "clientId": ident.client_id}
                    if ident
                    else {}
                )
        return block

    def site_body(self, s: Site) -> dict[str, Any]:
        """The site as GetWebApp.json shows one, with the properties clients read: the az CLI
        reads properties.sku (a KeyError without it), kind, reserved, state, serverFarmId."""
        host = f"{s.name}-{s.slot}" if s.slot else s.name
        body: dict[str, Any] = {
            "id": self.site_id(s),
            "name": f"{s.name}/{s.slot}" if s.slot else s.name,
            "type": "Microsoft.Web/sites/slots" if s.slot else SITE_TYPE,
            "kind": s.kind,
            "location": s.location,
            "tags": s.tags,
            "properties": {
                "state": "Running",
                "hostNames": [f"{host}.azurewebsites.net"],
                "enabledHostNames": [f"{host}.azurewebsites.net", f"{host}.scm.azurewebsites.net"],
                "defaultHostName": f"{host}.azurewebsites.net",
                "repositorySiteName": s.name,
                "usageState": "Normal",
                "availabilityState": "Normal",
                "enabled": True,
                "sku": sku(s),
                "reserved": "linux" in s.kind,
                "isXenon": False,
                "hyperV": False,
                "resourceGroup": s.resource_group,
                "httpsOnly": True,
                "clientAffinityEnabled": False,
                "clientCertEnabled": False,
                "hostNamesDisabled": False,
                "containerSize": 1536 if "functionapp" in s.kind else 0,
                "dailyMemoryTimeQuota": 0,
                "keyVaultReferenceIdentity": "SystemAssigned",
                "serverFarmId": self.plan_id(s),
                "siteConfig": site_config(s),
            },
        }
        ident = self.identity_block(s)
        if ident:
            body["identity"] = ident
        return body

    def plan_id(self, s: Site) -> str:
        return (
            f"/subscriptions/{self.world.subscription_id}/resourceGroups/{s.resource_group}/"
            f"providers/{PLAN_TYPE}/{s.name}-plan"
        )

    def plan_body(self, s: Site) -> dict[str, Any]:
        """The site's plan, as GetAppServicePlan.json shows one. A Consumption plan has kind
        functionapp and no workers of its own; `reserved` means Linux."""
        tier = sku(s)
        name, family, capacity = PLAN_SKUS.get(tier, (tier, tier, 1))
        reserved = "linux" in s.kind
        kind = "functionapp" if tier == "Dynamic" else ("linux" if reserved else "app")
        return {
            "id": self.plan_id(s),
            "name": f"{s.name}-plan",
            "type": PLAN_TYPE,
            "kind": kind,
            "location": s.location,
            "properties": {
                "geoRegion": s.location,
                "isSpot": False,
                "maximumNumberOfWorkers": 200 if tier == "Dynamic" else 10,
                "numberOfSites": 1,
                "numberOfWorkers": capacity,
                "provisioningState": "Succeeded",
                "reserved": reserved,
                "status": "Ready",
                "targetWorkerCount": 0,
                "targetWorkerSizeId": 0,
            },
            "sku": {
                "name": name,
                "capacity": capacity,
                "family": family,
                "size": name,
                "tier": tier,
            },
        }

    def config_body(
        self, s: Site, name: str, props: dict[str, Any], kind: str | None = "app"
    ) -> dict[str, Any]:
        body = {
            "id": f"{self.site_id(s)}/config/{name}",
            "name": name,
            "type": "Microsoft.Web/sites/slots/config" if s.slot else "Microsoft.Web/sites/config",
            "kind": kind,
            "properties": props,
        }
        return {k: v for k, v in body.items() if v is not None}

    # --- lookups -------------------------------------------------------------------------
    @staticmethod
    def key(req: Request) -> tuple[str, str, str]:
        return (
            req.params["rg"].lower(),
            req.params["name"].lower(),
            req.params.get("slot", "").lower(),
        )

    def find(self, req: Request) -> Site:
        rg, name, slot = self.key(req)
        s = self.world.sites.get((rg, name, slot))
        if s is not None:
            return s
        if slot and (rg, name, "") in self.world.sites:
            raise ArmError(
                404, "ResourceNotFound", f"Cannot find Site with name {req.params['slot']}."
            )
        raise resource_not_found(SITE_TYPE, req.params["name"], req.params["rg"])

    def apply_identity(self, s: Site, ident: dict[str, Any] | None, merge: bool) -> None:
        """Set the site's identities from an `identity` block."""
        if ident is None:
            return
        w = self.world
        type_ = ident.get("type", "None")
        norm = {t.replace(" ", "").lower(): t for t in IDENTITY_TYPES}
        canonical = norm.get(str(type_).replace(" ", "").lower())
        if canonical is None:
            raise ArmError(400, "BadRequest", f"Invalid identity type '{type_}'.")
        uais = ident.get("userAssignedIdentities") or {}
        for rid, v in uais.items():
            if v is not None and w.identity_by_any_id(rid) is None:
                raise AppServiceError(
                    400, "BadRequest", f"The user assigned identity '{rid}' could not be found."
                )
        if "UserAssigned" in canonical and not uais and not (merge and s.user_assigned):
            raise ArmError(
                400,
                "BadRequest",
                "userAssignedIdentities is required when the type is UserAssigned.",
            )
        if "SystemAssigned" in canonical:
            s.system_assigned = s.system_assigned or {
                "principal_id": new_guid(),
                "client_id": new_guid(),
                "tenant_id": w.tenant_id,
                # Entra learns of a new service principal with a delay, as of a new
                # user-assigned identity (World.entra_principal).
                "created_at": repr(w.now()),
            }
        else:
            s.system_assigned = None
        if "UserAssigned" not in canonical:
            s.user_assigned = []
            return
        current = list(s.user_assigned) if merge else []
        for rid, v in uais.items():
            if v is None:
                current = [r for r in current if r.lower() != rid.lower()]
            elif all(r.lower() != rid.lower() for r in current):
                current.append(rid)
        s.user_assigned = current

    # --- sites and slots -----------------------------------------------------------------
    def put_site(self, req: Request) -> Response:
        w = self.world
        doc = req.json() or {}
        location = require_location(doc)
        rg, name, slot = self.key(req)
        if slot and (rg, name, "") not in w.sites:
            raise resource_not_found(SITE_TYPE, req.params["name"], req.params["rg"])
        if not slot and any(n == name and not sl and r != rg for r, n, sl in w.sites):
            # Site names are global (they are host names): another resource group's site of
            # that name is a conflict, in App Service's own error shape.
            raise AppServiceError(
                409, "Conflict", f"Website with given name {req.params['name']} already exists."
            )
        with w.lock:
            s = w.sites.get((rg, name, slot))
            new = s is None
            if s is None:
                parent = w.sites.get((rg, name, ""))
                s = Site(
                    resource_group=w.resource_groups[rg]["name"],
                    name=parent.name if parent else req.params["name"],
                    location=location,
                    kind=doc.get("kind") or (parent.kind if parent else "app"),
                    slot=req.params.get("slot"),
                )
            self.apply_identity(s, doc.get("identity") or {"type": "None"}, merge=False)
            s.tags = doc.get("tags", s.tags)
            if doc.get("kind"):
                s.kind = doc["kind"]
            if new:
                w.sites[(rg, name, slot)] = s
            # App Service answers a synchronous create with 200, as CreateOrUpdateWebApp.json.
            return json_response(200, self.site_body(s))

    def get_site(self, req: Request) -> Response:
        return json_response(200, self.site_body(self.find(req)))

    def patch_site(self, req: Request) -> Response:
        with self.world.lock:
            s = self.find(req)
            doc = req.json() or {}
            self.apply_identity(s, doc.get("identity"), merge=True)
            if "tags" in doc:
                s.tags = doc["tags"] or {}
            return json_response(200, self.site_body(s))

    def delete_site(self, req: Request) -> Response:
        sites = self.world.sites
        with self.world.lock:
            k = self.key(req)
            if k not in sites:
                return Response(204)
            for other in [x for x in sites if x[:2] == k[:2] and (not k[2] or x == k)]:
                del sites[other]
        return Response(200)

    def list_sites(self, req: Request) -> Response:
        rg = req.params["rg"].lower()
        items = [
            self.site_body(s) for (r, _, sl), s in self.world.sites.items() if r == rg and not sl
        ]
        return paged(req, items)

    def list_sites_sub(self, req: Request) -> Response:
        """Every production site of the subscription, whatever its resource group."""
        with self.world.lock:
            items = [self.site_body(s) for (_, _, sl), s in self.world.sites.items() if not sl]
        return paged(req, items)

    def plans(self, rg: str) -> dict[str, Site]:
        """The plans in a resource group, by lower-case name: one per production site."""
        return {
            f"{s.name}-plan".lower(): s
            for (r, _, slot), s in self.world.sites.items()
            if r == rg.lower() and not slot
        }

    def get_plan(self, req: Request) -> Response:
        s = self.plans(req.params["rg"]).get(req.params["plan"].lower())
        if s is None:
            raise resource_not_found(
                "Microsoft.Web/serverFarms", req.params["plan"], req.params["rg"]
            )
        return json_response(200, self.plan_body(s))

    def list_plans(self, req: Request) -> Response:
        return paged(req, [self.plan_body(s) for s in self.plans(req.params["rg"]).values()])

    def list_slots(self, req: Request) -> Response:
        rg, name, _ = self.key(req)
        if (rg, name, "") not in self.world.sites:
            raise resource_not_found(SITE_TYPE, req.params["name"], req.params["rg"])
        items = [
            self.site_body(s)
            for (r, n, sl), s in self.world.sites.items()
            if r == rg and n == name and sl
        ]
        return paged(req, items)

    # --- config --------------------------------------------------------------------------
    def list_appsettings(self, req: Request) -> Response:
        s = self.find(req)
        with self.world.lock:
            body = self.config_body(s, "appsettings", dict(s.app_settings))
            race = faults.take(
                self.world, "web.appsettings.list", "POST", ("concurrent_appsettings",)
            )
            if race is not None:
                # Another writer changes the settings right after this read.
                s.app_settings.update(race.get("set", {"CONCURRENT_WRITER": "1"}))
        return json_response(200, body)

    def put_appsettings(self, req: Request) -> Response:
        s = self.find(req)
        props = _properties(req, lambda v: isinstance(v, str))
        with self.world.lock:
            before = dict(s.app_settings)
            s.app_settings = dict(props)  # full replacement, as in Azure
            body = self.config_body(s, "appsettings", dict(s.app_settings))
            stale = faults.take(self.world, "web.appsettings.put", "PUT", ("stale_appsettings",))
            if stale is not None:
                # Another writer that read before this PUT writes its stale copy after it: this
                # PUT's changes are lost (App Service has no ETag for app settings). At once, or
                # `seconds` later, after this PUT has answered (a writer whose PUT was slower).
                self._stale_write(s, {**before, **race_keys(before)}, stale.get("seconds", 0))
        return json_response(200, body)

    def _stale_write(self, s: Site, copy: dict[str, str], seconds: float) -> None:
        def land() -> None:
            with self.world.lock:
                s.app_settings = copy

        if float(seconds) <= 0:
            land()
            return
        timer = threading.Timer(float(seconds), land)
        timer.daemon = True
        timer.start()

    def list_connstrings(self, req: Request) -> Response:
        s = self.find(req)
        return json_response(
            200, self.config_body(s, "connectionstrings", dict(s.connection_strings))
        )

    def put_connstrings(self, req: Request) -> Response:
        s = self.find(req)
        props = _properties(req, lambda v: isinstance(v, dict) and isinstance(v.get("value"), str))
        with self.world.lock:
            s.connection_strings = {
                k: {"value": v["value"], "type": v.get("type", "Custom")} for k, v in props.items()
            }
            return json_response(
                200, self.config_body(s, "connectionstrings", dict(s.connection_strings))
            )

    def get_slot_config_names(self, req: Request) -> Response:
        s = self.find(req)
        names = {k: list(s.slot_config_names.get(k, [])) for k in SLOT_CONFIG_KEYS}
        return json_response(200, self.config_body(s, "slotConfigNames", names, kind=None))

    def put_slot_config_names(self, req: Request) -> Response:
        """A PUT replaces all three lists, as the az CLI's read-modify-write expects."""
        s = self.find(req)
        props = _properties(req, lambda v: v is None or isinstance(v, list))
        with self.world.lock:
            s.slot_config_names = {
                k: [str(n) for n in props.get(k) or []] for k in SLOT_CONFIG_KEYS
            }
        return self.get_slot_config_names(req)

    def publishxml(self, req: Request) -> Response:
        body = publishing_profiles(self.find(req))
        return Response(200, body, {"Content-Type": "application/xml"})

    def get_config_web(self, req: Request) -> Response:
        s = self.find(req)
        return json_response(200, self.config_body(s, "web", site_config(s)))


def publishing_profiles(s: Site) -> bytes:
    """The publishing profiles of a site or slot, in the XML that App Service answers to
    publishxml (WebApps_ListPublishingProfileXmlWithSecrets in WebApps.json, produces
    application/xml): one profile per method, the same deployment credentials in each."""
    host = f"{s.name}-{s.slot}" if s.slot else s.name
    site = f"{s.name}__{s.slot}" if s.slot else s.name
    scm = f"{host}.scm.azurewebsites.net:443"
    common = {
        "userName": f"${site}",
        "userPWD": s.publishing_password,
        "destinationAppUrl": f"https://{host}.azurewebsites.net",
        "SQLServerDBConnectionString": "",
        "mySQLDBConnectionString": "",
        "hostingProviderForumLink": "",
        "controlPanelLink": "https://portal.azure.com",
        "webSystem": "WebSites",
    }
    profiles = [
        {
            "profileName": f"{host} - Web Deploy",
            "publishMethod": "MSDeploy",
            "publishUrl": scm,
            "msdeploySite": site,
            **common,
        },
        {
            "profileName": f"{host} - FTP",
            "publishMethod": "FTP",
            "publishUrl": "ftps://waws-prod-emulator.ftp.azurewebsites.windows.net/site/wwwroot",
            "ftpPassiveMode": "True",
            **common,
            "userName": f"{host}\\${site}",
        },
        {
            "profileName": f"{host} - Zip Deploy",
            "publishMethod": "ZipDeploy",
            "publishUrl": scm,
            **common,
        },
    ]
    root = ET.Element("publishData")
    for attrs in profiles:
        ET.SubElement(ET.SubElement(root, "publishProfile", attrs), "databases")
    return ET.tostring(root)  # ASCII, anything else as character references


def sku(s: Site) -> str:
    """The plan's tier as the site reports it: Dynamic (Consumption) for a function app unless
    the scenario says otherwise, Standard for another app."""
    return s.sku or ("Dynamic" if "functionapp" in s.kind else "Standard")


def site_config(s: Site) -> dict[str, Any]:
    """SiteConfig basics, as GetSiteConfig.json; settings are read through config/appsettings."""
    return {
        "numberOfWorkers": 1,
        "netFrameworkVersion": "v4.0",
        "linuxFxVersion": "",
        "alwaysOn": False,
        "http20Enabled": True,
        "minTlsVersion": "1.2",
        "ftpsState": "FtpsOnly",
        "scmMinTlsVersion": "1.2",
        "use32BitWorkerProcess": False,
        "webSocketsEnabled": False,
        "functionAppScaleLimit": 200 if "functionapp" in s.kind else 0,
        "appSettings": None,
    }


def _properties(req: Request, valid: Any) -> dict[str, Any]:
    """The `properties` dictionary of a config PUT, each value checked by `valid`."""
    props = (req.json() or {}).get("properties")
    if not isinstance(props, dict) or not all(valid(v) for v in props.values()):
        raise AppServiceError(400, "BadRequest", "The parameter properties has an invalid value.")
    return props


def race_keys(before: dict[str, str]) -> dict[str, str]:
    """What the stale writer itself changed: one setting of its own."""
    return {"STALE_WRITER": str(int(before.get("STALE_WRITER", "0")) + 1)}

"""Microsoft.Web sites and slots: identities and app settings
(azure-rest-api-specs specification/web/resource-manager/Microsoft.Web/AppService)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import NotFoundError
from ..rules import resource_group_of
from .clients import LIST, Azure, required, text

if TYPE_CHECKING:
    from azure.mgmt.web.models import Site as SdkSite
from .errors import check_subscription, translate


@dataclass
class Site:
    id: str
    name: str
    kind: str
    identity_type: str  # "None", "SystemAssigned", "UserAssigned", "SystemAssigned, UserAssigned"
    system_principal_id: str | None
    # resource id as ARM spells it -> {"clientId", "principalId"}
    user_assigned: dict[str, dict[str, str]] = field(default_factory=dict)
    system_tenant_id: str = ""

    def has_user_assigned(self, resource_id: str) -> bool:
        # Keys are compared case-insensitively, as ARM and the az CLI do
        # (Azure/azure-cli, command_modules/appservice/custom.py, assign_identity).
        return resource_id.lower() in {k.lower() for k in self.user_assigned}


def _site(x: SdkSite) -> Site:
    ident = x.identity
    uais = {}
    if ident is not None and ident.user_assigned_identities:
        for k, v in ident.user_assigned_identities.items():
            uais[k] = {
                "clientId": getattr(v, "client_id", None) or "",
                "principalId": getattr(v, "principal_id", None) or "",
            }
    return Site(
        id=required(x.id, "site id"),
        name=required(x.name, "site name"),
        kind=x.kind or "",
        identity_type=text(ident.type) if ident is not None and ident.type else "None",
        system_principal_id=getattr(ident, "principal_id", None) if ident else None,
        user_assigned=uais,
        system_tenant_id=(getattr(ident, "tenant_id", None) or "").lower() if ident else "",
    )


def _this(site: Site, app: str, slot: str | None) -> Site:
    """The site asked for: an answer about another resource (or with no resource id) is not
    read as this app's, whose identities a write would then replace."""
    tail = f"/sites/{app}" + (f"/slots/{slot}" if slot else "")
    if not site.id.lower().rstrip("/").endswith(tail.lower()):
        raise TypeError(f"the answer describes {site.id!r}, not {tail.lstrip('/')}")
    return site


def where(app: str, slot: str | None) -> str:
    from ..config import AppTarget

    return AppTarget("", app, slot).where


def get_site(azure: Azure, rg: str, app: str, slot: str | None) -> Site:
    from azure.core.exceptions import ResourceNotFoundError

    try:
        if slot:
            return _this(_site(azure.web.web_apps.get_slot(rg, app, slot)), app, slot)
        return _this(_site(azure.web.web_apps.get(rg, app)), app, slot)
    except ResourceNotFoundError as e:
        check_subscription(e)
        code = getattr(getattr(e, "error", None), "code", "")
        what = (
            f"Resource group '{rg}'"
            if code == "ResourceGroupNotFound"
            else (f"Function app {where(app, slot)} in resource group '{rg}'")
        )
        hint = "Check the names and --subscription."
        if code != "ResourceGroupNotFound":
            hint = _app_elsewhere(azure, app, rg) or hint
        raise NotFoundError(f"{what} was not found.", hint=hint) from None
    except Exception as e:
        raise translate(e, f"reading function app {where(app, slot)}") from None


def _app_elsewhere(azure: Azure, app: str, rg: str) -> str:
    """On the error path only: the resource group where an app of that name is, with the
    flag that names it, else the nearest names in `rg` ("" when there is nothing to say, or
    the list cannot be read)."""
    import difflib

    try:
        every = [
            (x.name or "", resource_group_of(x.id or "")) for x in azure.web.web_apps.list(**LIST)
        ]
    except Exception:  # a hint is a bonus: the not-found stands without it
        return ""
    there = sorted({rg for n, rg in every if n.lower() == app.lower()} - {""})
    if not there:
        here = [n for n, r in every if r.lower() == rg.lower()]
        near = difflib.get_close_matches(app, here, n=3, cutoff=0.75)
        return f"Did you mean {' or '.join(near)} (in {rg})?" if near else ""
    return f"Function app {app} is in resource group {', '.join(there)}: pass -g {there[0]}."


def add_user_assigned(
    azure: Azure, rg: str, app: str, slot: str | None, site: Site, identity_id: str
) -> Site:
    """PATCH the identity block with every identity already there plus the new one.

    App Service's PATCH is expected to merge userAssignedIdentities (UNCONFIRMED
    for App Service), so sending the full set keeps them under either semantics, and the
    system-assigned identity stays by keeping 'SystemAssigned' in the type."""
    keep = [*site.user_assigned, identity_id]
    return _patch_identities(azure, rg, app, slot, site, keep, [], "attaching the identity to")


def remove_user_assigned(
    azure: Azure, rg: str, app: str, slot: str | None, site: Site, identity_id: str
) -> Site:
    """PATCH the identity block without one user-assigned identity: a null entry removes it
    (ARM's convention for identities,
    https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/qs-configure-rest-vm),
    and the type keeps SystemAssigned and any other user-assigned identity."""
    keep = [k for k in site.user_assigned if k.lower() != identity_id.lower()]
    drop = [k for k in site.user_assigned if k.lower() == identity_id.lower()]
    return _patch_identities(azure, rg, app, slot, site, keep, drop, "detaching the identity from")


def set_system_assigned(
    azure: Azure, rg: str, app: str, slot: str | None, site: Site, enabled: bool
) -> Site:
    """PATCH the identity block to enable (or disable) the system-assigned identity, every
    user-assigned identity kept (sent whole, as add_user_assigned does). A slot's is its own
    (https://learn.microsoft.com/azure/app-service/overview-managed-identity)."""
    doing = "enabling the system-assigned identity of" if enabled else "disabling it on"
    keep = list(site.user_assigned)
    return _patch_identities(azure, rg, app, slot, site, keep, [], doing, system=enabled)


def _patch_identities(
    azure: Azure,
    rg: str,
    app: str,
    slot: str | None,
    site: Site,
    keep: list[str],
    drop: list[str],
    doing: str,
    system: bool | None = None,
) -> Site:
    """One PATCH of the site's identity block: `keep` as its user-assigned identities, each
    of `drop` as null, and the system-assigned identity kept if the site has one (`system`:
    enabled or disabled instead)."""
    from azure.mgmt.web.models import (
        ManagedServiceIdentity,
        SitePatchResource,
        UserAssignedIdentity,
    )

    has_system = site.system_principal_id or "systemassigned" in site.identity_type.lower()
    if system is not None:
        has_system = system
    kinds = (["SystemAssigned"] if has_system else []) + (["UserAssigned"] if keep else [])
    entries: dict[str, UserAssignedIdentity | None] = {k: UserAssignedIdentity() for k in keep}
    entries.update({k: None for k in drop})
    body = SitePatchResource(
        identity=ManagedServiceIdentity(
            type=", ".join(kinds) or "None",
            user_assigned_identities=entries,  # type: ignore[arg-type]  # None removes one
        )
    )
    try:
        if slot:
            return _this(_site(azure.web.web_apps.update_slot(rg, app, slot, body)), app, slot)
        return _this(_site(azure.web.web_apps.update(rg, app, body)), app, slot)
    except Exception as e:
        raise translate(e, f"{doing} {where(app, slot)}") from None


def using_identity(azure: Azure, identity_id: str) -> list[str]:
    """Every app and slot of the subscription that has the identity attached, as
    "<rg>/<app>" or "<rg>/<app> (slot <slot>)". One list of the subscription's sites
    (WebApps_List), then the slots of each."""

    found: list[str] = []
    try:
        for x in azure.web.web_apps.list(**LIST):
            site = _site(x)
            rg = required(resource_group_of(site.id), "resource group")
            if site.has_user_assigned(identity_id):
                found.append(f"{rg}/{site.name}")
            for y in azure.web.web_apps.list_slots(rg, site.name, **LIST):
                slot = _site(y)
                if slot.has_user_assigned(identity_id):
                    found.append(f"{rg}/{where(site.name, slot.name.split('/')[-1])}")
    except Exception as e:
        raise translate(e, "listing the subscription's function apps") from None
    return found


def list_settings(azure: Azure, rg: str, app: str, slot: str | None) -> dict[str, str]:
    """App settings are read with POST .../config/appsettings/list (ListAppSettings.json in
    the spec above)."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        if slot:
            r = azure.web.web_apps.list_application_settings_slot(rg, app, slot)
        else:
            r = azure.web.web_apps.list_application_settings(rg, app)
        return _settings(r, app, slot)
    except ResourceNotFoundError as e:
        raise _app_missing(e, rg, app, slot) from None
    except Exception as e:
        raise translate(e, f"reading app settings of {where(app, slot)}") from None


def _app_missing(e: Exception, rg: str, app: str, slot: str | None) -> NotFoundError:
    """A 404 on one of the app's config resources: the app (or slot) is not there."""
    check_subscription(e)
    return NotFoundError(
        f"Function app {where(app, slot)} in resource group '{rg}' was not found.",
        hint="Check the names and --subscription.",
    )


def _this_config(answer: object, app: str, slot: str | None, kind: str) -> None:
    """The config resource asked for (`/sites/<app>[/slots/<slot>]/config/<kind>`, as
    ListAppSettings.json's id reads): an answer about another, or with no id, is not read."""
    rid = getattr(answer, "id", None)
    tail = f"/sites/{app}" + (f"/slots/{slot}" if slot else "") + f"/config/{kind}"
    if not isinstance(rid, str) or not rid.lower().rstrip("/").endswith(tail.lower()):
        raise TypeError(f"the answer describes {rid!r}, not {tail.lstrip('/')}")


def list_connection_strings(azure: Azure, rg: str, app: str, slot: str | None) -> dict[str, str]:
    """The app's connection strings (POST .../config/connectionstrings/list,
    ListConnectionStrings.json in the spec above), name -> value. App Service gives each to
    the process as an environment variable with its type's prefix (CUSTOMCONNSTR_<name>, ...),
    which .NET configuration reads as ConnectionStrings:<name>
    (https://learn.microsoft.com/azure/app-service/configure-common#configure-connection-strings),
    the key the host reads a binding's Connection from first."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        if slot:
            r = azure.web.web_apps.list_connection_strings_slot(rg, app, slot)
        else:
            r = azure.web.web_apps.list_connection_strings(rg, app)
        _this_config(r, app, slot, "connectionstrings")
        props = r.properties
        if not isinstance(props, dict):
            raise TypeError(f"connection strings as {type(props).__name__}, not names")
        out = {}
        for name, pair in props.items():
            value = getattr(pair, "value", None)
            if not isinstance(name, str) or not isinstance(value, str):
                raise TypeError("a connection string that is not a name and a value")
            out[name] = value
        return out
    except ResourceNotFoundError as e:
        raise _app_missing(e, rg, app, slot) from None
    except Exception as e:
        raise translate(e, f"reading connection strings of {where(app, slot)}") from None


def _settings(
    answer: object, app: str, slot: str | None, kind: str = "appsettings"
) -> dict[str, str]:
    """A StringDictionary's properties; a body of another shape is an answer kustomi cannot
    read (raised as such by `translate`), never read as "no settings", which a write would
    then make true. It must say it is this app's settings (its id ends in
    `/sites/<app>[/slots/<slot>]/config/appsettings`, as ListAppSettings.json's does): the
    SDK reads any JSON object's string-like values as settings (a number becomes its text),
    and a write built on those would replace every real one."""
    _this_config(answer, app, slot, kind)
    properties = getattr(answer, "properties", None)
    if not isinstance(properties, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in properties.items()
    ):
        raise TypeError(f"app settings as {type(properties).__name__}, not names and values")
    return dict(properties)


def put_settings(
    azure: Azure, rg: str, app: str, slot: str | None, settings: dict[str, str]
) -> dict[str, str]:
    """PUT replaces the WHOLE set (UpdateAppSettings.json): callers pass every setting, not a
    delta."""
    from azure.mgmt.web.models import StringDictionary

    body = StringDictionary(properties=settings)
    try:
        if slot:
            r = azure.web.web_apps.update_application_settings_slot(rg, app, slot, body)
        else:
            r = azure.web.web_apps.update_application_settings(rg, app, body)
        return _settings(r, app, slot)
    except Exception as e:
        raise translate(e, f"writing app settings of {where(app, slot)}") from None


def is_function_app(site: Site) -> bool:
    """A function app (kind "functionapp", "functionapp,linux", ...), not a web app."""
    return "functionapp" in site.kind.lower()


def list_sites(azure: Azure, rg: str | None = None) -> list[Site]:
    """The production sites of a resource group (WebApps_ListByResourceGroup) or, without one,
    of the subscription (WebApps_List); every page of each. A resource group that does not
    exist is a NotFoundError naming it."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        if rg is None:
            return [_site(x) for x in azure.web.web_apps.list(**LIST)]
        return [_site(x) for x in azure.web.web_apps.list_by_resource_group(rg, **LIST)]
    except ResourceNotFoundError as e:
        check_subscription(e)
        raise NotFoundError(
            f"Resource group '{rg}' was not found.", hint="Check the name and --subscription."
        ) from None
    except Exception as e:
        where = f"resource group {rg}" if rg else "the subscription"
        raise translate(e, f"listing the function apps of {where}") from None


def list_slots(azure: Azure, rg: str, app: str) -> list[Site]:
    """The deployment slots of an app (WebApps_ListSlots); each Site's name is the slot's."""
    from dataclasses import replace

    try:
        slots = [_site(y) for y in azure.web.web_apps.list_slots(rg, app, **LIST)]
    except Exception as e:
        raise translate(e, f"listing the slots of {app}") from None
    return [replace(s, name=s.name.split("/")[-1]) for s in slots]

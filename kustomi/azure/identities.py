"""User-assigned managed identities (Microsoft.ManagedIdentity;
azure-rest-api-specs specification/msi/resource-manager/Microsoft.ManagedIdentity)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..config import AppTarget, IdentityRef
from ..errors import NotFoundError
from ..rules import resource_group_of
from .clients import LIST, Azure, required

if TYPE_CHECKING:
    from azure.mgmt.msi.models import Identity as MsiIdentity

    from . import web
from .errors import check_subscription, translate


@dataclass(frozen=True)
class Identity:
    id: str
    name: str
    resource_group: str
    location: str
    client_id: str
    principal_id: str
    tenant_id: str
    # The app (label) whose system-assigned identity this is; "" for a user-assigned one.
    # ARM reports no client id for it (ManagedServiceIdentity: principalId, tenantId).
    system_of: str = ""

    @property
    def binding_value(self) -> str:
        """What the binding's ManagedServiceIdentity holds for this identity."""
        return "system" if self.system_of else self.client_id

    @property
    def grant_id(self) -> str:
        """The id a principal assignment names it by: the client id, else the object id
        (ARM resolves either: KustoDatabasePrincipalAssignmentsCreateOrUpdate.json)."""
        return self.client_id or self.principal_id

    def summary(self) -> dict[str, str]:
        """The identifiers a user needs next, in every command's output."""
        if self.system_of:
            return {
                "identity": "system",
                "systemAssignedOf": self.system_of,
                "principalId": self.principal_id,
                "tenantId": self.tenant_id,
            }
        return {
            "identity": self.name,
            "identityResourceId": self.id,
            "clientId": self.client_id,
            "principalId": self.principal_id,
            "tenantId": self.tenant_id,
            "principalFqn": self.fqn,
        }

    @property
    def fqn(self) -> str:
        """How Kusto names this principal: the App form with the client id
        (https://learn.microsoft.com/kusto/management/reference-security-principals)."""
        return f"aadapp={self.client_id};{self.tenant_id}"


def _from_sdk(x: MsiIdentity, rg: str) -> Identity:
    return Identity(
        id=required(x.id, "identity id"),
        name=required(x.name, "identity name"),
        resource_group=rg,
        location=x.location,
        client_id=required(x.client_id, "clientId of the identity").lower(),
        principal_id=required(x.principal_id, "principalId of the identity").lower(),
        tenant_id=required(x.tenant_id, "tenantId of the identity").lower(),
    )


def _named(ident: Identity, name: str) -> Identity:
    """The identity asked for: an answer about another one is not read as it."""
    if ident.name.lower() != name.lower():
        raise TypeError(f"the answer describes identity {ident.name!r}, not {name!r}")
    return ident


def rg_missing(exc: BaseException) -> bool:
    err = getattr(exc, "error", None)
    return getattr(err, "code", "") == "ResourceGroupNotFound"


def system(azure: Azure, ref: IdentityRef) -> Identity | None:
    """The system-assigned identity of the app `ref.site`, or None when it has none."""
    from . import web

    assert ref.site is not None, "a system identity is an app's"
    t = ref.site
    return of_site(web.get_site(azure, t.resource_group, t.app, t.slot), t)


def of_site(site: web.Site, target: AppTarget) -> Identity | None:
    """The system-assigned identity a site reports, or None when it has none."""
    if not site.system_principal_id:
        return None
    return Identity(
        id=site.id,
        name="system",
        resource_group=target.resource_group,
        location="",
        client_id="",
        principal_id=site.system_principal_id.lower(),
        tenant_id=site.system_tenant_id,
        system_of=target.label,
    )


def find(azure: Azure, ref: IdentityRef) -> Identity | None:
    """The identity, or None. A missing resource group is an error (exit 3).

    By client id it takes one list of the subscription's identities (ARM has no lookup by
    client id)."""
    from azure.core.exceptions import ResourceNotFoundError

    if ref.system:
        return system(azure, ref)
    if ref.client_id:
        try:
            for x in azure.msi.user_assigned_identities.list_by_subscription(**LIST):
                if (x.client_id or "").lower() == ref.client_id:
                    return _from_sdk(x, required(resource_group_of(x.id or ""), "resource group"))
        except Exception as e:
            raise translate(e, "listing the subscription's identities") from None
        return None
    try:
        return _named(
            _from_sdk(
                azure.msi.user_assigned_identities.get(ref.resource_group, ref.name),
                ref.resource_group,
            ),
            ref.name,
        )
    except ResourceNotFoundError as e:
        check_subscription(e)
        if rg_missing(e):
            raise NotFoundError(
                f"Resource group '{ref.resource_group}' could not be found.",
                hint=f"Create it: az group create -n {ref.resource_group} -l <location>",
            ) from None
        return None
    except Exception as e:
        raise translate(e, f"reading identity {ref.name}") from None


def get(azure: Azure, ref: IdentityRef) -> Identity:
    ident = find(azure, ref)
    if ident is None and ref.site is not None:
        t = ref.site
        slot = f" --slot {t.slot}" if t.slot else ""
        raise NotFoundError(
            f"Function app {t.where} has no system-assigned identity.",
            hint=f"Enable it: kustomi attach --identity system --app {t.app} "
            f"-g {t.resource_group}{slot}",
        )
    if ident is None and ref.client_id:
        raise NotFoundError(
            f"No user-assigned identity with client id {ref.client_id} in subscription "
            f"{azure.subscription_id}.",
            hint="Check the client id and --subscription.",
        )
    if ident is None:
        raise NotFoundError(
            f"Managed identity '{ref.name}' was not found in resource group "
            f"'{ref.resource_group}'.",
            hint=_with_create(
                _elsewhere(azure, ref),
                f"kustomi create-identity -g {ref.resource_group} -n {ref.name}",
            ),
        )
    return ident


def _with_create(first: str, create: str) -> str:
    return f"{first}create it: {create}" if first else f"Create it: {create}"


def _elsewhere(azure: Azure, ref: IdentityRef) -> str:
    """On the error path only (one list of the subscription's identities): where an identity
    of that name is, with the flag that names it, or the nearest names in the group given,
    as the start of a sentence that the create hint ends; "" when there is nothing to say or
    the list cannot be read."""
    import difflib

    try:
        every = [
            (x.name or "", resource_group_of(x.id or ""))
            for x in azure.msi.user_assigned_identities.list_by_subscription(**LIST)
        ]
    except Exception:  # a hint is a bonus: the not-found stands without it
        return ""
    there = sorted({rg for name, rg in every if name.lower() == ref.name.lower() and rg})
    if there:
        return (
            f"An identity {ref.name} is in resource group {', '.join(there)}: pass "
            f"--identity-resource-group {there[0]}. Or "
        )
    here = [name for name, rg in every if rg.lower() == ref.resource_group.lower()]
    near = difflib.get_close_matches(ref.name, here, n=3, cutoff=0.75)
    if near:
        return f"Did you mean {' or '.join(near)} (in {ref.resource_group})? Or "
    return ""


def create(azure: Azure, ref: IdentityRef, location: str) -> Identity:
    from azure.mgmt.msi.models import Identity as MsiIdentity

    try:
        x = azure.msi.user_assigned_identities.create_or_update(
            ref.resource_group, ref.name, MsiIdentity(location=location)
        )
        return _named(_from_sdk(x, ref.resource_group), ref.name)
    except Exception as e:
        raise translate(e, f"creating identity {ref.name}") from None


def resource_group_location(azure: Azure, rg: str) -> str:
    from azure.core.exceptions import ResourceNotFoundError

    try:
        return required(azure.resources.resource_groups.get(rg).location, "location")
    except ResourceNotFoundError as e:
        check_subscription(e)
        raise NotFoundError(
            f"Resource group '{rg}' could not be found.",
            hint=f"Create it: az group create -n {rg} -l <location>",
        ) from None
    except Exception as e:
        raise translate(e, f"reading resource group {rg}") from None


def delete(azure: Azure, ident: Identity) -> None:
    """DELETE answers 200, or 204 when it is already gone (UserAssignedIdentities_Delete in
    specification/msi/resource-manager/Microsoft.ManagedIdentity)."""
    try:
        azure.msi.user_assigned_identities.delete(ident.resource_group, ident.name)
    except Exception as e:
        raise translate(e, f"deleting identity {ident.name}") from None

"""Step 1: a user-assigned managed identity. An existing one is reused, never recreated."""

from __future__ import annotations

from typing import Any

from ..azure import identities, web
from ..azure.clients import Azure
from ..config import IdentityRef
from ..errors import UsageError
from ..model import Change, Report
from . import Planned, writing


def identity_data(ident: identities.Identity) -> dict[str, Any]:
    return {
        "name": ident.name,
        "resourceGroup": ident.resource_group,
        "resourceId": ident.id,
        "clientId": ident.client_id,
        "principalId": ident.principal_id,
        "tenantId": ident.tenant_id,
        "principalFqn": ident.fqn,
        "location": ident.location,
    }


class Subject:
    """The identity the later steps act for: found when planning, or made when
    create-identity's plan is applied (a plan from scratch knows only its name)."""

    def __init__(self, ref: IdentityRef, found: identities.Identity | None, subscription: str):
        self.ref = ref
        self.found = found
        self.subscription = subscription

    @property
    def identity(self) -> identities.Identity:
        if self.found is None:
            raise RuntimeError(f"identity {self.ref.name} is used before it is created")
        return self.found

    @property
    def name(self) -> str:
        if self.ref.system:  # an app's own: named by the app
            where = self.ref.site.label if self.ref.site else "the app"
            return f"the system identity of {where}"
        return self.found.name if self.found is not None else self.ref.name

    @property
    def resource_id(self) -> str:
        if self.found is not None:
            return self.found.id
        return (
            f"/subscriptions/{self.subscription}/resourceGroups/{self.ref.resource_group}"
            f"/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{self.ref.name}"
        )


def existing(azure: Azure, ref: IdentityRef) -> Subject:
    """The identity a step command acts for: it must exist (exit 3 with a hint otherwise)."""
    return Subject(ref, identities.get(azure, ref), azure.subscription_id)


def plan(azure: Azure, ref: IdentityRef, location: str | None) -> tuple[Planned, Subject]:
    report = Report("create-identity")
    found = identities.find(azure, ref)
    rg, name = (found.resource_group, found.name) if found else (ref.resource_group, ref.name)
    target = f"identity {rg}/{name}"
    subject = Subject(ref, found, azure.subscription_id)
    if found is not None:
        detail = "exists; reused as is"
        if location and _region(location) != _region(found.location):
            detail += f" (it lives in {found.location}, not {location})"
        report.changes.append(Change("none", target, detail))
        report.data = identity_data(found)
        return Planned(report), subject
    if ref.client_id:
        identities.get(azure, ref)  # by client id it must exist: exit 3 with a hint
    where = location or identities.resource_group_location(azure, ref.resource_group)
    change = Change("create", target, f"in {where}")
    report.changes.append(change)
    report.data = {
        "name": ref.name,
        "resourceGroup": ref.resource_group,
        "location": where,
        "clientId": None,
        "principalId": None,
    }

    def write() -> None:
        with writing(report, change):
            subject.found = identities.create(azure, ref, where)
        report.data = identity_data(subject.found)

    return Planned(report, write), subject


def run(azure: Azure, ref: IdentityRef, location: str | None, dry_run: bool) -> Report:
    report = plan(azure, ref, location)[0].finish(dry_run)
    if not dry_run:
        report.notes.append(_next(ref))
    return report


def _next(ref: IdentityRef) -> str:
    return (
        f"next: kustomi grant --role viewer --identity {ref.name} -g {ref.resource_group} "
        "--cluster <cluster> --database <db>"
    )


def _region(location: str) -> str:
    return location.replace(" ", "").lower()  # "West Europe" is westeurope


def attached_elsewhere(azure: Azure, subject: Subject, planned: set[str]) -> list[str]:
    """The apps and slots, outside `planned` ("<rg>/<app>" labels), that have the identity."""
    if subject.found is None:
        return []
    mine = {p.lower() for p in planned}
    return [x for x in web.using_identity(azure, subject.found.id) if x.lower() not in mine]


def plan_delete(azure: Azure, subject: Subject, planned: set[str], elsewhere: list[str]) -> Planned:
    """revoke --delete-identity: refused (exit 2, before any write) while an app or slot
    outside the plan (`elsewhere`) still has the identity; checked again right before the
    delete, since another run may have attached it meanwhile."""
    report = Report("revoke")
    ref = subject.ref
    found = subject.found
    target = f"identity {found.resource_group}/{found.name}" if found else f"identity {ref.name}"
    if subject.found is None:
        report.changes.append(Change("none", target, "not found"))
        return Planned(report)
    ident = subject.found
    if elsewhere:
        raise _still_attached(ident.name, elsewhere, "nothing was changed")
    change = Change("delete", target, f"client id {ident.client_id}")
    report.changes.append(change)

    def write() -> None:
        late = attached_elsewhere(azure, subject, planned)
        if late:
            raise _still_attached(ident.name, late, "it was attached while revoke ran")
        with writing(report, change):
            identities.delete(azure, ident)

    return Planned(report, write)


def _still_attached(name: str, where: list[str], said: str) -> UsageError:
    return UsageError(
        f"Identity {name} is still attached to {', '.join(where)}, which this revoke does not "
        f"cover; {said}.",
        hint="Revoke it there first ("
        + "; ".join(_flags_of(w) for w in where)
        + "; a slot is its own --slot), or leave out --delete-identity.",
    )


def _flags_of(label: str) -> str:
    """The revoke flags that name an app or slot of `web.using_identity`'s labels
    ("<rg>/<app>" or "<rg>/<app> (slot <slot>)")."""
    import re

    m = re.fullmatch(r"(?P<rg>[^/]+)/(?P<app>[^ ]+)(?: \(slot (?P<slot>[^)]+)\))?", label)
    if m is None:
        return label
    flags = f"-g {m['rg']} --app {m['app']}"
    return flags + (f" --slot {m['slot']}" if m["slot"] else "")

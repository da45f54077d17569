"""Step 3: the identity on the function app (or slot), keeping every identity already there."""

from __future__ import annotations

from ..azure import identities, web
from ..azure.clients import Azure
from ..config import AppTarget, IdentityRef
from ..errors import ServiceError
from ..model import Change, Report
from . import Planned, writing
from .create_identity import Subject, existing


def run(azure: Azure, target: AppTarget, ref: IdentityRef, dry_run: bool) -> Report:
    if ref.system:
        subject = Subject(ref.of_site(target), None, azure.subscription_id)
        return plan_system(azure, target, subject).finish(dry_run)
    return plan(azure, target, existing(azure, ref)).finish(dry_run)


SYSTEM_NOTE = 'binding: ManagedServiceIdentity = "system"'


def _identities(n: int, kind: str = "") -> str:
    return f"{n} {kind}identit{'y' if n == 1 else 'ies'}"


def plan_system(azure: Azure, target_app: AppTarget, subject: Subject) -> Planned:
    """The app's (or slot's) own system-assigned identity enabled, every user-assigned one
    kept. Once it exists, `subject` is it (a fleet's grants for the app then name it)."""
    rg, app, slot = target_app.resource_group, target_app.app, target_app.slot
    report = Report("attach")
    site = web.get_site(azure, rg, app, slot)
    where = web.where(app, slot)
    target = f"system identity on {where}"
    report.data = {
        "app": app,
        "slot": slot,
        "resourceGroup": rg,
        "identity": "system",
        "systemAssigned": bool(site.system_principal_id),
        "userAssignedIdentities": sorted(site.user_assigned),
    }
    found = identities.of_site(site, target_app)
    if found is not None:
        subject.found = found
        report.data.update(found.summary())
        report.changes.append(Change("none", target, "already enabled"))
        report.notes.append(SYSTEM_NOTE)
        return Planned(report)
    before = list(site.user_assigned)
    kept = _identities(len(before), "user-assigned ")
    change = Change("update", target, f"enabled; {kept} kept")
    report.changes.append(change)
    report.data["systemAssigned"] = True  # what it would be

    def write() -> None:
        with writing(report, change):
            after = web.set_system_assigned(azure, rg, app, slot, site, True)
        lost = [k for k in before if not after.has_user_assigned(k)]
        made = identities.of_site(after, target_app)
        if lost or made is None:
            raise ServiceError(
                f"After the update {where} "
                + (f"lacks {', '.join(lost)}." if lost else "has no system-assigned identity."),
                hint="Check the app's identities in the portal.",
            )
        subject.found = made
        report.data.update(made.summary())
        report.data["userAssignedIdentities"] = sorted(after.user_assigned)
        report.notes.append(SYSTEM_NOTE)

    return Planned(report, write)


def plan_disable_system(azure: Azure, target_app: AppTarget) -> Planned:
    """revoke --disable-system-identity: the app's system-assigned identity disabled (Azure
    deletes its service principal), every user-assigned identity kept."""
    rg, app, slot = target_app.resource_group, target_app.app, target_app.slot
    report = Report("revoke")
    site = web.get_site(azure, rg, app, slot)
    where = web.where(app, slot)
    target = f"system identity on {where}"
    if not site.system_principal_id:
        report.changes.append(Change("none", target, "not enabled"))
        return Planned(report)
    before = list(site.user_assigned)
    change = Change(
        "delete", target, f"disabled; {_identities(len(before), 'user-assigned ')} kept"
    )
    report.changes.append(change)

    def write() -> None:
        with writing(report, change):
            after = web.set_system_assigned(azure, rg, app, slot, site, False)
        lost = [k for k in before if not after.has_user_assigned(k)]
        if lost or after.system_principal_id:
            raise ServiceError(
                f"After the update {where} "
                + (f"lacks {', '.join(lost)}." if lost else "still has its system identity."),
                hint="Check the app's identities in the portal.",
            )

    return Planned(report, write)


def plan(azure: Azure, target_app: AppTarget, subject: Subject) -> Planned:
    rg, app, slot = target_app.resource_group, target_app.app, target_app.slot
    report = Report("attach")
    site = web.get_site(azure, rg, app, slot)
    where = web.where(app, slot)
    target = f"identity {subject.name} on {where}"
    report.data = {
        "app": app,
        "slot": slot,
        "resourceGroup": rg,
        **(subject.found.summary() if subject.found else {"identity": subject.name}),
        "systemAssigned": bool(site.system_principal_id),
        "userAssignedIdentities": sorted(site.user_assigned),
    }

    def note() -> None:
        report.notes.append(f'binding: ManagedServiceIdentity = "{subject.identity.client_id}"')

    if site.has_user_assigned(subject.resource_id):
        report.changes.append(Change("none", target, "already attached"))
        note()
        return Planned(report)
    before = dict(site.user_assigned)
    kept = len(before) + (1 if site.system_principal_id else 0)
    kept_text = f"{kept} identit{'y' if kept == 1 else 'ies'} already there"
    change = Change("update", target, f"added; {kept_text} kept")
    report.changes.append(change)
    # What it would be; the write replaces this with what ARM answers.
    report.data["userAssignedIdentities"] = sorted([*before, subject.resource_id])

    def write() -> None:
        resource_id = subject.identity.id
        with writing(report, change):
            after = web.add_user_assigned(azure, rg, app, slot, site, resource_id)
        lost = [k for k in before if not after.has_user_assigned(k)]
        if site.system_principal_id and "systemassigned" not in after.identity_type.lower():
            lost.append("the system-assigned identity")
        if lost or not after.has_user_assigned(resource_id):
            raise ServiceError(
                f"After the update {where} lacks {', '.join(lost) or resource_id}.",
                hint="Check the app's identities in the portal.",
            )
        report.data.update(subject.identity.summary())
        report.data["userAssignedIdentities"] = sorted(after.user_assigned)
        note()

    return Planned(report, write)


def plan_detach(azure: Azure, target_app: AppTarget, subject: Subject) -> Planned:
    """revoke: the identity off the app (or slot), every other identity kept."""
    rg, app, slot = target_app.resource_group, target_app.app, target_app.slot
    report = Report("revoke")
    site = web.get_site(azure, rg, app, slot)
    where = web.where(app, slot)
    target = f"identity {subject.name} on {where}"
    if not site.has_user_assigned(subject.resource_id):
        report.changes.append(Change("none", target, "not attached"))
        return Planned(report)
    others = [k for k in site.user_assigned if k.lower() != subject.resource_id.lower()]
    kept = len(others) + (1 if site.system_principal_id else 0)
    change = Change(
        "delete", target, f"detached; {kept} other identit{'y' if kept == 1 else 'ies'} kept"
    )
    report.changes.append(change)

    def write() -> None:
        with writing(report, change):
            after = web.remove_user_assigned(azure, rg, app, slot, site, subject.resource_id)
        lost = [k for k in others if not after.has_user_assigned(k)]
        if site.system_principal_id and not after.system_principal_id:
            lost.append("the system-assigned identity")
        if lost or after.has_user_assigned(subject.resource_id):
            raise ServiceError(
                f"After the update {where} "
                + (f"lacks {', '.join(lost)}." if lost else f"still has {subject.name}."),
                hint="Check the app's identities in the portal.",
            )

    return Planned(report, write)

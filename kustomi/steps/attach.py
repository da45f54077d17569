"""Step 3: the identity on the function app (or slot), keeping every identity already there."""

from __future__ import annotations

from ..azure import identities, web
from ..azure.clients import Azure
from ..config import IdentityRef
from ..errors import ServiceError
from ..model import Change, Report
from . import writing


def run(
    azure: Azure, rg: str, app: str, slot: str | None, ref: IdentityRef, dry_run: bool
) -> Report:
    report = Report("attach", dry_run=dry_run)
    ident = identities.get(azure, ref)
    site = web.get_site(azure, rg, app, slot)
    where = web.where(app, slot)
    target = f"identity {ident.name} on {where}"
    before = dict(site.user_assigned)
    if site.has_user_assigned(ident.id):
        report.changes.append(Change("none", target, "already attached"))
    else:
        kept = len(before) + (1 if site.system_principal_id else 0)
        kept_text = f"{kept} identit{'y' if kept == 1 else 'ies'} already there"
        change = Change("update", target, f"added; {kept_text} kept")
        report.changes.append(change)
        if not dry_run:
            with writing(report, change):
                after = web.add_user_assigned(azure, rg, app, slot, site, ident.id)
            lost = [k for k in before if not after.has_user_assigned(k)]
            if site.system_principal_id and "systemassigned" not in after.identity_type.lower():
                lost.append("the system-assigned identity")
            if lost or not after.has_user_assigned(ident.id):
                raise ServiceError(
                    f"After the update {where} lacks {', '.join(lost) or ident.id}.",
                    hint="Check the app's identities in the portal.",
                )
            site = after
    on_app = sorted(site.user_assigned)
    if not site.has_user_assigned(ident.id):  # a dry run: what it would be
        on_app = sorted([*on_app, ident.id])
    report.data = {
        "app": app,
        "slot": slot,
        "resourceGroup": rg,
        **ident.summary(),
        "systemAssigned": bool(site.system_principal_id),
        "userAssignedIdentities": on_app,
    }
    report.notes.append(f'binding: ManagedServiceIdentity = "{ident.client_id}"')
    return report

"""Step 1: a user-assigned managed identity. An existing one is reused, never recreated."""

from __future__ import annotations

from typing import Any

from ..azure import identities
from ..azure.clients import Azure
from ..config import IdentityRef
from ..model import Change, Report
from . import writing


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


def run(azure: Azure, ref: IdentityRef, location: str | None, dry_run: bool) -> Report:
    report = Report("create-identity", dry_run=dry_run)
    target = f"identity {ref.resource_group}/{ref.name}"
    existing = identities.find(azure, ref)
    if existing is not None:
        detail = "exists; reused as is"
        if (
            location
            and location.replace(" ", "").lower() != existing.location.replace(" ", "").lower()
        ):
            detail += f" (it lives in {existing.location}, not {location})"
        report.changes.append(Change("none", target, detail))
        report.data = identity_data(existing)
    else:
        where = location or identities.resource_group_location(azure, ref.resource_group)
        change = Change("create", target, f"in {where}")
        report.changes.append(change)
        if dry_run:
            report.data = {
                "name": ref.name,
                "resourceGroup": ref.resource_group,
                "location": where,
                "clientId": None,
                "principalId": None,
            }
            return report
        with writing(report, change):
            report.data = identity_data(identities.create(azure, ref, where))
    report.notes.append(
        f"next: kustomi grant --role viewer --identity {ref.name} -g {ref.resource_group} "
        "--cluster <cluster> --database <db>"
    )
    return report

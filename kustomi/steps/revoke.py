"""revoke: setup undone, in reverse order, each part only if present: the connection setting
of each app (every other setting kept) and the identity on each app (every other identity
kept), side by side; then the roles (the ARM assignment, or `.drop` for what `.add` made);
then, only when asked, the identity itself, refused while an app outside the plan has it."""

from __future__ import annotations

from functools import partial

from ..azure import identities
from ..azure.clients import Azure
from ..errors import NotFoundError
from ..model import Change, Report
from ..names import DEFAULT_PARALLEL
from ..spec import AppSpec, SetupSpec
from . import Planned, Progress, attach, create_identity, grant, set_connection
from .create_identity import Subject
from .fleet import AppPlan, Plan, merged
from .setup import both, grant_requests, plan_apps, resolved, subject_data, warm


def _plan_system(
    azure: Azure, spec: SetupSpec, progress: Progress, parallel: int, disable: bool
) -> Plan:
    """revoke with each app's own system-assigned identity: per app, the connection setting,
    then the roles of that app's principal; the identity itself is disabled only when asked
    (`disable`), never as a side effect."""
    from dataclasses import replace

    spec = resolved(azure, spec, parallel)
    requests = list(reversed(grant_requests(spec)))

    def app(group: list[AppSpec]) -> AppPlan:
        a = group[0]
        try:
            ref = spec.identity.of_site(a.target)
            subject = Subject(ref, identities.find(azure, ref), azure.subscription_id)
            steps = [set_connection.plan_remove(azure, x) for x in group]
            steps += [
                grant.plan_revoke(azure, replace(r, identity=ref), subject, progress)
                for r in requests
            ]
            if disable:
                steps.append(attach.plan_disable_system(azure, a.target))
            return AppPlan(a.label, steps)
        except NotFoundError as e:  # an app deleted since setup: nothing of it to undo
            gone = Report("revoke")
            gone.changes.append(Change("none", f"app {a.label}", f"not found ({e.message})"))
            return AppPlan(a.label, [Planned(gone)])

    _, apps = plan_apps(spec, [], app, parallel)
    return Plan("revoke", [], apps, describe=lambda: {"identity": "system"})


def plan(
    azure: Azure,
    spec: SetupSpec,
    progress: Progress,
    parallel: int = DEFAULT_PARALLEL,
    delete_identity: bool = False,
    disable_system_identity: bool = False,
) -> Plan:
    parts = spec.split()
    if len(parts) > 1:  # several identities: one plan of each, in order
        return merged(
            [
                plan(azure, p, progress, parallel, delete_identity, disable_system_identity)
                for p in parts
            ]
        )
    warm(azure, spec)
    if spec.identity.system:
        return _plan_system(azure, spec, progress, parallel, disable_system_identity)
    found, spec = both(
        lambda: identities.find(azure, spec.identity), lambda: resolved(azure, spec, parallel)
    )
    subject = Subject(spec.identity, found, azure.subscription_id)

    def app(group: list[AppSpec]) -> AppPlan:
        a = group[0]
        try:
            return AppPlan(
                a.label,
                [
                    *(set_connection.plan_remove(azure, x) for x in group),
                    attach.plan_detach(azure, a.target, subject),
                ],
            )
        except NotFoundError as e:  # an app deleted since setup: nothing of it to undo
            gone = Report("revoke")
            gone.changes.append(Change("none", f"app {a.label}", f"not found ({e.message})"))
            return AppPlan(a.label, [Planned(gone)])

    roles, apps = plan_apps(
        spec,
        [
            partial(grant.plan_revoke, azure, r, subject, progress)
            for r in reversed(grant_requests(spec))
        ],
        app,
        parallel,
    )
    planned = {a.label for a in spec.apps}
    # Read only when it decides something: a role to remove, or the identity to delete.
    needed = delete_identity or any(r.pending for r in roles)
    elsewhere = create_identity.attached_elsewhere(azure, subject, planned) if needed else []
    if elsewhere:
        # Another app still has the identity: its bindings need the roles. Keep them.
        for r in roles:
            for c in r.report.changes:
                if c.kind != "none":
                    c.kind = "none"
                    c.detail = f"kept: the identity is still on {', '.join(elsewhere)}"
            r.write = None
    after = roles
    if delete_identity:
        after = [*roles, create_identity.plan_delete(azure, subject, planned, elsewhere)]
    return Plan("revoke", [], apps, after, describe=lambda: subject_data(subject))

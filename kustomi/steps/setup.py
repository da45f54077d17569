"""setup: the whole checklist as one plan, for one app or a fleet. Reads everything first
(the identity, each grant's database, each app's identities and settings; apps side by
side), then applies: the identity, the grants, then each app's attach and connection
setting. revoke (revoke.py) is the same plan undone in reverse order."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar, cast

from ..azure import credentials, kusto_mgmt
from ..azure.clients import Azure
from ..config import ClusterRef
from ..errors import KustomiError
from ..model import Report
from ..names import DEFAULT_PARALLEL
from ..spec import AppSpec, SetupSpec
from . import Planned, Progress, attach, create_identity, grant, set_connection
from .create_identity import Subject
from .fleet import AppPlan, Plan, in_parallel, merged

T = TypeVar("T")
U = TypeVar("U")


def plan(
    azure: Azure,
    spec: SetupSpec,
    progress: Progress,
    parallel: int = DEFAULT_PARALLEL,
    force: bool = False,
) -> Plan:
    parts = spec.split()
    if len(parts) > 1:  # grants and apps of several identities: one plan of each, in order
        return merged([plan(azure, p, progress, parallel, force) for p in parts])
    warm(azure, spec)
    if spec.identity.system:
        return _plan_system(azure, spec, progress, parallel, force)
    # The identity and the clusters first (the rest needs them), then every grant's and every
    # app's reads side by side.
    (ident_plan, subject), spec = both(
        lambda: create_identity.plan(azure, spec.identity, spec.location),
        lambda: resolved(azure, spec, parallel),
    )

    def app(group: list[AppSpec]) -> AppPlan:
        a = group[0]
        return AppPlan(
            a.label,
            [
                attach.plan(azure, a.target, subject),
                *(set_connection.plan(azure, x, force, replace=False) for x in group),
            ],
        )

    grants, apps = plan_apps(
        spec,
        [partial(grant.plan, azure, r, subject, progress) for r in grant_requests(spec)],
        app,
        parallel,
    )
    return Plan("setup", [ident_plan, *grants], apps, describe=lambda: subject_data(subject))


def _plan_system(
    azure: Azure, spec: SetupSpec, progress: Progress, parallel: int, force: bool
) -> Plan:
    """setup with each app's own system-assigned identity: per app, the identity enabled
    (every user-assigned one kept), then the grants to that app's principal, then the
    connection setting. No identity is created."""
    from dataclasses import replace

    spec = resolved(azure, spec, parallel)
    requests = grant_requests(spec)

    def app(group: list[AppSpec]) -> AppPlan:
        a = group[0]
        ref = spec.identity.of_site(a.target)
        subject = Subject(ref, None, azure.subscription_id)
        enable = attach.plan_system(azure, a.target, subject)  # known once enabled
        grants = [grant.plan(azure, replace(r, identity=ref), subject, progress) for r in requests]
        settings = [set_connection.plan(azure, x, force, replace=False) for x in group]
        return AppPlan(a.label, [enable, *grants, *settings])

    _, apps = plan_apps(spec, [], app, parallel)
    return Plan("setup", [], apps, describe=lambda: {"identity": "system"})


def both(first: Callable[[], T], second: Callable[[], U]) -> tuple[T, U]:
    """Two reads at once."""
    a, b = in_parallel(lambda f: f(), [first, second], 2)
    return cast(T, a), cast(U, b)


def grant_requests(spec: SetupSpec) -> list[grant.GrantRequest]:
    return [
        grant.GrantRequest(
            identity=spec.identity,
            cluster=g.cluster,
            database=g.scope_database,
            role=g.role,
            via=g.via,
            note=spec.note,
            entra_timeout=spec.entra_timeout,
            table=g.table,
        )
        for g in spec.grants
    ]


def by_app(apps: tuple[AppSpec, ...]) -> list[list[AppSpec]]:
    """The apps (and slots), each with its entries (one per connection setting), in order."""
    groups: dict[tuple[str, str, str], list[AppSpec]] = {}
    for a in apps:
        key = (a.resource_group.lower(), a.app.lower(), (a.slot or "").lower())
        groups.setdefault(key, []).append(a)
    return list(groups.values())


def plan_apps(
    spec: SetupSpec,
    others: list[Callable[[], Planned]],
    one: Callable[[list[AppSpec]], AppPlan],
    parallel: int,
) -> tuple[list[Planned], list[AppPlan]]:
    """The plans of `others` (the grants) and of each app (with its entries: one per
    connection setting, planned and applied in one line), read side by side. If any app
    cannot be read (not found, no access), nothing is applied: the error names every such
    app."""

    def safe(group: list[AppSpec]) -> AppPlan | KustomiError:
        try:
            return one(group)
        except KustomiError as e:
            return e

    groups = by_app(spec.apps)
    jobs: list[Callable[[], Any]] = [*others, *(lambda g=g: safe(g) for g in groups)]
    done = in_parallel(lambda f: f(), jobs, parallel)
    planned, apps = done[: len(others)], done[len(others) :]
    failed = [(g[0], p) for g, p in zip(groups, apps, strict=True) if isinstance(p, KustomiError)]
    if failed:
        first = failed[0][1]
        if len(groups) > 1:
            lines = "; ".join(f"{a.label}: {e.message.rstrip('.')}" for a, e in failed) + "."
            first.message = (
                f"{len(failed)} app(s) cannot be set up as planned, so nothing was changed: {lines}"
            )
        raise first
    return planned, [p for p in apps if isinstance(p, AppPlan)]


def warm(azure: Azure, spec: SetupSpec) -> None:
    """Make the clients and sign in before threads share them: every audience at once (ARM,
    and each cluster a KQL grant names by URI)."""
    uris = [g.cluster.uri for g in spec.grants if g.via == "kql" and g.cluster.uri]
    credentials.prefetch(azure, *uris)
    for client in ("msi", "kusto", "web"):
        getattr(azure, client)


def resolved(azure: Azure, spec: SetupSpec, parallel: int) -> SetupSpec:
    """Each cluster named without a URI, looked up once (not once per app)."""
    named: dict[tuple[str | None, str | None], ClusterRef] = {
        (a.cluster.name, a.cluster.resource_group): a.cluster
        for a in spec.apps
        if not a.cluster.uri and a.cluster.name
    }
    if not named:
        return spec
    found = in_parallel(lambda ref: kusto_mgmt.resolve(azure, ref), list(named.values()), parallel)
    uris = {k: c.uri for k, c in zip(named, found, strict=True)}

    def with_uri(ref: ClusterRef) -> ClusterRef:
        uri = uris.get((ref.name, ref.resource_group))
        return ClusterRef(ref.name, ref.resource_group, uri) if uri else ref

    from dataclasses import replace

    return replace(spec, apps=tuple(replace(a, cluster=with_uri(a.cluster)) for a in spec.apps))


def subject_data(subject: Subject) -> dict[str, Any]:
    if subject.found is not None:
        return subject.found.summary()
    return {"identity": subject.name, "identityResourceId": subject.resource_id}


def verify(azure: Azure, spec: SetupSpec, progress: Progress, wait: float = 0.0) -> Report:
    """verify for each app of the spec (as the identity where a managed-identity endpoint is
    present, else from the control plane): one report, its findings named by app."""
    out = Report("verify")
    for part in spec.split():
        _verify_part(azure, part, progress, wait, out)
    return out


def _verify_part(
    azure: Azure, spec: SetupSpec, progress: Progress, wait: float, out: Report
) -> None:
    from dataclasses import replace

    from . import verify as step

    for a in spec.apps:
        # The app's database's grants, then the cluster-wide ones (which hold on it too).
        mine = sorted(
            (
                g
                for g in spec.grants
                if g.scope_database is None or g.scope_database.lower() == a.database.lower()
            ),
            key=lambda g: g.scope_database is None,
        )
        roles = [g.role for g in mine]
        ident = spec.identity.of_site(a.target) if spec.identity.system else spec.identity
        req = step.VerifyRequest(
            identity_arg=spec.identity_arg or spec.identity.name,
            identity=ident,
            cluster=a.cluster,
            database=a.database,
            role=roles[0] if roles else None,
            app=a.app,
            slot=a.slot,
            resource_group=a.resource_group,
            setting=a.setting,
            wait=wait,
        )
        one = step.run(azure, req, progress)
        out.findings += [replace(f, check=f"{a.label} {f.check}") for f in one.findings]
        out.notes += [n for n in one.notes if n not in out.notes]

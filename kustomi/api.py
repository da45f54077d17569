"""kustomi as a library, for automation that is not a shell (deployment hooks, pipelines).

    from kustomi.api import Kustomi

    with Kustomi(subscription="<sub>") as k:
        spec = k.spec(identity="id-orders", resource_group="rg-orders", cluster="adxorders",
                      cluster_resource_group="rg-data", database="Orders", role="viewer",
                      apps=["func-a", "func-b"])
        plan = k.plan(spec)                 # reads only
        print(plan.report().changes)        # what it would do
        report = k.apply(plan)              # raises if an app did not finish
        k.verify(spec)                      # findings per app
        k.revoke(spec, delete_identity=True)

Every method returns the Report the CLI renders (kustomi.model.Report; `to_dict()` is the
CLI's JSON) and raises the CLI's error family (kustomi.errors.KustomiError: `exit_code`,
`message`, `hint`, and `details` with done / not_done / unknown). Nothing is printed; progress
goes to the `progress` callback. Sign-in is kustomi's (the environment, a service principal,
`az login`) unless a `credential` (any azure-core TokenCredential) is given.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from . import config
from .azure.clients import Azure
from .cloud import Cloud, from_environment
from .errors import ChecksFailed, KustomiError, UsageError
from .model import Report
from .names import DEFAULT_PARALLEL, DEFAULT_SETTING, MAX_PARALLEL
from .spec import AppSpec, GrantSpec, SetupSpec, flag_apps, flag_grant, from_file
from .steps import revoke as revoke_step
from .steps import setup as setup_step
from .steps.fleet import Plan, unfinished

__all__ = ["AppSpec", "GrantSpec", "Kustomi", "KustomiError", "Plan", "Report", "SetupSpec"]


class Kustomi:
    """One session: one sign-in, one token per audience, one pool of connections. Close it
    (or use it as a context manager) to end its connections."""

    def __init__(
        self,
        subscription: str | None = None,
        credential: Any = None,
        progress: Callable[[str], None] | None = None,
        parallel: int = DEFAULT_PARALLEL,
        cloud: Cloud | None = None,
    ) -> None:
        config.environment(os.environ)
        config.typed("subscription", subscription, str, optional=True)
        config.typed("parallel", parallel, int)
        if progress is not None and not callable(progress):
            raise UsageError(
                f"progress must be a function of one string, not {progress!r}.",
                hint="progress=print, for example.",
            )
        if cloud is not None and not isinstance(cloud, Cloud):
            raise UsageError(
                f"cloud must be a kustomi.cloud.Cloud, not {cloud!r}.",
                hint="Leave it out to take the cloud from the environment (KUSTOMI_CLOUD).",
            )
        if not 1 <= parallel <= MAX_PARALLEL:
            raise UsageError(
                f"parallel must be 1 to {MAX_PARALLEL}, not {parallel}.",
                hint=f"The default is {DEFAULT_PARALLEL}.",
            )
        self.cloud = cloud or from_environment()
        self.progress = progress or (lambda _: None)
        self.parallel = parallel
        self._subscription = config.subscription(
            subscription or os.environ.get("AZURE_SUBSCRIPTION_ID")
        )
        self._credential = credential
        self._azure: Azure | None = None

    def __enter__(self) -> Kustomi:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._azure is not None:
            self._azure.close()
            self._azure = None

    def _session(self, spec: SetupSpec | None = None) -> Azure:
        if self._azure is None:
            self._azure = Azure(
                self.cloud,
                config.subscription(self._subscription, spec.identity if spec else None),
                credential=self._credential,
                progress=self.progress,
                connections=self.parallel + 2,
            )
        return self._azure

    # --- what to do -----------------------------------------------------------------------
    def spec(
        self,
        *,
        identity: str,
        resource_group: str | None = None,
        cluster: str,
        database: str,
        role: str,
        apps: Sequence[str] = (),
        cluster_resource_group: str | None = None,
        identity_resource_group: str | None = None,
        slot: str | None = None,
        setting: str = DEFAULT_SETTING,
        via: str = "arm",
        location: str | None = None,
    ) -> SetupSpec:
        """One grant and the apps that use it, validated as the CLI validates its flags
        (config.UsageError, exit code 2, before any request)."""
        given: dict[str, object] = {
            "identity": identity,
            "cluster": cluster,
            "database": database,
            "role": role,
            "setting": setting,
            "via": via,
        }
        for name, value in given.items():
            config.typed(name, value, str)
        maybe: dict[str, object] = {
            "resource_group": resource_group,
            "cluster_resource_group": cluster_resource_group,
            "identity_resource_group": identity_resource_group,
            "slot": slot,
            "location": location,
        }
        for name, value in maybe.items():
            config.typed(name, value, str, optional=True)
        config.typed_list("apps", apps)
        grant = flag_grant(
            cluster, database, role, resource_group, self.cloud, cluster_resource_group, via
        )
        return SetupSpec(
            identity=config.identity_ref(identity, identity_resource_group, resource_group),
            grants=(grant,),
            apps=tuple(flag_apps(list(apps), resource_group, grant, slot, setting)),
            location=config.location(location) if location else None,
            identity_arg=identity,
        )

    def spec_from_file(self, path: str | Path = "kustomi.toml") -> SetupSpec:
        """The spec of a kustomi.toml's [setup] table."""
        if not isinstance(path, (str, Path)):
            raise UsageError(f"path must be a file path, not {path!r}.", hint='"kustomi.toml"')
        return from_file(Path(path), self.cloud)

    # --- setup ----------------------------------------------------------------------------
    def plan(self, spec: SetupSpec, force: bool = False) -> Plan:
        """Read everything; the plan's `report()` says what applying it would change."""
        _spec(spec)
        config.typed("force", force, bool)
        return setup_step.plan(self._session(spec), spec, self.progress, self.parallel, force)

    def apply(self, plan: Plan, check: bool = True) -> Report:
        """Apply a plan. With `check`, an app that did not finish raises (after the others
        finished), and so does one a finding blocks (ChecksFailed, exit code 6); without it,
        the report's `errors` and findings say so."""
        if not isinstance(plan, Plan):
            raise UsageError(f"plan must be a Plan, not {plan!r}.", hint="plan = k.plan(spec)")
        config.typed("check", check, bool)
        report = plan.apply(self.progress, self.parallel)
        if check and report.errors:
            raise unfinished(report)
        if check and not report.ok:  # an app blocked by a finding (a setting with a secret)
            bad = [f"{f.check}: {f.status}" for f in report.findings if f.status != "ok"]
            raise ChecksFailed(
                "Not every app is set up: " + "; ".join(bad) + ".",
                hint="Each finding's hint says what to do (--force replaces a setting that "
                "holds a secret: force=True).",
            )
        return report

    def setup(self, spec: SetupSpec, force: bool = False, check: bool = True) -> Report:
        return self.apply(self.plan(spec, force), check)

    # --- revoke ---------------------------------------------------------------------------
    def plan_revoke(self, spec: SetupSpec, delete_identity: bool = False) -> Plan:
        _spec(spec)
        config.typed("delete_identity", delete_identity, bool)
        return revoke_step.plan(
            self._session(spec), spec, self.progress, self.parallel, delete_identity
        )

    def revoke(self, spec: SetupSpec, delete_identity: bool = False, check: bool = True) -> Report:
        return self.apply(self.plan_revoke(spec, delete_identity), check)

    # --- verify ---------------------------------------------------------------------------
    def verify(self, spec: SetupSpec, wait: float = 0.0) -> Report:
        """verify for each app of the spec (as the identity where a managed-identity endpoint
        is present, else from the control plane): one report, findings named by app."""
        _spec(spec)
        config.typed("wait", wait, float)
        return setup_step.verify(
            self._session(spec), spec, self.progress, config.seconds(float(wait), "wait")
        )

    # --- audit ----------------------------------------------------------------------------
    def audit(
        self,
        resource_groups: Sequence[str] = (),
        apps: Sequence[str] = (),
        project: str | Path | None = None,
        emit_setup: str | Path | None = None,
        force: bool = False,
        identity: str | None = None,
        identity_resource_group: str | None = None,
    ) -> Report:
        """Every function app's Kusto connection (the subscription's, or `resource_groups`'s,
        or `apps`'): findings named `<rg>/<app>[/<slot>] <check>`, and `data.settings`. With
        `emit_setup`, writes the kustomi.toml whose [setup] moves what was found to managed
        identities (an existing file only with `force`); `k.setup(k.spec_from_file(path),
        force=True)` applies it. Read-only otherwise; findings do not raise.

            report = k.audit(resource_groups=["rg-legacy"], emit_setup="kustomi.toml")
        """
        from .steps import audit as step

        config.typed_list("resource_groups", resource_groups)
        config.typed_list("apps", apps)
        config.typed("force", force, bool)
        for name, value in (
            ("identity", identity),
            ("identity_resource_group", identity_resource_group),
        ):
            config.typed(name, value, str, optional=True)
        root = Path(project) if project is not None else None
        if root is not None and not root.is_dir():
            raise UsageError(
                f"project {str(root)!r} is not a directory.", hint="The project's root."
            )
        target = step.setup_path(str(emit_setup), force) if emit_setup is not None else None
        req = step.AuditRequest(
            resource_groups=tuple(dict.fromkeys(config.resource_group(g) for g in resource_groups)),
            apps=tuple(dict.fromkeys(config.app_name(a) for a in apps)),
            project=root,
            parallel=max(self.parallel, 1),
            identity=step.check_identity_name(identity) if identity else None,
            identity_resource_group=(
                config.resource_group(identity_resource_group) if identity_resource_group else None
            ),
        )
        report = step.run(self._session(), req, self.progress)
        if target is not None:
            line = step.command_line(req, str(emit_setup), force)
            step.write_setup(target, step.setup_file(report, line), force)
            report.notes.append(step.next_step(target, len(report.data.get("migrations", []))))
        return report


def _spec(spec: object) -> None:
    if not isinstance(spec, SetupSpec):
        raise UsageError(
            f"spec must be a SetupSpec, not {spec!r}.",
            hint="spec = k.spec(...) or k.spec_from_file('kustomi.toml')",
        )

"""kustomi as a library, for automation that is not a shell (deployment hooks, pipelines):
every command of the CLI is a method here, and the CLI is these methods and its rendering.

    from kustomi.api import Kustomi

    with Kustomi(subscription="<sub>") as k:
        k.create_identity("id-orders", "rg-orders")
        k.grant(identity="id-orders", resource_group="rg-orders", cluster="adxorders",
                cluster_resource_group="rg-data", database="Orders", role="viewer")
        k.attach(identity="id-orders", app="func-orders", resource_group="rg-orders")
        k.set_connection(app="func-orders", resource_group="rg-orders", cluster="adxorders",
                         cluster_resource_group="rg-data", database="Orders")
        k.verify(identity="id-orders", resource_group="rg-orders", cluster="adxorders",
                 cluster_resource_group="rg-data", database="Orders", app="func-orders")

        spec = k.spec(identity="id-orders", resource_group="rg-orders", cluster="adxorders",
                      cluster_resource_group="rg-data", database="Orders", role="viewer",
                      apps=["func-a", "func-b"])     # or k.spec_from_file("kustomi.toml")
        plan = k.plan(spec)                 # reads only
        print(plan.report().changes)        # what it would do
        report = k.apply(plan)              # raises if an app did not finish
        k.verify(spec)                      # findings per app
        k.revoke(spec, delete_identity=True)

        k.doctor("path/to/project", app="func-orders", resource_group="rg-orders")
        print(k.snippet(lang="python", direction="input", database="Orders",
                        client_id="<client id>").data["code"])

Every method returns the Report the CLI renders (kustomi.model.Report; `to_dict()` is the
CLI's JSON) and raises the CLI's error family (kustomi.errors.KustomiError: `exit_code`,
`message`, `hint`, and after a write an `outcome`: kustomi.errors.Outcome, the writes done /
not_done / unknown). Every argument is checked
before any request (a UsageError, exit code 2, otherwise). Nothing is printed; progress goes to
the `progress` callback. Sign-in is kustomi's (the environment, a service principal, `az
login`) unless a `credential` (any azure-core TokenCredential) is given. A step method's
`dry_run=True` is the CLI's --dry-run: the report says what it would change; nothing is written.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from . import config
from .azure.clients import Azure
from .cloud import Cloud, from_environment
from .errors import ChecksFailed, KustomiError, UsageError
from .model import Report
from .names import DEFAULT_PARALLEL, DEFAULT_SETTING, MAX_PARALLEL
from .spec import AppSpec, GrantSpec, SetupSpec, flag_values, from_file, resolve
from .steps.fleet import Plan, unfinished

__all__ = ["AppSpec", "GrantSpec", "Kustomi", "KustomiError", "Plan", "Report", "SetupSpec"]

Mode = Literal["auto", "identity", "control-plane"]


class Kustomi:
    """One session: one sign-in, one token per audience, one pool of connections, and the
    environment read once (`environ`, default os.environ; every KUSTOMI_* and AZURE_* value is
    checked here, before any request). Close it (or use it as a context manager) to end its
    connections."""

    def __init__(
        self,
        subscription: str | None = None,
        credential: Any = None,
        progress: Callable[[str], None] | None = None,
        parallel: int = DEFAULT_PARALLEL,
        cloud: Cloud | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.env = config.environment(os.environ if environ is None else environ)
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
        self.cloud = cloud or from_environment(dict(self.env.values))
        self.progress = progress or (lambda _: None)
        self.parallel = parallel
        self._subscription = config.subscription(
            subscription or self.env.get("AZURE_SUBSCRIPTION_ID")
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

    def _session(self, identity: config.IdentityRef | None = None) -> Azure:
        """The Azure clients, made on first use; no request is sent until then. The
        subscription is the one given, else that of the identity's resource id (which must not
        name another)."""
        if self._azure is None:
            self._azure = Azure(
                self.cloud,
                config.subscription(self._subscription, identity),
                self.env,
                credential=self._credential,
                progress=self.progress,
                connections=self.parallel + 2,
            )
        return self._azure

    # --- the checklist, one step at a time -------------------------------------------------
    def create_identity(
        self,
        name: str,
        resource_group: str,
        *,
        location: str | None = None,
        dry_run: bool = False,
    ) -> Report:
        """Create a user-assigned managed identity, or reuse the one of that name.

        k.create_identity("id-orders", "rg-orders")   # data: clientId, principalId, ...
        """
        from .steps import create_identity as step

        _types(name=(name, str), resource_group=(resource_group, str), dry_run=(dry_run, bool))
        config.typed("location", location, str, optional=True)
        if config.is_system(name):
            raise UsageError(
                "'system' names an app's own system-assigned identity, which Azure makes with "
                "the app; it is not created.",
                hint="Enable it with kustomi attach --identity system --app APP -g RG, or give "
                "a user-assigned identity another name.",
            )
        ref = config.IdentityRef(config.resource_group(resource_group), config.identity_name(name))
        where = config.location(location) if location is not None else None
        return step.run(self._session(), ref, where, dry_run)

    def grant(
        self,
        *,
        identity: str,
        cluster: str,
        role: str,
        database: str | None = None,
        table: str | None = None,
        resource_group: str | None = None,
        identity_resource_group: str | None = None,
        cluster_resource_group: str | None = None,
        via: str | None = None,
        note: str = "",
        entra_timeout: float = 180.0,
        app: str | None = None,
        slot: str | None = None,
        dry_run: bool = False,
    ) -> Report:
        """Give the identity (identity="system": the system-assigned identity of `app`, or of
        its `slot`) a Kusto role: a database role (viewer, user, ingestor, ...) on
        a database, through an ARM principal assignment (via="arm", the default) or `.add
        database` (via="kql"); a table role (ingestor, admin) on one `table` of the database
        (`.add table`); or a cluster-wide role (alldatabasesviewer, ...) with no database
        (an ARM cluster principal assignment).

            k.grant(identity="id-orders", resource_group="rg-orders", cluster="adxorders",
                    cluster_resource_group="rg-data", database="Orders", role="viewer")
            k.grant(identity="id-orders", resource_group="rg-orders", cluster="adxorders",
                    cluster_resource_group="rg-data", database="Orders", table="Events",
                    role="ingestor")
            k.grant(identity="id-orders", resource_group="rg-orders", cluster="adxorders",
                    cluster_resource_group="rg-data", role="alldatabasesviewer")
        """
        from .steps import grant as step

        _types(
            identity=(identity, str),
            cluster=(cluster, str),
            role=(role, str),
            entra_timeout=(entra_timeout, float),
            dry_run=(dry_run, bool),
        )
        _note(note)
        _optional(
            database=database,
            table=table,
            via=via,
            resource_group=resource_group,
            identity_resource_group=identity_resource_group,
            cluster_resource_group=cluster_resource_group,
            app=app,
            slot=slot,
        )
        arm_role = config.role(role)
        db, tbl, how = config.grant_scope(arm_role, database, table, via)
        system = config.is_system(identity)
        site = _site_of(system, "grant", resource_group, app, slot)
        if system and how == "kql":
            raise config.conflict(
                "--identity system",
                "--table" if tbl else "--via kql",
                hint="KQL names an application by its client id, which Azure does not report "
                "for a system-assigned identity: grant a database or cluster-wide role through "
                "ARM (the default), or use a user-assigned identity for a table role.",
            )
        if note and how == "arm":
            raise config.conflict(
                "--note",
                "--via arm",
                hint="A note is stored with a KQL grant only (--via kql); an ARM principal "
                "assignment has none.",
            )
        ref = config.identity_ref(identity, identity_resource_group, resource_group)
        ref = config.system_of(ref, site, "grant")
        req = step.GrantRequest(
            identity=ref,
            cluster=config.cluster_ref(cluster, cluster_resource_group, resource_group, self.cloud),
            database=db,
            role=arm_role,
            via=how,
            note=config.text(note, "--note"),
            entra_timeout=config.seconds(float(entra_timeout), "--entra-timeout"),
            table=tbl,
        )
        return step.run(self._session(ref), req, dry_run, self.progress)

    def attach(
        self,
        *,
        identity: str,
        app: str,
        resource_group: str,
        slot: str | None = None,
        identity_resource_group: str | None = None,
        dry_run: bool = False,
    ) -> Report:
        """Attach the user-assigned identity to the function app (or a slot), keeping every
        identity it has; identity="system" enables the app's (or slot's) own system-assigned
        identity instead, keeping every user-assigned one.

            k.attach(identity="id-orders", app="func-orders", resource_group="rg-orders")
            k.attach(identity="system", app="func-orders", resource_group="rg-orders")
        """
        from .steps import attach as step

        _types(identity=(identity, str), app=(app, str), resource_group=(resource_group, str))
        _types(dry_run=(dry_run, bool))
        _optional(slot=slot, identity_resource_group=identity_resource_group)
        target = _target(resource_group, app, slot)
        ref = config.identity_ref(identity, identity_resource_group, target.resource_group)
        return step.run(
            self._session(ref), target, config.system_of(ref, target, "attach"), dry_run
        )

    def set_connection(
        self,
        *,
        app: str,
        resource_group: str,
        cluster: str,
        database: str,
        setting: str = DEFAULT_SETTING,
        slot: str | None = None,
        cluster_resource_group: str | None = None,
        force: bool = False,
        dry_run: bool = False,
    ) -> Report:
        """Set the app setting the binding reads (Data Source=<cluster>;Database=<db>;),
        keeping every other setting; `force` replaces a value that holds a secret.

            k.set_connection(app="func-orders", resource_group="rg-orders",
                             cluster="adxorders", cluster_resource_group="rg-data",
                             database="Orders")
        """
        from .steps import set_connection as step

        _types(app=(app, str), resource_group=(resource_group, str), cluster=(cluster, str))
        _types(database=(database, str), setting=(setting, str))
        _types(force=(force, bool), dry_run=(dry_run, bool))
        _optional(slot=slot, cluster_resource_group=cluster_resource_group)
        target = _target(resource_group, app, slot)
        ref = config.cluster_ref(cluster, cluster_resource_group, target.resource_group, self.cloud)
        spec = AppSpec(
            resource_group=target.resource_group,
            app=target.app,
            cluster=ref,
            database=config.database(database),
            slot=target.slot,
            setting=config.setting_name(setting),
        )
        return step.run(self._session(), spec, force, dry_run)

    def verify(
        self,
        spec: SetupSpec | None = None,
        *,
        identity: str | None = None,
        cluster: str | None = None,
        database: str | None = None,
        role: str | None = None,
        table: str | None = None,
        resource_group: str | None = None,
        identity_resource_group: str | None = None,
        cluster_resource_group: str | None = None,
        app: str | None = None,
        slot: str | None = None,
        setting: str = DEFAULT_SETTING,
        mode: Mode = "auto",
        wait: float = 0.0,
    ) -> Report:
        """Prove that the identity can reach the database (as the identity where a
        managed-identity endpoint is present, else from the control plane), or say exactly
        why not: findings, each with the command that fixes it. With `table` (an output
        binding's), a table role there counts too, and `role` defaults to ingestor.

            k.verify(identity="<client id>", cluster="https://adxorders.westeurope.kusto."
                     "windows.net", database="Orders", role="viewer")
            k.verify(spec)    # each app of a setup spec; findings named by app
        """
        config.typed("wait", wait, float)
        seconds = config.seconds(float(wait), "wait")
        if spec is not None:
            _spec(spec)
            from .steps import setup as setup_step

            return setup_step.verify(self._session(spec.identity), spec, self.progress, seconds)
        from .steps import verify as step

        if identity is None or cluster is None or database is None:
            raise UsageError(
                "verify needs a spec, or identity, cluster and database.",
                hint='k.verify(identity="id-orders", resource_group="rg", cluster="adx", '
                'database="Orders")',
            )
        _types(identity=(identity, str), cluster=(cluster, str), database=(database, str))
        _types(setting=(setting, str), mode=(mode, str))
        _optional(
            role=role,
            table=table,
            resource_group=resource_group,
            identity_resource_group=identity_resource_group,
            cluster_resource_group=cluster_resource_group,
            app=app,
            slot=slot,
        )
        if mode not in ("auto", "identity", "control-plane"):
            raise UsageError(
                f"mode must be auto, identity or control-plane, not {mode!r}.",
                hint="auto: as the identity where a managed-identity endpoint is present.",
            )
        if slot and not app:
            raise UsageError(
                "--slot is given without --app.",
                hint="--slot names a slot of the app given by --app; pass --app too.",
            )
        ref = config.identity_ref(identity, identity_resource_group, resource_group)
        if ref.system:
            chosen, _ = step.choose_mode(mode, self.env.values)
            # Inside the app, the endpoint gives the app's own identity a token with no id;
            # from the control plane the app must be named to find its principal.
            site = _site_of(True, "verify", resource_group, app, slot, chosen == "identity")
            ref = ref.of_site(site) if site is not None else ref
        req = step.VerifyRequest(
            identity_arg=identity,
            identity=ref,
            cluster=config.cluster_ref(cluster, cluster_resource_group, resource_group, self.cloud),
            database=config.database(database),
            role=config.role(role) if role else "Ingestor" if table else None,
            app=config.app_name(app) if app else None,
            slot=config.app_name(slot, "slot") if slot else None,
            resource_group=config.resource_group(resource_group) if app else resource_group,
            setting=config.setting_name(setting),
            mode=mode,
            wait=seconds,
            table=config.table_name(table) if table is not None else None,
        )
        return step.run(self._session(ref), req, self.progress)

    # --- what setup and revoke act on -------------------------------------------------------
    def spec(
        self,
        *,
        identity: str,
        resource_group: str | None = None,
        cluster: str,
        database: str | None = None,
        role: str,
        table: str | None = None,
        apps: Sequence[str] = (),
        cluster_resource_group: str | None = None,
        identity_resource_group: str | None = None,
        slot: str | None = None,
        setting: str = DEFAULT_SETTING,
        via: str | None = None,
        location: str | None = None,
        note: str = "",
        entra_timeout: float = 180.0,
    ) -> SetupSpec:
        """One grant and the apps that use it, validated as the CLI validates its flags
        (config.UsageError, exit code 2, before any request). The grant is `role` on
        `database`, on its `table` (ingestor, admin), or cluster-wide (alldatabasesviewer,
        ...: `database` then names only the apps' setting's database)."""
        given: dict[str, object] = {
            "identity": identity,
            "cluster": cluster,
            "role": role,
            "setting": setting,
        }
        for name, value in given.items():
            config.typed(name, value, str)
        _note(note)
        config.typed("entra_timeout", entra_timeout, float)
        maybe: dict[str, object] = {
            "database": database,
            "table": table,
            "resource_group": resource_group,
            "cluster_resource_group": cluster_resource_group,
            "identity_resource_group": identity_resource_group,
            "slot": slot,
            "location": location,
            "via": via,
        }
        for name, value in maybe.items():
            config.typed(name, value, str, optional=True)
        config.typed_list("apps", apps)
        values = flag_values(
            identity=identity,
            resource_group=resource_group,
            identity_resource_group=identity_resource_group,
            cluster=cluster,
            cluster_resource_group=cluster_resource_group,
            database=database,
            table=table,
            role=role,
            apps=list(apps),
            slot=slot,
            setting=setting,
            via=via,
            location=location,
            note=note,
            entra_timeout=float(entra_timeout),
        )
        return resolve(values, set(values), None, self.cloud)

    def spec_from_file(self, path: str | Path = "kustomi.toml") -> SetupSpec:
        """The spec of a kustomi.toml's [setup] table."""
        if not isinstance(path, (str, Path)):
            raise UsageError(f"path must be a file path, not {path!r}.", hint='"kustomi.toml"')
        return from_file(Path(path), self.cloud)

    # --- setup ----------------------------------------------------------------------------
    def plan(self, spec: SetupSpec, force: bool = False) -> Plan:
        """Read everything; the plan's `report()` says what applying it would change."""
        from .steps import setup as setup_step

        _spec(spec)
        config.typed("force", force, bool)
        return setup_step.plan(
            self._session(spec.identity), spec, self.progress, self.parallel, force
        )

    def apply(
        self,
        plan: Plan,
        check: bool = True,
        on_app: Callable[[str, str], None] | None = None,
    ) -> Report:
        """Apply a plan. With `check`, an app that did not finish raises (after the others
        finished), and so does one a finding blocks (ChecksFailed, exit code 6); without it,
        the report's `errors` and findings say so. Each app's progress goes to
        `on_app(label, text)` if given, else to `progress` as "<label>: <text>"."""
        if not isinstance(plan, Plan):
            raise UsageError(f"plan must be a Plan, not {plan!r}.", hint="plan = k.plan(spec)")
        config.typed("check", check, bool)
        if on_app is not None and not callable(on_app):
            raise UsageError(
                f"on_app must be a function of a label and a text, not {on_app!r}.",
                hint="Leave it out: each app's progress then goes to progress.",
            )
        report = plan.apply(self.progress, self.parallel, on_app)
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
        """The whole checklist for a spec: plan, then apply (kustomi setup --yes)."""
        return self.apply(self.plan(spec, force), check)

    # --- revoke ---------------------------------------------------------------------------
    def plan_revoke(
        self,
        spec: SetupSpec,
        delete_identity: bool = False,
        disable_system_identity: bool = False,
    ) -> Plan:
        """Read everything; the plan of undoing setup. `delete_identity` deletes a
        user-assigned identity; `disable_system_identity` disables each app's own (with
        identity "system"): neither happens unless asked."""
        from .steps import revoke as revoke_step

        _spec(spec)
        config.typed("delete_identity", delete_identity, bool)
        config.typed("disable_system_identity", disable_system_identity, bool)
        if disable_system_identity and not spec.identity.system:
            raise config.conflict(
                "--disable-system-identity",
                "a user-assigned --identity",
                hint="It disables the apps' own system-assigned identity (--identity system); "
                "--delete-identity deletes a user-assigned one.",
            )
        if delete_identity and spec.identity.system:
            raise config.conflict(
                "--delete-identity",
                "--identity system",
                hint="A system-assigned identity is the app's own: --disable-system-identity "
                "disables it.",
            )
        return revoke_step.plan(
            self._session(spec.identity),
            spec,
            self.progress,
            self.parallel,
            delete_identity,
            disable_system_identity,
        )

    def revoke(
        self,
        spec: SetupSpec,
        delete_identity: bool = False,
        check: bool = True,
        disable_system_identity: bool = False,
    ) -> Report:
        """Undo setup (kustomi revoke --yes): plan, then apply."""
        return self.apply(self.plan_revoke(spec, delete_identity, disable_system_identity), check)

    # --- the code -------------------------------------------------------------------------
    def doctor(
        self,
        project: str | Path = ".",
        *,
        app: str | None = None,
        resource_group: str | None = None,
        slot: str | None = None,
        cluster: str | None = None,
        cluster_resource_group: str | None = None,
    ) -> Report:
        """Find every Kusto binding in a function project and check it; with `app`, the
        deployed app too (settings, identity, roles). Reads only.

            k.doctor("src/orders", app="func-orders", resource_group="rg-orders")
        """
        from .steps import doctor as step

        if not isinstance(project, (str, Path)):
            raise UsageError(f"project must be a directory, not {project!r}.", hint='"."')
        _optional(
            app=app,
            resource_group=resource_group,
            slot=slot,
            cluster=cluster,
            cluster_resource_group=cluster_resource_group,
        )
        root = Path(project)
        if not root.is_dir():
            raise UsageError(
                f"--project {str(project)!r} is not a directory.",
                hint="Pass the function project's root directory.",
            )
        if not app:
            if slot or cluster:
                raise UsageError(
                    f"--{'slot' if slot else 'cluster'} is given without --app.",
                    hint="They describe the deployed app: pass --app (and -g) too.",
                )
            return step.run(step.DoctorRequest(root), self._session)
        target = _target(resource_group, app, slot)
        ref = None
        if cluster:
            ref = config.ClusterRef.parse(
                cluster, cluster_resource_group or target.resource_group, self.cloud
            )
        req = step.DoctorRequest(root, target.app, target.resource_group, target.slot, ref)
        return step.run(req, self._session)

    def snippet(
        self,
        *,
        lang: str,
        direction: str,
        database: str,
        client_id: str | None = None,
        identity: str | None = None,
        table: str | None = None,
        setting: str = DEFAULT_SETTING,
        resource_group: str | None = None,
        identity_resource_group: str | None = None,
        project: str | None = None,
        dry_run: bool = False,
    ) -> Report:
        """A Kusto binding to paste (data.code, for data.file), naming the setting, the
        identity's client id (given, or looked up from `identity`), the database and, for
        an output binding, the table. With `project` (a directory), the code is also written
        at data.file under it (the CLI's --write --project): merged into a Python v2
        function_app.py, with the script a function.json runs; any other file in the way that
        differs is refused (UsageError) with nothing written.

            k.snippet(lang="csharp-isolated", direction="input", database="Orders",
                      client_id="6f4c319d-7b85-4743-9f50-ae5a69cd79d6").data["code"]
            k.snippet(lang="python", direction="output", database="Orders", table="Events",
                      client_id="6f4c319d-7b85-4743-9f50-ae5a69cd79d6", project="./orders")
        """
        from .steps import snippet as step

        _types(lang=(lang, str), direction=(direction, str), database=(database, str))
        _types(setting=(setting, str))
        _optional(
            client_id=client_id,
            identity=identity,
            table=table,
            resource_group=resource_group,
            identity_resource_group=identity_resource_group,
            project=project,
        )
        _types(dry_run=(dry_run, bool))
        lang_ = step.language(lang)
        dir_ = step.direction(direction)
        tbl = step.table(table, dir_)
        root = step.project_root(project) if project is not None else None
        db = config.database(database)
        name = config.setting_name(setting)
        if client_id and identity:
            raise config.conflict(
                "--client-id",
                "--identity",
                hint="Pass one of them: --client-id needs no lookup, --identity is looked up.",
            )
        if client_id:
            cid = config.guid(client_id, "The client id")
        elif identity and config.is_system(identity):
            cid = config.SYSTEM  # the app's own: nothing to look up
        elif identity:
            ref = config.identity_ref(identity, identity_resource_group, resource_group)
            if ref.client_id:
                cid = ref.client_id
            else:
                from .azure import identities

                cid = identities.get(self._session(ref), ref).client_id
        else:
            raise UsageError(
                "No identity given.",
                hint="Pass --client-id <GUID>, or --identity NAME -g RG (or set identity "
                "in kustomi.toml).",
            )
        report = step.build(lang_, dir_, db, name, cid, tbl)
        return report if root is None else step.write(report, root, dry_run)

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


def _types(**values: tuple[object, type]) -> None:
    for name, (value, kind) in values.items():
        config.typed(name, value, kind)


def _optional(**values: object) -> None:
    """Optional string arguments: None, or a string that is not empty."""
    for name, value in values.items():
        config.typed(name, value, str, optional=True)


def _note(note: object) -> None:
    """A note may be empty (none is stored), but it is text."""
    if not isinstance(note, str):
        raise UsageError(f"note must be a string, not {note!r}.", hint='note="deployed by CI"')


def _via(value: str) -> str:
    if value not in ("arm", "kql"):
        raise UsageError(f"via must be arm or kql, not {value!r}.", hint='via="arm"')
    return value


def _site_of(
    system: bool,
    command: str,
    resource_group: str | None,
    app: str | None,
    slot: str | None,
    optional: bool = False,
) -> config.AppTarget | None:
    """The app whose system identity `--identity system` means (None: not system, or
    `optional` and no app given); --slot only with --app."""
    if slot and not app:
        raise UsageError(
            "--slot is given without --app.",
            hint="--slot names a slot of the app given by --app; pass --app too.",
        )
    if not system:
        if app:
            raise config.conflict(
                "--app",
                "--identity as a user-assigned identity",
                hint=f"{command} takes --app for --identity system (the app's own identity).",
            )
        return None
    if app:
        return _target(resource_group, app, slot)
    if optional:
        return None
    raise UsageError(
        f"--identity system needs --app (and -g) with {command}: it is that app's own "
        "system-assigned identity.",
        hint="Pass --app APP -g RG (and --slot SLOT for a slot's own identity).",
    )


def _target(resource_group: str | None, app: str, slot: str | None) -> config.AppTarget:
    return config.AppTarget(
        config.resource_group(resource_group),
        config.app_name(app),
        config.app_name(slot, "slot") if slot else None,
    )

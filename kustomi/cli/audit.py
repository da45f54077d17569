"""kustomi audit"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ..names import DEFAULT_AUDIT_PARALLEL, MAX_PARALLEL
from . import common
from .frame import run, settings

if TYPE_CHECKING:
    from ..model import Report
    from ..output import Reporter

NAME = "audit"
EPILOG = """Examples:

  kustomi audit                       # every function app and slot of the subscription

  kustomi audit -g rg-legacy -g rg-demo --app func-orders --project ./src/Orders

  kustomi audit --emit-setup kustomi.toml && kustomi --yes setup --force

Read-only. For each app setting that holds a Kusto connection string: whether it holds a
secret (which kind; never its value), the identity the binding would sign in as, whether it
is on the app, and whether it holds the role the binding needs. Exit 0 when all is clean, 6
while any finding stands; each finding's fix is a kustomi command. --emit-setup writes the
kustomi.toml whose [setup] moves every app found to a managed identity (one per resource
group, or --identity), which `kustomi setup --force` applies.
"""


def command(
    ctx: typer.Context,
    resource_groups: Annotated[
        list[str] | None,
        typer.Option(
            "-g",
            "--resource-group",
            help="Audit this resource group only; repeat it for several (default: the whole "
            "subscription).",
        ),
    ] = None,
    apps: Annotated[
        list[str] | None,
        typer.Option("--app", help="Audit this function app only (and its slots); repeatable."),
    ] = None,
    project: Annotated[
        str | None,
        typer.Option(
            "--project",
            help="The function project's root: its bindings tell the settings they name, the "
            "identity and the direction (input or output).",
        ),
    ] = None,
    emit_setup: Annotated[
        str | None,
        typer.Option(
            "--emit-setup",
            help="Write a kustomi.toml whose [setup] moves every app found to a managed "
            "identity (`kustomi setup --force` applies it).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the --emit-setup file if it exists.")
    ] = False,
    identity: Annotated[
        str | None,
        typer.Option(
            "--identity",
            help="--emit-setup: the one identity to move every app to (default: one per "
            "resource group, id-kusto-<rg>).",
        ),
    ] = None,
    identity_resource_group: common.IdentityRg = None,
    parallel: Annotated[
        int, typer.Option("--parallel", help=f"How many apps to read at a time (1-{MAX_PARALLEL}).")
    ] = DEFAULT_AUDIT_PARALLEL,
) -> None:
    """Find every function app's Kusto connection: secrets, identities, roles."""
    s = settings(ctx)

    def core(reporter: Reporter) -> Report:
        from pathlib import Path

        from .. import config
        from ..errors import UsageError
        from ..steps import audit as step

        if not 1 <= parallel <= MAX_PARALLEL:
            raise UsageError(
                f"--parallel must be 1 to {MAX_PARALLEL}, not {parallel}.",
                hint=f"The default is {DEFAULT_AUDIT_PARALLEL}.",
            )
        rgs = tuple(dict.fromkeys(config.resource_group(rg) for rg in resource_groups or []))
        names = tuple(dict.fromkeys(config.app_name(a) for a in apps or []))
        root = None
        if project is not None:
            root = Path(project)
            if not root.is_dir():
                raise UsageError(
                    f"--project {project!r} is not a directory.",
                    hint="Pass the function project's root directory.",
                )
        # A kustomi.toml's shared `identity` is the project's (setup's), not a migration
        # target: only a typed --identity chooses one.
        ident = identity if common.typed(ctx, "identity") else None
        ident_rg = identity_resource_group if common.typed(ctx, "identity_resource_group") else None
        if ident_rg and not ident:
            raise UsageError(
                "--identity-resource-group is given without --identity.",
                hint="Pass --identity NAME too, or leave both out (one identity per "
                "resource group).",
            )
        if ident and not emit_setup:
            raise UsageError(
                "--identity is given without --emit-setup.",
                hint="--identity names the identity the emitted [setup] moves the apps to.",
            )
        target = step.setup_path(emit_setup, force) if emit_setup else None
        req = step.AuditRequest(
            resource_groups=rgs,
            apps=names,
            project=root,
            parallel=parallel,
            identity=step.check_identity_name(ident) if ident else None,
            identity_resource_group=config.resource_group(ident_rg) if ident_rg else None,
        )
        azure = common.azure(ctx, s.subscription, reporter, connections=parallel + 2)
        report = step.run(azure, req, reporter.progress)
        if target is not None:
            line = step.command_line(req, emit_setup or "", force)
            moves = len(report.data.get("migrations", []))
            if s.dry_run:
                report.notes.append(f"--dry-run: {target} was not written ({moves} app(s))")
            else:
                step.write_setup(target, step.setup_file(report, line), force)
                report.notes.append(step.next_step(target, moves))
        return report

    run(ctx, core)

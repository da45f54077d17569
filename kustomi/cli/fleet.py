"""What setup and revoke share: their options, the spec they build from flags or the
`[setup]` table, and the plan -> confirm -> apply flow."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from ..names import DEFAULT_PARALLEL, MAX_PARALLEL, ROLE_HELP, complete_role
from . import common
from .frame import Settings, settings

if TYPE_CHECKING:
    from ..api import Kustomi
    from ..model import Report
    from ..output import Reporter
    from ..spec import SetupSpec
    from ..steps.fleet import Plan

Cluster = Annotated[
    str | None,
    typer.Option(
        "--cluster",
        help="Kusto cluster of the grant (and of the apps' connection setting): a name (in -g "
        "or --cluster-resource-group) or its URI. Or [[setup.grants]] in kustomi.toml.",
    ),
]
Database = Annotated[
    str | None,
    typer.Option(
        "--database",
        help="Kusto database name: of the grant, and of the apps' connection setting (a "
        "cluster-wide role holds on every database; the setting still names one).",
    ),
]
Table = Annotated[
    str | None,
    typer.Option(
        "--table",
        help="A table role (ingestor, admin) on this table of --database alone, through "
        "`.add table` (an output binding writes to one table).",
    ),
]
Role = Annotated[str | None, typer.Option("--role", help=ROLE_HELP, autocompletion=complete_role)]
Apps = Annotated[
    list[str] | None,
    typer.Option(
        "--app",
        help="Function app name (in -g); repeat it for a fleet. Or [[setup.apps]] in kustomi.toml.",
    ),
]
Slot = Annotated[
    str | None, typer.Option("--slot", help="Deployment slot of every --app (default: production).")
]
Setting = Annotated[
    str,
    typer.Option("--setting", help="App setting name the binding's Connection names."),
]
Via = Annotated[
    Literal["arm", "kql"],
    typer.Option(
        "--via",
        help="arm: a principal assignment (needs Contributor on the cluster); kql: "
        "`.add database` (needs Database Admin). A --table role is always kql.",
    ),
]
Parallel = Annotated[
    int,
    typer.Option(
        "--parallel",
        help=f"How many apps to work on at a time (1-{MAX_PARALLEL}).",
    ),
]
EntraTimeout = Annotated[
    float,
    typer.Option(
        "--entra-timeout",
        help="Seconds to keep retrying while Entra does not know a new identity yet.",
    ),
]


def build(ctx: typer.Context) -> SetupSpec:
    """The spec from the command's options (setup and revoke share them) and kustomi.toml's
    [setup] table, through the one resolver the Python API uses too (spec.resolve)."""
    from ..errors import UsageError
    from ..spec import FLAGS, flag_values, resolve

    p = ctx.params
    parallel = p["parallel"]
    if not 1 <= parallel <= MAX_PARALLEL:
        where = "" if common.typed(ctx, "parallel") else " (parallel in kustomi.toml)"
        raise UsageError(
            f"--parallel must be 1 to {MAX_PARALLEL}, not {parallel}{where}.",
            hint=f"The default is {DEFAULT_PARALLEL}.",
        )
    values = flag_values(**{name: p[name] for name in FLAGS if name in p})
    typed = {name for name in values if common.typed(ctx, name)}
    return resolve(values, typed, settings(ctx).setup_table, common.cloud())


def applied(
    ctx: typer.Context,
    reporter: Reporter,
    make_plan: Callable[[Kustomi], Plan],
    spec: SetupSpec,
    parallel: int,
    after: Callable[[Kustomi, Report], None] | None = None,
) -> Report:
    """Plan (reads only), show the plan, confirm, apply: the Python API's plan and apply,
    with the prompt between them. With no terminal to confirm on and no --yes, refuse before
    any request."""
    from ..errors import UsageError

    s = settings(ctx)
    name = ctx.command.name or "setup"
    k = common.session(ctx, reporter, parallel)
    if not s.dry_run and not s.yes and not _terminal():
        raise UsageError(
            f"{name} asks for confirmation before it writes, and there is no terminal to "
            "ask on; nothing was sent.",
            hint="Add --yes (or set KUSTOMI_YES=1) to apply without asking, or --dry-run "
            "to see the plan.",
        )
    plan = make_plan(k)
    if s.dry_run:
        return plan.report(dry_run=True)
    if plan.pending:
        # The whole plan before any write, with or without --yes (-q: not shown).
        if s.verbosity >= 0:
            _show(plan.report(dry_run=True), s)
        if not s.yes:
            _confirm(name, plan)
        from ..output import AppBoard

        with AppBoard(
            reporter, [a.label for a in plan.apps if a.pending and not a.blocked]
        ) as board:
            report = k.apply(plan, check=False, on_app=board.update)
    else:
        report = plan.report(dry_run=False)
    if after is not None:  # on every run, converged or not: a CI job's check
        after(k, report)
    return report


def _terminal() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def _show(report: Report, s: Settings) -> None:
    from ..output import render

    render(report, "table", sys.stderr, title="the plan: nothing is changed yet")


def _confirm(name: str, plan: Plan) -> None:
    from ..errors import Declined

    apps = len(plan.apps)
    question = f"Apply these {plan.pending} change(s)" + (f" to {apps} app(s)" if apps else "")
    sys.stderr.write(question + "? [y/N]: ")
    sys.stderr.flush()
    answer = sys.stdin.readline()  # "" at the end of input (Ctrl-D): a no
    ok = answer.strip().lower() in ("y", "yes")
    if not ok:
        raise Declined(
            f"{name} was not confirmed: nothing was changed.",
            hint="Rerun and answer y, or add --yes to apply without asking.",
        )

"""kustomi setup"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ..names import DEFAULT_PARALLEL, DEFAULT_SETTING
from . import common, fleet
from .frame import run

if TYPE_CHECKING:
    from ..api import Kustomi
    from ..model import Report
    from ..output import Reporter
    from ..spec import SetupSpec

NAME = "setup"
EPILOG = (
    "Examples:\n\n"
    "  kustomi setup --identity id-legacy -g rg-legacy --cluster adxdemo "
    "--cluster-resource-group rg-data --database Orders --role viewer --app func-legacy "
    "--app func-reports\n\n"
    "  kustomi setup --yes        # everything from the [setup] table of ./kustomi.toml\n\n"
    "  kustomi setup --identity system -g rg-demo --cluster adxdemo "
    "--cluster-resource-group rg-data --database Orders --role viewer --app func-orders\n\n"
    "  kustomi setup --identity id-orders -g rg-demo --cluster adxdemo "
    "--cluster-resource-group rg-data --database Orders --table Events --role ingestor "
    "--app func-orders\n\n"
    "Reads everything first, shows the plan, asks before it writes (a no changes nothing and "
    "exits 2; --yes: do not ask; with no terminal, --yes is required). Applies the identity, "
    "the grants, then each app's attach "
    "and connection setting, --parallel apps at a time; an app that fails does not stop the "
    "others (exit 5 names it; a rerun finishes it). --check: exit 6 while anything would "
    "change. --identity system: each app's own system-assigned identity is enabled (every "
    "user-assigned one kept) and gets the role; none is created."
)


def command(
    ctx: typer.Context,
    identity: common.Identity,
    resource_group: common.ResourceGroup = None,
    identity_resource_group: common.IdentityRg = None,
    cluster: fleet.Cluster = None,
    cluster_resource_group: common.ClusterRg = None,
    database: fleet.Database = None,
    table: fleet.Table = None,
    role: fleet.Role = None,
    apps: fleet.Apps = None,
    slot: fleet.Slot = None,
    setting: fleet.Setting = DEFAULT_SETTING,
    via: fleet.Via = "arm",
    location: Annotated[
        str | None,
        typer.Option("--location", "-l", help="Region of a new identity (default: its group's)."),
    ] = None,
    note: Annotated[str, typer.Option("--note", help="Note stored with a KQL grant.")] = "",
    entra_timeout: fleet.EntraTimeout = 180.0,
    parallel: fleet.Parallel = DEFAULT_PARALLEL,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace a connection setting that holds a secret."),
    ] = False,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="End with verify for each app (as the identity where a managed-identity "
            "endpoint is present, else from the control plane).",
        ),
    ] = False,
) -> None:
    """Do the whole checklist (identity, grants, attach, connection) for one app or a fleet."""

    def core(reporter: Reporter) -> Report:
        spec = fleet.build(ctx)
        return fleet.applied(
            ctx,
            reporter,
            lambda k: k.plan(spec, force),
            spec,
            parallel,
            after=(lambda k, report: _verify(k, spec, report)) if verify else None,
        )

    run(ctx, core)


def _verify(k: Kustomi, spec: SetupSpec, report: Report) -> None:
    from dataclasses import replace

    # The apps that did not finish are not verified: their error says what is missing.
    failed = {e.app for e in report.errors}
    spec = replace(spec, apps=tuple(a for a in spec.apps if a.label not in failed))
    from ..steps.verify import choose_mode

    # A role just granted can take a while to reach the cluster: as the identity, wait for it,
    # saying so (the control plane shows a grant at once: nothing to wait for there).
    inside = choose_mode("auto", k.env.values)[0] == "identity"
    checked = k.verify(spec, wait=60.0 if inside else 0.0)
    report.findings += checked.findings
    report.notes += [n for n in checked.notes if n not in report.notes]

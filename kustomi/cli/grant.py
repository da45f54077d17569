"""kustomi grant"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

import typer

from . import common
from .frame import run, settings

if TYPE_CHECKING:
    from ..model import Report
    from ..output import Reporter

NAME = "grant"
EPILOG = (
    "Examples:\n\n"
    "  kustomi grant --role viewer --identity id-orders -g rg-demo --cluster adxdemo "
    "--cluster-resource-group rg-data --database Orders\n\n"
    "  kustomi grant --role ingestor --identity id-orders -g rg-demo --cluster "
    "https://adxdemo.westeurope.kusto.windows.net --database Orders --via kql\n\n"
    "An input binding needs viewer (or user); an output binding needs ingestor."
)


def command(
    ctx: typer.Context,
    role: common.Role,
    identity: common.Identity,
    cluster: common.Cluster,
    database: common.Database,
    resource_group: common.ResourceGroup = None,
    identity_resource_group: common.IdentityRg = None,
    cluster_resource_group: common.ClusterRg = None,
    via: Annotated[
        Literal["arm", "kql"],
        typer.Option(
            "--via",
            help="arm: a principal assignment (needs Contributor on the cluster); kql: "
            "`.add database` (needs Database Admin).",
        ),
    ] = "arm",
    note: Annotated[str, typer.Option("--note", help="Note stored with a KQL grant.")] = "",
    entra_timeout: Annotated[
        float,
        typer.Option(
            "--entra-timeout",
            help="Seconds to keep retrying while Entra does not know a new identity yet.",
        ),
    ] = 180.0,
) -> None:
    """Give the identity a database role on a Kusto database."""
    s = settings(ctx)

    def core(reporter: Reporter) -> Report:
        from .. import config

        k = common.session(ctx, reporter)
        if config.role(role) == "Admin":
            reporter.warn(
                "admin is far more than a binding needs (viewer for input, ingestor for output)."
            )
        return k.grant(
            identity=identity,
            cluster=cluster,
            database=database,
            role=role,
            resource_group=resource_group,
            identity_resource_group=common.identity_rg(ctx, identity, identity_resource_group),
            cluster_resource_group=common.cluster_rg(ctx, cluster, cluster_resource_group),
            via=via,
            note=common.fitting(ctx, "note", note, via == "kql") or "",
            entra_timeout=entra_timeout,
            dry_run=s.dry_run,
        )

    run(ctx, core)

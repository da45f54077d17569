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
    "  kustomi grant --role ingestor --identity id-orders -g rg-demo --cluster adxdemo "
    "--cluster-resource-group rg-data --database Orders --table Events\n\n"
    "  kustomi grant --role alldatabasesviewer --identity id-orders -g rg-demo --cluster "
    "adxdemo --cluster-resource-group rg-data\n\n"
    "  kustomi grant --role viewer --identity system --app func-orders -g rg-demo --cluster "
    "adxdemo --cluster-resource-group rg-data --database Orders\n\n"
    "An input binding needs viewer (or user); an output binding needs ingestor, on its table "
    "alone with --table. A cluster-wide role (alldatabasesviewer, ...) takes no --database."
)


def command(
    ctx: typer.Context,
    role: common.Role,
    identity: common.Identity,
    cluster: common.Cluster,
    database: Annotated[
        str | None,
        typer.Option("--database", help="Kusto database name (none for a cluster-wide role)."),
    ] = None,
    table: Annotated[
        str | None,
        typer.Option(
            "--table",
            help="A table role (ingestor, admin) on this table of --database alone, through "
            "`.add table` (Kusto has no ARM resource for table roles).",
        ),
    ] = None,
    resource_group: common.ResourceGroup = None,
    app_name: Annotated[
        str | None,
        typer.Option(
            "--app",
            help="With --identity system: the function app (in -g) whose system-assigned "
            "identity gets the role.",
        ),
    ] = None,
    slot: common.Slot = None,
    identity_resource_group: common.IdentityRg = None,
    cluster_resource_group: common.ClusterRg = None,
    via: Annotated[
        Literal["arm", "kql"] | None,
        typer.Option(
            "--via",
            help="arm: a principal assignment (needs Contributor on the cluster; the default); "
            "kql: `.add database` (needs Database Admin; the only way for a --table role).",
        ),
    ] = None,
    note: Annotated[str, typer.Option("--note", help="Note stored with a KQL grant.")] = "",
    entra_timeout: Annotated[
        float,
        typer.Option(
            "--entra-timeout",
            help="Seconds to keep retrying while Entra does not know a new identity yet.",
        ),
    ] = 180.0,
) -> None:
    """Give the identity a Kusto role: on a database, on one table, or cluster-wide."""
    s = settings(ctx)

    def core(reporter: Reporter) -> Report:
        from .. import config
        from ..rules import CLUSTER_ADMIN, is_cluster_role

        k = common.session(ctx, reporter)
        arm_role = config.role(role)
        if arm_role in ("Admin", CLUSTER_ADMIN):
            reporter.warn(
                f"{role} is far more than a binding needs (viewer for input, ingestor for output)."
            )
        # kustomi.toml's database applies to the commands it fits: not beside a cluster-wide
        # role given here.
        cluster_wide = is_cluster_role(arm_role)
        db = common.fitting(ctx, "database", database, not cluster_wide)
        how = common.fitting(ctx, "via", via, not (cluster_wide or table))
        return k.grant(
            identity=identity,
            cluster=cluster,
            database=db,
            table=table,
            role=role,
            resource_group=resource_group,
            identity_resource_group=common.identity_rg(ctx, identity, identity_resource_group),
            cluster_resource_group=common.cluster_rg(ctx, cluster, cluster_resource_group),
            via=how,
            note=common.fitting(ctx, "note", note, how == "kql" or bool(table)) or "",
            entra_timeout=entra_timeout,
            app=common.fitting(ctx, "app_name", app_name, config.is_system(identity)),
            slot=common.fitting(ctx, "slot", slot, config.is_system(identity)),
            dry_run=s.dry_run,
        )

    run(ctx, core)

"""kustomi set-connection"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ..names import DEFAULT_SETTING
from . import common
from .frame import run, settings

if TYPE_CHECKING:
    from ..model import Report
    from ..output import Reporter

NAME = "set-connection"
EPILOG = (
    "Example:\n\n  kustomi set-connection --app func-orders -g rg-demo --cluster "
    "adxdemo --cluster-resource-group rg-data --database Orders\n\n"
    'Writes KustoConnectionStringManagedIdentity = "Data Source=<cluster uri>;'
    'Database=<db>;" and keeps every other setting.'
)


def command(
    ctx: typer.Context,
    app_name: common.App,
    cluster: common.Cluster,
    database: common.Database,
    resource_group: common.ResourceGroup = None,
    setting: Annotated[
        str, typer.Option("--setting", help="App setting name the binding's Connection names.")
    ] = DEFAULT_SETTING,
    slot: common.Slot = None,
    cluster_resource_group: common.ClusterRg = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing value that holds a secret.")
    ] = False,
) -> None:
    """Set the app setting the Kusto binding reads; the other settings stay as they are."""
    s = settings(ctx)

    def core(reporter: Reporter) -> Report:
        from .. import config

        k = common.session(ctx, reporter)
        return k.set_connection(
            app=app_name,
            resource_group=config.resource_group(resource_group),
            cluster=cluster,
            database=database,
            setting=setting,
            slot=slot,
            cluster_resource_group=common.cluster_rg(ctx, cluster, cluster_resource_group),
            force=force,
            dry_run=s.dry_run,
        )

    run(ctx, core)

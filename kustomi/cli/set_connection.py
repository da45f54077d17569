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
        from ..steps import set_connection as step

        rg, name, slot_name = common.app_target(resource_group, app_name, slot)
        ref = common.cluster(ctx, cluster, cluster_resource_group, rg)
        return step.run(
            common.azure(ctx, s.subscription, reporter),
            rg,
            name,
            slot_name,
            ref,
            config.database(database),
            config.setting_name(setting),
            force,
            s.dry_run,
        )

    run(ctx, core)

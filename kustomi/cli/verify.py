"""kustomi verify"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

import typer

from ..names import DEFAULT_SETTING, complete_role
from . import common
from .frame import run

if TYPE_CHECKING:
    from ..model import Report
    from ..output import Reporter

NAME = "verify"
EPILOG = (
    "Examples:\n\n"
    "  kustomi verify --identity <clientId> --cluster "
    "https://adxdemo.westeurope.kusto.windows.net --database Orders --role viewer   "
    "# inside the function app\n\n"
    "  kustomi verify --identity id-orders -g rg-demo --cluster adxdemo "
    "--cluster-resource-group rg-data --database Orders --app func-orders   # from a laptop\n\n"
    "  kustomi verify --identity system --app func-orders -g rg-demo --cluster adxdemo "
    "--cluster-resource-group rg-data --database Orders --table Events   "
    "# the app's own identity, an output binding's table\n\n"
    "Exit 0 when every check is ok, 6 otherwise."
)


def command(
    ctx: typer.Context,
    identity: Annotated[
        str,
        typer.Option(
            "--identity",
            help="The identity: its client id, a name (in -g or "
            "--identity-resource-group) or a resource id.",
        ),
    ],
    cluster: common.Cluster,
    database: common.Database,
    role: Annotated[
        str | None,
        typer.Option(
            "--role",
            help="The role the binding needs: viewer (input) or ingestor (output).",
            autocompletion=complete_role,
        ),
    ] = None,
    table: Annotated[
        str | None,
        typer.Option(
            "--table",
            help="An output binding's table: a table role there (ingestor) counts too; "
            "--role defaults to ingestor.",
        ),
    ] = None,
    resource_group: common.ResourceGroup = None,
    identity_resource_group: common.IdentityRg = None,
    cluster_resource_group: common.ClusterRg = None,
    app_name: Annotated[
        str | None,
        typer.Option(
            "--app", help="Also check the function app: identity attached, connection setting."
        ),
    ] = None,
    slot: common.Slot = None,
    setting: Annotated[
        str, typer.Option("--setting", help="The binding's connection setting.")
    ] = DEFAULT_SETTING,
    mode: Annotated[
        Literal["auto", "identity", "control-plane"],
        typer.Option(
            "--mode",
            help="identity: a real test as the identity (needs a managed-identity "
            "endpoint); control-plane: an authorization check as you; auto: identity "
            "where an endpoint is present.",
        ),
    ] = "auto",
    wait: Annotated[
        float,
        typer.Option(
            "--wait", help="Seconds to keep retrying while a new grant propagates to the cluster."
        ),
    ] = 0.0,
) -> None:
    """Prove that the identity can reach the database, or say exactly why not."""

    def core(reporter: Reporter) -> Report:
        from .. import config

        k = common.session(ctx, reporter)
        config.seconds(wait, "--wait")
        return k.verify(
            identity=identity,
            cluster=cluster,
            database=database,
            role=role,
            table=table,
            resource_group=resource_group,
            identity_resource_group=common.identity_rg(ctx, identity, identity_resource_group),
            cluster_resource_group=common.cluster_rg(ctx, cluster, cluster_resource_group),
            app=app_name,
            slot=common.fitting(ctx, "slot", slot, app_name is not None),
            setting=setting,
            mode=mode,
            wait=wait,
        )

    run(ctx, core)

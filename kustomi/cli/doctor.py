"""kustomi doctor"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from . import common
from .frame import run

if TYPE_CHECKING:
    from ..model import Report
    from ..output import Reporter

# \b keeps click from re-wrapping a paragraph: the runs are shown as a terminal shows them.
EPILOG = """Examples:

  kustomi doctor ./src/OrdersFunctions

  kustomi doctor --project . --app func-orders -g rg-demo

A failing run (exit 6):

\b
  $ kustomi doctor --project ./orders
  check     status            detail
  property  unknown_property  GetOrders.cs:13: GetOrders (input, csharp-isolated):
                              managedServiceIdentiy is not a property of the Kusto binding, ...
  identity  identity_missing  GetOrders.cs:10: GetOrders (input, csharp-isolated) names no
                              ManagedServiceIdentity: ...
  fix property: rename managedServiceIdentiy to the property it resembles:
  ManagedServiceIdentity = "6f4c319d-7b85-4743-9f50-ae5a69cd79d6"

A passing one (exit 0):

\b
  $ kustomi doctor --project ./orders --app func-orders -g rg-demo
  check     status  detail
  binding   ok      GetOrders.cs:10: GetOrders (input, csharp-isolated): Connection ...
  setting   ok      KustoConnectionStringManagedIdentity: Data Source https://adxdemo..., no secret
  attached  ok      id-orders is on func-orders
  role      ok      id-orders holds Viewer on adxdemo/Orders (an input binding)

In CI, for code scanning and editors (SARIF 2.1.0; README, "doctor in CI"):

  kustomi -o sarif doctor --project . > kustomi-doctor.sarif

Read-only. Exit 0 when every check passes, 6 when one fails; the statuses are listed in the
README ("doctor").
"""


NAME = "doctor"


def command(
    ctx: typer.Context,
    path: Annotated[
        str | None,
        typer.Argument(
            metavar="PATH",
            help="The function project's root directory, as --project gives it.",
            show_default=False,
        ),
    ] = None,
    project: Annotated[
        str, typer.Option("--project", help="The function project's root directory.")
    ] = ".",
    app_name: Annotated[
        str | None,
        typer.Option("--app", help="Also check the deployed app: settings, identity, roles."),
    ] = None,
    resource_group: common.ResourceGroup = None,
    slot: common.Slot = None,
    cluster: Annotated[
        str | None,
        typer.Option(
            "--cluster",
            help="The cluster the settings must point at (default: each setting's Data Source).",
        ),
    ] = None,
    cluster_resource_group: common.ClusterRg = None,
) -> None:
    """Find every Kusto binding in a function project and check it, and the deployed app."""

    def core(reporter: Reporter) -> Report:
        from ..errors import UsageError

        root = project
        if path is not None:
            if common.typed(ctx, "project") and path != project:
                raise UsageError(
                    f"Two projects: PATH {path!r} and --project {project!r}.",
                    hint="Give the project's directory once, as PATH or with --project.",
                )
            root = path
        k = common.session(ctx, reporter)
        deployed = app_name is not None
        return k.doctor(
            root,
            app=app_name,
            resource_group=resource_group,
            slot=common.fitting(ctx, "slot", slot, deployed),
            cluster=common.fitting(ctx, "cluster", cluster, deployed),
            cluster_resource_group=common.fitting(
                ctx, "cluster_resource_group", cluster_resource_group, deployed
            ),
        )

    run(ctx, core)

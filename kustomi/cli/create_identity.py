"""kustomi create-identity"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from . import common
from .frame import run, settings

if TYPE_CHECKING:
    from ..model import Report
    from ..output import Reporter

NAME = "create-identity"
EPILOG = (
    "Example:\n\n  kustomi create-identity -g rg-demo -n id-orders\n\n"
    "Prints the clientId, principalId (object id), tenant and the Kusto principal "
    "(aadapp=<clientId>;<tenantId>). Running it again reuses the identity."
)


def command(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("-n", "--name", help="Identity name.")],
    resource_group: common.ResourceGroup = None,
    location: Annotated[
        str | None,
        typer.Option("--location", "-l", help="Azure region. Default: the resource group's."),
    ] = None,
) -> None:
    """Create a user-assigned managed identity, or reuse the one of that name."""
    s = settings(ctx)

    def core(reporter: Reporter) -> Report:
        from .. import config

        k = common.session(ctx, reporter)
        rg = config.resource_group(resource_group)  # "no resource group" said as the CLI says it
        return k.create_identity(name, rg, location=location, dry_run=s.dry_run)

    run(ctx, core)

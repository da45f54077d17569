"""kustomi attach"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from . import common
from .frame import run, settings

if TYPE_CHECKING:
    from ..model import Report
    from ..output import Reporter

NAME = "attach"
EPILOG = (
    "Examples:\n\n  kustomi attach --app func-orders -g rg-demo --identity id-orders\n\n"
    "  kustomi attach --app func-orders -g rg-demo --identity system\n\n"
    "Keeps the system-assigned identity and every other user-assigned identity; --identity "
    "system enables the app's (or --slot's) own system-assigned identity, keeping every "
    "user-assigned one."
)


def command(
    ctx: typer.Context,
    app_name: common.App,
    identity: common.Identity,
    resource_group: common.ResourceGroup = None,
    slot: common.Slot = None,
    identity_resource_group: common.IdentityRg = None,
) -> None:
    """Attach the identity to the function app (or a slot), or enable its own (system)."""
    s = settings(ctx)

    def core(reporter: Reporter) -> Report:
        from .. import config

        k = common.session(ctx, reporter)
        return k.attach(
            identity=identity,
            app=app_name,
            resource_group=config.resource_group(resource_group),
            slot=slot,
            identity_resource_group=common.identity_rg(ctx, identity, identity_resource_group),
            dry_run=s.dry_run,
        )

    run(ctx, core)

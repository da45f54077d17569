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
    "Example:\n\n  kustomi attach --app func-orders -g rg-demo --identity id-orders\n\n"
    "Keeps the system-assigned identity and every other user-assigned identity."
)


def command(
    ctx: typer.Context,
    app_name: common.App,
    identity: common.Identity,
    resource_group: common.ResourceGroup = None,
    slot: common.Slot = None,
    identity_resource_group: common.IdentityRg = None,
) -> None:
    """Attach the user-assigned identity to the function app (or a slot)."""
    s = settings(ctx)

    def core(reporter: Reporter) -> Report:
        from ..steps import attach as step

        rg, name, slot_name = common.app_target(resource_group, app_name, slot)
        ref = common.identity(ctx, identity, identity_resource_group, rg)
        azure = common.azure(ctx, s.subscription, reporter, ref)
        return step.run(azure, rg, name, slot_name, ref, s.dry_run)

    run(ctx, core)

"""kustomi revoke"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ..names import DEFAULT_PARALLEL, DEFAULT_SETTING
from . import common, fleet
from .frame import run

if TYPE_CHECKING:
    from ..model import Report
    from ..output import Reporter

NAME = "revoke"
EPILOG = (
    "Examples:\n\n"
    "  kustomi revoke --identity id-orders -g rg-demo --cluster adxdemo "
    "--cluster-resource-group rg-data --database Orders --role viewer --app func-orders\n\n"
    "  kustomi revoke --yes --delete-identity   # what the [setup] table of ./kustomi.toml "
    "describes\n\n"
    "  kustomi revoke --identity system -g rg-demo --cluster adxdemo "
    "--cluster-resource-group rg-data --database Orders --role viewer --app func-orders "
    "--disable-system-identity\n\n"
    "Undoes setup in reverse order, each part only if present: the connection setting (a "
    "setting that points at another cluster is kept), the identity on each app (every other "
    "identity kept), the role; the identity itself only with --delete-identity, refused "
    "(exit 2) while an app or slot outside the plan still has it. With --identity system "
    "(each app's own identity), its roles and setting; the identity is disabled only with "
    "--disable-system-identity. Like setup, it shows the plan and asks before it writes (a no "
    "changes nothing and exits 2; --yes: do not ask)."
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
    parallel: fleet.Parallel = DEFAULT_PARALLEL,
    delete_identity: Annotated[
        bool,
        typer.Option(
            "--delete-identity",
            help="Delete the identity too (refused while an app outside the plan has it).",
        ),
    ] = False,
    disable_system_identity: Annotated[
        bool,
        typer.Option(
            "--disable-system-identity",
            help="With --identity system: disable each app's system-assigned identity too "
            "(every user-assigned identity kept).",
        ),
    ] = False,
) -> None:
    """Undo setup: the connection setting, the identity on each app, the role (and, if asked,
    the identity)."""

    def core(reporter: Reporter) -> Report:
        spec = fleet.build(ctx)
        return fleet.applied(
            ctx,
            reporter,
            lambda k: k.plan_revoke(spec, delete_identity, disable_system_identity),
            spec,
            parallel,
        )

    run(ctx, core)

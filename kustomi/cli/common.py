"""Options shared by the commands, and the Azure session they build after validation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from ..names import ROLE_HELP, complete_role

if TYPE_CHECKING:
    from ..api import Kustomi

T = TypeVar("T")

ResourceGroup = Annotated[
    str | None,
    typer.Option(
        "-g",
        "--resource-group",
        envvar="KUSTOMI_RESOURCE_GROUP",
        help="Resource group of the app, and of the identity and cluster when given by name.",
    ),
]
Identity = Annotated[
    str,
    typer.Option(
        "--identity",
        help="A user-assigned identity: a name (in -g or --identity-resource-group), "
        "a full resource id, or its client id (a GUID); or system: the app's (or slot's) own "
        "system-assigned identity, named by --app.",
    ),
]
IdentityRg = Annotated[
    str | None,
    typer.Option("--identity-resource-group", help="Resource group of the identity, when not -g."),
]
Cluster = Annotated[
    str,
    typer.Option(
        "--cluster",
        help="Kusto cluster: a name (in -g or --cluster-resource-group) or its URI, "
        "https://<name>.<region>.kusto.windows.net.",
    ),
]
ClusterRg = Annotated[
    str | None,
    typer.Option("--cluster-resource-group", help="Resource group of the cluster, when not -g."),
]
Database = Annotated[str, typer.Option("--database", help="Kusto database name.")]
App = Annotated[str, typer.Option("--app", help="Function app name.")]
Slot = Annotated[str | None, typer.Option("--slot", help="Deployment slot (default: production).")]
Role = Annotated[str, typer.Option("--role", help=ROLE_HELP, autocompletion=complete_role)]


def azure(
    ctx: typer.Context,
    subscription: str | None,
    reporter: Any = None,
    identity: Any = None,
    connections: int = 10,
) -> Any:
    """An Azure session for the environment's cloud; no request is sent until first use.
    The subscription is the one given, else that of `identity`'s resource id, which must not
    name another. With a reporter, SDK retries (throttling, 5xx, dropped connections) are
    said on stderr."""

    from ..azure.clients import Azure
    from ..cloud import from_environment
    from ..config import subscription as chosen

    env = environment()
    session = Azure(
        from_environment(),
        chosen(subscription, identity),
        env,
        progress=reporter.progress if reporter is not None else None,
        connections=connections,
    )
    ctx.call_on_close(session.close)  # its HTTP connections end with the command
    return session


def session(ctx: typer.Context, reporter: Any, parallel: int | None = None) -> Kustomi:
    """The command's kustomi.api session (a Kustomi): the environment checked first, the
    global --subscription, progress (and SDK retries) said on stderr through the reporter.
    No request is sent until first use; its connections end with the command."""
    from ..api import Kustomi
    from ..names import DEFAULT_PARALLEL
    from .frame import settings

    k = Kustomi(
        subscription=settings(ctx).subscription,
        progress=reporter.progress,
        parallel=parallel or DEFAULT_PARALLEL,
    )
    ctx.call_on_close(k.close)
    return k


def fitting(ctx: typer.Context, name: str, value: T, fits: bool) -> T | None:
    """An option's value, or None when it came from kustomi.toml and does not fit the
    command's other values (the file's keys apply to every command that has the option):
    --identity-resource-group beside an identity given by client id, say. A value given on
    the command line or by its environment variable is kept, and refused if it conflicts."""
    return value if fits or typed(ctx, name) else None


def identity_rg(ctx: typer.Context, identity: str, value: str | None) -> str | None:
    """--identity-resource-group, unless kustomi.toml gave it beside an identity given by
    client id or resource id (which say where the identity is)."""
    from ..config import identity_by_name

    return fitting(ctx, "identity_resource_group", value, identity_by_name(identity))


def cluster_rg(ctx: typer.Context, cluster: str, value: str | None) -> str | None:
    """--cluster-resource-group, unless kustomi.toml gave it beside a cluster URI."""
    from ..config import cluster_by_name

    return fitting(ctx, "cluster_resource_group", value, cluster_by_name(cluster))


def environment() -> Any:
    """The environment variables kustomi reads, checked before the first request (and before
    any other refusal, so that a bad value is the one said): a config.Environment."""
    import os

    from ..config import environment as check

    return check(os.environ)


def check_text(ctx: typer.Context) -> None:
    """No option value, whether typed, from the environment or from kustomi.toml, holds a
    control character (a newline would otherwise reach a resource name or a KQL command)."""
    from ..config import text

    for c in (ctx.find_root(), ctx):
        for param in c.command.params:
            value = c.params.get(param.name or "")
            for one in value if isinstance(value, (list, tuple)) else [value]:
                if isinstance(one, str):  # a repeatable option (--app) has each value checked
                    text(one, "/".join(param.opts))
                    if not one.strip() and _given(c, param):
                        raise _empty(c, param)


def _empty(ctx: Any, param: Any) -> Exception:
    """An empty value is refused, never read as "not given": `--slot ""` from a script whose
    variable is unset would otherwise mean production."""
    from ..errors import UsageError

    if getattr(param, "param_type_name", "") == "argument":
        name = param.metavar or str(param.name).upper()
        return UsageError(f"{name} is empty.", hint=f"Give {name} a value, or leave it out.")
    opt = max(param.opts, key=len)
    source = ctx.get_parameter_source(param.name or "")
    where = {"ENVIRONMENT": f"{param.envvar}", "DEFAULT_MAP": "kustomi.toml"}
    origin = where.get(source.name if source else "", "")
    what = opt.lstrip("-").replace("-", " ")
    return UsageError(
        f"The {what} ({opt}{', from ' + origin if origin else ''}) is empty.",
        hint=f"Give {opt} a value, or leave the option out.",
    )


def _given(ctx: Any, param: Any) -> bool:
    source = ctx.get_parameter_source(param.name or "")
    return source is not None and source.name != "DEFAULT"


def typed(ctx: typer.Context, name: str) -> bool:
    """Whether an option was given on the command line or by its environment variable (not
    by kustomi.toml, whose shared keys apply to every command that has the option)."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT")


def identity(ctx: typer.Context, value: str, own_rg: str | None, rg: str | None) -> Any:
    """The validated --identity, in --identity-resource-group (`own_rg`) or -g (`rg`)."""
    from ..config import identity_ref

    return identity_ref(value, own_rg, rg, typed(ctx, "identity_resource_group"))


def cluster(ctx: typer.Context, value: str, own_rg: str | None, rg: str | None) -> Any:
    """The validated --cluster, in --cluster-resource-group (`own_rg`) or -g (`rg`)."""
    from ..config import cluster_ref

    return cluster_ref(value, own_rg, rg, cloud(), typed(ctx, "cluster_resource_group"))


def cloud() -> Any:
    from ..cloud import from_environment

    return from_environment()


def app_target(
    resource_group: str | None, app: str, slot: str | None
) -> tuple[str, str, str | None]:
    """Validated resource group, app name and slot name."""
    from .. import config

    return (
        config.resource_group(resource_group),
        config.app_name(app),
        config.app_name(slot, "slot") if slot else None,
    )

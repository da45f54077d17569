"""kustomi snippet"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ..names import DEFAULT_SETTING
from . import common
from .frame import run, settings

if TYPE_CHECKING:
    from ..model import Report
    from ..output import Reporter


class _Printed(BaseException):
    """The snippet went to stdout as plain text: nothing is left for the report renderer.
    A BaseException, so that `run` lets it through rather than report it as an error."""


NAME = "snippet"
EPILOG = (
    "Examples:\n\n"
    "  kustomi snippet --lang csharp-isolated --direction input --client-id "
    "6f4c319d-7b85-4743-9f50-ae5a69cd79d6 --database Orders > KustoInput.cs\n\n"
    "  kustomi snippet --lang python --direction output --identity id-orders -g rg-demo "
    "--database Orders --table Events\n\n"
    "Languages: csharp, csharp-isolated, java, python (v2), python-v1, javascript, "
    "typescript, powershell (python-v1 and powershell print a function.json). With -o json, "
    "the code is data.code."
)


def command(
    ctx: typer.Context,
    lang: Annotated[str, typer.Option("--lang", help="The language and programming model.")],
    direction: Annotated[
        str, typer.Option("--direction", help="input (the binding queries) or output (ingests).")
    ],
    database: common.Database,
    identity: Annotated[
        str | None,
        typer.Option(
            "--identity",
            help="The identity: its client id, or a name (in -g or --identity-resource-group) "
            "or resource id, looked up in Azure.",
        ),
    ] = None,
    client_id: Annotated[
        str | None, typer.Option("--client-id", help="The identity's client id (no lookup).")
    ] = None,
    table: Annotated[
        str | None, typer.Option("--table", help="The table an output binding ingests into.")
    ] = None,
    setting: Annotated[
        str, typer.Option("--setting", help="The app setting the binding's Connection names.")
    ] = DEFAULT_SETTING,
    resource_group: common.ResourceGroup = None,
    identity_resource_group: common.IdentityRg = None,
) -> None:
    """Print a Kusto binding for a language, with the identity's client id, ready to paste."""
    s = settings(ctx)

    def core(reporter: Reporter) -> Report:
        k = common.session(ctx, reporter)
        report = k.snippet(
            lang=lang,
            direction=direction,
            database=database,
            client_id=client_id,
            identity=common.fitting(ctx, "identity", identity, client_id is None),
            table=table,
            setting=setting,
            resource_group=resource_group,
            identity_resource_group=common.identity_rg(
                ctx, identity or "", identity_resource_group
            ),
        )
        if s.format == "table":
            typer.echo(report.data["code"], nl=False)
            raise _Printed
        return report

    try:
        run(ctx, core)
    except _Printed:
        return

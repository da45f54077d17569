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
        from .. import config
        from ..errors import UsageError
        from ..steps import snippet as step

        lang_ = step.language(lang)
        dir_ = step.direction(direction)
        tbl = step.table(table, dir_)
        db = config.database(database)
        name = config.setting_name(setting)
        if client_id and identity and common.typed(ctx, "identity"):
            raise config.conflict(
                "--client-id",
                "--identity",
                hint="Pass one of them: --client-id needs no lookup, --identity is looked up.",
            )
        if client_id:
            cid = config.guid(client_id, "The client id")
        elif identity:
            ref = config.IdentityRef.parse(identity, identity_resource_group or resource_group)
            if ref.client_id:
                cid = ref.client_id
            else:
                from ..azure import identities

                cid = identities.get(common.azure(ctx, s.subscription, reporter), ref).client_id
        else:
            raise UsageError(
                "No identity given.",
                hint="Pass --client-id <GUID>, or --identity NAME -g RG (or set identity "
                "in kustomi.toml).",
            )
        report = step.build(lang_, dir_, db, name, cid, tbl)
        if s.format == "table":
            typer.echo(report.data["code"], nl=False)
            raise _Printed
        return report

    try:
        run(ctx, core)
    except _Printed:
        return

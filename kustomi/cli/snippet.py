"""kustomi snippet"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ..names import DEFAULT_SETTING, complete_direction, complete_lang
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
    "--database Orders --table Events --write --project ./orders\n\n"
    "  kustomi snippet --lang javascript --direction input --identity system --database Orders"
    "\n\n"
    "Languages: csharp, csharp-isolated, java, python (v2), python-v1, javascript, "
    "typescript, powershell (python-v1 and powershell print a function.json).\n\n"
    "stdout is the code alone, on a terminal or not (`> file` writes the code); only -o json "
    "(or KUSTOMI_OUTPUT=json) prints the JSON report instead, with the code in data.code and "
    "its place in the project in data.file (-o tsv and --query print that report their way, "
    "-o none nothing). --write puts it there (with the script of a "
    "function.json), merges into a Python v2 function_app.py, and refuses (exit 2) to replace "
    "any other file that differs."
)


def command(
    ctx: typer.Context,
    lang: Annotated[
        str,
        typer.Option(
            "--lang", help="The language and programming model.", autocompletion=complete_lang
        ),
    ],
    direction: Annotated[
        str,
        typer.Option(
            "--direction",
            help="input (the binding queries) or output (ingests).",
            autocompletion=complete_direction,
        ),
    ],
    database: common.Database,
    identity: Annotated[
        str | None,
        typer.Option(
            "--identity",
            help="The identity: its client id, or a name (in -g or --identity-resource-group) "
            "or resource id, looked up in Azure; or system (the app's own system-assigned "
            'identity: ManagedServiceIdentity = "system").',
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
    write: Annotated[
        bool,
        typer.Option("--write", help="Write the code at its place in the project (data.file)."),
    ] = False,
    project: Annotated[
        str | None,
        typer.Option("--project", help="With --write: the function project's root (default .)."),
    ] = None,
) -> None:
    """Print a Kusto binding for a language, with the identity's client id, ready to paste."""
    s = settings(ctx)
    # The code is the product: stdout takes the report only when -o json (tsv, none) or
    # --query asks for it, so neither a report nor an error report ends up in a file the code
    # is piped to.
    as_report = s.output in ("json", "tsv", "none") or s.query is not None
    s.output = s.output or "table"

    def core(reporter: Reporter) -> Report:
        from ..errors import UsageError

        if project is not None and not write and common.typed(ctx, "project"):
            raise UsageError(
                "--project is where --write writes; without --write nothing is written.",
                hint="Add --write, or drop --project to print the code.",
            )
        k = common.session(ctx, reporter)
        report = k.snippet(
            lang=lang,
            direction=direction,
            database=database,
            client_id=client_id,
            identity=common.fitting(ctx, "identity", identity, client_id is None),
            # kustomi.toml's table applies to output bindings; a typed one is refused.
            table=common.fitting(ctx, "table", table, direction.strip().lower() != "input"),
            setting=setting,
            resource_group=resource_group,
            identity_resource_group=common.identity_rg(
                ctx, identity or "", identity_resource_group
            ),
            project=(project or ".") if write else None,
            dry_run=s.dry_run,
        )
        if write:
            if not as_report:  # the table says what was written; the code is in the file
                del report.data["code"]
        elif not as_report:
            typer.echo(report.data["code"], nl=False)
            raise _Printed
        return report

    try:
        run(ctx, core)
    except _Printed:
        return

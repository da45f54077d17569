"""The root command: global options, the command tree, and `run`, the one place that turns a
Report or an error into output and an exit code. Nothing here imports the Azure SDKs."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import typer

from .. import __version__
from ..errors import ChecksFailed, KustomiError, translate
from ..model import Report
from .params import PlainFirstGroup

EPILOG = (
    "Defaults for command options: ./kustomi.toml, or the file KUSTOMI_CONFIG names.\n\n"
    "Exit codes: 0 ok, 1 internal error, 2 bad input (nothing sent), 3 not found, "
    "4 not signed in or not authorized, 5 Azure service error, "
    "6 checks failed (or changes pending under --check), 130 interrupted."
)

app = typer.Typer(
    name="kustomi",
    cls=PlainFirstGroup,
    help="Wire an Azure Functions app to Azure Data Explorer (Kusto) with a user-assigned "
    "managed identity, with no secrets, and prove that it works.",
    epilog=EPILOG,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,  # locals can hold tokens
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@dataclass
class Settings:
    output: str | None = None
    subscription: str | None = None
    dry_run: bool = False
    check: bool = False
    yes: bool = False
    verbosity: int = 0
    debug: bool = False

    @property
    def format(self) -> str:
        from kustomi.output import default_format

        return self.output or default_format(sys.stdout)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kustomi {__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    ctx: typer.Context,
    output: Annotated[
        str | None,
        typer.Option(
            "-o",
            "--output",
            envvar="KUSTOMI_OUTPUT",
            help="table or json. Default: table on a terminal, json otherwise.",
        ),
    ] = None,
    subscription: Annotated[
        str | None,
        typer.Option(
            "--subscription",
            envvar="AZURE_SUBSCRIPTION_ID",
            show_envvar=True,
            help="Subscription id.",
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", envvar="KUSTOMI_DRY_RUN", help="Show the plan; send no write."),
    ] = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            envvar="KUSTOMI_CHECK",
            help="Like --dry-run, and exit 6 when anything would change: for scripts and CI.",
        ),
    ] = False,
    yes: Annotated[
        bool,
        typer.Option("--yes", "-y", envvar="KUSTOMI_YES", help="Do not ask for confirmation."),
    ] = False,
    verbose: Annotated[
        int,
        typer.Option(
            "-v", "--verbose", count=True, envvar="KUSTOMI_VERBOSE", help="More detail on stderr."
        ),
    ] = 0,
    quiet: Annotated[
        bool, typer.Option("-q", "--quiet", envvar="KUSTOMI_QUIET", help="Only errors on stderr.")
    ] = False,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            envvar="KUSTOMI_DEBUG",
            help="Tracebacks and HTTP request lines on stderr (tokens and secrets never shown).",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    if output is not None and output not in ("table", "json"):
        raise typer.BadParameter("must be table or json", param_hint="-o/--output")
    if ctx.invoked_subcommand and not ctx.resilient_parsing:
        subscription = _project_file(ctx, subscription, verbose > 0 and not quiet)
    ctx.obj = Settings(
        output=output,
        subscription=subscription,
        dry_run=dry_run or check,
        check=check,
        yes=yes,
        verbosity=-1 if quiet else verbose,
        debug=debug,
    )


# Options a project file may not set: replacing a secret-bearing setting stays a choice per run.
NOT_IN_FILE = {"force", "help"}


def _project_file(ctx: typer.Context, subscription: str | None, verbose: bool) -> str | None:
    """Load kustomi.toml into the commands' default_map; return the subscription to use."""
    import os
    from pathlib import Path

    from ..project_file import find, load

    commands: dict[str, Any] = getattr(ctx.command, "commands", {})
    options = {
        name: {
            opt[2:]: str(param.name)
            for param in cmd.params
            for opt in param.opts
            if opt.startswith("--") and opt[2:] not in NOT_IN_FILE
        }
        for name, cmd in commands.items()
        if not hasattr(cmd, "commands")  # not a group such as `emulator`
    }
    if ctx.invoked_subcommand not in options:
        return subscription
    try:
        path = find(os.environ, Path.cwd())
        if path is None:
            return subscription
        defaults, root_values = load(path, options)
    except KustomiError as e:
        from kustomi.output import Reporter

        Reporter().error(e.message, e.hint)
        raise typer.Exit(e.exit_code) from None
    ctx.default_map = defaults
    if verbose:
        from kustomi.output import Reporter

        Reporter(1).info(f"defaults from {path}")
    return subscription or root_values.get("subscription")


def settings(ctx: typer.Context) -> Settings:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Settings) else Settings()


def run(ctx: typer.Context, fn: Callable[[Any], Report]) -> None:
    """Run a command's core, render its Report, and map any error to an exit code."""
    from kustomi.output import Reporter, render

    s = settings(ctx)
    reporter = Reporter(s.verbosity)
    if s.debug:
        from kustomi.logs import enable_debug_logging

        enable_debug_logging()
    try:
        report = fn(reporter)
    except KeyboardInterrupt:
        reporter.error("interrupted.")
        raise typer.Exit(130) from None
    except KustomiError as e:
        reporter.error(e.message, e.hint)
        if "not_done" in e.details:
            reporter.progress(
                "Done before the error: " + ("; ".join(e.details["done"]) or "nothing")
            )
            reporter.progress(
                "Not done: "
                + "; ".join(e.details["not_done"])
                + ". Rerunning the same command is safe: it resumes there."
            )
        raise typer.Exit(e.exit_code) from None
    except Exception as e:
        if type(e).__module__.startswith("azure"):
            err = translate(e)
            reporter.error(err.message, err.hint)
            raise typer.Exit(err.exit_code) from None
        if s.debug:
            import traceback

            from kustomi.logs import scrub

            reporter.error(scrub("".join(traceback.format_exception(e))))
        reporter.error(
            f"internal error: {type(e).__name__}: {e}",
            "This is a bug in kustomi; rerun with --debug and report it.",
        )
        raise typer.Exit(1) from None
    render(report, s.format)
    if report.findings and not report.ok:
        raise typer.Exit(ChecksFailed.exit_code)
    pending = [c for c in report.changes if c.kind != "none"]
    if s.check and pending:
        reporter.progress(
            f"check: {len(pending)} change(s) pending, nothing sent; "
            "run the same command without --check to apply them."
        )
        raise typer.Exit(ChecksFailed.exit_code)


def main() -> None:
    app(prog_name="kustomi")


# The commands register themselves on import, in checklist order (that is the order --help
# lists them in). They import only typer and kustomi's light modules.
for _module in (
    "create_identity",
    "grant",
    "attach",
    "set_connection",
    "verify",
    "doctor",
    "snippet",
):
    importlib.import_module(f"{__name__}.{_module}")

from . import emulator as _emulator  # noqa: E402

app.add_typer(_emulator.app, name="emulator")

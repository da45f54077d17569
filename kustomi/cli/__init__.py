"""The root command: global options and the command tree, registered here in checklist order
(the order --help lists them in). `frame.py` holds what every command shares: `run` and the one
error path. Nothing here imports the Azure SDKs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Literal

import typer

from .. import __version__
from ..errors import UsageError
from .frame import Settings, reported
from .params import ExamplesCommand, PlainFirstCommand, PlainFirstGroup

# The command tree, in checklist order (the order --help lists it in): each command's module
# (its function `command`, NAME and EPILOG; `emulator` is a group, its `app`) and the line
# `kustomi --help` lists it with, its docstring's first paragraph (tests/cli/test_docs.py
# checks that they agree). A module is imported, and its command built, only when that
# command runs or shows its help: `kustomi --help` builds none of them.
COMMAND_MODULES: dict[str, tuple[str, str]] = {
    "setup": (
        "setup",
        "Do the whole checklist (identity, grants, attach, connection) for one app or a fleet.",
    ),
    "create-identity": (
        "create_identity",
        "Create a user-assigned managed identity, or reuse the one of that name.",
    ),
    "grant": (
        "grant",
        "Give the identity a Kusto role: on a database, on one table, or cluster-wide.",
    ),
    "attach": (
        "attach",
        "Attach the identity to the function app (or a slot), or enable its own (system).",
    ),
    "set-connection": (
        "set_connection",
        "Set the app setting the Kusto binding reads; the other settings stay as they are.",
    ),
    "verify": ("verify", "Prove that the identity can reach the database, or say exactly why not."),
    "revoke": (
        "revoke",
        "Undo setup: the connection setting, the identity on each app, the role (and, if asked,\n"
        "the identity).",
    ),
    "doctor": (
        "doctor",
        "Find every Kusto binding in a function project and check it, and the deployed app.",
    ),
    "snippet": (
        "snippet",
        "Print a Kusto binding for a language, with the identity's client id, ready to paste.",
    ),
    "audit": ("audit", "Find every function app's Kusto connection: secrets, identities, roles."),
}
EMULATOR = ("emulator", "Run a local emulator of the Azure APIs kustomi uses.")


def command_module(name: str) -> Any:
    """The module of a command (kustomi.cli.<module>), imported on first use."""
    import importlib

    module = (COMMAND_MODULES.get(name) or EMULATOR)[0]
    return importlib.import_module(f"{__name__}.{module}")


class _Commands(Mapping[str, Any]):
    """The checklist's commands (not the emulator group, nor help), name -> module, in
    checklist order; a module is imported when it is looked up."""

    def __getitem__(self, name: str) -> Any:
        if name not in COMMAND_MODULES:
            raise KeyError(name)
        return command_module(name)

    def __contains__(self, name: object) -> bool:
        return name in COMMAND_MODULES

    def __iter__(self) -> Iterator[str]:
        return iter(COMMAND_MODULES)

    def __len__(self) -> int:
        return len(COMMAND_MODULES)


COMMANDS: Mapping[str, Any] = _Commands()


class CommandTree(PlainFirstGroup):
    """The root group: the checklist's commands and the emulator group are built on first
    use, from COMMAND_MODULES; `help`, registered below, is built with the root."""

    def list_commands(self, ctx: Any) -> list[str]:
        built = [n for n in self.commands if n not in COMMAND_MODULES and n != EMULATOR[0]]
        return [*COMMAND_MODULES, *built, EMULATOR[0]]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        cmd = self.commands.get(cmd_name)
        if cmd is None and (cmd_name in COMMAND_MODULES or cmd_name == EMULATOR[0]):
            cmd = self.commands[cmd_name] = _build(cmd_name)
        return cmd

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """As typer's (TyperGroup.format_commands), with COMMAND_MODULES' lines for the
        commands not built: click shortens each line as it would the command's own help."""
        from typer._click.utils import make_default_short_help

        names = self.list_commands(ctx)
        lines = {**{n: line for n, (_, line) in COMMAND_MODULES.items()}, EMULATOR[0]: EMULATOR[1]}
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            cmd = self.commands.get(name) if name not in lines else None
            if cmd is not None and cmd.hidden:
                continue
            text = cmd.get_short_help_str(limit) if cmd is not None else None
            rows.append(
                (
                    name,
                    text
                    if text is not None
                    else make_default_short_help(lines[name], limit).strip(),
                )
            )
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _build(name: str) -> Any:
    """One command of the tree, as `app.command(...)` (or `app.add_typer` for the emulator
    group) would have built it."""
    module = command_module(name)
    holder = typer.Typer(
        add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None
    )
    if name == EMULATOR[0]:
        holder.add_typer(module.app, name=name)
        return typer.main.get_command(holder).commands[name]  # type: ignore[attr-defined]
    holder.command(name, epilog=module.EPILOG, cls=PlainFirstCommand)(module.command)
    return typer.main.get_command(holder)


EPILOG = (
    "The options above may also come after the command (and after its options), as in az: "
    "kustomi setup ... --yes. Given twice, the last one wins.\n\n"
    "Defaults for command options: ./kustomi.toml, or the file KUSTOMI_CONFIG names.\n\n"
    "Exit codes: 0 ok, 1 internal error, 2 bad input (nothing sent) or a no to setup's or "
    "revoke's question (nothing changed), 3 not found, "
    "4 not signed in or not authorized, 5 Azure service error, "
    "6 checks failed (or changes pending under --check), 130 interrupted."
)

app = typer.Typer(
    name="kustomi",
    cls=CommandTree,
    help="Wire an Azure Functions app to Azure Data Explorer (Kusto) with a user-assigned "
    "managed identity, with no secrets, and prove that it works.",
    epilog=EPILOG,
    no_args_is_help=True,
    # typer's --install-completion and --show-completion: each option's fixed values (roles,
    # --via, --lang, --direction) complete too.
    add_completion=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,  # locals can hold tokens
    rich_markup_mode=None,
    # --help wraps at the terminal's width (COLUMNS), not click's 80 columns at most; an
    # example is never wrapped (params.format_epilog).
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100_000},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kustomi {__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    ctx: typer.Context,
    output: Annotated[
        Literal["table", "json", "tsv", "none", "sarif"] | None,
        typer.Option(
            "-o",
            "--output",
            envvar="KUSTOMI_OUTPUT",
            help="Default: table on a terminal, json otherwise (snippet: its code either way). "
            "tsv: tab-separated values, no keys (as az); none: nothing on stdout, the exit code "
            "tells; sarif: doctor's findings for code scanning.",
        ),
    ] = None,
    query: Annotated[
        str | None,
        typer.Option(
            "--query",
            metavar="JMESPATH",
            help="A JMESPath expression over the JSON report (as az's --query): "
            "--query data.clientId -o tsv prints the client id alone.",
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
    from .. import interrupts
    from . import global_options

    interrupts.reset()  # a new run (an in-process caller may run several)
    values = {
        "output": output,
        "query": query,
        "subscription": subscription,
        "dry_run": dry_run,
        "check": check,
        "yes": yes,
        "verbose": verbose,
        "quiet": quiet,
        "debug": debug,
    }
    given = global_options.root_given(ctx, values)
    ctx.meta[global_options.KEY] = given
    # Known before the checks below, so that their error is a JSON report under -o json too
    # (an -o given after the command included).
    ctx.obj = Settings(
        output=global_options.anticipated(values, ctx.meta.get(global_options.REST, []))["output"]
    )
    later = ctx.invoked_subcommand in COMMANDS and not ctx.resilient_parsing
    with reported(ctx):
        # Before the command's own options are read (a missing one is said after these), as
        # far as the words after the command can change them: settle checks them all again.
        global_options.check(
            global_options.anticipated(values, ctx.meta.get(global_options.REST, [])),
            ctx.invoked_subcommand,
        )
        if ctx.invoked_subcommand and not ctx.resilient_parsing:
            _project_file(ctx, given)
    if later:
        return  # the command's own parse adds the global options typed after it, and settles
    with reported(ctx):
        global_options.settle(ctx, {})


# Options a project file may not set: replacing a secret-bearing setting stays a choice per run.
NOT_IN_FILE = {"force", "help", "delete-identity"}


def _project_file(ctx: typer.Context, given: Any) -> None:
    """Load kustomi.toml into the commands' default_map; keep its subscription and its [setup]
    table's arrays, if any, in `given` (a global_options.Given)."""
    import os
    from pathlib import Path

    from ..project_file import find, load

    if ctx.invoked_subcommand not in COMMANDS:
        return
    path = find(os.environ, Path.cwd())
    if path is None:
        return
    # Every command's options: the file's keys are checked against all of them.
    group: Any = ctx.command
    commands: dict[str, Any] = {n: group.get_command(ctx, n) for n in group.list_commands(ctx)}
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
    defaults, root_values = load(path, options)
    for name, cmd in commands.items():  # a key such as `app` is one value of a repeatable option
        for param in getattr(cmd, "params", []):
            if param.name not in defaults.get(name, {}):
                continue
            value = defaults[name][param.name]
            _of_type(path, param, _kind(name, str(param.name)), value)
            if getattr(param, "multiple", False) and isinstance(value, str):
                defaults[name][param.name] = [value]
    if not isinstance(root_values.get("subscription", ""), str):
        raise UsageError(f"{path}: subscription must be a string.", hint='subscription = "<GUID>"')
    ctx.default_map = defaults
    given.file_path = path
    given.file_subscription = root_values.get("subscription")
    given.setup_table = root_values.get("setup")


def _kind(command: str, name: str) -> type:
    """The Python type of a command's option, from the command function's own annotation
    (bool, int, float or str; a repeatable option's items)."""
    import types
    import typing

    fn = COMMANDS[command].command
    hint = typing.get_type_hints(fn).get(name, str)
    for arg in (*typing.get_args(hint), hint):  # X | None, list[X] | None
        if isinstance(arg, type) and arg is not types.NoneType:
            if arg is list:
                continue
            return arg
        inner = [a for a in typing.get_args(arg) if isinstance(a, type) and a is not types.NoneType]
        if typing.get_origin(arg) is list and inner:
            return inner[0]
    return str


def _of_type(path: Any, param: Any, kind: type, value: Any) -> None:
    """A kustomi.toml value of the option's own type: click would turn `app = true` into the
    app "True", and `parallel = true` into 1."""
    key = max(param.opts, key=len).lstrip("-")
    if kind is bool:
        ok, want, example = isinstance(value, bool), "true or false", f"{key} = true"
    elif kind is int:
        ok, want, example = type(value) is int, "a whole number", f"{key} = 4"
    elif kind is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        want, example = "a number", f"{key} = 30"
    else:
        ok, want, example = isinstance(value, str), "a string", f'{key} = "..."'
    if not ok:
        raise UsageError(
            f"{path}: {key} must be {want}, not {value!r}.", hint=f"For example {example}."
        )


def main() -> None:
    """The CLI, as the console script runs it (kustomi.entry installs the signal handler
    first; here again for a caller that starts here)."""
    import os
    import sys

    from typer._click.exceptions import ClickException

    from .. import interrupts

    interrupts.install()
    args = sys.argv[1:]
    try:
        code = app(prog_name="kustomi", standalone_mode=False)
    except ClickException as e:  # the command line itself is wrong (click found it)
        e.show()
        name = _command_word(args)
        if interrupts.json_wanted(args, os.environ, name):
            from ..output import render_error

            help_ = f"kustomi {name} --help" if name != "kustomi" else "kustomi --help"
            render_error(name, UsageError(e.format_message(), hint=f"See `{help_}`."))
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        interrupts.stop(args, _command_word(args))
    if interrupts.received is not None and not interrupts.said:
        # Outside a command's own error path: while the line was parsed (typer turns
        # KeyboardInterrupt into a silent exit 130: typer/core.py, _main), or once the report
        # was printed (the signal was only noted). Say it, and exit 130.
        interrupts.stop(args, _command_word(args))
    interrupts.quiet()
    sys.exit(code if isinstance(code, int) else 0)


def _command_word(args: list[str]) -> str:
    commands = {*COMMAND_MODULES, EMULATOR[0], "help"}
    words = [a for a in args if a in commands]
    return words[0] if words else "kustomi"


@app.command(
    "help",
    cls=ExamplesCommand,
    epilog="Examples:\n\n  kustomi help setup\n\n  kustomi help emulator serve",
)
def help_(
    ctx: typer.Context,
    words: Annotated[
        list[str] | None, typer.Argument(metavar="[COMMAND]...", show_default=False)
    ] = None,
) -> None:
    """Show the help of kustomi or of a command, as --help does."""
    root = ctx.find_root()
    cmd: Any = root.command
    here = root
    for i, word in enumerate(words or []):
        sub = cmd.get_command(here, word) if hasattr(cmd, "get_command") else None
        if sub is None:
            path = " ".join(["kustomi", *(words or [])[:i]])
            with reported(ctx):
                raise UsageError(
                    f"No such command {word!r} in {path}.",
                    hint="`kustomi help` lists the commands (`kustomi help emulator`, its own).",
                )
        here = sub.context_class(sub, info_name=word, parent=here)
        cmd = sub
    typer.echo(cmd.get_help(here))

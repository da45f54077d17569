"""The global options, before the command or after it (and after its options), as the Azure CLI
takes them: `kustomi -o json setup ...` and `kustomi setup ... -o json` are the same run.

The root callback declares them once (kustomi/cli/__init__.py) and reads their environment
variables; every command gets copies of them (`for_command`), with no environment variable and
their plain defaults, from `PlainFirstCommand.get_params`: the copies parse the words after the
command, then leave the command's own parameters (`take`) and `settle` merges them into the
root's values. A value given after the command wins over one before it, as in az (the last one
given wins); both win over the environment; a flag given anywhere is set; -v counts wherever it
is given."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

NAMES = (
    "output",
    "query",
    "subscription",
    "dry_run",
    "check",
    "yes",
    "verbose",
    "quiet",
    "debug",
)
HEADING = "Global options (before or after the command)"
KEY = "kustomi.global_options"
OUTPUTS = ("table", "json", "tsv", "none", "sarif")
REST = "kustomi.rest"  # the words after the root's own options, kept by PlainFirstGroup


@dataclass
class Given:
    """The root's values of the global options, and whether each came from the command line."""

    values: dict[str, Any]
    typed: set[str] = field(default_factory=set)
    file_subscription: str | None = None
    setup_table: Any = None
    file_path: Any = None


def for_command(cmd: Any, ctx: Any) -> list[Any]:
    """The global options as parameters of `cmd` (a command under the root), built once per
    command from the root's own declarations."""
    root = ctx.find_root()
    if root is ctx or getattr(root.command, "commands", {}).get(cmd.name) is not cmd:
        return []
    cached = getattr(cmd, "_global_options", None)
    if cached is not None:
        return list(cached)
    out: list[Any] = []
    for p in root.command.params:
        if p.name in NAMES:
            one = copy.copy(p)
            one.envvar = None  # read once, by the root: a typed value always wins over it
            one.show_envvar = False
            out.append(one)
    setattr(cmd, "_global_options", out)  # noqa: B010
    return list(out)


def take(ctx: Any) -> dict[str, Any]:
    """The global options given after the command, removed from the command's parameters."""
    from typer._click.core import ParameterSource

    given = {}
    for name in NAMES:
        if name not in ctx.params:
            continue
        value = ctx.params.pop(name)
        if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE:
            given[name] = value
    return given


def root_given(ctx: Any, values: dict[str, Any]) -> Given:
    from typer._click.core import ParameterSource

    typed = {n for n in NAMES if ctx.get_parameter_source(n) is ParameterSource.COMMANDLINE}
    return Given(values=dict(values), typed=typed)


def merged(given: Given, after: dict[str, Any]) -> dict[str, Any]:
    """The root's values with those given after the command: the later wins; a flag given
    anywhere is set; -v counts every -v typed, before the command and after it (a KUSTOMI_VERBOSE
    value is replaced by a typed -v)."""
    values = dict(given.values)
    for name, value in after.items():
        if name == "verbose":
            values[name] = (values[name] if name in given.typed else 0) + value
        elif isinstance(value, bool):
            values[name] = values[name] or value
        else:
            values[name] = value
    return values


def anticipated(values: dict[str, Any], rest: list[str]) -> dict[str, Any]:
    """The root's values as the words after the command will likely leave them, read before
    the command parses them (for the checks and the error format that come first): its last
    -o, and a typed -v replacing a KUSTOMI_VERBOSE below 0."""
    from .. import interrupts

    out = dict(values)
    output = interrupts.output_given(rest[1:])
    if output in OUTPUTS:
        out["output"] = output
    if any(w == "--verbose" or (w.startswith("-v") and set(w[1:]) == {"v"}) for w in rest):
        out["verbose"] = max(out["verbose"], 1)
    return out


def check(values: dict[str, Any], command: str | None) -> None:
    """Global options that contradict each other, or the command: exit 2 before any request."""
    from ..errors import UsageError

    if values["verbose"] < 0:
        raise UsageError(
            f"-v/--verbose must be 0 or more, not {values['verbose']}.",
            "KUSTOMI_VERBOSE is a count.",
        )
    if values["output"] == "sarif" and command not in (None, "doctor"):
        raise UsageError(
            f"-o sarif is for doctor, whose findings are about code; "
            f"{command} prints table, json, tsv or none.",
            hint="Use -o json (or table), or run kustomi -o sarif doctor.",
        )
    if values["verbose"] and values["quiet"]:
        raise UsageError(
            "-v/--verbose and -q/--quiet cannot be used together.",
            "Pass one of them (KUSTOMI_VERBOSE and KUSTOMI_QUIET set them too).",
        )


def settle(root: Any, after: dict[str, Any]) -> None:
    """The run's Settings (on the root context), from the root's values, those given after the
    command, and kustomi.toml's subscription (the weakest)."""
    from .frame import Settings

    given: Given = root.meta[KEY]
    values = merged(given, after)
    root.obj = Settings(output=values["output"])  # an error below is a JSON report under -o json
    check(values, root.invoked_subcommand)
    query = compiled(values["query"])
    verbosity = -1 if values["quiet"] else values["verbose"]
    if given.file_path is not None and verbosity > 0:
        from kustomi.output import Reporter

        Reporter(1).info(f"defaults from {given.file_path}")
    root.obj = Settings(
        setup_table=given.setup_table,
        output=values["output"],
        query=query,
        subscription=values["subscription"] or given.file_subscription,
        dry_run=values["dry_run"] or values["check"],
        check=values["check"],
        yes=values["yes"],
        verbosity=verbosity,
        debug=values["debug"],
    )


def compiled(expression: str | None) -> Any:
    """--query, compiled by the JMESPath library the Azure CLI uses (knack/query.py compiles it
    as the command line is read): a bad expression is exit 2 before any request."""
    if expression is None:
        return None
    import jmespath
    from jmespath.exceptions import JMESPathError

    from ..errors import UsageError

    try:
        return jmespath.compile(expression)
    except (JMESPathError, KeyError, ValueError) as e:
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UsageError(
            f"--query {expression!r} is not a JMESPath expression: {reason}",
            hint="For example --query data.clientId (see https://jmespath.org/tutorial.html).",
        ) from None

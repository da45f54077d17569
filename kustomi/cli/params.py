"""The command classes: option values that need no coercion skip typer's pydantic-based one;
every command of the root takes the global options after it too (global_options.py) and lists
them apart in its --help; an epilog's examples are never wrapped.

typer (0.29) coerces every option value through a pydantic TypeAdapter, and importing pydantic
costs more than the rest of `kustomi grant --help`. A value that is absent, or already of the
option's plain type (a str for a str option, the int of a count), is kept as it is; any other
value (a float or a path typed as text, a choice) goes through typer's own coercion, built on
first use. Where typer's internals differ from these, its own coercion stays in place.
"""

from __future__ import annotations

import re
from typing import Any

import typer.core


class _PlainFirst:
    def __init__(self, param: Any) -> None:
        self.param = param
        annotation = param.type_descriptor.annotation
        plain = [a for a in getattr(annotation, "__args__", (annotation,)) if a is not type(None)]
        self.plain = plain[0] if len(plain) == 1 and isinstance(plain[0], type) else None
        self.real: Any = None

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        if value is None or (self.plain is not None and type(value) is self.plain):
            return value
        if self.real is None:
            from typer._coercion import build_runtime_param

            self.real = build_runtime_param(self.param.type_descriptor)
        return self.real.coerce(value, param=param, ctx=ctx)


def _plain_first(params: list[Any]) -> list[Any]:
    for p in params:
        if getattr(p, "_runtime_param", False) is None and hasattr(p, "type_descriptor"):
            p._runtime_param = _PlainFirst(p)
    return params


EXAMPLE = re.compile(r'^(\$ |eval "\$\()?kustomi( |$)')


def is_example(paragraph: str) -> bool:
    """A paragraph of an epilog that is a command line to paste as it is: `kustomi ...`,
    `$ kustomi ...`, `eval "$(kustomi ...)"` (a trailing `# comment`, `&&` between two)."""
    return "\n" not in paragraph.strip() and EXAMPLE.match(paragraph.strip()) is not None


def is_example_line(line: str) -> bool:
    """A line of a printed help that is an example: an epilog's example paragraph, indented by
    four spaces (prose is indented by two)."""
    return line.startswith("    ") and line[4:5] != " " and is_example(line)


def format_epilog(cmd: Any, ctx: Any, formatter: Any) -> None:
    """The epilog, its prose wrapped at the help's width, its examples never: an example
    paragraph is one line (indented by four spaces), whatever the width, so that it can be
    copied whole. A paragraph after click's `\\b` marker is kept as written."""
    import inspect

    if not cmd.epilog:
        return
    text = inspect.cleandoc(cmd.epilog)
    formatter.write_paragraph()
    with formatter.indentation():
        first = True
        for paragraph in text.split("\n\n"):
            if not first:
                formatter.write("\n")
            first = False
            if is_example(paragraph):
                pad = " " * (formatter.current_indent + 2)
                formatter.write(pad + paragraph.strip() + "\n")
            else:
                formatter.write_text(paragraph)


class _Examples:
    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        format_epilog(self, ctx, formatter)


class ExamplesCommand(_Examples, typer.core.TyperCommand):
    """A command whose epilog's examples are never wrapped (the emulator's)."""


class PlainFirstGroup(_Examples, typer.core.TyperGroup):
    def get_params(self, ctx: Any) -> list[Any]:
        return _plain_first(super().get_params(ctx))

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        from .global_options import REST

        rest = list(super().parse_args(ctx, args))
        ctx.meta[REST] = [*ctx._protected_args, *ctx.args]  # the command and what follows it
        return rest


class PlainFirstCommand(_Examples, typer.core.TyperCommand):
    """A command of the root: its own options, then the global options (global_options.py)."""

    def get_params(self, ctx: Any) -> list[Any]:
        from .global_options import for_command

        return _plain_first([*super().get_params(ctx), *for_command(self, ctx)])

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        from . import global_options
        from .frame import reported

        with reported(ctx):
            _once(self, ctx, args)
        rest = list(super().parse_args(ctx, args))
        root = ctx.find_root()
        if root is not ctx and global_options.KEY in root.meta and not ctx.resilient_parsing:
            after = global_options.take(ctx)
            with reported(ctx):
                global_options.settle(root, after)
        return rest

    def format_options(self, ctx: Any, formatter: Any) -> None:
        from .global_options import HEADING, NAMES

        own: list[Any] = []
        shared: list[Any] = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is not None:
                (shared if param.name in NAMES else own).append(record)
        for heading, records in (("Options", own), (HEADING, shared)):
            if records:
                with formatter.section(heading):
                    formatter.write_dl(records)


def _once(cmd: Any, ctx: Any, args: list[str]) -> None:
    """An option that takes one value may be given once: `--role viewer --role admin` would
    otherwise take the last one without a word."""
    from ..errors import UsageError
    from .global_options import NAMES

    for p in cmd.get_params(ctx):
        if p.name in NAMES:  # a global option: the last one given wins, as in az
            continue
        if (
            getattr(p, "multiple", False)
            or getattr(p, "count", False)
            or getattr(p, "is_flag", True)  # an argument (PATH) has none: it is no option
        ):
            continue
        opts = [o for o in p.opts if o.startswith("-")]
        given = []
        for i, a in enumerate(args):
            if a == "--":
                break
            for o in opts:
                if a == o and i + 1 < len(args):
                    given.append(args[i + 1])
                elif a.startswith(o + "=") and o.startswith("--"):
                    given.append(a[len(o) + 1 :])
        if len(given) > 1:
            raise UsageError(
                f"{'/'.join(opts)} is given {len(given)} times: "
                + ", ".join(repr(g) for g in given)
                + ".",
                hint="Give it once.",
            )

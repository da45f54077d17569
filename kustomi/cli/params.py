"""Option values that need no coercion skip typer's pydantic-based one.

typer (0.29) coerces every option value through a pydantic TypeAdapter, and importing pydantic
costs more than the rest of `kustomi grant --help`. A value that is absent, or already of the
option's plain type (a str for a str option, the int of a count), is kept as it is; any other
value (a float or a path typed as text, a choice) goes through typer's own coercion, built on
first use. Where typer's internals differ from these, its own coercion stays in place.
"""

from __future__ import annotations

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


class PlainFirstGroup(typer.core.TyperGroup):
    def get_params(self, ctx: Any) -> list[Any]:
        return _plain_first(super().get_params(ctx))


class PlainFirstCommand(typer.core.TyperCommand):
    def get_params(self, ctx: Any) -> list[Any]:
        return _plain_first(super().get_params(ctx))

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        from .frame import reported

        with reported(ctx):
            _once(self, ctx, args)
        return list(super().parse_args(ctx, args))


def _once(cmd: Any, ctx: Any, args: list[str]) -> None:
    """An option that takes one value may be given once: `--role viewer --role admin` would
    otherwise take the last one without a word."""
    from ..errors import UsageError

    for p in cmd.get_params(ctx):
        if (
            getattr(p, "multiple", False)
            or getattr(p, "count", False)
            or getattr(p, "is_flag", True)
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

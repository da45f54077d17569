"""What every command shares: the global settings, `run` (a core -> a rendered Report and an
exit code) and `reported`, the one place where an error becomes a message and an exit code.
Nothing here imports the Azure SDKs."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import typer

from ..errors import ChecksFailed, Interrupted, KustomiError, Outcome

if TYPE_CHECKING:
    from ..model import Report
    from ..output import Reporter


@dataclass
class Settings:
    output: str | None = None
    query: Any = None  # --query, compiled (a jmespath ParsedResult)
    subscription: str | None = None
    dry_run: bool = False
    check: bool = False
    yes: bool = False
    verbosity: int = 0
    debug: bool = False
    setup_table: Any = None  # kustomi.toml's [setup] arrays (spec.Table), for setup and revoke

    @property
    def format(self) -> str:
        from kustomi.output import default_format

        return self.output or default_format(sys.stdout)


def settings(ctx: typer.Context) -> Settings:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Settings) else Settings()


def _command_name(ctx: typer.Context | None) -> str:
    if ctx is None:
        return "kustomi"
    return " ".join(ctx.command_path.split()[1:]) or "kustomi"


@contextmanager
def reported(
    ctx: typer.Context | None = None, reporter: Reporter | None = None
) -> Iterator[Reporter | None]:
    """Run the body; turn any error it raises into a message on stderr (and, under `-o json`,
    a JSON error report on stdout) and the exit code of its kind. The one error path.
    (rich is imported only when there is something to say: --help stays light.)"""
    s = settings(ctx) if ctx is not None else Settings()
    try:
        yield reporter
    except KeyboardInterrupt:
        _interrupted(ctx, reporter)
    except typer.Exit:
        raise
    except KustomiError as e:
        if isinstance(e, Interrupted):
            from .. import interrupts

            interrupts.quiet()
            interrupts.told()
        _fail(ctx, reporter, e)
    except Exception as e:
        from .. import interrupts

        if interrupts.carried(e):  # a signal during a lazy import, wrapped by Python
            _interrupted(ctx, reporter)
        if s.debug:
            import traceback

            from kustomi.logs import scrub

            sys.stderr.write(scrub("".join(traceback.format_exception(e))) + "\n")
        if "azure" in sys.modules:  # an SDK was used: was it one of its errors?
            from ..azure.errors import classify

            known = classify(e)
            if known is not None:
                _fail(ctx, reporter, known)
        _fail(
            ctx,
            reporter,
            KustomiError(
                f"internal error: {type(e).__name__}: {e}",
                hint="This is a bug in kustomi; rerun with --debug and report it.",
            ),
        )


def _interrupted(ctx: typer.Context | None, reporter: Reporter | None) -> None:
    """The interrupt, said once whatever comes next: what may be in flight, exit 130."""
    from .. import interrupts

    interrupts.quiet()
    interrupts.told()
    _fail(
        ctx,
        reporter,
        Interrupted(
            interrupts.line(),
            hint=interrupts.HINT,
            outcome=Outcome(unknown=interrupts.in_flight(), counted=False),
        ),
    )


def _fail(ctx: typer.Context | None, reporter: Reporter | None, e: KustomiError) -> None:
    from kustomi.output import Reporter, outcome_lines

    from ..errors import Declined

    s = settings(ctx) if ctx is not None else Settings()
    reporter = reporter or Reporter(s.verbosity)
    if isinstance(e, Declined):  # an answer, not an error: said plainly, even under -q
        reporter.say(e.message, e.hint)
    else:
        reporter.error(e.message, e.hint)
    for line in outcome_lines(e.outcome):
        reporter.progress(line)
    if ctx is not None and s.format == "json":
        from kustomi.output import render_error

        render_error(_command_name(ctx), e)
    raise typer.Exit(e.exit_code)


def run(ctx: typer.Context, fn: Callable[[Reporter], Report]) -> None:
    """Run a command's core, render its Report, and map any error to an exit code."""
    from kustomi.output import Reporter, render

    s = settings(ctx)
    from kustomi.logs import quiet_sdk_logging

    quiet_sdk_logging()
    if s.debug:
        from kustomi.logs import disable_debug_logging, enable_debug_logging

        enable_debug_logging()
        ctx.call_on_close(disable_debug_logging)
    reporter = Reporter(s.verbosity)
    with reported(ctx, reporter):
        from .common import check_text

        check_text(ctx)
        report = fn(reporter)
    err = _failure(report, s.check)
    if err is not None:
        report.error = err
    render(report, s.format, query=s.query)
    if err is None:
        return
    if report.errors:  # the report (stdout) holds each app's error; stderr says it once
        reporter.error(err.message, err.hint)
    elif s.check and not report.findings_failed:
        reporter.progress(f"check: {err.message}")
    raise typer.Exit(err.exit_code)


def _failure(report: Report, check: bool) -> KustomiError | None:
    """Why a report's run exits non-zero, if it does: an app that did not finish (its exit
    code), a check that failed, or changes pending under --check (6)."""
    if report.errors:
        from ..steps.fleet import unfinished

        return unfinished(report)
    if report.findings and not report.ok:
        bad = [f"{f.check} {f.status}" for f in report.findings if f.status != "ok"]
        return ChecksFailed(
            f"{len(bad)} check(s) failed: " + "; ".join(bad) + ".",
            hint="Each finding's hint says how to fix it.",
        )
    pending = [c for c in report.changes if c.kind != "none"]
    if check and pending:
        return ChecksFailed(
            f"{len(pending)} change(s) pending, nothing sent; "
            "run the same command without --check to apply them.",
            hint="Run the same command without --check to apply them.",
        )
    return None

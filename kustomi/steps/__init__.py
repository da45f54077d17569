"""One module per checklist step. Each reads before it writes (so a second run writes
nothing), fills a Report, and never prints or exits: progress goes through a callback."""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from .. import interrupts
from ..azure.errors import translate, write_refused
from ..errors import Interrupted, Outcome
from ..model import Change, Report

Progress = Callable[[str], None]
T = TypeVar("T")


@dataclass
class Planned:
    """A step after its reads: its report, whose changes say what it would do, and the writes
    that do it (None when nothing is to change). Every command is built on this: a step
    command plans one step and applies it; setup and revoke plan every step first, show the
    whole plan, then apply them in order."""

    report: Report
    write: Callable[[], None] | None = None

    @property
    def pending(self) -> bool:
        return self.write is not None

    def apply(self) -> Report:
        """Make the planned changes (once); the report then says what was done."""
        write, self.write = self.write, None
        if write is not None:
            write()
        return self.report

    def finish(self, dry_run: bool) -> Report:
        """A step command's end: apply the plan, or under a dry run only report it."""
        self.report.dry_run = dry_run
        return self.report if dry_run else self.apply()


def retry_while(
    fn: Callable[[], T],
    retryable: Callable[[Exception], bool],
    progress: Progress,
    waiting_for: str,
    timeout: float,
    first_delay: float = 1.0,
    max_delay: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call fn until it succeeds, a non-retryable error comes, or `timeout` seconds pass (the
    last attempt is made at the deadline, not before it); says on each wait what it waits for,
    the attempt and the time spent. The error that ends it carries `waited`, the seconds
    really waited."""
    start = time.monotonic()
    delay, attempt = first_delay, 1
    while True:
        try:
            return fn()
        except Exception as e:
            elapsed = time.monotonic() - start
            if not retryable(e) or elapsed >= timeout:
                e.waited = elapsed  # type: ignore[attr-defined]
                raise
            pause = min(delay, timeout - elapsed)
            progress(
                f"waiting for {waiting_for}: attempt {attempt} failed, retrying in "
                f"{pause:.0f}s ({elapsed:.0f}s of {timeout:.0f}s)"
            )
            sleep(pause)
            attempt += 1
            delay = min(delay * 2, max_delay)


Flag = tuple[str, "str | None"]


def fix_command(command: str, *flags: Flag) -> str:
    """A kustomi command line to copy and run as printed: every value shell-quoted, and a flag
    whose value is None left out."""
    words = ["kustomi", command]
    for flag, value in flags:
        if value is not None:
            words += [flag, value]
    return " ".join(shlex.quote(w) for w in words)


@contextmanager
def writing(report: Report, change: Change) -> Iterator[None]:
    """Apply one planned change. On failure the error says what this command had already
    done, and whether this change was not done (the service refused it) or was sent with an
    outcome nobody knows (the connection dropped, a poll or read-back failed), so that a user
    knows where it stopped."""
    this = f"{change.kind} {change.target}"
    try:
        with interrupts.sending(this):
            yield
    except KeyboardInterrupt:
        raise Interrupted(
            f"interrupted while sending: {this}.",
            hint="Rerun the same command: it reads first and finishes what is missing.",
            outcome=Outcome.of(report.changes, unknown=[this]),
        ) from None
    except Exception as e:
        err = translate(e)
        if err.outcome is None:
            # Refused by the service: not done. Any other failure once the request was on
            # its way (a dropped connection, an answer that cannot be read, a failed poll):
            # nobody knows whether Azure did it.
            unknown = [] if write_refused(e) else [this]
            err.outcome = Outcome.of(report.changes, unknown=unknown)
        raise err from None
    change.applied = True


@contextmanager
def after_writing(report: Report) -> Iterator[None]:
    """Reads that check a write: if one fails, the error still says what was written."""
    try:
        yield
    except Exception as e:
        err = translate(e)
        if err.outcome is None:
            err.outcome = Outcome.of(report.changes)
        raise err from None

"""One module per checklist step. Each reads before it writes (so a second run writes
nothing), fills a Report, and never prints or exits: progress goes through a callback."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from ..errors import translate
from ..model import Change, Report

Progress = Callable[[str], None]
T = TypeVar("T")


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
    """Call fn until it succeeds, a non-retryable error comes, or `timeout` seconds pass;
    says on each wait what it waits for, the attempt and the time spent."""
    start = time.monotonic()
    delay, attempt = first_delay, 1
    while True:
        try:
            return fn()
        except Exception as e:
            if not retryable(e):
                raise
            elapsed = time.monotonic() - start
            if elapsed + delay > timeout:
                raise
            progress(
                f"waiting for {waiting_for}: attempt {attempt} failed, retrying in "
                f"{delay:.0f}s ({elapsed:.0f}s of {timeout:.0f}s)"
            )
            sleep(delay)
            attempt += 1
            delay = min(delay * 2, max_delay)


@contextmanager
def writing(report: Report, change: Change) -> Iterator[None]:
    """Apply one planned change. On failure the error says what this command had already
    done and what it had not, so a user knows where it stopped."""
    try:
        yield
    except Exception as e:
        err = translate(e)
        done = [f"{c.kind} {c.target}" for c in report.changes if c.applied]
        err.details.setdefault("done", done)
        err.details.setdefault("not_done", [f"{change.kind} {change.target}"])
        raise err from None
    change.applied = True

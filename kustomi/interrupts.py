"""Ctrl-C and SIGTERM, whenever they come: during start-up, while a command runs, or after its
report was printed. The handler is installed by `kustomi.entry` before anything heavy is
imported; both signals raise KeyboardInterrupt in the main thread, so that every layer that
stops cleanly on Ctrl-C (no new write, the requests in flight finish) stops on SIGTERM too.

What a run is sending is known here (`sending`, around every write), so that the one line an
interrupt prints says whether a write may be in flight. This module imports nothing heavy.

Exit code: 130 for both signals (README, Exit codes): a CI job's timeout reads the same as
Ctrl-C.
"""

from __future__ import annotations

import signal
import sys
import threading

TYPE_CHECKING = False  # not `from typing import ...`: typing imports re
if TYPE_CHECKING:  # nothing more is imported before the handler is installed
    from types import FrameType, TracebackType
    from typing import Any
else:
    Any = object

EXIT_CODE = 130
NAMES = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}

_lock = threading.Lock()
_in_flight: list[str] = []  # writes being sent now, from any thread
_sent = 0  # writes started by this run
received: int | None = None  # the first signal received
printed = False  # a report (or an error report) went to stdout
_installed = False
said = False  # the command's own error path said the interrupt


def install() -> None:
    """SIGINT and SIGTERM raise KeyboardInterrupt in the main thread (idempotent)."""
    global _installed
    if threading.current_thread() is not threading.main_thread():
        return
    signal.signal(signal.SIGINT, _raise)
    signal.signal(signal.SIGTERM, _raise)
    if sys.unraisablehook is not _unraisable:
        _hooks.append(sys.unraisablehook)
        sys.unraisablehook = _unraisable
    _installed = True


_hooks: list[Any] = []  # the unraisable hook before ours


def _unraisable(unraisable: Any) -> None:
    """The KeyboardInterrupt of a signal that came while Python ran a weakref callback, a
    finalizer or a GC callback (importlib's module locks have one) cannot leave it: Python
    prints "Exception ignored in ..." with a traceback and goes on, and the signal would be
    lost. It is delivered again a moment later instead, to the main thread, where the run
    stops as on any other interrupt."""
    if unraisable.exc_type is KeyboardInterrupt and received is not None:
        again = threading.Timer(0.01, signal.raise_signal, (received,))
        again.daemon = True
        again.start()
        return
    (_hooks[0] if _hooks else sys.__unraisablehook__)(unraisable)


def _raise(signum: int, _frame: FrameType | None) -> None:
    global received
    if received is None:
        received = signum
    if printed:
        # The report is out: what is left is closing connections, where an exception would
        # only be "ignored" in a finalizer. The run ends with exit 130 all the same.
        return
    raise KeyboardInterrupt


def carried(exc: BaseException) -> bool:
    """Whether `exc` is a signal's KeyboardInterrupt in another exception's clothes: Python
    wraps one raised inside a class body's `__set_name__` (an import under way) in a
    RuntimeError ("Error calling __set_name__ ..."), and others chain it. A signal came, and
    the interrupt is in the exception's cause or context chain."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        if isinstance(e, KeyboardInterrupt):
            return received is not None
        seen.add(id(e))
        e = e.__cause__ or e.__context__
    return False


def quiet() -> None:
    """Once the run is ending: a second signal changes nothing any more (only where
    `install` took the signals: an in-process caller keeps its own handlers)."""
    if _installed and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)


class sending:
    """Around one write: while it runs, an interrupt says it may be in flight."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __enter__(self) -> None:
        global _sent
        with _lock:
            _in_flight.append(self.what)
            _sent += 1

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with _lock:
            _in_flight.remove(self.what)


def in_flight() -> list[str]:
    with _lock:
        return list(_in_flight)


def told() -> None:
    """Called when the command's error path said the interrupt (no second line then)."""
    global said
    said = True


def reported() -> None:
    """Called when a report is written to stdout."""
    global printed
    printed = True


def line() -> str:
    """The one line an interrupt prints: by which signal, and whether a write may be in
    flight."""
    name = NAMES.get(signal.Signals(received or signal.SIGINT), "a signal")
    flying = in_flight()
    if flying:
        return f"interrupted ({name}) while sending: {'; '.join(flying)}; its outcome is unknown."
    if printed:
        return f"interrupted ({name}) after the report was printed: the report stands."
    if _sent:
        return f"interrupted ({name}); no write was in flight."
    return f"interrupted ({name}) before any write was sent: nothing was changed."


def reset() -> None:
    """A new run (an in-process caller may make several) starts with nothing sent."""
    global printed, said, _sent
    with _lock:
        _in_flight.clear()
        _sent = 0
    printed = said = False


HINT = "Rerun the same command: it reads first and finishes what is missing."


def stop(args: list[str], command: str = "kustomi") -> None:
    """The end of a run interrupted outside a command's own error path (start-up, parsing,
    after the report): the line on stderr, a JSON report on stdout when one is wanted and
    none was printed, exit 130."""
    import os
    import sys

    quiet()
    text = line()
    try:
        sys.stderr.write(f"Error: {text}\nHint: {HINT}\n")
        sys.stderr.flush()
        if json_wanted(args, os.environ, command) and not printed and sys.stdout is not None:
            from .errors import Interrupted, Outcome
            from .output import render_error

            err = Interrupted(text, hint=HINT, outcome=Outcome(unknown=in_flight(), counted=False))
            render_error(command, err)
    except (BrokenPipeError, OSError, ValueError):
        pass  # a reader gone, or a stream closed: the exit code still tells
    raise SystemExit(EXIT_CODE)


# Commands whose stdout is their product, not a report, unless -o json asks for one.
CODE_ON_STDOUT = ("snippet",)


FORMATS = ("json", "table", "tsv", "none", "sarif")


def output_given(args: list[str]) -> str | None:
    """The last -o/--output value of a command line (the one that counts: a global option may
    come before the command and after it, and the last one given wins), or None."""
    chosen = None
    for i, a in enumerate(args):
        if a == "--":
            break
        if a in ("-o", "--output"):
            if i + 1 < len(args):
                chosen = args[i + 1]
        elif a.startswith("--output="):
            chosen = a.split("=", 1)[1]
        elif a.startswith("-o") and not a.startswith("--"):
            chosen = a[2:].lstrip("=")
    return chosen


def json_wanted(args: list[str], env: Any, command: str = "kustomi") -> bool:
    """Whether stdout takes a JSON report: -o/--output json, else KUSTOMI_OUTPUT, else when
    stdout is not a terminal (the default of -o). A value that is neither (`-o xml`, which is
    refused) leaves the default: a script reading stdout still gets its JSON error. snippet's
    stdout is code (`kustomi snippet ... > KustoInput.cs`): JSON only when asked for."""
    import sys

    chosen = output_given(args)
    if chosen not in FORMATS:
        chosen = env.get("KUSTOMI_OUTPUT")
    if chosen in FORMATS:
        return chosen == "json"
    if command in CODE_ON_STDOUT:
        return False
    return sys.stdout is not None and not sys.stdout.isatty()

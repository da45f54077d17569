"""The console script. The signal handler comes first, before the CLI and the libraries it
imports: Ctrl-C or SIGTERM during start-up is said as an interrupt (exit 130), never as a
traceback."""

from __future__ import annotations


def main() -> None:
    import sys

    from . import interrupts

    interrupts.install()
    try:
        from .cli import main as run
    except KeyboardInterrupt:
        interrupts.stop(sys.argv[1:])
    run()

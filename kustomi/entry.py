"""The console script. The signal handler comes first, before the CLI and the libraries it
imports: Ctrl-C or SIGTERM during start-up is said as an interrupt (exit 130), never as a
traceback. Then, signed in through `az login`, `az account get-access-token` is started for
the command's first audience (kustomi.azure.azcli): the Azure CLI's second of start-up runs
while kustomi imports the CLI and the SDKs, not after them."""

from __future__ import annotations

HELP = ("-h", "--help", "--version")


def main() -> None:
    import sys

    try:
        # Inside the try: a signal may land while the handler is being installed (between
        # SIGINT's and SIGTERM's), or, before it, as Python's own KeyboardInterrupt.
        from . import interrupts

        interrupts.install()
        args = sys.argv[1:]
        if args and not any(a in HELP for a in args):
            import os

            from .azure import azcli

            azcli.begin(args, os.environ)
        from .cli import main as run
    except BaseException as e:
        from . import interrupts

        if isinstance(e, KeyboardInterrupt) or interrupts.carried(e):
            interrupts.stop(sys.argv[1:])
        raise
    run()

"""Debug logging that never shows a token or a secret.

azure-core's HttpLoggingPolicy already redacts headers outside an allow-list; we never turn on
`logging_enable` (network trace), which would log bodies, token responses included. As a second
guard, every record passes through `scrub`, which blanks JWT-shaped strings and secret-looking
key/value pairs.
"""

from __future__ import annotations

import logging
import re
import sys

JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
SECRET_KV_RE = re.compile(
    r"(?i)((?:client_?secret|password|access_token|refresh_token|x-identity-header|"
    r"identity_header|authorization|appkey|application key)\W{0,3}[=:]\W{0,3})[^&\s'\",;]+"
)


def scrub(text: str) -> str:
    return SECRET_KV_RE.sub(r"\1<redacted>", JWT_RE.sub("<token>", text))


class _ScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = ()
        return True


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is now (a test runner swaps it per invocation)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


DEBUG_LOGGERS = ("azure", "kustomi", "msal")


def quiet_sdk_logging() -> None:
    """Without --debug, the SDKs' own log lines stay off stderr: a logger with no handler
    falls back to logging.lastResort, which prints warnings such as azure-identity's
    "ManagedIdentityCredential.get_token failed: ..." (kustomi says what failed in its own
    words). A NullHandler on their loggers is a handler, so that fallback never applies."""
    for name in ("azure", "msal"):
        logger = logging.getLogger(name)
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())


def disable_debug_logging() -> None:
    """Undo enable_debug_logging: the command is over (a process that runs several commands,
    such as a test or a program using kustomi's CLI in-process, gets each one's own)."""
    for name in DEBUG_LOGGERS:
        logger = logging.getLogger(name)
        for h in [h for h in logger.handlers if isinstance(h, _StderrHandler)]:
            logger.removeHandler(h)
        logger.setLevel(logging.NOTSET)


def enable_debug_logging() -> None:
    """HTTP request lines (headers redacted by azure-core) on stderr."""
    for name in DEBUG_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG if name != "msal" else logging.INFO)
        if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
            handler = _StderrHandler()
            handler.addFilter(_ScrubFilter())
            handler.setFormatter(logging.Formatter("debug: %(name)s: %(message)s"))
            logger.addHandler(handler)

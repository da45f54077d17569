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


def enable_debug_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_ScrubFilter())
    handler.setFormatter(logging.Formatter("debug: %(name)s: %(message)s"))
    for name in ("azure", "kustomi", "msal"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG if name != "msal" else logging.INFO)
        logger.addHandler(handler)

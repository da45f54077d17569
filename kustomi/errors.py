"""The one error family. Core code raises these; `kustomi.cli.frame` alone prints them and
exits. The Azure SDKs' exceptions are mapped onto them in `kustomi.azure.errors`.

Exit codes (README "Exit codes"): 0 ok, 1 internal error, 2 bad usage or input (nothing sent),
3 not found, 4 authentication or authorization, 5 Azure service error after retries,
6 checks failed, 130 interrupted.
"""

from __future__ import annotations

from typing import Any


class KustomiError(Exception):
    """Something the user should read: what happened, and a hint of what to do."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details


class UsageError(KustomiError):
    """Bad usage or input; no request was sent."""

    exit_code = 2


class NotFoundError(KustomiError):
    """A resource kustomi needs does not exist."""

    exit_code = 3


class AuthError(KustomiError):
    """Sign-in failed, or the signed-in principal lacks a right."""

    exit_code = 4


class ServiceError(KustomiError):
    """Azure answered with an error, after the SDK's retries."""

    exit_code = 5


UNREADABLE = "Azure answered something kustomi cannot read"


class UnreadableAnswer(ServiceError):
    """An answer of Azure whose body has a shape kustomi cannot read (a 200 with the wrong
    body); what was sent before it may or may not have been done."""


class ChecksFailed(KustomiError):
    """One or more checks did not pass."""

    exit_code = 6


class Interrupted(KustomiError):
    """Ctrl-C or SIGTERM."""

    exit_code = 130

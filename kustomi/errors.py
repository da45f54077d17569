"""The one error family. Core code raises these; `kustomi.cli.frame` alone prints them and
exits. The Azure SDKs' exceptions are mapped onto them in `kustomi.azure.errors`.

Exit codes (README "Exit codes"): 0 ok, 1 internal error, 2 bad usage or input (nothing sent),
3 not found, 4 authentication or authorization, 5 Azure service error after retries,
6 checks failed, 130 interrupted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol


class _Write(Protocol):  # kustomi.model.Change, read only
    @property
    def kind(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def applied(self) -> bool: ...


def write_name(change: _Write) -> str:
    """How a write is named in an outcome: `<kind> <target>` ("create setting X on app")."""
    return f"{change.kind} {change.target}"


@dataclass
class Outcome:
    """What a command that stopped on an error had written, each write named `<kind>
    <target>`: done (the service said so), not done (refused, or never sent), or unknown
    (sent, and no answer that says: the connection dropped, the answer could not be read,
    Ctrl-C came while it was on the wire). Built where writes happen (kustomi.steps.writing,
    the fleet runner); rendered only by kustomi.output. `counted` is False when only the
    writes in flight are known (an interrupt outside a step): nothing is said of the rest."""

    done: list[str] = field(default_factory=list)
    not_done: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    counted: bool = True

    @classmethod
    def of(cls, changes: Iterable[_Write], unknown: Iterable[str] = ()) -> Outcome:
        """The outcome of planned `changes` when a run stops: those applied are done, those
        in `unknown` were sent without a known answer, every other pending one is not done."""
        changes = list(changes)
        unsure = list(dict.fromkeys(unknown))
        return cls(
            done=[write_name(c) for c in changes if c.applied],
            not_done=[
                write_name(c)
                for c in changes
                if c.kind != "none" and not c.applied and write_name(c) not in unsure
            ],
            unknown=unsure,
        )


class KustomiError(Exception):
    """Something the user should read: what happened, a hint of what to do, and (an error
    after writes began) the Outcome of what was sent."""

    exit_code = 1

    def __init__(
        self, message: str, hint: str | None = None, outcome: Outcome | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.outcome = outcome


class UsageError(KustomiError):
    """Bad usage or input; no request was sent."""

    exit_code = 2


class Declined(UsageError):
    """The user answered no to setup's or revoke's question: nothing was written. Said as an
    answer, not as an error (no `Error:`); exit 2, as every refusal before a write."""


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

"""The plan/apply engine of setup and revoke: steps planned first (all reads), then applied in
order: the steps before the apps one after another, then each app's steps, apps side by side,
then the steps after the apps. A failure in one app does not stop the others; a failure before
the apps stops everything, and each error says what was done, not done, or sent with an
outcome unknown."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from ..azure.errors import translate
from ..errors import Interrupted, KustomiError, Outcome, ServiceError, write_name
from ..model import AppError, Report
from ..names import DEFAULT_PARALLEL
from . import Planned, Progress

T = TypeVar("T")
HELD_BACK = "not done: an app did not finish"
U = TypeVar("U")


@dataclass
class AppPlan:
    label: str  # "<rg>/<app>" or "<rg>/<app> (slot <slot>)"
    steps: list[Planned]
    error: KustomiError | None = None

    @property
    def pending(self) -> bool:
        return any(s.pending for s in self.steps)

    @property
    def blocked(self) -> bool:
        """A finding stops the app (a setting that holds a secret): none of its steps run."""
        return any(f.status != "ok" for s in self.steps for f in s.report.findings)


@dataclass
class Plan:
    command: str  # setup | revoke
    before: list[Planned]
    apps: list[AppPlan]
    after: list[Planned] = field(default_factory=list)
    describe: Callable[[], dict[str, Any]] = dict  # the identity, as known now
    notes: list[str] = field(default_factory=list)

    @property
    def steps(self) -> list[Planned]:
        return [*self.before, *(s for a in self.apps for s in a.steps), *self.after]

    @property
    def pending(self) -> int:
        """How many changes applying it would make."""
        return sum(1 for s in self.steps for c in s.report.changes if c.kind != "none")

    def report(self, dry_run: bool = True) -> Report:
        """The plan (dry_run) or, once applied, what was done: every step's changes in order,
        each app's outcome, and the errors of the apps that did not finish."""
        r = Report(self.command, dry_run=dry_run, data=self.describe(), notes=list(self.notes))
        of_app = {id(s): a.label for a in self.apps for s in a.steps}
        for s in self.steps:
            r.changes.extend(s.report.changes)
            label = of_app.get(id(s))  # an app's finding is named by its app, as verify's
            r.findings.extend(
                replace(f, check=f"{label} {f.check}") if label else f for f in s.report.findings
            )
            r.notes.extend(n for n in s.report.notes if n not in r.notes)
        r.data["apps"] = [_outcome(a, dry_run) for a in self.apps]
        r.errors = [AppError(a.label, a.error) for a in self.apps if a.error is not None]
        return r

    def apply(
        self,
        progress: Progress,
        parallel: int = DEFAULT_PARALLEL,
        on_app: Callable[[str, str], None] | None = None,
    ) -> Report:
        """Apply the plan. Progress of each app goes to `on_app(label, text)` (a live line
        per app on a terminal), else to `progress` as "<label>: <text>"."""
        on_app = on_app or (lambda label, text: progress(f"{label}: {text}"))
        try:
            for s in self.before:
                _step(s, progress)
            failed = _apps(self.apps, on_app, parallel, self.before)
            if failed:
                # Nothing after the apps runs while one of them did not finish: revoke does not
                # drop a role or delete an identity that an unfinished app may still use.
                for s in self.after:
                    for c in s.report.changes:
                        if c.kind != "none":
                            c.detail = (c.detail + "; " if c.detail else "") + HELD_BACK
                    s.write = None
            else:
                for s in self.after:
                    _step(s, progress)
        except KeyboardInterrupt:
            raise self._stopped(
                Interrupted(
                    "interrupted.",
                    hint="Rerun the same command: it reads first and finishes what is missing.",
                )
            ) from None
        except KustomiError as e:
            raise self._stopped(e) from None
        return self.report(dry_run=False)

    def _stopped(self, e: KustomiError) -> KustomiError:
        """The error, saying what of the whole plan was done and what was not."""
        e.outcome = outcome_of(self.steps, e)
        return e


def merged(plans: list[Plan]) -> Plan:
    """The plans of several identities (a [setup] table whose grants and apps name their own)
    as one: the steps before the apps of each in order (an identity before its grants), every
    app side by side, then the steps after the apps of each."""
    return Plan(
        plans[0].command,
        [s for p in plans for s in p.before],
        [a for p in plans for a in p.apps],
        [s for p in plans for s in p.after],
        describe=lambda: {"identities": [p.describe() for p in plans]},
        notes=list(dict.fromkeys(n for p in plans for n in p.notes)),
    )


def _step(s: Planned, say: Progress) -> None:
    for c in s.report.changes:
        if c.kind != "none":
            say(f"{c.kind} {c.target} ...")
    s.apply()


def outcome_of(steps: list[Planned], e: KustomiError) -> Outcome:
    """What of `steps` was done, not done, or sent with an outcome unknown (as `e` says)."""
    unknown = e.outcome.unknown if e.outcome is not None else []
    return Outcome.of((c for s in steps for c in s.report.changes), unknown)


def _apps(
    apps: list[AppPlan],
    on_app: Callable[[str, str], None],
    parallel: int,
    before: list[Planned],
) -> list[AppPlan]:
    """Apply each app's steps, `parallel` apps at a time; the apps that failed, each error
    saying what was done before it (the steps before the apps, and that app's own)."""
    todo = [a for a in apps if a.pending and not a.blocked]
    stop = threading.Event()

    def one(a: AppPlan) -> None:
        if stop.is_set():
            return
        try:
            for s in a.steps:
                if stop.is_set():  # Ctrl-C: no new write; what is left is said as not done
                    return
                _step(s, lambda text: on_app(a.label, text))
            on_app(a.label, "done")
        except Interrupted:
            raise  # Ctrl-C (or SIGTERM) stops the whole run, not only this app
        except Exception as raised:
            # An SDK error not yet translated, or an answer that cannot be read, is said as
            # kustomi's own; anything else is a bug, raised as it is (exit 1).
            e = translate(raised)
            e.outcome = outcome_of([*before, *a.steps], e)
            a.error = e
            on_app(a.label, f"failed: {e.message}")

    in_parallel(one, todo, parallel, stop)
    return [a for a in apps if a.error is not None]


def in_parallel(
    fn: Callable[[T], U], items: Sequence[T], parallel: int, stop: threading.Event | None = None
) -> list[U]:
    """fn over items, `parallel` at a time, results in order. Ctrl-C stops starting new ones
    (those running finish their request) and is raised; any error of fn is raised too."""
    if len(items) <= 1 or parallel <= 1:
        return [fn(x) for x in items]
    stop = stop or threading.Event()
    pool = ThreadPoolExecutor(max_workers=min(parallel, len(items)))
    futures = [pool.submit(fn, x) for x in items]
    try:
        while True:
            _, running = wait(futures, timeout=0.2)
            if not running:
                break
    except KeyboardInterrupt:
        stop.set()
        for f in futures:
            f.cancel()
        # The requests in flight finish (a write cut off mid-way is a write of unknown
        # outcome); a second Ctrl-C does not cut this short, so that what is then said as
        # done and not done is true.
        while True:
            try:
                pool.shutdown(wait=True)
                break
            except KeyboardInterrupt:
                continue
        raise
    pool.shutdown(wait=True)
    return [f.result() for f in futures]


def _outcome(a: AppPlan, dry_run: bool) -> dict[str, Any]:
    changes = [c for s in a.steps for c in s.report.changes if c.kind != "none"]
    if a.error is not None:
        status = "failed"
    elif a.blocked:  # a finding (a setting that holds a secret) stops it: see the findings
        status = "blocked"
    elif not changes:
        status = "unchanged"
    elif dry_run:
        status = "pending"
    else:
        status = "done"
    out: dict[str, Any] = {"app": a.label, "status": status, "changes": len(changes)}
    if a.error is not None:
        out["error"] = a.error.message
    return out


def unfinished(report: Report) -> KustomiError:
    """The error of a setup or revoke whose apps did not all finish: their common exit code,
    else 5 (a service error)."""
    names = ", ".join(e.app for e in report.errors)
    total = len(report.data.get("apps", []))
    # The steps after the apps (revoke's roles and identity), held back by them.
    held = [write_name(c) for c in report.changes if c.detail.endswith(HELD_BACK)]
    err = ServiceError(
        f"{len(report.errors)} of {total} app(s) did not finish: {names}. "
        + " ".join(f"{e.app}: {e.error.message}" for e in report.errors)
        + (f" Held back until they do: {'; '.join(held)}." if held else ""),
        hint="Rerun the same command to finish them: it reads first and does only what is missing.",
    )
    codes = {e.error.exit_code for e in report.errors}
    if len(codes) == 1:
        err.exit_code = codes.pop()
    err.outcome = Outcome(
        done=[write_name(c) for c in report.changes if c.applied],
        not_done=[x for e in report.errors if e.error.outcome for x in e.error.outcome.not_done]
        + held,
        unknown=[x for e in report.errors if e.error.outcome for x in e.error.outcome.unknown],
    )
    return err

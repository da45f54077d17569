"""The only module that imports rich. Data goes to stdout; progress, warnings and errors to
stderr. User data is never parsed as markup."""

from __future__ import annotations

import collections
import contextlib
import copy
import json
import os
import sys
from dataclasses import asdict
from typing import IO, Any

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from .errors import KustomiError, Outcome
from .logs import scrub
from .model import SCHEMA, AppError, Report

SYMBOL = {"create": "+ create", "update": "~ update", "delete": "- delete", "none": "= unchanged"}
PLANNED = {
    "create": "+ would create",
    "update": "~ would update",
    "delete": "- would delete",
    "none": "= unchanged",
}


def default_format(stream: IO[str] | None) -> str:
    return "table" if stream is not None and stream.isatty() else "json"


class _Console(Console):
    def on_broken_pipe(self) -> None:
        # rich raises SystemExit(1) here, which would read as "internal error": go quiet instead.
        self.quiet = True
        _reader_left()


def _reader_left() -> None:
    """The reader of stdout left (`kustomi ... | head -1`). Point stdout at /dev/null so no
    later write or the final flush fails again, and let the exit code tell the result (the
    recipe of Python's signal module docs, "Note on SIGPIPE")."""
    # A test runner's buffer has no file descriptor: nothing to redirect then.
    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def render(
    report: Report,
    fmt: str,
    stream: IO[str] | None = None,
    title: str | None = None,
    query: Any = None,
) -> None:
    """A report on stdout (or `stream`) in a format of -o: table, json, tsv, none or sarif;
    with `query` (a compiled --query), what the JMESPath expression selects of the JSON form
    (of the SARIF log under -o sarif)."""
    stream = stream or sys.stdout
    if stream is None:  # started with stdout closed (`kustomi ... >&-`): the exit code tells
        return
    from . import interrupts

    if stream is sys.stdout:  # the command's report (a plan shown on stderr is not)
        interrupts.reported()
    if fmt == "none":
        return
    if fmt in ("json", "sarif", "tsv") or query is not None:
        if fmt == "sarif":
            from .sarif import to_sarif

            doc: Any = to_sarif(report)
        else:
            doc = report.to_dict()
        if query is not None:
            import jmespath

            # As az (knack/query.py): the expression's own objects keep its key order.
            doc = query.search(doc, jmespath.Options(dict_cls=collections.OrderedDict))
            if doc is None:  # az prints nothing for a null result, in every format
                return
        if fmt == "tsv":
            text = tsv(doc)
        elif fmt == "table":
            _print_value(_Console(file=stream, markup=False, highlight=False, soft_wrap=True), doc)
            return
        else:
            text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        try:
            stream.write(text)
            stream.flush()
        except BrokenPipeError:
            _reader_left()
        return
    console = _Console(file=stream, markup=False, highlight=False, soft_wrap=True)
    head = f"kustomi {report.command}"
    if title:
        head += f"  ({title})"
    elif report.dry_run:
        head += "  (dry run: nothing was changed)"
    console.print(head)
    if report.changes:
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        for col in ("action", "target", "detail"):
            table.add_column(col, overflow="fold")
        words = PLANNED if report.dry_run else SYMBOL
        for c in report.changes:
            # A change of an app that did not finish (setup, revoke) was not made: say so.
            unmade = not report.dry_run and c.kind != "none" and not c.applied
            table.add_row("! not done" if unmade else words[c.kind], c.target, c.detail)
        _print_table(console, table)
    if report.findings:
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        for col in ("check", "status", "detail"):
            table.add_column(col, overflow="fold")
        for f in report.findings:
            table.add_row(f.check, f.status, _detail_cell(f.file, f.line, f.detail))
        _print_table(console, table)
        # Hints hold commands to copy: one line each, never folded inside a table cell.
        for f in report.findings:
            if f.hint:
                console.print(f"fix {f.check}: {f.hint}")
    apps = report.data.get("apps")
    # An absent value (a slot of None: production) has no row in the table; JSON keeps it.
    data = {k: v for k, v in report.data.items() if k != "apps" and v is not None}
    if data:
        width = max(len(k) for k in data)
        for k, v in data.items():
            if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
                # A list of records (audit's settings): JSON lists them, the table counts them.
                console.print(f"{k.ljust(width)}  {len(v)} (-o json lists them)")
                continue
            console.print(f"{k.ljust(width)}  {_scalar(v)}")
    if isinstance(apps, list) and apps:  # setup and revoke: each app's outcome
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        errors = any(a.get("error") for a in apps)
        for col in ("app", "status", "changes", "error")[: 4 if errors else 3]:
            table.add_column(col, overflow="fold")
        for a in apps:
            row = [a["app"], a["status"], str(a["changes"])]
            table.add_row(*row, *([a.get("error", "")] if errors else []))
        _print_table(console, table)
    for note in report.notes:
        console.print(f"note: {note}")


def tsv(value: Any) -> str:
    """-o tsv, by the Azure CLI's rules (knack/output.py, _TsvOutput;
    https://learn.microsoft.com/cli/azure/format-output-azure-cli#tsv-output-format): a list is
    one line per item, anything else one line; a line of an object is its values tab-separated,
    in the order of their keys (alphabetical), or in the expression's order for an object that
    --query built (`{id: data.clientId, name: data.name}`); a line of a list is its items
    tab-separated. Inside a line, a nested list is its length, a nested object is empty, a null
    is None and a boolean True or False; a line that is a boolean alone is true or false."""
    rows = value if isinstance(value, list) else [value]
    return "".join(_tsv_row(row) + "\n" for row in rows)


def _tsv_row(row: Any) -> str:
    if isinstance(row, collections.OrderedDict):
        return "\t".join(_tsv_cell(v) for v in row.values())
    if isinstance(row, dict):
        return "\t".join(_tsv_cell(v) for _, v in sorted(row.items()))
    if isinstance(row, list):
        return "\t".join(_tsv_cell(v) for v in row)
    if isinstance(row, bool):
        return str(row).lower()
    return _tsv_cell(row)


def _tsv_cell(value: Any) -> str:
    if isinstance(value, list):
        return str(len(value))
    if isinstance(value, dict):
        return ""
    return value if isinstance(value, str) else str(value)


def _print_value(console: Console, value: Any) -> None:
    """What --query selected, as a table: a list of objects is a row per object (a column per
    key), an object a row of its keys and values each, a list one line per item, a scalar
    itself."""
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        columns = list(dict.fromkeys(k for v in value for k in v))
        for col in columns:
            table.add_column(col, overflow="fold")
        for v in value:
            table.add_row(*(_scalar(v.get(c)) for c in columns))
        _print_table(console, table)
    elif isinstance(value, dict):
        width = max((len(k) for k in value), default=0)
        for k, v in value.items():
            console.print(f"{k.ljust(width)}  {_scalar(v)}")
    elif isinstance(value, list):
        for v in value:
            console.print(_scalar(v))
    else:
        console.print(_scalar(value))


class _Whole:
    """Text that is never folded: its minimum width is its length, so a table widens for it
    rather than cut it (rich folds a cell at any space, and a path may hold spaces)."""

    def __init__(self, text: str) -> None:
        self.text = Text(text, no_wrap=True, overflow="ignore")

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(self.text.cell_len, self.text.cell_len)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.text


def _detail_cell(file: str | None, line: int | None, detail: str) -> RenderableType:
    """A finding's detail; when it starts with a file:line whose path holds a space, that
    location on a line of its own, whole."""
    where = f"{file}:{line}: "
    if not file or not detail.startswith(where) or not any(c.isspace() for c in file):
        return detail
    return Group(_Whole(where.rstrip()), Text(detail[len(where) :]))


def _print_table(console: Console, table: Table) -> None:
    """A table folds its cells at spaces to fit the width (a terminal's, or 80 on a pipe), but
    never cuts a word: a file path, a resource id, a URI stays whole. When one is wider than
    its column can be, the table is printed wider than the width."""
    need = Measurement.get(console, console.options.update(width=10**5), table).minimum
    if need <= console.width or console.quiet:
        console.print(table)
        return
    wide = _Console(file=console.file, markup=False, highlight=False, soft_wrap=True, width=need)
    wide.print(table)
    console.quiet = wide.quiet


def render_error(command: str, err: KustomiError, stream: IO[str] | None = None) -> None:
    """Under `-o json`, an error is a report too: scripts read stdout and always get JSON."""
    stream = stream or sys.stdout
    if stream is None:
        return
    doc = {"schema": SCHEMA, "command": command, "ok": False, "error": error_dict(err)}
    from . import interrupts

    interrupts.reported()
    try:
        stream.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        stream.flush()
    except BrokenPipeError:
        _reader_left()


def report_dict(report: Report) -> dict[str, Any]:
    """A report as `-o json` prints it (kustomi.report/2)."""
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "command": report.command,
        "dryRun": report.dry_run,
        "changes": [asdict(c) for c in report.changes],
        "findings": [asdict(f) for f in report.findings],
        "data": copy.deepcopy(report.data),
        "notes": list(report.notes),
        "errors": [app_error_dict(e) for e in report.errors],
    }
    if report.error is not None:
        doc["error"] = error_dict(report.error)
    doc["ok"] = report.ok
    return doc


def app_error_dict(e: AppError) -> dict[str, Any]:
    """An app of a fleet that did not finish, in `errors[]` of a JSON report."""
    return {"app": e.app, **error_dict(e.error)}


def error_dict(err: KustomiError) -> dict[str, Any]:
    """The `error` of a JSON report: one shape for every failure."""
    outcome = err.outcome or Outcome()
    return {
        "exitCode": err.exit_code,
        "message": scrub(err.message),
        "hint": scrub(err.hint or ""),
        "done": list(outcome.done),
        "notDone": list(outcome.not_done),
        "unknown": list(outcome.unknown),
    }


def outcome_lines(outcome: Outcome | None) -> list[str]:
    """What an error's stderr says of the writes sent before it."""
    if outcome is None:
        return []
    if not outcome.counted:  # an interrupt's own line says what was in flight
        return []
    lines = ["Done before the error: " + ("; ".join(outcome.done) or "nothing")]
    if outcome.unknown:
        lines.append("Sent, outcome unknown: " + "; ".join(outcome.unknown) + ".")
    if outcome.not_done:
        lines.append("Not done: " + "; ".join(outcome.not_done) + ".")
    lines.append("Rerunning the same command is safe: it reads first and converges.")
    return lines


def _scalar(v: Any) -> str:
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    return "" if v is None else str(v)


class Reporter:
    """Progress, warnings and errors on stderr; verbosity -1 (quiet), 0, 1 (verbose)."""

    def __init__(self, verbosity: int = 0, stream: IO[str] | None = None) -> None:
        self.verbosity = verbosity
        self.console = Console(
            file=stream or sys.stderr, markup=False, highlight=False, soft_wrap=True
        )

    def _print(self, text: str) -> None:
        # Messages can quote a service's error text; a token or secret in it never shows.
        self.console.print(scrub(text))

    def progress(self, message: str) -> None:
        if self.verbosity >= 0:
            self._print(message)

    def info(self, message: str) -> None:
        if self.verbosity >= 1:
            self._print(message)

    def warn(self, message: str) -> None:
        if self.verbosity >= 0:
            self._print(f"warning: {message}")

    def say(self, message: str, hint: str | None = None) -> None:
        """A line that is no error and is said whatever the verbosity (a declined prompt)."""
        self._print(message)
        if hint:
            self._print(hint)

    def error(self, message: str, hint: str | None = None) -> None:
        self._print(f"Error: {message}")
        if hint:
            self._print(f"Hint: {hint}")


class AppBoard:
    """Progress of many apps at once: on a terminal, one live line per app (rich's Live, drawn
    on stderr above nothing else; other messages print above it); otherwise plain lines
    "<app>: <text>", one per update."""

    def __init__(self, reporter: Reporter, labels: list[str]) -> None:
        self.reporter = reporter
        self.lines = dict.fromkeys(labels, "waiting")
        self.live: Any = None
        console = reporter.console
        if console.is_terminal and reporter.verbosity >= 0 and len(labels) > 1:
            from rich.live import Live

            self.live = Live(self._table(), console=console, refresh_per_second=8, transient=False)

    def _table(self) -> Table:
        table = Table(show_header=False, box=None, pad_edge=False)
        table.add_column("app")
        table.add_column("status", overflow="fold")
        for label, text in self.lines.items():
            table.add_row(label, scrub(text))
        return table

    def update(self, label: str, text: str) -> None:
        if self.live is None:
            self.reporter.progress(f"{label}: {text}")
            return
        self.lines[label] = text
        self.live.update(self._table())

    def __enter__(self) -> AppBoard:
        if self.live is not None:
            self.live.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self.live is not None:
            self.live.stop()

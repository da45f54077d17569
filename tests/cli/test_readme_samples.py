"""The README's sample outputs, run against the emulator.

Every fenced block of README.md whose first line starts with `$ kustomi ` is a sample: each
`$ kustomi` line in it is run in-process against the demo world (the README's names: rg-demo,
rg-data, cluster adxdemo with Orders and Telemetry, func-orders with a system-assigned
identity), and the STRUCTURE of what it prints is compared with the sample, not the values:
the sequence of row keys, one per line (see `row_key`). The README shows values as against
Azure; before a run, its cluster URI becomes the emulator's and the ids it shows become the
real ones learned from earlier samples' output. A sample that shows stderr (a line indented by
two spaces, as `make demo` prints stderr) is compared with stderr then stdout, else with stdout.

Samples run in README order, one world per group (GROUPS, by README section): the step
commands build on each other as a reader would type them. Each exits as the text above its
block says (`(exit 6)`), else 0. Every sample's section is in a group; a sample that cannot be
run faithfully is listed in NOT_RUN, with the reason, and is the only kind not run.
"""

from __future__ import annotations

import itertools
import logging
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kustomi.cli import app
from kustomi.logs import _StderrHandler
from kustomi.model import STATUSES

README = Path(__file__).resolve().parents[2] / "README.md"
AZURE_CLUSTER = "https://adxdemo.westeurope.kusto.windows.net"

# Which samples share a world, by the README section they are in, in README order.
GROUPS = {
    "setup": ["setup"],
    "audit": ["audit"],
    "checklist": [
        "create-identity",
        "grant",
        "attach",
        "set-connection",
        "verify",
        "doctor",
        "snippet",
    ],
}

# Samples not run, by id (section#n: the n-th `$ kustomi` line of the section), with why.
NOT_RUN = {
    "setup#2": "a fleet with its arguments elided (`...`), apps func-a..c that the README does "
    "not describe, one refused by Azure, and JSON output read through jq",
}

# ./orders, the function project of the doctor samples: GetOrders.cs with the misspelt
# property the failing sample finds (binding at line 10, property at line 13), then fixed.
GET_ORDERS = """\
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Kusto;
using Microsoft.Azure.Functions.Worker.Http;

public static class GetOrdersFunction
{{
    [Function("GetOrders")]
    public static Order[] Run(
        [HttpTrigger(AuthorizationLevel.Function, "get")] HttpRequestData req,
        [KustoInput(Database: "Orders",
            KqlCommand = "Orders | take 10",
            Connection = "KustoConnectionStringManagedIdentity",
            {prop} = "{client_id}")] Order[] orders)
        => orders;
}}
"""

ELIDED = re.compile(r"\b[0-9a-f][0-9a-f-]*…")
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ACTION = re.compile(r"^([+~=-]) (would )?(\S+)")
STDERR = re.compile(r"^  \S")  # two spaces: a line on stderr, as `make demo` shows it
STATUS_WORDS = [[status] for status in STATUSES]
FOLDED = re.compile(r"^ {3,}\S")  # in a table: the rest of a cell folded onto the next line


@dataclass
class Sample:
    id: str  # section#n
    section: str
    line: int  # of the `$ kustomi` line in README.md
    argv: list[str]
    expected: list[str]  # the lines shown after it
    exit_code: int  # from the text just above the block, "(exit N)"; else 0

    @property
    def shows_stderr(self) -> bool:
        return any(STDERR.match(line) for line in self.expected)


def parse_samples(text: str) -> list[Sample]:
    samples: list[Sample] = []
    lines = text.splitlines()
    section, count = "", dict[str, int]()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("### "):
            section = line[4:].strip()
        if not line.startswith("```"):
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        block = lines[i + 1 : end]
        if block and block[0].startswith("$ kustomi "):
            above = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
            m = re.search(r"\(exit (\d+)\)", above)
            starts = [k for k, b in enumerate(block) if b.startswith("$ ")] + [len(block)]
            for a, b in itertools.pairwise(starts):
                if not block[a].startswith("$ kustomi "):
                    continue  # another tool's command in the same block (jq)
                count[section] = count.get(section, 0) + 1
                samples.append(
                    Sample(
                        id=f"{section}#{count[section]}",
                        section=section,
                        line=i + 2 + a,
                        argv=shlex.split(block[a].removeprefix("$ kustomi ").split(" > ")[0]),
                        expected=block[a + 1 : b],
                        exit_code=int(m.group(1)) if m else 0,
                    )
                )
        i = end + 1
    return samples


def row_key(line: str) -> str:
    """What a line is, whatever its values: an action (`+ create`, `~ would update`), a finding
    (`role not_authorized`), a `fix <check>:` line, else its first word (a table header, a data
    key, `note:`, `Error:`, a progress line's first word; in code, up to an `=`)."""
    text = line.strip()
    m = ACTION.match(text)
    if m:
        return " ".join(w.strip() for w in m.groups() if w)
    words = text.split()
    if len(words) >= 2 and (words[1] in STATUSES or words[0] in ("fix", "kustomi")):
        return f"{words[0]} {words[1]}"
    return words[0].split("=")[0]  # in code (snippet), the name a line assigns


def rows(lines: list[str]) -> tuple[list[str], list[str]]:
    """The key of each line, and apart the folded rest of a table cell (its row has the key);
    blank lines are skipped."""
    keys: list[str] = []
    folded: list[str] = []
    in_table = False
    for line in lines:
        words = line.split()
        if not words:
            continue
        if in_table and FOLDED.match(line):
            folded.append(line)
            continue
        if words[:2] in (["action", "target"], ["check", "status"]):
            in_table = True
        elif not line[0].isspace() and not ACTION.match(line) and words[1:2] not in STATUS_WORDS:
            in_table = False  # a data row, a fix or a note line: past the tables
        keys.append(row_key(line))
    return keys, folded


def row_keys(lines: list[str]) -> list[str]:
    return rows(lines)[0]


@dataclass
class Run:
    """One world: the values learned so far, to turn the README's into the real ones."""

    emu: Any
    scan: Any
    monkeypatch: pytest.MonkeyPatch
    cwd: Path
    values: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.values[AZURE_CLUSTER] = f"{self.emu.url}/kusto/adxdemo"

    def real(self, text: str) -> str:
        for shown, real in self.values.items():
            text = text.replace(shown, real)
        # An id the README elides (`6f4c319d-…`): the real one of the id it starts.
        return ELIDED.sub(lambda m: self._unelide(m.group(0)), text)

    def _unelide(self, elided: str) -> str:
        prefix = elided.removesuffix("…")
        found = [real for shown, real in self.values.items() if shown.startswith(prefix)]
        assert len(found) == 1, f"{elided}: no one id learned from earlier samples starts so"
        return found[0]

    def learn(self, expected: list[str], printed: list[str]) -> None:
        """Each id the sample shows in a data row: the real one in the same row."""
        shown = {ln.split()[0]: ln.split()[1] for ln in expected if len(ln.split()) == 2}
        for ln in printed:
            words = ln.split()
            if len(words) == 2 and GUID.fullmatch(shown.get(words[0], "")):
                self.values.setdefault(shown[words[0]], words[1])

    def prepare(self, sample: Sample) -> tuple[dict[str, str], str | None]:
        """What the sample needs beyond the earlier samples: environment, stdin."""
        if sample.section == "setup":  # asked on a terminal, answered y
            self.monkeypatch.setattr("kustomi.cli.fleet._terminal", lambda: True)
            return {}, "y\n"
        if sample.section == "verify" and "--app" not in sample.argv:
            # Inside the app: its managed-identity endpoint, as `kustomi emulator app-env`
            # gives it (kustomi/demo.py does the same).
            return self.emu.app_env("func-orders", "rg-demo"), None
        if sample.section == "doctor":
            client_id = self.real("6f4c319d-7b85-4743-9f50-ae5a69cd79d6")
            failing = sample.id == "doctor#1"
            prop = "managedServiceIdentiy" if failing else "ManagedServiceIdentity"
            project = self.cwd / "orders"
            project.mkdir(exist_ok=True)
            code = GET_ORDERS.format(prop=prop, client_id=client_id)
            (project / "GetOrders.cs").write_text(code)
        return {}, None

    def check(self, sample: Sample) -> None:
        env, stdin = self.prepare(sample)
        argv = [self.real(a) for a in sample.argv]
        env = {"KUSTOMI_OUTPUT": "table", "COLUMNS": "1000", **env}
        r = CliRunner().invoke(app, argv, input=stdin, env=env, catch_exceptions=False)
        self.scan.outputs.append(r.stdout + "\n" + r.stderr)
        where = f"README.md line {sample.line} ({sample.id}): kustomi {shlex.join(argv)}"
        assert r.exit_code == sample.exit_code, f"{where}: exit {r.exit_code}\n{r.stderr}"
        # On a terminal the answer shows after the prompt; the report comes after all stderr.
        stderr = r.stderr.replace("[y/N]: ", "[y/N]: y\n") if stdin else r.stderr
        printed = (stderr + r.stdout if sample.shows_stderr else r.stdout).splitlines()
        keys, folded = rows(printed)
        assert not folded, f"{where}: rows wrapped at COLUMNS=1000: {folded}"
        assert row_keys(sample.expected) == keys, (
            f"{where}: the sample's rows differ from what kustomi prints:\n" + "\n".join(printed)
        )
        self.learn(sample.expected, printed)


SAMPLES = parse_samples(README.read_text())


def test_the_readme_has_the_samples():
    sections = {s.section for s in SAMPLES}
    assert {name for names in GROUPS.values() for name in names} <= sections
    assert len(SAMPLES) >= 11


def test_every_sample_is_run_or_listed_with_a_reason():
    grouped = {name for names in GROUPS.values() for name in names}
    ids = {s.id for s in SAMPLES}
    assert set(NOT_RUN) <= ids, f"NOT_RUN names samples the README no longer has: {NOT_RUN}"
    for s in SAMPLES:
        assert s.section in grouped, f"README.md line {s.line}: {s.id} is in no group"


@pytest.fixture
def _no_debug_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    """--debug turns on its stderr handlers once per process (kustomi.logs): a test of this
    worker that ran --debug before must not add its lines to these samples' stderr."""
    for name in ("azure", "kustomi", "msal"):
        logger = logging.getLogger(name)
        kept = [h for h in logger.handlers if not isinstance(h, _StderrHandler)]
        monkeypatch.setattr(logger, "handlers", kept)


@pytest.mark.parametrize("group", list(GROUPS))
@pytest.mark.usefixtures("_no_debug_lines")
def test_readme_samples(group, emu, secret_scan, monkeypatch, tmp_path):
    """The demo world (kustomi/emulator/scenarios/demo.json), fresh for each group."""
    run = Run(emu, secret_scan, monkeypatch, tmp_path)
    samples = [s for s in SAMPLES if s.section in GROUPS[group] and s.id not in NOT_RUN]
    assert samples
    for sample in samples:
        run.check(sample)


def test_row_keys():
    shown = [
        "kustomi verify",
        "check  status          detail",
        "token  ok              a token",
        "role   not_authorized  Principal 'aadapp=…' is not authorized to read",
        "                       database 'Telemetry'.",
        "fix role: grant the role: kustomi grant --role viewer",
        "+ would create  identity rg-demo/id-orders  in westeurope",
        "= unchanged  identity rg-demo/id-orders  exists",
        "clientId  6f4c319d-…",
        "slot",
        "…",
        "note: binding",
        "  verify: identity mode",
    ]
    assert row_keys(shown) == [
        "kustomi verify",
        "check",
        "token ok",
        "role not_authorized",
        "fix role:",
        "+ would create",
        "= unchanged",
        "clientId",
        "slot",
        "…",
        "note:",
        "verify:",
    ]

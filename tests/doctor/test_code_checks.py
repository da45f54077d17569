"""doctor reads the sample projects (one per language and programming model), finds each
mistake at its file and line, and reports nothing but ok on the correct bindings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kustomi.bindings.checks import code_findings
from kustomi.bindings.scan import scan
from kustomi.steps.doctor import STATUSES

PROJECTS = Path(__file__).resolve().parent / "projects"
SAMPLES = sorted(p.name for p in PROJECTS.iterdir() if (p / "expected.json").exists())


def test_every_model_has_a_sample():
    assert SAMPLES == [
        "csharp-inprocess",
        "csharp-isolated",
        "function-json",
        "java",
        "javascript-v4",
        "python-v2",
        "typescript-v4",
    ]


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_project_findings(name):
    root = PROJECTS / name
    expected = json.loads((root / "expected.json").read_text())
    findings = code_findings(scan(root))
    assert {f.status for f in findings} <= set(STATUSES)
    bad = [f for f in findings if f.status != "ok"]
    for want in expected["findings"]:
        hits = [
            f
            for f in bad
            if f.status == want["status"]
            and f.file == want["file"]
            and want["at"] in (root / f.file).read_text().splitlines()[f.line - 1]
            and want.get("function", "") in f.detail
        ]
        assert len(hits) == 1, (want, [(f.status, f.file, f.line, f.detail) for f in bad])
        assert hits[0].hint
    assert len(bad) == len(expected["findings"]), [(f.status, f.line, f.detail) for f in bad]
    ok = [f.detail for f in findings if f.status == "ok"]
    for fn in expected["ok"]:
        assert any(d.startswith(fn + " (") for d in ok), (fn, ok)


def test_comments_and_strings_hold_no_binding():
    found = scan(PROJECTS / "csharp-inprocess").bindings
    assert "Nope" not in {p.value for b in found for p in b.props}
    assert "NotABinding" not in {p.value for b in found for p in b.props}
    assert len(found) == 7


def test_what_the_parsers_read():
    """Named and positional arguments, line breaks, verbatim strings and `+` of literals."""
    by_fn = {b.function: b for b in scan(PROJECTS / "csharp-isolated").bindings}
    get = by_fn["GetOrders"]
    assert (get.model, get.direction) == ("csharp-isolated", "in")
    kql = get.get("KqlCommand")
    assert kql is not None and kql.value == (
        "declare query_parameters (name:string);\nOrders | where Name == name"
    )
    assert by_fn["AddOrder"].direction == "out"
    assert by_fn["Misspelt"].get("Database").value == "Orders"  # positional
    java = {b.function: b for b in scan(PROJECTS / "java").bindings}
    assert java["GetOrders"].get("KqlCommand").value.endswith(";Orders | where Name == name")
    inproc = {b.function: b for b in scan(PROJECTS / "csharp-inprocess").bindings}
    assert inproc["AddOrder"].direction == "out"  # `out Order order`
    assert inproc["SharedB"].direction == "out"  # ICollector<T>
    assert inproc["GetOrders"].direction == "in"
    py = {b.function: b for b in scan(PROJECTS / "python-v2").bindings}
    assert py["get_orders"].get("ManagedServiceIdentity").value.startswith("6f4c319d")
    ts = {b.function: b for b in scan(PROJECTS / "typescript-v4").bindings}
    assert ts["getOrders/ordersOut"].direction == "out"  # `{...} as const`


def test_no_binding_is_a_failure(kustomi, tmp_path):
    (tmp_path / "app.py").write_text("print('no kusto here')\n")
    r = kustomi("-o", "json", "doctor", "--project", str(tmp_path))
    assert r.exit_code == 6
    assert [f["status"] for f in r.json()["findings"]] == ["no_bindings"]


def test_cli_exit_codes_and_json_fields(kustomi):
    r = kustomi("-o", "json", "doctor", "--project", str(PROJECTS / "java"))
    assert r.exit_code == 6
    body = r.json()
    assert body["data"]["bindings"] == 7
    f = next(f for f in body["findings"] if f["status"] == "unknown_property")
    assert f["file"] == "src/main/java/com/orders/Functions.java" and f["line"] == 47
    # Secrets in local.settings.json are named, never shown.
    assert "not-a-real" not in r.stdout and "eyJhbGciOiJub25lIn0" not in r.stdout


def test_bad_project_path_is_exit_2(kustomi, tmp_path):
    r = kustomi("doctor", "--project", str(tmp_path / "missing"))
    assert r.exit_code == 2 and "not a directory" in r.stderr


def test_table_output_names_file_and_line(kustomi):
    r = kustomi("-o", "table", "doctor", "--project", str(PROJECTS / "typescript-v4"))
    assert r.exit_code == 6
    assert "src/functions/orders.ts:36" in r.stdout


@pytest.mark.parametrize("args", [["--help"], ["doctor", "--help"], ["snippet", "--help"]])
def test_help_imports_no_parser(args):
    """The parsers are ordinary dependencies, loaded only when doctor reads a project."""
    code = (
        "import sys\nfrom kustomi.cli import main\nsys.argv = ['kustomi', *sys.argv[1:]]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
        "print(sorted(m for m in sys.modules if m.startswith(('tree_sitter', 'kustomi.bindings',"
        " 'azure'))), file=sys.stderr)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    )
    assert "Usage: kustomi" in out.stdout
    assert out.stderr.strip() == "[]"


def test_the_readme_documents_every_status_in_one_table():
    import re

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("### doctor", 1)[1].split("\n### ", 1)[0]
    documented = re.findall(r"^\| `([a-z_]+)` \|", section, re.MULTILINE)
    assert documented == list(STATUSES)
    # Every status the code can emit is in the set: the source names no other.
    src = Path(__file__).resolve().parents[2] / "kustomi"
    code = (src / "steps" / "doctor.py").read_text() + (src / "bindings" / "checks.py").read_text()
    emitted = set(re.findall(r'Finding\(\s*"[a-z-]+",\s*"([a-z_]+)"', code))
    emitted |= set(re.findall(r'status(?:: Status)? = "([a-z_]+)" if .* else "([a-z_]+)"', code)[0])
    emitted |= set(re.findall(r'_finding\(\s*b, "[a-z-]+", "([a-z_]+)"', code))
    assert emitted == set(STATUSES), emitted ^ set(STATUSES)
    from kustomi import model

    assert set(STATUSES) <= set(model.STATUSES)  # the one closed set of every command

"""doctor in CI: SARIF 2.1.0 for code scanning, the pre-commit hook the repository declares,
and a table that, piped, never cuts a file path."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = Path(__file__).resolve().parent / "projects"
CLIENT_ID = "6f4c319d-7b85-4743-9f50-ae5a69cd79d6"


def sarif_of(kustomi, project, env=None):
    args = ("doctor", "--project", str(project))
    r = kustomi(*(() if env else ("-o", "sarif")), *args, env=env)
    findings = kustomi("-o", "json", *args).json()["findings"]
    return r, findings


def test_every_finding_is_a_result_at_its_file_and_line(kustomi):
    r, findings = sarif_of(kustomi, PROJECTS / "java")
    assert r.exit_code == 6
    doc = json.loads(r.stdout)
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-2.1.0.json")
    [run] = doc["runs"]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    failing = [f for f in findings if f["status"] != "ok"]
    assert len(run["results"]) == len(failing) > 3
    for result, f in zip(run["results"], failing, strict=True):
        assert result["ruleId"] == f["check"] == rules[result["ruleIndex"]]
        assert result["level"] == ("warning" if f["status"] == "unknown_property" else "error") or (
            f["status"] in ("identity_missing", "connection_shared")
            and result["level"] == "warning"
        )
        assert result["properties"]["status"] == f["status"]
        assert f["hint"] in result["message"]["text"]
        [loc] = result["locations"]
        where = loc["physicalLocation"]
        assert where["region"]["startLine"] == f["line"]
        # The project is in this repository: relative to its root, whatever the directory.
        assert where["artifactLocation"] == {
            "uri": f"tests/doctor/projects/java/{f['file']}",
            "uriBaseId": "%SRCROOT%",
        }
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": ROOT.as_uri() + "/"}}
    assert {r["level"] for r in run["results"]} == {"error", "warning"}


def test_locations_are_relative_to_the_directory_ci_runs_in(kustomi, tmp_path, monkeypatch):
    shutil.copytree(PROJECTS / "typescript-v4", tmp_path / "repo" / "functions")
    monkeypatch.chdir(tmp_path / "repo")
    r, _ = sarif_of(kustomi, Path("functions"), env={"KUSTOMI_OUTPUT": "sarif"})
    assert r.exit_code == 6
    uris = {
        res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for res in json.loads(r.stdout)["runs"][0]["results"]
    }
    assert uris == {"functions/src/functions/orders.ts"}
    assert all((tmp_path / "repo" / u).is_file() for u in uris)


def test_a_passing_project_has_no_result_and_notes_are_notifications(kustomi, tmp_path):
    r = kustomi(
        "-o", "json", "snippet", "--lang", "java", "--direction", "input", "--client-id",
        CLIENT_ID, "--database", "Orders", "--write", "--project", str(tmp_path),
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    s = kustomi("-o", "sarif", "doctor", "--project", str(tmp_path))
    assert s.exit_code == 0
    [run] = json.loads(s.stdout)["runs"]
    assert run["results"] == []
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert any("deployed app was not checked" in n["message"]["text"] for n in notes)


@pytest.mark.parametrize("command", [("grant",), ("snippet", "--lang", "java")])
def test_sarif_is_doctors_only(kustomi, command):
    r = kustomi("-o", "sarif", *command)
    assert r.exit_code == 2 and "-o sarif is for doctor" in r.stderr and r.stdout == ""


def _hook() -> dict[str, str]:
    """The one hook of .pre-commit-hooks.yaml, as pre-commit reads it (a list of mappings of
    scalars and flow sequences: all this file uses)."""
    text = (ROOT / ".pre-commit-hooks.yaml").read_text()
    items = [ln for ln in text.splitlines() if ln and not ln.lstrip().startswith("#")]
    assert items[0].startswith("- id: ") and sum(ln.startswith("- ") for ln in items) == 1
    hook = {}
    for ln in items:
        key, _, value = ln.removeprefix("- ").strip().partition(": ")
        hook[key] = value.strip()
    return hook


def test_the_pre_commit_hook_runs_doctor_on_the_project(spawn, tmp_path, monkeypatch):
    hook = _hook()
    assert hook["id"] == "kustomi-doctor" and hook["language"] == "python"
    assert hook["pass_filenames"] == "false"
    files = re.compile(hook["files"].strip("'"))
    for name in ("Functions.cs", "src/a.ts", "GetOrders/function.json", "local.settings.json",
                 "function_app.py", "src/main/java/F.java"):  # fmt: skip
        assert files.search(name), name
    for name in ("README.md", "host.json", "myfunction.json.bak"):
        assert not files.search(name), name
    argv = shlex.split(hook["entry"]) + [a.strip() for a in hook["args"].strip("[]").split(",")]
    assert argv[0] == "kustomi"
    shutil.copytree(PROJECTS / "javascript-v4", tmp_path / "bad")
    monkeypatch.chdir(tmp_path / "bad")
    failing = spawn(*argv[1:]).finish()
    assert failing.exit_code == 6
    assert "src/functions/orders.js:" in failing.stdout and "connection_missing" in failing.stdout
    assert not failing.stdout.lstrip().startswith("{")  # a table for people, not JSON
    (tmp_path / "good").mkdir()
    monkeypatch.chdir(tmp_path / "good")
    snippet = "snippet --lang csharp --direction input --database Orders --client-id"
    code = spawn(*snippet.split(), CLIENT_ID).finish().stdout
    (tmp_path / "good" / "KustoInput.cs").write_text(code)
    assert spawn(*argv[1:]).finish().exit_code == 0


def test_a_table_on_a_pipe_never_cuts_a_file_path(spawn, tmp_path, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)  # a pipe: rich's 80 columns
    deep = "src/main/java/com/contoso/orders/functions/ingestion/kusto"
    (tmp_path / deep).mkdir(parents=True)
    (tmp_path / deep / "AddOrderFunctionWithAVeryLongName.java").write_text(
        'public class A {\n  @FunctionName("AddOrder")\n  public void run(\n'
        '    @KustoOutput(name = "o", database = "Orders", tableName = "Orders",\n'
        '      connection = "KustoConn") OutputBinding<String> o) {}\n}\n'
    )
    r = spawn("-o", "table", "doctor", "--project", str(tmp_path)).finish()
    assert r.exit_code == 6
    path = f"{deep}/AddOrderFunctionWithAVeryLongName.java:4:"
    assert len(path) > 80 and path in r.stdout  # whole, the table wider for it
    fits = spawn("-o", "table", "doctor", "--project", str(PROJECTS / "typescript-v4")).finish()
    assert "src/functions/orders.ts:36:" in fits.stdout
    table = [ln for ln in fits.stdout.splitlines() if not ln.startswith(("fix ", "note: "))]
    assert max(len(ln) for ln in table) <= 80  # where every path fits, 80 columns


def test_a_table_on_a_pipe_never_cuts_a_path_that_holds_spaces(spawn, tmp_path, monkeypatch):
    """A folder name with spaces, as Visual Studio writes them: Azure/Webjobs.Extensions.Kusto
    samples/samples-csharp/Properties/ServiceDependencies/adx-bindings-csharp - Zip Deploy/
    (https://github.com/Azure/Webjobs.Extensions.Kusto). The location stays on one line, whole."""
    monkeypatch.delenv("COLUMNS", raising=False)
    deep = "Properties/ServiceDependencies/adx-bindings-csharp - Zip Deploy/Output Bindings"
    (tmp_path / deep).mkdir(parents=True)
    (tmp_path / deep / "Add Product.cs").write_text(
        'public static class AddProduct {\n  [FunctionName("AddProductUni")]\n'
        "  public static void Run(\n"
        '    [Kusto(Database: "e2e", TableName = "Products", Connection = "KustoConnectionString")]'
        " out Product product) { product = null; }\n}\n"
    )
    r = spawn("-o", "table", "doctor", "--project", str(tmp_path)).finish()
    assert r.exit_code == 6, r.stdout
    where = f"{deep}/Add Product.cs:4:"
    lines = r.stdout.splitlines()
    assert any(where in ln for ln in lines), r.stdout  # on one line, not folded at a space
    row = next(i for i, ln in enumerate(lines) if where in ln)
    assert lines[row].split()[:2] == ["identity", "identity_missing"]
    assert "AddProductUni (output, csharp) names no ManagedServiceIdentity" in " ".join(
        ln.strip() for ln in lines[row + 1 : row + 4]
    )


def _results(stdout: str) -> tuple[dict, list[dict]]:
    [run] = json.loads(stdout)["runs"]
    return run, run["results"]


def test_sarif_meets_what_code_scanning_requires(kustomi, tmp_path, monkeypatch):
    """GitHub code scanning's SARIF subset
    (https://docs.github.com/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning):
    locations relative to the repository's root, with forward slashes and percent-encoded,
    whatever directory doctor runs in; a location on every result; rule names not their
    ids. A space in a folder name, as Visual Studio writes (Azure/Webjobs.Extensions.Kusto
    samples/samples-csharp/Properties/ServiceDependencies/adx-bindings-csharp - Zip Deploy)."""
    from urllib.parse import unquote

    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)  # a checkout: actions/checkout leaves .git at its root
    project = repo / "src" / "Zip Deploy #1"
    shutil.copytree(PROJECTS / "csharp-isolated", project)
    monkeypatch.chdir(repo / "src")  # a job's working-directory below the root
    r = kustomi("-o", "sarif", "doctor", "--project", "Zip Deploy #1")
    assert r.exit_code == 6
    doc = json.loads(r.stdout)
    assert doc["version"] == "2.1.0" and doc["$schema"].startswith("https://")
    run, results = _results(r.stdout)
    assert run["tool"]["driver"]["name"] == "kustomi"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"
    rules = run["tool"]["driver"]["rules"]
    assert rules and all(rule["id"] and rule["name"] != rule["id"] for rule in rules)
    assert all(rule["shortDescription"]["text"] for rule in rules)
    assert results
    for res in results:
        assert res["ruleId"] == rules[res["ruleIndex"]]["id"]
        assert res["level"] in ("error", "warning") and res["message"]["text"]
        [loc] = res["locations"]
        art = loc["physicalLocation"]["artifactLocation"]
        assert art["uriBaseId"] == "%SRCROOT%"
        assert art["uri"].startswith("src/Zip%20Deploy%20%231/") and "\\" not in art["uri"]
        assert " " not in art["uri"] and "#" not in art["uri"]
        assert (repo / unquote(art["uri"])).is_file()  # as the upload action resolves it
        assert loc["physicalLocation"]["region"]["startLine"] >= 1


def test_a_finding_about_the_whole_project_is_never_a_result_without_a_location(kustomi, tmp_path):
    """A result with no location makes code scanning refuse the whole file
    (github/codeql-action issue 2459): no_bindings goes at host.json, or, with none, is a
    notification of the run."""
    (tmp_path / "empty" / ".git").mkdir(parents=True)
    r = kustomi("-o", "sarif", "doctor", "--project", str(tmp_path / "empty"))
    assert r.exit_code == 6
    run, results = _results(r.stdout)
    assert results == []
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert [n["level"] for n in notes if "no_bindings" in n["message"]["text"]] == ["warning"]
    (tmp_path / "empty" / "host.json").write_text('{"version": "2.0"}\n')
    run, results = _results(
        kustomi("-o", "sarif", "doctor", "--project", str(tmp_path / "empty")).stdout
    )
    [res] = results
    assert res["ruleId"] == "project" and res["level"] == "warning"
    loc = res["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "host.json", "uriBaseId": "%SRCROOT%"}
    assert loc["region"]["startLine"] == 1


def test_outside_any_repository_and_directory_a_location_is_an_absolute_file_uri(
    kustomi, tmp_path, monkeypatch
):
    shutil.copytree(PROJECTS / "java", tmp_path / "p")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    run, results = _results(
        kustomi("-o", "sarif", "doctor", "--project", str(tmp_path / "p")).stdout
    )
    assert "originalUriBaseIds" not in run
    for res in results:
        art = res["locations"][0]["physicalLocation"]["artifactLocation"]
        assert art["uri"].startswith((tmp_path / "p").resolve().as_uri() + "/")
        assert "uriBaseId" not in art

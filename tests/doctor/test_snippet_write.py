"""`kustomi snippet --write`: the file at data.file under --project, never a user's file
replaced. Python v2's function_app.py takes one more function, and the result loads and
registers every function with the real azure-functions library."""

from __future__ import annotations

import importlib.util
import sys
import uuid

import pytest

CLIENT_ID = "6f4c319d-7b85-4743-9f50-ae5a69cd79d6"


def snippet(kustomi, project, lang, direction, *more, db="Orders"):
    table = ("--table", "Events") if direction == "output" else ()
    return kustomi(
        "-o", "json", *more, "snippet", "--lang", lang, "--direction", direction,
        "--client-id", CLIENT_ID, "--database", db, *table, "--write", "--project", str(project),
    )  # fmt: skip


def load_functions(path):
    """function_app.py imported as the Python worker imports it; its functions by name, each
    with its bindings as the host receives them (azure.functions' own metadata)."""
    import json

    name = f"function_app_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    apps = [v for v in vars(module).values() if type(v).__name__ == "FunctionApp"]
    assert len(apps) == 1
    return {
        f.get_function_name(): json.loads(f.get_function_json())["bindings"]
        for f in apps[0].get_functions()
    }


def test_both_directions_into_one_function_app_load_and_register(kustomi, tmp_path):
    first = snippet(kustomi, tmp_path, "python", "input")
    assert first.exit_code == 0, first.stderr
    assert [(c["kind"], c["target"]) for c in first.json()["changes"]] == [
        ("create", "function_app.py")
    ]
    second = snippet(kustomi, tmp_path, "python", "output")
    assert second.exit_code == 0, second.stderr
    assert [c["kind"] for c in second.json()["changes"]] == ["update"]
    text = (tmp_path / "function_app.py").read_text()
    assert text.count("func.FunctionApp()") == 1
    functions = load_functions(tmp_path / "function_app.py")
    assert set(functions) == {"kusto_input", "kusto_output"}
    kusto = {n: next(b for b in bs if b["type"] == "kusto") for n, bs in functions.items()}
    assert kusto["kusto_input"]["direction"] == "IN"
    assert kusto["kusto_output"]["direction"] == "OUT"
    assert kusto["kusto_output"]["tableName"] == "Events"
    assert {kusto[n]["managedServiceIdentity"] for n in kusto} == {CLIENT_ID}
    routes = {
        n: next(b for b in bs if b["type"] == "httpTrigger")["route"] for n, bs in functions.items()
    }
    assert len(set(routes.values())) == 2  # each its own route
    d = kustomi("-o", "json", "doctor", "--project", str(tmp_path))
    assert d.exit_code == 0 and d.json()["data"]["bindings"] == 2, d.stdout


def test_a_users_function_app_gets_the_function_appended(kustomi, tmp_path):
    """Their own app variable, alias and functions (a blueprint too) are kept as they are."""
    user = (
        "import logging\n\nimport azure.functions as af\n\nfrom blueprint import bp\n\n"
        "application = af.FunctionApp(http_auth_level=af.AuthLevel.ANONYMOUS)\n"
        "application.register_functions(bp)\n\n\n"
        '@application.route(route="hello")\n'
        "def hello(req: af.HttpRequest) -> af.HttpResponse:\n"
        '    logging.info("hello")\n    return af.HttpResponse("hi")\n'
    )
    (tmp_path / "function_app.py").write_text(user)
    (tmp_path / "blueprint.py").write_text(
        "import azure.functions as func\n\nbp = func.Blueprint()\n\n\n"
        '@bp.route(route="bp")\ndef from_bp(req: func.HttpRequest) -> func.HttpResponse:\n'
        '    return func.HttpResponse("bp")\n'
    )
    r = snippet(kustomi, tmp_path, "python", "output")
    assert r.exit_code == 0, r.stderr
    text = (tmp_path / "function_app.py").read_text()
    assert text.startswith(user.rstrip("\n"))
    assert "@application.generic_output_binding(" in text and "af.Out[str]" in text
    sys.path.insert(0, str(tmp_path))
    try:
        assert set(load_functions(tmp_path / "function_app.py")) == {
            "hello",
            "from_bp",
            "kusto_output",
        }
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("blueprint", None)


def test_the_same_snippet_twice_changes_nothing(kustomi, tmp_path):
    for lang in ("python", "csharp", "powershell"):
        assert snippet(kustomi, tmp_path, lang, "input").exit_code == 0
        again = snippet(kustomi, tmp_path, lang, "input")
        assert again.exit_code == 0, again.stderr
        assert {c["kind"] for c in again.json()["changes"]} == {"none"}, lang
    assert (tmp_path / "function_app.py").read_text().count("def kusto_input") == 1


@pytest.mark.parametrize(
    ("lang", "script", "words"),
    [
        ("python-v1", "__init__.py", ["def main(req: func.HttpRequest, rows: str)"]),
        ("powershell", "run.ps1", ["param($Request, $rows, $TriggerMetadata)", "-Name Response"]),
    ],
)
def test_function_json_comes_with_its_script(kustomi, tmp_path, lang, script, words):
    r = snippet(kustomi, tmp_path, lang, "input")
    assert r.exit_code == 0, r.stderr
    assert {c["target"] for c in r.json()["changes"]} == {
        "KustoInput/function.json",
        f"KustoInput/{script}",
    }
    code = (tmp_path / "KustoInput" / script).read_text()
    for w in words:
        assert w in code
    if lang == "python-v1":  # it loads, and main takes the bindings function.json names
        import inspect

        scope: dict[str, object] = {}
        exec(compile(code, script, "exec"), scope)
        assert list(inspect.signature(scope["main"]).parameters) == ["req", "rows"]
    import json

    names = {
        b["name"]
        for b in json.loads((tmp_path / "KustoInput/function.json").read_text())["bindings"]
    }
    assert "rows" in names and ("req" in names) == (lang == "python-v1")


@pytest.mark.parametrize(
    ("lang", "existing", "said"),
    [
        ("csharp-isolated", {"KustoInput.cs": "// my own KustoInput\n"}, "KustoInput.cs exists"),
        ("powershell", {"KustoInput/run.ps1": "param($Request)\n"}, "run.ps1 exists"),
        ("python", {"function_app.py": "print('no app here')\n"}, "has none"),
        (
            "python",
            {"function_app.py": "import azure.functions as func\na = func.FunctionApp()\n"
             "b = func.FunctionApp()\n"},
            "a (line 2), b (line 3)",
        ),
        ("python", {"function_app.py": "def broken(:\n"}, "does not parse as Python (line 1)"),
        (
            "python",
            {"function_app.py": "import azure.functions as func\napp = func.FunctionApp()\n\n"
             '@app.route(route="kusto_input")\ndef mine(req):\n    return None\n'},
            "route 'kusto_input' (line 4)",
        ),
        (
            "python",
            {"function_app.py": "import azure.functions as func\napp = func.FunctionApp()\n\n"
             "def kusto_input():\n    return 1\n"},
            "already has a function kusto_input (line 4)",
        ),
        ("java", {"src/main/java/com/function": "a file where a folder goes"}, "is not a folder"),
    ],
)  # fmt: skip
def test_a_file_in_the_way_is_refused_and_left_as_it_was(kustomi, tmp_path, lang, existing, said):
    for rel, text in existing.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    before = sorted((p.relative_to(tmp_path).as_posix(), p.read_bytes()) for p in
                    tmp_path.rglob("*") if p.is_file())  # fmt: skip
    r = snippet(kustomi, tmp_path, lang, "input")
    assert r.exit_code == 2, r.stdout
    assert said in r.stderr and "Hint:" in r.stderr
    assert r.json()["error"]["exitCode"] == 2
    after = sorted((p.relative_to(tmp_path).as_posix(), p.read_bytes()) for p in
                   tmp_path.rglob("*") if p.is_file())  # fmt: skip
    assert after == before  # nothing written, not even the other file of the pair


def test_a_second_database_is_not_merged_over_the_first(kustomi, tmp_path):
    assert snippet(kustomi, tmp_path, "python", "input").exit_code == 0
    before = (tmp_path / "function_app.py").read_text()
    r = snippet(kustomi, tmp_path, "python", "input", db="Telemetry")
    assert r.exit_code == 2 and "function_app.py" in r.stderr and "kusto_input" in r.stderr
    assert (tmp_path / "function_app.py").read_text() == before


def test_dry_run_and_check_write_nothing(kustomi, tmp_path):
    r = snippet(kustomi, tmp_path, "javascript", "output", "--dry-run")
    assert r.exit_code == 0 and r.json()["dryRun"] is True
    assert [c["kind"] for c in r.json()["changes"]] == ["create"]
    r = snippet(kustomi, tmp_path, "javascript", "output", "--check")
    assert r.exit_code == 6
    assert list(tmp_path.iterdir()) == []
    assert snippet(kustomi, tmp_path, "javascript", "output").exit_code == 0
    assert snippet(kustomi, tmp_path, "javascript", "output", "--check").exit_code == 0


def test_the_table_says_what_was_written(kustomi, tmp_path):
    r = kustomi(
        "snippet", "--lang", "typescript", "--direction", "input", "--client-id", CLIENT_ID,
        "--database", "Orders", "--write", "--project", str(tmp_path),
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert "+ create" in r.stdout and "src/functions/kustoInput.ts" in r.stdout
    assert "import {" not in r.stdout  # the code is in the file, not on stdout
    assert (tmp_path / "src/functions/kustoInput.ts").read_text().startswith("import {")

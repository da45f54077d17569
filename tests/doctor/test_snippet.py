"""Every snippet goes to stdout as code, piped or not; written where it goes in a project, it
is read back by doctor with no finding."""

from __future__ import annotations

import json

import pytest

from kustomi.bindings.snippets import LANGUAGES

CLIENT_ID = "6f4c319d-7b85-4743-9f50-ae5a69cd79d6"
CASES = [(lang, d) for lang in LANGUAGES for d in ("input", "output")]


def _args(lang, direction):
    table = ("--table", "Events") if direction == "output" else ()
    return (
        "snippet", "--lang", lang, "--direction", direction, "--client-id", CLIENT_ID,
        "--database", "Orders", *table,
    )  # fmt: skip


def _snippet(kustomi, lang, direction, *more, env=None):
    return kustomi(*_args(lang, direction), *more, env=env)


@pytest.mark.parametrize(("lang", "direction"), CASES, ids=[f"{a}-{b}" for a, b in CASES])
def test_snippet_round_trip(kustomi, tmp_path, lang, direction):
    """Piped (stdout is no terminal here), the code alone; -o json, the report around it;
    --write puts it where data.file says, and doctor finds it right."""
    piped = _snippet(kustomi, lang, direction)
    assert piped.exit_code == 0, piped.stderr
    r = kustomi("-o", "json", *_args(lang, direction))
    assert r.exit_code == 0, r.stderr
    data = r.json()["data"]
    assert piped.stdout == data["code"]
    assert ("Events" in data["code"]) == (direction == "output")
    project = tmp_path / "project"
    project.mkdir()
    w = _snippet(kustomi, lang, direction, "--write", "--project", str(project))
    assert w.exit_code == 0, w.stderr
    assert (project / data["file"]).read_text() == data["code"]
    if data["file"].endswith("function.json"):
        json.loads(data["code"])  # plain JSON, as the host reads it
    # Piped into a file of a project of its own (`kustomi snippet ... > KustoInput.cs`), with
    # the host.json every Functions project has at its root: the same binding, read right.
    piped_project = tmp_path / "piped"
    (piped_project / data["file"]).parent.mkdir(parents=True)
    (piped_project / data["file"]).write_text(piped.stdout)
    (piped_project / "host.json").write_text('{"version": "2.0"}\n')
    for root in (project, piped_project):
        d = kustomi("-o", "json", "doctor", "--project", str(root))
        assert d.exit_code == 0, d.stdout
        findings = d.json()["findings"]
        assert [f["status"] for f in findings] == ["ok"]
        assert findings[0]["file"] == data["file"]
        assert f"ManagedServiceIdentity {CLIENT_ID}" in findings[0]["detail"]
        assert ("input" if direction == "input" else "output") in findings[0]["detail"]
        assert "Connection KustoConnectionStringManagedIdentity" in findings[0]["detail"]
        assert "?" not in findings[0]["detail"].split(": ")[1]  # a function name, not '?'
        assert d.json()["notes"] == [
            "the deployed app was not checked: pass --app and -g (or set app in kustomi.toml)"
        ]


def test_kustomi_output_json_from_the_environment_is_the_report(kustomi):
    r = _snippet(kustomi, "java", "input", env={"KUSTOMI_OUTPUT": "json"})
    assert r.exit_code == 0
    data = r.json()["data"]
    assert data["file"] == "src/main/java/com/function/KustoInputFunction.java"
    assert data["code"].startswith("package com.function;")


def test_table_output_is_the_code_alone(kustomi):
    r = kustomi(
        "-o", "table", "snippet", "--lang", "csharp-isolated", "--direction", "output",
        "--client-id", CLIENT_ID, "--database", "Orders", "--table", "Events",
    )  # fmt: skip
    assert r.exit_code == 0
    assert r.stdout.startswith("using ")
    assert 'ManagedServiceIdentity = "6f4c319d-7b85-4743-9f50-ae5a69cd79d6"' in r.stdout


def test_a_real_pipe_into_a_file_holds_the_code(spawn, tmp_path):
    """As a shell runs `kustomi snippet ... > KustoInput.cs`: the console script, stdout a
    pipe; and a command line click refuses leaves that file empty (the error is on stderr)."""
    ok = spawn(*_args("csharp-isolated", "input")).finish()
    assert ok.exit_code == 0, ok.stderr
    assert ok.stdout.startswith("using Microsoft.Azure.Functions.Worker;")
    assert '[KustoInput(Database: "Orders"' in ok.stdout
    bad = spawn("snippet", "--direction", "input", "--database", "Orders").finish()
    assert bad.exit_code == 2
    assert bad.stdout == "" and "--lang" in bad.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--lang", "cobol", "--direction", "input", "--client-id", CLIENT_ID],
        ["--lang", "java", "--direction", "sideways", "--client-id", CLIENT_ID],
        ["--lang", "java", "--direction", "output", "--client-id", CLIENT_ID],  # no --table
        ["--lang", "java", "--direction", "input", "--client-id", "not-a-guid"],
        ["--lang", "java", "--direction", "input"],  # no identity
        ["--lang", "java", "--direction", "input", "--client-id", CLIENT_ID, "--setting", "a b"],
        ["--lang", "java", "--direction", "input", "--client-id", CLIENT_ID, "--table", "Events"],
        ["--lang", "java", "--direction", "input", "--client-id", CLIENT_ID, "--project", "."],
        [
            "--lang",
            "java",
            "--direction",
            "input",
            "--client-id",
            CLIENT_ID,
            "--write",
            "--project",
            "no/such/dir",
        ],
    ],
)
def test_bad_input_is_exit_2_before_any_request(kustomi, args):
    r = kustomi("snippet", *args, "--database", "Orders")
    assert r.exit_code == 2, r.stderr
    assert r.stdout == "" and "Hint:" in r.stderr  # nothing lands in a file stdout goes to
    r = kustomi("-o", "json", "snippet", *args, "--database", "Orders")
    assert json.loads(r.stdout)["error"]["exitCode"] == 2  # asked for: a JSON error report


def test_identity_by_name_is_looked_up(emu, kustomi):
    ident = kustomi("-o", "json", "create-identity", "-g", "rg-demo", "-n", "id-orders").json()
    client_id = ident["data"]["clientId"]
    r = kustomi(
        "-o", "json", "snippet", "--lang", "python", "--direction", "input",
        "--identity", "id-orders", "-g", "rg-demo", "--database", "Orders",
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert f'managedServiceIdentity="{client_id}"' in r.json()["data"]["code"]


def test_identity_from_the_project_file(emu, kustomi, tmp_path):
    (tmp_path / "kustomi.toml").write_text(
        f'identity = "{CLIENT_ID}"\ndatabase = "Orders"\n[snippet]\ntable = "Events"\n'
    )
    r = kustomi("-o", "json", "snippet", "--lang", "javascript", "--direction", "output")
    assert r.exit_code == 0, r.stderr
    code = r.json()["data"]["code"]
    assert f"managedServiceIdentity: '{CLIENT_ID}'" in code and "tableName: 'Events'" in code

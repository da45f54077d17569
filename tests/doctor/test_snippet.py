"""Every snippet, written where it goes in a project, is read back by doctor with no finding."""

from __future__ import annotations

import json

import pytest

from kustomi.bindings.snippets import LANGUAGES

CLIENT_ID = "6f4c319d-7b85-4743-9f50-ae5a69cd79d6"
CASES = [(lang, d) for lang in LANGUAGES for d in ("input", "output")]


@pytest.mark.parametrize(("lang", "direction"), CASES, ids=[f"{a}-{b}" for a, b in CASES])
def test_snippet_round_trip(kustomi, tmp_path, lang, direction):
    r = kustomi(
        "-o", "json", "snippet", "--lang", lang, "--direction", direction,
        "--client-id", CLIENT_ID, "--database", "Orders", "--table", "Events",
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    data = r.json()["data"]
    path = tmp_path / "project" / data["file"]
    path.parent.mkdir(parents=True)
    path.write_text(data["code"])
    if path.name == "function.json":
        json.loads(data["code"])  # plain JSON, as the host reads it
    d = kustomi("-o", "json", "doctor", "--project", str(tmp_path / "project"))
    assert d.exit_code == 0, d.stdout
    findings = d.json()["findings"]
    assert [f["status"] for f in findings] == ["ok"]
    assert f"ManagedServiceIdentity {CLIENT_ID}" in findings[0]["detail"]
    assert ("input" if direction == "input" else "output") in findings[0]["detail"]
    assert "Connection KustoConnectionStringManagedIdentity" in findings[0]["detail"]
    assert ("Events" in data["code"]) == (direction == "output")


def test_table_output_is_the_code_alone(kustomi):
    r = kustomi(
        "-o", "table", "snippet", "--lang", "csharp-isolated", "--direction", "output",
        "--client-id", CLIENT_ID, "--database", "Orders", "--table", "Events",
    )  # fmt: skip
    assert r.exit_code == 0
    assert r.stdout.startswith("using ")
    assert 'ManagedServiceIdentity = "6f4c319d-7b85-4743-9f50-ae5a69cd79d6"' in r.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--lang", "cobol", "--direction", "input", "--client-id", CLIENT_ID],
        ["--lang", "java", "--direction", "sideways", "--client-id", CLIENT_ID],
        ["--lang", "java", "--direction", "output", "--client-id", CLIENT_ID],  # no --table
        ["--lang", "java", "--direction", "input", "--client-id", "not-a-guid"],
        ["--lang", "java", "--direction", "input"],  # no identity
        ["--lang", "java", "--direction", "input", "--client-id", CLIENT_ID, "--setting", "a b"],
    ],
)
def test_bad_input_is_exit_2_before_any_request(kustomi, args):
    r = kustomi("snippet", *args, "--database", "Orders")
    assert r.exit_code == 2, r.stderr
    assert json.loads(r.stdout)["error"]["exitCode"] == 2  # not a snippet: a JSON error report


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

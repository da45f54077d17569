"""-o none, -o tsv (the Azure CLI's rules) and --query (JMESPath over the JSON report)."""

from __future__ import annotations

import collections

import pytest

from kustomi.model import SCHEMA
from kustomi.output import tsv
from tests.conftest import CL, G

CREATE = ("create-identity", *G, "-n", "id-func")


def test_the_client_id_alone(world, kustomi):
    """The line a script writes: `id=$(kustomi create-identity ... --query data.clientId -o
    tsv)`."""
    r = kustomi(*CREATE, "--query", "data.clientId", "-o", "tsv")
    assert r.exit_code == 0, r.stderr
    client_id = next(i["client_id"] for i in world.state()["identities"] if i["name"] == "id-func")
    assert r.stdout == client_id + "\n"


def test_none_prints_nothing_and_keeps_the_exit_code(world, kustomi):
    ok = kustomi("-o", "none", *CREATE)
    assert ok.exit_code == 0 and ok.stdout == ""
    assert any(i["name"] == "id-func" for i in world.state()["identities"])
    pending = kustomi(
        "--check",
        "-o",
        "none",
        "grant",
        "--role",
        "viewer",
        "--identity",
        "id-func",
        *G,
        *CL,
        "--database",
        "Sales",
    )
    assert pending.exit_code == 6 and pending.stdout == ""
    bad = kustomi(*CREATE, "-o", "none", "--subscription", "nope")
    assert bad.exit_code == 2 and bad.stdout == "" and "not a GUID" in bad.stderr
    snippet = kustomi(
        "snippet",
        "--lang",
        "python",
        "--direction",
        "input",
        "--client-id",
        "6f4c319d-7b85-4743-9f50-ae5a69cd79d6",
        "--database",
        "Sales",
        "-o",
        "none",
    )
    assert snippet.exit_code == 0 and snippet.stdout == ""


def test_tsv_of_a_whole_report_is_one_line_of_its_values_by_key(world, kustomi):
    doc = kustomi(*CREATE, "-o", "json").json()
    line = kustomi(*CREATE, "-o", "tsv").stdout
    assert line.endswith("\n") and line.count("\n") == 1
    cells = line[:-1].split("\t")
    assert len(cells) == len(doc)
    by_key = dict(zip(sorted(doc), cells, strict=True))
    assert by_key["command"] == "create-identity" and by_key["schema"] == SCHEMA
    assert by_key["changes"] == str(len(doc["changes"])) and by_key["data"] == ""
    assert by_key["ok"] == "True" and by_key["dryRun"] == "False"


def test_tsv_of_a_list_is_a_line_per_item_and_a_query_object_keeps_its_order(world, kustomi):
    kustomi(*CREATE)
    kinds = kustomi(*CREATE, "--query", "changes[].kind", "-o", "tsv")
    assert kinds.exit_code == 0 and kinds.stdout == "none\n"
    doc = kustomi(*CREATE, "-o", "json").json()["data"]
    pair = kustomi(*CREATE, "--query", "{z: data.name, a: data.clientId}", "-o", "tsv")
    assert pair.stdout == f"{doc['name']}\t{doc['clientId']}\n"  # the expression's order


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("x", "x\n"),
        (["a", "b"], "a\nb\n"),
        ({"b": 2, "a": 1}, "1\t2\n"),  # an object of the report: by key
        (collections.OrderedDict([("b", 2), ("a", 1)]), "2\t1\n"),  # built by --query
        ([{"b": 1, "a": [1, 2, 3]}, {"b": None, "a": {"x": 1}}], "3\t1\n\tNone\n"),
        ([["a", True], ["b", False]], "a\tTrue\nb\tFalse\n"),
        (True, "true\n"),
        (3, "3\n"),
    ],
)
def test_tsv_follows_the_azure_cli(value, text):
    assert tsv(value) == text


def test_query_selects_from_the_json_report_in_every_format(world, kustomi):
    data = kustomi(*CREATE, "--query", "data", "-o", "json")
    assert data.exit_code == 0 and set(data.json()) >= {"clientId", "principalId", "name"}
    table = kustomi(*CREATE, "--query", "data.name", "-o", "table")
    assert table.exit_code == 0 and table.stdout == "id-func\n"
    nothing = kustomi(*CREATE, "--query", "data.noSuchKey", "-o", "json")
    assert nothing.exit_code == 0 and nothing.stdout == ""  # az prints nothing for null
    code = kustomi(
        "snippet",
        "--lang",
        "python",
        "--direction",
        "input",
        "--client-id",
        "6f4c319d-7b85-4743-9f50-ae5a69cd79d6",
        "--database",
        "Sales",
        "--query",
        "data.code",
        "-o",
        "tsv",
    )
    assert code.exit_code == 0 and "6f4c319d-7b85-4743-9f50-ae5a69cd79d6" in code.stdout


@pytest.mark.parametrize("where", ["before", "after"])
def test_a_bad_query_is_exit_2_before_any_request(world, kustomi, where):
    world.clear_log()
    q = ("--query", "data.[")
    r = kustomi(*q, *CREATE, "-o", "json") if where == "before" else kustomi(*CREATE, *q)
    assert r.exit_code == 2, r.stderr
    assert "--query 'data.[' is not a JMESPath expression" in r.stderr
    assert r.json()["error"]["exitCode"] == 2
    assert world.requests() == []


def test_the_report_s_keys_are_camel_case_and_its_schema_is_2(world, kustomi):
    doc = kustomi("--dry-run", *CREATE, "-o", "json").json()
    assert doc["schema"] == "kustomi.report/2"
    assert list(doc) == [
        "schema",
        "command",
        "dryRun",
        "changes",
        "findings",
        "data",
        "notes",
        "errors",
        "ok",
    ]
    assert "dry_run" not in kustomi(*CREATE, "-o", "json").stdout

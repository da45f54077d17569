"""Hints that name the real fix, with the fix runnable as printed."""

from __future__ import annotations

from tests.conftest import G


def test_the_ingestion_endpoint_is_refused_naming_the_cluster(world, kustomi):
    """The emulator's dataIngestionUri (as Azure's, with the ingest- prefix; in a custom
    cloud, in the path): exit 2 before any request, the hint giving the cluster's URI."""
    assert kustomi("create-identity", *G, "-n", "id-func").exit_code == 0
    ingest = f"{world.url}/kusto/ingest-adxbusy"
    world.clear_log()
    args = ["grant", "--role", "viewer", "--identity", "id-func", *G, "--database", "Sales"]
    r = kustomi(*args, "--cluster", ingest)
    assert r.exit_code == 2 and world.requests() == []
    assert "ingestion endpoint" in r.stderr
    engine = f"{world.url}/kusto/adxbusy"
    assert f"pass --cluster {engine}." in r.stderr
    assert kustomi(*args, "--cluster", engine).exit_code == 0


def test_an_identity_in_another_group_is_found_there_with_the_flag_that_names_it(world, kustomi):
    assert kustomi("create-identity", "-g", "rg-data", "-n", "id-func").exit_code == 0
    args = ["attach", "--app", "func-busy", *G, "--identity", "id-func"]
    r = kustomi(*args)
    assert r.exit_code == 3
    assert "is in resource group rg-data: pass --identity-resource-group rg-data. Or " in r.stderr
    assert kustomi(*args, "--identity-resource-group", "rg-data").exit_code == 0


def test_a_mistyped_identity_gets_the_nearest_names(world, kustomi):
    assert kustomi("create-identity", *G, "-n", "id-orders").exit_code == 0
    r = kustomi("attach", "--app", "func-busy", *G, "--identity", "id-ordres")
    assert r.exit_code == 3 and "Did you mean id-orders (in rg-app)?" in r.stderr, r.stderr


def test_a_cluster_and_an_app_in_another_group_are_named_with_the_flag(world, kustomi):
    assert kustomi("create-identity", *G, "-n", "id-func").exit_code == 0
    grant = ["grant", "--role", "viewer", "--identity", "id-func", *G, "--cluster", "adxbusy"]
    r = kustomi(*grant, "--database", "Sales")
    assert r.exit_code == 3
    assert "pass --cluster-resource-group rg-data" in r.stderr, r.stderr
    assert (
        kustomi(*grant, "--cluster-resource-group", "rg-data", "--database", "Sales").exit_code == 0
    )
    attach = ["attach", "--app", "func-busy", "-g", "rg-data", "--identity", "id-func"]
    r = kustomi(*attach, "--identity-resource-group", "rg-app")
    assert r.exit_code == 3
    assert "Function app func-busy is in resource group rg-app: pass -g rg-app." in r.stderr


def test_a_mistyped_cluster_or_app_gets_the_nearest_names(world, kustomi):
    assert kustomi("create-identity", *G, "-n", "id-func").exit_code == 0
    r = kustomi("grant", "--role", "viewer", "--identity", "id-func", *G, "--cluster", "adxbusz",
                "--cluster-resource-group", "rg-data", "--database", "Sales")  # fmt: skip
    assert r.exit_code == 3 and "Did you mean adxbusy?" in r.stderr, r.stderr
    r = kustomi("attach", "--app", "func-bussy", *G, "--identity", "id-func")
    assert r.exit_code == 3 and "Did you mean func-busy (in rg-app)?" in r.stderr, r.stderr


def test_a_mistyped_database_gets_the_nearest_names(world, kustomi):
    assert kustomi("create-identity", *G, "-n", "id-func").exit_code == 0
    grant = ["grant", "--role", "viewer", "--identity", "id-func", *G, "--cluster", "adxbusy",
             "--cluster-resource-group", "rg-data"]  # fmt: skip
    r = kustomi(*grant, "--database", "Saless")
    assert r.exit_code == 3 and "Did you mean Sales?" in r.stderr, r.stderr
    assert kustomi(*grant, "--database", "Sales").exit_code == 0

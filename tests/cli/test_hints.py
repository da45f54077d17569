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

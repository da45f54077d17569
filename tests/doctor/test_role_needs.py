"""doctor --app: the roles each binding direction needs, as the identity holds them."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import CL, G


def _wired(kustomi, role: str) -> str:
    """id-func with `role` on Sales, attached to func-busy, its setting there: its client id."""
    r = kustomi("-o", "json", "create-identity", *G, "-n", "id-func")
    assert r.exit_code == 0, r.stderr
    grant = ("grant", "--role", role, "--identity", "id-func", *G, *CL, "--database", "Sales")
    assert kustomi(*grant).exit_code == 0
    assert kustomi("attach", "--app", "func-busy", *G, "--identity", "id-func").exit_code == 0
    setting = ("set-connection", "--app", "func-busy", *G, *CL, "--database", "Sales")
    assert kustomi(*setting).exit_code == 0
    return r.json()["data"]["clientId"]  # type: ignore[no-any-return]


def _doctor(kustomi, root: Path, client_id: str, direction: str):
    snippet = kustomi(
        "-o", "json", "snippet", "--lang", "csharp-isolated", "--direction", direction,
        "--client-id", client_id, "--database", "Sales",
        *(("--table", "Events") if direction == "output" else ()),
    )  # fmt: skip
    assert snippet.exit_code == 0, snippet.stderr
    root.mkdir()
    (root / f"{direction}.cs").write_text(snippet.json()["data"]["code"])
    return kustomi("-o", "json", "doctor", "--project", str(root), "--app", "func-busy", *G)


def test_an_input_binding_is_not_served_by_ingestor(world, kustomi, tmp_path):
    client_id = _wired(kustomi, "ingestor")
    r = _doctor(kustomi, tmp_path / "p", client_id, "input")
    assert r.exit_code == 6
    role = next(f for f in r.json()["findings"] if f["check"] == "role")
    assert role["status"] == "role_mismatch", role
    assert "an input binding needs Admin or UnrestrictedViewer or User or Viewer" in role["detail"]
    assert role["hint"].startswith(f"kustomi grant --role viewer --identity {client_id}")


def test_an_input_binding_is_served_by_user(world, kustomi, tmp_path):
    client_id = _wired(kustomi, "user")
    r = _doctor(kustomi, tmp_path / "p", client_id, "input")
    assert r.exit_code == 0, r.stdout
    role = next(f for f in r.json()["findings"] if f["check"] == "role")
    assert role["status"] == "ok" and "holds User" in role["detail"]

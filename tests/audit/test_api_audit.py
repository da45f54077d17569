"""Kustomi.audit: the CLI's audit and migration, from Python."""

from __future__ import annotations

import pytest

from kustomi.api import Kustomi
from kustomi.errors import UsageError
from tests.audit.worlds import SECRETS, audit_world


def test_audit_emit_and_setup_from_python(emu_factory, tmp_path):
    world = emu_factory(audit_world())
    said: list[str] = []
    with Kustomi(progress=said.append) as k:
        report = k.audit(resource_groups=["rg-legacy"], emit_setup=tmp_path / "kustomi.toml")
        assert not report.ok and report.data["secretBearing"] == 5
        assert world.writes() == []
        text = (tmp_path / "kustomi.toml").read_text()
        assert not [s for s in SECRETS.values() if s in text or any(s in x for x in said)]
        k.setup(k.spec_from_file(tmp_path / "kustomi.toml"), force=True)
        assert k.audit(resource_groups=["rg-legacy"]).ok


def test_bad_input_is_refused_before_any_request(emu_factory, tmp_path):
    world = emu_factory(audit_world())
    (tmp_path / "taken.toml").write_text("")
    with Kustomi() as k:
        with pytest.raises(UsageError, match="exists"):
            k.audit(emit_setup=tmp_path / "taken.toml")
        with pytest.raises(UsageError, match="list of strings"):
            k.audit(resource_groups="rg-app")  # type: ignore[arg-type]
    assert world.requests() == []

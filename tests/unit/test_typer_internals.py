"""kustomi/cli leans on a few typer internals (no public API gives them): the pydantic-free
coercion of plain option values (params.py), click's exception and parameter-source types as
typer vendors them (cli/__init__.py, global_options.py), and click's shortening of a command's
help for the root's list (cli/__init__.py, CommandTree). pyproject.toml pins typer to the range
they hold in; this fails when an installed typer leaves it or drops one of them, so that a
typer upgrade is a deliberate change, tested, not a surprise for a user."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 (tomli is a dependency there)
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]


def _pinned() -> SpecifierSet:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    [typer] = [d for d in deps if d.split(">")[0].split("<")[0].split("=")[0].strip() == "typer"]
    return SpecifierSet(typer.removeprefix("typer"))


def test_the_installed_typer_is_in_the_pinned_range():
    import typer

    spec = _pinned()
    assert spec.filter([typer.__version__]), (typer.__version__, str(spec))
    assert "<" in str(spec), "an upper bound: the internals below may change in any release"
    assert not spec.contains(Version("0.30.0"))


def test_the_internals_kustomi_uses_are_there():
    coercion = importlib.import_module("typer._coercion")
    assert callable(coercion.build_runtime_param)
    exceptions = importlib.import_module("typer._click.exceptions")
    assert issubclass(exceptions.ClickException, Exception)
    core = importlib.import_module("typer._click.core")
    assert {"COMMANDLINE", "ENVIRONMENT", "DEFAULT_MAP"} <= set(core.ParameterSource.__members__)
    import typer.core

    assert hasattr(typer.core, "TyperCommand") and hasattr(typer.core, "TyperGroup")
    # The root's command list, written without building each command (cli/__init__.py).
    utils = importlib.import_module("typer._click.utils")
    assert utils.make_default_short_help("One line. More.", 45) == "One line."

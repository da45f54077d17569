"""kustomi.toml: a project's defaults for command options, so that a team types
`kustomi verify` instead of six flags. Flags win, then environment variables, then this file
(click's default_map gives that order). It holds names only: no key in it can carry a secret,
since every key must be an option of a command, and no option takes one.

    subscription = "00000000-0000-0000-0000-000000000000"
    resource-group = "rg-orders"         # top level: every command that has the option
    app = "func-orders"
    identity = "id-orders"
    cluster = "adxorders"
    database = "Orders"

    [verify]                             # a table: one command only
    role = "viewer"
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import UsageError

FILE_NAME = "kustomi.toml"
# [setup]'s arrays of tables: the grants and the apps of setup and revoke (kustomi/spec.py).
FLEET_ARRAYS = ("grants", "apps")
ROOT_KEYS = {"subscription": "subscription"}

# command -> {option as typed, without the dashes -> parameter name}
Options = Mapping[str, Mapping[str, str]]


def find(env: Mapping[str, str], cwd: Path) -> Path | None:
    """KUSTOMI_CONFIG if set (it must exist), else ./kustomi.toml if there is one."""
    explicit = env.get("KUSTOMI_CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise UsageError(
                f"KUSTOMI_CONFIG names {explicit!r}, which is not a file.",
                hint="Point it at a kustomi.toml, or unset it.",
            )
        return path
    path = cwd / FILE_NAME
    return path if path.is_file() else None


def load(path: Path, options: Options) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """The file as (default_map per command, root option values). Any key that is not an
    option is refused, naming the file, so that a typo is not silently ignored."""
    text, doc = read_toml(path)
    per_command: dict[str, dict[str, Any]] = {cmd: {} for cmd in options}
    root: dict[str, Any] = {}
    shared: dict[str, Any] = {}
    for key, value in doc.items():
        if isinstance(value, dict):
            if key not in options:
                raise _unknown(path, f"[{key}]", "a command", sorted(options))
            for opt, v in value.items():
                if key == "setup" and opt in FLEET_ARRAYS:
                    from .spec import Table  # spec's checks are for a file that is there

                    root.setdefault("setup", Table(path, text))
                    setattr(root["setup"], opt, _entries(path, opt, v))
                    continue
                if opt not in options[key]:
                    raise _unknown(path, f"{opt} in [{key}]", "an option", sorted(options[key]))
                per_command[key][options[key][opt]] = _scalar(path, opt, v)
        elif key in ROOT_KEYS:
            root[ROOT_KEYS[key]] = _scalar(path, key, value)
        elif any(key in opts for opts in options.values()):
            shared[key] = _scalar(path, key, value)
        else:
            known = sorted({*ROOT_KEYS, *(o for opts in options.values() for o in opts)})
            raise _unknown(path, key, "an option", known)
    # revoke undoes what [setup] describes: it reads that table's keys too.
    if "revoke" in per_command and isinstance(doc.get("setup"), dict):
        for opt, value in doc["setup"].items():
            if opt in options["revoke"] and opt not in FLEET_ARRAYS:
                per_command["revoke"].setdefault(options["revoke"][opt], _scalar(path, opt, value))
    for cmd, opts in options.items():
        for key, value in shared.items():
            if key in opts:
                per_command[cmd].setdefault(opts[key], value)  # a command's table wins
    return {c: d for c, d in per_command.items() if d}, root


def read_toml(path: Path) -> tuple[str, dict[str, Any]]:
    """A TOML file's text and document; an unreadable one is bad input (exit 2)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

    try:
        text = path.read_text(encoding="utf-8")
        return text, tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise UsageError(f"{path} cannot be read: {e}", hint="It must be a TOML file.") from None
    except RecursionError:  # tomllib parses nested arrays and tables recursively
        raise UsageError(
            f"{path} cannot be read: its arrays or tables are nested too deeply.",
            hint="kustomi.toml holds option values and [[setup.grants]] / [[setup.apps]] "
            "tables; nothing in it is nested more than two levels.",
        ) from None


def _entries(path: Path, name: str, value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise UsageError(
            f"{path}: {name} in [setup] must be a list of tables.",
            hint=f"Write each one as [[setup.{name}]] with its keys below it.",
        )
    return value


def _scalar(path: Path, key: str, value: Any) -> str | int | float | bool:
    """A value as click takes it from a default_map; each command validates it further
    (a number of seconds is checked to be finite, for example: TOML has nan and inf)."""
    if isinstance(value, str):
        from .config import text

        return text(value, f"{path}: {key}")
    if isinstance(value, (int, float, bool)):
        return value
    raise UsageError(
        f"{path}: {key} must be a string, a number or true/false.",
        hint=f'For example {key} = "value".',
    )


def _unknown(path: Path, what: str, kind: str, known: list[str]) -> UsageError:
    return UsageError(
        f"{path}: {what} is not {kind} of kustomi.", hint="Known: " + ", ".join(known)
    )

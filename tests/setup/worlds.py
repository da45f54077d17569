"""Worlds for the setup and revoke tests."""

from __future__ import annotations

from typing import Any

from tests.cli.worlds import TWENTY_SETTINGS, busy_world


def fleet_world(n: int = 10) -> dict[str, Any]:
    """The busy world plus `n` more apps (func-00 ...), each with settings and identities of
    its own: a system-assigned one on the even ones, id-other on every third."""
    doc = busy_world()
    for i in range(n):
        doc["sites"].append(
            {
                "resource_group": "rg-app",
                "name": f"func-{i:02d}",
                "kind": "functionapp",
                "system_assigned": i % 2 == 0,
                "user_assigned": ["rg-app/id-other"] if i % 3 == 0 else [],
                "app_settings": {"FUNCTIONS_WORKER_RUNTIME": "python", "N": str(i)},
            }
        )
    return doc


def wiring(state: dict[str, Any]) -> dict[str, Any]:
    """What setup and revoke may touch, to compare before and after: every site's identities
    and settings, every identity, every principal of every database."""
    return {
        "sites": sorted(
            (
                s["resource_group"],
                s["name"],
                s["slot"] or "",
                str(s["system_assigned"]),  # the same principal, not a new one
                sorted(u.lower() for u in s["user_assigned"]),
                sorted(s["app_settings"].items()),
            )
            for s in state["sites"]
        ),
        "identities": sorted((i["resource_group"], i["name"]) for i in state["identities"]),
        "principals": sorted(
            (c["name"], d["name"], p["role"], p["app_id"])
            for c in state["clusters"]
            for d in c["databases"]
            for p in d["principals"]
        ),
    }


__all__ = ["TWENTY_SETTINGS", "fleet_world", "wiring"]

"""Fault injection and latency, set per scenario or through the admin API.

A fault rule is a JSON object:
  {"route": "<route name or prefix>", "method": "PUT", "kind": "status", "status": 429,
   "retry_after": 1, "times": 2}
kinds: `status` (answer with that status and the service's error body), `drop` (close the
connection without answering), `slow` (answer normally after `seconds`), `body` (answer
`status`, default 200, with the JSON `body` as given, without serving the request: a
malformed answer), `mangled` (serve the request, a write included, then answer its status and
headers with the JSON `body` as given, or with `text` as it is: a malformed answer to what was
done), `tick` (once the request is served, the world's clock moves `seconds` on: with the
clock frozen, an LRO or a propagation delay ends exactly after a given request), `lro_failed`
(the next long-running operation on that route ends Failed), `concurrent_appsettings` (right
after an app-settings read on that route, another writer adds `set` to the settings, as a
deployment pipeline might), `stale_appsettings` (right after an app-settings PUT, another
writer that read before it writes its stale copy back, adding STALE_WRITER: the PUT is lost;
with `seconds`, that copy lands that long after the PUT has answered, as a slower writer's
would).
`path` limits a rule to requests whose path contains it (case-insensitive: one app of a
fleet, say "/sites/func-07"). `after` lets that many matching requests through first (to hit,
say, the second read of a route); `times` counts down; a rule without it applies forever.
"""

from __future__ import annotations

from typing import Any

from .state import World


def take(
    world: World, route: str, method: str, kinds: tuple[str, ...], path: str = ""
) -> dict[str, Any] | None:
    """The first live rule of one of `kinds` that matches; counts one use of it."""
    with world.lock:
        for rule in world.faults:
            if rule.get("kind", "status") not in kinds:
                continue
            if not route.startswith(rule.get("route", "")):
                continue
            if rule.get("method") and rule["method"].upper() != method:
                continue
            if rule.get("path") and rule["path"].lower() not in path.lower():
                continue
            if rule.get("after", 0) > 0:
                rule["after"] -= 1
                continue
            times = rule.get("times")
            if times is not None:
                if times <= 0:
                    continue
                rule["times"] = times - 1
            return rule
    return None

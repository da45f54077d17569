"""Requests, responses, routing and resource ids for the emulator: no Azure semantics here."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    base_url: str  # https://127.0.0.1:PORT
    params: dict[str, str] = field(default_factory=dict)  # from the route pattern
    claims: dict[str, Any] | None = None  # the verified bearer token, once checked

    def json(self) -> Any:
        if not self.body:
            return None
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering (fault injection)


class HttpError(Exception):
    """An error answer, raised from anywhere under a handler; `Emulator.handle` sends it."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def json_response(status: int, doc: Any, headers: dict[str, str] | None = None) -> Response:
    h = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    return Response(status, json.dumps(doc).encode(), h)


def arm_error(status: int, code: str, message: str, **extra: Any) -> Response:
    """ARM's common-types ErrorResponse envelope: {"error": {"code", "message", ...}}
    (specification/common-types/resource-management/v5/types.json, ErrorResponse)."""
    return json_response(
        status,
        {"error": {"code": code, "message": message, **extra}},
        {"x-ms-request-id": str(uuid.uuid4()), "x-ms-correlation-request-id": str(uuid.uuid4())},
    )


class ArmError(HttpError):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(arm_error(status, code, message))


class AppServiceError(HttpError):
    """App Service's own capitalised, unwrapped error body, which the SDK cannot parse into
    `e.error` (shape from Azure/azure-libraries-for-net#1079)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        entity = {
            "ExtendedCode": "04010",
            "MessageTemplate": message,
            "Parameters": [],
            "Code": code,
            "Message": message,
        }
        body = {
            "Code": code,
            "Message": message,
            "Target": None,
            "Details": [{"Message": message}, {"Code": code}, {"ErrorEntity": entity}],
            "Innererror": None,
        }
        super().__init__(json_response(status, body))


@dataclass(frozen=True)
class ResourceId:
    """An ARM path split into its parts. `types` and `names` alternate after the provider
    namespace; a path with an odd number of segments there ends in an action (`types[-1]`)."""

    subscription: str | None
    resource_group: str | None
    namespace: str
    types: tuple[str, ...]
    names: tuple[str, ...]

    @property
    def type(self) -> str:
        return "/".join(self.types)


def parse_resource_id(path: str) -> ResourceId:
    segments = [unquote(s) for s in path.strip("/").split("/") if s]
    lower = [s.lower() for s in segments]
    sub = segments[1] if lower[:1] == ["subscriptions"] and len(segments) > 1 else None
    rg = segments[3] if lower[2:3] == ["resourcegroups"] and len(segments) > 3 else None
    if "providers" not in lower:
        kind = "resourceGroups" if lower[2:3] == ["resourcegroups"] else "subscriptions"
        return ResourceId(sub, rg, "Microsoft.Resources", (kind,), tuple(segments[3:4]))
    at = len(lower) - 1 - lower[::-1].index("providers")  # the last one: nested extensions
    namespace = segments[at + 1] if at + 1 < len(segments) else ""
    rest = segments[at + 2 :]
    return ResourceId(sub, rg, namespace, tuple(rest[0::2]), tuple(rest[1::2]))


Handler = Callable[[Request], Response]
# One route: method, path pattern ({name} matches one segment), handler, route name.
Route = tuple[str, str, Handler, str]


@dataclass
class Match:
    handler: Handler
    params: dict[str, str]
    name: str


class Router:
    """Routes by method and a path pattern; ARM matches path segments case-insensitively."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler, str]] = []

    def add(self, method: str, pattern: str, handler: Handler, name: str) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
        self._routes.append((method, re.compile(f"^{regex}/?$", re.IGNORECASE), handler, name))

    def add_all(self, routes: list[Route]) -> None:
        for method, pattern, handler, name in routes:
            self.add(method, pattern, handler, name)

    def match(self, method: str, path: str) -> Match | None:
        for m, rx, handler, name in self._routes:
            found = rx.match(path)
            if found and m == method:
                # Path segments arrive percent-encoded (a database named "Sales Archive" is
                # Sales%20Archive on the wire); the services see the decoded name.
                return Match(handler, {k: unquote(v) for k, v in found.groupdict().items()}, name)
        return None

    def path_known(self, path: str) -> bool:
        return any(rx.match(path) for _, rx, _, _ in self._routes)

"""Requests, responses and routing for the emulator: no Azure semantics here."""

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


def json_response(status: int, doc: Any, headers: dict[str, str] | None = None) -> Response:
    h = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    return Response(status, json.dumps(doc).encode(), h)


def arm_error(status: int, code: str, message: str, **extra: Any) -> Response:
    """ARM's common-types ErrorResponse envelope (ARM.md D)."""
    return json_response(
        status,
        {"error": {"code": code, "message": message, **extra}},
        {"x-ms-request-id": str(uuid.uuid4()), "x-ms-correlation-request-id": str(uuid.uuid4())},
    )


def app_service_error(status: int, code: str, message: str) -> Response:
    """App Service's own capitalised, unwrapped error body (ARM.md C, "Web error shapes")."""
    return json_response(
        status,
        {
            "Code": code,
            "Message": message,
            "Target": None,
            "Details": [
                {"Message": message},
                {"Code": code},
                {
                    "ErrorEntity": {
                        "ExtendedCode": "04010",
                        "MessageTemplate": message,
                        "Parameters": [],
                        "Code": code,
                        "Message": message,
                    }
                },
            ],
            "Innererror": None,
        },
    )


Handler = Callable[[Request], Response]


class Router:
    """Routes by method and a path pattern; ARM matches path segments case-insensitively."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler, str]] = []

    def add(self, method: str, pattern: str, handler: Handler, name: str) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
        self._routes.append((method, re.compile(f"^{regex}/?$", re.IGNORECASE), handler, name))

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str], str] | None:
        for m, rx, handler, name in self._routes:
            found = rx.match(path)
            if found and m == method:
                # Path segments arrive percent-encoded (a database named "Sales Archive" is
                # Sales%20Archive on the wire); the services see the decoded name.
                return handler, {k: unquote(v) for k, v in found.groupdict().items()}, name
        return None

    def path_known(self, path: str) -> bool:
        return any(rx.match(path) for _, rx, _, _ in self._routes)

"""What every ARM request goes through before a provider sees it: token, api-version,
subscription, the operator's role, the resource group; plus the long-running-operation store.

Sources: the 404/403 bodies ARM sends (Azure/azure-powershell#10638 for ResourceGroupNotFound,
Azure/azure-cli#30992 for ResourceNotFound); the LRO protocol as azure-core polls it
(azure/core/polling/base_polling.py, azure/mgmt/core/polling/arm_polling.py) and as
https://learn.microsoft.com/azure/azure-resource-manager/management/async-operations
describes it.
"""

from __future__ import annotations

import math
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .entra import ARM_AUDIENCES, TokenIssuer, bearer
from .state import World
from .wire import (
    ArmError,
    Handler,
    Request,
    Response,
    Route,
    json_response,
    parse_resource_id,
)

# POST actions that only read and that a Reader may call.
READ_ACTIONS = ("checkprincipalassignmentnameavailability",)


@dataclass
class Operation:
    status: str  # Running | Succeeded | Failed
    polls_left: int
    on_done: Callable[[bool], None] | None = None
    error: dict[str, str] | None = None


@dataclass
class ArmContext:
    world: World
    issuer: TokenIssuer
    operations: dict[str, Operation] = field(default_factory=dict)
    op_lock: threading.Lock = field(default_factory=threading.Lock)

    def guarded(self, handler: Handler) -> Handler:
        """`handler` behind the gate every ARM request passes."""

        def serve(req: Request) -> Response:
            self.guard(req)
            return handler(req)

        return serve

    def guard(self, req: Request) -> None:
        token = bearer(req)
        if token is None:
            raise ArmError(
                401,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
            )
        claims = self.issuer.verify(token, (*ARM_AUDIENCES, req.base_url))
        if claims is None:
            raise ArmError(
                401, "InvalidAuthenticationToken", "The access token is invalid or has expired."
            )
        req.claims = claims
        _check_api_version(req)
        sub = req.params.get("sub")
        if sub is not None and sub.lower() != self.world.subscription_id:
            raise ArmError(
                404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found."
            )
        op = self.world.operator_by_client_id(str(claims.get("appid", "")))
        role = op.role if op else None
        write = req.method in ("PUT", "PATCH", "DELETE") or (
            req.method == "POST" and not req.path.lower().endswith(READ_ACTIONS)
        )
        if role is None or (write and role == "Reader"):
            raise ArmError(
                403,
                "AuthorizationFailed",
                f"The client '{claims.get('appid')}' with object id '{claims.get('oid')}' does "
                f"not have authorization to perform action '{_action(req)}' over scope "
                f"'{_scope(req.path)}' or the scope is invalid. If access was recently granted, "
                "please refresh your credentials.",
            )
        rg = req.params.get("rg")
        if rg is not None and "/providers/" in req.path.lower():
            self.resource_group(rg)

    def resource_group(self, rg: str) -> dict[str, Any]:
        found = self.world.resource_groups.get(rg.lower())
        if found is None:
            raise ArmError(
                404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found."
            )
        return found

    # --- long-running operations ---------------------------------------------------------
    def start_operation(
        self,
        req: Request,
        location: str,
        provider: str,
        on_done: Callable[[bool], None],
        fail: dict[str, str] | None = None,
    ) -> dict[str, str]:
        """Register an operation; returns the Azure-AsyncOperation/Location/Retry-After headers."""
        op_id = str(uuid.uuid4())
        with self.op_lock:
            self.operations[op_id] = Operation(
                status="Running",
                polls_left=self.world.knobs.lro_running_polls,
                on_done=on_done,
                error=fail,
            )
        api = req.query.get("api-version", "")
        url = (
            f"{req.base_url}/subscriptions/{self.world.subscription_id}/providers/{provider}/"
            f"locations/{location}/operationResults/{op_id}?api-version={api}"
        )
        # The specs type this header as an integer (azure-mgmt-kusto deserializes it with
        # "int"); clients wait for the status monitor's Retry-After, not this one.
        retry = str(math.ceil(self.world.knobs.lro_retry_after))
        return {"Azure-AsyncOperation": url, "Location": url, "Retry-After": retry}

    def _retry_after(self) -> dict[str, str]:
        # azure-core reads seconds as a float; it treats 0 as absent and falls back to the
        # client's polling_interval, 30 s by default (_extract_delay in
        # azure/core/polling/base_polling.py).
        return {"Retry-After": f"{self.world.knobs.lro_retry_after:g}"}

    def operation_status(self, req: Request) -> Response:
        op_id = req.params["op"]
        with self.op_lock:
            op = self.operations.get(op_id)
            if op is None:
                raise ArmError(404, "ResourceNotFound", f"Operation '{op_id}' was not found.")
            if op.status == "Running" and op.polls_left > 0:
                op.polls_left -= 1
            elif op.status == "Running":
                op.status = "Failed" if op.error is not None else "Succeeded"
                if op.on_done:
                    op.on_done(op.status == "Succeeded")
        body: dict[str, Any] = {
            "id": req.path,
            "name": op_id,
            "status": op.status,
            "startTime": "2026-01-01T00:00:00Z",
            "percentComplete": 1.0 if op.status != "Running" else 0.5,
            "properties": {"operationKind": "PrincipalAssignment", "operationState": op.status},
        }
        if op.status != "Running":
            body["endTime"] = "2026-01-01T00:00:01Z"
        if op.status == "Failed" and op.error:
            body["error"] = op.error
        return json_response(200, body, self._retry_after() if op.status == "Running" else {})

    def routes(self) -> list[Route]:
        ops = "arm.operationResults"
        sub = "/subscriptions/{sub}/providers/{provider}"
        return [
            ("GET", sub + "/locations/{loc}/operationResults/{op}", self.operation_status, ops),
            ("GET", sub + "/sites/{site}/operationResults/{op}", self.operation_status, ops),
        ]


class Provider:
    """One ARM resource provider: a handler method per route, listed by `routes`."""

    def __init__(self, ctx: ArmContext) -> None:
        self.ctx = ctx
        self.world = ctx.world

    def routes(self) -> list[Route]:
        raise NotImplementedError


# The api-versions each provider answers here: the installed SDKs' defaults and the recent ones
# other clients (the az CLI, older SDKs) send. ARM refuses any other.
API_VERSIONS = {
    "microsoft.managedidentity": {
        "2024-11-30",
        "2023-07-31-preview",
        "2023-01-31",
        "2022-01-31-preview",
        "2021-09-30-preview",
        "2018-11-30",
    },
    "microsoft.kusto": {
        "2025-02-14",
        "2024-04-13",
        "2023-08-15",
        "2023-05-02",
        "2022-12-29",
        "2022-11-11",
        "2022-07-07",
        "2022-02-01",
    },
    "microsoft.web": {
        "2025-05-01",
        "2024-11-01",
        "2024-04-01",
        "2023-12-01",
        "2023-01-01",
        "2022-09-01",
        "2022-03-01",
        "2021-03-01",
    },
    "microsoft.resources": {
        "2025-04-01",
        "2024-11-01",
        "2024-07-01",
        "2024-03-01",
        "2023-07-01",
        "2022-12-01",
        "2022-09-01",
        "2021-04-01",
        "2021-01-01",
        "2020-06-01",
        "2020-01-01",
        "2019-11-01",
        "2019-10-01",
        "2016-06-01",
    },
}


def _check_api_version(req: Request) -> None:
    version = req.query.get("api-version")
    if not version:
        raise ArmError(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    rid = parse_resource_id(req.path)
    allowed = API_VERSIONS.get(rid.namespace.lower(), API_VERSIONS["microsoft.resources"])
    if version not in allowed:
        raise ArmError(
            400,
            "NoRegisteredProviderFound",
            f"No registered resource provider found for API version '{version}' "
            f"and type '{rid.namespace.lower()}'. The supported api-versions are "
            f"'{', '.join(sorted(allowed, reverse=True))}'.",
        )


def require_location(doc: dict[str, Any]) -> str:
    """A tracked resource's PUT needs a location (ARM's LocationRequired)."""
    if not doc.get("location"):
        raise ArmError(
            400, "LocationRequired", "The location property is required for this definition."
        )
    return str(doc["location"])


def resource_not_found(type_: str, name: str, rg: str) -> ArmError:
    return ArmError(
        404,
        "ResourceNotFound",
        f"The Resource '{type_}/{name}' under resource group '{rg}' was not found. For more "
        "details please go to https://aka.ms/ARMResourceNotFoundFix",
    )


def paged(req: Request, items: list[dict[str, Any]], page_size: int = 100) -> Response:
    """A list body, paged with an absolute nextLink back to the emulator, which the SDKs
    follow to any host (azure.core.paging.ItemPaged)."""
    start = int(req.query.get("$skiptoken", "0") or 0)
    body: dict[str, Any] = {"value": items[start : start + page_size]}
    if start + page_size < len(items):
        api = req.query.get("api-version", "")
        body["nextLink"] = (
            f"{req.base_url}{req.path}?api-version={api}&$skiptoken={start + page_size}"
        )
    return json_response(200, body)


def _scope(path: str) -> str:
    """The scope ARM names in AuthorizationFailed: the path without a trailing action; for a
    config list action (config/appsettings/list), the site."""
    rid = parse_resource_id(path)
    segments = path.rstrip("/").split("/")
    if len(rid.types) > len(rid.names):
        drop = 3 if [t.lower() for t in rid.types[-2:]] == ["config", "list"] else 1
        segments = segments[:-drop]
    return "/".join(segments)


def _action(req: Request) -> str:
    """The RBAC action a request needs, as ARM names it in AuthorizationFailed:
    Microsoft.Web/sites/slots/write, Microsoft.Web/sites/config/list/action, ..."""
    rid = parse_resource_id(req.path)
    if req.method == "POST":
        return "/".join([rid.namespace, *rid.types, "action"])
    if rid.namespace == "Microsoft.Resources":
        verb = "write" if req.method not in ("GET", "HEAD") else "read"
        return f"Microsoft.Resources/subscriptions/resourceGroups/{verb}"
    verb = {"GET": "read", "HEAD": "read", "DELETE": "delete"}.get(req.method, "write")
    return "/".join([rid.namespace, *rid.types, verb])

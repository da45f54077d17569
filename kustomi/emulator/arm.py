"""What every ARM request goes through before a provider sees it: token, throttling
(throttle.py), api-version, subscription, the operator's role, the resource group; plus the
long-running-operation store.

Sources: the 404/403 bodies ARM sends (Azure/azure-powershell#10638 for ResourceGroupNotFound,
Azure/azure-cli#30992 for ResourceNotFound); the LRO protocol as azure-core polls it
(azure/core/polling/base_polling.py, azure/mgmt/core/polling/arm_polling.py) and as
https://learn.microsoft.com/azure/azure-resource-manager/management/async-operations
describes it.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .entra import ARM_AUDIENCES, TokenIssuer, bearer
from .state import World
from .throttle import Throttle
from .wire import (
    ArmError,
    Handler,
    HttpError,
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
    """A long-running operation. It runs on the server's clock: it ends at `ends` whether or
    not anyone polls, as in Azure, where polling only reads its status."""

    started: float
    ends: float
    on_done: Callable[[bool, float], None]  # (succeeded, when)
    error: dict[str, str] | None = None
    status: str = "Running"  # Running | Succeeded | Failed

    def settle(self, now: float) -> None:
        if self.status == "Running" and now >= self.ends:
            self.status = "Failed" if self.error is not None else "Succeeded"
            self.on_done(self.status == "Succeeded", self.ends)


@dataclass
class ArmContext:
    world: World
    issuer: TokenIssuer
    operations: dict[str, Operation] = field(default_factory=dict)
    op_lock: threading.Lock = field(default_factory=threading.Lock)
    throttle: Throttle = field(init=False)
    # Each provider's API_VERSIONS, gathered by the server that serves them.
    api_versions: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.throttle = Throttle(self.world)

    def guarded(self, handler: Handler) -> Handler:
        """`handler` behind the gate every ARM request passes: the caller's token, then ARM's
        throttling (whose header every answer past it carries), then the rest of `guard`."""

        def serve(req: Request) -> Response:
            claims = self.authenticate(req)
            sub = req.params.get("sub")
            caller = str(claims.get("oid") or claims.get("appid") or "")
            limits = self.throttle.take(req.method, sub, caller) if sub is not None else {}
            try:
                self.guard(req)
                resp = handler(req)
            except HttpError as e:
                e.response.headers.update(limits)
                raise
            resp.headers.update(limits)
            return resp

        return serve

    def authenticate(self, req: Request) -> dict[str, Any]:
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
        return claims

    def guard(self, req: Request) -> None:
        """What ARM checks of an authenticated request before a provider sees it."""
        claims = req.claims or {}
        _check_api_version(req, self.world, self.api_versions)
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
        on_done: Callable[[bool, float], None],
        fail: dict[str, str] | None = None,
    ) -> dict[str, str]:
        """Start an operation of `lro_seconds`; returns the Azure-AsyncOperation, Location and
        Retry-After headers that announce it."""
        op_id = str(uuid.uuid4())
        now = self.world.now()
        with self.op_lock:
            op = Operation(now, now + self.world.knobs.lro_seconds, on_done, fail)
            self.operations[op_id] = op
        api = req.query.get("api-version", "")
        url = (
            f"{req.base_url}/subscriptions/{self.world.subscription_id}/providers/{provider}/"
            f"locations/{location}/operationResults/{op_id}?api-version={api}"
        )
        # The specs type this header as an integer (azure-mgmt-kusto deserializes it with
        # "int"); clients wait for the status monitor's Retry-After, not this one.
        retry = str(math.ceil(self.world.knobs.lro_retry_after))
        return {"Azure-AsyncOperation": url, "Location": url, "Retry-After": retry}

    def settle(self) -> None:
        """End every operation whose time has come. Called before each request is served, so
        no request can see an operation running past its end."""
        now = self.world.now()
        with self.op_lock:
            for op in self.operations.values():
                op.settle(now)

    def _retry_after(self) -> dict[str, str]:
        # azure-core reads seconds as a float; it treats 0 as absent and falls back to the
        # client's polling_interval, 30 s by default (_extract_delay in
        # azure/core/polling/base_polling.py).
        return {"Retry-After": f"{self.world.knobs.lro_retry_after:g}"}

    def operation_status(self, req: Request) -> Response:
        op_id = req.params["op"]
        op = self.operations.get(op_id)
        if op is None:
            raise ArmError(404, "ResourceNotFound", f"Operation '{op_id}' was not found.")
        running = op.status == "Running"
        span = max(op.ends - op.started, 1e-9)
        body: dict[str, Any] = {
            "id": req.path,
            "name": op_id,
            "status": op.status,
            "startTime": _iso(op.started),
            "percentComplete": min(1.0, (self.world.now() - op.started) / span) if running else 1.0,
            "properties": {"operationKind": "PrincipalAssignment", "operationState": op.status},
        }
        if not running:
            body["endTime"] = _iso(op.ends)
        if op.status == "Failed" and op.error:
            body["error"] = op.error
        return json_response(200, body, self._retry_after() if running else {})

    def routes(self) -> list[Route]:
        ops = "arm.operationResults"
        sub = "/subscriptions/{sub}/providers/{provider}"
        return [
            ("GET", sub + "/locations/{loc}/operationResults/{op}", self.operation_status, ops),
            ("GET", sub + "/sites/{site}/operationResults/{op}", self.operation_status, ops),
        ]


class Provider:
    """One ARM resource provider: a handler method per route, listed by `routes`, and the
    api-versions ARM accepts for its types (API_VERSIONS: a namespace, or `namespace/type`
    where one namespace's types differ, to its versions). Every api-version the Azure REST
    API specifications publish for the routes served, as listed in the readme.md
    (input-file) of each specification and its {stable,preview} folders; ARM refuses any
    other version with NoRegisteredProviderFound."""

    API_VERSIONS: ClassVar[dict[str, tuple[str, ...]]] = {}

    def __init__(self, ctx: ArmContext) -> None:
        self.ctx = ctx
        self.world = ctx.world

    def routes(self) -> list[Route]:
        raise NotImplementedError


# Named in NoRegisteredProviderFound; the emulator itself accepts any location.
LOCATIONS = (
    "australiaeast",
    "brazilsouth",
    "canadacentral",
    "centralus",
    "eastasia",
    "eastus",
    "eastus2",
    "francecentral",
    "germanywestcentral",
    "japaneast",
    "northeurope",
    "southeastasia",
    "swedencentral",
    "uksouth",
    "westeurope",
    "westus",
    "westus2",
    "westus3",
)


def _check_api_version(
    req: Request, world: World, api_versions: dict[str, tuple[str, ...]]
) -> None:
    version = req.query.get("api-version")
    if not version:
        raise ArmError(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    rid = parse_resource_id(req.path)
    key = rid.namespace.lower()
    if key == "microsoft.resources":
        key += "/" + rid.types[0].lower()
    allowed = api_versions.get(key, ())
    if version not in allowed:
        # ARM's own wording (Azure/azure-cli#28496, MicrosoftDocs/azure-docs#62621).
        raise ArmError(
            400,
            "NoRegisteredProviderFound",
            f"No registered resource provider found for location '{_location(req, world)}' "
            f"and API version '{version}' for type '{rid.type}'. The supported api-versions "
            f"are '{', '.join(allowed)}'. The supported locations are '{', '.join(LOCATIONS)}'.",
        )


def _location(req: Request, world: World) -> str:
    """The location ARM names: the body's, else the resource group's, else global."""
    try:
        doc = req.json()
    except ValueError:
        doc = None
    location = doc.get("location") if isinstance(doc, dict) else None
    rg = world.resource_groups.get(req.params.get("rg", "").lower())
    location = location or (rg["location"] if rg else "global")
    return str(location).replace(" ", "").lower()


def _iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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

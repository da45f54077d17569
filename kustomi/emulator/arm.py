"""What every ARM request goes through before a provider sees it: token, subscription,
the operator's role, the resource group; plus the long-running-operation store.

Sources: ../shared/reference/ARM.md sections D (404 and 403 semantics) and E (LRO rules).
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .entra import ARM_AUDIENCES, TokenIssuer, bearer
from .state import World
from .wire import Request, Response, Router, arm_error, json_response

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

    # --- the gate every ARM request passes -----------------------------------------------
    def guard(self, req: Request) -> Response | None:
        token = bearer(req)
        if token is None:
            return arm_error(
                401,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
            )
        claims = self.issuer.verify(token, (*ARM_AUDIENCES, req.base_url))
        if claims is None:
            return arm_error(
                401, "InvalidAuthenticationToken", "The access token is invalid or has expired."
            )
        req.claims = claims
        bad_version = _check_api_version(req)
        if bad_version is not None:
            return bad_version
        sub = req.params.get("sub")
        if sub is not None and sub.lower() != self.world.subscription_id:
            return arm_error(
                404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found."
            )
        op = self.world.operator_by_client_id(str(claims.get("appid", "")))
        role = op.role if op else None
        write = req.method in ("PUT", "PATCH", "DELETE") or (
            req.method == "POST" and not req.path.lower().endswith(READ_ACTIONS)
        )
        if role is None or (write and role == "Reader"):
            return arm_error(
                403,
                "AuthorizationFailed",
                f"The client '{claims.get('appid')}' with object id '{claims.get('oid')}' does "
                f"not have authorization to perform action '{_action(req)}' over scope "
                f"'{_scope(req.path)}' or the scope is invalid. If access was recently granted, "
                "please refresh your credentials.",
            )
        rg = req.params.get("rg")
        if rg is not None and "/providers/" in req.path.lower() and not self.rg_exists(rg):
            return rg_not_found(rg)
        return None

    def rg_exists(self, rg: str) -> bool:
        return rg.lower() in self.world.resource_groups

    # --- long-running operations (ARM.md E) ----------------------------------------------
    def start_operation(
        self,
        req: Request,
        location: str,
        provider: str,
        on_done: Callable[[bool], None],
        fail: dict[str, str] | None = None,
    ) -> dict[str, str]:
        """Register an operation; returns the Azure-AsyncOperation/Location/Retry-After headers.

        Retry-After is 1, never 0: azure-core ignores 0 and falls back to a 30 s poll interval
        (ARM.md E.1).
        """
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
        return {"Azure-AsyncOperation": url, "Location": url, "Retry-After": "1"}

    def operation_status(self, req: Request) -> Response:
        op_id = req.params["op"]
        with self.op_lock:
            op = self.operations.get(op_id)
            if op is None:
                return arm_error(404, "ResourceNotFound", f"Operation '{op_id}' was not found.")
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
        headers = {"Retry-After": "1"} if op.status == "Running" else {}
        return json_response(200, body, headers)


# The api-versions each provider answers here: the installed SDKs' defaults (ARM.md 0) and the
# recent ones other clients (the az CLI, older SDKs) send. ARM refuses any other.
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
    "resources": {
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


def _check_api_version(req: Request) -> Response | None:
    version = req.query.get("api-version")
    if not version:
        return arm_error(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    lowered = req.path.lower()
    provider = "resources"
    if "/providers/" in lowered:
        provider = lowered[lowered.rindex("/providers/") + len("/providers/") :].split("/")[0]
    allowed = API_VERSIONS.get(provider, API_VERSIONS["resources"])
    if version not in allowed:
        return arm_error(
            400,
            "NoRegisteredProviderFound",
            f"No registered resource provider found for API version '{version}' "
            f"and type '{provider}'. The supported api-versions are "
            f"'{', '.join(sorted(allowed, reverse=True))}'.",
        )
    return None


def rg_not_found(rg: str) -> Response:
    return arm_error(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")


def resource_not_found(type_: str, name: str, rg: str) -> Response:
    return arm_error(
        404,
        "ResourceNotFound",
        f"The Resource '{type_}/{name}' under resource group '{rg}' was not found. For more "
        "details please go to https://aka.ms/ARMResourceNotFoundFix",
    )


def paged(req: Request, items: list[dict[str, Any]], page_size: int = 100) -> Response:
    """A list body, paged with an absolute nextLink back to the emulator (ARM.md A)."""
    start = int(req.query.get("$skiptoken", "0") or 0)
    body: dict[str, Any] = {"value": items[start : start + page_size]}
    if start + page_size < len(items):
        api = req.query.get("api-version", "")
        body["nextLink"] = (
            f"{req.base_url}{req.path}?api-version={api}&$skiptoken={start + page_size}"
        )
    return json_response(200, body)


def _scope(path: str) -> str:
    return re.sub(
        r"/(config/appsettings/list|listPrincipals|config/connectionstrings/list)$",
        "",
        path,
        flags=re.IGNORECASE,
    )


def _action(req: Request) -> str:
    """The RBAC action a request needs, as ARM names it in AuthorizationFailed:
    Microsoft.Web/sites/slots/write, Microsoft.Web/sites/config/list/action, ..."""
    path = req.path.rstrip("/")
    if "/providers/" not in path.lower():
        verb = "write" if req.method not in ("GET", "HEAD") else "read"
        return f"Microsoft.Resources/subscriptions/resourceGroups/{verb}"
    ns, _, rest = path[path.lower().rindex("/providers/") + len("/providers/") :].partition("/")
    segments = rest.split("/")
    if req.method == "POST":
        return "/".join([ns, *segments[:-1:2], segments[-1], "action"])
    verb = {"GET": "read", "HEAD": "read", "DELETE": "delete"}.get(req.method, "write")
    return "/".join([ns, *segments[0::2], verb])


def register_operations(router: Router, ctx: ArmContext) -> None:
    router.add(
        "GET",
        "/subscriptions/{sub}/providers/{provider}/locations/{loc}/operationResults/{op}",
        ctx.operation_status,
        "arm.operationResults",
    )
    router.add(
        "GET",
        "/subscriptions/{sub}/providers/{provider}/sites/{site}/operationResults/{op}",
        ctx.operation_status,
        "arm.operationResults",
    )

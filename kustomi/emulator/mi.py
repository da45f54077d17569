"""The App Service managed-identity endpoint, protocol 2019-08-01
(https://learn.microsoft.com/azure/app-service/overview-managed-identity#rest-endpoint-reference).

A process in a function app finds it through IDENTITY_ENDPOINT and proves where it runs with
IDENTITY_HEADER; each emulated site (and slot) has its own header value. A token is issued only
for an identity attached to that site, chosen by client_id, object_id/principal_id or
mi_res_id; without one, the system-assigned identity. Errors use the service's body
`{"statusCode", "message", "correlationId"}` with 4xx statuses (5xx would make azure-core
retry and MSAL throttle).
"""

from __future__ import annotations

import hmac
import time
import uuid

from .entra import TokenIssuer
from .state import Site, World
from .wire import HttpError, Request, Response, json_response


def _error(status: int, message: str) -> HttpError:
    cid = str(uuid.uuid4())
    return HttpError(
        json_response(
            status,
            {"statusCode": status, "message": message, "correlationId": cid},
            {"X-CORRELATION-ID": cid},
        )
    )


class ManagedIdentityEndpoint:
    def __init__(self, world: World, issuer: TokenIssuer) -> None:
        self.world = world
        self.issuer = issuer

    def site_for_header(self, header: str) -> Site | None:
        for site in self.world.sites.values():
            if hmac.compare_digest(site.identity_header, header):
                return site
        return None

    def token(self, req: Request) -> Response:
        header = req.headers.get("x-identity-header", "")
        site = self.site_for_header(header) if header else None
        if site is None:
            raise _error(401, "The X-IDENTITY-HEADER is missing or not valid.")
        if req.query.get("api-version") != "2019-08-01":
            raise _error(400, "The api-version is missing or not supported.")
        resource = req.query.get("resource", "")
        if not resource:
            raise _error(400, "The resource parameter is required.")
        w = self.world
        wanted = {
            k: req.query[k].lower()
            for k in ("client_id", "object_id", "principal_id", "mi_res_id")
            if req.query.get(k)
        }
        with w.lock:
            if not wanted:
                sa = site.system_assigned
                if not sa:
                    raise _error(400, "Unable to load the proper Managed Identity.")
                app_id, oid, mirid = sa["client_id"], sa["principal_id"], site_resource_id(w, site)
            else:
                value = next(iter(wanted.values()))
                ident = w.identity_by_any_id(value)
                attached = {r.lower() for r in site.user_assigned}
                if ident is None or ident.resource_id(w.subscription_id).lower() not in attached:
                    raise _error(400, "Unable to load the proper Managed Identity.")
                app_id, oid = ident.client_id, ident.principal_id
                mirid = ident.resource_id(w.subscription_id)
        token, exp = self.issuer.issue(
            resource.removesuffix("/.default"), app_id, oid, xms_mirid=mirid
        )
        return json_response(
            200,
            {
                "access_token": token,
                "expires_on": str(exp),
                "not_before": str(int(time.time())),
                "resource": resource,
                "token_type": "Bearer",
                "client_id": app_id,
            },
        )


def site_resource_id(w: World, s: Site) -> str:
    base = (
        f"/subscriptions/{w.subscription_id}/resourcegroups/{s.resource_group}/providers/"
        f"Microsoft.Web/sites/{s.name}"
    )
    return base + (f"/slots/{s.slot}" if s.slot else "")

"""Microsoft Entra ID, as far as sign-in with a client secret and token checks go.

MSAL (inside azure-identity) is pointed at `https://127.0.0.1:PORT/<tenant>` as authority with
instance discovery disabled; it reads the OpenID metadata, then POSTs the client-credentials
grant to the token endpoint. Tokens are RS256 JWTs with the claims ARM and Kusto read:
aud, iss, tid, oid, appid, exp (v1 access-token claim names).
"""

from __future__ import annotations

import functools
import hmac
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from .state import World
from .wire import HttpError, Request, Response, json_response

TOKEN_LIFETIME = 3600
ARM_AUDIENCES = ("https://management.azure.com", "https://management.core.windows.net")
KUSTO_AUDIENCES = ("https://kusto.kusto.windows.net", "https://api.kusto.windows.net")


@functools.cache
def _signing_key() -> tuple[rsa.RSAPrivateKey, str]:
    """One RSA key per process (making one takes ~50 ms): a reloaded world keeps it."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048), uuid.uuid4().hex


class TokenIssuer:
    def __init__(self, tenant_id: str) -> None:
        self.tenant_id = tenant_id
        self._key, self.kid = _signing_key()

    @property
    def issuer(self) -> str:
        return f"https://sts.windows.net/{self.tenant_id}/"

    def issue(self, audience: str, app_id: str, object_id: str, **extra: Any) -> tuple[str, int]:
        now = int(time.time())
        exp = now + TOKEN_LIFETIME
        claims = {
            "aud": audience,
            "iss": self.issuer,
            "iat": now,
            "nbf": now,
            "exp": exp,
            "tid": self.tenant_id,
            "oid": object_id,
            "sub": object_id,
            "appid": app_id,
            "idtyp": "app",
            "ver": "1.0",
            **extra,
        }
        token = jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})
        return token, exp

    def verify(self, token: str, audiences: tuple[str, ...]) -> dict[str, Any] | None:
        """The claims of a valid token for one of `audiences`, or None."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key.public_key(),
                algorithms=["RS256"],
                issuer=self.issuer,
                options={"verify_aud": False},
            )
        except jwt.PyJWTError:
            return None
        aud = str(claims.get("aud", "")).rstrip("/").lower()
        if aud not in {a.rstrip("/").lower() for a in audiences}:
            return None
        return claims

    def jwks(self) -> dict[str, Any]:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]}


def bearer(req: Request) -> str | None:
    auth = req.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return None


class Entra:
    def __init__(self, world: World, issuer: TokenIssuer) -> None:
        self.world = world
        self.issuer = issuer

    def openid(self, req: Request) -> Response:
        """The tenant's OpenID configuration document, which MSAL reads first."""
        tenant = req.params["tenant"]
        base = f"{req.base_url}/{tenant}"
        return json_response(
            200,
            {
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "jwks_uri": f"{base}/discovery/v2.0/keys",
                "issuer": f"{req.base_url}/{self.world.tenant_id}/v2.0",
                "token_endpoint_auth_methods_supported": ["client_secret_post"],
                "response_types_supported": ["code", "id_token", "token"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "tenant_region_scope": "EU",
            },
        )

    def keys(self, req: Request) -> Response:
        return json_response(200, self.issuer.jwks())

    def token(self, req: Request) -> Response:
        """OAuth2 client-credentials grant. Error bodies follow Entra's (AADSTS codes)."""
        form = req.form()
        tenant = req.params["tenant"].lower()
        if tenant not in (self.world.tenant_id, "organizations"):
            raise _oauth_error(400, "invalid_request", f"AADSTS90002: Tenant '{tenant}' not found.")
        if form.get("grant_type") != "client_credentials":
            raise _oauth_error(
                400,
                "unsupported_grant_type",
                "AADSTS70003: The app requested an unsupported grant type.",
            )
        op = self.world.operator_by_client_id(form.get("client_id", ""))
        if op is None:
            raise _oauth_error(
                400,
                "unauthorized_client",
                f"AADSTS700016: Application with identifier '{form.get('client_id')}' was not "
                f"found in the directory '{self.world.tenant_id}'.",
            )
        if not hmac.compare_digest(form.get("client_secret", ""), op.secret):
            raise _oauth_error(
                401,
                "invalid_client",
                "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in "
                f"the request is the client secret value, not the client secret ID, for a "
                f"secret added to app '{op.client_id}'.",
            )
        scope = form.get("scope", "").split(" ")[0]
        audience = scope.removesuffix("/.default")
        token, exp = self.issuer.issue(audience, op.client_id, op.object_id)
        return json_response(
            200,
            {
                "token_type": "Bearer",
                "expires_in": exp - int(time.time()),
                "ext_expires_in": exp - int(time.time()),
                "access_token": token,
            },
        )


def _oauth_error(status: int, code: str, description: str) -> HttpError:
    return HttpError(
        json_response(
            status,
            {
                "error": code,
                "error_description": description,
                "error_codes": [],
                "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
                "trace_id": str(uuid.uuid4()),
                "correlation_id": str(uuid.uuid4()),
            },
        )
    )

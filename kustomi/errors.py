"""The one error family. Core code raises these; `kustomi.cli.run` alone prints them and exits.

Exit codes (README "Exit codes"): 0 ok, 1 internal error, 2 bad usage or input (nothing sent),
3 not found, 4 authentication or authorization, 5 Azure service error after retries,
6 checks failed, 130 interrupted.
"""

from __future__ import annotations

import json
from typing import Any


class KustomiError(Exception):
    """Something the user should read: what happened, and a hint of what to do."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details


class UsageError(KustomiError):
    """Bad usage or input; no request was sent."""

    exit_code = 2


class NotFoundError(KustomiError):
    """A resource kustomi needs does not exist."""

    exit_code = 3


class AuthError(KustomiError):
    """Sign-in failed, or the signed-in principal lacks a right."""

    exit_code = 4


class ServiceError(KustomiError):
    """Azure answered with an error, after the SDK's retries."""

    exit_code = 5


class ChecksFailed(KustomiError):
    """One or more checks did not pass."""

    exit_code = 6


def _service_message(exc: Any) -> str:
    """The service's own message, from either ARM's envelope or App Service's capitalised body.

    Against `{"Code":..,"Message":..}` the SDK leaves `exc.error` as None and says only
    "Operation returned an invalid status" (ARM.md C, "Web error shapes")."""
    err = getattr(exc, "error", None)
    if err is not None and getattr(err, "message", None):
        code = getattr(err, "code", None)
        return f"{err.message}" + (f" ({code})" if code else "")
    response = getattr(exc, "response", None)
    if response is not None:
        try:
            body = json.loads(response.text())
        except (ValueError, TypeError, AttributeError):
            body = None
        if isinstance(body, dict):
            wrapped = body.get("error")
            inner: dict[str, Any] = wrapped if isinstance(wrapped, dict) else body
            msg = inner.get("message") or inner.get("Message")
            code = inner.get("code") or inner.get("Code")
            if msg:
                return f"{msg}" + (f" ({code})" if code else "")
    return str(getattr(exc, "message", None) or exc).splitlines()[0]


def translate(exc: BaseException, doing: str = "") -> KustomiError:
    """Map an azure.core / azure.identity / azure.kusto exception to our family. The one table."""
    if isinstance(exc, KustomiError):
        return exc
    prefix = f"{doing}: " if doing else ""
    name = type(exc).__name__
    module = type(exc).__module__
    if module.startswith("azure.identity") or name == "ClientAuthenticationError":
        return AuthError(
            prefix + "could not sign in to Azure: " + str(exc).splitlines()[0],
            hint="Run `az login`, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and "
            "AZURE_CLIENT_SECRET for a service principal.",
        )
    if module.startswith("azure.kusto"):
        return _translate_kusto(exc, prefix)
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if status is None:
        status = getattr(exc, "status_code", None)
    message = prefix + _service_message(exc)
    if name == "ResourceNotFoundError" or status == 404:
        return NotFoundError(message, hint="Check the name, resource group and subscription.")
    if status == 403:
        return AuthError(
            message,
            hint="Ask an Owner of the scope for the right named above, "
            "or run kustomi as a principal that has it.",
        )
    if status == 401:
        return AuthError(message, hint="Sign in again (`az login`) or check the credentials.")
    if name in ("ServiceRequestError", "ServiceResponseError", "ServiceRequestTimeoutError"):
        return ServiceError(
            prefix + "could not reach Azure: " + str(exc).splitlines()[0],
            hint="Check the network and retry.",
        )
    return ServiceError(message, hint="Azure refused the request; the message above is its own.")


def _translate_kusto(exc: BaseException, prefix: str) -> KustomiError:
    name = type(exc).__name__
    # Some are raised as (message, response): str() would print that tuple.
    first = str(exc.args[0]) if exc.args else str(exc)
    text = first.splitlines()[0] if first else name
    status = getattr(getattr(exc, "http_response", None), "status_code", None)
    if name == "KustoAuthenticationError":
        return AuthError(prefix + "could not get a token for Kusto: " + text)
    if status == 403:
        return AuthError(
            prefix + text, hint="The principal needs a database role; see `kustomi grant --help`."
        )
    if status == 401 or text.startswith("401"):
        return AuthError(prefix + "the cluster refused the token (401).")
    if name == "KustoNetworkError":
        return ServiceError(prefix + text, hint="Check the cluster URI and the network.")
    if name == "KustoClientInvalidConnectionStringException":
        return UsageError(prefix + text)
    return ServiceError(prefix + text)

"""The one table from the Azure SDKs' exceptions to kustomi's error family, by type.

Azure and network errors are translated by kind. An answer that cannot be read (a 200 whose
body has the wrong shape: the SDK's DeserializationError, or a KeyError, TypeError... raised
while its body is read) is `unreadable`: exit 5, naming the request, never "a bug in kustomi".
Anything else raised under an Azure call is a bug in kustomi, and `translate` raises it as it
is, so that the CLI reports it as an internal error (exit 1) rather than as something Azure
said. The SDK modules are imported when an error is being translated, never at start-up.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import (
    UNREADABLE,
    AuthError,
    KustomiError,
    NotFoundError,
    ServiceError,
    UnreadableAnswer,
    UsageError,
)

SIGN_IN_HINT = (
    "Run `az login`, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for a "
    "service principal."
)


def is_azure_error(exc: BaseException) -> bool:
    """An error of the Azure SDKs (azure-core, azure-identity, azure-kusto-data)."""
    from azure.core.exceptions import AzureError
    from azure.kusto.data.exceptions import KustoError

    return isinstance(exc, (AzureError, KustoError))


def translate(exc: BaseException, doing: str = "") -> KustomiError:
    """`exc` as a KustomiError whose message starts with `doing`. Raises `exc` itself when it
    is neither a KustomiError nor an Azure error."""
    if isinstance(exc, KustomiError):
        return exc
    from azure.core.exceptions import AzureError
    from azure.kusto.data.exceptions import KustoError

    prefix = f"{doing}: " if doing else ""
    if is_unreadable(exc):
        return unreadable(exc, doing)
    if isinstance(exc, KustoError):
        return _kusto(exc, prefix)
    if isinstance(exc, AzureError):
        try:
            return _core(exc, prefix)
        finally:
            _release(exc)
    raise exc


# What reading a body of the wrong shape raises, in the SDKs (azure-core's
# DeserializationError is a ValueError) or in kustomi's reading of what they return.
READ_FAILURES: tuple[type[BaseException], ...] = (
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    ValueError,
)


def is_unreadable(exc: BaseException, under_call: bool = True) -> bool:
    """An answer whose body could not be read: the SDK's DeserializationError (its models read
    their body lazily, so it may come from any attribute read), an SDK error caused by a read
    failure (azure-identity wraps what MSAL raised on a malformed token answer; azure-core's
    LRO poller raises BadResponse on a poll body without a status), or a read failure raised
    in the SDKs' own code. `under_call`: raised under kustomi's wrapper of one SDK call and its
    reading, where any read failure is one of the answer."""
    from azure.core.exceptions import (
        AzureError,
        DecodeError,
        DeserializationError,
        ServiceRequestError,
        ServiceResponseError,
    )

    if isinstance(exc, (DeserializationError, DecodeError)):  # DecodeError: not JSON at all
        return True
    status = getattr(getattr(exc, "http_response", None), "status_code", None)
    if isinstance(status, int) and 200 <= status < 300:
        # An error raised on a success: its body could not be read. azure-kusto-data raises
        # KustoServiceError(<the body's text>) when a 200's body is not JSON (an HTML page
        # from a proxy, say: _handle_http_error in azure/kusto/data/client_base.py).
        return True
    if isinstance(exc, (ServiceRequestError, ServiceResponseError)):
        return False  # no answer came at all
    if isinstance(exc, AzureError):
        inner = exc.__cause__ or exc.__context__
        return inner is not None and (
            isinstance(inner, READ_FAILURES) or type(inner).__name__ == "BadResponse"
        )
    if not isinstance(exc, READ_FAILURES) or isinstance(exc, UnicodeError):
        return False
    return under_call or _raised_in_sdk(exc)


def _raised_in_sdk(exc: BaseException) -> bool:
    """Whether the innermost frame of the traceback is in an Azure SDK (or MSAL) module."""
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    module = str(tb.tb_frame.f_globals.get("__name__", ""))
    return module.startswith(("azure.", "msal."))


def classify(exc: BaseException) -> KustomiError | None:
    """An error raised anywhere under a command, as kustomi's: an Azure error or an answer
    that cannot be read; None for anything else (a bug in kustomi)."""
    if isinstance(exc, KustomiError):
        return exc
    if is_azure_error(exc) or is_unreadable(exc, under_call=False):
        return translate(exc)
    return None


def unreadable(exc: BaseException, doing: str = "") -> KustomiError:
    """The one message for an answer kustomi cannot read: the request it answered (the last
    one this thread sent, when known), and what was wrong with it."""
    from .clients import last_request

    sent = last_request()
    what = doing or (f"the answer to {sent}" if sent else "")
    inner = exc
    while not str(inner) and (inner.__cause__ or inner.__context__) is not None:
        inner = inner.__cause__ or inner.__context__  # type: ignore[assignment]
    detail = f"{type(inner).__name__}: {_first_line(inner)}"
    return UnreadableAnswer(
        f"{UNREADABLE}"
        + (f" ({what})" if what else "")
        + f": {detail}"
        + (f" [{sent}]" if sent and doing else "")
        + ".",
        hint="Retry; if it persists, the service (or a proxy in between) answers with a body "
        "of another shape: --debug shows the request and where reading it failed.",
    )


def _release(exc: BaseException) -> None:
    """An error's response holds its connection until it is closed: close it once its message
    was read, rather than leave the socket to the garbage collector."""
    internal = getattr(getattr(exc, "response", None), "internal_response", None)
    close = getattr(internal, "close", None)
    if close is not None:
        close()


def write_refused(exc: BaseException) -> bool:
    """Whether `exc`, raised while a write was being made, shows that the service refused the
    write itself, so that nothing was written. False when the outcome is unknown: the
    connection dropped, or the write was accepted and a later read (an LRO poll, a read-back)
    failed. A KustomiError raised by kustomi without an SDK error under it sent nothing."""
    from azure.core.exceptions import HttpResponseError
    from azure.kusto.data.exceptions import KustoNetworkError, KustoServiceError

    if isinstance(exc, UnreadableAnswer):
        return False  # an answer came: the write may well have been made
    if is_unreadable(exc):
        return False
    if isinstance(exc, KustomiError):
        cause = exc.__context__
        return cause is None or write_refused(cause)
    if isinstance(exc, HttpResponseError) and exc.response is not None:
        method = str(getattr(exc.response.request, "method", "")).upper()
        if method in ("PUT", "PATCH", "DELETE"):
            return True  # the write's own answer was an error
        # A poll that answered 2xx with a Failed operation: the service says it did not happen.
        return 200 <= (exc.response.status_code or 0) < 300
    if isinstance(exc, KustoNetworkError):
        return False
    return isinstance(exc, KustoServiceError) and getattr(exc, "http_response", None) is not None


SUBSCRIPTION_HINT = (
    "Check --subscription (or AZURE_SUBSCRIPTION_ID): `az account list -o table` lists the "
    "subscriptions the signed-in principal can use."
)


def check_subscription(exc: BaseException) -> None:
    """ARM answers 404 SubscriptionNotFound for a subscription it does not know (or the
    principal cannot see): raise that, rather than let a caller call a resource missing."""
    if getattr(getattr(exc, "error", None), "code", "") == "SubscriptionNotFound":
        raise NotFoundError(service_message(exc), hint=SUBSCRIPTION_HINT) from None


def _first_line(exc: BaseException) -> str:
    # Some are raised as (message, response): str() would print that tuple.
    text = str(exc.args[0]) if exc.args else str(exc)
    return text.splitlines()[0] if text else type(exc).__name__


def _core(exc: Any, prefix: str) -> KustomiError:
    from azure.core.exceptions import (
        ClientAuthenticationError,
        ResourceNotFoundError,
        ServiceRequestError,
        ServiceResponseError,
    )

    status = getattr(getattr(exc, "response", None), "status_code", None)
    if status is None:
        status = getattr(exc, "status_code", None)
    if isinstance(exc, (ServiceRequestError, ServiceResponseError)):
        return _network(exc, prefix)
    if isinstance(exc, ClientAuthenticationError) and (status is None or status < 500):
        # azure-identity's CredentialUnavailableError is one of these, too.
        return AuthError(
            prefix + "could not sign in to Azure: " + _first_line(exc), hint=SIGN_IN_HINT
        )
    message = prefix + service_message(exc)
    check_subscription(exc)
    if isinstance(exc, ResourceNotFoundError) or status == 404:
        return NotFoundError(message, hint="Check the name, resource group and subscription.")
    if status == 403:
        return AuthError(
            message,
            hint="Ask an Owner of the scope for the right named above, "
            "or run kustomi as a principal that has it.",
        )
    if status == 401:
        return AuthError(message, hint="Sign in again (`az login`) or check the credentials.")
    return ServiceError(message, hint="Azure refused the request; the message above is its own.")


TLS_HINT = (
    "The endpoint's certificate is not trusted or the CA file cannot be read: check "
    "REQUESTS_CA_BUNDLE (a readable PEM file of the CA that signs the endpoint's certificate), "
    "or unset it to use the system's CAs."
)
TLS_MARKERS = ("CERTIFICATE_VERIFY_FAILED", "SSLError", "SSL:", "X509", "TLS CA certificate")


def tls_failure(exc: BaseException) -> bool:
    """A failure of TLS (an untrusted certificate, an unreadable CA bundle), whichever SDK
    wrapped it: requests and urllib3 say so only in their messages."""
    text = str(exc)
    return any(m in text for m in TLS_MARKERS)


def _network(exc: BaseException, prefix: str) -> KustomiError:
    """A request that got no answer: TLS, name resolution or the connection."""
    if tls_failure(exc):
        return ServiceError(
            prefix + "the TLS connection failed: " + _first_line(exc), hint=TLS_HINT
        )
    return ServiceError(
        prefix + "could not reach Azure: " + _first_line(exc),
        hint="Check the network, a proxy (HTTPS_PROXY, NO_PROXY) and the endpoint, then retry.",
    )


def _kusto(exc: Any, prefix: str) -> KustomiError:
    from azure.kusto.data.exceptions import (
        KustoAuthenticationError,
        KustoClientInvalidConnectionStringException,
        KustoNetworkError,
    )

    text = _first_line(exc)
    status = getattr(getattr(exc, "http_response", None), "status_code", None)
    if isinstance(exc, KustoAuthenticationError):
        inner = getattr(exc, "exception", None)
        if isinstance(inner, KustomiError):  # kustomi's own sign-in said why
            return inner
        return AuthError(prefix + "could not get a token for Kusto: " + text, hint=SIGN_IN_HINT)
    if status == 403:
        return AuthError(
            prefix + text, hint="The principal needs a database role; see `kustomi grant --help`."
        )
    if status == 401 or text.startswith("401"):
        return AuthError(prefix + "the cluster refused the token (401).", hint=SIGN_IN_HINT)
    if isinstance(exc, KustoNetworkError):
        return ServiceError(prefix + text, hint="Check the cluster URI and the network.")
    if isinstance(exc, KustoClientInvalidConnectionStringException):
        return UsageError(prefix + text, hint="Use the cluster's own URI.")
    return ServiceError(prefix + text)


def service_message(exc: Any) -> str:
    """The service's own message, from either ARM's envelope or App Service's capitalised body.

    Against `{"Code":..,"Message":..}` the SDK leaves `exc.error` as None and says only
    "Operation returned an invalid status" (App Service's error body; Azure/azure-libraries-for-net
    #1079)."""
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

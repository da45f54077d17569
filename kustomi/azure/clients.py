"""Sign-in and SDK clients, built from a cloud profile with an injectable endpoint."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..cloud import Cloud
from ..config import Environment
from ..errors import UNREADABLE, UnreadableAnswer, UsageError
from .credentials import operator_credential, retry_settings, tls_final_retry_policy

if TYPE_CHECKING:  # the SDKs are imported where a client is made, never at start-up
    from azure.core.credentials import TokenCredential
    from azure.kusto.data import KustoClient
    from azure.mgmt.kusto import KustoManagementClient
    from azure.mgmt.msi import ManagedServiceIdentityClient
    from azure.mgmt.resource.resources import ResourceManagementClient
    from azure.mgmt.web import WebSiteManagementClient

    from .kusto_data import DataClient


def required(value: str | None, what: str) -> str:
    """A field every answer of Azure carries; an answer without it is refused as malformed
    (exit 5), rather than failing later in kustomi's own code."""
    if not value or not isinstance(value, str):
        sent = last_request()
        raise UnreadableAnswer(
            f"{UNREADABLE}: the answer has no {what}" + (f" [{sent}]." if sent else "."),
            hint="Retry; if it persists, the service answered with an incomplete resource.",
        )
    return value


def listed(response: Any) -> None:
    """A `raw_response_hook` for ARM list calls: a list answer is {"value": [...]} (ARM's
    resource list envelope). The SDKs' pagers read a body without `value` as an empty page,
    which kustomi would take for "none there" (no role held, no app using an identity):
    refused here as an answer kustomi cannot read."""
    http = response.http_response
    if not 200 <= http.status_code < 300:
        return
    try:
        body = http.json() if hasattr(http, "json") else None
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("value"), list):
        raise ValueError("a list answer without its `value` array")


# Keyword arguments for every ARM list call.
LIST: dict[str, Any] = {"raw_response_hook": listed}

_sent = threading.local()


def note_request(what: str) -> None:
    """Remember the request this thread sends now, to name it if its answer cannot be read."""
    _sent.request = what


def last_request() -> str:
    """The last request this thread sent ("GET <path>"), or ''."""
    return str(getattr(_sent, "request", ""))


def request_recorder() -> Any:
    """A policy that notes each request a management client sends (method and path: no query
    string, no header, so nothing secret)."""
    from azure.core.pipeline.policies import SansIOHTTPPolicy

    class Recorder(SansIOHTTPPolicy[Any, Any]):
        def on_request(self, request: Any) -> None:
            http = request.http_request
            note_request(f"{http.method} {urlsplit(http.url).path}")

    return Recorder()


def text(value: Any) -> str:
    """An SDK enum's wire value (str() of a str-Enum is its Python name on 3.11+), or ''."""
    if value is None:
        return ""
    return str(getattr(value, "value", value))


def managed_identity_credential(client_id: str | None) -> Any:
    """A token as the identity itself, from the App Service endpoint (IDENTITY_ENDPOINT and
    IDENTITY_HEADER) or, on a VM, IMDS
    (https://learn.microsoft.com/azure/app-service/overview-managed-identity#rest-endpoint-reference);
    with no client id, the system-assigned identity's (the endpoint's default)."""
    from azure.identity import ManagedIdentityCredential

    if client_id is None:
        return ManagedIdentityCredential()
    return ManagedIdentityCredential(client_id=client_id)


# A throttled request (429) is sent again up to this many times, apart from KUSTOMI_RETRIES;
# after a 429, requests of a session wait for Retry-After and then go this far apart.
THROTTLED_RETRIES = 30
THROTTLED_SPACING = 0.05
THROTTLED_NOTICE_SECONDS = 5.0

# ARM actions that read (POST .../<action>); see _is_method_retryable below.
READ_ACTIONS = ("/list", "/checkprincipalassignmentnameavailability", "/listprincipals")


def retry_policy(progress: Callable[[str], None] | None, retries: int) -> Any:
    """azure-core's RetryPolicy with kustomi's limits, saying on each wait why it waits: a
    throttled CLI that sits silent for Retry-After seconds looks hung."""

    said = [0.0]  # when the next throttling notice may be said

    class Announcing(tls_final_retry_policy()):  # type: ignore[misc]
        def _is_method_retryable(self, settings: Any, request: Any, response: Any = None) -> bool:
            # azure-core retries a dropped answer only for GET, PUT, DELETE and the like. ARM
            # also reads through POST actions (`config/appsettings/list`, the name check), and
            # kustomi's PATCH sends a site's whole identity block: sending either twice gives
            # the same result, so they are retried too.
            method = request.method.upper()
            path = urlsplit(request.url).path.lower()
            if method == "PATCH" or (method == "POST" and path.endswith(READ_ACTIONS)):
                return True
            return bool(super()._is_method_retryable(settings, request, response))

        def increment(self, settings: Any, response: Any = None, error: Any = None) -> bool:
            # ARM's throttling is not a failure of the request: a throttled request waits
            # (Retry-After) and is sent again, up to THROTTLED_RETRIES times, without spending
            # the KUSTOMI_RETRIES meant for errors; a fleet under throttling finishes.
            status = getattr(getattr(response, "http_response", None), "status_code", None)
            if status == 429:
                settings["throttled"] = settings.get("throttled", 0) + 1
                if settings["throttled"] <= THROTTLED_RETRIES:
                    settings["total"] += 1
                    settings["status"] += 1
            return bool(super().increment(settings, response, error))

        def sleep(self, settings: Any, transport: Any, response: Any = None) -> None:
            if progress is not None:
                attempt = len(settings.get("history", []))
                status = response.http_response.status_code if response is not None else None
                delay = (self.get_retry_after(response) if response is not None else None) or (
                    self.get_backoff_time(settings)
                )
                why = f"Azure answered {status}" if status else "the connection failed"
                if status == 429:
                    # Said once in a while, not for each of a fleet's throttled requests.
                    now = time.monotonic()
                    if now >= said[0]:
                        said[0] = now + THROTTLED_NOTICE_SECONDS
                        progress(f"Azure answered 429 (throttled); retrying in {delay:.0f}s")
                else:
                    progress(
                        f"{why}; retrying in {delay:.0f}s (retry {attempt} of {self.total_retries})"
                    )
            super().sleep(settings, transport, response)

    return Announcing(
        # Fewer, shorter retries than azure-core's default of 10 with up to 120 s backoff:
        # a CLI should fail in seconds, and Retry-After is still honoured.
        **retry_settings(retries),
        retry_backoff_factor=0.5,
        retry_backoff_max=8,
    )


def throttle_gate() -> Any:
    """A policy that every request of a session passes: once ARM throttles one (429 with
    Retry-After; ARM's limits are per subscription, https://learn.microsoft.com/azure/
    azure-resource-manager/management/request-limits-and-throttling), every request of the
    session waits that long, not only the one retried. Concurrent apps back off together
    instead of each spending its retries on more 429s."""
    from azure.core.pipeline.policies import HTTPPolicy

    class Gate(HTTPPolicy[Any, Any]):
        def __init__(self) -> None:
            super().__init__()
            self._lock = threading.Lock()
            self._until = 0.0
            self._next = 0.0
            self.throttled = 0

        def send(self, request: Any) -> Any:
            with self._lock:
                now = time.monotonic()
                pause = self._until - now
                if pause > 0:
                    # Those waiting go on one by one, not all at the same instant (which would
                    # empty ARM's bucket again at once).
                    slot = max(self._until, self._next)
                    self._next = slot + THROTTLED_SPACING
                    pause = slot - now
            if pause > 0:
                time.sleep(pause)
            response = self.next.send(request)
            if response.http_response.status_code == 429:
                after = _seconds(response.http_response.headers.get("Retry-After"))
                with self._lock:
                    self.throttled += 1
                    self._until = max(self._until, time.monotonic() + after)
            return response

    return Gate()


def _seconds(value: str | None) -> float:
    try:
        return min(max(float(value or 1), 0.0), 60.0)
    except ValueError:  # an HTTP date: the retry policy reads it; a second here is enough
        return 1.0


def shared_transport(connections: int) -> Any:
    """One HTTP transport for every management client of a session: one pool of connections
    (TLS handshakes made once), sized for `connections` requests at a time. Set up as
    azure-core sets up its own (RequestsTransport._init_session: no urllib3 retries)."""
    import requests
    from azure.core.pipeline.transport import RequestsTransport
    from urllib3.util.retry import Retry

    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(
        max_retries=Retry(total=False, redirect=False, raise_on_status=False),
        pool_maxsize=max(connections, 10),
    )
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return RequestsTransport(session=session, session_owner=False)


class Azure:
    """The management clients for one subscription, created on first use. They share one
    sign-in, one pool of connections and one throttling gate."""

    def __init__(
        self,
        cloud: Cloud,
        subscription_id: str | None,
        env: Environment,
        credential: Any = None,
        progress: Callable[[str], None] | None = None,
        connections: int = 10,
    ) -> None:
        self.cloud = cloud
        self.env = env
        self._subscription_id = subscription_id
        self._credential = credential
        self._progress = progress
        self._connections = connections
        self._data_clients: list[KustoClient] = []

    @cached_property
    def credential(self) -> TokenCredential:
        chosen: TokenCredential = self._credential or operator_credential(
            self.cloud, self.env, self._progress
        )
        return chosen

    @property
    def subscription_id(self) -> str:
        if not self._subscription_id:
            raise UsageError(
                "No subscription given.", hint="Pass --subscription or set AZURE_SUBSCRIPTION_ID."
            )
        return self._subscription_id

    @cached_property
    def _kwargs(self) -> dict[str, Any]:
        return {
            "base_url": self.cloud.arm_endpoint,
            "credential_scopes": [self.cloud.arm_scope],
            # Retry-After drives the poll interval; 1 s is the floor when a service sends none.
            "polling_interval": 1,
            "retry_policy": retry_policy(self._progress, self.env.retries),
            "per_retry_policies": [self.gate, request_recorder()],
            "transport": self._transport,
        }

    @cached_property
    def gate(self) -> Any:
        return throttle_gate()

    @cached_property
    def _transport(self) -> Any:
        return shared_transport(self._connections)

    @cached_property
    def msi(self) -> ManagedServiceIdentityClient:
        from azure.mgmt.msi import ManagedServiceIdentityClient

        return ManagedServiceIdentityClient(self.credential, self.subscription_id, **self._kwargs)

    @cached_property
    def kusto(self) -> KustoManagementClient:
        from azure.mgmt.kusto import KustoManagementClient

        return KustoManagementClient(self.credential, self.subscription_id, **self._kwargs)

    @cached_property
    def web(self) -> WebSiteManagementClient:
        from azure.mgmt.web import WebSiteManagementClient

        return WebSiteManagementClient(self.credential, self.subscription_id, **self._kwargs)

    @cached_property
    def resources(self) -> ResourceManagementClient:
        from azure.mgmt.resource.resources import ResourceManagementClient

        return ResourceManagementClient(self.credential, self.subscription_id, **self._kwargs)

    def kusto_data(self, cluster_uri: str, credential: Any = None) -> DataClient:
        """A data-plane client for one cluster, signed in as the operator or `credential`."""
        from azure.kusto.data import KustoClient, KustoConnectionStringBuilder

        from .kusto_data import DataClient

        kcsb = KustoConnectionStringBuilder.with_azure_token_credential(
            cluster_uri, credential or self.credential
        )
        client = KustoClient(kcsb)
        self._data_clients.append(client)
        return DataClient(client, self.env.retries)

    def close(self) -> None:
        """Close every client this session made, and so their connections."""
        for name in ("msi", "kusto", "web", "resources"):
            client = self.__dict__.pop(name, None)  # made on first use (cached_property)
            if client is not None:
                client.close()
        transport = self.__dict__.pop("_transport", None)
        if transport is not None:
            transport.session.close()
        for data_client in self._data_clients:
            data_client.close()  # type: ignore[no-untyped-call]  # azure-kusto-data has no annotation here
        self._data_clients.clear()
        made = self.__dict__.pop("credential", None)
        if made is not None and self._credential is None:  # the session's own sign-in
            shutdown = getattr(made, "shutdown", None)
            if shutdown is not None:
                shutdown()

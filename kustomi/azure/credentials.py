"""How kustomi signs in as the operator: a credential chain that fits a CLI, and a token cache.

The chain is built from azure-identity's own credentials, in DefaultAzureCredential's order
(azure/identity/_credentials/default.py), with three changes for a command-line tool:

- ManagedIdentityCredential is in the chain only where a managed identity can exist: an
  App Service, Functions or Arc endpoint (IDENTITY_ENDPOINT), Cloud Shell or Azure ML
  (MSI_ENDPOINT), or when asked for (KUSTOMI_MANAGED_IDENTITY=1, or AZURE_TOKEN_CREDENTIALS).
  DefaultAzureCredential probes IMDS on every run, which on a laptop costs seconds before it
  reaches `az login`.
- WorkloadIdentityCredential only where its token file is set (AZURE_FEDERATED_TOKEN_FILE).
- No Visual Studio Code, shared-cache or broker credentials unless AZURE_TOKEN_CREDENTIALS names
  one: a CLI's users sign in with `az login`, `azd auth login` or a service principal.

AZURE_TOKEN_CREDENTIALS follows azure-identity 1.27 (azure/identity/_internal/utils.py,
process_credential_exclusions): `dev`, `prod`, or one credential's class name, case-insensitive;
https://learn.microsoft.com/azure/developer/python/sdk/authentication/credential-chains

Every credential that runs a subprocess (`az account get-access-token`) or sends a request gets
no cache of its own from azure-identity ("Applications calling this method directly must also
handle token caching", AzureCliCredential.get_token), and every SDK client asks again:
azure-kusto-data asks the credential for each request (AzureIdentityTokenCredentialProvider
has no cache), each management client has its own BearerTokenCredentialPolicy. So the chain
keeps each token for the process: one `az` run per audience per command.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..cloud import Cloud
from ..config import Environment, flag
from ..errors import UNREADABLE, AuthError, KustomiError, ServiceError, UnreadableAnswer, UsageError
from . import azcli

log = logging.getLogger(__name__)

HINT = (
    "Run `az login` (or `azd auth login`), or set AZURE_TENANT_ID, AZURE_CLIENT_ID and "
    "AZURE_CLIENT_SECRET for a service principal. See README, How kustomi signs in."
)

# What each credential waits on, said when sign-in is slow.
WAITING_ON = {
    "EnvironmentCredential": "the service principal in AZURE_CLIENT_*",
    "WorkloadIdentityCredential": "workload identity (AZURE_FEDERATED_TOKEN_FILE)",
    "ManagedIdentityCredential": "the managed-identity endpoint",
    "AzureCliCredential": "the Azure CLI (az account get-access-token)",
    "AzureDeveloperCliCredential": "the Azure Developer CLI (azd auth token)",
    "AzurePowerShellCredential": "Azure PowerShell (Get-AzAccessToken)",
    "VisualStudioCodeCredential": "Visual Studio Code's sign-in",
    "InteractiveBrowserCredential": "the sign-in in your browser",
}
# AZURE_TOKEN_CREDENTIALS values azure-identity 1.27 accepts, lower-cased, and what kustomi
# builds for each. `dev` and `prod` are its groups, less the credentials a CLI does not use.
NAMES = {name.lower(): name for name in WAITING_ON}
DEV = ("AzureCliCredential", "AzureDeveloperCliCredential", "AzurePowerShellCredential")
PROD = ("EnvironmentCredential", "WorkloadIdentityCredential", "ManagedIdentityCredential")
# A token this close to its expiry is fetched again (azure-core's BearerTokenCredentialPolicy
# refreshes 300 s ahead too).
REFRESH_MARGIN = 300


def chosen_names(env: Mapping[str, str]) -> tuple[list[str], str]:
    """The credentials to try, in order, and why (for messages): from AZURE_TOKEN_CREDENTIALS,
    else kustomi's default chain. A value azure-identity would refuse is a usage error."""
    value = env.get("AZURE_TOKEN_CREDENTIALS", "").strip().lower()
    if value == "dev":
        return list(DEV), "AZURE_TOKEN_CREDENTIALS=dev"
    if value == "prod":
        return list(PROD), "AZURE_TOKEN_CREDENTIALS=prod"
    if value:
        if value not in NAMES:
            raise UsageError(
                f"AZURE_TOKEN_CREDENTIALS={env['AZURE_TOKEN_CREDENTIALS']!r} is not a "
                "credential kustomi knows.",
                hint="Use dev, prod, or one of: " + ", ".join(NAMES.values()) + ".",
            )
        return [NAMES[value]], f"AZURE_TOKEN_CREDENTIALS={NAMES[value]}"
    names = ["EnvironmentCredential"]
    if env.get("AZURE_FEDERATED_TOKEN_FILE"):
        names.append("WorkloadIdentityCredential")
    if (
        env.get("IDENTITY_ENDPOINT")
        or env.get("MSI_ENDPOINT")
        or flag(env.get("KUSTOMI_MANAGED_IDENTITY"), "KUSTOMI_MANAGED_IDENTITY")
    ):
        names.append("ManagedIdentityCredential")
    names += DEV
    return names, "the default chain"


def retry_settings(n: int) -> dict[str, int]:
    """KUSTOMI_RETRIES (`n`) for azure-core's RetryPolicy, in every pipeline kustomi builds
    (the management clients, and the sign-in's requests to Entra, which would otherwise retry
    10 times with up to two minutes of backoff)."""
    return dict.fromkeys(("retry_total", "retry_connect", "retry_read", "retry_status"), n)


def tls_final_retry_policy() -> Any:
    """azure-core's RetryPolicy, but an untrusted certificate or an unreadable CA bundle is
    not retried: it fails the same way every time, and four retries with backoff only make
    the user wait ~10 s for the TLS hint. (azure-identity takes the class as
    `retry_policy_class`: build_pipeline in azure/identity/_internal/pipeline.py.)"""
    from azure.core.pipeline.policies import RetryPolicy

    from .errors import tls_failure

    class TlsFinal(RetryPolicy[Any, Any]):
        def increment(self, settings: Any, response: Any = None, error: Any = None) -> bool:
            if error is not None and tls_failure(error):
                return False
            return bool(super().increment(settings, response, error))

    return TlsFinal


def _build(name: str, cloud: Cloud, env: Environment) -> Any:
    import azure.identity as identity

    # MSAL-based credentials sign in at the cloud's authority; MSAL would ask the public cloud
    # to validate an authority it does not know (azure-identity's disable_instance_discovery).
    msal: dict[str, Any] = {
        "authority": cloud.authority_host,
        "retry_policy_class": tls_final_retry_policy(),
        **retry_settings(env.retries),
    }
    if cloud.custom:
        msal["disable_instance_discovery"] = True
    if name == "EnvironmentCredential":
        return identity.EnvironmentCredential(**msal)
    if name == "WorkloadIdentityCredential":
        return identity.WorkloadIdentityCredential(**msal)
    if name == "ManagedIdentityCredential":
        # As DefaultAzureCredential: AZURE_CLIENT_ID names a user-assigned identity.
        return identity.ManagedIdentityCredential(client_id=env.get("AZURE_CLIENT_ID"))
    if name == "InteractiveBrowserCredential":
        return identity.InteractiveBrowserCredential(**msal)
    if name == "AzureCliCredential":
        return CliCredential()
    # The developer sign-ins run their own tool, which knows its cloud.
    return getattr(identity, name)()


class CliCredential:
    """azure-identity's AzureCliCredential, with `az` run by kustomi.azure.azcli: a run
    started early (at start-up, for ARM) is taken rather than started again, and a run still
    going when kustomi exits is killed. Everything else is azure-identity's own: the arguments,
    the token's parsing, and the errors for each way `az` fails
    (azure/identity/_credentials/azure_cli.py, _get_token_base and _run_command)."""

    def __init__(self) -> None:
        from azure.identity import AzureCliCredential

        self.upstream = AzureCliCredential()

    def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        try:
            from azure.identity._credentials import azure_cli as cli
            from azure.identity._internal import (
                _scopes_to_resource,
                resolve_tenant,
                validate_scope,
                validate_tenant_id,
            )
        except ImportError:  # pragma: no cover - a future azure-identity: its own runs
            return self.upstream.get_token_info(*scopes, options=options)
        options = dict(options or {})
        if options.get("claims"):  # refused before any run, with az's own advice
            return self.upstream.get_token_info(*scopes, options=options)
        tenant_id = options.get("tenant_id") or None
        if tenant_id:
            validate_tenant_id(tenant_id)
        for scope in scopes:
            validate_scope(scope)
        resource = _scopes_to_resource(*scopes)
        tenant = resolve_tenant(default_tenant="", tenant_id=tenant_id)
        args = azcli.argv(resource, tenant or "")
        early = azcli.started_early(args)
        output = _run_az(cli, args)
        if early:
            log.debug("az account get-access-token for %s was started at start-up", resource)
        token = cli.parse_token(output)
        if not token:
            from azure.core.exceptions import ClientAuthenticationError

            raise ClientAuthenticationError(
                message=f"Unexpected output from Azure CLI: '{cli.sanitize_output(output)}'. \n"
                "To mitigate this issue, please refer to the troubleshooting guidelines here at "
                "https://aka.ms/azsdk/python/identity/azclicredential/troubleshoot."
            )
        return token

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        options = {k: kwargs[k] for k in ("claims", "tenant_id") if kwargs.get(k)}
        info = self.get_token_info(*scopes, options=options)
        return AccessToken(info.token, info.expires_on)

    def close(self) -> None:
        pass


def _run_az(cli: Any, args: list[str]) -> str:
    """`az` with these arguments, its failures said as azure-identity's _run_command says
    them: not installed or not signed in -> unavailable (the chain goes on); any other failure
    -> ClientAuthenticationError with az's stderr, tokens redacted."""
    import subprocess

    from azure.core.exceptions import ClientAuthenticationError
    from azure.identity import CredentialUnavailableError

    try:
        run = azcli.take(args)
    except azcli.NotFound:
        raise CredentialUnavailableError(message=cli.CLI_NOT_FOUND) from None
    except OSError as e:
        message = f"Failed to execute '{cli.EXECUTABLE_NAME}'"
        raise CredentialUnavailableError(message=message) from e
    try:
        code, out, err = run.result()
    except subprocess.TimeoutExpired as e:
        raise CredentialUnavailableError(message="Failed to invoke the Azure CLI") from e
    if code == 0:
        return out
    if code == 127 or err.startswith("'az' is not recognized"):
        raise CredentialUnavailableError(message=cli.CLI_NOT_FOUND)
    if ("az login" in err or "az account set" in err) and "AADSTS" not in err:
        raise CredentialUnavailableError(message=cli.NOT_LOGGED_IN)
    raise ClientAuthenticationError(
        message=cli.sanitize_output(err) if err else "Failed to invoke Azure CLI"
    )


class _Unavailable:
    """A credential that could not be built (e.g. workload identity without its variables)."""

    def __init__(self, error: str) -> None:
        self.error = error

    def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        from azure.identity import CredentialUnavailableError

        raise CredentialUnavailableError(message=self.error)

    def close(self) -> None:
        pass


def operator_credential(
    cloud: Cloud, env: Environment, progress: Callable[[str], None] | None = None
) -> Any:
    """The operator's sign-in: the chain above, each token kept for the process."""
    names, why = chosen_names(env.values)
    chain: list[tuple[str, Any]] = []
    for name in names:
        try:
            chain.append((name, _build(name, cloud, env)))
        except ValueError as e:  # azure-identity checks a credential's settings when built
            chain.append((name, _Unavailable(str(e))))
    return OperatorCredential(chain, why, progress, env.signin_notice_seconds)


@contextlib.contextmanager
def _in_chain() -> Iterator[None]:
    """Tell azure-identity its credentials are tried in a chain, as ChainedTokenCredential
    does: a credential that cannot sign in then logs at DEBUG, not WARNING on stderr
    (azure/identity/_internal/decorators.py, log_get_token)."""
    try:
        from azure.identity._internal import within_credential_chain
    except ImportError:  # pragma: no cover - a future azure-identity
        yield
        return
    token = within_credential_chain.set(True)
    try:
        yield
    finally:
        within_credential_chain.reset(token)


class OperatorCredential:
    """A TokenCredential (get_token and get_token_info) over an ordered list of credentials.

    As ChainedTokenCredential: the first credential that gives a token is used for every later
    audience; one that is unavailable (CredentialUnavailableError) passes to the next; any other
    error ends the chain. Tokens are kept per scopes, tenant and claims until near expiry, and
    one request for a key waits for another in flight rather than fetch it again."""

    def __init__(
        self,
        chain: list[tuple[str, Any]],
        why: str = "the default chain",
        progress: Callable[[str], None] | None = None,
        notice_after: float = 1.0,
    ) -> None:
        self.chain = chain
        self.why = why
        self.progress = progress
        self.notice_after = notice_after  # KUSTOMI_SIGNIN_NOTICE_SECONDS
        self.signed_in_with: str | None = None
        self._tokens: dict[tuple[Any, ...], Any] = {}
        self._errors: dict[tuple[Any, ...], KustomiError] = {}
        self._locks: dict[tuple[Any, ...], threading.Lock] = {}
        self._lock = threading.Lock()
        self._announced: set[str] = set()

    # azure-core's TokenCredential protocol (azure-kusto-data calls this one)
    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> Any:
        from azure.core.credentials import AccessToken

        options: dict[str, Any] = {"enable_cae": enable_cae}
        if claims:
            options["claims"] = claims
        if tenant_id:
            options["tenant_id"] = tenant_id
        info = self.get_token_info(*scopes, options=options)
        return AccessToken(info.token, info.expires_on)

    # azure-core's SupportsTokenInfo protocol (the management SDKs' pipelines call this one)
    def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        options = dict(options or {})
        key = (
            tuple(scopes),
            options.get("tenant_id") or "",
            options.get("claims") or "",
            bool(options.get("enable_cae")),
        )
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key in self._errors:
                raise self._errors[key]
            cached = self._tokens.get(key)
            if cached is not None and not _due(cached):
                return cached
            try:
                token = self._fetch(scopes, options)
            except KustomiError as e:
                self._errors[key] = e
                raise
            self._tokens[key] = token
            return token

    def prefetch(self, *scopes: str) -> None:
        """Fetch a token for each scope at once, so that a command that needs ARM and a Kusto
        cluster waits for one sign-in round, not one per audience in a row. A sign-in error is
        raised here; any other is left for the request that needs the token to report."""
        scopes = tuple(dict.fromkeys(s for s in scopes if s))
        if not scopes:
            return
        with ThreadPoolExecutor(max_workers=len(scopes)) as pool:
            futures = [pool.submit(self.get_token_info, scope) for scope in scopes]
        for future in futures:
            error = future.exception()
            if isinstance(error, KustomiError):
                raise error

    def _fetch(self, scopes: tuple[str, ...], options: dict[str, Any]) -> Any:
        from azure.identity import CredentialUnavailableError

        chain = self.chain
        if self.signed_in_with is not None:
            chain = [c for c in chain if c[0] == self.signed_in_with]
        tried: list[str] = []
        for name, credential in chain:
            started = time.monotonic()
            try:
                with _in_chain(), self._notice(name):
                    token = credential.get_token_info(*scopes, options=options)
            except CredentialUnavailableError as e:
                tried.append(f"  {name}: {_reason(name, e)}")
                continue
            except Exception as e:
                raise _sign_in_error(name, e) from None
            self.signed_in_with = name
            log.info(
                "signed in with %s for %s (%.2f s; %s)",
                name,
                " ".join(scopes),
                time.monotonic() - started,
                self.why,
            )
            return token
        raise AuthError(
            f"could not sign in to Azure: no credential gave a token ({self.why}):\n"
            + "\n".join(tried),
            hint=HINT,
        )

    @contextlib.contextmanager
    def _notice(self, name: str) -> Iterator[None]:
        """Say on stderr which credential sign-in waits on, once it has waited a while."""
        if self.progress is None:
            yield
            return
        progress = self.progress

        def say() -> None:
            with self._lock:
                if name in self._announced:
                    return
                self._announced.add(name)
            progress(f"signing in: waiting on {WAITING_ON.get(name, name)} ({name})")

        timer = threading.Timer(self.notice_after, say)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()

    def close(self) -> None:
        """Nothing: every client of the session shares this credential, and azure-kusto-data
        closes its credential when its client closes (AzureIdentityTokenCredentialProvider)."""

    def shutdown(self) -> None:
        """Close the credentials of the chain (their HTTP sessions): at the end of a command,
        once every client is closed."""
        for _, credential in self.chain:
            close = getattr(credential, "close", None)
            if close is not None:
                close()


def _sign_in_error(name: str, exc: BaseException) -> KustomiError:
    """Why `name` could not sign in. A TLS failure or a 5xx from Entra is not a sign-in problem
    the user can fix with `az login`: it is said as what it is (exit 5)."""
    from .errors import TLS_HINT, tls_failure

    text = f"could not sign in to Azure with {name}: {_first_line(exc)}"
    if tls_failure(exc):
        return ServiceError(text, hint=TLS_HINT)
    if _server_error(exc):
        return ServiceError(text, hint="Entra answered with a server error; retry in a moment.")
    if _malformed(exc):
        return UnreadableAnswer(
            f"{UNREADABLE} (signing in with {name}): {_first_line(exc)}",
            hint="Entra (or a proxy in between) answered with a body of another shape; retry, "
            "and check the sign-in endpoint (AZURE_AUTHORITY_HOST, KUSTOMI_CLOUD).",
        )
    if _unreachable(exc):
        return ServiceError(
            text,
            hint="The sign-in endpoint could not be reached: check the network, a proxy "
            "(HTTPS_PROXY, NO_PROXY) and the endpoint's address, then retry.",
        )
    return AuthError(text, hint=HINT)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The error and those it was raised from (azure-identity wraps MSAL's and requests')."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        yield e
        e = e.__cause__ or e.__context__


def _malformed(exc: BaseException) -> bool:
    """An answer of Entra that could not be read: MSAL's KeyError on an OpenID document
    without its endpoints, or a 2xx token answer with no token in it. azure-identity says the
    latter as "Authentication failed: None": a result with neither `access_token` nor `error`
    (azure/identity/_internal/client_credential_base.py, _request_token)."""
    from .errors import READ_FAILURES

    for e in _chain(exc):
        if type(e) in READ_FAILURES:
            return True
        if str(e).endswith("failed: None"):
            return True
        status = getattr(getattr(e, "response", None), "status_code", None)
        if isinstance(status, int) and 200 <= status < 300:
            return True
    return False


def _server_error(exc: BaseException) -> bool:
    """A 5xx from Entra, wherever it shows: the response azure-identity keeps, or, when MSAL
    made the request (the token or the authority's metadata), the MsalServiceError it chains
    ("HTTP Error: 500": msal/oauth2cli/oidc.py and msal/authority.py raise it so)."""
    for e in _chain(exc):
        status = getattr(getattr(e, "response", None), "status_code", None)
        if isinstance(status, int) and status >= 500:
            return True
        if re.search(r"\bHTTP Error: 5\d\d\b", str(e)):
            return True
    return False


def _unreachable(exc: BaseException) -> bool:
    """No answer at all: the connection was refused, dropped or timed out, or the name did not
    resolve (azure-core's ServiceRequestError / ServiceResponseError, or requests' and the
    standard library's connection errors that MSAL lets through)."""
    from azure.core.exceptions import ServiceRequestError, ServiceResponseError

    markers = ("Failed to establish a new connection", "Connection aborted", "RemoteDisconnected")
    for e in _chain(exc):
        if isinstance(
            e, (ServiceRequestError, ServiceResponseError, ConnectionError, TimeoutError)
        ):
            return True
        if type(e).__name__ in ("ConnectionError", "ConnectTimeout", "ReadTimeout"):
            return True  # requests.exceptions, without importing requests here
        if any(m in str(e) for m in markers):
            return True
    return False


def _due(token: Any) -> bool:
    now = time.time()
    refresh_on = getattr(token, "refresh_on", None)
    if refresh_on and now >= refresh_on:
        return True
    return bool(token.expires_on - now < REFRESH_MARGIN)


def _reason(name: str, error: BaseException) -> str:
    """Why a credential was unavailable, without azure-identity's "<Name> authentication
    unavailable." preamble, on one line."""
    text = _first_line(error)
    if text.startswith(name) and ". " in text:
        text = text.split(". ", 1)[1]
    return text[:200]


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "message", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def prefetch(azure: Any, *cluster_uris: str) -> None:
    """Fetch the operator's ARM token and each cluster's Kusto token at once (an Azure
    session with an injected credential is left alone). A cluster whose token scope cannot be
    read is skipped: the request that needs it reports why."""
    credential = azure.credential
    if not isinstance(credential, OperatorCredential):
        return
    from . import kusto_data

    scopes = [azure.cloud.arm_scope]
    for uri in cluster_uris:
        with contextlib.suppress(Exception):
            scopes.append(kusto_data.token_scope(uri))
    credential.prefetch(*scopes)


def warm(azure: Any, *cluster_uris: str) -> None:
    """Start fetching each cluster's Kusto token (its metadata read, then the token) in the
    background, and return at once: the command goes on with ARM meanwhile, and the request
    that needs the token waits for this fetch rather than make its own. Nothing is raised
    here; a sign-in error is kept by the credential and raised where the token is needed, as
    if it were fetched there."""
    credential = azure.credential
    if not isinstance(credential, OperatorCredential) or not cluster_uris:
        return
    from . import kusto_data

    def fetch() -> None:
        for uri in cluster_uris:
            with contextlib.suppress(Exception):
                credential.get_token_info(kusto_data.token_scope(uri))

    threading.Thread(target=fetch, name="kustomi-warm", daemon=True).start()

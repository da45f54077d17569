"""Targets and their validation. Everything here runs before any request is sent; bad input
raises UsageError (exit 2) with a hint."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .cloud import Cloud, parse_https
from .errors import UsageError
from .names import ROLE_HELP

GUID_RE = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
# Microsoft.ManagedIdentity: 3-128 characters, alphanumerics, '-' and '_', alphanumeric first.
IDENTITY_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{2,127}")
# Resource groups: 1-90 characters, alphanumerics, '_', '-', '.', '(' and ')', not ending in '.'.
RG_RE = re.compile(r"[-\w.()]{0,89}[-\w()]")
# App Service site and slot names: 2-60 characters, alphanumerics and '-', no leading '-'.
APP_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,58}[A-Za-z0-9]")
# Kusto clusters: 4-22 lower-case letters and digits, starting with a letter.
CLUSTER_RE = re.compile(r"[a-z][a-z0-9]{3,21}")
# Kusto database names: letters, digits, '_', '.', '-' and spaces, at most 260 characters.
DATABASE_RE = re.compile(r"[\w.\- ]{1,260}")
# App setting names (Linux plans reject most punctuation).
SETTING_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,255}")
IDENTITY_ID_RE = re.compile(
    r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/"
    r"Microsoft\.ManagedIdentity/userAssignedIdentities/(?P<name>[^/]+)",
    re.IGNORECASE,
)

# Database roles: what a user types -> ARM's value (DatabasePrincipalRole in azure-rest-api-specs
# specification/azure-kusto/resource-manager/Microsoft.Kusto/Kusto/stable/2025-02-14/kusto.json)
# and KQL's plural (https://learn.microsoft.com/kusto/management/manage-database-security-roles).
ROLES = {
    "viewer": "Viewer",
    "user": "User",
    "ingestor": "Ingestor",
    "monitor": "Monitor",
    "admin": "Admin",
    "unrestrictedviewer": "UnrestrictedViewer",
    # Cluster-wide (ClusterPrincipalRole): rules.CLUSTER_ROLES says what each holds.
    "alldatabasesviewer": "AllDatabasesViewer",
    "alldatabasesmonitor": "AllDatabasesMonitor",
    "alldatabasesadmin": "AllDatabasesAdmin",
}


def kql_role(arm_role: str) -> str:
    return arm_role.lower() + "s"


# Unicode categories refused in any input: controls (newline, tab, NUL, ESC...), format
# characters (zero-width and bidi overrides) and the line and paragraph separators.
CONTROL_CATEGORIES = {"Cc", "Cf", "Zl", "Zp"}


def text(value: str, what: str) -> str:
    """`value` unchanged if it has no control or invisible character. Regexes alone do not
    guard this: `$` also matches before a final newline, so every pattern here is used with
    fullmatch, and values no pattern checks (a note, a URL) come through here."""
    for i, ch in enumerate(value):
        if unicodedata.category(ch) in CONTROL_CATEGORIES:
            raise UsageError(
                f"{what} holds a control character ({ch!r} at position {i + 1}).",
                hint="Newlines, tabs and invisible characters are never part of a name or an "
                "id; look for a stray line end in a script, an environment variable or "
                "kustomi.toml.",
            )
    return value


def typed(name: str, value: object, kind: type, optional: bool = False) -> None:
    """A value given to the Python API, of the type its parameter says: the CLI's values come
    typed from its parser, the API's from any caller. bool is not taken for a number (True is
    an int to Python), nor a number for a bool; an empty string is not taken for "not given"."""
    if value is None and optional:
        return
    if kind is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, kind)
    if not ok:
        want = {str: "a string", int: "a whole number", float: "a number", bool: "True or False"}
        raise UsageError(
            f"{name} must be {want.get(kind, kind.__name__)}, not {value!r}.",
            hint=f"Pass {name} as {want.get(kind, kind.__name__)}"
            + (" (or None)." if optional else "."),
        )
    if isinstance(value, str) and not value.strip():
        raise UsageError(f"{name} is empty.", hint=f"Pass a value for {name}, or leave it out.")


def typed_list(name: str, value: object) -> None:
    """A list of strings (a string alone is refused: it would be read letter by letter)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise UsageError(
            f"{name} must be a list of strings, not {value!r}.", hint=f"{name}=[{value!r}]"
        )
    for i, item in enumerate(value):
        typed(f"{name}[{i}]", item, str)


def conflict(first: str, second: str, hint: str) -> UsageError:
    return UsageError(f"{first} and {second} cannot be used together.", hint=hint)


def seconds(value: float, what: str) -> float:
    """A duration option: a finite number of seconds, 0 or more (float() takes 'nan', 'inf')."""
    if not math.isfinite(value) or value < 0:
        raise UsageError(
            f"{what} must be a number of seconds, 0 or more, not {value}.",
            hint=f"For example {what} 120.",
        )
    return value


# KUSTOMI_RETRIES: how many times the SDK pipeline retries one request. azure-core's
# RetryPolicy also stops after 3 retries of one kind (retry_status, retry_connect, retry_read
# default to 3; azure/core/pipeline/policies/_retry.py, RetryPolicyBase.is_exhausted), so the
# policy sets those to the same number, which makes it the real count.
DEFAULT_RETRIES = 4
MAX_RETRIES = 10


def retries(value: str | None) -> int:
    """KUSTOMI_RETRIES as a number of retries (default 4)."""
    if value is None or value == "":
        return DEFAULT_RETRIES
    if not re.fullmatch(r"[0-9]{1,3}", value) or int(value) > MAX_RETRIES:
        raise UsageError(
            f"KUSTOMI_RETRIES must be a whole number from 0 to {MAX_RETRIES}, not {value!r}.",
            hint="It is how many times a throttled (429), failed (5xx) or dropped request is "
            f"retried; unset it for the default, {DEFAULT_RETRIES}.",
        )
    return int(value)


def ca_bundle(env: Mapping[str, str]) -> None:
    """REQUESTS_CA_BUNDLE (or CURL_CA_BUNDLE), if set, names a readable PEM file or a folder of
    them: a wrong one fails every request with a TLS error, so it is refused up front."""
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        value = env.get(name)
        if not value:
            continue
        path = Path(value)
        if path.is_dir():
            continue
        try:
            pem = path.read_text(errors="replace") if path.is_file() else ""
        except OSError:
            pem = ""
        if "-----BEGIN CERTIFICATE-----" not in pem:
            raise UsageError(
                f"{name}={value!r} is not a readable file of PEM certificates.",
                hint=f"Point {name} at the CA file that signs the endpoint's certificate "
                "(for the emulator: DIR/ca.pem), or unset it to use the system's CAs.",
            )
        return


# azure-identity's own rule for a tenant: letters, digits, '-' and '.' (a GUID or a domain
# such as contoso.onmicrosoft.com; azure/identity/_internal/utils.py, validate_tenant_id).
TENANT_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,255}")
FLAGS = {"": False, "0": False, "false": False, "no": False, "1": True, "true": True, "yes": True}


@dataclass(frozen=True)
class Environment:
    """The environment as a session read it, every value checked (`environment`): the code
    below the session (steps, the Azure layer) takes its settings from here and never reads
    os.environ itself."""

    values: Mapping[str, str] = field(default_factory=dict)
    retries: int = DEFAULT_RETRIES
    progress_seconds: float = 5.0
    signin_notice_seconds: float = 1.0
    managed_identity: bool = False

    def get(self, name: str) -> str | None:
        return self.values.get(name)


def environment(env: Mapping[str, str]) -> Environment:
    """Every environment variable kustomi (or the SDKs it drives) reads, checked at once,
    before any request: the CLI and the Python API call this when a session starts, so that a
    bad value is a usage error (exit 2, nothing sent), never a failure half-way."""
    from .cloud import from_environment

    checked = Environment(
        values=dict(env),
        retries=retries(env.get("KUSTOMI_RETRIES")),
        progress_seconds=progress_seconds(env.get("KUSTOMI_PROGRESS_SECONDS")),
        signin_notice_seconds=signin_notice_seconds(env.get("KUSTOMI_SIGNIN_NOTICE_SECONDS")),
        managed_identity=flag(env.get("KUSTOMI_MANAGED_IDENTITY"), "KUSTOMI_MANAGED_IDENTITY"),
    )
    ca_bundle(env)
    from_environment(dict(env))
    tenant = env.get("AZURE_TENANT_ID")
    if tenant and not TENANT_RE.fullmatch(tenant):
        raise UsageError(
            f"AZURE_TENANT_ID={tenant!r} is not a tenant id.",
            hint="A tenant is a GUID (az account show --query tenantId -o tsv) or a domain "
            "such as contoso.onmicrosoft.com.",
        )
    client = env.get("AZURE_CLIENT_ID")
    if client:
        guid(client.strip(), "The client id (AZURE_CLIENT_ID)")
    return checked


def flag(value: str | None, what: str) -> bool:
    """A yes/no environment variable: 1, true, yes or 0, false, no (any case), or unset."""
    v = (value or "").strip().lower()
    if v not in FLAGS:
        raise UsageError(
            f"{what} must be 1, true or yes (or 0, false, no), not {value!r}.",
            hint=f"Unset {what}, or set it to 1.",
        )
    return FLAGS[v]


def signin_notice_seconds(value: str | None) -> float:
    """KUSTOMI_SIGNIN_NOTICE_SECONDS: after how long a sign-in says what it waits on (1)."""
    return _seconds_variable("KUSTOMI_SIGNIN_NOTICE_SECONDS", value, 1.0, zero=True)


def progress_seconds(value: str | None) -> float:
    """KUSTOMI_PROGRESS_SECONDS: how often a long wait says it is still waiting (default 5)."""
    return _seconds_variable("KUSTOMI_PROGRESS_SECONDS", value, 5.0, zero=False)


def _seconds_variable(name: str, value: str | None, default: float, zero: bool) -> float:
    """A duration from the environment: finite, above 0 (or 0 and more with `zero`); unset
    or empty is the default. float() takes 'nan' and 'inf': both are refused."""
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not math.isfinite(number) or number < 0 or (number == 0 and not zero):
        floor = "0 or more" if zero else "above 0"
        raise UsageError(
            f"{name} must be a number of seconds, {floor}, not {value!r}.",
            hint=f"Unset it for the default, {default:g}.",
        )
    return number


def subscription(given: str | None, identity: IdentityRef | None = None) -> str | None:
    """The subscription to use: the one given (--subscription, AZURE_SUBSCRIPTION_ID or
    kustomi.toml), which an identity's resource id must agree with; else the id's own."""
    sub = guid(given, "The subscription") if given else None
    named = identity.subscription if identity is not None else None
    if named is None or sub is None:
        return sub or named
    if named != sub:
        raise UsageError(
            f"The identity's resource id is in subscription {named}, but the subscription "
            f"given (--subscription or AZURE_SUBSCRIPTION_ID) is {sub}.",
            hint=f"Pass --subscription {named}, or name an identity of subscription {sub}.",
        )
    return sub


# Azure region names as ARM takes them: `westeurope`, or the display name `West Europe`.
LOCATION_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*( [A-Za-z0-9]+)*")


def location(value: str) -> str:
    if len(value) > 50 or not LOCATION_RE.fullmatch(value):
        raise UsageError(
            f"{value!r} is not an Azure location.",
            hint="A region name such as westeurope (az account list-locations -o table).",
        )
    return value


def guid(value: str, what: str) -> str:
    if not GUID_RE.fullmatch(value):
        raise UsageError(
            f"{what} {value!r} is not a GUID.",
            hint="A GUID looks like 00000000-0000-0000-0000-000000000000.",
        )
    return value.lower()


def resource_group(value: str | None, what: str = "resource group") -> str:
    if not value:
        raise UsageError(f"No {what} given.", hint="Pass -g/--resource-group.")
    return _matching(
        value,
        RG_RE,
        "a valid resource group name",
        "1-90 letters, digits, '_', '-', '.', '(' or ')', not ending in '.'.",
    )


def _matching(value: str, pattern: re.Pattern[str], what: str, hint: str) -> str:
    """`value` if the whole of it matches `pattern` (fullmatch: `$` would let a final newline
    through), else a usage error saying it is not `what`."""
    if not pattern.fullmatch(value):
        raise UsageError(f"{value!r} is not {what}.", hint=hint)
    return value


def identity_name(value: str) -> str:
    return _matching(
        value,
        IDENTITY_NAME_RE,
        "a valid managed identity name",
        "3-128 letters, digits, '-' or '_', starting with a letter or digit.",
    )


def app_name(value: str, what: str = "function app") -> str:
    return _matching(
        value,
        APP_RE,
        f"a valid {what} name",
        "2-60 letters, digits or '-', not starting or ending with '-'.",
    )


def database(value: str | None) -> str:
    if not value or not value.strip():
        raise UsageError("The database name is empty.", hint="Pass --database NAME.")
    _matching(
        value,
        DATABASE_RE,
        "a valid Kusto database name",
        "Letters, digits, '_', '.', '-' and spaces; at most 260.",
    )
    if secret_keys_in(value):  # it goes into the connection setting, which holds no secret
        raise UsageError(
            f"The database name {value!r} looks like a token or a certificate.",
            hint="Pass the Kusto database name.",
        )
    return value


# Kusto table names: letters, digits, '_', '.', '-' and spaces, at most 1024
# (https://learn.microsoft.com/kusto/query/schema-entities/entity-names).
TABLE_RE = re.compile(r"[\w.\- ]{1,1024}")


def table_name(value: str) -> str:
    if not value or not value.strip():
        raise UsageError("The table name is empty.", hint="Pass --table NAME.")
    _matching(
        value,
        TABLE_RE,
        "a valid Kusto table name",
        "Letters, digits, '_', '.', '-' and spaces; at most 1024.",
    )
    return value


def setting_name(value: str) -> str:
    return _matching(
        value,
        SETTING_RE,
        "a valid app setting name",
        "Letters, digits, '_', '.' or '-', starting with a letter or '_'.",
    )


def role(value: str) -> str:
    v = text(value, "The role").strip().lower()
    arm = ROLES.get(v) or ROLES.get(v.removesuffix("s"))  # KQL's plural works too
    if arm is None:
        raise UsageError(f"Unknown role {value!r}.", hint=ROLE_HELP)
    return arm


def grant_scope(
    role_: str, database_: str | None, table: str | None, via: str | None
) -> tuple[str | None, str | None, str]:
    """Where a role (ARM's spelling) is granted, checked before any request: (database or
    None for the cluster, table or None, via). A cluster-wide role takes no database and no
    table and goes through ARM; a table role (ingestor, admin) takes its database and goes
    through KQL, since Kusto has no ARM resource for table roles; any other role takes a
    database."""
    from .rules import TABLE_ROLES, is_cluster_role

    flag = f"--role {role_.lower()}"
    if via is not None and via not in ("arm", "kql"):
        raise UsageError(f"--via must be arm or kql, not {via!r}.", hint="--via arm")
    if is_cluster_role(role_):
        if database_ is not None:
            raise conflict(
                "--database",
                flag,
                hint=f"{role_} holds on every database of the cluster: drop --database, or "
                "grant a database role (viewer, ingestor, ...) on that database.",
            )
        if table is not None:
            raise conflict("--table", flag, hint="A table role is ingestor or admin.")
        if via == "kql":
            raise conflict(
                "--via kql",
                flag,
                hint="kustomi grants cluster-wide roles through ARM cluster principal "
                "assignments: drop --via kql.",
            )
        return None, None, "arm"
    if database_ is None:
        raise UsageError(
            f"{flag} needs --database.",
            hint="Pass --database NAME, or a cluster-wide role (alldatabasesviewer, "
            "alldatabasesmonitor, alldatabasesadmin) for every database.",
        )
    db = database(database_)
    if table is None:
        return db, None, via or "arm"
    if role_ not in TABLE_ROLES:
        raise UsageError(
            f"{flag} cannot be granted on a table.",
            hint="A table's roles are ingestor (an output binding to that table) and admin; "
            "for a query, grant viewer on the database.",
        )
    if via == "arm":
        raise conflict(
            "--table",
            "--via arm",
            hint="Kusto has no ARM resource for table roles: kustomi grants them with "
            ".add table (--via kql, the default with --table).",
        )
    return db, table_name(table), "kql"


@dataclass(frozen=True)
class IdentityRef:
    resource_group: str
    name: str
    subscription: str | None = None
    client_id: str | None = None  # when given by client id; name and group are then found
    # `--identity system`: the app's (or slot's) own system-assigned identity; `site` says
    # which app, once known (each app of a fleet has its own).
    system: bool = False
    site: AppTarget | None = None

    def of_site(self, target: AppTarget) -> IdentityRef:
        """The system-assigned identity of `target`."""
        from dataclasses import replace

        assert self.system
        return replace(self, resource_group=target.resource_group, site=target)

    @classmethod
    def parse(cls, value: str, default_rg: str | None) -> IdentityRef:
        """A client id, a full resource id, `system`, or a name in `default_rg`."""
        if is_system(value):
            return cls(resource_group=default_rg or "", name=SYSTEM, system=True)
        if GUID_RE.fullmatch(value):
            return cls(resource_group="", name="", client_id=value.lower())
        if value.startswith("/"):
            m = IDENTITY_ID_RE.fullmatch(value.rstrip("/"))
            if not m:
                raise UsageError(
                    f"{value!r} is not a user-assigned identity resource id.",
                    hint="/subscriptions/<sub>/resourceGroups/<rg>/providers/"
                    "Microsoft.ManagedIdentity/userAssignedIdentities/<name>",
                )
            guid(m["sub"], "The subscription in the identity id")
            return cls(resource_group(m["rg"]), identity_name(m["name"]), m["sub"].lower())
        return cls(
            resource_group(default_rg, "resource group for the identity"), identity_name(value)
        )


@dataclass(frozen=True)
class AppTarget:
    """A function app (or one of its slots), every part validated."""

    resource_group: str
    app: str
    slot: str | None = None

    @property
    def where(self) -> str:
        """The app and slot, as messages name them: `func-a (slot staging)`."""
        return f"{self.app} (slot {self.slot})" if self.slot else self.app

    @property
    def label(self) -> str:
        """The app as reports name it (`<rg>/<app> (slot <slot>)`): a fleet's findings,
        errors and progress lines, and the JSON's `apps[].app`."""
        return f"{self.resource_group}/{self.where}"


# `--identity system` (and `ManagedServiceIdentity = "system"` in a binding): the app's own
# system-assigned identity (https://learn.microsoft.com/azure/azure-functions/
# functions-bindings-azure-data-explorer, ManagedServiceIdentity).
SYSTEM = "system"


def is_system(value: object) -> bool:
    return isinstance(value, str) and value.strip().lower() == SYSTEM


def identity_by_name(value: str) -> bool:
    """Whether --identity names an identity (in a resource group), rather than giving its
    client id or resource id (which say where it is), or `system` (the app's own)."""
    return not GUID_RE.fullmatch(value) and not value.startswith("/") and not is_system(value)


def system_of(ref: IdentityRef, target: AppTarget | None, command: str) -> IdentityRef:
    """`ref` for the app `target`: a system identity is that app's, and needs it."""
    if not ref.system:
        return ref
    if target is None:
        raise UsageError(
            f"--identity system needs --app (and -g) with {command}: it is that app's own "
            "system-assigned identity.",
            hint="Pass --app APP -g RG (and --slot SLOT for a slot's own identity).",
        )
    return ref.of_site(target)


def cluster_by_name(value: str) -> bool:
    """Whether --cluster is a name (in a resource group) rather than a URI."""
    return "://" not in value


def identity_ref(
    value: str, identity_rg: str | None, rg: str | None, strict: bool = True
) -> IdentityRef:
    """--identity, its resource group coming from --identity-resource-group, else -g.
    --identity-resource-group applies to a name only: a resource id names its own group, and
    a client id is looked up in the whole subscription. `strict` when it was typed (not a
    kustomi.toml default, which applies to every command and may not fit this one)."""
    ref = IdentityRef.parse(value, identity_rg or rg)
    if strict and identity_rg and not identity_by_name(value):
        kind = "system" if ref.system else "a client id" if ref.client_id else "a resource id"
        raise conflict(
            "--identity-resource-group",
            f"--identity {kind}" if ref.system else f"--identity as {kind}",
            hint="--identity-resource-group applies to an identity given by name; drop it.",
        )
    return ref


def cluster_ref(
    value: str, cluster_rg: str | None, rg: str | None, cloud: Cloud, strict: bool = True
) -> ClusterRef:
    """--cluster, its resource group coming from --cluster-resource-group, else -g."""
    ref = ClusterRef.parse(value, cluster_rg or rg, cloud)
    if strict and cluster_rg and not cluster_by_name(value):
        raise conflict(
            "--cluster-resource-group",
            "--cluster as a URI",
            hint="A cluster given by URI is found in the subscription; drop "
            "--cluster-resource-group, or give the cluster by name.",
        )
    return ref


@dataclass(frozen=True)
class ClusterRef:
    """A cluster by name (with its resource group) or by URI."""

    name: str | None = None
    resource_group: str | None = None
    uri: str | None = None

    @classmethod
    def parse(cls, value: str, default_rg: str | None, cloud: Cloud) -> ClusterRef:
        if "://" not in value:
            if not CLUSTER_RE.fullmatch(value):
                raise UsageError(
                    f"{value!r} is not a valid cluster name or URI.",
                    hint="A name is 4-22 lower-case letters and digits; a URI "
                    "looks like https://<name>.<region>.kusto.windows.net.",
                )
            return cls(
                name=value,
                resource_group=resource_group(default_rg, "resource group for the cluster"),
            )
        return cls(uri=cluster_uri(value, cloud), resource_group=default_rg)


def cluster_uri(value: str, cloud: Cloud) -> str:
    """A cluster URI is a scheme, a host (and port) and, in a custom cloud, a path; nothing
    else. It is written as is into `Data Source=<uri>;Database=<db>;`, so anything that could
    end or extend that connection string (';', '=', whitespace, a user name, a query or a
    fragment) is refused rather than escaped."""
    text(value, "The cluster URI")
    if value.split("://", 1)[0].lower() != "https" or "://" not in value:
        raise UsageError(
            f"The cluster URI {value!r} is not https.",
            hint="Kusto clusters are reached over https only.",
        )
    m = parse_https(value)
    if not m:
        raise UsageError(
            f"{value!r} is not a cluster URI.",
            hint="Like https://<name>.<region>.kusto.windows.net: https, a host and a port "
            "(1-65535) at most; no user name, query, fragment, spaces, '..', ';' or '='.",
        )
    host, port, path = m["host"].lower(), m["port"], m["path"] or ""
    if cloud.kusto_suffixes and not host.endswith(cloud.kusto_suffixes):
        raise UsageError(
            f"{host!r} is not a Kusto host of {cloud.name}.",
            hint="Expected a host ending in "
            + " or ".join(cloud.kusto_suffixes)
            + "; set KUSTOMI_CLOUD for another cloud.",
        )
    if cloud.kusto_suffixes and path.strip("/"):
        raise UsageError(
            f"The cluster URI {value!r} has a path; a cluster URI has none.",
            hint="Like https://<name>.<region>.kusto.windows.net; the database is --database.",
        )
    segments = path.split("/")
    ingest = host.startswith("ingest-") or any(x.startswith("ingest-") for x in segments)
    if ingest:
        # The cluster's data ingestion URI (properties.dataIngestionUri,
        # https://ingest-<name>.<region>.kusto.windows.net; a custom cloud may put the prefix
        # in the path): the bindings and kustomi talk to the engine.
        if host.startswith("ingest-"):
            host_, path_ = host.removeprefix("ingest-"), path
        else:
            i = next(i for i, x in enumerate(segments) if x.startswith("ingest-"))
            segments[i] = segments[i].removeprefix("ingest-")
            host_, path_ = host, "/".join(segments)
        engine = f"https://{host_}{':' + port if port else ''}{path_.rstrip('/')}"
        raise UsageError(
            f"{value!r} is the cluster's ingestion endpoint, not the cluster.",
            hint=f"The cluster is {engine}: pass --cluster {engine}.",
        )
    uri = f"https://{host}{':' + port if port else ''}{path.rstrip('/')}"
    if secret_keys_in(uri):
        raise UsageError(
            f"The cluster URI {value!r} looks like it holds a token.",
            hint="Pass the cluster's URI as the portal shows it.",
        )
    return uri


# Connection-string keys that carry a secret (Kusto connection string keywords and aliases).
SECRET_KEYS = {
    "applicationkey",
    "appkey",
    "password",
    "pwd",
    "clientsecret",
    "applicationclientsecret",
    "secret",
    "token",
    "usertoken",
    "usrtoken",
    "applicationtoken",
    "apptoken",
    "accesstoken",
    "applicationcertificateprivatekey",
    "applicationcertificateblob",
    "applicationcertificate",
    "applicationcertificatethumbprint",
    "appcert",
    "certificate",
    "sharedaccesskey",
    "accountkey",
}
JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.")


def secret_keys_in(value: str) -> list[str]:
    """Names of the secret-bearing keys in a connection string (never their values)."""
    found = []
    for part in value.split(";"):
        key, sep, val = part.partition("=")
        if sep and val.strip() and re.sub(r"[\s_]", "", key).lower() in SECRET_KEYS:
            found.append(key.strip())
    if JWT_RE.search(value) or "-----BEGIN" in value:
        found.append("(embedded token or certificate)")
    return found


def connection_value(uri: str, db: str) -> str:
    return f"Data Source={uri};Database={db};"

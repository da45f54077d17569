"""Targets and their validation. Everything here runs before any request is sent; bad input
raises UsageError (exit 2) with a hint."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from .cloud import Cloud
from .errors import UsageError

GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
# Microsoft.ManagedIdentity: 3-128 characters, alphanumerics, '-' and '_', alphanumeric first.
IDENTITY_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$")
# Resource groups: 1-90 characters, alphanumerics, '_', '-', '.', '(' and ')', not ending in '.'.
RG_RE = re.compile(r"^[-\w.()]{0,89}[-\w()]$")
# App Service site and slot names: 2-60 characters, alphanumerics and '-', no leading '-'.
APP_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,58}[A-Za-z0-9]$")
# Kusto clusters: 4-22 lower-case letters and digits, starting with a letter.
CLUSTER_RE = re.compile(r"^[a-z][a-z0-9]{3,21}$")
# Kusto database names: letters, digits, '_', '.', '-' and spaces, at most 260 characters.
DATABASE_RE = re.compile(r"^[\w.\- ]{1,260}$")
# App setting names (Linux plans reject most punctuation).
SETTING_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,255}$")
IDENTITY_ID_RE = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/"
    r"Microsoft\.ManagedIdentity/userAssignedIdentities/(?P<name>[^/]+)$",
    re.IGNORECASE,
)

# Database roles: what a user types -> ARM's value (ARM.md B.3) and KQL's plural (2.1).
ROLES = {
    "viewer": "Viewer",
    "user": "User",
    "ingestor": "Ingestor",
    "monitor": "Monitor",
    "admin": "Admin",
    "unrestrictedviewer": "UnrestrictedViewer",
}
ROLE_HELP = (
    "Database role: viewer or user for an input binding (it queries), ingestor for an output "
    "binding (it ingests); also monitor, admin, unrestrictedviewer."
)


# The app setting a Kusto binding's Connection names by default in kustomi's output.
DEFAULT_SETTING = "KustoConnectionStringManagedIdentity"


def kql_role(arm_role: str) -> str:
    return arm_role.lower() + "s"


def guid(value: str, what: str) -> str:
    if not GUID_RE.match(value):
        raise UsageError(
            f"{what} {value!r} is not a GUID.",
            hint="A GUID looks like 00000000-0000-0000-0000-000000000000.",
        )
    return value.lower()


def resource_group(value: str | None, what: str = "resource group") -> str:
    if not value:
        raise UsageError(f"No {what} given.", hint="Pass -g/--resource-group.")
    if not RG_RE.match(value):
        raise UsageError(
            f"{value!r} is not a valid resource group name.",
            hint="1-90 letters, digits, '_', '-', '.', '(' or ')', not ending in '.'.",
        )
    return value


def identity_name(value: str) -> str:
    if not IDENTITY_NAME_RE.match(value):
        raise UsageError(
            f"{value!r} is not a valid managed identity name.",
            hint="3-128 letters, digits, '-' or '_', starting with a letter or digit.",
        )
    return value


def app_name(value: str, what: str = "function app") -> str:
    if not APP_RE.match(value):
        raise UsageError(
            f"{value!r} is not a valid {what} name.",
            hint="2-60 letters, digits or '-', not starting or ending with '-'.",
        )
    return value


def database(value: str | None) -> str:
    if not value or not value.strip():
        raise UsageError("The database name is empty.", hint="Pass --database NAME.")
    if not DATABASE_RE.match(value):
        raise UsageError(
            f"{value!r} is not a valid Kusto database name.",
            hint="Letters, digits, '_', '.', '-' and spaces; at most 260.",
        )
    return value


def setting_name(value: str) -> str:
    if not SETTING_RE.match(value):
        raise UsageError(
            f"{value!r} is not a valid app setting name.",
            hint="Letters, digits, '_', '.' or '-', starting with a letter or '_'.",
        )
    return value


def role(value: str) -> str:
    v = value.strip().lower()
    arm = ROLES.get(v) or ROLES.get(v.removesuffix("s"))  # KQL's plural works too
    if arm is None:
        raise UsageError(f"Unknown role {value!r}.", hint=ROLE_HELP)
    return arm


@dataclass(frozen=True)
class IdentityRef:
    resource_group: str
    name: str
    subscription: str | None = None
    client_id: str | None = None  # when given by client id; name and group are then found

    @classmethod
    def parse(cls, value: str, default_rg: str | None) -> IdentityRef:
        """A client id, a full resource id, or a name in `default_rg`."""
        if GUID_RE.match(value):
            return cls(resource_group="", name="", client_id=value.lower())
        if value.startswith("/"):
            m = IDENTITY_ID_RE.match(value.rstrip("/"))
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
class ClusterRef:
    """A cluster by name (with its resource group) or by URI."""

    name: str | None = None
    resource_group: str | None = None
    uri: str | None = None

    @classmethod
    def parse(cls, value: str, default_rg: str | None, cloud: Cloud) -> ClusterRef:
        if "://" not in value:
            if not CLUSTER_RE.match(value):
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
    parts = urlsplit(value.strip())
    if parts.scheme != "https":
        raise UsageError(
            f"The cluster URI {value!r} is not https.",
            hint="Kusto clusters are reached over https only.",
        )
    host = (parts.hostname or "").lower()
    if not host or parts.query or parts.fragment or "@" in parts.netloc:
        raise UsageError(
            f"{value!r} is not a cluster URI.",
            hint="Like https://<name>.<region>.kusto.windows.net",
        )
    if cloud.kusto_suffixes and not host.endswith(cloud.kusto_suffixes):
        raise UsageError(
            f"{host!r} is not a Kusto host of {cloud.name}.",
            hint="Expected a host ending in "
            + " or ".join(cloud.kusto_suffixes)
            + "; set KUSTOMI_CLOUD for another cloud.",
        )
    if cloud.kusto_suffixes and parts.path.strip("/"):
        raise UsageError(f"{value!r} has a path; a cluster URI has none.")
    return f"https://{parts.netloc.lower()}{parts.path.rstrip('/')}"


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


def parse_connection(value: str) -> dict[str, str]:
    """Key/value pairs of a connection string, keys lower-cased without spaces."""
    out = {}
    for part in value.split(";"):
        key, sep, val = part.partition("=")
        if sep:
            out[re.sub(r"\s", "", key).lower()] = val.strip()
    return out

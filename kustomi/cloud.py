"""Cloud profiles: where ARM and Entra are, and which Kusto host names belong to a cloud.

A custom profile (the emulator, Azure Stack, a private cloud) takes its ARM endpoint from
KUSTOMI_ARM_ENDPOINT and its authority from AZURE_AUTHORITY_HOST; sign-in then skips
instance discovery against the public cloud (azure-identity's disable_instance_discovery),
which would otherwise reject an authority it does not know.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from .errors import UsageError

# An https URL as kustomi takes one (an endpoint, an authority, a cluster): the scheme, a host
# (DNS labels, an IPv4 address or a bracketed IPv6 one), an optional port and an optional
# path; no user name, query, fragment, whitespace, ';' or '='. Used with fullmatch.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HTTPS_URL_RE = re.compile(
    rf"[Hh][Tt][Tt][Pp][Ss]://(?P<host>{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:.]+\])"
    r"(?::(?P<port>[1-9][0-9]{0,4}))?(?P<path>(?:/[A-Za-z0-9._~%-]+)*/?)"
)


def parse_https(value: str) -> re.Match[str] | None:
    """The parts of an https URL (host, port, path), or None: the one rule for every URL
    kustomi takes (endpoints, cluster URIs). A port is 1-65535; a path has no `.` or `..`
    segment (also percent-encoded), which a server would resolve to another path than the
    one the user reads."""
    m = HTTPS_URL_RE.fullmatch(value)
    if m is None or int(m["port"] or 443) > 65535:
        return None
    segments = (m["path"] or "").split("/")
    if any(x.lower().replace("%2e", ".") in (".", "..") for x in segments):
        return None
    return m


def https_url(value: str, variable: str) -> str:
    """The value of an endpoint variable, checked: an https URL and nothing else."""
    m = parse_https(value)
    if not m:
        raise UsageError(
            f"{variable} is not an https URL: {value!r}.",
            hint="Like https://management.example.com: https, a host, an optional port and "
            "path; no user name, query, fragment or spaces. Azure SDKs send a bearer token "
            "over https only.",
        )
    return "https" + value[5:]


@dataclass(frozen=True)
class Cloud:
    name: str
    arm_endpoint: str
    authority_host: str
    arm_audience: str
    # Host suffixes of Kusto clusters in this cloud; empty means any https host (custom).
    kusto_suffixes: tuple[str, ...]
    custom: bool = False

    @property
    def arm_scope(self) -> str:
        return self.arm_audience.rstrip("/") + "/.default"


AZURE_CLOUD = Cloud(
    "AzureCloud",
    "https://management.azure.com",
    "https://login.microsoftonline.com",
    "https://management.azure.com/",
    (
        ".kusto.windows.net",
        ".kustomfa.windows.net",
        ".kusto.fabric.microsoft.com",
        ".kusto.azuresynapse.net",
    ),
)
AZURE_CHINA = Cloud(
    "AzureChinaCloud",
    "https://management.chinacloudapi.cn",
    "https://login.chinacloudapi.cn",
    "https://management.chinacloudapi.cn/",
    (".kusto.chinacloudapi.cn", ".kustomfa.chinacloudapi.cn"),
)
AZURE_US_GOV = Cloud(
    "AzureUSGovernment",
    "https://management.usgovcloudapi.net",
    "https://login.microsoftonline.us",
    "https://management.usgovcloudapi.net/",
    (".kusto.usgovcloudapi.net", ".kustomfa.usgovcloudapi.net"),
)
KNOWN = {c.name.lower(): c for c in (AZURE_CLOUD, AZURE_CHINA, AZURE_US_GOV)}


def from_environment(env: dict[str, str] | None = None) -> Cloud:
    """KUSTOMI_ARM_ENDPOINT selects a custom cloud; else KUSTOMI_CLOUD names one; else public."""
    env = dict(os.environ) if env is None else env
    arm = env.get("KUSTOMI_ARM_ENDPOINT", "")
    # Checked whenever set, even where a named cloud makes them unused: a typo is said at once.
    authority = env.get("AZURE_AUTHORITY_HOST", "")
    audience = env.get("KUSTOMI_ARM_AUDIENCE", "")
    arm, authority, audience = (
        https_url(v, k) if v else ""
        for k, v in (
            ("KUSTOMI_ARM_ENDPOINT", arm),
            ("AZURE_AUTHORITY_HOST", authority),
            ("KUSTOMI_ARM_AUDIENCE", audience),
        )
    )
    given = env.get("KUSTOMI_CLOUD", "")
    if given and given.lower() not in KNOWN and given.lower() != "custom":
        raise UsageError(
            f"KUSTOMI_CLOUD names an unknown cloud, {given!r}.",
            hint="Use AzureCloud, AzureChinaCloud or AzureUSGovernment, or set "
            "KUSTOMI_ARM_ENDPOINT and AZURE_AUTHORITY_HOST for a custom one.",
        )
    if arm and given and given.lower() != "custom":
        raise UsageError(
            f"KUSTOMI_CLOUD={given} and KUSTOMI_ARM_ENDPOINT name two clouds.",
            hint="Unset KUSTOMI_CLOUD to use the endpoint (a custom cloud, such as the "
            "emulator), or unset KUSTOMI_ARM_ENDPOINT to use " + given + ".",
        )
    if given.lower() == "custom" and not arm:
        raise UsageError(
            "KUSTOMI_CLOUD=Custom needs KUSTOMI_ARM_ENDPOINT.",
            hint="Set KUSTOMI_ARM_ENDPOINT (and AZURE_AUTHORITY_HOST) to the custom cloud's.",
        )
    if arm:
        if not authority:
            # The ARM endpoint alone is enough: ARM's cloud metadata names the authority and
            # the audiences (GET /metadata/endpoints, as Azure and Azure Stack serve it).
            meta = _arm_metadata(arm.rstrip("/"))
            login = str(meta.get("authentication", {}).get("loginEndpoint", ""))
            authority = https_url(login, "The loginEndpoint of ARM's /metadata/endpoints")
            audience = audience or str(
                next(iter(meta.get("authentication", {}).get("audiences", [])), "")
            )
        audience = audience or "https://management.azure.com/"
        return Cloud("Custom", arm.rstrip("/"), authority.rstrip("/"), audience, (), custom=True)
    return KNOWN[(given or "AzureCloud").lower()]


def _arm_metadata(arm: str) -> dict[str, Any]:
    """One unauthenticated GET; the CA bundle comes from REQUESTS_CA_BUNDLE, as for the SDKs."""
    import requests

    url = f"{arm}/metadata/endpoints?api-version=2022-09-01"
    try:
        resp = requests.get(url, timeout=10)
        resp.raise_for_status()
        doc = resp.json()
    except (requests.RequestException, ValueError) as e:
        raise UsageError(
            f"Could not read the cloud metadata at {url}: {type(e).__name__}.",
            hint="Set AZURE_AUTHORITY_HOST beside KUSTOMI_ARM_ENDPOINT.",
        ) from None
    # 2022-09-01 answers one object; some clouds answer a list of them.
    if isinstance(doc, list):
        doc = next(
            (d for d in doc if str(d.get("resourceManager", "")).rstrip("/") == arm),
            doc[0] if doc else {},
        )
    return doc if isinstance(doc, dict) else {}

"""Names the commands' help texts need, kept apart from config.py so that `--help` does not pay
for compiling its validators."""

ROLE_HELP = (
    "Database role: viewer or user for an input binding (it queries), ingestor for an output "
    "binding (it ingests); also monitor, admin, unrestrictedviewer. With --table: ingestor or "
    "admin on that table alone. Cluster-wide, with no --database: alldatabasesviewer, "
    "alldatabasesmonitor, alldatabasesadmin."
)

# What --role, --lang and --direction take, for shell completion (config.ROLES and
# bindings.snippets.LANGUAGES are these).
ROLE_NAMES = (
    "viewer",
    "user",
    "ingestor",
    "monitor",
    "admin",
    "unrestrictedviewer",
    "alldatabasesviewer",
    "alldatabasesmonitor",
    "alldatabasesadmin",
)
LANGUAGE_NAMES = (
    "csharp",
    "csharp-isolated",
    "java",
    "python",
    "python-v1",
    "javascript",
    "typescript",
    "powershell",
)
DIRECTION_NAMES = ("input", "output")


def complete_role(incomplete: str) -> list[str]:
    return [v for v in ROLE_NAMES if v.startswith(incomplete.lower())]


def complete_lang(incomplete: str) -> list[str]:
    return [v for v in LANGUAGE_NAMES if v.startswith(incomplete.lower())]


def complete_direction(incomplete: str) -> list[str]:
    return [v for v in DIRECTION_NAMES if v.startswith(incomplete.lower())]


# The app setting a Kusto binding's Connection names by default in kustomi's output.
DEFAULT_SETTING = "KustoConnectionStringManagedIdentity"

# setup and revoke: how many apps are worked on at a time, by default and at most.
DEFAULT_PARALLEL = 10
MAX_PARALLEL = 32

# audit: how many apps are read at a time by default (reads only: more than setup's writes).
DEFAULT_AUDIT_PARALLEL = 20
# The identity --emit-setup gives the apps of a resource group, unless --identity names one.
AUDIT_IDENTITY_PREFIX = "id-kusto-"

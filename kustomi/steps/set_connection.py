"""Step 4: the app setting the Kusto binding reads, merged into the existing settings.

ARM replaces the whole settings list on write (UpdateAppSettings.json in azure-rest-api-specs
specification/web/resource-manager/Microsoft.Web/AppService), so this reads all settings
to plan, then reads them again right before writing (to merge into another writer's latest
change), writes all, and reads back a moment later. If another writer's stale copy replaced
the write, it reads, merges and writes again, and after the last try fails (exit 5) rather
than report a setting the read-back does not hold. No client can close the window between the
last read and the write: App Service has no conditional write for app settings.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from ..azure import kusto_data, kusto_mgmt, web
from ..azure.clients import Azure
from ..config import connection_value, secret_keys_in
from ..errors import Outcome, ServiceError, UsageError
from ..model import Change, Finding, Report
from ..spec import AppSpec
from . import Planned, after_writing, writing

MAX_WRITES = 5


def run(azure: Azure, spec: AppSpec, force: bool, dry_run: bool) -> Report:
    return plan(azure, spec, force).finish(dry_run)


def plan(azure: Azure, spec: AppSpec, force: bool, replace: bool = True) -> Planned:
    """The setting `spec.setting` of the app, pointing at its cluster and database.
    `replace=False` (setup): a setting that holds another value is not replaced unless
    `force`: setup's revoke removes the setting, so the value it replaced would be lost."""
    rg, app, slot, setting = spec.resource_group, spec.app, spec.slot, spec.setting
    cluster, database = spec.cluster, spec.database
    report = Report("set-connection")
    uri = cluster.uri or kusto_mgmt.resolve(azure, cluster).uri
    value = connection_value(uri, database)
    if secret_keys_in(value):  # a cluster URI from ARM is checked here, as one typed in config
        raise ServiceError(
            f"The connection string kustomi would write for {uri} looks like it holds a "
            "secret; nothing was written.",
            hint="Check the cluster's URI (az kusto cluster show); kustomi never writes a "
            "secret into a setting.",
        )
    where = web.where(app, slot)
    target = f"setting {setting} on {where}"
    report.data = {
        "app": app,
        "slot": slot,
        "resourceGroup": rg,
        "setting": setting,
        "value": value,
        "cluster": uri,
        "database": database,
    }
    report.notes.append(
        f'binding: Connection = "{setting}"; the identity goes in '
        'ManagedServiceIdentity = "<clientId>", or "system" for the app\'s own (the setting '
        "holds no secret)"
    )
    current = web.list_settings(azure, rg, app, slot)
    old = current.get(setting)
    if old == value:
        report.changes.append(Change("none", target, "already set"))
        return Planned(report)
    if old is not None:
        secrets = secret_keys_in(old)
        if secrets:
            report.findings.append(
                Finding(
                    "existing_setting",
                    "setting_has_secret" if not force else "ok",
                    f"{setting} holds a secret ({', '.join(secrets)}); its value is not shown",
                    "rerun with --force to replace it, then rotate that secret"
                    if not force
                    else "replaced; rotate that secret, it is still valid",
                )
            )
            if not force:
                return Planned(report)
        if not replace and not force:
            points_at = (kusto_data.connection_target(old) or ("", ""))[0]
            raise UsageError(
                f"{setting} on {where} already holds another value"
                + (
                    f" (it points at {points_at})"
                    if points_at
                    else " (not a Kusto connection string)"
                )
                + "; setup does not replace it, since revoke would then remove it.",
                hint="Pass --force to replace it (revoke will not bring the old value back), "
                "or --setting to use another name.",
            )
        change = Change("update", target, "replaced" + _what_changed(old, value))
    else:
        change = Change("create", target, "added")
    report.changes.append(change)
    report.data["settingsKept"] = len([k for k in current if k != setting])
    # What the plan saw, to tell whether another writer changed the setting since (setup asks
    # before it writes: minutes may pass between the plan and the write).
    seen = old if not (replace or force) else _ANY

    return Planned(
        report, lambda: _write(azure, rg, app, slot, setting, value, report, change, seen)
    )


_ANY = object()  # replace whatever is there


def _write(
    azure: Azure,
    rg: str,
    app: str,
    slot: str | None,
    setting: str,
    value: str,
    report: Report,
    change: Change,
    seen: object = _ANY,
) -> None:
    where = web.where(app, slot)

    def merged(latest: dict[str, str]) -> dict[str, str]:
        now = latest.get(setting)
        if seen is not _ANY and now != seen and now != value:
            raise ServiceError(
                f"{setting} on {where} was changed by another writer since the plan; it now "
                "holds another value, which setup does not replace.",
                hint="Rerun to see the new plan; --force replaces the value.",
            )
        return {**latest, setting: value}

    wanted = _write_until_kept(
        azure, rg, app, slot, setting, report, change, merged, lambda s: s.get(setting) == value
    )
    if wanted is not None:
        report.data["settingsKept"] = len(wanted) - 1


# A write's read-back waits this long after the PUT: another writer that read the settings
# before our PUT and writes its copy after it (its PUT still on its way, or slower than ours)
# replaces ours, and a read-back at once would not see it yet. A writer slower than this can
# still replace ours unseen: App Service gives no way to know.
SETTLE_SECONDS = 1.0
# After a lost write, a random wait of up to BACKOFF_SECONDS * 2**(attempt - 1) before the next
# read and write, so that writers racing each other do not keep writing in step.
BACKOFF_SECONDS = 0.25


def _pause(seconds: float) -> None:
    if seconds > 0:
        time.sleep(seconds)


def _write_until_kept(
    azure: Azure,
    rg: str,
    app: str,
    slot: str | None,
    setting: str,
    report: Report,
    change: Change,
    merged: Callable[[dict[str, str]], dict[str, str] | None],
    kept: Callable[[dict[str, str]], bool],
) -> dict[str, str] | None:
    """Read, merge, PUT, and read back after SETTLE_SECONDS, until the read-back holds our
    change (`kept`); at most MAX_WRITES writes, each merged into the freshest read. `merged`
    gives the whole list to write (None: nothing to write any more). Returns what was written.

    App Service has no conditional write for app settings (no ETag), so the time between the
    read and the PUT is the window in which another writer's change would be lost: nothing
    else happens in it. A race lost (another writer's PUT replaced ours) is written again;
    never reported done."""
    where = web.where(app, slot)
    for attempt in range(MAX_WRITES):
        if attempt:
            _pause(random.uniform(0, BACKOFF_SECONDS * 2 ** (attempt - 1)))
        wanted = merged(web.list_settings(azure, rg, app, slot))
        if wanted is None:
            return None
        with writing(report, change):
            web.put_settings(azure, rg, app, slot, wanted)
        _pause(SETTLE_SECONDS)
        with after_writing(report):
            after = web.list_settings(azure, rg, app, slot)
        if kept(after):
            return wanted
        # Another writer that read before our PUT wrote its copy after it: ours is lost.
        change.applied = False
        report.notes.append(
            f"another writer replaced the settings of {where} right after kustomi's "
            f"{change.kind} of {setting}; kustomi read them again and wrote again"
        )
    raise ServiceError(
        f"{setting} on {where} was not {_DONE[change.kind]}: another writer changed the app's "
        f"settings at the same time (a race), and its write replaced kustomi's each of "
        f"{MAX_WRITES} times.",
        hint="Another deployment is writing this app's settings; rerun when it is done.",
        outcome=Outcome.of(report.changes),
    )


_DONE = {"create": "set", "update": "set", "delete": "removed"}


def _what_changed(old: str, new: str) -> str:
    a = kusto_data.connection_target(old) or ("", "")
    b = kusto_data.connection_target(new) or ("", "")
    names = ("datasource", "database")
    parts = [k for k, x, y in zip(names, a, b, strict=True) if x.lower() != y.lower()]
    return f" ({' and '.join(parts)} changed)" if parts else ""


def plan_remove(azure: Azure, spec: AppSpec) -> Planned:
    """revoke: the connection setting off the app, every other setting kept. Only the value
    kustomi writes for this cluster and database is removed: any other value (another cluster,
    another database, not a connection string) is not kustomi's to remove: kept, and said.
    Checked again right before the write (the value may have changed since the plan)."""
    rg, app, slot, setting = spec.resource_group, spec.app, spec.slot, spec.setting
    cluster_uri, database = spec.cluster.uri or "", spec.database
    report = Report("revoke")
    where = web.where(app, slot)
    target = f"setting {setting} on {where}"
    ours = connection_value(cluster_uri, database)
    current = web.list_settings(azure, rg, app, slot)
    if setting not in current:
        report.changes.append(Change("none", target, "not set"))
        return Planned(report)
    if current[setting] != ours:
        report.changes.append(Change("none", target, "kept: " + _other(current[setting])))
        return Planned(report)
    change = Change("delete", target, f"removed; {len(current) - 1} other setting(s) kept")
    report.changes.append(change)

    def merged(latest: dict[str, str]) -> dict[str, str] | None:
        if latest.get(setting) != ours:  # gone, or changed by another writer meanwhile
            change.kind = "none"
            change.detail = "kept: " + (
                _other(latest[setting]) if setting in latest else "removed meanwhile"
            )
            return None
        return {k: v for k, v in latest.items() if k != setting}

    def write() -> None:
        _write_until_kept(
            azure, rg, app, slot, setting, report, change, merged, lambda s: setting not in s
        )

    return Planned(report, write)


def _other(value: str) -> str:
    target = kusto_data.connection_target(value)
    if target is None or not target[0]:
        return "it holds another value (not a Kusto connection string)"
    return f"it points at {target[0]}" + (f", database {target[1]}" if target[1] else "")

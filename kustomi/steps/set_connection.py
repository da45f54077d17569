"""Step 4: the app setting the Kusto binding reads, merged into the existing settings.

ARM replaces the whole settings list on write (UpdateAppSettings.json in azure-rest-api-specs
specification/web/resource-manager/Microsoft.Web/AppService), so this reads all settings,
changes one, reads again just before writing (another writer may have changed them
meanwhile; then it merges again from what it just read), writes all, and reads back to confirm
that every other setting is intact.
"""

from __future__ import annotations

from ..azure import kusto_data, kusto_mgmt, web
from ..azure.clients import Azure
from ..config import ClusterRef, connection_value, secret_keys_in
from ..errors import ServiceError
from ..model import Change, Finding, Report
from . import after_writing, writing

MAX_MERGES = 3


def run(
    azure: Azure,
    rg: str,
    app: str,
    slot: str | None,
    cluster: ClusterRef,
    database: str,
    setting: str,
    force: bool,
    dry_run: bool,
) -> Report:
    report = Report("set-connection", dry_run=dry_run)
    uri = cluster.uri or kusto_mgmt.resolve(azure, cluster).uri
    value = connection_value(uri, database)
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
        'ManagedServiceIdentity = "<clientId>" (the setting holds no secret)'
    )
    current = web.list_settings(azure, rg, app, slot)
    old = current.get(setting)
    if old == value:
        report.changes.append(Change("none", target, "already set"))
        return report
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
                return report
        change = Change("update", target, "replaced" + _what_changed(old, value))
    else:
        change = Change("create", target, "added")
    report.changes.append(change)
    report.data["settingsKept"] = len([k for k in current if k != setting])
    if dry_run:
        return report
    for _ in range(MAX_MERGES):
        latest = web.list_settings(azure, rg, app, slot)
        if latest == current:
            break
        current = latest  # someone else wrote in between: merge into theirs
    else:
        raise ServiceError(
            f"The app settings of {where} keep changing under us; nothing was written.",
            hint="Another deployment is writing settings; rerun when it is done.",
        )
    wanted = {**current, setting: value}
    with writing(report, change):
        web.put_settings(azure, rg, app, slot, wanted)
    with after_writing(report):
        after = web.list_settings(azure, rg, app, slot)
    lost = [k for k in wanted if after.get(k) != wanted[k]]
    if lost:
        raise ServiceError(
            f"After writing, {where} lacks or changed {len(lost)} setting(s): "
            f"{', '.join(sorted(lost))}.",
            hint="Another writer changed the settings at the same time; check them, then rerun.",
        )
    report.data["settingsKept"] = len(wanted) - 1
    return report


def _what_changed(old: str, new: str) -> str:
    a = kusto_data.connection_target(old) or ("", "")
    b = kusto_data.connection_target(new) or ("", "")
    names = ("datasource", "database")
    parts = [k for k, x, y in zip(names, a, b, strict=True) if x.lower() != y.lower()]
    return f" ({' and '.join(parts)} changed)" if parts else ""

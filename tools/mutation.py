"""Named mutations of kustomi's rules and write paths, and whether the test suite kills them.

Each mutation replaces one exact snippet of a file under kustomi/ (it must occur exactly once:
a snippet that no longer matches fails the run, so that a mutation cannot rot into a no-op).
For each, the repository's files are copied to a temporary directory, the mutation applied
there, and pytest run on it (PYTHONPATH pointing at the copy) over the mutation's test paths.
Tests that fail: KILLED, once the first failing test also fails when run alone on the mutant
(a test that fails only beside others kills nothing: the tests run again without it, up to
ATTEMPTS times). Tests that pass: SURVIVED.

    python tools/mutation.py            # every mutation (make mutation)
    python tools/mutation.py NAME...    # only those
    python tools/mutation.py --list     # the names, and check every snippet, running nothing

The last line is `mutation score: KILLED/TOTAL`. Exits 1 if the score is below 90% or if a
mutation marked `must` survives; 2 if a snippet is not found exactly once, a mutant does not
parse, a name is unknown or pytest cannot run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

ROOT = Path(__file__).resolve().parents[1]
THRESHOLD = 0.90
TIMEOUT = 600.0  # seconds per mutant; a mutant that hangs the tests counts as killed
ATTEMPTS = 3  # runs of a mutant's tests, each without the tests that failed only beside others
PYTEST = ("-x", "-q", "-n", "2", "-p", "no:cacheprovider", "--ignore=tests/live")

# Test paths per area: what can kill a mutation there, without the whole suite's minute.
RULES = (
    "tests/cli/test_role_rules.py",
    "tests/cli/test_verify.py",
    "tests/cli/test_checklist.py",
    "tests/unit",
)
SETUP = (
    "tests/cli/test_role_rules.py",
    "tests/setup",
    "tests/cli/test_checklist.py",
)
DOCTOR = ("tests/doctor",)
ROLES = ("tests/roles",)
KQL = ("tests/unit", "tests/cli/test_checklist.py", "tests/cli/test_role_rules.py")
ERRORS = (
    "tests/cli/test_errors.py",
    "tests/cli/test_checklist.py",
    "tests/setup",
)


@dataclass(frozen=True)
class Mutation:
    name: str
    file: str  # under kustomi/
    old: str  # must occur exactly once in the file
    new: str
    tests: tuple[str, ...]
    must: bool = False  # a survivor fails the run whatever the score


M = Mutation
MUTATIONS: tuple[Mutation, ...] = (
    # --- grant: which assignment or principal row gives the identity the role -----------------
    M(
        "grant-revoke-any-role",
        "steps/grant.py",
        "if a.is_for(ident.client_id, ident.principal_id) and a.role.lower() == req.role.lower()",
        "if a.is_for(ident.client_id, ident.principal_id)",
        SETUP,
        must=True,
    ),
    M(
        "grant-kql-held-any-role",
        "steps/grant.py",
        "r for r in rows if rules.row_role(r).lower() == role.lower() and rules.row_is_for(r, ids)",
        "r for r in rows if rules.row_is_for(r, ids)",
        RULES,
        must=True,
    ),
    M(
        "grant-arm-held-any-role",
        "steps/grant.py",
        "held = [a for a in mine if a.role.lower() == req.role.lower()]",
        "held = mine",
        RULES,
    ),
    M(
        "grant-arm-failed-counts-as-done",
        "steps/grant.py",
        "done = [a for a in held if a.succeeded]",
        "done = held",
        RULES,
    ),
    M(
        "grant-kql-held-any-principal",
        "steps/grant.py",
        " and rules.row_is_for(r, ids)",
        "",
        RULES,
    ),
    M(
        "grant-entra-case-sensitive",
        "steps/grant.py",
        '"not found in aad tenant" in text.lower()',
        '"not found in aad tenant" in text',
        RULES,
    ),
    # --- verify: which held roles satisfy the expected one --------------------------------------
    M(
        "verify-viewer-needs-viewer-only",
        "rules.py",
        '"Viewer": READ,',
        '"Viewer": frozenset({"Viewer"}),',
        RULES,
    ),
    M(
        "verify-viewer-satisfies-ingestor",
        "rules.py",
        '"Ingestor": frozenset({"Ingestor", "Admin"}),',
        '"Ingestor": frozenset({"Ingestor", "Admin", "Viewer"}),',
        RULES + DOCTOR,
    ),
    M(
        "verify-role-mismatch-ignored",
        "steps/verify/__init__.py",
        "if req.role and not satisfied(held, req.role):",
        "if req.role and not held:",
        RULES,
    ),
    M(
        "verify-all-databases-admin-ignored",
        "rules.py",
        'CLUSTER_ADMIN = "AllDatabasesAdmin"',
        'CLUSTER_ADMIN = "AllDatabaseAdmin"',
        (*RULES, "tests/unit/test_rules.py", *ROLES),
    ),
    M(
        "verify-role-first-word",
        "rules.py",
        "return v.strip().split()[-1]",
        "return v.strip().split()[0]",
        RULES,
    ),
    M(
        "verify-failed-said-pending",
        "steps/verify/__init__.py",
        "if late and not any(a.failed for a in late):",
        "if late:",
        RULES,
    ),
    M(
        "verify-setting-database-unchecked",
        "steps/verify/__init__.py",
        'if got_uri != uri.rstrip("/").lower() or got_db != req.database:',
        'if got_uri != uri.rstrip("/").lower():',
        RULES,
    ),
    M(
        "verify-cp-pending-counts-as-held",
        "steps/verify/control_plane.py",
        "held = {a.role for a in mine if a.succeeded}",
        "held = {a.role for a in mine}",
        RULES,
    ),
    M(
        "verify-cp-any-principal-row",
        "steps/verify/control_plane.py",
        'return rules.roles_of(rows, (ident.client_id, ident.principal_id)), ""',
        'return {rules.row_role(r) for r in rows} - {""}, ""',
        RULES,
    ),
    M(
        "verify-cp-any-identity-attached",
        "steps/verify/control_plane.py",
        "if site.has_user_assigned(ident.id):",
        "if site.user_assigned:",
        RULES,
    ),
    M(
        "verify-identity-admin-no-query",
        "rules.py",
        '    "AllDatabasesAdmin": "Admin",\n',
        '    "AllDatabasesAdmin": "Monitor",\n',
        (*RULES, *ROLES),
    ),
    M(
        "verify-identity-refused-query-ok",
        "steps/verify/identity.py",
        'if not can_read and status == "not_authorized":',
        'if status == "not_authorized":',
        RULES,
    ),
    # --- doctor: the roles a binding's direction needs ------------------------------------------
    M(
        "doctor-ingestor-reads",
        "rules.py",
        'READ = frozenset({"Viewer", "User", "Admin", "UnrestrictedViewer"})',
        'READ = frozenset({"Viewer", "User", "Admin", "UnrestrictedViewer", "Ingestor"})',
        DOCTOR + RULES,
    ),
    M(
        "doctor-viewer-ingests",
        "rules.py",
        'NEEDED_ROLE = {"in": "Viewer", "out": "Ingestor"}',
        'NEEDED_ROLE = {"in": "Viewer", "out": "Viewer"}',
        DOCTOR,
    ),
    M(
        "doctor-output-grant-viewer",
        "steps/doctor.py",
        "    role = rules.NEEDED_ROLE[b.direction].lower()",
        '    role = "viewer"',
        DOCTOR,
    ),
    # --- kql: quoting -------------------------------------------------------------------------
    M("kql-quote-unescaped", "kql.py", '"\'": "\\\\\'", ', "", KQL),
    M("kql-backslash-unescaped", "kql.py", '"\\\\": "\\\\\\\\", ', "", KQL),
    M(
        "kql-control-characters-pass",
        "kql.py",
        "elif ord(ch) < 0x20 or ord(ch) == 0x7F:",
        "elif ord(ch) == 0x7F:",
        KQL,
    ),
    M(
        "kql-name-prefix-match",
        "kql.py",
        "if _IDENT.fullmatch(value):",
        "if _IDENT.match(value):",
        KQL,
    ),
    M(
        "kql-note-unquoted",
        "kql.py",
        'return command + (f" {string(note)}" if note else "")',
        'return command + (f" \'{note}\'" if note else "")',
        KQL,
    ),
    # --- write paths: attach, set-connection, setup, revoke, fleet ------------------------------
    M(
        "attach-any-identity-counts",
        "steps/attach.py",
        "    if site.has_user_assigned(subject.resource_id):\n"
        '        report.changes.append(Change("none", target, "already attached"))',
        "    if site.user_assigned:\n"
        '        report.changes.append(Change("none", target, "already attached"))',
        SETUP,
    ),
    M(
        "attach-trusts-an-answer-that-lost-one",
        "steps/attach.py",
        "if lost or not after.has_user_assigned(resource_id):",
        "if not after.has_user_assigned(resource_id):",
        SETUP,
    ),
    M(
        "attach-patch-new-identity-only",
        "azure/web.py",
        "keep = [*site.user_assigned, identity_id]",
        "keep = [identity_id]",
        SETUP,
        must=True,
    ),
    M(
        "attach-system-identity-dropped",
        "azure/web.py",
        'has_system = site.system_principal_id or "systemassigned" in site.identity_type.lower()',
        "has_system = False",
        SETUP,
    ),
    M(
        "detach-sends-no-null",
        "azure/web.py",
        "drop = [k for k in site.user_assigned if k.lower() == identity_id.lower()]",
        "drop: list[str] = []",
        SETUP,
    ),
    M(
        "site-identity-case-sensitive",
        "azure/web.py",
        "return resource_id.lower() in {k.lower() for k in self.user_assigned}",
        "return resource_id in self.user_assigned",
        SETUP,
    ),
    M(
        "set-connection-drops-other-settings",
        "steps/set_connection.py",
        "        return {**latest, setting: value}",
        "        return {setting: value}",
        SETUP,
    ),
    M(
        "setup-replaces-another-value",
        "steps/set_connection.py",
        "if not replace and not force:",
        "if not replace and force:",
        SETUP,
    ),
    M(
        "revoke-plans-delete-of-another-value",
        "steps/set_connection.py",
        "    if current[setting] != ours:\n",
        "    if current[setting] is None:\n",
        SETUP,
        must=True,
    ),
    M(
        "revoke-setting-drops-all",
        "steps/set_connection.py",
        "        return {k: v for k, v in latest.items() if k != setting}",
        "        return {}",
        SETUP,
    ),
    M(
        "fleet-ignores-parallel",
        "steps/fleet.py",
        "pool = ThreadPoolExecutor(max_workers=min(parallel, len(items)))",
        "pool = ThreadPoolExecutor(max_workers=len(items))",
        SETUP,
        must=True,
    ),
    M(
        "fleet-runs-after-steps-past-a-failed-app",
        "steps/fleet.py",
        "            if failed:\n                # Nothing after the apps runs",
        "            if False:\n                # Nothing after the apps runs",
        SETUP,
    ),
    M(
        "fleet-runs-blocked-apps",
        "steps/fleet.py",
        "todo = [a for a in apps if a.pending and not a.blocked]",
        "todo = [a for a in apps if a.pending]",
        SETUP,
    ),
    M(
        "fleet-exit-code-always-5",
        "steps/fleet.py",
        "if len(codes) == 1:",
        "if False:",
        ERRORS,
    ),
    M(
        "setup-unreadable-app-skipped",
        "steps/setup.py",
        "    if failed:\n        first = failed[0][1]",
        "    if False:\n        first = failed[0][1]",
        SETUP,
    ),
    M(
        "revoke-drops-roles-of-an-identity-in-use",
        "steps/revoke.py",
        "needed = delete_identity or any(r.pending for r in roles)",
        "needed = delete_identity",
        SETUP,
    ),
    M(
        "revoke-drops-roles-kept-for-another-app",
        "steps/revoke.py",
        "            r.write = None\n    after = roles",
        "    after = roles",
        SETUP,
    ),
    M(
        "revoke-misses-apps-outside-the-plan",
        "azure/web.py",
        "            if site.has_user_assigned(identity_id):\n"
        '                found.append(f"{rg}/{site.name}")',
        '            if False:\n                found.append(f"{rg}/{site.name}")',
        SETUP,
    ),
    M(
        "parallel-32-refused",
        "cli/fleet.py",
        "if not 1 <= parallel <= MAX_PARALLEL:",
        "if not 1 <= parallel < MAX_PARALLEL:",
        SETUP,
        must=True,
    ),
    # --- errors: the exit code of what Azure answered -------------------------------------------
    M(
        "error-404-is-service-error",
        "azure/errors.py",
        '        return NotFoundError(message, hint="Check the name, resource group and '
        'subscription.")',
        '        return ServiceError(message, hint="Check the name, resource group and '
        'subscription.")',
        ERRORS,
        must=True,
    ),
    M(
        "error-403-is-service-error",
        "azure/errors.py",
        "    if status == 403:\n        return AuthError(\n            message,",
        "    if status == 4030:\n        return AuthError(\n            message,",
        ERRORS,
    ),
    M(
        "error-not-found-exit-5",
        "errors.py",
        '    """A resource kustomi needs does not exist."""\n\n    exit_code = 3',
        '    """A resource kustomi needs does not exist."""\n\n    exit_code = 5',
        ERRORS,
    ),
    # Roles below and above a database, and the system-assigned identity.
    M(
        "rules-cluster-wanted-any-role",
        "rules.py",
        "return any(CLUSTER_ROLES[h] in need for h in held if h in CLUSTER_ROLES)",
        "return bool(roles & need)",
        (*ROLES, "tests/unit"),
        must=True,
    ),
    M(
        "grant-scope-cluster-role-with-database",
        "config.py",
        "        if database_ is not None:\n            raise conflict(",
        "        if False:\n            raise conflict(",
        ROLES,
    ),
    M(
        "attach-system-drops-user-assigned",
        "azure/web.py",
        "keep = list(site.user_assigned)",
        "keep = []",
        ROLES,
        must=True,
    ),
    M(
        "settings-of-another-resource-read",
        "azure/web.py",
        "raise TypeError(f\"the answer describes {rid!r}, not {tail.lstrip('/')}\")",
        "pass",
        ("tests/cli/test_fault_matrix.py",),
        must=True,
    ),
    M(
        "doctor-table-roles-ignored",
        "steps/doctor.py",
        "held |= _kql_roles(app, cluster.uri, db, who, table_name)",
        "held |= set()",
        DOCTOR,
    ),
    M(
        "kusto-2xx-error-readable",
        "azure/errors.py",
        "if isinstance(status, int) and 200 <= status < 300:",
        "if False:",
        ("tests/cli/test_fault_matrix.py",),
    ),
)


def source_files() -> list[Path]:
    """The repository's files as git sees them, new ones included (not the ignored ones)."""
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    return [Path(p) for p in out.decode().split("\0") if p and (ROOT / p).is_file()]


def die(message: str) -> NoReturn:
    print(message, file=sys.stderr)
    sys.exit(2)


def check(m: Mutation) -> str:
    """The mutated text of m's file; exits 2 unless the snippet occurs exactly once."""
    path = ROOT / "kustomi" / m.file
    text = path.read_text()
    n = text.count(m.old)
    if n != 1:
        die(f"mutation {m.name}: the snippet occurs {n} times in kustomi/{m.file}, not once")
    mutated = text.replace(m.old, m.new)
    compile(mutated, str(path), "exec")  # a mutant that does not parse tests nothing
    return mutated


@dataclass
class Outcome:
    mutation: Mutation
    killed: bool
    seconds: float
    why: str = ""


def run_one(m: Mutation, files: list[Path], python: str) -> Outcome:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"kustomi-mutant-{m.name}-") as tmp:
        copy = Path(tmp)
        for f in files:
            (copy / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / f, copy / f)
        (copy / "kustomi" / m.file).write_text(check(m))
        env = {**os.environ, "PYTHONPATH": str(copy), "PYTHONDONTWRITEBYTECODE": "1"}

        def run(*args: str, timeout: float | None = None) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [python, *args], cwd=copy, env=env, capture_output=True, text=True, timeout=timeout
            )

        where = run("-c", "import kustomi; print(kustomi.__file__)").stdout.strip()
        if not where.startswith(str(copy)):
            die(f"mutation {m.name}: kustomi imports from {where!r}, not the copy")
        flaky: list[str] = []  # tests that failed beside others but pass alone on the mutant
        for _ in range(ATTEMPTS):
            deselect = [f"--deselect={t}" for t in flaky]
            try:
                r = run("-m", "pytest", *PYTEST, *deselect, *m.tests, timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                return Outcome(m, True, time.monotonic() - started, "timeout")
            if r.returncode == 0:
                break
            if r.returncode not in (1, 2):  # 1 tests failed, 2 a test module failed to import
                tail = (r.stdout + r.stderr).strip().splitlines()[-3:]
                die(f"mutation {m.name}: pytest exited {r.returncode}:\n" + "\n".join(tail))
            failed = [
                line.split(" ", 1)[1].split(" - ")[0]
                for line in r.stdout.splitlines()
                if line.startswith(("FAILED ", "ERROR "))
            ]
            if not failed:
                return Outcome(m, True, time.monotonic() - started, "the tests did not run")
            # A kill counts if the failing test fails again alone on the mutant. One that fails
            # only beside others (a leftover of another test) kills nothing: run again without.
            try:
                alone = run(
                    "-m", "pytest", "-q", "-p", "no:cacheprovider", failed[0], timeout=TIMEOUT
                )
            except subprocess.TimeoutExpired:
                return Outcome(m, True, time.monotonic() - started, f"{failed[0]} (timeout alone)")
            if alone.returncode != 0:
                return Outcome(m, True, time.monotonic() - started, failed[0])
            flaky.append(failed[0])
    why = f"flaky beside others, not counted: {', '.join(flaky)}" if flaky else ""
    return Outcome(m, False, time.monotonic() - started, why)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="mutations to run (default: all)")
    ap.add_argument("--list", action="store_true", help="check every snippet; list the names")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="mutants at a time (default 2)")
    args = ap.parse_args(argv)

    by_name = {m.name: m for m in MUTATIONS}
    assert len(by_name) == len(MUTATIONS), "two mutations share a name"
    unknown = [n for n in args.names if n not in by_name]
    if unknown:
        print(f"unknown mutation(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    chosen = [by_name[n] for n in args.names] if args.names else list(MUTATIONS)
    for m in MUTATIONS:  # every snippet, not only the chosen ones: none may rot
        check(m)
    if args.list:
        for m in chosen:
            print(f"{m.name}{'  (must be killed)' if m.must else ''}: kustomi/{m.file}")
        return 0

    files = source_files()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(run_one, m, files, sys.executable) for m in chosen]
        outcomes = []
        for f in futures:
            try:
                o = f.result()
            except SystemExit:  # a broken mutation or pytest: stop, starting no other mutant
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            outcomes.append(o)
            mark = "KILLED  " if o.killed else "SURVIVED"
            must = "  (must be killed)" if o.mutation.must and not o.killed else ""
            why = f"  {o.why}" if o.why else ""
            print(f"{mark} {o.mutation.name} ({o.seconds:.0f}s){must}{why}", flush=True)
    killed = sum(o.killed for o in outcomes)
    total = len(outcomes)
    must_survived = [o.mutation.name for o in outcomes if o.mutation.must and not o.killed]
    print(f"{total} mutant(s) in {time.monotonic() - started:.0f}s", file=sys.stderr)
    print(f"mutation score: {killed}/{total}")
    if must_survived or killed < THRESHOLD * total:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

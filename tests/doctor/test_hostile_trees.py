"""doctor on hostile trees: a file nested too deeply to parse, files that cannot be decoded,
folders that vanish during the walk. Each is a `file_unreadable` finding with its file; the
rest of the project is still checked; nothing crashes."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

PY_BINDING = (
    "import azure.functions as func\n"
    "app = func.FunctionApp()\n\n"
    '@app.route(route="orders")\n'
    '@app.generic_input_binding(arg_name="rows", type="kusto", database="Orders",\n'
    '    kqlCommand="Orders | take 1", connection="KustoConnectionString",\n'
    '    managed_service_identity="system")\n'
    "def orders(req, rows):\n"
    "    return rows\n"
)


def _doctor(kustomi, root: Path):
    r = kustomi("-o", "json", "doctor", "--project", str(root))
    assert r.exit_code in (0, 6), r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    return r.json()


def test_files_too_deep_or_undecodable_are_findings_and_the_rest_is_checked(tmp_path, kustomi):
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "function_app.py").write_text(PY_BINDING)
    deep = tmp_path / "Deep"
    deep.mkdir()
    nested = '{"bindings": [' * 1 + "[" * 20000 + "]" * 20000 + ', {"type": "kusto"}]}'
    (deep / "function.json").write_text(nested)
    (tmp_path / "deep_code.py").write_text("kusto = " + "(" * 5000 + ")" * 5000 + "\n")
    (tmp_path / "latin1.cs").write_bytes(b'// kusto \xff\xfe [Kusto(Database = "x")]\n')
    doc = _doctor(kustomi, tmp_path)
    unreadable = {f["file"]: f for f in doc["findings"] if f["status"] == "file_unreadable"}
    assert "Deep/function.json" in unreadable
    assert "nested too deeply" in unreadable["Deep/function.json"]["detail"]
    assert "deep_code.py" in unreadable
    assert doc["data"]["bindings"] >= 1  # good/function_app.py was read all the same
    assert all(f["file"] and f["line"] == 1 for f in unreadable.values())


def test_folders_that_vanish_during_the_walk_do_not_stop_it(tmp_path, kustomi):
    for i in range(300):
        d = tmp_path / f"f{i:03d}" / "sub"
        d.mkdir(parents=True)
        (d / "function_app.py").write_text(PY_BINDING)
    (tmp_path / "zz_kept").mkdir()
    (tmp_path / "zz_kept" / "function_app.py").write_text(PY_BINDING)
    stop = threading.Event()

    def remove() -> None:
        for i in reversed(range(300)):
            if stop.is_set():
                return
            shutil.rmtree(tmp_path / f"f{i:03d}", ignore_errors=True)

    t = threading.Thread(target=remove)
    t.start()
    try:
        doc = _doctor(kustomi, tmp_path)
    finally:
        stop.set()
        t.join()
    json.dumps(doc)
    assert doc["data"]["bindings"] >= 1  # zz_kept was there from start to end


def test_a_folder_that_cannot_be_listed_is_a_finding(tmp_path):
    """The walk's own error path, named by its folder (os.walk's onerror)."""
    from kustomi.bindings.scan import files

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "function_app.py").write_text(PY_BINDING)
    gone = tmp_path / "b"
    unreadable: list[tuple[str, str]] = []
    found = files(tmp_path, unreadable)
    assert [p.name for p in found] == ["function_app.py"]
    gone.mkdir()
    # A walk of a root that vanished says so rather than raising.
    assert files(tmp_path / "nope", unreadable) == []
    assert unreadable and unreadable[-1][0] == "."
